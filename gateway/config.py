"""The gateway's source configuration: the YAML file `HS_GATEWAY_CONFIG` and the
signing secrets in the environment.

    load_sources(path, environ)  -> {name: Source}, or GatewayConfigError
    check_gateway_file(path)     -> ["FILE:LINE: field: problem", ...], empty when valid

The file has one optional section per source (segment, zendesk, stripe,
typeform); every field has a default, so `stripe: {}` is a valid section.
Secrets never live in the file: `HS_GATEWAY_<SOURCE>_SECRET` holds one, or
several separated by commas while a secret is rotated. A source is served
when its secret is set, unless its section says `enabled: false`; a section
left enabled without its secret is an error, so a forgotten secret stops
start-up instead of silently switching the source off.

Lookup tables may be inline (`lookup: {ext: account}`) or a CSV file
(`lookup_file`, relative to the config file) of `external_id,account_id`
rows; an optional header row of exactly those names, blank lines and lines
starting with # are skipped.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import yaml
from pydantic import model_validator

from gateway.source import Source
from gateway.sources.common import MAX_ID, AccountRule, Accounts, Strict
from gateway.sources.segment import SegmentConfig, SegmentSource
from gateway.sources.stripe import StripeConfig, StripeSource
from gateway.sources.typeform import TypeformConfig, TypeformSource
from gateway.sources.zendesk import ZendeskConfig, ZendeskSource
from models.exceptions import HealthscoreError
from models.yaml_errors import read_yaml_file

SECRET_VARIABLES = {
    "segment": "HS_GATEWAY_SEGMENT_SECRET",
    "zendesk": "HS_GATEWAY_ZENDESK_SECRET",
    "stripe": "HS_GATEWAY_STRIPE_SECRET",
    "typeform": "HS_GATEWAY_TYPEFORM_SECRET",
}


class GatewayConfigError(HealthscoreError):
    """The gateway's configuration is invalid; `problems` holds one message per error."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems) if problems else "invalid gateway configuration")
        self.problems = problems


class GatewayConfig(Strict):
    segment: SegmentConfig | None = None
    zendesk: ZendeskConfig | None = None
    stripe: StripeConfig | None = None
    typeform: TypeformConfig | None = None

    @model_validator(mode="before")
    @classmethod
    def _empty_sections(cls, data: object) -> object:
        # `stripe:` with nothing under it reads as null: a section with the defaults.
        if isinstance(data, dict):
            return {k: ({} if v is None and k in _DEFAULTS else v) for k, v in data.items()}
        return data


SourceConfig = SegmentConfig | ZendeskConfig | StripeConfig | TypeformConfig
_DEFAULTS: dict[str, Callable[[], SourceConfig]] = {
    "segment": SegmentConfig,
    "zendesk": ZendeskConfig,
    "stripe": StripeConfig,
    "typeform": TypeformConfig,
}


def secrets_of(environ: Mapping[str, str], name: str) -> tuple[bytes, ...]:
    raw = environ.get(SECRET_VARIABLES[name], "")
    return tuple(part.strip().encode() for part in raw.split(",") if part.strip())


def load_sources(path: str | None, environ: Mapping[str, str]) -> dict[str, Source]:
    """The sources to serve, by name (the `{name}` of `POST /v1/sources/{name}`).

    Without a file: every source whose secret is set, with the default mappings.
    Raises GatewayConfigError listing every problem (file, lookup files, secrets).
    """
    config, tables, problems = _read(path)
    if config is None:
        raise GatewayConfigError(problems)
    sources: dict[str, Source] = {}
    for name, make in _DEFAULTS.items():
        section: SourceConfig | None = getattr(config, name)
        secrets = secrets_of(environ, name)
        if section is None:
            if not secrets:
                continue
            section = make()
        elif not section.enabled:
            continue
        elif not secrets:
            problems.append(
                f"{path}: {name} is enabled but {SECRET_VARIABLES[name]} (its signing secret) "
                f"is not set; set it or write `enabled: false` under {name}"
            )
            continue
        sources[name] = _build(name, section, secrets, tables)
    if problems:
        raise GatewayConfigError(problems)
    return sources


def check_gateway_file(path: str) -> list[str]:
    """Every problem in a gateway config file and the lookup files it names."""
    return _read(path)[2]


Tables = dict[tuple[str, str], dict[str, str]]


def _read(path: str | None) -> tuple[GatewayConfig | None, Tables, list[str]]:
    if path is None:
        return GatewayConfig(), {}, []
    config, problems = read_yaml_file(path, GatewayConfig)
    if config is None:
        return None, {}, problems
    tables: Tables = {}
    for section, field, rule in _rules(config):
        if rule.lookup_file is None:
            continue
        table, errors = _read_table(path, rule.lookup_file, f"{section}.{field}.lookup_file")
        tables[(section, field)] = table
        problems.extend(errors)
    return (None if problems else config), tables, problems


def _rules(config: GatewayConfig) -> Iterator[tuple[str, str, AccountRule]]:
    for name in _DEFAULTS:
        section = getattr(config, name)
        if section is None:
            continue
        yield name, "account", section.account
        if isinstance(section, SegmentConfig):
            yield name, "group_account", section.group_account


def _read_table(config_path: str, file: str, field: str) -> tuple[dict[str, str], list[str]]:
    where = Path(config_path).parent / os.path.expanduser(file)
    try:
        text = where.read_text(encoding="utf-8-sig")
    except OSError as exc:
        line = _line_of(config_path, field.split("."))
        return {}, [f"{config_path}:{line}: {field}: cannot read {where}: {exc.strerror or exc}"]
    except UnicodeDecodeError as exc:
        return {}, [f"{where}: not UTF-8 text ({exc.reason})"]
    table: dict[str, str] = {}
    problems: list[str] = []
    for number, row in enumerate(csv.reader(text.splitlines()), 1):
        cells = [cell.strip() for cell in row]
        if not cells or not any(cells) or cells[0].startswith("#"):
            continue
        if number == 1 and [c.lower() for c in cells] == ["external_id", "account_id"]:
            continue
        if len(cells) != 2 or not all(cells):
            problems.append(f"{where}:{number}: expected two values: external_id,account_id")
        elif len(cells[1]) > MAX_ID:
            problems.append(f"{where}:{number}: account id longer than {MAX_ID} characters")
        elif table.get(cells[0], cells[1]) != cells[1]:
            problems.append(f"{where}:{number}: {cells[0]!r} is listed twice, for two accounts")
        else:
            table[cells[0]] = cells[1]
    return table, problems


def _line_of(path: str, keys: list[str]) -> int:
    """The 1-based line of the mapping key at `keys` in the YAML file (1 if not found)."""
    try:
        with open(path, encoding="utf-8") as handle:
            node = yaml.compose(handle, Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return 1
    line = 1
    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            break
        match = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
        if match is None:
            break
        line, node = match.start_mark.line + 1, match
    return line


def _build(name: str, section: SourceConfig, secrets: tuple[bytes, ...], tables: Tables) -> Source:
    accounts = Accounts(section.account, tables.get((name, "account")))
    if isinstance(section, SegmentConfig):
        groups = Accounts(section.group_account, tables.get((name, "group_account")))
        return SegmentSource(section, secrets, accounts, groups, name)
    if isinstance(section, ZendeskConfig):
        return ZendeskSource(section, secrets, accounts, name)
    if isinstance(section, StripeConfig):
        return StripeSource(section, secrets, accounts, name)
    return TypeformSource(section, secrets, accounts, name)
