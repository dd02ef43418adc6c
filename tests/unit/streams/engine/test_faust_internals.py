"""The private names of faust-streaming, mode and aiokafka we use are all listed in
streams.engine.faust_internals, still there in the installed packages, and used nowhere else."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from streams.engine import faust_internals
from streams.engine.faust_internals import (
    INTERNALS,
    AppInternals,
    ConsumerInternals,
    Internal,
    PrometheusMonitorInternals,
    missing,
    version_drift,
)

ROOT = Path(__file__).resolve().parents[4]
UPGRADING = "docs/upgrading-faust.md"


def test_every_listed_name_is_still_there_with_the_parameters_it_was_read_with() -> None:
    assert missing() == [], f"faust/mode/aiokafka changed under us: see {UPGRADING}"


def test_the_installed_versions_are_the_ones_the_names_were_read_from() -> None:
    assert version_drift() == {}, (
        f"read the listed names' code in the new versions, then move READ_FROM ({UPGRADING})"
    )


def test_a_renamed_attribute_or_changed_signature_is_reported() -> None:
    owner = "faust.transport.consumer:Consumer"
    assert missing(
        (
            Internal(owner, "_acked", "still there"),
            Internal(owner, "_no_such_books", "gone"),
            Internal(owner, "_new_offset", "other parameters", ("tp", "extra")),
            Internal("faust.no_such_module", "_x", "gone"),
        )
    ) == [
        f"{owner}._no_such_books: no such attribute",
        f"{owner}._new_offset: parameters ('tp',), expected ('tp', 'extra')",
        "faust.no_such_module._x: its owner is gone (No module named 'faust.no_such_module')",
    ]


def test_every_listed_name_says_why_and_is_listed_once() -> None:
    assert all(internal.why for internal in INTERNALS)
    places = [(internal.owner, internal.name) for internal in INTERNALS]
    assert len(places) == len(set(places))
    assert {internal.read_from.split()[0] for internal in INTERNALS} <= set(
        faust_internals.READ_FROM
    )


@pytest.mark.parametrize("cls", [ConsumerInternals, AppInternals, PrometheusMonitorInternals])
def test_the_public_names_given_to_faust_internals_hide_nothing_of_faust(cls: type) -> None:
    base = cls.__mro__[1]
    # What any subclass of `base` gets by itself (mode gives each its own `logger`).
    made = set(vars(type("Probe", (base,), {"__module__": __name__})))
    ours = {name for name in vars(cls) if not name.startswith("_")} - made
    assert ours, cls
    assert sorted(name for name in ours if hasattr(base, name)) == []


def test_every_private_name_our_aliases_reach_is_listed() -> None:
    listed = {internal.name for internal in INTERNALS}
    for cls in (ConsumerInternals, AppInternals, PrometheusMonitorInternals):
        for name, member in vars(cls).items():
            if isinstance(member, property) and member.__doc__:
                private = member.__doc__.split("`")[1]
                assert private in listed, (cls.__name__, name, private)


def _uses(path: Path, names: set[str]) -> list[str]:
    """Attributes named `names` read or written, and `names` imported, in `path`'s code."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and node.attr in names:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: .{node.attr}")
        elif isinstance(node, ast.ImportFrom):
            found += [
                f"{path.relative_to(ROOT)}:{node.lineno}: import {alias.name}"
                for alias in node.names
                if alias.name in names
            ]
    return found


def test_no_module_but_faust_internals_touches_a_listed_private_name() -> None:
    private = {internal.name for internal in INTERNALS if internal.name.startswith("_")}
    here = Path(faust_internals.__file__).resolve()
    sources = [
        path
        for folder in ("streams", "sinks", "models", "bench", "tests", "deploy")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path.resolve() != here
    ]
    assert sources
    assert [use for path in sources for use in _uses(path, private)] == []
