"""Slack incoming webhook: Block Kit payloads within Slack's limits, against a real receiver."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, SectionBlock

from models.alerting.event import AlertEvent, AlertStatus
from sinks.exceptions import PermanentDeliveryError, RetryableDeliveryError
from sinks.rate_limit import TokenBucket
from sinks.slack import SlackSink, build_message
from tests.integration.alert_samples import churned_resolve, opportunity_alert, sample_alert
from tests.integration.sink_receiver import Receiver, Reply

WEBHOOK_PATH = "/services/T0000/B0000/s3cr3tT0k3nXYZ"
LINK_BASE = "https://hs.example.com"


def sink(client: httpx.AsyncClient, receiver: Receiver) -> SlackSink:
    return SlackSink(
        client,
        SecretStr(receiver.url + WEBHOOK_PATH),
        account_url_base=LINK_BASE,
        rate_limiter=TokenBucket(rate=1000, burst=100),
    )


def check_slack_limits(message: dict[str, Any]) -> list[Block]:
    assert message["text"]
    assert 0 < len(message["blocks"]) <= 50
    parsed = [Block.parse(block) for block in message["blocks"]]
    for block in parsed:
        assert block is not None
        block.validate_json()  # slack_sdk raises on any limit it knows
        if isinstance(block, HeaderBlock):
            assert block.text is not None and len(block.text.text) <= 150
        if isinstance(block, SectionBlock):
            assert block.text is None or len(block.text.text) <= 3000
            assert len(block.fields or []) <= 10
            assert all(len(field.text) <= 2000 for field in block.fields or [])
        if isinstance(block, ContextBlock):
            assert len(block.elements) <= 10
    return [block for block in parsed if block is not None]


@pytest.mark.parametrize(
    "alert",
    [
        sample_alert(),
        sample_alert(AlertStatus.REPEATED),
        sample_alert(AlertStatus.RESOLVED),
        churned_resolve(),
        opportunity_alert(),
        opportunity_alert(AlertStatus.RESOLVED),
        sample_alert(huge=True),
        sample_alert(drivers=[], name=None, arr=None, renewal_date=None, csm_owner=None),
    ],
)
def test_messages_are_valid_block_kit_within_limits(alert: AlertEvent) -> None:
    check_slack_limits(build_message(alert, LINK_BASE))


def test_message_shows_score_band_drivers_arr_renewal_owner_and_a_mrkdwn_link() -> None:
    message = build_message(sample_alert(), LINK_BASE)
    blocks = message["blocks"]
    assert blocks[0]["type"] == "header"
    assert "Acme & Sons <Corp>" in blocks[0]["text"]["text"]  # plain_text: no escaping
    flat = repr(blocks)
    assert "35 (▼ 36 from 71)" in flat
    assert "at risk → critical" in flat
    assert "$250,000" in flat
    assert "2025-04-15 (in 45 days)" in flat
    assert "dana@example.com" in flat
    assert "No login by the champion for 23 days (-14)" in flat
    assert "3 urgent tickets opened this week &lt;b&gt;&amp;" in flat
    assert "NPS +40" not in flat  # positive drivers are not why the alert fired
    assert "<https://hs.example.com/accounts/acme-42|Open account>" in flat
    assert all(block["type"] != "actions" for block in blocks)
    assert message["text"].startswith("[CRITICAL] Acme &amp; Sons &lt;Corp&gt;: ")


async def test_posts_the_message_and_accepts_ok(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    alert = sample_alert()
    await sink(client, receiver).send(alert)
    [request] = receiver.requests
    assert (request.method, request.path) == ("POST", WEBHOOK_PATH)
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == build_message(alert, LINK_BASE)
    check_slack_limits(request.json())


async def test_a_resolve_is_a_new_message(client: httpx.AsyncClient, receiver: Receiver) -> None:
    slack = sink(client, receiver)
    await slack.send(sample_alert())
    await slack.send(sample_alert(AlertStatus.RESOLVED))
    firing, resolved = (r.json() for r in receiver.requests)
    assert firing != resolved
    assert resolved["blocks"][0]["text"]["text"].startswith(":white_check_mark: Resolved: ")


def test_a_churned_resolve_reads_as_churned_not_as_its_band() -> None:
    message = build_message(churned_resolve(), LINK_BASE)
    check_slack_limits(message)
    blocks = message["blocks"]
    assert blocks[0]["text"]["text"] == ":no_entry: Churned: Acme & Sons <Corp>"
    assert "churned (250,000 ARR lost) and has left the active portfolio" in repr(blocks[1])
    fields = {f["text"].split("\n")[0]: f["text"].split("\n")[1] for f in blocks[2]["fields"]}
    assert fields["*Band*"] == "churned"
    assert fields["*Status*"] == "resolved (churned)"
    assert [label for label, value in fields.items() if "critical" in value] == ["*Severity*"]


@pytest.mark.parametrize(
    ("reply", "error", "status"),
    [
        (Reply(404, "channel_not_found"), PermanentDeliveryError, 404),
        (Reply(410, "channel_is_archived"), PermanentDeliveryError, 410),
        (Reply(400, "invalid_payload"), PermanentDeliveryError, 400),
        (Reply(200, "something_else"), PermanentDeliveryError, 200),
        (Reply(500, "oops"), RetryableDeliveryError, 500),
    ],
)
async def test_errors_are_typed_and_never_show_the_webhook_url(
    client: httpx.AsyncClient,
    receiver: Receiver,
    reply: Reply,
    error: type[Exception],
    status: int,
) -> None:
    receiver.script(reply)
    slack = sink(client, receiver)
    with pytest.raises(error) as raised:
        await slack.send(sample_alert())
    assert raised.value.status == status  # type: ignore[attr-defined]
    for text in (str(raised.value), repr(raised.value), repr(slack)):
        assert "s3cr3tT0k3nXYZ" not in text
        assert WEBHOOK_PATH not in text


async def test_429_is_retryable_with_retry_after(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.script(Reply(429, "rate_limited", {"Retry-After": "7"}))
    with pytest.raises(RetryableDeliveryError) as raised:
        await sink(client, receiver).send(sample_alert())
    assert (raised.value.status, raised.value.retry_after) == (429, 7.0)


async def test_secret_in_the_response_body_is_redacted(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.script(Reply(400, f"bad request to {receiver.url}{WEBHOOK_PATH}"))
    with pytest.raises(PermanentDeliveryError) as raised:
        await sink(client, receiver).send(sample_alert())
    assert "s3cr3tT0k3nXYZ" not in str(raised.value)
    assert "[redacted]" in str(raised.value)


def test_an_expansion_opportunity_reads_as_good_news_with_its_growth_signals() -> None:
    message = build_message(opportunity_alert(), LINK_BASE)
    blocks = message["blocks"]
    assert blocks[0]["text"]["text"] == ":seedling: Acme & Sons <Corp>: expansion opportunity"
    assert message["text"].startswith("[OPPORTUNITY] Acme &amp; Sons &lt;Corp&gt;: Acme &amp;")
    assert "is an expansion candidate: growth strength 80 of 100" in message["text"]
    fields = [field["text"] for field in blocks[2]["fields"]]
    assert fields[0] == "*Growth*\n80 of 100"
    assert "*Severity*\ninfo" in fields
    signals = blocks[3]["text"]["text"]
    assert signals.splitlines() == [
        "*Growth signals*",
        "• Active users up from 40 to 52 (+30%): the last 14 days against the 14 before (+30)",
        "• 1 promoter among decision-makers (1 business executive), no detractor (+30)",
        "• Renewal in 45 days: the moment to propose more (+20)",
    ]
    assert "Top drivers" not in repr(blocks)
    resolved = build_message(opportunity_alert(AlertStatus.RESOLVED), LINK_BASE)["blocks"]
    assert resolved[0]["text"]["text"] == ":white_check_mark: Resolved: Acme & Sons <Corp>"
