"""Products of very different shape for the demo company (`demo-history --profile NAME`).

A `Profile` holds every parameter in which the simulated products differ; the
generator in streams/demo/company.py reads them and has no other notion of a
profile. Churn always follows the account's hidden health at renewal; what
changes is how, and how much, that health shows in the events.

- default: the demo — up to 8 features; activity, tickets and NPS all follow health.
- dense: about ten login events per active user-day (a tool used all day long).
- sparse: a user is active on a tenth as many days (a tool used now and then).
- single-user: every account is one person; no sponsor, hardly any tickets.
- features: 20 features. Activity, tickets and NPS follow health only weakly;
  three "value" features are dropped one by one as an account sours, and a
  souring account exports its data (two "risk" features) before its renewal.
- no-support-signals: no tickets and no NPS answers at all, only logins,
  profiles and renewals.
"""

from __future__ import annotations

from dataclasses import dataclass

FEATURES = ("reports", "dashboards", "alerts", "exports", "api", "sso", "workflows", "billing")
MANY_FEATURES = (
    "workflows",
    "integrations",
    "automations",
    "data_export",
    "bulk_export",
    *(f"feature_{n:02d}" for n in range(1, 16)),
)


@dataclass(frozen=True, slots=True)
class Profile:
    """How the customers of one product use it; the defaults are the demo's."""

    name: str
    features: tuple[str, ...] = FEATURES
    # Multiplies each user's chance of being active on a given day.
    activity: float = 1.0
    # Login events per active user-day: 1 exactly, or about this many.
    sessions: float = 1.0
    # Users per account (None: by segment, 3 to ~75).
    seats: int | None = None
    # How strongly activity, ticket load and survey answers follow hidden health:
    # 1 = fully; 0 = not at all (they follow a middling health of 0.6 instead).
    coupling: float = 1.0
    # Champion and sponsor stop logging in once health falls below 0.4.
    key_people_leave: bool = True
    # Feature -> the hidden health above which an account uses it; an account
    # without any of these picks among its first health-share of `features`.
    value_features: tuple[tuple[str, float], ...] = ()
    # Features a souring account (health < 0.35) uses in the 90 days before renewal.
    risk_features: tuple[str, ...] = ()
    tickets: bool = True
    nps: bool = True


DEFAULT = Profile("default")
PROFILES = {
    p.name: p
    for p in (
        DEFAULT,
        Profile("dense", sessions=10.0),
        Profile("sparse", activity=0.1),
        Profile("single-user", seats=1),
        Profile(
            "features",
            features=MANY_FEATURES,
            coupling=0.15,
            key_people_leave=False,
            value_features=(("workflows", 0.55), ("integrations", 0.45), ("automations", 0.35)),
            risk_features=("data_export", "bulk_export"),
        ),
        Profile("no-support-signals", tickets=False, nps=False),
    )
}
