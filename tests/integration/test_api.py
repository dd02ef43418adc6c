"""The HTTP API against the real thing: answers equal what PostgreSQL holds, match
docs/openapi.json, and HS_API_TOKEN guards what it should.

One worker scores a handful of accounts under a segment and two CSM owners
unique to this run (other tests share the database); a second worker, started
with HS_API_TOKEN and owning none of them, answers for them from PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from streams.api.openapi import DOCUMENT
from tests.integration.api_accounts import Seeded, ago, event, healthy, in_days, unhealthy
from tests.integration.api_answers import as_answer, parsed, settled
from tests.support.openapi import check_answer, load_document
from tests.support.worker import (
    WorkerProcess,
    new_worker,
    send_batches,
    wait_until,
    worker_env,
)

pytestmark = pytest.mark.integration

TOKEN = "api-test-token-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ACCOUNTS = 6
HEALTH_COLUMNS = """account_id, name, segment, region, line_of_business, csm_owner,
    lifecycle_stage, arr, renewal_date, score, band, confidence, components, drivers,
    model_version, state_version, updated_at, last_event_at, lifecycle, contracts, experience,
    growth"""


@pytest.fixture(scope="module")
def guarded_worker(
    kafka_bootstrap: str, pg_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    folder = tmp_path_factory.mktemp("guarded-worker")
    # Waiting for it asks /readyz without the token: the probes need none.
    process = new_worker(worker_env(kafka_bootstrap, pg_dsn, folder, HS_API_TOKEN=TOKEN), folder)
    try:
        process.start()
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
async def db(pg_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(pg_dsn)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture(scope="module")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as http:
        yield http


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return load_document()


# --- the accounts -------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def seeded(worker: WorkerProcess, kafka_bootstrap: str, db: asyncpg.Connection) -> Seeded:
    run = uuid.uuid4().hex[:8]
    segment = f"api-{run}"
    owners = {name: f"{name}-{run}" for name in ("ana", "ben")}
    accounts = [f"api-{run}-{i}" for i in range(ACCOUNTS)]
    unhealthy_ones = accounts[1::2]
    arr: dict[str, float | None] = {
        a: None if i == ACCOUNTS - 1 else 1000.0 * (i + 1) for i, a in enumerate(accounts)
    }
    profiles = [
        event(
            a,
            ago(days=1),
            name=f"Account {i}",
            segment=segment,
            csm_owner=owners["ana" if i < ACCOUNTS // 2 else "ben"],
            region="emea",
            renewal_date=in_days(30 + i),
            lifecycle_stage="adoption",
            **({} if arr[a] is None else {"arr": arr[a]}),
        )
        for i, a in enumerate(accounts)
    ]
    await send_batches(kafka_bootstrap, worker, {"accounts": profiles})

    async def profiled() -> bool:
        n = await db.fetchval("SELECT count(*) FROM account_health WHERE segment = $1", segment)
        return bool(n == ACCOUNTS)

    await wait_until(profiled, "the profiles never reached account_health", worker)

    events: dict[str, list[dict[str, Any]]] = {}
    for account in accounts:
        build = unhealthy if account in unhealthy_ones else healthy
        for topic, topic_events in build(account).items():
            events.setdefault(topic, []).extend(topic_events)
    await send_batches(kafka_bootstrap, worker, events)

    async def scored() -> bool:
        rows = await db.fetch(
            "SELECT account_id, band FROM account_health WHERE segment = $1", segment
        )
        bands = {r["account_id"]: r["band"] for r in rows}
        return all((bands.get(a) == "healthy") == (a not in unhealthy_ones) for a in accounts)

    await wait_until(scored, "the accounts never reached their bands", worker)
    return Seeded(segment, owners, accounts, unhealthy_ones, arr)


# --- the tests ----------------------------------------------------------------------------


async def test_an_account_answer_equals_its_account_health_row(
    worker: WorkerProcess,
    seeded: Seeded,
    db: asyncpg.Connection,
    client: httpx.AsyncClient,
    document: dict[str, Any],
) -> None:
    for account in seeded.accounts:

        async def row(account: str = account) -> dict[str, Any]:
            found = await db.fetchrow(
                f"SELECT {HEALTH_COLUMNS} FROM account_health WHERE account_id = $1", account
            )
            assert found is not None
            return as_answer(found)

        async def answer(account: str = account) -> httpx.Response:
            return await client.get(f"{worker.url}/accounts/{account}")

        expected, response = await settled(
            row, answer, lambda r, a: a.status_code == 200 and parsed(a.json()) == r
        )
        body = check_answer(document, "/accounts/{account_id}", response)
        assert set(body) == set(expected), "the answer has exactly the table's columns"
        assert parsed(body) == expected
        assert body["segment"] == seeded.segment
        assert body["arr"] == seeded.arr[account]
        assert set(body["components"]) == {"engagement", "support", "sentiment", "commercial"}
        assert body["drivers"], "every score says why"


async def test_any_worker_answers_any_account_in_the_same_shape(
    worker: WorkerProcess,
    guarded_worker: WorkerProcess,
    seeded: Seeded,
    client: httpx.AsyncClient,
    document: dict[str, Any],
) -> None:
    """The guarded worker owns none of these accounts: it answers from PostgreSQL."""
    for account in seeded.accounts:

        async def owner(account: str = account) -> Any:
            return (await client.get(f"{worker.url}/accounts/{account}")).json()

        async def other(account: str = account) -> httpx.Response:
            return await client.get(f"{guarded_worker.url}/accounts/{account}", headers=AUTH)

        from_table, response = await settled(owner, other, lambda t, r: r.json() == t)
        from_postgres = check_answer(document, "/accounts/{account_id}", response)
        assert from_postgres == from_table
        assert list(from_postgres) == list(from_table), "same fields in the same order"


async def test_an_unknown_account_is_404(
    worker: WorkerProcess, client: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    nobody = f"nobody-{uuid.uuid4().hex}"
    response = await client.get(f"{worker.url}/accounts/{nobody}")
    assert response.status_code == 404
    assert check_answer(document, "/accounts/{account_id}", response)["account_id"] == nobody


LIST_QUERIES: list[tuple[str, dict[str, str]]] = [
    ("segment", {"limit": "100"}),
    ("segment, worst two", {"limit": "2"}),
    ("segment, healthy", {"band": "healthy"}),
    ("segment, critical", {"band": "critical"}),
    ("segment, at_risk", {"band": "at_risk"}),
    ("segment and owner", {"csm_owner": "ana"}),
    ("owner only", {"csm_owner": "ben", "segment": ""}),
    ("segment, owner, band, limit", {"csm_owner": "ana", "band": "healthy", "limit": "1"}),
]


@pytest.mark.parametrize(("case", "params"), LIST_QUERIES, ids=[c for c, _ in LIST_QUERIES])
async def test_account_lists_are_exactly_the_matching_rows_worst_first(
    case: str,
    params: dict[str, str],
    worker: WorkerProcess,
    seeded: Seeded,
    db: asyncpg.Connection,
    client: httpx.AsyncClient,
    document: dict[str, Any],
) -> None:
    query = {"segment": seeded.segment, **params}
    if "csm_owner" in query:
        query["csm_owner"] = seeded.owners[query["csm_owner"]]
    band = query.get("band") or None
    segment = query.get("segment") or None
    owner = query.get("csm_owner") or None
    limit = int(query.get("limit", "50"))

    async def rows() -> list[dict[str, Any]]:
        found = await db.fetch(
            f"""SELECT {HEALTH_COLUMNS} FROM account_health
                WHERE ($1::text IS NULL OR band = $1) AND ($2::text IS NULL OR segment = $2)
                  AND ($3::text IS NULL OR csm_owner = $3)
                ORDER BY score, account_id LIMIT $4""",
            band,
            segment,
            owner,
            limit,
        )
        return [as_answer(r) for r in found]

    async def answer() -> httpx.Response:
        return await client.get(f"{worker.url}/accounts", params=query)

    def same(expected: list[dict[str, Any]], response: httpx.Response) -> bool:
        return (
            response.status_code == 200
            and [parsed(a) for a in response.json()["accounts"]] == expected
        )

    expected, response = await settled(rows, answer, same)
    body = check_answer(document, "/accounts", response)
    assert [parsed(a) for a in body["accounts"]] == expected
    scores = [a["score"] for a in body["accounts"]]
    assert scores == sorted(scores), "worst first"
    assert {a["account_id"] for a in body["accounts"]} <= set(seeded.accounts)
    if case == "segment":
        assert len(body["accounts"]) == ACCOUNTS
    if case == "segment, worst two":
        assert {a["account_id"] for a in body["accounts"]} <= set(seeded.unhealthy)


async def test_portfolio_sums_equal_the_sql_aggregates(
    worker: WorkerProcess,
    seeded: Seeded,
    db: asyncpg.Connection,
    client: httpx.AsyncClient,
    document: dict[str, Any],
) -> None:
    # The bands hold the active portfolio: churned accounts (other tests may have
    # some) are counted apart.
    active = "FROM account_health WHERE lifecycle_status IS DISTINCT FROM 'churned'"

    async def aggregates() -> dict[str, Any]:
        total = await db.fetchval(f"SELECT count(*) {active}")
        bands = await db.fetch(
            f"SELECT band, count(*) AS n, coalesce(sum(arr), 0) AS arr {active} GROUP BY band"
        )
        cells = await db.fetch(
            "SELECT coalesce(segment, 'unknown') AS segment, band, count(*) AS n,"
            f" coalesce(sum(arr), 0) AS arr {active} GROUP BY 1, 2"
        )
        churned = await db.fetchrow(
            "SELECT count(*) AS n, coalesce(sum(arr_lost), 0) AS arr_lost FROM account_health"
            " WHERE lifecycle_status = 'churned'"
        )
        return {
            "accounts": total,
            "bands": {r["band"]: (r["n"], r["arr"]) for r in bands},
            "segments": {(r["segment"], r["band"]): (r["n"], r["arr"]) for r in cells},
            "churned": (churned["n"], churned["arr_lost"]),
        }

    def counts(body: dict[str, Any]) -> dict[str, Any]:
        return {
            "accounts": body["accounts"],
            "bands": {b: t["accounts"] for b, t in body["bands"].items() if t["accounts"]},
            "segments": {
                (s, b): t["accounts"]
                for s, cells in body["segments"].items()
                for b, t in cells.items()
            },
        }

    def same(sql: dict[str, Any], response: httpx.Response) -> bool:
        expected = {
            "accounts": sql["accounts"],
            "bands": {b: n for b, (n, _) in sql["bands"].items()},
            "segments": {k: n for k, (n, _) in sql["segments"].items()},
        }
        return response.status_code == 200 and counts(response.json()) == expected

    async def answer() -> httpx.Response:
        return await client.get(f"{worker.url}/portfolio")

    sql, response = await settled(aggregates, answer, same)
    body = check_answer(document, "/portfolio", response)
    assert set(body["bands"]) == {"healthy", "at_risk", "critical"}
    assert body["accounts"] == sql["accounts"]
    for band, tally in body["bands"].items():
        n, arr = sql["bands"].get(band, (0, 0.0))
        assert (tally["accounts"], tally["arr"]) == (n, pytest.approx(arr)), band
    cells = {(s, b): t for s, per_band in body["segments"].items() for b, t in per_band.items()}
    assert set(cells) == set(sql["segments"])
    for key, tally in cells.items():
        n, arr = sql["segments"][key]
        assert (tally["accounts"], tally["arr"]) == (n, pytest.approx(arr)), key
    churned = body["churned"]
    assert (churned["accounts"], churned["arr_lost"]) == (
        sql["churned"][0],
        pytest.approx(sql["churned"][1]),
    )
    mine = body["segments"][seeded.segment]
    assert sum(t["accounts"] for t in mine.values()) == ACCOUNTS
    assert sum(t["arr"] for t in mine.values()) == sum(a or 0.0 for a in seeded.arr.values())


@pytest.mark.parametrize(
    "query",
    ["limit=abc", "limit=0", "limit=1001", "limit=2.5", "band=sick", "bnad=critical"],
)
async def test_bad_query_parameters_are_400(
    query: str, worker: WorkerProcess, client: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    response = await client.get(f"{worker.url}/accounts?{query}")
    assert response.status_code == 400
    body = check_answer(document, "/accounts", response)
    assert body["error"].startswith(query.split("=")[0] + ": ")


GUARDED = ["/accounts", "/portfolio", "/portfolio/lifecycle", "/accounts/{account_id}"]


@pytest.mark.parametrize("route", GUARDED)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"X-Token": TOKEN}],
    ids=["none", "wrong", "no-scheme", "other-header"],
)
async def test_the_token_is_required_where_set(
    route: str,
    headers: dict[str, str],
    guarded_worker: WorkerProcess,
    seeded: Seeded,
    client: httpx.AsyncClient,
    document: dict[str, Any],
) -> None:
    path = route.replace("{account_id}", seeded.accounts[0])
    response = await client.get(f"{guarded_worker.url}{path}", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    check_answer(document, route, response)
    granted = await client.get(f"{guarded_worker.url}{path}", headers=AUTH)
    assert granted.status_code == 200, granted.text
    check_answer(document, route, granted)


async def test_the_probes_answer_without_the_token_while_accounts_need_it(
    guarded_worker: WorkerProcess, client: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    for probe in ("/healthz", "/readyz"):
        response = await client.get(f"{guarded_worker.url}{probe}")
        assert response.status_code == 200, response.text
        check_answer(document, probe, response)
    assert (await client.get(f"{guarded_worker.url}/readyz")).json()["reason"] is None
    assert (await client.get(f"{guarded_worker.url}/accounts")).status_code == 401
    assert (await client.get(f"{guarded_worker.url}/accounts", headers=AUTH)).status_code == 200
    assert TOKEN not in guarded_worker.log_path.read_text(), "the token is never logged"


@pytest.mark.parametrize("route", ["/healthz", "/readyz", "/metrics", "/openapi.json"])
async def test_the_probes_metrics_and_the_document_are_open(
    route: str,
    guarded_worker: WorkerProcess,
    client: httpx.AsyncClient,
    document: dict[str, Any],
) -> None:
    response = await client.get(f"{guarded_worker.url}{route}")
    assert response.status_code == 200
    check_answer(document, route, response)


async def test_the_worker_serves_the_committed_document(
    worker: WorkerProcess, client: httpx.AsyncClient
) -> None:
    response = await client.get(f"{worker.url}/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.content == DOCUMENT.read_bytes()


async def test_every_described_route_answers_as_described(
    worker: WorkerProcess,
    guarded_worker: WorkerProcess,
    seeded: Seeded,
    client: httpx.AsyncClient,
    document: dict[str, Any],
) -> None:
    for route in document["paths"]:
        path = route.replace("{account_id}", seeded.accounts[0])
        for base, headers in ((worker.url, {}), (guarded_worker.url, AUTH)):
            response = await client.get(f"{base}{path}", headers=headers)
            assert response.status_code == 200, f"{base}{path}: {response.text}"
            check_answer(document, route, response)
