"""Ingest (ingest.run_ingest, ingest.pipeline.sync): counts, hash skipping, resuming, bad files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from uuid import uuid4

import pytest
from fakes import (
    DATA,
    TABULAR_XML,
    FakeEmbeddings,
    ephemeral_client,
    make_container,
    tab_of,
    write_career,
    write_tabular,
)

import ingest.pipeline
from assistant.codesets.icd10cm.records import code_records
from assistant.codesets.icd10cm.tabular import load_tabular
from assistant.container import Container
from assistant.core.records import Record
from assistant.search.lexical import LexicalIndex
from assistant.search.vectors import VectorStore
from ingest import run_ingest
from ingest.career import career_records


class Killed(RuntimeError):
    """Stands in for the process dying mid-ingest."""


class CrashingStore(VectorStore):
    """A real store whose n-th upsert dies before anything is written."""

    def __init__(self, *args, crash_on: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.crash_on = crash_on
        self.upserts = 0

    def upsert(self, name: str, records: Sequence[Record]) -> int:
        self.upserts += 1
        if self.upserts == self.crash_on:
            raise Killed("killed during upsert")
        return super().upsert(name, records)


class CrashingLedger(LexicalIndex):
    """A real lexical index whose n-th put dies after the batch reached Chroma."""

    def __init__(self, path: Path, crash_on: int) -> None:
        super().__init__(path)
        self.crash_on = crash_on
        self.puts = 0

    def put(self, collection: str, group: str, records: Sequence[Record]) -> None:
        self.puts += 1
        if self.puts == self.crash_on:
            raise Killed("killed before the ledger was written")
        super().put(collection, group, records)


def rerun_with(container: Container, tmp_path: Path, xml_text: str) -> Container:
    """The same home, collection and Chroma, after the user edits the tabular XML."""
    container.close()
    tab = load_tabular(write_tabular(tmp_path / "edited", xml_text))
    return make_container(
        container.settings.home,
        tab,
        container.settings.knowledge_dir,
        collection=container.settings.collection,
        client=container.store.client,
    )


def assert_consistent(container: Container) -> None:
    """Ledger, FTS and Chroma hold the same records."""
    for collection in ("codes", "career"):
        assert container.lexical.count(collection) == container.store.count(collection), collection


def n_records(container: Container) -> tuple[int, int]:
    codes = len(code_records(tab_of(container)))
    career = len(career_records(container.settings.knowledge_dir))
    return codes, career


# --- first and repeated runs ----------------------------------------------------------------
def test_first_ingest_adds_every_code_and_career_section(container: Container) -> None:
    summary = run_ingest(container, progress=False)
    codes, career = n_records(container)
    assert codes == 42 + 5  # 42 code nodes + 5 inclusion-term aliases
    sections = {r.id.split("#")[0] for r in career_records(container.settings.knowledge_dir)}
    assert len(sections) == 3
    assert summary.per_source["icd10cm"].added == codes
    assert summary.per_source["career"].added == career
    assert summary.line().startswith(
        f"ingest: {codes + career} added, 0 updated, 0 skipped, 0 removed"
    )
    assert container.lexical.count("codes") == codes
    assert_consistent(container)


def test_missing_official_files_are_reported_not_fatal(container: Container) -> None:
    summary = run_ingest(container, progress=False)
    report = "\n".join(summary.notes)
    assert "missing icd10cm-guidelines-2026" in report
    assert "missing icd10cm-index-2026" in report
    assert "guidelines" not in summary.per_source
    assert container.lexical.count("guidelines") == 0


def test_second_run_skips_everything_and_embeds_nothing(ingested: Container) -> None:
    embedder = ingested.embeddings
    assert isinstance(embedder, FakeEmbeddings)
    before = embedder.calls
    summary = run_ingest(ingested, progress=False)
    codes, career = n_records(ingested)
    assert (summary.total.added, summary.total.updated, summary.total.removed) == (0, 0, 0)
    assert summary.total.skipped == codes + career
    assert embedder.calls == before
    assert_consistent(ingested)


def test_changed_description_updates_only_that_code(ingested: Container, tmp_path: Path) -> None:
    edited = TABULAR_XML.replace(
        "Type 2 diabetes mellitus with hyperglycemia",
        "Type 2 diabetes mellitus with hyperglycaemia",
    )
    again = rerun_with(ingested, tmp_path, edited)
    summary = run_ingest(again, progress=False)
    codes, career = n_records(again)
    assert summary.per_source["icd10cm"].updated == 1
    assert summary.total.added == summary.total.removed == 0
    assert summary.total.skipped == codes + career - 1
    assert [r for r, _ in again.lexical.search("codes", "hyperglycaemia", 5)] == [
        "icd10cm:2026:E11.65"
    ]
    old = [r for r, _ in again.lexical.search("codes", "hyperglycemia", 5)]
    assert old == ["icd10cm:2026:E10.65"]
    assert_consistent(again)


def test_changed_code_with_inclusion_terms_updates_its_alias_too(
    ingested: Container, tmp_path: Path
) -> None:
    edited = TABULAR_XML.replace(
        "<desc>Acute myocardial infarction, unspecified</desc>",
        "<desc>Acute myocardial infarction, not specified</desc>",
    )
    again = rerun_with(ingested, tmp_path, edited)
    summary = run_ingest(again, progress=False)
    assert summary.per_source["icd10cm"].updated == 2  # I21.9 and I21.9#inc1
    assert summary.total.added == summary.total.removed == 0
    assert_consistent(again)


def test_removed_code_is_removed_from_both_indexes(ingested: Container, tmp_path: Path) -> None:
    block = """          <diag>
            <name>E11.69</name>
            <desc>Type 2 diabetes mellitus with other specified complication</desc>
          </diag>
"""
    assert block in TABULAR_XML
    again = rerun_with(ingested, tmp_path, TABULAR_XML.replace(block, ""))
    summary = run_ingest(again, progress=False)
    assert summary.per_source["icd10cm"].removed == 1
    assert summary.total.added == summary.total.updated == 0
    assert again.lexical.get(["icd10cm:2026:E11.69"]) == {}
    assert again.store.vectors("codes", ["icd10cm:2026:E11.69"]) == {}
    hits = again.search("icd10cm").search_codes(
        "type 2 diabetes other specified complication", k=10
    )
    assert "E11.69" not in [h.code for h in hits]
    assert_consistent(again)


# --- killed ingests resume ------------------------------------------------------------------
def test_ingest_killed_before_a_batch_reaches_chroma_resumes(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest.pipeline, "BATCH", 10)
    container.store = CrashingStore(  # type: ignore[misc]
        container.store.client,
        container.embeddings,
        container.lexical.get,
        prefix=container.settings.collection,
        crash_on=2,
    )
    with pytest.raises(Killed):
        run_ingest(container, progress=False)
    assert container.lexical.count("codes") == container.store.count("codes") == 10

    del container.store  # back to the real store over the same Chroma
    summary = run_ingest(container, progress=False)
    codes, career = n_records(container)
    assert summary.total.skipped == 10
    assert summary.total.added == codes + career - 10
    assert container.lexical.count("codes") == codes
    assert_consistent(container)
    best = container.search("icd10cm").search_codes("fracture of nasal bones, initial encounter")[0]
    assert best.code == "S02.2XXA"


def test_ingest_killed_before_the_ledger_is_written_redoes_one_batch(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest.pipeline, "BATCH", 10)
    container.lexical = CrashingLedger(container.settings.lexical_path, crash_on=2)  # type: ignore[misc]
    with pytest.raises(Killed):
        run_ingest(container, progress=False)
    assert container.lexical.count("codes") == 10
    assert container.store.count("codes") == 20  # the second batch reached Chroma only
    container.close()

    del container.lexical
    embedder = container.embeddings
    assert isinstance(embedder, FakeEmbeddings)
    before = embedder.calls
    summary = run_ingest(container, progress=False)
    codes, career = n_records(container)
    assert summary.total.added == codes + career - 10
    # Nothing in the ledger is re-embedded, nor the batch that reached Chroma before the kill.
    texts = {r.text for r in code_records(tab_of(container))} | {
        r.text for r in career_records(container.settings.knowledge_dir)
    }
    assert embedder.calls - before <= len(texts) - 20
    assert container.lexical.count("codes") == codes
    assert_consistent(container)


# --- malformed sources ----------------------------------------------------------------------
BROKEN_MD = "# One title\n\n# A second title\n\n## Section\n\ntext\n"


def test_malformed_career_file_is_a_one_line_note_and_codes_still_ingest(
    container: Container,
) -> None:
    write_career(container.settings.knowledge_dir, BROKEN_MD, name="broken.md")
    summary = run_ingest(container, progress=False)
    notes = [n for n in summary.skipped if n.startswith("career:")]
    assert notes == ["career: skipped, broken.md: expected one '# ' title, found 2"]
    codes = len(code_records(tab_of(container)))
    assert summary.per_source["icd10cm"].added == codes
    assert "career" not in summary.per_source
    assert container.lexical.count("codes") == container.store.count("codes") == codes


def test_career_file_broken_later_keeps_what_was_stored(ingested: Container) -> None:
    _codes, career = n_records(ingested)
    write_career(ingested.settings.knowledge_dir, BROKEN_MD, name="broken.md")
    summary = run_ingest(ingested, progress=False)
    assert any(n.startswith("career: skipped, broken.md") for n in summary.skipped)
    assert ingested.lexical.count("career") == ingested.store.count("career") == career
    assert ingested.passages("career").search("certifications exam")[0].record.metadata["ref"] == (
        "Certifications"
    )
    assert summary.total.removed == 0


def test_a_long_section_also_gets_overlapping_window_vectors(career_dir: Path) -> None:
    from assistant.core.passages import PART_CHARS
    from assistant.core.records import PART

    body = " ".join(f"Sentence {n} about medical coding work." for n in range(60))
    write_career(career_dir, f"# Guide\n\n## Short\n\nBrief.\n\n## Long\n\n{body}\n", name="g.md")
    records = [r for r in career_records(career_dir) if r.id.startswith("career:g:")]
    windows = [r for r in records if PART in r.id]
    assert windows and all(r.id.startswith("career:g:long#part") for r in windows)
    assert all(r.metadata["alias"] and r.text.startswith("Guide: Long\n") for r in windows)
    assert all(len(r.text) <= len("Guide: Long\n") + PART_CHARS for r in windows)
    assert "Sentence 59" in windows[-1].text and "Sentence 0 " in windows[0].text


def test_a_new_release_embeds_only_the_descriptions_that_changed(
    clean_env: None, tmp_path: Path, career_dir: Path
) -> None:
    first = load_tabular(write_tabular(tmp_path / "v1"))
    client = ephemeral_client()
    collection = f"t{uuid4().hex[:8]}"
    old = make_container(tmp_path / "home", first, career_dir, collection, client)
    run_ingest(old, progress=False)
    old.close()
    # The next release: a new version in every id, one title reworded.
    text = (DATA / "icd10cm" / "tabular_mini.xml").read_text(encoding="utf-8")
    text = text.replace("<version>2026</version>", "<version>2027</version>").replace(
        "Acute pharyngitis, unspecified", "Acute pharyngitis, site not specified"
    )
    second = load_tabular(write_tabular(tmp_path / "v2", text))
    new = make_container(tmp_path / "home", second, career_dir, collection, client)
    embedder = new.embeddings
    assert isinstance(embedder, FakeEmbeddings)
    summary = run_ingest(new, progress=False)
    assert summary.per_source["icd10cm"].added == len(code_records(second))
    assert summary.total.embedded == 1 == embedder.calls
    hits = new.search("icd10cm").search_codes("acute pharyngitis site not specified", k=3)
    assert hits[0].code == "J02.9"
