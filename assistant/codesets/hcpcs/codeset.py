"""HCPCS Level II behind the CodeSet seam: CMS's codes and modifiers for one quarterly release."""

from __future__ import annotations

import re
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

from assistant.codesets.hcpcs.files import (
    TITLE,
    Entry,
    Release,
    normalize_code,
    read_noc,
    read_release,
)
from assistant.core.codeset import (
    CodeInfo,
    CodeSearch,
    IngestGroup,
    Mention,
    UnknownCodeError,
    label_of,
)
from assistant.core.records import Record, Scalar, record_id
from assistant.core.vocabulary import Vocabulary
from assistant.sources.cache import ParsedCache, vocabulary
from assistant.sources.packaged import knowledge_file
from assistant.text.bridges import load_terms

if TYPE_CHECKING:
    from assistant.codesets import LoadContext
    from assistant.search.backends import SearchBackends

NAME = "hcpcs"
COLLECTION = "hcpcs"
# A HCPCS-shaped token in prose ("J0696"); a modifier only where the text calls it one or
# appends it to a code ("modifier RT", "L3908-RT").
_TOKEN = re.compile(r"(?<![\w.])([A-Za-z]\d{4})((?:-[A-Za-z0-9]{2})*)(?![\w.])")
_MODIFIER = re.compile(r"\bmodifiers?\s*[:#]?\s*-?([A-Z0-9]{2})\b")
# Words before a token that make it a HCPCS reference even when it does not exist.
_NAMED = re.compile(r"\bHCPCS\b|\bLevel II\b", re.I)
NAMED_CONTEXT = 300  # characters before a token searched for the words naming HCPCS


class Hcpcs:
    """One HCPCS Level II release: codes (A0021-V5364) and modifiers (AA-ZB)."""

    name = NAME
    title = TITLE
    collection = COLLECTION
    names = re.compile(r"\bhcpcs\b|\blevel ii\b|\bmodifiers?\b", re.I)  # how a question names it
    sides_by_modifier = True  # RT, LT, 50: a side is a modifier, not a descriptor word

    def __init__(self, release: Release, cache: ParsedCache | None = None) -> None:
        self.data = release
        self._cache = cache  # where the vocabulary is remembered
        self.release = release.edition or "release unknown"
        self.version_key = _slug(release.edition)  # the middle part of its record ids

    @cached_property
    def vocabulary(self) -> Vocabulary:
        """Long and short descriptors, brand names and the lay supply words bridged to them."""
        from assistant.codesets.hcpcs.words import BRIDGES

        texts = [e.long for e in self.data.codes.values()]
        texts += [e.short for e in self.data.codes.values() if e.short]
        texts += [say for b in load_terms(knowledge_file("hcpcs", "brands.toml")) for say in b.say]
        texts += [b.pattern.pattern for b in BRIDGES]
        return vocabulary(self._cache, NAME, texts)

    @property
    def label(self) -> str:
        return label_of(self.title, self.release)

    @property
    def source_label(self) -> str:
        return f"{self.data.label} (CMS alpha-numeric file)"

    def normalize(self, text: str) -> str | None:
        return normalize_code("".join(text.split()), self.data)

    def info(self, code: str) -> CodeInfo | None:
        entry = self.data.get("".join(code.split()).lstrip("-"))
        if entry is None:
            return None
        # A modifier is appended to a code; it is never reported on its own.
        return CodeInfo(entry.code, entry.long, entry.kind == "code", NAME)

    def entry(self, code: str) -> Entry:
        entry = self.data.get("".join(code.split()).lstrip("-"))
        if entry is None:
            shown = normalize_code(code) or code.strip()
            raise UnknownCodeError(shown, self.nearest(code), self.label)
        return entry

    def details(self, code: str) -> dict[str, Any]:
        entry = self.entry(code)
        return {
            "code": entry.code,
            "description": entry.long,
            "short_description": entry.short,
            "billable": entry.kind == "code",
            "kind": entry.kind,
            "not_otherwise_classified": entry.noc,
            "version": self.label,
            "release": self.data.label,
            "added": entry.added.isoformat() if entry.added else None,
            "effective": entry.effective.isoformat() if entry.effective else None,
            "terminated": entry.terminated.isoformat() if entry.terminated else None,
            "code_set": NAME,
        }

    def nearest(self, code: str, limit: int = 5) -> list[str]:
        """Codes sharing the longest prefix with the typed one, nearest number first."""
        typed = "".join(code.split()).upper()
        pool = self.data.codes if len(typed) != 2 else self.data.modifiers
        for size in range(len(typed), 0, -1):
            near = [c for c in pool if c.startswith(typed[:size])]
            if near:
                return sorted(near, key=lambda c: (_distance(c, typed), c))[:limit]
        return []

    def complete(
        self, code: str, context: str | None = None, limit: int | None = None
    ) -> list[str]:
        entry = self.entry(code)
        return [entry.code]  # every HCPCS Level II code is complete as it stands

    def mentions(self, text: str) -> list[Mention]:
        out: list[Mention] = []
        for match in _TOKEN.finditer(text):
            token = match.group(1).upper()
            entry = self.data.codes.get(token)
            named = _NAMED.search(text[: match.start()][-NAMED_CONTEXT:])
            if entry is None and not named:
                continue  # an unknown letter-and-four-digits token may be another set's code
            end = match.start(1) + len(token)
            out.append(
                Mention(
                    match.start(1), end, match.group(1), NAME, entry.code if entry else None, True
                )
            )
            for mod in re.finditer(r"-([A-Za-z0-9]{2})", match.group(2)):
                known = self.data.modifiers.get(mod.group(1).upper())
                start = match.start(2) + mod.start(1)
                code = known.code if known else None
                out.append(Mention(start, start + 2, mod.group(1), NAME, code, True))
        for match in _MODIFIER.finditer(text):
            known = self.data.modifiers.get(match.group(1))
            if known is not None:
                out.append(
                    Mention(match.start(1), match.end(1), match.group(1), NAME, known.code, True)
                )
        return sorted(out, key=lambda m: m.start)

    def brief(self, code: str, context: str | None = None, full: bool = False) -> list[str]:
        entry = self.entry(code)
        lines = [f"- Short description: {entry.short}"] if entry.short else []
        if entry.kind == "modifier":
            lines.append("- A modifier: appended to the code it describes, never reported alone.")
        if entry.noc:
            lines.append(
                "- Not otherwise classified (CMS NOC list): report it only when no specific code "
                "describes the item, with a description of what was supplied."
            )
        if full:
            lines.append(f"- Release: {self.data.label}")
            if entry.terminated:
                lines.append(f"- Terminated {entry.terminated.isoformat()}")
        return lines

    def ingest_groups(self) -> list[IngestGroup]:
        return [IngestGroup(NAME, COLLECTION, partial(code_records, self.data))]

    def searcher(self, backends: SearchBackends) -> CodeSearch:
        from assistant.codesets.hcpcs.search import HcpcsSearch

        return HcpcsSearch(self, backends)


def code_records(release: Release) -> list[Record]:
    """One record per code and per modifier: the long description is embedded, the short one
    and the code itself are searchable words."""
    version = _slug(release.edition)
    out = []
    for entry in [*release.codes.values(), *release.modifiers.values()]:
        meta: dict[str, Scalar] = {
            "kind": "code" if entry.kind == "code" else "modifier",
            "code_set": NAME,
            "code": entry.code,
            "ref": entry.code,
            "billable": entry.kind == "code",
            "short": entry.short,
            "noc": entry.noc,
            "source": release.label,
            "version": release.edition,
        }
        out.append(
            Record(
                id=record_id(NAME, version, entry.code),
                text=entry.long or entry.short,
                metadata=meta,
                keywords=f"{entry.code} {entry.short}",
            )
        )
    return out


def _slug(edition: str) -> str:
    return "-".join(edition.lower().split()) or "unknown"


def _distance(code: str, typed: str) -> int:
    """How far apart two codes of one letter are by number ("J0696" vs "J0690")."""
    try:
        return abs(int(code[1:]) - int(typed[1:].ljust(4, "0")))
    except ValueError:
        return 10_000


def load(context: LoadContext) -> Hcpcs | None:
    """The release among the official files (with the NOC list when present), or None."""
    path = context.files.get("hcpcs")
    if path is None:
        return None
    release = context.cache.load("hcpcs-release", path, read_release)
    noc = context.files.get("hcpcs-noc")
    if noc is not None:
        release = release.with_noc(context.cache.load("hcpcs-noc", noc, read_noc))
    return Hcpcs(release, context.cache)
