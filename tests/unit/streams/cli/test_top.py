"""`healthscore top`: churned accounts apart from the bands and never among the worst,
resurrected ones counted apart and marked, the resurrection figures in one line."""

from __future__ import annotations

import httpx
from rich.console import Console

from streams.api.bodies import AccountList, AccountQuery
from streams.cli.top import render
from tests.unit.streams.api.test_lifecycle_answers import local_reader


async def answers() -> dict[str, bytes]:
    reader = local_reader()
    worst = AccountList(accounts=await reader.accounts(AccountQuery.parse({"limit": "15"})))
    return {
        "/portfolio": (await reader.portfolio()).model_dump_json().encode(),
        "/portfolio/lifecycle": (await reader.lifecycle()).model_dump_json().encode(),
        "/accounts": worst.model_dump_json().encode(),
    }


def shown(bodies: dict[str, bytes]) -> str:
    def handler(request: httpx.Request) -> httpx.Response:
        body = bodies.get(request.url.path)
        return httpx.Response(404) if body is None else httpx.Response(200, content=body)

    client = httpx.Client(base_url="http://worker", transport=httpx.MockTransport(handler))
    console = Console(record=True, width=160, color_system=None)
    console.print(render(client, 15))
    return console.export_text()


async def test_top_shows_churned_and_resurrected_apart_from_the_bands() -> None:
    text = shown(await answers())
    rows = {
        cells[0]: cells[1:]
        for line in text.splitlines()
        if len(cells := [cell.strip() for cell in line.split("│")[1:-1]]) == 3
    }
    assert "Portfolio — 4 active accounts" in text
    assert rows["churned (ARR lost)"] == ["3", "$36k"]
    assert rows["resurrected ↺ (in the bands)"] == ["2", "$30k"]
    assert sum(int(rows[band][0]) for band in ("healthy", "at_risk", "critical")) == 4
    assert "6 churns: 50% resurrected ($34k won back), 1 churned again within 90 days" in text


async def test_the_worst_accounts_leave_churned_ones_out_and_mark_resurrected_ones() -> None:
    text = shown(await answers())
    worst = text[text.index("Worst accounts") :]
    for churned in ("Gone", "Boomerang", "Slow Return"):
        assert churned not in worst
    assert "Won Back ↺" in worst and "Returning Users ↺" in worst
    assert "Steady ↺" not in worst and "Steady" in worst


async def test_a_worker_without_the_lifecycle_route_still_shows_its_portfolio() -> None:
    bodies = await answers()
    del bodies["/portfolio/lifecycle"]
    text = shown(bodies)
    assert "Portfolio — 4 active accounts" in text and "churns:" not in text
