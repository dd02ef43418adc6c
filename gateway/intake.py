"""Taking a request in: content type, size limit, JSON, bearer token.

Each check raises the gateway rejection its failure is answered with; none
reads more of the body than the size limit allows.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

import orjson
from aiohttp import web

from gateway.rejections import InvalidJson, TooLarge, UnsupportedMediaType
from gateway.source import Unauthorized

_DETAIL_LIMIT = 300
# Content-Type values already accepted: senders repeat theirs on every request.
_ACCEPTED_TYPES: set[str] = set()
_ACCEPTED_TYPES_KEPT = 64


def check_content_type(headers: Mapping[str, str]) -> None:
    """Accept JSON (`application/json`, `application/*+json`), in UTF-8; a request
    without a Content-Type is read as JSON too. Raise UnsupportedMediaType otherwise."""
    given = headers.get("Content-Type")
    if given is None or given in _ACCEPTED_TYPES:
        return
    media_type, _, parameters = given.partition(";")
    media_type = media_type.strip().lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        raise UnsupportedMediaType(
            f"Content-Type {_clip(media_type) or '(empty)'!r} is not JSON: send application/json"
        )
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in ("utf-8", "utf8"):
            raise UnsupportedMediaType(f"charset {_clip(charset)!r}: JSON must be UTF-8")
    if len(_ACCEPTED_TYPES) < _ACCEPTED_TYPES_KEPT:
        _ACCEPTED_TYPES.add(given)


async def read_body(request: web.Request, limit: int) -> bytes:
    """The raw body, at most `limit` bytes: a declared Content-Length over it is
    refused before reading, a longer (chunked) body as soon as it passes it."""
    declared = request.content_length
    if declared is not None:
        if declared > limit:
            raise TooLarge(f"body of {declared:,} bytes, over the {limit:,}-byte limit")
        if request.client_max_size == limit:
            # aiohttp's own reader, held to the same limit (counted after any
            # Content-Encoding is undone, as below).
            try:
                return await request.read()
            except web.HTTPRequestEntityTooLarge:
                raise TooLarge(f"body over the {limit:,}-byte limit") from None
    chunks = []
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"body over the {limit:,}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(body: bytes) -> object:
    """The body as JSON; InvalidJson says why not (empty, not UTF-8, too deep, …)."""
    if not body.strip():
        raise InvalidJson("the body is empty: send a JSON document")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidJson(f"the body is not valid JSON: {_clip(str(exc))}") from None


def check_bearer(headers: Mapping[str, str], token: bytes) -> None:
    """Raise Unauthorized unless `Authorization: Bearer <token>` (compared in constant time)."""
    scheme, _, given = headers.get("Authorization", "").partition(" ")
    # compare_digest on the whole candidate: its time depends on the length, not the content.
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode("utf-8", "replace"), token
    ):
        raise Unauthorized("missing or wrong bearer token (Authorization: Bearer <token>)")


def _clip(text: str) -> str:
    return text if len(text) <= _DETAIL_LIMIT else text[: _DETAIL_LIMIT - 1] + "…"
