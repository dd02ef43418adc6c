"""`healthscore top`: a live terminal view of the portfolio and the worst accounts.

Churned accounts have left the active portfolio: they are a row of their own
(with the ARR they lost), never in a band or among the worst accounts.
Resurrected accounts are in the bands, counted apart too, and marked ↺.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
from pydantic import SecretStr
from rich.console import Console, Group, JustifyMethod
from rich.live import Live
from rich.table import Table
from rich.text import Text

BAND_STYLE = {"healthy": "green", "at_risk": "yellow", "critical": "red"}
BANDS = ("healthy", "at_risk", "critical")
RESURRECTED_MARK = " ↺"


def _money(value: float | None) -> str:
    if not value:
        return "-"
    return f"${value / 1e6:.1f}M" if value >= 1e6 else f"${value / 1e3:.0f}k"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def lifecycle_caption(lifecycle: dict[str, Any] | None) -> str | None:
    """One line of churn and resurrection figures, all time."""
    if not lifecycle:
        return None
    figures = lifecycle["all_time"]
    return (
        f"{figures['churns']} churns: {_percent(figures['resurrection_rate'])} resurrected "
        f"({_money(figures['arr_won_back'])} won back), {figures['rechurned']} churned again "
        f"within {lifecycle['rechurn_within_days']} days"
    )


def portfolio_table(portfolio: dict[str, Any], lifecycle: dict[str, Any] | None = None) -> Table:
    table = Table(
        title=f"Portfolio — {portfolio.get('accounts', 0)} active accounts",
        caption=lifecycle_caption(lifecycle),
        expand=True,
    )
    table.add_column("band")
    table.add_column("accounts", justify="right")
    table.add_column("ARR", justify="right")
    for band in BANDS:
        cell = portfolio.get("bands", {}).get(band, {"accounts": 0, "arr": 0.0})
        table.add_row(
            Text(band, style=BAND_STYLE[band]), str(cell["accounts"]), _money(cell["arr"])
        )
    table.add_section()
    back = portfolio.get("resurrected", {"accounts": 0, "arr": 0.0})
    table.add_row(
        Text(f"resurrected{RESURRECTED_MARK} (in the bands)", style="cyan"),
        str(back["accounts"]),
        _money(back["arr"]),
    )
    gone = portfolio.get("churned", {"accounts": 0, "arr_lost": 0.0})
    table.add_row(
        Text("churned (ARR lost)", style="magenta"),
        str(gone["accounts"]),
        _money(gone["arr_lost"]),
    )
    return table


def worst_table(accounts: list[dict[str, Any]]) -> Table:
    table = Table(title="Worst accounts", expand=True)
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("account", "left"),
        ("score", "right"),
        ("band", "left"),
        ("ARR", "right"),
        ("renewal", "left"),
        ("owner", "left"),
        ("why", "left"),
    )
    for column, justify in columns:
        table.add_column(
            column,
            justify=justify,
            no_wrap=True,
            overflow="ellipsis",
            ratio=3 if column == "why" else None,
        )
    for row in accounts:
        drivers = [d for d in row.get("drivers") or [] if d.get("impact", 0) < 0]
        why = drivers[0]["text"] if drivers else ""
        band = row.get("band", "")
        back = (row.get("lifecycle") or {}).get("status") == "resurrected"
        table.add_row(
            (row.get("name") or row["account_id"]) + (RESURRECTED_MARK if back else ""),
            f"{row['score']:.0f}",
            Text(band, style=BAND_STYLE.get(band, "")),
            _money(row.get("arr")),
            row.get("renewal_date") or "-",
            row.get("csm_owner") or "-",
            why,
        )
    return table


def render(client: httpx.Client, limit: int) -> Group:
    try:
        portfolio = client.get("/portfolio").raise_for_status().json()
        # A worker from before lifecycles has no such route: the caption is left out.
        found = client.get("/portfolio/lifecycle")
        lifecycle = None if found.status_code == 404 else found.raise_for_status().json()
        # The worst accounts of the active portfolio: churned ones are not listed.
        worst = client.get("/accounts", params={"limit": limit}).raise_for_status().json()
    except httpx.HTTPError as exc:
        return Group(Text(f"waiting for the worker at {client.base_url} ({exc})", style="dim"))
    stamp = Text(
        time.strftime(f"updated %H:%M:%S —{RESURRECTED_MARK} resurrected — Ctrl-C to quit"),
        style="dim",
    )
    return Group(portfolio_table(portfolio, lifecycle), worst_table(worst["accounts"]), stamp)


def run_top(
    url: str,
    *,
    once: bool = False,
    token: SecretStr | None = None,
    limit: int = 15,
    interval: float = 2.0,
) -> int:
    headers = {"Authorization": f"Bearer {token.get_secret_value()}"} if token else {}
    console = Console()
    with httpx.Client(base_url=url, headers=headers, timeout=5.0) as client:
        if once:
            console.print(render(client, limit))
            return 0
        try:
            with Live(
                render(client, limit), console=console, refresh_per_second=1, screen=False
            ) as live:
                while True:
                    time.sleep(interval)
                    live.update(render(client, limit))
        except KeyboardInterrupt:
            return 0
