"""Benchmarks behind ``medcode bench``: medcode side by side with what a user would otherwise
build, measured on this machine.

Each bench prints a small table to stderr and returns one JSON-serialisable dict (the CLI
prints it as one JSON line): ``bench_query`` (ours vs the LangChain hybrid recipe vs the
``icd10-coder`` package), ``bench_ingest`` (ours vs ``Chroma.from_documents``) and
``bench_memory`` (the serving process). Baseline packages come from the ``bench`` extra and
are imported inside the benches only; a missing one becomes a one-line skip reason.

This module holds what the three share: machine load, ratios, tables, subprocess peak RSS.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXTRA_HINT = "pip install 'medcode[bench]'"
BENCHES = ("bench_query", "bench_ingest", "bench_memory")


def __getattr__(name: str) -> Any:
    """``from assistant.eval.bench import bench_query`` (each bench lives in its own module)."""
    if name in BENCHES:
        return getattr(importlib.import_module(f"assistant.eval.{name}"), name)
    raise AttributeError(name)


class Skip(Exception):
    """A baseline cannot run here; the message is the one-line reason shown in the report."""


def require(*modules: str) -> None:
    """Import each module or raise ``Skip`` naming the package to install."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            package = PACKAGES.get(module, module)
            raise Skip(f"{package} is not installed ({EXTRA_HINT})") from exc


# The bench extra's packages by the module they are imported as.
PACKAGES = {
    "langchain_classic": "langchain-classic",
    "langchain_community": "langchain-community",
    "rank_bm25": "rank-bm25",
    "icd10_coder": "icd10-coder",
}


def machine() -> dict[str, Any]:
    """How busy the machine is: cores and the 1/5/15-minute load averages."""
    return {"cpus": os.cpu_count(), "load": [round(x, 2) for x in os.getloadavg()]}


def ratio(ours: float | None, theirs: float | None) -> float | None:
    """``ours / theirs`` rounded, or None when either is missing or theirs is 0."""
    if ours is None or theirs is None or theirs == 0:
        return None
    return round(ours / theirs, 3)


def ratios(ours: Mapping[str, Any], theirs: Mapping[str, Any], keys: Sequence[str]) -> dict:
    """``ours / theirs`` for each key (latency < 1 and accuracy > 1 mean ours is better)."""
    return {key: ratio(ours.get(key), theirs.get(key)) for key in keys}


def fingerprint(*parts: str) -> str:
    """A short stable hash naming a cache built from these inputs."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x1f")
    return digest.hexdigest()[:16]


def dir_bytes(path: Path) -> int:
    """Bytes of every file under ``path`` (0 when it does not exist)."""
    if not path.exists():
        return 0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def mb(n_bytes: float) -> float:
    return round(n_bytes / 2**20, 1)


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain aligned table on stderr (stdout carries the JSON line)."""
    cells = [[str(h) for h in header]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [title]
    for n, row in enumerate(cells):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    print("\n".join(lines), file=sys.stderr)


@dataclass
class Measured:
    """One subprocess run: what it printed last on stdout (a JSON object), its wall time and
    its peak resident memory as the kernel counted it."""

    result: dict[str, Any]
    seconds: float
    peak_rss_mb: float
    returncode: int


def run_measured(
    module: str, payload: Mapping[str, Any], env: Mapping[str, str] | None = None
) -> Measured:
    """Run ``python -m module`` with ``payload`` as JSON on stdin; its peak RSS comes from
    ``wait4`` on that child alone, so earlier children do not mask it."""
    with tempfile.TemporaryFile("w+b") as out, tempfile.TemporaryFile("w+b") as inp:
        inp.write(json.dumps(payload).encode("utf-8"))
        inp.seek(0)
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", module], stdin=inp, stdout=out, env={**os.environ, **(env or {})}
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        lines = out.read().decode("utf-8", "replace").strip().splitlines()
    result: dict[str, Any] = {}
    if lines:
        try:
            result = json.loads(lines[-1])
        except json.JSONDecodeError:
            result = {"error": lines[-1][:200]}
    # ru_maxrss is in kilobytes on Linux.
    return Measured(result, round(seconds, 2), round(usage.ru_maxrss / 1024, 1), proc.returncode)


def child_main(run: Any) -> int:
    """Entry of a measured child: payload JSON on stdin, result JSON as its last stdout line;
    an error becomes ``{"error": "..."}`` and exit code 1."""
    payload = json.loads(sys.stdin.read() or "{}")
    try:
        result = run(payload)
    except Exception as exc:  # the parent reports it as one line
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}".splitlines()[0]}), flush=True)
        return 1
    print(json.dumps(result), flush=True)
    return 0


def make_embedder(spec: str | None, settings: Any) -> Any:
    """The embedder a child uses: ``module:factory`` (tests pass their fake this way) or, for
    None, the one the settings name."""
    if spec:
        module, _, name = spec.partition(":")
        return getattr(importlib.import_module(module), name)()
    from assistant.search.embeddings import make_embeddings

    return make_embeddings(settings)
