"""The benchmarks (assistant.eval.bench*) on the mini tabular and the fake embedder: every
figure is in the report, ratios are ours over theirs, a missing baseline is a skip reason."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from fakes import DATA, FakeEmbeddings, write_career

from assistant.config import Settings
from assistant.container import Container
from assistant.eval.bench import ratio, ratios, run_measured
from assistant.eval.bench_query import LANGCHAIN, OURS, PEER, bench_query, compare

TESTS = Path(__file__).resolve().parents[1]
FAKE = "fakes:FakeEmbeddings"  # importable in the benches' child processes via PYTHONPATH
# Lookups written for these tests, each naming a code of the mini tabular.
ROWS = [
    {"query": "type 2 diabetes with hyperglycemia", "code": "E11.65"},
    {"query": "acute myocardial infarction", "code": "I21.9"},
    {"query": "common cold", "code": "J00"},
    {"query": "angina pectoris", "code": "I20.9"},
]
FIGURES = {"top1", "top5", "p50_ms", "p95_ms"}


def needs_bench_extra() -> None:
    for module in ("langchain_classic", "langchain_community", "rank_bm25"):
        pytest.importorskip(
            module, reason="the bench extra is not installed: pip install -e '.[bench]'"
        )


# --- ratios ----------------------------------------------------------------------------------
def test_ratio_is_ours_over_theirs_and_none_without_a_figure() -> None:
    assert ratio(30.0, 150.0) == 0.2
    assert ratio(0.9, 0.6) == 1.5
    assert ratio(1.0, 0) is None
    assert ratio(None, 2.0) is None


def test_compare_gives_each_baseline_its_ratios_and_keeps_skip_reasons() -> None:
    systems = {
        OURS: {"top1": 0.9, "top5": 0.96, "p50_ms": 20.0, "p95_ms": 30.0},
        LANGCHAIN: {"top1": 0.6, "top5": 0.8, "p50_ms": 100.0, "p95_ms": 150.0},
        PEER: {"skipped": "icd10-coder is not installed (pip install 'medcode[bench]')"},
    }
    out = compare(systems, ("top1", "top5", "p50_ms", "p95_ms"))
    assert out[LANGCHAIN] == {"top1": 1.5, "top5": 1.2, "p50_ms": 0.2, "p95_ms": 0.2}
    assert out[PEER] == {"skipped": systems[PEER]["skipped"]}
    assert ratios({"a": 1.0}, {"a": 4.0}, ["a", "b"]) == {"a": 0.25, "b": None}


# --- query -----------------------------------------------------------------------------------
def test_query_report_has_every_system_figure_and_reuses_the_recipe_cache(
    ingested: Container, tmp_path: Path
) -> None:
    needs_bench_extra()
    cache = tmp_path / "bench-cache"
    first = bench_query(
        ingested,
        ROWS,
        cache_dir=cache,
        systems=(OURS, LANGCHAIN),
        recipe_embeddings=FakeEmbeddings(),
    )
    assert first["n"] == len(ROWS)
    for name in (OURS, LANGCHAIN):
        assert set(first["systems"][name]) == FIGURES
        assert 0 <= first["systems"][name]["top1"] <= first["systems"][name]["top5"] <= 1
    assert first["systems"][OURS]["top1"] == 1.0  # each row names its code's own words
    assert set(first["ratios"][LANGCHAIN]) == FIGURES
    lc = first["systems"][LANGCHAIN]
    assert first["ratios"][LANGCHAIN]["p95_ms"] == ratio(
        first["systems"][OURS]["p95_ms"], lc["p95_ms"]
    )
    build = first["build"][LANGCHAIN]
    assert (build["vectors_cached"], build["bm25_cached"]) == (False, False)
    assert set(first["machine"]["before"]) == {"cpus", "load"}
    json.dumps(first)  # the CLI prints it as one JSON line

    again = bench_query(
        ingested,
        ROWS[:1],
        cache_dir=cache,
        systems=(OURS, LANGCHAIN),
        recipe_embeddings=FakeEmbeddings(),
    )
    assert (
        again["build"][LANGCHAIN]["vectors_cached"],
        again["build"][LANGCHAIN]["bm25_cached"],
    ) == (
        True,
        True,
    )


def test_a_missing_baseline_package_is_a_one_line_skip_reason(
    ingested: Container, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in ("icd10_coder", "langchain_community"):
        monkeypatch.setitem(sys.modules, module, None)  # import now fails as if not installed
    report = bench_query(ingested, ROWS, cache_dir=tmp_path)
    assert report["systems"][PEER] == {
        "skipped": "icd10-coder is not installed (pip install 'medcode[bench]')"
    }
    assert "langchain-" in report["systems"][LANGCHAIN]["skipped"]
    assert "\n" not in report["systems"][LANGCHAIN]["skipped"]
    assert report["ratios"][PEER] == report["systems"][PEER]
    assert set(report["systems"][OURS]) == FIGURES


def test_the_peer_answers_from_its_own_cms_data(ingested: Container, tmp_path: Path) -> None:
    pytest.importorskip("icd10_coder", reason="the bench extra is not installed")
    report = bench_query(ingested, ROWS[:2], cache_dir=tmp_path, systems=(OURS, PEER))
    assert set(report["systems"][PEER]) == FIGURES
    assert report["systems"][PEER]["top5"] > 0  # its data has these codes too


# --- ingest and memory (each step a child process) ------------------------------------------
@pytest.fixture(scope="module")
def bench_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("bench")
    xml = root / "tabular.xml"
    xml.write_text((DATA / "icd10cm" / "tabular_mini.xml").read_text(encoding="utf-8"))
    return Settings(
        home=root / "home",
        tabular_xml=xml,
        knowledge_dir=write_career(root / "career"),
        collection="bench",
    )


@pytest.fixture(scope="module")
def child_path() -> Any:
    """The children import ``fakes`` (the fake embedder) from the tests folder."""
    mp = pytest.MonkeyPatch()
    mp.setenv("PYTHONPATH", f"{TESTS}:{Path.cwd()}")
    yield
    mp.undo()


@pytest.fixture(scope="module")
def ingest_report(bench_settings: Settings, child_path: Any) -> dict[str, Any]:
    pytest.importorskip("langchain_chroma")
    from assistant.eval.bench_ingest import bench_ingest

    return bench_ingest(bench_settings, None, ROWS, embedder=FAKE)


def test_ingest_report_has_every_step_and_ratio(ingest_report: dict[str, Any]) -> None:
    step_keys = {"records", "seconds", "records_per_s", "peak_rss_mb", "store_mb"}
    for step in ("ours_cold", "ours_rerun", "ours_release", "naive"):
        assert step_keys <= set(ingest_report[step]), step
        assert "failed" not in ingest_report[step], ingest_report[step]
    cold, naive = ingest_report["ours_cold"], ingest_report["naive"]
    assert cold["records"] == naive["records"] > 20
    assert ingest_report["ratios"]["records_per_s"] == ratio(
        cold["records_per_s"], naive["records_per_s"]
    )
    assert cold["peak_rss_mb"] > 20 and cold["store_mb"] > 0
    json.dumps(ingest_report)


def test_a_rerun_embeds_nothing_and_a_release_only_its_changed_titles(
    ingest_report: dict[str, Any],
) -> None:
    cold, rerun, release = (ingest_report[s] for s in ("ours_cold", "ours_rerun", "ours_release"))
    assert cold["embedded"] > 0
    assert (rerun["embedded"], rerun["written"]) == (0, 0)
    assert 0 < release["embedded"] == release["written"] < cold["records"] * 0.1


def test_both_stores_answer_the_same_rows(ingest_report: dict[str, Any]) -> None:
    acc = ingest_report["accuracy"]
    assert acc["ours"]["n"] == acc["naive"]["n"] == len(ROWS)
    assert acc["ours"]["top1"] == 1.0
    assert 0 <= acc["naive"]["top1"] <= acc["naive"]["top5"] <= 1


def test_memory_reports_the_serving_process_peak(
    ingest_report: dict[str, Any], bench_settings: Settings, child_path: Any
) -> None:
    from assistant.eval.bench_memory import bench_memory

    home = bench_settings.home / "bench" / "ingest" / "ours"
    served = bench_settings.model_copy(update={"home": home})
    report = bench_memory(
        served, questions=("common cold", "what is E11.65?"), rounds=1, embedder=FAKE
    )
    assert "failed" not in report, report
    assert (report["answered"], report["page_status"]) == (2, 200)
    assert report["code_sets"] == ["icd10cm"]
    assert report["peak_rss_mb"] >= report["rss_mb"] > 50


def test_a_failing_child_is_reported_not_raised() -> None:
    run = run_measured("assistant.eval.bench_ingest", {"phase": "ours", "settings": {"top_k": 0}})
    assert run.returncode == 1
    assert run.result["error"].startswith("ValidationError")
