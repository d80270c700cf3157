"""ICD-10-CM behind the CodeSet seam: the Tabular List, its notes, Index and Guidelines."""

from __future__ import annotations

import re
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.codesets.icd10cm import excludes, mentions, notes, records, seventh
from assistant.codesets.icd10cm.alphaindex import SOURCES as INDEX_KINDS
from assistant.codesets.icd10cm.companions import Companion, companions
from assistant.codesets.icd10cm.syntax import normalize_code
from assistant.codesets.icd10cm.tabular import CODE_SET, Tabular, bundled_tabular_path, load_tabular
from assistant.core.answer import INHERITED_NOTES
from assistant.core.codeset import CodeInfo, CodeSearch, IngestGroup, Mention, label_of
from assistant.core.records import Record
from assistant.core.vocabulary import Vocabulary
from assistant.sources.cache import ParsedCache, vocabulary
from assistant.text.bridges import Bridge, expand, load_terms

if TYPE_CHECKING:
    from assistant.codesets import LoadContext
    from assistant.search.backends import SearchBackends

NAME = mentions.NAME
NOTE_LABELS = {
    "includes": "Includes",
    "inclusion_terms": "Inclusion terms",
    "excludes1": "Excludes1 (never code together)",
    "excludes2": "Excludes2 (not included here; may code both)",
    "code_first": "Code first",
    "use_additional_code": "Use additional code",
    "code_also": "Code also",
    "seven_chr_note": "7th character",
}
BRIEF_NOTES = 2  # notes of each kind shown under a lookup's best match (all in `medcode code`)
CHILDREN_SHOWN = 12  # codes listed under a header before "(+N more)"


class Icd10cm:
    """One ICD-10-CM release; ``files`` maps source kinds (index, eindex, drug, neoplasm,
    guidelines) to the official files found for them."""

    name = NAME
    title = CODE_SET
    collection = "codes"
    note_labels = NOTE_LABELS
    # How a question names this code set.
    names = re.compile(r"\bicd-?10-?cm\b|\bdiagnos(?:is|tic) codes?\b", re.I)

    def __init__(
        self,
        tabular: Tabular,
        files: dict[str, Path] | None = None,
        cache: ParsedCache | None = None,
    ) -> None:
        self.tabular = tabular
        self.files = dict(files or {})
        self.release = f"FY{tabular.version}"
        self._cache = cache  # where the vocabulary is remembered

    @cached_property
    def vocabulary(self) -> Vocabulary:
        """Titles and inclusion terms, and the lay words of the wording bridges."""
        return vocabulary(self._cache, NAME, vocabulary_texts(self.tabular))

    @property
    def label(self) -> str:
        return label_of(self.title, self.release)

    @property
    def source_label(self) -> str:
        return self.tabular.source_label

    # --- codes ---------------------------------------------------------------------------
    def normalize(self, text: str) -> str | None:
        return normalize_code("".join(text.split()).rstrip("-").rstrip("."))

    def info(self, code: str) -> CodeInfo | None:
        node = self.tabular.node(code)
        if node is None or node.kind in {"chapter", "block"}:
            return None
        return CodeInfo(node.code, node.description, self.tabular.is_billable(node.key), NAME)

    def details(self, code: str) -> dict[str, Any]:
        return {**notes.code_details(self.tabular, code), "code_set": NAME}

    def nearest(self, code: str, limit: int = 5) -> list[str]:
        return notes.nearest_codes(self.tabular, code, limit)

    def complete(
        self, code: str, context: str | None = None, limit: int | None = None
    ) -> list[str]:
        encounter = seventh.encounter_from_text(context) if context else None
        return seventh.complete(self.tabular, code, encounter, limit)

    def mentions(self, text: str) -> list[Mention]:
        return mentions.find_mentions(text, self.tabular)

    def companions(self, code: str, question: str) -> list[Companion]:
        """Codes ``code``'s notes call for whose condition the question states."""
        return companions(self.tabular, code, expand(question, self.bridges), self.vocabulary)

    @cached_property
    def bridges(self) -> list[Bridge]:
        return load_terms()

    def check(self, codes: list[str]) -> dict[str, Any]:
        """Excludes1 conflicts and Excludes2 notes among codes reported together."""
        return excludes.check_codes(self.tabular, codes)

    # --- what answers show ---------------------------------------------------------------
    def brief(self, code: str, context: str | None = None, full: bool = False) -> list[str]:
        """Notes under a code (two of each kind in a lookup, all with ``full``), the
        hierarchy, 7th characters and children for ``full``."""
        details = notes.code_details(self.tabular, code)
        lines: list[str] = []
        if full:
            path = " > ".join(f"{h['code']} {h['description']}" for h in details["hierarchy"])
            lines.append(f"In: {path}")
        own, inherited = split_notes(details)
        limit = None if full else BRIEF_NOTES
        lines += note_lines(own, limit=limit)
        if any(inherited["notes"].values()):
            lines.append(f"{INHERITED_NOTES} ({', '.join(inherited_levels(inherited))}):")
            lines += note_lines(inherited, limit=limit)
        sevenths = details["seventh_characters"]
        encounter = seventh.encounter_from_text(context) if context else None
        if sevenths and (full or encounter is None):
            listed = "; ".join(f"{c} = {m}" for c, m in sevenths.items())
            lines.append(
                f"7th characters: {listed}"
                if full
                else "The 7th character depends on the encounter; the question does not say "
                f"which, so choose from: {listed}."
            )
        if full and sevenths and encounter and not details["billable"]:
            done = seventh.complete(self.tabular, details["code"], encounter, limit=5)
            if len(done) == 1:
                lines.append(f"For this encounter the complete code is **{done[0]}**.")
        children = details["children"]
        if full and children and not details["billable"]:
            more = (
                f" (+{len(children) - CHILDREN_SHOWN} more)"
                if len(children) > CHILDREN_SHOWN
                else ""
            )
            lines.append("Codes under it: " + ", ".join(children[:CHILDREN_SHOWN]) + more)
        return lines

    # --- ingest and search ---------------------------------------------------------------
    def ingest_groups(self) -> list[IngestGroup]:
        groups = [IngestGroup(NAME, "codes", partial(records.code_records, self.tabular))]
        pdf = self.files.get("guidelines")
        if pdf is not None:
            groups.append(
                IngestGroup("guidelines", "guidelines", partial(records.guideline_records, pdf))
            )
        for kind in INDEX_KINDS:
            path = self.files.get(kind)
            if path is not None:
                make = partial(_index, path, kind)
                groups.append(IngestGroup(f"index-{kind}", "index", make))
        return groups

    def searcher(self, backends: SearchBackends) -> CodeSearch:
        from assistant.codesets.icd10cm.search import HybridRetriever

        return HybridRetriever(
            store=backends.store,
            lexical=backends.lexical,
            tabular=self.tabular,
            k=backends.k,
            bridges=backends.bridges,
        )


def note_lines(details: dict[str, Any], limit: int | None = None) -> list[str]:
    """One line per note kind: the notes with the level each is written at."""
    lines: list[str] = []
    for kind, label in NOTE_LABELS.items():
        found = details["notes"].get(kind, [])
        levels = details["note_levels"].get(kind, [])
        if not found:
            continue
        shown = found if limit is None else found[:limit]
        more = "" if len(shown) == len(found) else f" (+{len(found) - len(shown)} more)"
        items = "; ".join(f"{n} (at {lvl})" for n, lvl in zip(shown, levels, strict=False))
        lines.append(f"- {label}: {items}{more}")
    return lines


def split_notes(details: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The notes written at the code itself, and those it inherits from the levels above it,
    each in ``code_details``' shape (``notes`` and ``note_levels`` by kind)."""
    own: dict[str, Any] = {"notes": {}, "note_levels": {}}
    inherited: dict[str, Any] = {"notes": {}, "note_levels": {}}
    for kind, texts in details["notes"].items():
        levels = details["note_levels"].get(kind, [])
        for text, level in zip(texts, levels, strict=False):
            part = own if level == details["code"] else inherited
            part["notes"].setdefault(kind, []).append(text)
            part["note_levels"].setdefault(kind, []).append(level)
    return own, inherited


def inherited_levels(inherited: dict[str, Any]) -> list[str]:
    """The levels inherited notes come from, nearest first."""
    return list(
        dict.fromkeys(lvl for levels in inherited["note_levels"].values() for lvl in levels)
    )


def _index(path: Path, kind: str) -> list[Record]:
    return records.index_records(path, kind)[0]


def vocabulary_texts(tabular: Tabular) -> list[str]:
    """Every title and inclusion term, and the lay phrases bridged to them."""
    texts = [n.description for n in tabular.codes()]
    texts += [t for n in tabular.codes() for t in n.notes.get("inclusion_terms", [])]
    texts += [say for bridge in load_terms() for say in bridge.say]
    return texts


def load(context: LoadContext) -> Icd10cm:
    """The configured tabular XML, else one among the official files, else the FY2026 release
    bundled with simple-icd-10-cm; parsed once and cached."""
    path = context.settings.tabular_xml or context.files.get("tabular") or bundled_tabular_path()
    tabular = context.cache.load("icd10cm-tabular", path, load_tabular)
    kinds = ("guidelines", *INDEX_KINDS)
    return Icd10cm(tabular, {k: p for k, p in context.files.items() if k in kinds}, context.cache)
