"""Tests for the source manifest and downloader (assistant.sources.download), against a local server."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import socket
import threading
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from fakes import SHARED

from assistant.sources.download import download, source_url
from assistant.sources.manifest import (
    DownloadError,
    Source,
    load_manifest,
    locate,
    missing_report,
)

GUIDE = b"%PDF-1.4 official guidelines, small test copy\n" * 2000
EINDEX = b'<?xml version="1.0"?><ICD10CM.index><version>2026</version></ICD10CM.index>'
DRUG = b'<?xml version="1.0"?><ICD10CM.index><title>Drugs</title></ICD10CM.index>'
MIRROR = "https://ftp.example.invalid/pub/ICD10CM/2026-update"


# --- a real HTTP server on 127.0.0.1 --------------------------------------------------------


class _Handler(SimpleHTTPRequestHandler):
    """Serves a folder, records each request, and can misbehave on purpose."""

    def do_GET(self) -> None:
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        name = self.path.rsplit("/", 1)[-1]
        if name == "truncated.pdf":  # the connection drops mid-file
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"%PDF-1.4 only the start")
            self.close_connection = True
            return
        if name == "behind-licence.zip":  # an interstitial page instead of the file
            body = b"<html><body>Accept the licence to continue</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


@dataclasses.dataclass
class Server:
    url: str
    requests: list[str]


@contextmanager
def serve(root: Path) -> Iterator[Server]:
    """Serve `root` in place on an ephemeral port for the duration of the block."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(root)))
    httpd.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}", httpd.requests)  # type: ignore[attr-defined]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Server]:
    """A server with a PDF and a release zip whose members sit in a sub-folder."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "guide.pdf").write_bytes(GUIDE)
    with zipfile.ZipFile(root / "release.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("release/icd10cm-eindex-April-1-2026-XML.xml", EINDEX)
        zf.writestr("release/icd10cm-drug-April-1-2026-XML.xml", DRUG)
        zf.writestr("release/readme.txt", "not wanted")
    with serve(root) as server:
        yield server


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=10) as http:
        yield http


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def guide_source(url: str = f"{MIRROR}/guide.pdf", sha256: str = "") -> Source:
    return Source(
        id="guidelines",
        code_set="ICD-10-CM",
        version="2026",
        title="Official Guidelines",
        kind="guidelines",
        url=url,
        filename="icd10cm-guidelines-fy2026.pdf",
        sha256=sha256,
    )


def member_source(kind: str, sha256: str = "", url: str = f"{MIRROR}/release.zip") -> Source:
    return Source(
        id=f"icd10cm-{kind}-2026",
        code_set="ICD-10-CM",
        version="2026",
        title=f"ICD-10-CM {kind}",
        kind=kind,
        url=url,
        member=f"icd10cm-{kind}-*2026*.xml",
        filename=f"icd10cm-{kind}-*2026*.xml",
        sha256=sha256,
    )


def leftovers(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.rglob("*.part"))


# --- downloading ----------------------------------------------------------------------------


def test_download_checks_the_hash_and_shows_progress(
    site: Server, client: httpx.Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "downloads"
    [outcome] = download([guide_source(sha256=sha(GUIDE))], dest, client=client, base_url=site.url)

    assert outcome.status == "downloaded", outcome.message
    assert outcome.path == dest / "icd10cm-guidelines-fy2026.pdf"
    assert outcome.path.read_bytes() == GUIDE
    assert outcome.sha256 == sha(GUIDE)
    assert site.requests == ["/guide.pdf"]  # base_url + the manifest URL's file name
    assert "icd10cm-guidelines-fy2026.pdf" in capsys.readouterr().err  # the tqdm bar
    assert leftovers(dest) == []


def test_wrong_hash_is_reported_and_the_file_removed(
    site: Server, client: httpx.Client, tmp_path: Path
) -> None:
    dest = tmp_path / "downloads"
    [outcome] = download(
        [guide_source(sha256="0" * 64)], dest, client=client, progress=False, base_url=site.url
    )

    assert outcome.status == "hash-mismatch"
    assert outcome.path is None
    assert "sha256" in outcome.message and "\n" not in outcome.message
    assert list(dest.iterdir()) == []


def test_zip_members_are_extracted_from_one_download(
    site: Server, client: httpx.Client, tmp_path: Path
) -> None:
    dest = tmp_path / "downloads"
    sources = [member_source("eindex", sha256=sha(EINDEX)), member_source("drug")]
    outcomes = download(sources, dest, client=client, progress=False, base_url=site.url)

    assert [o.status for o in outcomes] == ["downloaded", "downloaded"], outcomes
    assert outcomes[0].path == dest / "icd10cm-eindex-April-1-2026-XML.xml"
    assert outcomes[0].path.read_bytes() == EINDEX
    assert outcomes[1].path is not None and outcomes[1].path.read_bytes() == DRUG
    assert site.requests == ["/release.zip"]  # shared zip fetched once
    assert not (dest / "readme.txt").exists()
    assert leftovers(dest) == []


def test_wrong_hash_on_a_zip_member(site: Server, client: httpx.Client, tmp_path: Path) -> None:
    dest = tmp_path / "downloads"
    [outcome] = download(
        [member_source("eindex", sha256="f" * 64)],
        dest,
        client=client,
        progress=False,
        base_url=site.url,
    )

    assert outcome.status == "hash-mismatch"
    assert locate([member_source("eindex")], [dest]) == {"icd10cm-eindex-2026": None}
    assert not list(dest.rglob("*.zip"))  # the next run fetches a fresh copy


def test_second_run_uses_the_cache_without_any_request(
    site: Server, client: httpx.Client, tmp_path: Path
) -> None:
    dest = tmp_path / "downloads"
    sources = [guide_source(sha256=sha(GUIDE)), member_source("eindex"), member_source("drug")]
    first = download(sources, dest, client=client, progress=False, base_url=site.url)
    requests_after_first = list(site.requests)
    second = download(sources, dest, client=client, progress=False, base_url=site.url)

    assert [o.status for o in first] == ["downloaded"] * 3
    assert [o.status for o in second] == ["cached"] * 3
    assert [o.path for o in second] == [o.path for o in first]
    assert site.requests == requests_after_first


def test_cached_file_with_a_stale_hash_is_fetched_again(
    site: Server, client: httpx.Client, tmp_path: Path
) -> None:
    dest = tmp_path / "downloads"
    dest.mkdir()
    (dest / "icd10cm-guidelines-fy2026.pdf").write_bytes(b"last year's guidelines")
    [outcome] = download(
        [guide_source(sha256=sha(GUIDE))], dest, client=client, progress=False, base_url=site.url
    )

    assert outcome.status == "downloaded"
    assert (dest / "icd10cm-guidelines-fy2026.pdf").read_bytes() == GUIDE


def test_http_404_fails_in_one_line_and_the_rest_still_download(
    site: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # the downloader's own client, no proxy
    dest = tmp_path / "downloads"
    missing = guide_source(f"{site.url}/gone.pdf").model_copy(update={"id": "gone"})
    outcomes = download([missing, guide_source(f"{site.url}/guide.pdf")], dest, progress=False)

    assert outcomes[0].status == "failed"
    assert "HTTP 404" in outcomes[0].message and "gone.pdf" in outcomes[0].message
    assert "\n" not in outcomes[0].message
    assert outcomes[1].status == "downloaded"
    assert outcomes[1].path is not None and outcomes[1].path.read_bytes() == GUIDE


def test_unreachable_server_gives_one_line_failures(client: httpx.Client, tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sources = [guide_source(), member_source("eindex"), member_source("drug")]
    outcomes = download(
        sources, tmp_path, client=client, progress=False, base_url=f"http://127.0.0.1:{port}"
    )

    assert [o.status for o in outcomes] == ["failed"] * 3
    for outcome in outcomes:
        assert "cannot connect to 127.0.0.1" in outcome.message
        assert "\n" not in outcome.message
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == []


def test_leftover_part_file_is_not_taken_as_complete(
    site: Server, client: httpx.Client, tmp_path: Path
) -> None:
    dest = tmp_path / "downloads"
    dest.mkdir()
    (dest / "icd10cm-guidelines-fy2026.pdf.part").write_bytes(GUIDE[:100])  # killed run
    source = guide_source()

    assert locate([source], [dest]) == {"guidelines": None}
    [outcome] = download([source], dest, client=client, progress=False, base_url=site.url)
    assert outcome.status == "downloaded"
    assert (dest / "icd10cm-guidelines-fy2026.pdf").read_bytes() == GUIDE
    assert leftovers(dest) == []


def test_dropped_connection_leaves_no_file(
    site: Server, client: httpx.Client, tmp_path: Path
) -> None:
    dest = tmp_path / "downloads"
    source = guide_source(f"{MIRROR}/truncated.pdf")
    [outcome] = download([source], dest, client=client, progress=False, base_url=site.url)

    assert outcome.status == "failed"
    assert "\n" not in outcome.message
    assert list(dest.iterdir()) == []


def test_web_page_instead_of_the_file_is_refused(
    site: Server, client: httpx.Client, tmp_path: Path
) -> None:
    dest = tmp_path / "downloads"
    source = member_source("eindex", url=f"{MIRROR}/behind-licence.zip")
    [outcome] = download([source], dest, client=client, progress=False, base_url=site.url)

    assert outcome.status == "failed"
    assert "web page" in outcome.message
    assert [p for p in dest.rglob("*") if p.is_file()] == []


def test_renamed_zip_member_is_reported(site: Server, client: httpx.Client, tmp_path: Path) -> None:
    [outcome] = download(
        [member_source("neoplasm")], tmp_path, client=client, progress=False, base_url=site.url
    )

    assert outcome.status == "failed"
    assert "icd10cm-neoplasm-*2026*.xml" in outcome.message and "release.zip" in outcome.message


def test_source_url_swaps_only_the_folder() -> None:
    source = guide_source("https://www.cms.gov/files/document/fy-2026-guidelines.pdf")

    assert source_url(source) == source.url
    assert source_url(source, "http://127.0.0.1:8/mirror/") == (
        "http://127.0.0.1:8/mirror/fy-2026-guidelines.pdf"
    )


# --- locating files -------------------------------------------------------------------------


def test_locate_searches_source_dirs_in_order_and_their_subfolders(tmp_path: Path) -> None:
    user_dir, cache = tmp_path / "mine", tmp_path / "cache"
    (user_dir / "cdc" / "2026").mkdir(parents=True)
    (user_dir / "cdc" / "2026" / "icd10cm-eindex-April-1-2026-XML.xml").write_bytes(EINDEX)
    (user_dir / ".hidden").mkdir()
    (user_dir / ".hidden" / "icd10cm-drug-2026.xml").write_bytes(DRUG)
    cache.mkdir()
    (cache / "icd10cm-drug-April-1-2026-XML.xml").write_bytes(DRUG)
    (cache / "icd10cm-eindex-2026.xml").write_bytes(EINDEX)
    sources = [member_source("eindex"), member_source("drug"), member_source("neoplasm")]

    found = locate(sources, [user_dir, cache, tmp_path / "absent"])

    assert found == {
        "icd10cm-eindex-2026": user_dir / "cdc" / "2026" / "icd10cm-eindex-April-1-2026-XML.xml",
        "icd10cm-drug-2026": cache / "icd10cm-drug-April-1-2026-XML.xml",
        "icd10cm-neoplasm-2026": None,
    }


def test_locate_accepts_aliases_but_prefers_the_filename(tmp_path: Path) -> None:
    source = guide_source().model_copy(update={"aliases": ("fy-2026-*guidelines*.pdf",)})
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "fy-2026-icd-10-cm-official-guidelines.pdf").write_bytes(GUIDE)

    assert locate([source], [tmp_path])["guidelines"] == (
        tmp_path / "a" / "fy-2026-icd-10-cm-official-guidelines.pdf"
    )
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "ICD10CM-Guidelines-FY2026.PDF").write_bytes(GUIDE)  # case differs
    assert locate([source], [tmp_path])["guidelines"] == (
        tmp_path / "b" / "ICD10CM-Guidelines-FY2026.PDF"
    )


def test_manifest_names_match_cdc_and_cms_file_names(tmp_path: Path) -> None:
    names = {
        "icd10cm-tabular-2026": ["icd10c-tabular-April-1-2026.xml", "icd10cm-tabular-2026.xml"],
        "icd10cm-index-2026": ["icd10cm-index-April-1-2026-XML.xml", "icd10cm-index-2026.xml"],
        "icd10cm-eindex-2026": ["icd10cm-eindex-April-1-2026-XML.xml"],
        "icd10cm-neoplasm-2026": ["icd10cm-neoplasm-April-1-2026-XML.xml"],
        "icd10cm-drug-2026": ["icd10cm-drug-April-1-2026-XML.xml"],
        "icd10cm-guidelines-2026": [
            "icd10cm-guidelines-fy2026.pdf",
            "fy-2026-icd-10-cm-official-guidelines.pdf",
        ],
        "icd10pcs-tables-2026": ["icd10pcs_tables_2026.xml"],
        "icd10pcs-definitions-2026": ["icd10pcs_definitions_2026.xml"],
        "icd10pcs-index-2026": ["icd10pcs_index_2026.xml", "icd10pcs_index_2025.xml"],
        "hcpcs-2026-jan": ["HCPC2026_JAN_ANWEB.xlsx", "hcpcs-2026-jan.csv"],
        "hcpcs-noc": ["NOC_codes_JUL2025.xlsx", "noc-codes-jul2025.xlsx"],
    }
    sources = load_manifest()
    for source_id, files in names.items():
        for name in files:
            folder = tmp_path / name
            folder.mkdir()
            (folder / name).touch()
            assert locate(sources, [folder])[source_id] == folder / name, name
    # ...and no entry claims a neighbour's file or last year's release.
    for name in ["icd10cm-index-2025.xml", "icd10cm-eindex-2025.xml", "icd10pcs_tables_2025.xml"]:
        folder = tmp_path / name
        folder.mkdir()
        (folder / name).touch()
        assert set(locate(sources, [folder]).values()) == {None}, name


def test_missing_report_says_what_is_missing_and_how_to_get_it(tmp_path: Path) -> None:
    sources = [guide_source(), member_source("eindex")]
    (tmp_path / "icd10cm-eindex-2026.xml").write_bytes(EINDEX)

    report = missing_report(locate(sources, [tmp_path]), sources)

    assert report.splitlines() == [report]  # one line: only the guidelines are missing
    assert report.startswith("missing guidelines: Official Guidelines")
    assert "medcode download" in report and "--source-dir" in report
    assert missing_report({"guidelines": tmp_path}) == ""
    assert missing_report({"x": None}).startswith("missing x:")


# --- the manifest ---------------------------------------------------------------------------


def test_bundled_manifest_lists_every_official_file() -> None:
    sources = load_manifest()

    assert {s.id: s.kind for s in sources} == {
        "icd10cm-tabular-2026": "tabular",
        "icd10cm-index-2026": "index",
        "icd10cm-eindex-2026": "eindex",
        "icd10cm-neoplasm-2026": "neoplasm",
        "icd10cm-drug-2026": "drug",
        "icd10cm-guidelines-2026": "guidelines",
        "icd10pcs-tables-2026": "pcs-tables",
        "icd10pcs-definitions-2026": "pcs-definitions",
        "icd10pcs-index-2026": "pcs-index",
        "hcpcs-2026-jan": "hcpcs",
        "hcpcs-noc": "hcpcs-noc",
    }
    for source in sources:
        assert source.url.startswith(("https://ftp.cdc.gov/", "https://www.cms.gov/"))
        assert "public domain" in source.licence
        assert source.sha256 == "" or len(source.sha256) == 64


GOOD = """
[[source]]
id = "g"
code_set = "ICD-10-CM"
version = "2026"
title = "Guidelines"
kind = "guidelines"
url = "https://example.invalid/g.pdf"
filename = "g.pdf"
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[[source]\nid = 1", "invalid TOML"),
        ("note = 'nothing here'", "no [[source]] entries"),
        (GOOD.replace("[[source]]", "[[sources]]"), "unknown top-level key 'sources'"),
        (GOOD.replace('title = "Guidelines"\n', ""), "g: 'title' must be a non-empty string"),
        (GOOD.replace('"guidelines"', '"tabulr"'), "unknown kind 'tabulr'"),
        (GOOD + 'sha256 = "abc"\n', "sha256 must be 64 hex digits"),
        (GOOD + 'checksum = ""\n', "unknown key 'checksum'"),
        (GOOD.replace("https://", "ftp://"), "url must start with http"),
        (GOOD.replace('"g.pdf"\n', '"docs/g.pdf"\n'), "names, not paths"),
        (GOOD.replace('"g.pdf"\n', '"*guide*.pdf"\n'), "does not match filename"),
        (GOOD + GOOD, "duplicate source id 'g'"),
    ],
)
def test_manifest_errors_are_one_line(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(DownloadError) as caught:
        load_manifest(path)

    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="source manifest not found"):
        load_manifest(tmp_path / "nope.toml")


def test_good_manifest_parses(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(GOOD + 'aliases = ["G-*.pdf"]\nsha256 = "' + "AB" * 32 + '"\n')

    [source] = load_manifest(path)

    assert source.patterns == ("g.pdf", "G-*.pdf")
    assert source.sha256 == "ab" * 32  # normalised to lower case
    assert source.member == ""


# --- real official files from ../shared/data ------------------------------------------------


@pytest.mark.integration
@pytest.mark.skipif(not SHARED.is_dir(), reason=f"reference data folder {SHARED} is absent")
def test_real_files_download_from_a_local_mirror(client: httpx.Client, tmp_path: Path) -> None:
    guide_file = SHARED / "guidelines" / "icd10cm-guidelines-fy2026.pdf"
    eindex_file = SHARED / "icd10cm" / "icd10cm-eindex-April-1-2026-XML.xml"
    manifest = {s.id: s for s in load_manifest()}
    # The real manifest entries, pointed at the file names the shared folder uses.
    guide = manifest["icd10cm-guidelines-2026"].model_copy(
        update={"url": f"{MIRROR}/{guide_file.name}"}
    )
    eindex = manifest["icd10cm-eindex-2026"].model_copy(
        update={"url": f"{MIRROR}/{eindex_file.name}", "member": ""}
    )
    dest = tmp_path / "downloads"

    with serve(SHARED) as server:  # served in place, never copied
        [got_guide] = download(
            [guide], dest, client=client, progress=False, base_url=f"{server.url}/guidelines"
        )
        [got_eindex] = download(
            [eindex], dest, client=client, progress=False, base_url=f"{server.url}/icd10cm"
        )
        again = download([guide], dest, client=client, progress=False, base_url=server.url)
        requests = len(server.requests)

    assert got_guide.status == got_eindex.status == "downloaded"
    assert got_guide.sha256 == sha(guide_file.read_bytes())
    assert got_eindex.sha256 == sha(eindex_file.read_bytes())
    assert got_guide.path is not None and got_guide.path.read_bytes()[:5] == b"%PDF-"
    assert got_eindex.path is not None
    assert ET.parse(got_eindex.path).getroot().tag == "ICD10CM.index"
    assert [o.status for o in again] == ["cached"] and requests == 2
    assert locate([guide, eindex], [dest]) == {guide.id: got_guide.path, eindex.id: got_eindex.path}
