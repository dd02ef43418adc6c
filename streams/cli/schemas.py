"""`healthscore schemas`: JSON Schemas of the input events, for producers in any language."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from models.events import MAX_BATCH_EVENTS, TOPIC_EVENTS

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def topic_schema(topic: str) -> dict[str, Any]:
    """A message value of `topic`: one event object, or a batch array of them."""
    event = TOPIC_EVENTS[topic].model_json_schema(mode="validation")
    defs = event.pop("$defs", {})
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


def render_schemas() -> dict[str, str]:
    """File name -> file text, for every input topic."""
    return {
        f"{topic}.json": json.dumps(topic_schema(topic), indent=2, sort_keys=True) + "\n"
        for topic in TOPIC_EVENTS
    }


def write_schemas(folder: str | Path) -> list[Path]:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_schemas().items():
        path = out / name
        path.write_text(text)
        written.append(path)
    return written
