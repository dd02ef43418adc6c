"""`healthscore demo --gateway URL`: renewals and tickets sent as signed vendor webhooks.

`split(events)` takes out of a batch of demo events the renewals a Stripe
event expresses and every ticket (streams/demo/webhooks.py); the rest is
produced to Kafka directly, as without --gateway.

`GatewaySender.submit(webhooks)` queues them and returns: one request per
webhook, as the vendors send them, to `POST {url}/v1/sources/{stripe|zendesk}`,
signed as the vendor signs (gateway.signatures) with the secrets of
HS_GATEWAY_STRIPE_SECRET and HS_GATEWAY_ZENDESK_SECRET. Each account's
webhooks are posted in the order submitted, across submits, up to
`concurrency` requests at a time, while the demo goes on; `drain()` waits
for all of them. Each answer:

- 202 with one event accepted: done.
- 429, 502, 503, 504 or no answer at all (refused, reset, timed out): sent
  again after `Retry-After` or a backoff doubling from 0.5 s to 10 s,
  signed afresh (the vendors' signatures carry a timestamp), for as long as
  it takes: nothing is lost. A repeat has the same event id, which the
  workers drop.
- anything else (a 4xx, a 500, or a 202 that mapped no event): GatewayRefused,
  raised by the next `submit` or `drain`, and the demo stops: its payload
  does not map, a bug not to be hidden. Nothing more is posted once one is
  refused.
"""

from __future__ import annotations

import asyncio
import functools
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import orjson

from gateway.signatures import sign_stripe, sign_zendesk
from models.exceptions import HealthscoreError
from streams.demo.company import Events
from streams.demo.webhooks import stripe_event, zendesk_trigger
from streams.settings import Settings

RETRIED = frozenset({429, 502, 503, 504})
FIRST_BACKOFF, LONGEST_BACKOFF = 0.5, 10.0
# Requests in flight at once. httpx's cost per request grows with its pool, and the
# demo shares the machine with the gateway and Kafka: a dozen posts the most per second.
CONCURRENCY = 12


class DemoGatewayError(HealthscoreError):
    """`demo --gateway` cannot go on; the message says why in one line."""


class GatewayRefused(DemoGatewayError):
    """The gateway refused one of the demo's webhooks, or mapped it to no event."""


@dataclass(frozen=True)
class Webhook:
    source: str  # "stripe" or "zendesk": the gateway's source name
    account_id: str
    body: bytes


@dataclass(frozen=True)
class VendorSecrets:
    stripe: tuple[bytes, ...]
    zendesk: bytes

    @classmethod
    def from_settings(cls, settings: Settings) -> VendorSecrets:
        """The secrets the gateway checks (comma-separated while rotated);
        DemoGatewayError naming the variables when one is not set."""
        parts = {
            name: _parts(secret.get_secret_value() if secret else "")
            for name, secret in (
                ("HS_GATEWAY_STRIPE_SECRET", settings.gateway_stripe_secret),
                ("HS_GATEWAY_ZENDESK_SECRET", settings.gateway_zendesk_secret),
            )
        }
        missing = [name for name, found in parts.items() if not found]
        if missing:
            raise DemoGatewayError(
                "demo --gateway signs its webhooks with the gateway's signing secrets: "
                f"set {' and '.join(missing)}"
            )
        return cls(parts["HS_GATEWAY_STRIPE_SECRET"], parts["HS_GATEWAY_ZENDESK_SECRET"][0])


def _parts(text: str) -> tuple[bytes, ...]:
    return tuple(part.strip().encode() for part in text.split(",") if part.strip())


def split(events: Events) -> tuple[list[Webhook], Events]:
    """The webhooks to send for `events`, in their order, and the events left for Kafka."""
    webhooks: list[Webhook] = []
    rest: Events = {topic: list(items) for topic, items in events.items()}
    kept = []
    for event in rest.get("renewals", []):
        document = stripe_event(event)
        if document is None:
            kept.append(event)
        else:
            webhooks.append(Webhook("stripe", event["account_id"], orjson.dumps(document)))
    if "renewals" in rest:
        rest["renewals"] = kept
    for event in rest.pop("tickets", []):
        body = orjson.dumps(zendesk_trigger(event))
        webhooks.append(Webhook("zendesk", event["account_id"], body))
    return webhooks, rest


class GatewaySender:
    def __init__(
        self,
        client: httpx.AsyncClient,
        url: str,
        secrets: VendorSecrets,
        *,
        concurrency: int = CONCURRENCY,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._client = client
        self._url = url.rstrip("/")
        self._secrets = secrets
        self._clock = clock
        self._sleep = sleep
        self._unavailable = False  # said once per outage, not once per request
        self._slots = asyncio.Semaphore(concurrency)
        # Each account's last queued chain of webhooks: the next waits for it.
        self._tails: dict[str, asyncio.Task[None]] = {}
        self._failure: BaseException | None = None
        self.retries = 0

    def submit(self, webhooks: Sequence[Webhook]) -> int:
        """Queue the webhooks behind their accounts' earlier ones and return at once (the
        demo goes on producing); raise the refusal that stopped an earlier one."""
        self._raise_failure()
        per_account: dict[str, list[Webhook]] = {}
        for webhook in webhooks:
            per_account.setdefault(webhook.account_id, []).append(webhook)
        for account, hooks in per_account.items():
            task = asyncio.create_task(self._in_order(self._tails.get(account), hooks))
            self._tails[account] = task
            task.add_done_callback(functools.partial(self._finished, account))
        return len(webhooks)

    async def drain(self) -> None:
        """Wait until every webhook submitted is accepted; raise the first refusal."""
        while self._tails:
            await asyncio.wait(list(self._tails.values()))
        self._raise_failure()

    async def send(self, webhooks: Sequence[Webhook]) -> int:
        """Post every webhook; the number of events the gateway accepted."""
        sent = self.submit(webhooks)
        await self.drain()
        return sent

    async def _in_order(self, before: asyncio.Task[None] | None, hooks: list[Webhook]) -> None:
        if before is not None:
            await asyncio.wait([before])
        for hook in hooks:
            async with self._slots:
                if self._failure is not None:
                    return  # the demo is stopping
                await self._post(hook)

    def _finished(self, account: str, task: asyncio.Task[None]) -> None:
        if self._tails.get(account) is task:
            del self._tails[account]
        if not task.cancelled() and task.exception() is not None and self._failure is None:
            self._failure = task.exception()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def _headers(self, webhook: Webhook) -> dict[str, str]:
        now = self._clock()
        headers = {"Content-Type": "application/json"}
        if webhook.source == "stripe":
            return headers | sign_stripe(webhook.body, self._secrets.stripe, int(now))
        stamp = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return headers | sign_zendesk(webhook.body, self._secrets.zendesk, stamp)

    async def _post(self, webhook: Webhook) -> None:
        url = f"{self._url}/v1/sources/{webhook.source}"
        backoff = FIRST_BACKOFF
        while True:
            try:
                reply = await self._client.post(
                    url, content=webhook.body, headers=self._headers(webhook)
                )
            except httpx.TransportError as exc:
                wait, why = backoff, f"no answer ({type(exc).__name__})"
            else:
                if reply.status_code not in RETRIED:
                    self._accepted(webhook, reply)
                    return
                wait = _retry_after(reply) or backoff
                why = f"{reply.status_code} {_detail(reply)}"
            if not self._unavailable:
                self._unavailable = True
                print(
                    f"\ndemo: the gateway is unavailable ({why}); sending again until it answers",
                    file=sys.stderr,
                )
            self.retries += 1
            await self._sleep(wait)
            backoff = min(backoff * 2, LONGEST_BACKOFF)

    def _accepted(self, webhook: Webhook, reply: httpx.Response) -> None:
        what = f"a {webhook.source} webhook of account {webhook.account_id}"
        if reply.status_code != 202:
            hint = (
                " (do the gateway and the demo have the same HS_GATEWAY_*_SECRET?)"
                if reply.status_code == 401
                else ""
            )
            raise GatewayRefused(
                f"the gateway refused {what} with {reply.status_code}: {_detail(reply)}{hint}"
            )
        try:
            counts = orjson.loads(reply.content)
        except orjson.JSONDecodeError:
            counts = None
        if not isinstance(counts, dict) or counts.get("accepted") != 1 or counts.get("ignored"):
            raise GatewayRefused(
                f"the gateway mapped {what} to no event ({reply.text[:200]}): the demo's "
                "payload and the gateway's config disagree"
            )
        if self._unavailable:
            self._unavailable = False
            print("\ndemo: the gateway answers again", file=sys.stderr)


def _retry_after(reply: httpx.Response) -> float | None:
    value = reply.headers.get("Retry-After", "")
    try:
        seconds = float(value)
    except ValueError:
        return None
    return min(max(seconds, 0.0), LONGEST_BACKOFF * 6)


def _detail(reply: httpx.Response) -> str:
    try:
        body = orjson.loads(reply.content)
    except orjson.JSONDecodeError:
        return reply.text[:300] or reply.reason_phrase
    if isinstance(body, dict) and "detail" in body:
        return f"{body.get('error', 'error')}: {str(body['detail'])[:300]}"
    return reply.text[:300]
