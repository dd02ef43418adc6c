"""Read a YAML file into a pydantic model, reporting every problem with its line and field."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def parse_yaml_text(text: str, cls: type[M], source: str) -> tuple[M | None, list[str]]:
    """Validate YAML `text` as `cls`: the model, or None and one message per problem.

    Messages read `source:LINE: dotted.field: what is wrong`, where LINE is the
    1-based line of the deepest YAML node the pydantic error path still matches
    (for a missing field, the mapping that should have held it).
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = exc.problem or exc.context or "unreadable YAML"
        return None, [f"{where}: YAML syntax error: {problem}"]
    except yaml.YAMLError as exc:
        return None, [f"{source}: YAML error: {exc}"]
    if root is None or data is None:
        return None, [f"{source}:1: the file is empty"]
    if not isinstance(data, dict):
        return None, [f"{source}:{root.start_mark.line + 1}: the top level must be a mapping"]
    try:
        return cls.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False, include_input=False):
            loc = error["loc"]
            field = ".".join(str(part) for part in loc) or "(top level)"
            line = _line_of(root, loc)
            problems.append(f"{source}:{line}: {field}: {_message(error['msg'])}")
        return None, problems


def read_yaml_file(path: str, cls: type[M]) -> tuple[M | None, list[str]]:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        return None, [f"{path}: cannot read the file: {exc.strerror or exc}"]
    except UnicodeDecodeError as exc:
        return None, [f"{path}: not UTF-8 text ({exc.reason})"]
    return parse_yaml_text(text, cls, path)


def _line_of(root: yaml.Node, loc: Sequence[int | str]) -> int:
    node = root
    line = root.start_mark.line + 1
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    line = key.start_mark.line + 1
                    child = value
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            # Pydantic inserts steps of its own (e.g. "[key]", validator names): skip them.
            continue
        node = child
    return line


def _message(msg: str) -> str:
    prefix = "Value error, "
    return msg[len(prefix) :] if msg.startswith(prefix) else msg
