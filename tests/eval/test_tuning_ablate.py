"""Tuning sets from the code set's own text, and the ablation that measures each rule on them."""

from __future__ import annotations

from pathlib import Path

from assistant.codesets.icd10cm.alphaindex import IndexEntry
from assistant.codesets.icd10cm.tabular import Tabular
from assistant.container import Container
from assistant.eval import ablate, tuning
from assistant.search.ranking import RULES


def test_inclusion_rows_are_billable_codes_and_never_their_own_title(small_tab: Tabular) -> None:
    rows = tuning.inclusion_rows(small_tab)
    assert {"query": "Streptococcal sore throat", "code": "J02.0", "kind": "inclusion"} in rows
    for row in rows:
        assert small_tab.is_billable(row["code"])
        assert row["query"].casefold() != small_tab.node(row["code"]).description.casefold()
        assert len(row["query"].split()) >= tuning.MIN_WORDS


def test_index_rows_keep_entries_leading_to_one_billable_code(small_tab: Tabular) -> None:
    entries = [
        IndexEntry(
            "index",
            ("Pharyngitis", "streptococcal"),
            1,
            code="J02.0",
            terms=("Pharyngitis", "streptococcal"),
        ),
        IndexEntry("index", ("Pharyngitis",), 0, code="J02.-", terms=("Pharyngitis",)),
        IndexEntry("index", ("Sore", "throat", "acute"), 2, code="J02", terms=("Sore", "throat")),
        IndexEntry(
            "index",
            ("Arthritis", "in", "gout"),
            2,
            code="J02.0",
            manif="M14.8-",
            terms=("Arthritis", "in", "gout"),
        ),
    ]
    rows = tuning.index_rows(small_tab, entries)
    assert rows == [{"query": "Pharyngitis, streptococcal", "code": "J02.0", "kind": "index"}]


def test_the_split_keeps_each_code_on_one_side_and_is_seeded(small_tab: Tabular) -> None:
    kept, held = tuning.build(small_tab, seed=3)
    assert kept or held
    assert not {r["code"] for r in kept} & {r["code"] for r in held}
    assert all(tuning.held_out(r["code"]) for r in held)
    assert tuning.build(small_tab, seed=3) == (kept, held)


def test_queries_of_an_evaluation_file_are_never_drawn(small_tab: Tabular) -> None:
    kept, held = tuning.build(small_tab, seed=3)
    named = (kept + held)[0]["query"]
    kept, held = tuning.build(small_tab, seed=3, exclude=[f"  {named.upper()} "])
    assert named not in {r["query"] for r in kept + held}


def test_ablation_reports_each_rule_per_file_and_restores_it(ingested: Container) -> None:

    rows = [
        {"query": r["query"], "code": r["code"]}
        for r in tuning.inclusion_rows(
            ingested.codesets.get("icd10cm").tabular  # type: ignore[union-attr]
        )
    ]
    chosen = [r for r in RULES if r.name in {"word overlap", "bare-diagnosis length"}]
    before = [r.value() for r in chosen]
    report = ablate.ablate(
        ingested, {"tuning": rows}, codeset="icd10cm", rules=chosen, progress=lambda _: None
    )
    found = ablate.ranks(ingested, rows, "icd10cm")
    expected = [r["code"] for r in rows]
    assert report["baseline"]["tuning"] == ablate.scores(expected, found)
    assert [e["rule"] for e in report["rules"]] == [r.name for r in chosen]
    for entry in report["rules"]:
        assert 0 <= entry["tuning"]["rows_changed"] <= len(rows)
        assert -1 <= entry["tuning"]["top1"] <= 1
    assert [r.value() for r in chosen] == before
    assert "word overlap" in ablate.table(report)


def test_remembered_queries_embed_each_query_once() -> None:
    calls: list[str] = []

    class Counting(ablate.Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return [[1.0] for _ in texts]

        def embed_query(self, text: str) -> list[float]:
            calls.append(text)
            return [float(len(text))]

    memo = ablate.RememberedQueries(Counting())
    assert memo.embed_query("abc") == memo.embed_query("abc") == [3.0]
    assert calls == ["abc"]


def test_drug_rows_ask_for_a_drug_by_name_amount_and_route(tmp_path: Path) -> None:
    from assistant.codesets.hcpcs.files import read_release

    path = tmp_path / "hcpcs-2026-jan.csv"
    path.write_text(
        "HCPCS_CODE,SHORT_DESCRIPTION,LONG_DESCRIPTION\n"
        'J0696,"Ceftriaxone sodium injection","Injection, ceftriaxone sodium, per 250 mg"\n'
        'J1815,"Insulin injection","Injection, insulin, per 5 units"\n'
        'J1817,"Insulin for insulin pump use","Insulin for administration through DME, per 50 units"\n'
        'E0100,"Cane adjust/fixed with tip","Cane, includes canes of all materials, with tip"\n'
    )
    rows = tuning.drug_rows(read_release(path), seed=1)
    by_code = {r["code"]: r["query"] for r in rows}
    assert set(by_code) == {"J0696", "J1815", "J1817"}  # J codes billed by an amount, not E
    name, amount, unit, route = by_code["J0696"].split()
    assert (name, unit, route) == ("ceftriaxone", "mg", "injection")
    assert float(amount) in (250, 500, 750)
    assert rows == tuning.drug_rows(read_release(path), seed=1)
