"""Official source files: the manifest, a resumable-safe downloader and the lookup ingest uses.

``knowledge/sources.toml`` lists each file (URL, zip member, name, hash). ``download`` fetches
them into a cache folder, ``locate`` finds them there or in a folder the user points to, and
``missing_report`` says what is still missing and how to get it.

A download is written to ``<name>.part`` and renamed only once complete and verified, so a
file under its final name is always whole; a leftover ``.part`` is simply overwritten.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from typing import IO, Literal
from urllib.parse import unquote, urlsplit

import httpx
from tqdm import tqdm

KINDS = frozenset(
    {"tabular", "index", "eindex", "neoplasm", "drug", "guidelines", "pcs-tables", "hcpcs"}
)
Status = Literal["downloaded", "cached", "failed", "hash-mismatch"]

ARCHIVES = "archives"  # sub-folder of the cache that keeps downloaded zips
PART = ".part"
_CHUNK = 1 << 16
_SHA256 = re.compile(r"[0-9a-f]{64}")
_REQUIRED = ("id", "code_set", "version", "title", "kind", "url", "filename")
_OPTIONAL = ("member", "sha256", "licence", "aliases")
_TOP_LEVEL = {"source", "note"}
_HOW_TO_GET = "run `medcode download`, or pass --source-dir DIR with a copy of the file"


class DownloadError(ValueError):
    """A problem with the manifest or its use, with a one-line message."""


@dataclass(frozen=True)
class Source:
    """One official file, as listed in the manifest."""

    id: str
    code_set: str
    version: str
    title: str
    kind: str
    url: str
    filename: str  # glob, or plain name (then also the name a download is saved under)
    member: str = ""  # glob for the file inside the zip at `url`; "" = `url` is the file
    sha256: str = ""  # of the file itself; "" = unknown, accept any content
    licence: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def patterns(self) -> tuple[str, ...]:
        """Globs that name this file, the preferred one first."""
        return (self.filename, *self.aliases)


@dataclass(frozen=True)
class Outcome:
    """What happened to one source in a `download` run."""

    source_id: str
    status: Status
    path: Path | None = None
    message: str = ""
    sha256: str = ""  # of the file now in the cache, so a checked download can be pinned

    @property
    def ok(self) -> bool:
        return self.status in ("downloaded", "cached")


# --- manifest -------------------------------------------------------------------------------


def default_manifest_path() -> Path:
    """The repository's ``knowledge/sources.toml``."""
    return Path(__file__).resolve().parent.parent / "knowledge" / "sources.toml"


def load_manifest(path: Path | None = None) -> list[Source]:
    """Read and check the manifest; any problem raises `DownloadError`."""
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
        try:
            sources.append(_parse_source(entry))
        except DownloadError as exc:
            raise DownloadError(f"{path}: source #{number}: {exc}") from None
    seen: set[str] = set()
    for source in sources:
        if source.id in seen:
            raise DownloadError(f"{path}: duplicate source id {source.id!r}")
        seen.add(source.id)
    return sources


def _parse_source(entry: object) -> Source:
    if not isinstance(entry, dict):
        raise DownloadError("must be a table")
    label = entry.get("id", "?")
    unknown = sorted(set(entry) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise DownloadError(f"{label}: unknown key {unknown[0]!r}")
    for key in _REQUIRED:
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise DownloadError(f"{label}: {key!r} must be a non-empty string")
    for key in ("member", "sha256", "licence"):
        if not isinstance(entry.get(key, ""), str):
            raise DownloadError(f"{label}: {key!r} must be a string")
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
        raise DownloadError(f"{label}: 'aliases' must be a list of file names or globs")
    source = Source(
        id=entry["id"],
        code_set=entry["code_set"],
        version=entry["version"],
        title=entry["title"],
        kind=entry["kind"],
        url=entry["url"],
        filename=entry["filename"],
        member=entry.get("member", ""),
        sha256=entry.get("sha256", "").lower(),
        licence=entry.get("licence", ""),
        aliases=tuple(aliases),
    )
    if source.kind not in KINDS:
        raise DownloadError(f"{label}: unknown kind {source.kind!r} (one of {sorted(KINDS)})")
    if urlsplit(source.url).scheme not in ("http", "https"):
        raise DownloadError(f"{label}: url must start with http:// or https://")
    if source.sha256 and not _SHA256.fullmatch(source.sha256):
        raise DownloadError(f"{label}: sha256 must be 64 hex digits or empty")
    if any("/" in p or "\\" in p for p in (*source.patterns, source.member)):
        raise DownloadError(f"{label}: filename, aliases and member are names, not paths")
    if not source.member and not _matches(_saved_name(source, _url_name(source.url)), source):
        raise DownloadError(
            f"{label}: the downloaded name {_url_name(source.url)!r} does not match "
            f"filename {source.filename!r}; give a plain filename to save it under"
        )
    return source


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
        lines.append(f"missing {source_id}: {what}; {_HOW_TO_GET}")
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


def _matches(name: str, source: Source) -> bool:
    return _pattern_rank(name, source) is not None


def _is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def _saved_name(source: Source, natural: str) -> str:
    """Name a fetched file is cached under: `filename` when plain, else its own name."""
    return natural if _is_glob(source.filename) else source.filename


def _url_name(url: str) -> str:
    return unquote(PurePosixPath(urlsplit(url).path).name)


def source_url(source: Source, base_url: str | None = None) -> str:
    """Where to fetch `source`: its manifest URL, or the same file name under a mirror."""
    if not base_url:
        return source.url
    return base_url.rstrip("/") + "/" + PurePosixPath(urlsplit(source.url).path).name


# --- downloading ----------------------------------------------------------------------------


class _Failed(Exception):
    """A per-source failure; the message is the user-facing one-liner."""

    def __init__(self, message: str, status: Status = "failed") -> None:
        super().__init__(message)
        self.status: Status = status


def download(
    sources: Iterable[Source],
    dest: Path,
    *,
    client: httpx.Client | None = None,
    progress: bool = True,
    base_url: str | None = None,
) -> list[Outcome]:
    """Fetch every source into `dest` unless it is already there; one `Outcome` each.

    Failures (network, HTTP status, bad zip, hash mismatch) become outcomes and the other
    sources still run. `base_url` replaces each URL's folder, for a mirror or test server.
    """
    own_client = client is None
    http = client or httpx.Client(
        timeout=httpx.Timeout(30.0),
        follow_redirects=True,
        headers={"User-Agent": "medcode (official code-set downloader)"},
    )
    fetcher = _Fetcher(http, dest, progress=progress, base_url=base_url)
    try:
        return [fetcher.fetch(source) for source in sources]
    finally:
        fetcher.drop_bad_archives()
        if own_client:
            http.close()


class _Fetcher:
    """State for one `download` run: the cache folder and the zips already opened."""

    def __init__(
        self, http: httpx.Client, dest: Path, *, progress: bool, base_url: str | None
    ) -> None:
        self.http = http
        self.dest = dest
        self.progress = progress
        self.base_url = base_url
        self.archive_errors: dict[str, _Failed] = {}
        self.bad_archives: set[Path] = set()

    def fetch(self, source: Source) -> Outcome:
        cached = locate([source], [self.dest])[source.id]
        if cached is not None:
            digest = _sha256_file(cached)
            if not source.sha256 or digest == source.sha256:
                return Outcome(source.id, "cached", cached, f"already in {self.dest}", digest)
        url = source_url(source, self.base_url)
        try:
            if source.member:
                path, digest = self._from_archive(source, url)
            else:
                path = self.dest / _saved_name(source, _url_name(url))
                digest = self._get(url, path, source.sha256)
        except _Failed as exc:
            if exc.status == "hash-mismatch" and cached is not None:
                cached.unlink(missing_ok=True)  # a stale copy with the wrong hash must not stay
            return Outcome(source.id, exc.status, None, str(exc))
        if cached is not None and cached != path:
            cached.unlink(missing_ok=True)
        return Outcome(source.id, "downloaded", path, f"from {url}", digest)

    def drop_bad_archives(self) -> None:
        """Remove zips whose members failed their hash, so the next run fetches them anew."""
        for archive in self.bad_archives:
            archive.unlink(missing_ok=True)

    def _from_archive(self, source: Source, url: str) -> tuple[Path, str]:
        archive = self._archive(url)
        try:
            with zipfile.ZipFile(archive) as zf:
                names = sorted(
                    n
                    for n in zf.namelist()
                    if not n.endswith("/")
                    and not n.startswith("__MACOSX/")
                    and fnmatchcase(PurePosixPath(n).name.lower(), source.member.lower())
                )
                if not names:
                    raise _Failed(
                        f"no file matching {source.member!r} in {archive.name} (the release "
                        "may have renamed it: fix knowledge/sources.toml or use --source-dir)"
                    )
                natural = PurePosixPath(names[0]).name
                saved = _saved_name(source, natural)
                if not _matches(saved, source):
                    raise _Failed(
                        f"{natural} in {archive.name} does not match filename "
                        f"{source.filename!r}: fix knowledge/sources.toml"
                    )
                path = self.dest / saved  # only the base name: a zip cannot write elsewhere
                with zf.open(names[0]) as member:
                    digest = _write_verified(_chunks(member), path, source.sha256)
        except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
            archive.unlink(missing_ok=True)
            raise _Failed(f"{archive.name} is not a usable zip ({exc}); run again") from None
        except _Failed as exc:
            if exc.status == "hash-mismatch":
                self.bad_archives.add(archive)
            raise
        except OSError as exc:
            raise _Failed(f"cannot extract {source.member} from {archive.name}: {exc}") from None
        return path, digest

    def _archive(self, url: str) -> Path:
        """The zip at `url`, from the cache or downloaded once per run."""
        path = self.dest / ARCHIVES / _url_name(url)
        if url in self.archive_errors:
            raise self.archive_errors[url]
        if path.is_file() and zipfile.is_zipfile(path):
            return path
        try:
            self._get(url, path, "")
        except _Failed as exc:
            self.archive_errors[url] = exc
            raise
        return path

    def _get(self, url: str, path: Path, sha256: str) -> str:
        """Stream `url` into `path` (via a .part file); return its sha256."""
        try:
            with self.http.stream("GET", url, follow_redirects=True) as response:
                response.raise_for_status()
                kind = response.headers.get("content-type", "")
                if "text/html" in kind and not path.suffix.lower().startswith(".htm"):
                    raise _Failed(
                        f"{url} returned a web page, not the file (moved, or behind a "
                        f"licence page?); {_HOW_TO_GET}"
                    )
                return _write_verified(self._progress_chunks(response, path.name), path, sha256)
        except httpx.HTTPStatusError as exc:
            code = exc.response.status_code
            raise _Failed(
                f"HTTP {code} for {url} (file moved or renamed? fix knowledge/sources.toml, "
                "or pass --source-dir DIR with a copy of the file)"
            ) from None
        except httpx.TimeoutException:
            raise _Failed(f"timed out fetching {url}; try again later") from None
        except httpx.ConnectError as exc:
            host = urlsplit(url).netloc
            raise _Failed(f"cannot connect to {host} ({_one_line(exc)}); offline?") from None
        except httpx.HTTPError as exc:
            raise _Failed(f"download of {url} failed: {_one_line(exc)}") from None
        except OSError as exc:
            raise _Failed(f"cannot write {path}: {exc.strerror or exc}") from None

    def _progress_chunks(self, response: httpx.Response, label: str) -> Iterator[bytes]:
        total = int(response.headers.get("content-length", 0)) or None
        with tqdm(
            total=total,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=label,
            disable=not self.progress,
        ) as bar:
            for chunk in response.iter_bytes(_CHUNK):
                yield chunk
                # Bytes on the wire, so the bar matches Content-Length even when compressed.
                bar.update(response.num_bytes_downloaded - bar.n)


def _write_verified(chunks: Iterable[bytes], path: Path, sha256: str) -> str:
    """Write to ``path.part``, check the hash, then rename into place; return the hash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + PART)
    digest = hashlib.sha256()
    try:
        with part.open("wb") as out:
            for chunk in chunks:
                digest.update(chunk)
                out.write(chunk)
        actual = digest.hexdigest()
        if sha256 and actual != sha256:
            raise _Failed(
                f"{path.name}: sha256 {actual[:12]}... does not match the manifest's "
                f"{sha256[:12]}... (file removed; the release may have changed)",
                status="hash-mismatch",
            )
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)  # interrupted or rejected: never leave a partial file
        raise
    return actual


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(_CHUNK):
        yield chunk


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in _chunks(stream):
            digest.update(chunk)
    return digest.hexdigest()


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
