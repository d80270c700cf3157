"""Fetching the official files the manifest lists into the download cache, verified.

A download is written to ``<name>.part`` and renamed only once complete and verified, so a
file under its final name is always whole; a leftover ``.part`` is simply overwritten.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from typing import IO, Literal
from urllib.parse import urlsplit

import httpx
from tqdm import tqdm

from assistant.sources.manifest import (
    HOW_TO_GET,
    PART,
    Source,
    locate,
    matches,
    saved_name,
    url_name,
)

Status = Literal["downloaded", "cached", "failed", "hash-mismatch"]

ARCHIVES = "archives"  # sub-folder of the cache that keeps downloaded zips
_CHUNK = 1 << 16


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
                path = self.dest / saved_name(source, url_name(url))
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
                saved = saved_name(source, natural)
                if not matches(saved, source):
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
        path = self.dest / ARCHIVES / url_name(url)
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
                        f"licence page?); {HOW_TO_GET}"
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
