"""The source manifest (``knowledge/sources.toml``) and finding its files on disk.

Each ``[[source]]`` entry names one official file: where it is published, its name in a zip,
the names it goes by in a folder, its hash and licence. ``locate`` finds each file in the
download cache or a folder the user gives; ``missing_report`` says what is missing and how to
get it.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from assistant.sources.packaged import knowledge_file

Kind = Literal[
    "tabular",
    "index",
    "eindex",
    "neoplasm",
    "drug",
    "guidelines",
    "pcs-tables",
    "pcs-definitions",
    "pcs-index",
    "hcpcs",
    "hcpcs-noc",
]
KINDS: frozenset[str] = frozenset(Kind.__args__)  # type: ignore[attr-defined]

PART = ".part"  # suffix of a download in progress; never taken for the file
HOW_TO_GET = "run `medcode download`, or pass --source-dir DIR with a copy of the file"
_TOP_LEVEL = {"source", "note"}


class DownloadError(ValueError):
    """A problem with the manifest or its use, with a one-line message."""


class Source(BaseModel):
    """One official file, as listed in the manifest."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    code_set: str
    version: str
    title: str
    kind: Kind
    url: str
    filename: str  # glob, or plain name (then also the name a download is saved under)
    member: str = ""  # glob for the file inside the zip at `url`; "" = `url` is the file
    sha256: str = ""  # of the file itself; "" = unknown, accept any content
    licence: str = ""
    aliases: tuple[str, ...] = ()

    @field_validator("id", "code_set", "version", "title", "url", "filename", mode="before")
    @classmethod
    def _non_empty(cls, value: object) -> object:
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be a non-empty string")
        return value

    @field_validator("url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        if urlsplit(value).scheme not in ("http", "https"):
            raise ValueError("url must start with http:// or https://")
        return value

    @field_validator("sha256")
    @classmethod
    def _hex_digest(cls, value: str) -> str:
        value = value.lower()
        if value and (len(value) != 64 or any(c not in "0123456789abcdef" for c in value)):
            raise ValueError("sha256 must be 64 hex digits or empty")
        return value

    @field_validator("aliases", mode="before")
    @classmethod
    def _names(cls, value: object) -> object:
        if not isinstance(value, list | tuple) or not all(isinstance(a, str) and a for a in value):
            raise ValueError("'aliases' must be a list of file names or globs")
        return tuple(value)

    @model_validator(mode="after")
    def _consistent(self) -> Source:
        if any("/" in p or "\\" in p for p in (*self.patterns, self.member)):
            raise ValueError("filename, aliases and member are names, not paths")
        if not self.member and not matches(saved_name(self, url_name(self.url)), self):
            raise ValueError(
                f"the downloaded name {url_name(self.url)!r} does not match filename "
                f"{self.filename!r}; give a plain filename to save it under"
            )
        return self

    @property
    def patterns(self) -> tuple[str, ...]:
        """Globs that name this file, the preferred one first."""
        return (self.filename, *self.aliases)


def default_manifest_path() -> Path:
    """The manifest shipped with medcode (package data)."""
    return knowledge_file("sources.toml")


def load_manifest(path: Path | None = None) -> list[Source]:
    """Read and check the manifest; any problem raises `DownloadError` with one line."""
    path = path or default_manifest_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DownloadError(f"source manifest not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DownloadError(f"cannot read source manifest {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise DownloadError(f"{path}: invalid TOML: {exc}") from None
    unknown = sorted(set(data) - _TOP_LEVEL)
    if unknown:
        raise DownloadError(f"{path}: unknown top-level key {unknown[0]!r} (expected [[source]])")
    entries = data.get("source", [])
    if not isinstance(entries, list) or not entries:
        raise DownloadError(f"{path}: no [[source]] entries")
    sources: list[Source] = []
    for number, entry in enumerate(entries, 1):
        label = entry.get("id", "?") if isinstance(entry, dict) else "?"
        try:
            sources.append(Source.model_validate(entry))
        except ValidationError as exc:
            raise DownloadError(f"{path}: source #{number}: {label}: {_first(exc)}") from None
    seen: set[str] = set()
    for source in sources:
        if source.id in seen:
            raise DownloadError(f"{path}: duplicate source id {source.id!r}")
        seen.add(source.id)
    return sources


def _first(exc: ValidationError) -> str:
    """The first validation problem as a short phrase."""
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        return f"unknown key {field!r}"
    if error["type"] == "missing":
        return f"{field!r} must be a non-empty string"
    if error["type"] == "literal_error" and field == "kind":
        return f"unknown kind {error['input']!r} (one of {sorted(KINDS)})"
    if error["type"] == "model_type":
        return "must be a table"
    message = str(error["msg"]).removeprefix("Value error, ")
    return message if field in message or not field else f"{field!r} {message}"


# --- finding files --------------------------------------------------------------------------
def locate(sources: Iterable[Source], dirs: Sequence[Path]) -> dict[str, Path | None]:
    """Each source's file in the first of `dirs` that has it (searching sub-folders too).

    Within a folder, a match on `filename` beats one on an alias, then the shallowest and
    first by name wins. ``.part`` files and hidden folders are ignored; so are absent dirs.
    """
    listings = [(d, _files_under(d)) for d in dirs]
    found: dict[str, Path | None] = {}
    for source in sources:
        found[source.id] = next(
            (hit for root, files in listings if (hit := _best_match(source, root, files))),
            None,
        )
    return found


def missing_report(located: dict[str, Path | None], sources: Iterable[Source] = ()) -> str:
    """One line per source `locate` did not find, saying how to get it; "" if none."""
    known = {s.id: s for s in sources}
    lines = []
    for source_id, path in located.items():
        if path is not None:
            continue
        source = known.get(source_id)
        what = f"{source.title} (a file named like {source.filename})" if source else source_id
        lines.append(f"missing {source_id}: {what}; {HOW_TO_GET}")
    return "\n".join(lines)


def _files_under(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    files: list[Path] = []
    for folder, subdirs, names in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        files.extend(Path(folder, n) for n in sorted(names) if not n.endswith(PART))
    return files


def _best_match(source: Source, root: Path, files: list[Path]) -> Path | None:
    ranked = [
        (rank, len(path.relative_to(root).parts), str(path), path)
        for path in files
        if (rank := _pattern_rank(path.name, source)) is not None
    ]
    return min(ranked)[3] if ranked else None


def _pattern_rank(name: str, source: Source) -> int | None:
    for rank, pattern in enumerate(source.patterns):
        if fnmatchcase(name.lower(), pattern.lower()):
            return rank
    return None


def matches(name: str, source: Source) -> bool:
    """Whether a file name is one of the names the source goes by."""
    return _pattern_rank(name, source) is not None


def _is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def saved_name(source: Source, natural: str) -> str:
    """Name a fetched file is cached under: `filename` when plain, else its own name."""
    return natural if _is_glob(source.filename) else source.filename


def url_name(url: str) -> str:
    """The file name at the end of a URL."""
    return unquote(PurePosixPath(urlsplit(url).path).name)
