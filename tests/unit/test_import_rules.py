"""The import rules the package docstrings state, checked on the source (`ast`, no imports run).

models ← sinks ← streams: no import runs back up. Inside streams, the engine knows
nothing of scores, the API and the topology never reach the command line, and the
worker never loads the backtest, the fitter or scikit-learn. The gateway is a
service of its own: it uses models and streams' settings, topics and Kafka client,
and nothing of the worker; only the command line starts it, and only the demo
borrows its vendor signatures.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = ("models", "streams", "sinks", "gateway", "bench", "tests")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in ("models", "streams", "sinks", "gateway")
        for path in sorted((ROOT / package).rglob("*.py"))
    }


@cache
def _imports(module: str) -> frozenset[str]:
    """Every module of ours `module` imports, at the top or inside a function."""
    tree = ast.parse(_modules()[module].read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from package import module` imports the module too.
            found.update(
                f"{node.module}.{alias.name}"
                for alias in node.names
                if f"{node.module}.{alias.name}" in _modules()
            )
    return frozenset(name for name in found if name.split(".")[0] in OURS or name == "sklearn")


def _within(name: str, packages: Iterable[str]) -> bool:
    return any(name == package or name.startswith(package + ".") for package in packages)


def _breaches(importers: Iterable[str], forbidden: Iterable[str]) -> list[str]:
    forbidden = tuple(forbidden)
    return sorted(
        f"{module} imports {name}"
        for module in _modules()
        if _within(module, tuple(importers))
        for name in _imports(module)
        if _within(name, forbidden)
    )


STREAMS_TOP = ("streams.settings", "streams.topics", "streams.kafka_client")
COMMANDS = ("streams.cli", "streams.demo", "streams.backtest", "streams.fit", "streams.worker")

RULES = {
    "models imports nothing of ours outside models": (
        ("models",),
        ("streams", "sinks", "gateway", "bench", "tests"),
    ),
    "sinks imports only models": (("sinks",), ("streams", "gateway", "bench", "tests")),
    "gateway imports models and streams' settings, topics, Kafka client and GC pacing only": (
        ("gateway",),
        ("sinks", "bench", "tests", "streams.app", "streams.engine", "streams.topology",
         "streams.api", *COMMANDS),
    ),
    "the worker's side never imports the gateway": (
        ("models", "sinks", "streams.app", "streams.engine", "streams.topology", "streams.api",
         "streams.backtest", "streams.fit", "streams.worker", *STREAMS_TOP),
        ("gateway",),
    ),
    "the demo borrows only the gateway's signatures": (
        ("streams.demo",),
        ("gateway.server", "gateway.run", "gateway.kafka_link", "gateway.config",
         "gateway.sources", "gateway.own_events", "gateway.messages"),
    ),
    "streams.engine imports nothing of ours outside streams.engine": (
        ("streams.engine",),
        ("models", "sinks", "bench", "tests", *STREAMS_TOP, "streams.app", "streams.topology",
         "streams.api", *COMMANDS),
    ),
    "settings, topics and kafka_client import only models and each other": (
        STREAMS_TOP,
        ("sinks", "streams.app", "streams.engine", "streams.topology", "streams.api", *COMMANDS),
    ),
    "streams.app imports only the engine and the settings": (
        ("streams.app",),
        ("sinks", "streams.topology", "streams.api", *COMMANDS),
    ),
    "streams.topology never reaches the API or the commands": (
        ("streams.topology",),
        ("streams.api", *COMMANDS),
    ),
    "streams.api never reaches the commands": (("streams.api",), COMMANDS),
    "streams.demo imports only models and streams' top-level modules": (
        ("streams.demo",),
        ("sinks", "streams.app", "streams.engine", "streams.topology", "streams.api",
         "streams.cli", "streams.backtest", "streams.fit", "streams.worker"),
    ),
    "streams.backtest imports only models": (
        ("streams.backtest",),
        ("sinks", "streams.app", "streams.engine", "streams.topology", "streams.api",
         "streams.cli", "streams.demo", "streams.fit", "streams.worker", *STREAMS_TOP),
    ),
    "streams.fit imports only models and streams.backtest": (
        ("streams.fit",),
        ("sinks", "streams.app", "streams.engine", "streams.topology", "streams.api",
         "streams.cli", "streams.demo", "streams.worker", *STREAMS_TOP),
    ),
}  # fmt: skip


@pytest.mark.parametrize("rule", RULES)
def test_package_imports_follow_the_rule_its_docstring_states(rule: str) -> None:
    importers, forbidden = RULES[rule]
    assert _breaches(importers, forbidden) == []


def test_only_the_entry_point_imports_the_command_line() -> None:
    outside = [
        m for m in _modules() if m != "streams.__main__" and not _within(m, ("streams.cli",))
    ]
    assert (
        sorted(
            f"{module} imports {name}"
            for module in outside
            for name in _imports(module)
            if _within(name, ("streams.cli",))
        )
        == []
    )


def _closure(start: str) -> set[str]:
    """The modules importing `start` can load: parent packages' __init__ included."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        if module not in _modules():
            continue
        parts = module.split(".")
        parents = [".".join(parts[:i]) for i in range(1, len(parts))]
        todo.extend([*parents, *_imports(module)])
    return seen


def test_the_worker_never_loads_the_commands_the_backtest_or_scikit_learn() -> None:
    loaded = _closure("streams.worker")
    assert "streams.topology.pipeline" in loaded  # the walk does follow imports
    assert sorted(m for m in loaded if _within(m, ("sklearn", *COMMANDS[:-1]))) == []


def test_every_source_folder_is_a_package_with_a_docstring() -> None:
    for package in ("models", "streams", "sinks", "gateway"):
        for folder in [ROOT / package, *(ROOT / package).rglob("*/")]:
            if folder.name == "__pycache__" or not any(folder.glob("*.py")):
                continue
            init = folder / "__init__.py"
            assert init.exists(), f"{folder} has modules but no __init__.py"
            if package != "sinks":  # sinks/ is being reworked elsewhere
                assert ast.get_docstring(ast.parse(init.read_text())), f"{init} has no docstring"
