"""The gateway's own refusals, beside the sources' (gateway.source).

    HealthscoreError
    ├── GatewayRejection            a request refused, nothing of it produced (4xx)
    │   ├── Unauthorized            401  (gateway.source)
    │   ├── Unmappable              400  (gateway.source)
    │   ├── InvalidJson             400  the body is not JSON (or not UTF-8)
    │   ├── InvalidEvents           400  own events that fail the contract's validation
    │   ├── NotFound                404  no such source, topic or route, or a route that is off
    │   ├── MethodNotAllowed        405  a route asked with a method it does not serve
    │   ├── TooLarge                413  over HS_GATEWAY_MAX_BODY_BYTES
    │   └── UnsupportedMediaType    415  a content type that is not JSON
    └── KafkaUnavailable            503  Kafka did not acknowledge in time: retry later

Each carries the HTTP status and the `outcome` label it is counted under in
`healthscore_gateway_requests_total`.
"""

from __future__ import annotations

from gateway.source import GatewayRejection
from models.exceptions import HealthscoreError


class InvalidJson(GatewayRejection):
    status = 400
    outcome = "invalid_json"


class InvalidEvents(GatewayRejection):
    status = 400
    outcome = "invalid"


class NotFound(GatewayRejection):
    status = 404
    outcome = "not_found"


class MethodNotAllowed(GatewayRejection):
    status = 405
    outcome = "method_not_allowed"

    def __init__(self, message: str, allow: str) -> None:
        super().__init__(message)
        self.allow = allow  # the Allow header: the path's methods, as aiohttp lists them


class TooLarge(GatewayRejection):
    status = 413
    outcome = "too_large"


class UnsupportedMediaType(GatewayRejection):
    status = 415
    outcome = "unsupported_media_type"


class KafkaUnavailable(HealthscoreError):
    """Kafka is unreachable, or did not acknowledge every message in time.

    Some of the request's events may have reached Kafka all the same: a client
    retrying the request produces them again, and their event ids make the
    workers ignore the repeats.
    """

    status = 503
    outcome = "unavailable"
