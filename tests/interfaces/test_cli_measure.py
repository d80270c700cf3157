"""The measuring commands: ``eval tuning-set``, ``eval ablate`` and ``bench query`` on the
fixture release (``cli_ingested``: settings from the environment, the word-hashing embedder)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.interfaces.cli import main
from assistant.search.ranking import RULES


def last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def test_tuning_set_then_ablate_gives_every_rule_a_line(
    cli_ingested: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["eval", "tuning-set", "--out", str(tmp_path)]) == 0
    written = last_json(capsys.readouterr().out)
    kept, held = tmp_path / "tuning_icd10cm.jsonl", tmp_path / "tuning_icd10cm_holdout.jsonl"
    assert written["tuning"] == len(kept.read_text().splitlines())
    assert written["holdout"] == len(held.read_text().splitlines())
    assert main(["eval", "ablate", str(kept), "--codeset", "icd10cm"]) == 0
    out, err = capsys.readouterr()
    report = last_json(out)
    assert set(report["baseline"]) == {"tuning_icd10cm"}
    assert [e["rule"] for e in report["rules"]] == [r.name for r in RULES]
    assert "all rules on" in err


def test_ablate_needs_lookup_rows(
    cli_ingested: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    rows = tmp_path / "chats.jsonl"
    rows.write_text(json.dumps({"turns": ["broken wrist"], "code": "S62.90XA"}) + "\n")
    assert main(["eval", "ablate", str(rows)]) == 2
    assert "needs 'query' and 'code'" in capsys.readouterr().err


def test_bench_query_of_ours_alone_reports_its_figures(
    cli_ingested: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    rows = tmp_path / "lookups.jsonl"
    rows.write_text(
        json.dumps({"query": "streptococcal pharyngitis", "code": "J02.0"})
        + "\n"
        + json.dumps({"query": "type 2 diabetes mellitus with hyperglycemia", "code": "E11.65"})
        + "\n"
    )
    assert main(["bench", "query", str(rows), "--systems", "medcode"]) == 0
    report = last_json(capsys.readouterr().out)
    assert report["n"] == 2
    assert set(report["systems"]["medcode"]) == {"top1", "top5", "p50_ms", "p95_ms"}


def test_bench_query_names_an_unknown_system(
    cli_ingested: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    rows = tmp_path / "lookups.jsonl"
    rows.write_text(json.dumps({"query": "strep throat", "code": "J02.0"}) + "\n")
    assert main(["bench", "query", str(rows), "--systems", "medcode,grep"]) == 2
    assert "unknown grep" in capsys.readouterr().err
