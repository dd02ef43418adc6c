"""Customer experience (CX) per persona: NPS per role, CSAT, customer effort, first reply
time and active users, of one account and of many.

- counts: what a Health carries (`Health.experience`): counts and sums per account, so
  figures over many accounts are exact;
- derive: those counts from an account's state, over the model's windows;
- figures: the figures (NPS, CSAT, effort, first reply, active users) of any set of
  accounts, per role and per segment, region, line of business or owner.

Pure, like the rest of `models`: docs/customer-experience.md defines each figure, and
the SQL views of sinks/migrations/007_experience.sql compute the same ones.
"""
