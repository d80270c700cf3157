"""CPT behind the CodeSet seam, from the licensed file imported with ``medcode ingest --cpt``.

The import keeps a parsed copy in ``MEDCODE_HOME/licensed/`` (the user's own machine), so the
code set loads without the original file; nothing of it is ever shipped with medcode.
"""

from __future__ import annotations

import pickle
import re
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.codesets.cpt.files import CODE, CptRelease
from assistant.core.codeset import (
    CodeInfo,
    CodeSearch,
    IngestGroup,
    Mention,
    UnknownCodeError,
    label_of,
)
from assistant.core.records import Record, Scalar, record_id
from assistant.core.vocabulary import Vocabulary, count_roots

if TYPE_CHECKING:
    from assistant.codesets import LoadContext
    from assistant.config import Settings
    from assistant.search.backends import SearchBackends

NAME = "cpt"
TITLE = "CPT"
COPY = "cpt.pickle"  # the parsed licensed file, under MEDCODE_HOME/licensed/
_TOKEN = re.compile(r"(?<![\w.$,])(\d{4}[0-9FTUftu])(?![\w.,])")
_NAMED = re.compile(r"\bCPT\b", re.I)
NAMED_CONTEXT = 200  # characters before an unknown token searched for the word CPT


class Cpt:
    """The licensed CPT descriptors of one file."""

    name = NAME
    title = TITLE
    collection = "cpt"
    names = re.compile(r"\bcpt\b", re.I)  # how a question names it
    sides_by_modifier = True  # RT, LT, 50: a side is a modifier, not a descriptor word

    def __init__(self, data: CptRelease) -> None:
        self.data = data
        self.release = data.edition
        self.version_key = "-".join(data.edition.lower().split()) or "licensed"

    @cached_property
    def vocabulary(self) -> Vocabulary:
        return count_roots(self.data.codes.values())

    @property
    def label(self) -> str:
        return label_of(self.title, self.release)

    @property
    def source_label(self) -> str:
        return f"{self.label} (licensed file {self.data.source}; CPT is copyright the AMA)"

    def normalize(self, text: str) -> str | None:
        code = "".join(text.split()).upper()
        return code if CODE.fullmatch(code) else None

    def info(self, code: str) -> CodeInfo | None:
        typed = self.normalize(code)
        text = self.data.codes.get(typed or "")
        return CodeInfo(typed, text, True, NAME) if typed and text else None

    def details(self, code: str) -> dict[str, Any]:
        info = self.info(code)
        if info is None:
            raise UnknownCodeError(
                self.normalize(code) or code.strip(), self.nearest(code), self.label
            )
        return {
            "code": info.code,
            "description": info.description,
            "billable": True,
            "version": self.label,
            "source": self.data.source,
            "code_set": NAME,
        }

    def nearest(self, code: str, limit: int = 5) -> list[str]:
        typed = "".join(code.split()).upper()
        for size in range(len(typed), 0, -1):
            near = sorted(c for c in self.data.codes if c.startswith(typed[:size]))
            if near:
                return near[:limit]
        return []

    def complete(
        self, code: str, context: str | None = None, limit: int | None = None
    ) -> list[str]:
        return [self.details(code)["code"]]

    def mentions(self, text: str) -> list[Mention]:
        out = []
        for match in _TOKEN.finditer(text):
            code = match.group(1).upper()
            known = code in self.data.codes
            if known or _NAMED.search(text[: match.start()][-NAMED_CONTEXT:]):
                out.append(
                    Mention(
                        match.start(1),
                        match.end(1),
                        match.group(1),
                        NAME,
                        code if known else None,
                        True,
                    )
                )
        return out

    def brief(self, code: str, context: str | None = None, full: bool = False) -> list[str]:
        return [f"- From your licensed CPT file {self.data.source}."] if full else []

    def ingest_groups(self) -> list[IngestGroup]:
        return [IngestGroup(NAME, "cpt", partial(code_records, self.data, self.version_key))]

    def searcher(self, backends: SearchBackends) -> CodeSearch:
        from assistant.search.flat import FlatCodeSearch

        return FlatCodeSearch(self, backends, self.version_key)


def code_records(data: CptRelease, version: str) -> list[Record]:
    out = []
    for code, text in data.codes.items():
        meta: dict[str, Scalar] = {
            "kind": "code",
            "code_set": NAME,
            "code": code,
            "ref": code,
            "billable": True,
            "source": f"CPT {data.edition}",
            "version": data.edition,
        }
        out.append(
            Record(id=record_id(NAME, version, code), text=text, metadata=meta, keywords=code)
        )
    return out


def copy_path(settings: Settings) -> Path:
    return settings.home / "licensed" / COPY


def save_copy(settings: Settings, data: CptRelease) -> Path:
    """Keep the parsed licensed file in ``MEDCODE_HOME`` (replacing an earlier one)."""
    path = copy_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_suffix(".part")
    part.write_bytes(pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
    part.replace(path)
    return path


def load(context: LoadContext) -> Cpt | None:
    """The imported licensed file, or None when none was imported."""
    path = copy_path(context.settings)
    if not path.is_file():
        return None
    try:
        data = pickle.loads(path.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError) as exc:
        context.notes.append(
            f"cpt: the imported CPT copy {path} cannot be read ({exc}); import it again with `medcode ingest --cpt FILE`"
        )
        return None
    return Cpt(data) if isinstance(data, CptRelease) else None
