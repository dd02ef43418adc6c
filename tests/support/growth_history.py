"""Eight accounts with known expansion signals, and the growth list they make, by hand.

Events are placed around `now` (logins 20 days ago fall in the window before,
3 days ago in the window; renewals 30 to 200 days ahead), so the figures hold
on any day. The test model scores sentiment alone: an account whose
decision-makers or users promote it scores 100 (healthy), one whose users all
detract scores 0 (critical), whatever its logins. Weights are the default
model's: users rising 30, breadth rising 20, decision-maker promoters 30,
renewal approaching 20; a candidate needs 60.

    account    segment     owner ARR   users  new features promoters         renewal strength
    g-alpha    enterprise  dana  120k  5 -> 8 api, sso     business exec 10  +60 d    100 yes
    g-bravo    mid_market  lee    50k  4 -> 6 -            finance exec 9    +200 d    60 yes
    g-charlie  enterprise  dana   80k  3 -> 3 3            IT 10, DM 9       +30 d     70 yes
    g-delta    mid_market  lee    90k  3 -> 6 api, sso     (end users 0)     +45 d     70 critical
    g-echo     enterprise  sam   200k  3 -> 6 -            business exec 10  churned   60 churned
    g-foxtrot  smb         sam    20k  2 -> 2 -            business exec 10  +90 d     50 too weak
    g-golf     smb         kim    10k  1 -> 1 -            (an end user 10)  -          0 too weak
    g-hotel    mid_market  kim    -    2 -> 4 -            dept. manager 10  -         60 yes

Healthy accounts of the active portfolio: all but g-delta (critical) and g-echo
(churned): 6, of which 4 candidates.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from models.growth.figures import SIGNAL_CODES
from models.health import Driver, Growth
from models.model_config import HealthModel, load_model

USERS = "growth.users_rising"
BREADTH = "growth.breadth_rising"
PROMOTERS = "growth.decision_maker_promoters"
RENEWAL = "growth.renewal_approaching"


# A candidate's growth (strength 80), for the tests of what shows one: alerts, answers, sinks.
SAMPLE_SIGNALS = [
    Driver(
        code=USERS,
        text="Active users up from 40 to 52 (+30%): the last 14 days against the 14 before",
        impact=30,
        component="growth",
    ),
    Driver(
        code=PROMOTERS,
        text="1 promoter among decision-makers (1 business executive), no detractor",
        impact=30,
        component="growth",
    ),
    Driver(
        code=RENEWAL,
        text="Renewal in 45 days: the moment to propose more",
        impact=20,
        component="growth",
    ),
]
SAMPLE_GROWTH = Growth(candidate=True, strength=80, drivers=SAMPLE_SIGNALS)


def growth_model_data() -> dict[str, Any]:
    """The default model scoring sentiment alone, expansion alerts on and immediate."""
    data = load_model().model_dump(mode="json")
    data["version"] = "growth-test"
    for component in ("engagement", "support", "commercial"):
        data["components"][component]["weight"] = 0
    data["alerts"] = {**data["alerts"], "expansion_opportunity": True, "pending_for": 0}
    return data


def growth_model() -> HealthModel:
    return HealthModel.model_validate(growth_model_data())


# Per account: segment, owner, ARR, (users before, users now), (old, new features),
# NPS answers (role, score), days to the profile's renewal, a churned contract.
ACCOUNTS: dict[str, dict[str, Any]] = {
    "g-alpha": {
        "segment": "enterprise",
        "owner": "dana",
        "arr": 120_000.0,
        "users": (5, 8),
        "features": (["reports", "dashboards"], ["api", "sso"]),
        "nps": [("business_executive", 10)],
        "renewal_in": 60,
    },
    "g-bravo": {
        "segment": "mid_market",
        "owner": "lee",
        "arr": 50_000.0,
        "users": (4, 6),
        "features": ([], []),
        "nps": [("finance_executive", 9)],
        "renewal_in": 200,
    },
    "g-charlie": {
        "segment": "enterprise",
        "owner": "dana",
        "arr": 80_000.0,
        "users": (3, 3),
        "features": (["reports"], ["api", "sso", "workflows"]),
        "nps": [("it_leader", 10), ("department_manager", 9)],
        "renewal_in": 30,
    },
    "g-delta": {
        "segment": "mid_market",
        "owner": "lee",
        "arr": 90_000.0,
        "users": (3, 6),
        "features": (["reports"], ["api", "sso"]),
        "nps": [("end_user", 0), ("end_user", 0), ("end_user", 0)],
        "renewal_in": 45,
    },
    "g-echo": {
        "segment": "enterprise",
        "owner": "sam",
        "arr": 200_000.0,
        "users": (3, 6),
        "features": ([], []),
        "nps": [("business_executive", 10)],
        "renewal_in": None,
        "churned": True,
    },
    "g-foxtrot": {
        "segment": "smb",
        "owner": "sam",
        "arr": 20_000.0,
        "users": (2, 2),
        "features": ([], []),
        "nps": [("business_executive", 10)],
        "renewal_in": 90,
    },
    "g-golf": {
        "segment": "smb",
        "owner": "kim",
        "arr": 10_000.0,
        "users": (1, 1),
        "features": ([], []),
        "nps": [("end_user", 10)],
        "renewal_in": None,
    },
    "g-hotel": {
        "segment": "mid_market",
        "owner": "kim",
        "arr": None,
        "users": (2, 4),
        "features": ([], []),
        "nps": [("department_manager", 10)],
        "renewal_in": None,
    },
}


class _Events:
    """One account's events, numbered: `event_id` is the account and the number."""

    def __init__(self, account: str) -> None:
        self.account = account
        self.count = 0

    def __call__(self, at: datetime, **fields: Any) -> dict[str, Any]:
        self.count += 1
        return {
            "event_id": f"{self.account}-{self.count}",
            "account_id": self.account,
            "occurred_at": at.isoformat(),
            **fields,
        }


def events(now: datetime) -> dict[str, list[dict[str, Any]]]:
    """Every account's events, per topic, as a producer sends them."""
    today = now.date()
    out: dict[str, list[dict[str, Any]]] = {
        "accounts": [],
        "logins": [],
        "nps": [],
        "renewals": [],
    }
    for account, spec in ACCOUNTS.items():
        event = _Events(account)
        renewal_in = spec["renewal_in"]
        profile: dict[str, Any] = {
            "name": account.replace("g-", "").title(),
            "segment": spec["segment"],
            "csm_owner": spec["owner"],
        }
        if spec["arr"] is not None:
            profile["arr"] = spec["arr"]
        if renewal_in is not None:
            profile["renewal_date"] = (today + timedelta(days=renewal_in)).isoformat()
        out["accounts"].append(event(now - timedelta(days=40), **profile))
        before, after = spec["users"]
        old, new = spec["features"]
        for i in range(before):
            feature = old[i % len(old)] if old else None
            out["logins"].append(event(now - timedelta(days=20), user_id=f"u{i}", feature=feature))
        for i in range(after):
            feature = new[i] if i < len(new) else None
            out["logins"].append(event(now - timedelta(days=3), user_id=f"u{i}", feature=feature))
        for i, (role, score) in enumerate(spec["nps"]):
            out["nps"].append(
                event(now - timedelta(days=5), respondent_id=f"r{i}", score=score, role=role)
            )
        if spec.get("churned"):
            out["renewals"].append(
                event(
                    now - timedelta(days=10),
                    contract_id=f"{account}-c1",
                    status="churned",
                    renewal_date=(today - timedelta(days=10)).isoformat(),
                    arr=spec["arr"],
                )
            )
    return out


def _driver(code: str, text: str, impact: float) -> dict[str, Any]:
    return {"code": code, "text": text, "impact": impact, "component": "growth"}


def expected_candidates(today: date) -> list[dict[str, Any]]:
    """The candidates, best first, as GET /portfolio/growth lists them (updated_at aside)."""
    alpha_renewal = today + timedelta(days=60)
    charlie_renewal = today + timedelta(days=30)
    return [
        {
            "account_id": "g-alpha",
            "name": "Alpha",
            "segment": "enterprise",
            "csm_owner": "dana",
            "arr": 120_000.0,
            "renewal_date": alpha_renewal.isoformat(),
            "strength": 100.0,
            "drivers": [
                _driver(
                    USERS,
                    "Active users up from 5 to 8 (+60%): the last 14 days against the 14 before",
                    30.0,
                ),
                _driver(
                    PROMOTERS,
                    "1 promoter among decision-makers (1 business executive), no detractor",
                    30.0,
                ),
                _driver(
                    BREADTH,
                    "2 features used for the first time in the last 14 days: api, sso",
                    20.0,
                ),
                _driver(RENEWAL, "Renewal in 60 days: the moment to propose more", 20.0),
            ],
        },
        {
            "account_id": "g-charlie",
            "name": "Charlie",
            "segment": "enterprise",
            "csm_owner": "dana",
            "arr": 80_000.0,
            "renewal_date": charlie_renewal.isoformat(),
            "strength": 70.0,
            "drivers": [
                _driver(
                    PROMOTERS,
                    "2 promoters among decision-makers (1 department manager, 1 IT leader), "
                    "no detractor",
                    30.0,
                ),
                _driver(
                    BREADTH,
                    "3 features used for the first time in the last 14 days: api, sso, workflows",
                    20.0,
                ),
                _driver(RENEWAL, "Renewal in 30 days: the moment to propose more", 20.0),
            ],
        },
        {
            "account_id": "g-bravo",
            "name": "Bravo",
            "segment": "mid_market",
            "csm_owner": "lee",
            "arr": 50_000.0,
            "renewal_date": (today + timedelta(days=200)).isoformat(),
            "strength": 60.0,
            "drivers": [
                _driver(
                    USERS,
                    "Active users up from 4 to 6 (+50%): the last 14 days against the 14 before",
                    30.0,
                ),
                _driver(
                    PROMOTERS,
                    "1 promoter among decision-makers (1 finance executive), no detractor",
                    30.0,
                ),
            ],
        },
        {
            "account_id": "g-hotel",
            "name": "Hotel",
            "segment": "mid_market",
            "csm_owner": "kim",
            "arr": None,
            "renewal_date": None,
            "strength": 60.0,
            "drivers": [
                _driver(
                    USERS,
                    "Active users up from 2 to 4 (+100%): the last 14 days against the 14 before",
                    30.0,
                ),
                _driver(
                    PROMOTERS,
                    "1 promoter among decision-makers (1 department manager), no detractor",
                    30.0,
                ),
            ],
        },
    ]


def _signals(**counts: tuple[int, float]) -> dict[str, dict[str, float]]:
    found = {code: {"accounts": 0, "arr": 0.0} for code in SIGNAL_CODES}
    for name, (accounts, arr) in counts.items():
        found[f"growth.{name}"] = {"accounts": accounts, "arr": arr}
    return found


# The summary over every account, and filtered by segment or owner.
EXPECTED_SUMMARY: dict[str, Any] = {
    "candidates": 4,
    "arr": 250_000.0,
    "healthy_accounts": 6,
    "candidate_share": 4 / 6,
    "signals": _signals(
        users_rising=(3, 170_000.0),
        breadth_rising=(2, 200_000.0),
        decision_maker_promoters=(4, 250_000.0),
        renewal_approaching=(2, 200_000.0),
    ),
}
ENTERPRISE_SUMMARY: dict[str, Any] = {
    "candidates": 2,
    "arr": 200_000.0,
    "healthy_accounts": 2,
    "candidate_share": 1.0,
    "signals": _signals(
        users_rising=(1, 120_000.0),
        breadth_rising=(2, 200_000.0),
        decision_maker_promoters=(2, 200_000.0),
        renewal_approaching=(2, 200_000.0),
    ),
}
LEE_SUMMARY: dict[str, Any] = {
    "candidates": 1,
    "arr": 50_000.0,
    "healthy_accounts": 1,
    "candidate_share": 1.0,
    "signals": _signals(users_rising=(1, 50_000.0), decision_maker_promoters=(1, 50_000.0)),
}
# Healths that are not candidates, and why.
NOT_CANDIDATES = {
    "g-delta": (70.0, "critical"),
    "g-echo": (60.0, "churned"),
    "g-foxtrot": (50.0, "healthy"),
    "g-golf": (0.0, "healthy"),
}


def assert_summary(found: dict[str, Any], expected: dict[str, Any]) -> None:
    """`found` (a summary as JSON) is `expected`, the share up to rounding."""
    assert {**found, "candidate_share": None} == {**expected, "candidate_share": None}
    share, wanted = found["candidate_share"], expected["candidate_share"]
    assert share == wanted or abs(share - wanted) < 1e-9, (share, wanted)
