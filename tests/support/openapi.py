"""Check HTTP answers against docs/openapi.json with jsonschema (OpenAPI 3.1 = JSON Schema 2020-12).

Strict: every object in an answer must carry exactly the properties the
document lists, so an answer with an extra or a missing field fails.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
from jsonschema import Draft202012Validator

from streams.api.openapi import DOCUMENT


def load_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DOCUMENT.read_text())
    return document


def _closed(node: Any) -> None:
    if isinstance(node, dict):
        if "properties" in node:
            node["additionalProperties"] = False
        for value in node.values():
            _closed(value)
    elif isinstance(node, list):
        for value in node:
            _closed(value)


def schema_validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """A validator of `schema` whose `#/components/...` references resolve in `document`."""
    components = copy.deepcopy(document["components"])
    _closed(components)
    root = {**schema, "components": components}
    return Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)


def component_validator(document: dict[str, Any], name: str) -> Draft202012Validator:
    return schema_validator(document, {"$ref": f"#/components/schemas/{name}"})


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def check_answer(document: dict[str, Any], route: str, response: httpx.Response) -> Any:
    """Assert `response` to `GET route` is one the document lists; return its JSON body."""
    operation = document["paths"][route]["get"]
    responses = operation["responses"]
    status = str(response.status_code)
    assert status in responses, f"GET {route} answered {status}, not in {sorted(responses)}"
    described = _resolve(document, responses[status])
    media_type = response.headers["content-type"].split(";")[0].strip()
    assert media_type in described["content"], f"GET {route} {status}: {media_type}"
    schema = described["content"][media_type]["schema"]
    if media_type != "application/json":
        return response.text
    body = response.json()
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in schema_validator(document, schema).iter_errors(body)
    ]
    assert not errors, f"GET {route} {status} does not match docs/openapi.json:\n" + "\n".join(
        errors
    )
    for name, header in described.get("headers", {}).items():
        assert name in response.headers, f"GET {route} {status}: no {name} header"
        schema_validator(document, header["schema"]).validate(response.headers[name])
    return body
