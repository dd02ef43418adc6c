"""The records of `health.population`: one account's contribution to the population.

Key: the account id (UTF-8), so the compacted topic keeps each account's
latest record. Value: compact JSON of the account's segment (null for none)
and, per ranked factor ("component.factor"), the bin its measure falls in
(models.population's fixed log-spaced bins, 0-97):

    {"v":1,"segment":"smb","bins":{"engagement.activity":61,"engagement.active_users":48}}

Bins rather than measures: a worker publishes only when a bin or the segment
changes, and every reader counts exactly what the publisher counted. `v`
names the bin layout; a reader skips records of a layout it does not know.
A tombstone (no value) takes the account out of the population.
"""

from __future__ import annotations

from typing import Any

import orjson

from models.population import ALL, SLOTS, Contribution

LAYOUT = 1
# Longer segment names or factor keys are not ours: the record is skipped.
MAX_NAME = 200


def encode_contribution(contribution: Contribution | None) -> bytes | None:
    """The record value of a contribution; None (a tombstone) for none or no bins."""
    if contribution is None or not contribution[1]:
        return None
    segment, bins = contribution
    return orjson.dumps(
        {"v": LAYOUT, "segment": segment if segment != ALL else None, "bins": dict(bins)}
    )


def decode_contribution(value: bytes) -> Contribution | None:
    """The contribution a record value carries; None when it is not one we can use."""
    try:
        data: Any = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict) or data.get("v") != LAYOUT:
        return None
    segment = data.get("segment")
    bins = data.get("bins")
    if not (segment is None or (isinstance(segment, str) and len(segment) <= MAX_NAME)):
        return None
    if not isinstance(bins, dict) or not bins:
        return None
    pairs = []
    for factor, slot in bins.items():
        if len(factor) > MAX_NAME or type(slot) is not int or not 0 <= slot < SLOTS:
            return None
        pairs.append((factor, slot))
    return (segment or ALL, tuple(sorted(pairs)))
