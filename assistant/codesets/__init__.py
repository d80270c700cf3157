"""The code sets medcode answers from, each behind the CodeSet protocol, and their registry.

A new code set is a package here with a ``load(context)`` function, added to ``LOADERS``;
nothing else in medcode names a code set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, overload

from assistant.core.codeset import CodeInfo, CodeSet, UnknownCodeError

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.sources.cache import ParsedCache


@dataclass
class LoadContext:
    """What a code set loader gets: the settings, the parsed-source cache and the official
    files found, by manifest kind."""

    settings: Settings
    cache: ParsedCache
    files: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what could not be loaded, one line each


class CodeSets(Sequence[CodeSet]):
    """The loaded code sets in the order questions try them (ICD-10-CM first)."""

    def __init__(self, items: Iterable[CodeSet], notes: Sequence[str] = ()) -> None:
        self._items = list(items)
        if not self._items:
            raise ValueError("no code set loaded")
        self.notes = list(notes)  # code sets whose files could not be read, one line each

    @overload
    def __getitem__(self, index: int) -> CodeSet: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[CodeSet]: ...
    def __getitem__(self, index: int | slice) -> CodeSet | Sequence[CodeSet]:
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[CodeSet]:
        return iter(self._items)

    @property
    def names(self) -> list[str]:
        return [cs.name for cs in self._items]

    def get(self, name: str) -> CodeSet | None:
        return next((cs for cs in self._items if cs.name == name), None)

    def find(self, code: str) -> tuple[CodeSet, CodeInfo] | None:
        """The code set a typed code belongs to, and the code there, or None. A set that writes
        the code exactly as typed wins ("E0935" is HCPCS's E0935 before ICD-10-CM's E09.35)."""
        found = [(cs, info) for cs in self._items if (info := cs.info(code)) is not None]
        typed = "".join(code.split()).upper()
        exact = [(cs, info) for cs, info in found if info.code.upper() == typed]
        best = exact or found
        return best[0] if best else None

    def resolve(self, code: str) -> tuple[CodeSet, CodeInfo]:
        """Like ``find``, but an unknown code raises ``UnknownCodeError`` from the code set
        whose syntax it has (with that set's nearest codes)."""
        found = self.find(code)
        if found is not None:
            return found
        for cs in self._items:
            if cs.normalize(code) is not None:
                cs.details(code)  # raises the set's own error, naming what is wrong
                raise UnknownCodeError(
                    cs.normalize(code) or code.strip(), cs.nearest(code), cs.label
                )
        loaded = ", ".join(cs.label for cs in self._items)
        shown = " ".join(code.split()) or repr(code)
        raise UnknownCodeError(shown, [], loaded, why="it has the form of none of these code sets")


Loader = Callable[[LoadContext], "CodeSet | None"]


def loaders() -> list[Loader]:
    """One loader per code set, in the order questions try them."""
    from assistant.codesets.cpt.codeset import load as cpt
    from assistant.codesets.hcpcs.codeset import load as hcpcs
    from assistant.codesets.icd10cm.codeset import load as icd10cm
    from assistant.codesets.icd10pcs.codeset import load as icd10pcs

    return [icd10cm, icd10pcs, hcpcs, cpt]


def load_code_sets(context: LoadContext) -> CodeSets:
    """Every code set whose files are present. A file of another set than the first that
    cannot be read (a malformed PCS XML, a damaged HCPCS release) leaves that set out with a
    line in ``notes``, so the others still load; the first (ICD-10-CM) every answer needs."""
    first, *others = loaders()
    found = [first(context)]
    for load in others:
        try:
            found.append(load(context))
        except ValueError as exc:  # the file errors of every set are ValueErrors naming the file
            name = load.__module__.split(".")[2]  # assistant.codesets.<name>.codeset
            line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            context.notes.append(f"{name}: skipped, {line}")
    return CodeSets((cs for cs in found if cs is not None), context.notes)
