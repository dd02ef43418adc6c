"""Each vendor's webhook, from the HTTP request to the account's health, through the real
broker: the request as the vendor builds and signs it (tests/integration/vendor_requests)
goes to a gateway configured by a YAML file, and a real worker shows what a CSM would
see. A vendor retrying a delivery counts once; a tampered or stale request is 401 and
reaches no topic.

One worker (with a database of its own, for the renewal desk) and one gateway on its
topics serve the whole module; each test has its own account.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import yaml

from gateway.config import SECRET_VARIABLES, load_sources
from gateway.metrics import GatewayMetrics
from gateway.run import running_gateway
from gateway.signatures import sign_segment
from models.model_config import load_model
from streams.settings import Settings
from tests.integration.vendor_requests import (
    SECRETS,
    Delivery,
    compact,
    segment_batch,
    segment_track,
    sign,
    stripe_body,
    stripe_deleted,
    stripe_expanded,
    typeform_response,
    zendesk_ticket,
)
from tests.support.gateway import MAX_AGE, read_everything
from tests.support.worker import WorkerProcess, running_worker, wait_until, worker_env

pytestmark = pytest.mark.integration

RUN = uuid.uuid4().hex[:8]
ZENDESK_ORGANIZATION = "361000777"
STRIPE_CUSTOMER = "cus_Globex42"
ACCOUNTS = {
    "segment": f"seg-{RUN}",
    "zendesk": f"zd-{RUN}",
    "stripe": f"st-{RUN}",
    "typeform": f"tf-{RUN}",
}
KEY_FEATURES = ("Report Exported", "Billing Settings", "Alert Rule Created")
Health = dict[str, Any]


def gateway_config(folder: Path) -> Path:
    """Segment and Typeform name our account ids; Zendesk organisations and Stripe
    customers go through lookup tables (inline, and a CSV file)."""
    (folder / "stripe-customers.csv").write_text(
        f"external_id,account_id\ncus_SomeoneElse,other\n{STRIPE_CUSTOMER},{ACCOUNTS['stripe']}\n"
    )
    config = {
        "segment": {"account": {"path": "context.groupId"}},
        "zendesk": {
            "account": {
                "path": ["detail.organization_id", "organization_id"],
                "lookup": {ZENDESK_ORGANIZATION: ACCOUNTS["zendesk"]},
            }
        },
        "stripe": {
            "account": {"path": "data.object.customer", "lookup_file": "stripe-customers.csv"}
        },
        "typeform": {"score_field": "nps", "account": {"path": "form_response.hidden.account_id"}},
    }
    path = folder / "gateway.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def sources_model(folder: Path) -> Path:
    """The default model naming three key features, and showing every driver: what the
    logins' features came to is then on the health."""
    model = load_model(None).model_dump(mode="json")
    model["version"] = f"{model['version']}-sources-test"
    model["components"]["engagement"]["key_features"] = dict.fromkeys(KEY_FEATURES, 1)
    model["drivers"] = {"negative": 10, "positive": 10, "min_impact": 0}
    path = folder / "model.yaml"
    path.write_text(yaml.safe_dump(model))
    return path


@dataclass
class Rig:
    gateway: httpx.AsyncClient
    api: httpx.AsyncClient
    worker: WorkerProcess
    bootstrap: str
    metrics: GatewayMetrics

    def count(self, source: str, outcome: str) -> float:
        labels = {"source": source, "outcome": outcome}
        value = self.metrics.registry.get_sample_value("healthscore_gateway_requests_total", labels)
        return value or 0.0

    async def post(self, delivery: Delivery) -> httpx.Response:
        return await self.gateway.post(delivery.path, content=delivery.body,
                                       headers=delivery.headers)  # fmt: skip

    async def accepted(self, delivery: Delivery, events: int, ignored: int = 0) -> None:
        reply = await self.post(delivery)
        assert reply.status_code == 202, reply.text
        assert reply.json() == {"accepted": events, "ignored": ignored}

    async def refused(self, delivery: Delivery, why: str) -> None:
        reply = await self.post(delivery)
        assert reply.status_code == 401, (why, reply.status_code, reply.text)
        assert reply.json()["error"] == "unauthorized", why

    async def health(self, account: str) -> Health | None:
        answer = await self.api.get(f"/accounts/{account}")
        if answer.status_code == 404:
            return None
        assert answer.status_code == 200, answer.text
        health: Health = answer.json()
        return health

    async def until(self, account: str, holds: Callable[[Health], bool], what: str) -> Health:
        """The account's health once `holds` is true of it (polled; fails after 90 s)."""
        found: list[Health] = []

        async def check() -> bool:
            health = await self.health(account)
            if health is not None and holds(health):
                found.append(health)
            return bool(found)

        await wait_until(check, f"{account}: {what}", self.worker)
        return found[0]

    async def desk(self) -> dict[str, Any]:
        answer = await self.api.get("/portfolio/renewals")
        assert answer.status_code == 200, answer.text
        desk: dict[str, Any] = answer.json()
        return desk

    async def on_topic(self, topic: str, account: str) -> list[dict[str, Any]]:
        """Every event of `account` on the worker's input `topic`, in order."""
        prefix = self.worker.env["HS_TOPIC_PREFIX"]
        records = await read_everything(self.bootstrap, prefix + topic)
        return [event for r in records if r.key == account.encode()
                for event in orjson.loads(r.value or b"[]")]  # fmt: skip


@pytest.fixture(scope="module")
def source_worker(
    kafka_bootstrap: str, own_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    folder = tmp_path_factory.mktemp("sources-worker")
    env = worker_env(kafka_bootstrap, own_database, folder, HS_MODEL=str(sources_model(folder)))
    with running_worker(env, folder) as process:
        yield process


@pytest.fixture(scope="module")
async def rig(
    kafka_bootstrap: str, source_worker: WorkerProcess, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Rig]:
    config = gateway_config(tmp_path_factory.mktemp("gateway"))
    environ = {SECRET_VARIABLES[name]: secret.decode() for name, secret in SECRETS.items()}
    sources = load_sources(str(config), environ)
    settings = Settings(
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=source_worker.env["HS_TOPIC_PREFIX"],
        partitions=4,
        gateway_host="127.0.0.1",
        gateway_produce_timeout_seconds=5,
    )
    async with (
        running_gateway(settings, sources, MAX_AGE, port=0) as running,
        httpx.AsyncClient(base_url=running.url, timeout=30) as gateway,
        httpx.AsyncClient(base_url=source_worker.url, timeout=10) as api,
    ):
        deadline = asyncio.get_running_loop().time() + 30
        while (await gateway.get("/readyz")).status_code != 200:
            assert asyncio.get_running_loop().time() < deadline, "gateway not ready"
            await asyncio.sleep(0.2)
        yield Rig(gateway, api, source_worker, kafka_bootstrap, running.gateway.metrics)


def ids(events: list[dict[str, Any]]) -> Counter[str]:
    return Counter(event["event_id"] for event in events)


def drivers(health: Health) -> dict[str, str]:
    """What each driver says, by its code."""
    return {driver["code"]: driver["text"] for driver in health["drivers"]}


def persona(health: Health, role: str) -> dict[str, int]:
    found: dict[str, int] = health["experience"]["personas"].get(role, {})
    return found


async def test_segment_batch_shows_as_active_users_features_and_the_profile(rig: Rig) -> None:
    account = ACCOUNTS["segment"]
    now = datetime.now(UTC)
    renewal_on = (now + timedelta(days=120)).date().isoformat()
    batch = sign("segment", compact(segment_batch(account, now, renewal_on)))
    await rig.accepted(batch, events=3)

    health = await rig.until(account, lambda h: h["name"] == "Acme Corp" and
                             h["state_version"] == 2, "the batch never showed")  # fmt: skip
    # The group call's traits are the account's profile.
    assert (health["arr"], health["segment"], health["region"]) == (120000, "enterprise", "EMEA")
    assert health["csm_owner"] == "jo@vendor.example" and health["renewal_date"] == renewal_on
    assert health["lifecycle_stage"] == "adoption"
    # The track and the page call are one user's logins, with the role the track named.
    assert health["experience"]["activity"]["users"] == 1
    assert persona(health, "department_manager")["active_users"] == 1
    said = drivers(health)
    assert said["engagement.active_users"] == "1 active user in the last 30 days"
    # The track's event and the page's name are the features used.
    assert said["engagement.breadth"] == "2 features used in the last 30 days"
    assert said["engagement.key_features"] == (
        "Uses 2 of 3 key features in the last 30 days; not Alert Rule Created"
    )

    # Segment retries the delivery; a copy changed on the way is refused.
    await rig.accepted(batch, events=3)
    await rig.refused(batch.tampered(b'"u-4411"', b'"u-6666"'), "tampered userId")
    forged = {**batch.headers, **sign_segment(batch.body, b"someone-else's-secret")}
    await rig.refused(replace(batch, headers=forged), "signed with another secret")

    # The next real login comes after the retry on the same partition: once it shows,
    # the retry has been read, and counted for nothing.
    later = segment_track(account, "u-5120", f"ajs-next-{uuid.uuid4()}", datetime.now(UTC))
    await rig.accepted(sign("segment", compact(later)), events=1)
    health = await rig.until(account, lambda h: h["experience"]["activity"]["users"] == 2,
                             "the later login never showed")  # fmt: skip
    assert health["state_version"] == 3
    assert drivers(health)["engagement.active_users"] == "2 active users in the last 30 days"
    assert health["name"] == "Acme Corp"
    assert rig.count("segment", "accepted") == 3 and rig.count("segment", "unauthorized") == 2

    logins = await rig.on_topic("logins", account)
    sent = [f"segment:{call['messageId']}" for call in orjson.loads(batch.body)["batch"][:2]]
    assert ids(logins) == {sent[0]: 2, sent[1]: 2, f"segment:{later['messageId']}": 1}
    assert {(event["user_id"], event["feature"]) for event in logins} == {
        ("u-4411", "Report Exported"), ("u-4411", "Billing Settings"),
        ("u-5120", "Report Exported"),
    }  # fmt: skip
    assert [e["name"] for e in await rig.on_topic("accounts", account)] == ["Acme Corp"] * 2


async def test_zendesk_ticket_resolved_with_its_csat_and_first_reply_time(rig: Rig) -> None:
    account = ACCOUNTS["zendesk"]
    opened = datetime.now(UTC) - timedelta(hours=3)
    documents = zendesk_ticket(ZENDESK_ORGANIZATION, opened)
    created, replied, solved, rated = (sign("zendesk", compact(d)) for d in documents)

    await rig.accepted(created, events=1)
    health = await rig.until(account, lambda h: h["state_version"] == 1, "no ticket showed")
    # Zendesk's HIGH priority, open since it was created.
    assert drivers(health)["support.open_tickets"] == "1 high ticket open, the oldest for 3 h"
    # Zendesk retries the delivery: the same body, under a signature of the retry's time.
    await rig.accepted(created.resigned(datetime.now(UTC)), events=1)
    await rig.accepted(replied, events=1)
    await rig.accepted(solved, events=1)
    # A rating changed on the way, and a captured request replayed ten minutes on: refused.
    await rig.refused(rated.tampered(b"Good, I'm satisfied", b"Bad, I'm unsatisfied"), "tampered")
    await rig.refused(rated.resigned(datetime.now(UTC) - timedelta(minutes=10)), "stale")
    await rig.accepted(rated, events=1)

    health = await rig.until(account, lambda h: h["experience"]["csat"]["answers"] == 1,
                             "the satisfaction rating never showed")  # fmt: skip
    assert health["experience"]["csat"] == {"answers": 1, "satisfied": 1, "total": 5}
    # Opened, answered by an agent an hour later: one ticket with a first reply of 1 h.
    assert health["experience"]["first_reply"] == {"tickets": 1, "hours": 1.0}
    assert health["state_version"] == 4  # created, replied, solved, rated: the retry is not
    said = drivers(health)
    assert said["support.open_tickets"] == "No open support tickets"
    assert said["support.csat"] == "CSAT 100%: 1 of 1 answer rated 4-5 in 90 days"
    assert said["support.first_reply"] == "Median first reply 1 h over 1 ticket in 90 days"
    assert rig.count("zendesk", "accepted") == 5 and rig.count("zendesk", "unauthorized") == 2

    tickets = await rig.on_topic("tickets", account)
    assert [(e["status"], e.get("csat")) for e in tickets] == [
        ("opened", None), ("opened", None), ("first_response", None), ("resolved", None),
        ("resolved", 5),
    ]  # fmt: skip
    assert ids(tickets)[tickets[0]["event_id"]] == 2
    assert all(event["ticket_id"] == "5521" and event["priority"] == "high" for event in tickets)


def quarter_of(desk: dict[str, Any], day: date) -> dict[str, Any]:
    [quarter] = [q for q in desk["quarters"] if q["starts_on"] <= day.isoformat() <= q["ends_on"]]
    return quarter


def contract(health: Health) -> dict[str, Any]:
    [only] = health["contracts"] or [None]
    assert only is not None
    return dict(only)


async def test_stripe_subscription_expanded_then_churned_on_the_account_and_the_desk(
    rig: Rig,
) -> None:
    account = ACCOUNTS["stripe"]
    now = datetime.now(UTC)
    renewed = now - timedelta(days=20)
    expanded = sign("stripe", stripe_body(stripe_expanded(STRIPE_CUSTOMER, renewed)))
    await rig.accepted(expanded, events=1)

    health = await rig.until(account, lambda h: bool(h["contracts"]), "no contract showed")
    assert contract(health) | {"decided_at": None} == {
        "contract_id": "sub_1QzExpandMonthly", "status": "expanded",
        "renewal_date": renewed.date().isoformat(), "arr": 12000.0, "new_arr": 18000.0,
        "decided_at": None,
    }  # fmt: skip
    assert health["lifecycle"]["status"] == "active"
    assert drivers(health)["commercial.arr_change"] == "Expanded: ARR 12,000 → 18,000 (50%)"

    async def renewed_on_the_desk() -> bool:
        figures = quarter_of(await rig.desk(), renewed.date())
        return bool(figures["renewed"] == {"renewals": 1, "arr": 12000.0})

    await wait_until(renewed_on_the_desk, "the renewal never reached the desk", rig.worker)

    # Stripe retries the event (signed anew at the retry); a tampered and a stale copy
    # of the cancellation are refused; then the cancellation itself.
    await rig.accepted(expanded.resigned(datetime.now(UTC)), events=1)
    deleted = sign("stripe", stripe_body(stripe_deleted(STRIPE_CUSTOMER, renewed, now)))
    await rig.refused(deleted.tampered(b'"quantity": 30', b'"quantity": 3'), "tampered")
    await rig.refused(deleted.resigned(now - timedelta(seconds=400)), "stale")
    await rig.accepted(deleted, events=1)

    health = await rig.until(account, lambda h: h["lifecycle"]["status"] == "churned",
                             "the account never churned")  # fmt: skip
    assert contract(health)["status"] == "churned" and contract(health)["arr"] == 18000.0
    assert contract(health)["renewal_date"] == (renewed + timedelta(days=30)).date().isoformat()
    assert health["lifecycle"]["arr_lost"] == 18000.0
    assert health["lifecycle"]["churned_on"] == now.date().isoformat()
    assert health["state_version"] == 2
    assert rig.count("stripe", "accepted") == 3 and rig.count("stripe", "unauthorized") == 2

    async def churned_on_the_desk() -> bool:
        desk = await rig.desk()
        return bool(desk["due_soon"]["statuses"]["churned"] == {"renewals": 1, "arr": 18000.0}
                    and quarter_of(desk, renewed.date())["renewed"]["renewals"] == 0)  # fmt: skip

    await wait_until(churned_on_the_desk, "the churn never reached the desk", rig.worker)

    renewals = await rig.on_topic("renewals", account)
    assert [(e["status"], e["arr"], e.get("new_arr")) for e in renewals] == [
        ("expanded", 12000.0, 18000.0), ("expanded", 12000.0, 18000.0), ("churned", 18000.0, None)
    ]  # fmt: skip


async def test_typeform_nps_answer_is_the_accounts_nps(rig: Rig) -> None:
    account = ACCOUNTS["typeform"]
    now = datetime.now(UTC)
    promoter = typeform_response(account, "u-4411", uuid.uuid4().hex, 9, now)
    answer = sign("typeform", compact(promoter))
    await rig.accepted(answer, events=1)

    health = await rig.until(account, lambda h: h["state_version"] == 1, "no NPS answer showed")
    assert persona(health, "business_executive")["promoters"] == 1
    assert drivers(health)["sentiment.nps"] == (
        "Weighted NPS +100 from 1 respondent (1 promoter, 0 detractors)"
    )

    # Typeform redelivers the response; a score changed on the way is refused.
    await rig.accepted(answer, events=1)
    await rig.refused(answer.tampered(b'"number":9', b'"number":0'), "tampered score")
    detractor = typeform_response(account, "u-7002", uuid.uuid4().hex, 3, datetime.now(UTC))
    await rig.accepted(sign("typeform", compact(detractor)), events=1)

    health = await rig.until(account, lambda h: h["state_version"] >= 2, "no second answer")
    counts = persona(health, "business_executive")
    assert (counts["promoters"], counts["passives"], counts["detractors"]) == (1, 0, 1)
    assert health["state_version"] == 2
    assert drivers(health)["sentiment.nps"] == (
        "Detractor NPS (3) from a business executive; weighted NPS +0 from 2 respondents "
        "(1 promoter, 1 detractor)"
    )
    assert rig.count("typeform", "accepted") == 3 and rig.count("typeform", "unauthorized") == 1
    scores = [event["score"] for event in await rig.on_topic("nps", account)]
    assert scores == [9, 9, 3]
