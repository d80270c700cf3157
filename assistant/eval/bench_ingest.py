"""``medcode bench ingest``: a full ICD-10-CM ingest cold into a fresh home and a re-run with
nothing changed, against the naive ``Chroma.from_documents(docs, HuggingFaceEmbeddings())``
over the same records; then both stores answer the same dev-set sample.

Every step runs in its own subprocess (``python -m assistant.eval.bench_ingest``), so its
wall time includes start-up and model loading, as a user running the command sees it, and its
peak RSS is its own.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.eval.bench import (
    Measured,
    child_main,
    dir_bytes,
    machine,
    make_embedder,
    mb,
    ratio,
    run_measured,
    table,
)

if TYPE_CHECKING:
    from assistant.codesets.icd10cm.codeset import Icd10cm
    from assistant.config import Settings
    from assistant.container import Container

MODULE = "assistant.eval.bench_ingest"
SAMPLE = 200  # dev rows both stores answer: enough to tell 0.6 from 0.9 top1, in about a minute
CHANGED = 0.05  # share of code titles changed for the "new release" step (the 5%)
SEED = 13


def bench_ingest(
    settings: Settings,
    source_dir: Path | None,
    rows: Sequence[dict[str, Any]] = (),
    *,
    home: Path | None = None,
    sample: int = SAMPLE,
    k: int = 5,
    embedder: str | None = None,
) -> dict[str, Any]:
    """Seconds, records/s, peak RSS and store size of our ingest (cold, re-run, a release with
    5% of titles changed) and of the naive one, their ratios, and top1/topk of both stores on
    ``sample`` of ``rows``. Works in ``home`` (default ``settings.home/bench/ingest``), wiped
    first; ``embedder`` (``module:factory``) replaces the settings' model in every step."""
    home = home or settings.home / "bench" / "ingest"
    for sub in ("ours", "naive", "naive-home"):
        shutil.rmtree(home / sub, ignore_errors=True)
    home.mkdir(parents=True, exist_ok=True)
    ours = settings.model_copy(update={"home": home / "ours", "source_dir": source_dir})
    naive = settings.model_copy(update={"home": home / "naive-home", "source_dir": source_dir})
    before = machine()

    def step(phase: str, config: Settings, **extra: Any) -> Measured:
        payload = {"phase": phase, "settings": config.model_dump(mode="json"), **extra}
        return run_measured(MODULE, {**payload, "embedder": embedder})

    steps: dict[str, Measured] = {}
    steps["cold"] = step("ours", ours)
    steps["rerun"] = step("ours", ours)
    steps["naive"] = step("naive", naive, store=str(home / "naive"))
    report: dict[str, Any] = {"bench": "ingest", "source_dir": str(source_dir or "")}
    report["ours_cold"] = _figures(steps["cold"], _store_bytes(home / "ours"))
    report["ours_rerun"] = _figures(steps["rerun"], _store_bytes(home / "ours"))
    report["naive"] = _figures(steps["naive"], dir_bytes(home / "naive"))
    picked = _sample(rows, sample)
    if picked:
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as handle:
            handle.write("\n".join(json.dumps(r) for r in picked))
        try:
            acc = step("accuracy", ours, rows=handle.name, store=str(home / "naive"), k=k)
        finally:
            Path(handle.name).unlink(missing_ok=True)
        report["accuracy"] = acc.result
    steps["release"] = step("ours", ours, change=CHANGED)
    report["ours_release"] = _figures(steps["release"], _store_bytes(home / "ours"))
    report["ratios"] = {
        "records_per_s": ratio(
            report["ours_cold"].get("records_per_s"), report["naive"].get("records_per_s")
        ),
        "peak_rss_mb": ratio(report["ours_cold"]["peak_rss_mb"], report["naive"]["peak_rss_mb"]),
        "store_mb": ratio(report["ours_cold"]["store_mb"], report["naive"]["store_mb"]),
    }
    report["machine"] = {"before": before, "after": machine()}
    _print(report)
    return report


def _figures(run: Measured, store: int) -> dict[str, Any]:
    out = dict(run.result)
    records = out.get("records")
    out.update(
        seconds=run.seconds,
        records_per_s=round(records / run.seconds, 1) if records and run.seconds else None,
        peak_rss_mb=run.peak_rss_mb,
        store_mb=mb(store),
    )
    if run.returncode:
        out["failed"] = out.get("error", f"exit {run.returncode}")
    return out


def _store_bytes(home: Path) -> int:
    """The Chroma store and the lexical index (the parsed-source cache is not the store)."""
    return dir_bytes(home / "chroma") + dir_bytes(home / "lexical.sqlite3")


def _sample(rows: Sequence[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    if n <= 0 or len(rows) <= n:
        return list(rows)
    return random.Random(SEED).sample(list(rows), n)


def _print(report: dict[str, Any]) -> None:
    rows = []
    for name in ("ours_cold", "ours_rerun", "ours_release", "naive"):
        fig = report[name]
        rows.append(
            [
                name,
                fig.get("records"),
                fig.get("embedded", ""),
                fig["seconds"],
                fig["records_per_s"],
                fig["peak_rss_mb"],
                fig["store_mb"],
                fig.get("failed", ""),
            ]
        )
    table(
        f"bench ingest: load {report['machine']['before']['load']}",
        ["step", "records", "embedded", "s", "rec/s", "peak MB", "store MB", ""],
        rows,
    )
    acc = report.get("accuracy", {})
    for name in ("ours", "naive"):
        if name in acc:
            table("", ["store", *acc[name]], [[name, *acc[name].values()]])
    table("ratios ours / naive", list(report["ratios"]), [list(report["ratios"].values())])


# --- the measured steps (each runs in its own process) -----------------------------------------
def _icd10cm(settings: Settings, embedder: str | None) -> tuple[Container, Icd10cm]:
    """A container over ICD-10-CM alone (the other code sets are not part of this ingest)."""
    from assistant.codesets import CodeSets, LoadContext
    from assistant.codesets.icd10cm.codeset import load
    from assistant.container import Container

    probe = Container(settings)
    cs = load(LoadContext(settings, probe.cache, probe.files))
    embeddings = make_embedder(embedder, settings) if embedder else None
    return Container(settings, embeddings=embeddings, codesets=CodeSets([cs])), cs


def _run_ours(payload: dict[str, Any]) -> dict[str, Any]:
    from assistant.config import Settings
    from ingest.pipeline import SyncCounts, sync

    started = time.perf_counter()
    container, cs = _icd10cm(Settings(**payload["settings"]), payload.get("embedder"))
    total, records = SyncCounts(), 0
    for group in cs.ingest_groups():
        made = group.make()
        if payload.get("change") and group.group == cs.name:
            made = _changed(made, float(payload["change"]))
        total += sync(
            group.group, group.collection, made, container.store, container.lexical, progress=False
        )
        records += len(made)
    container.close()
    return {
        "records": records,
        "embedded": total.embedded,
        "written": total.added + total.updated,
        "skipped": total.skipped,
        "work_s": round(time.perf_counter() - started, 2),
    }


def _changed(records: list[Any], share: float) -> list[Any]:
    """A new release: every n-th code title reworded (inclusion terms kept)."""
    from dataclasses import replace

    every = max(1, round(1 / share))
    out, n = [], 0
    for r in records:
        if "#" not in r.id:
            n += 1
            if n % every == 0:
                r = replace(r, text=f"{r.text}, revised")
        out.append(r)
    return out


def _run_naive(payload: dict[str, Any]) -> dict[str, Any]:
    """The pipeline a user following the LangChain docs writes: every record a Document,
    ``Chroma.from_documents`` with ``HuggingFaceEmbeddings``, nothing skipped or reused."""
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_core.documents import Document

    from assistant.config import Settings

    started = time.perf_counter()
    settings = Settings(**payload["settings"])
    _, cs = _icd10cm(settings, None)
    records = [r for group in cs.ingest_groups() for r in group.make()]
    docs = [Document(page_content=r.text, metadata=r.metadata) for r in records]
    Chroma.from_documents(
        docs,
        _naive_embedder(payload, settings),
        ids=[r.id for r in records],
        persist_directory=payload["store"],
        client_settings=ChromaSettings(anonymized_telemetry=False, is_persistent=True),
    )
    return {
        "records": len(records),
        "embedded": len(records),
        "work_s": round(time.perf_counter() - started, 2),
    }


def _naive_embedder(payload: dict[str, Any], settings: Settings) -> Any:
    if payload.get("embedder"):
        return make_embedder(payload["embedder"], settings)
    from assistant.eval.bench_query import recipe_embedder

    return recipe_embedder(settings.embedding_model)


def _run_accuracy(payload: dict[str, Any]) -> dict[str, Any]:
    """top1/topk of our store through our lookup and of the naive store through its
    similarity search, on the same rows."""
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma

    from assistant.answer.lookup import find
    from assistant.config import Settings

    settings = Settings(**payload["settings"])
    k = int(payload.get("k", 5))
    rows = [json.loads(line) for line in Path(payload["rows"]).read_text().splitlines() if line]
    container, _ = _icd10cm(settings, payload.get("embedder"))
    naive = Chroma(
        embedding_function=_naive_embedder(payload, settings),
        persist_directory=payload["store"],
        client_settings=ChromaSettings(anonymized_telemetry=False, is_persistent=True),
    )
    sets, searches = container.codesets, container.searches

    def ours(query: str) -> list[str]:
        return [h.code for h in find(query, sets, searches, k, "icd10cm").hits]

    def theirs(query: str) -> list[str]:
        docs = naive.similarity_search(query, k=k)
        return list(dict.fromkeys(str(d.metadata.get("code", "")) for d in docs))

    out = {}
    for name, search in (("ours", ours), ("naive", theirs)):
        hit1 = hitk = 0
        for row in rows:
            found = sets.find(str(row["code"]))
            want = found[1].code if found else str(row["code"]).upper()
            codes = search(str(row["query"]))
            hit1 += codes[:1] == [want]
            hitk += want in codes[:k]
        out[name] = {"n": len(rows), "top1": round(hit1 / len(rows), 4)}
        out[name][f"top{k}"] = round(hitk / len(rows), 4)
    container.close()
    return out


def _run(payload: dict[str, Any]) -> dict[str, Any]:
    phases = {"ours": _run_ours, "naive": _run_naive, "accuracy": _run_accuracy}
    return phases[payload["phase"]](payload)


if __name__ == "__main__":
    raise SystemExit(child_main(_run))
