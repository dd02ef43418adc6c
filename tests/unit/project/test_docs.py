"""README stays short, links in README and docs/ lead somewhere, every setting is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from streams.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").rglob("*.md"))]
README_MAX_BYTES = 15 * 1024

FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
CODE_SPAN = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def prose(text: str) -> str:
    """The text without code blocks and code spans, where a `[x](y)` is no link."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def relative_links(page: Path) -> list[str]:
    links = LINK.findall(prose(page.read_text(encoding="utf-8")))
    return [link for link in links if not re.match(r"[a-z][a-z0-9+.-]*:", link)]


def anchors(page: Path) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, -1 for repeats."""
    seen: dict[str, int] = {}
    ids: set[str] = set()
    for title in HEADING.findall(prose(page.read_text(encoding="utf-8"))):
        slug = re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        ids.add(slug if count == 0 else f"{slug}-{count}")
    return ids


def test_readme_stays_under_15_kb() -> None:
    size = len(README.read_bytes())
    assert size <= README_MAX_BYTES, (
        f"README.md is {size:,} bytes, over {README_MAX_BYTES:,}: move the depth to docs/"
    )


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(ROOT).as_posix())
def test_every_relative_link_reaches_a_file_and_heading(page: Path) -> None:
    broken = []
    for link in relative_links(page):
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        if not target.exists():
            broken.append(f"{link}: no such file")
        elif anchor and target.suffix == ".md" and anchor not in anchors(target):
            broken.append(f"{link}: no heading #{anchor} in {target.relative_to(ROOT)}")
    assert not broken, f"{page.relative_to(ROOT)} has broken links:\n" + "\n".join(broken)


def test_the_link_check_sees_links_and_anchors() -> None:
    text = prose("[a](docs/x.md#y) `[b](no.md)`\n```\n[c](no.md)\n```\n[d](https://e.org)")
    assert LINK.findall(text) == ["docs/x.md#y", "https://e.org"]
    assert relative_links(ROOT / "docs" / "operators.md")
    assert {"settings", "scaling-out", "local-kafka-and-postgresql"} <= anchors(
        ROOT / "docs" / "operators.md"
    )


def test_every_setting_is_documented_for_operators() -> None:
    text = (ROOT / "docs" / "operators.md").read_text(encoding="utf-8")
    start = text.index("## Settings")
    table = text[start : text.index("\n## ", start + 1)]
    names = [f"HS_{name.upper()}" for name in Settings.model_fields]
    missing = [name for name in names if f"`{name}`" not in table]
    assert not missing, f"settings missing from docs/operators.md#settings: {missing}"


def test_every_documented_setting_exists() -> None:
    known = {f"HS_{name.upper()}" for name in Settings.model_fields} | {"HS_LOCAL_PG_PORT"}
    documented = set()
    for page in PAGES:
        documented |= set(re.findall(r"\bHS_[A-Z][A-Z0-9_]*[A-Z0-9]\b", page.read_text("utf-8")))
    assert documented <= known, f"documented but not a setting: {sorted(documented - known)}"
