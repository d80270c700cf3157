"""Query wording bridges: lay and older terms gain the words the code titles use."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from assistant.sources.packaged import knowledge_file


class TermsError(ValueError):
    """The terms file is missing or malformed."""


@dataclass(frozen=True)
class Bridge:
    """Phrases people say (``say``, matched as ``pattern``) and the wording they mean."""

    pattern: re.Pattern[str]
    means: str
    source: str
    say: tuple[str, ...] = ()


def default_terms_path() -> Path:
    """The shipped lay-wording bridges for ICD-10-CM lookups."""
    return knowledge_file("terms.toml")


def load_terms(path: Path | None = None) -> list[Bridge]:
    """Read the bridges; each ``say`` phrase matches as whole words, case-insensitively."""
    path = path or default_terms_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TermsError(f"cannot read terms file {path}: {exc}") from exc
    bridges = []
    for number, entry in enumerate(data.get("term", []), start=1):
        if not entry.get("say") or not entry.get("means") or not entry.get("source"):
            raise TermsError(f"{path}: term {number} needs say, means and source")
        words = sorted(entry["say"], key=len, reverse=True)
        pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.I)
        bridges.append(Bridge(pattern, entry["means"], entry["source"], tuple(entry["say"])))
    return bridges


def expand(query: str, bridges: list[Bridge]) -> str:
    """The query with each bridged phrase followed by its ICD-10-CM wording in the same place.
    Where two phrases overlap the longer one is read ("blood clot in the lung" is a pulmonary
    embolism before "blood clot" is a thrombosis); every phrase is found in the typed words."""
    found = [
        (m.start(), m.end(), bridge.means)
        for bridge in bridges
        for m in bridge.pattern.finditer(query)
    ]
    found.sort(key=lambda f: (-(f[1] - f[0]), f[0]))
    kept: list[tuple[int, int, str]] = []
    for start, end, means in found:
        if all(end <= a or start >= b for a, b, _ in kept):
            kept.append((start, end, means))
    for _, end, means in sorted(kept, key=lambda f: -f[1]):
        query = f"{query[:end]} {means}{query[end:]}"
    return query


def substitute(query: str, bridges: list[Bridge]) -> str:
    """The query with each bridged phrase replaced by its ICD-10-CM wording ("pink eye" ->
    "conjunctivitis"), so the lay words themselves ("eye") are not read as detail."""
    for bridge in bridges:
        query = bridge.pattern.sub(_literal(bridge.means), query)
    return query


def _literal(text: str) -> str:
    """Text safe to use as a regex replacement (backslashes doubled)."""
    return text.replace("\\", "\\\\")
