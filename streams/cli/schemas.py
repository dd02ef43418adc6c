"""`healthscore schemas`: JSON Schemas of the input events, for producers in any language."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from models.events import MAX_BATCH_EVENTS, TOPIC_EVENTS

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def topic_schema(topic: str, strict_fields: bool = False) -> dict[str, Any]:
    """A message value of `topic`: one event object, or a batch array of them.

    Fields the contract does not name are allowed (the service ignores them) unless
    `strict_fields`: the schema of a service run with HS_STRICT_FIELDS=true.
    """
    event = TOPIC_EVENTS[topic].model_json_schema(mode="validation")
    defs = event.pop("$defs", {})
    event["additionalProperties"] = strict_fields is False
    if strict_fields:
        fields = "Fields not named here are rejected (HS_STRICT_FIELDS=true)."
    else:
        fields = (
            "Fields not named here are ignored, and the events carrying them counted "
            "(rejected instead when the service runs with HS_STRICT_FIELDS=true)."
        )
    event["description"] = f"{event.get('description', '')} {fields}".lstrip()
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": f"https://healthscore.dev/schemas/{topic}.json",
        "title": f"{topic} message",
        "description": f"A `{topic}` message value: one event, or an array of up to "
        f"{MAX_BATCH_EVENTS} events. Key the message by account_id.",
        "oneOf": [
            {"$ref": "#/$defs/event"},
            {
                "type": "array",
                "items": {"$ref": "#/$defs/event"},
                "minItems": 1,
                "maxItems": MAX_BATCH_EVENTS,
            },
        ],
        "$defs": {**defs, "event": event},
    }


def render_schemas(strict_fields: bool = False) -> dict[str, str]:
    """File name -> file text, for every input topic."""
    return {
        f"{topic}.json": json.dumps(topic_schema(topic, strict_fields), indent=2, sort_keys=True)
        + "\n"
        for topic in TOPIC_EVENTS
    }


def write_schemas(folder: str | Path, strict_fields: bool = False) -> list[Path]:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_schemas(strict_fields).items():
        path = out / name
        path.write_text(text)
        written.append(path)
    return written
