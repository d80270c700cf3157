"""The ``medcode`` command line: a thin layer over the services, one-line errors, JSON output.

Exit codes, the same for every command: 0 done, 2 bad input (a question, a code, an option or
a file the user named), 1 an internal error or a source an ingest had to skip.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from pydantic import ValidationError

from assistant.config import Settings
from assistant.container import Container
from assistant.core import gate
from assistant.core.codeset import UnknownCodeError
from assistant.interfaces import queries
from assistant.interfaces.queries import CODESET_CHOICES


class UserError(gate.BadInput):
    """Bad input from the user: reported as one line, exit code 2."""

    def __init__(self, message: str) -> None:
        super().__init__("usage", message)


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "home", None):
        overrides["home"] = Path(args.home)
    if getattr(args, "source_dir", None):
        overrides["source_dir"] = Path(args.source_dir)
    return Settings(**overrides)


def _container(args: argparse.Namespace) -> Container:
    return Container(_settings(args))


def _emit(obj: Any, as_json: bool, text: str) -> None:
    print(json.dumps(obj, ensure_ascii=False) if as_json else text)


# --- commands ------------------------------------------------------------------------------
def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest import run_ingest

    container = _container(args)
    if args.cpt:
        _import_cpt(container.settings, Path(args.cpt), args.cpt_edition)
    try:
        summary = run_ingest(container, progress=not args.quiet)
    finally:
        container.close()
    for note in summary.notes + summary.skipped:
        print(note, file=sys.stderr)
    print(summary.line())
    # A source that could not be read leaves the store without it: say so in the exit code.
    return 1 if summary.skipped else 0


def _import_cpt(settings: Settings, path: Path, edition: str | None) -> None:
    """Keep a parsed copy of a licensed CPT file in MEDCODE_HOME for the CPT code set."""
    from assistant.codesets.cpt.codeset import save_copy
    from assistant.codesets.cpt.files import read_cpt

    if not path.is_file():
        raise UserError(f"no CPT file at {path}")
    try:
        data = read_cpt(path, edition)
    except (ValueError, UnicodeDecodeError) as exc:  # a file the user named: bad input
        raise UserError(str(exc).splitlines()[0] if str(exc) else f"{path}: unreadable") from None
    save_copy(settings, data)
    print(
        f"cpt: {len(data.codes)} codes imported from {path.name} (licensed; kept in {settings.home})",
        file=sys.stderr,
    )


def cmd_lookup(args: argparse.Namespace) -> int:
    container = _container(args)
    result = queries.lookup(container, args.text, args.k, args.codeset)
    _emit(result, args.json, queries.lookup_lines(result))
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    container = _container(args)
    question = gate.question(args.question, container.settings.max_question_chars)
    history = _history(Path(args.history)) if args.history else []
    queries.require_index(container)
    answer = container.ask(question, history)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        print(answer.answer)
        for c in answer.citations:
            print(f"[{c.n}] {c.source}, {c.ref}")
    return 0


def _history(path: Path) -> list[dict[str, Any]]:
    """A chat history file: a JSON list of ``{"role": "user"|"assistant", "content": str}``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"cannot read history file {path}: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"history file {path} is not JSON: {gate.clean(str(exc))}") from None
    if not isinstance(data, list) or not all(
        isinstance(m, dict)
        and m.get("role") in {"user", "assistant"}
        and isinstance(m.get("content"), str)
        for m in data
    ):
        raise UserError(
            f'history file {path} must be a JSON list of {{"role": "user"|"assistant", "content": str}}'
        )
    return data


def cmd_code(args: argparse.Namespace) -> int:
    details, text = queries.code(_container(args), args.code)
    _emit(details, args.json, text)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    if len(args.codes) < 2:  # before anything is loaded
        raise UserError("give at least two codes to check together")
    result, text = queries.check(_container(args), args.codes)
    _emit(result, args.json, text)
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    from assistant.sources.download import download
    from assistant.sources.manifest import load_manifest, locate, missing_report

    settings = _settings(args)
    sources = load_manifest()
    if args.ids:
        unknown = set(args.ids) - {s.id for s in sources}
        if unknown:
            raise UserError(f"unknown source id(s): {', '.join(sorted(unknown))}")
        sources = [s for s in sources if s.id in args.ids]
    if settings.source_dir:
        report = missing_report(locate(sources, [settings.source_dir]), sources)
        print(report or f"all official files found in {settings.source_dir}")
        return 1 if report else 0
    outcomes = download(
        sources,
        settings.downloads_path,
        progress=not args.quiet,
        base_url=settings.download_base_url,
    )
    for o in outcomes:
        print(f"{o.source_id}: {o.status} {o.path or o.message}")
    return 0 if all(o.ok for o in outcomes) else 1


def cmd_serve(args: argparse.Namespace) -> int:
    from assistant.interfaces.server import serve

    settings = _settings(args)
    if args.port:
        settings.port = args.port
    if args.host:
        settings.host = args.host
    serve(settings, insecure=args.insecure)
    return 0


def cmd_auth(args: argparse.Namespace) -> int:
    """``auth user NAME`` (asks for a password) or ``auth token NAME`` (prints a new token)."""
    import getpass

    from assistant.interfaces import auth

    settings = _settings(args)
    path = Path(args.file) if args.file else settings.auth_file or settings.home / "users"
    if args.kind == "token":
        token = auth.new_token()
        auth.add_entry(path, args.name, auth.hash_token(token))
        print(token)
        print(
            f"medcode: token {args.name} saved (hashed) in {path}; it is shown only once",
            file=sys.stderr,
        )
        return 0
    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            raise UserError("the two passwords differ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password needs at least {MIN_PASSWORD} characters")
    auth.add_entry(path, args.name, auth.hash_password(password))
    print(
        f"medcode: user {args.name} saved (scrypt) in {path}; serve with MEDCODE_AUTH_FILE={path}",
        file=sys.stderr,
    )
    return 0


# NIST SP 800-63B 5.1.1.2: memorized secrets of at least 8 characters.
MIN_PASSWORD = 8


def cmd_eval(args: argparse.Namespace) -> int:
    from assistant.eval import runners

    container = _container(args)
    if args.set in {"notes", "excludes"}:
        from assistant.eval import codes as bench_codes

        cs = container.codesets.get("icd10cm")
        tab = getattr(cs, "tabular", None)
        if tab is None:
            raise UserError("the notes and excludes benchmarks need ICD-10-CM")
        xml = Path(tab.source)
        if args.set == "notes":
            report = bench_codes.notes_recall(tab, xml, sample=args.sample, seed=args.seed)
        else:
            report = bench_codes.excludes_accuracy(tab, xml, n_pairs=args.sample, seed=args.seed)
        print(json.dumps(report))
        return 0
    if args.set == "tuning-set":
        return _tuning_set(container, args)
    if not args.file:
        raise UserError(f"eval {args.set} needs a JSON Lines file")

    k = gate.k(args.k)
    try:
        rows = [row for name in args.file for row in runners.read_jsonl(Path(name))]
    except (runners.EvalFileError, UnicodeDecodeError) as exc:  # a file the user named
        raise UserError(str(exc).splitlines()[0]) from None
    queries.require_index(container)
    if args.set == "ablate":
        from assistant.eval import ablate

        files = {Path(name).stem: runners.read_jsonl(Path(name)) for name in args.file}
        for name, file_rows in files.items():
            if any("query" not in r or "code" not in r for r in file_rows):
                raise UserError(f"{name}: every row needs 'query' and 'code'")
        ablate.remember_queries(container)
        report = ablate.ablate(
            container, files, codeset=queries.checked_codeset(container, args.codeset)
        )
        print(ablate.table(report), file=sys.stderr)
        print(json.dumps(report))
        return 0
    run = {
        "lookup": lambda: runners.eval_lookup(
            container, rows, k=k, codeset=queries.checked_codeset(container, args.codeset)
        ),
        "routing": lambda: runners.eval_routing(container, rows),
        "followups": lambda: runners.eval_followups(container, rows, k=k),
        "guidelines": lambda: runners.eval_guidelines(container, rows),
        "career": lambda: runners.eval_career(container, rows),
    }[args.set]
    try:
        report = run()
    except runners.EvalFileError as exc:  # a row without its fields, a code in no set
        raise UserError(str(exc).splitlines()[0]) from None
    print(json.dumps(report))
    return 0


def _tuning_set(container: Container, args: argparse.Namespace) -> int:
    """``eval tuning-set --out DIR``: rows from the code set's own text, a fifth held out."""
    from assistant.codesets.icd10cm.alphaindex import parse_index
    from assistant.eval import tuning

    cs = container.codesets.get("icd10cm")
    tab = getattr(cs, "tabular", None)
    if tab is None:
        raise UserError("the tuning set is drawn from ICD-10-CM, which is not loaded")
    entries = [
        entry
        for kind in ("index", "eindex")
        if (path := container.files.get(kind)) is not None
        for entry in parse_index(path, kind).entries
    ]
    exclude = [str(row.get("query", "")) for row in _rows(args.file)]
    kept, held = tuning.build(tab, entries, seed=args.seed, exclude=exclude)

    out = Path(args.out or ".")
    tuning.write(kept, out / "tuning_icd10cm.jsonl")
    tuning.write(held, out / "tuning_icd10cm_holdout.jsonl")
    report: dict[str, Any] = {"tuning": len(kept), "holdout": len(held), "out": str(out)}
    release = getattr(container.codesets.get("hcpcs"), "data", None)
    if release is not None:
        drugs = [r for r in tuning.drug_rows(release, seed=args.seed) if r["query"] not in exclude]
        kept_drugs, held_drugs = tuning.split(drugs)
        tuning.write(kept_drugs, out / "tuning_hcpcs_drugs.jsonl")
        tuning.write(held_drugs, out / "tuning_hcpcs_drugs_holdout.jsonl")
        report |= {"hcpcs_drugs": len(kept_drugs), "hcpcs_drugs_holdout": len(held_drugs)}
    print(json.dumps(report))
    return 0


# --- bench ---------------------------------------------------------------------------------


def _load_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", help="the running server (default: http://127.0.0.1:$MEDCODE_PORT)")
    p.add_argument("--clients", type=int, default=20, help="concurrent clients")
    p.add_argument("--questions", type=int, default=25, help="questions each client asks")
    p.add_argument(
        "--file", help="JSON Lines of questions ({'question'} or {'query'}); default: built in"
    )
    p.add_argument("--endpoint", choices=["ask", "lookup"], default="ask")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    p.add_argument("--token", help="bearer token when the server has a sign-in ($MEDCODE_TOKEN)")


def cmd_bench_load(args: argparse.Namespace) -> int:
    from assistant.eval import load

    settings = _settings(args)
    questions = load.read_questions(Path(args.file)) if args.file else load.QUESTIONS
    report = load.bench_load(
        args.url or f"http://127.0.0.1:{settings.port}",
        questions,
        clients=args.clients,
        per_client=args.questions,
        endpoint=args.endpoint,
        timeout=args.timeout,
        token=args.token or os.environ.get("MEDCODE_TOKEN"),
    )
    print(json.dumps(report))
    return 0 if report["errors"] == 0 else 1


def _rows(files: Sequence[str]) -> list[dict[str, Any]]:
    """Lookup rows (``{"query", "code"}``) from the JSON Lines files a bench was given."""
    from assistant.eval import runners

    try:
        return [row for name in files for row in runners.read_jsonl(Path(name))]
    except (runners.EvalFileError, UnicodeDecodeError) as exc:
        raise UserError(str(exc).splitlines()[0]) from None


def _query_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", nargs="+", help="JSON Lines of lookups ({'query', 'code'})")
    p.add_argument("--k", type=int, default=5)
    p.add_argument(
        "--systems",
        default="medcode,langchain,icd10_coder",
        help="comma-separated: medcode, langchain (the LangChain hybrid recipe), icd10_coder",
    )
    p.add_argument("--cache-dir", help="where the recipe's indexes are kept (MEDCODE_HOME/bench)")


def cmd_bench_query(args: argparse.Namespace) -> int:
    from assistant.eval.bench_query import SYSTEMS, bench_query

    systems = tuple(s.strip() for s in args.systems.split(",") if s.strip())
    unknown = sorted(set(systems) - set(SYSTEMS))
    if unknown or not systems:
        raise UserError(f"--systems: unknown {', '.join(unknown)}; from {', '.join(SYSTEMS)}")
    rows = _rows(args.file)
    container = _container(args)
    queries.require_index(container)
    cache = Path(args.cache_dir) if args.cache_dir else None
    report = bench_query(container, rows, gate.k(args.k), cache_dir=cache, systems=systems)
    print(json.dumps(report))
    return 0


def _ingest_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", nargs="*", help="JSON Lines of lookups both stores answer afterwards")
    p.add_argument("--source-dir", help="folder with the official files (default: as ingest)")
    p.add_argument("--sample", type=int, default=200, help="lookup rows answered by each store")
    p.add_argument("--work", help="working folder, wiped first (default MEDCODE_HOME/bench/ingest)")


def cmd_bench_ingest(args: argparse.Namespace) -> int:
    from assistant.eval.bench_ingest import bench_ingest

    settings = _settings(args)
    source = Path(args.source_dir) if args.source_dir else settings.source_dir
    report = bench_ingest(
        settings,
        source,
        _rows(args.file),
        home=Path(args.work) if args.work else None,
        sample=args.sample,
    )
    print(json.dumps(report))
    return 0


def _memory_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rounds", type=int, default=3, help="times each question is asked")


def cmd_bench_memory(args: argparse.Namespace) -> int:
    from assistant.eval.bench_memory import bench_memory

    settings = _settings(args)
    if args.rounds < 1:
        raise UserError("--rounds must be at least 1")
    container = Container(settings)
    try:
        queries.require_index(container)
    finally:
        container.close()

    report = bench_memory(settings, rounds=args.rounds)
    print(json.dumps(report))
    return 0


# ``medcode bench ACTION``: a summary, the action's own arguments and what runs it.

BENCH_ACTIONS: dict[
    str,
    tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]],
] = {
    "query": (
        "lookups through medcode, the LangChain hybrid recipe and icd10-coder: top1/top5, p50/p95",
        _query_arguments,
        cmd_bench_query,
    ),
    "ingest": (
        "ICD-10-CM ingest cold, re-run and a 5%-changed release vs Chroma.from_documents",
        _ingest_arguments,
        cmd_bench_ingest,
    ),
    "memory": (
        "peak RSS of a serving process after warm-up, every loaded code set",
        _memory_arguments,
        cmd_bench_memory,
    ),
    "load": (
        "drive the running server from concurrent clients: requests, errors, p50/p95/max",
        _load_arguments,
        cmd_bench_load,
    ),
}


# --- parser ----------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """argparse whose errors ("--k x", an unknown choice) are one line and exit 2 like every
    other bad input, instead of the usage text; subcommand parsers are of the same class."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("medcode").strip()  # "lookup" of "medcode lookup"
        raise UserError(f"{command}: {message}" if command else message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="medcode", description=__doc__)
    parser.add_argument("--home", help="data folder (default: $MEDCODE_HOME or the user data dir)")
    parser.add_argument(
        "--verbose", action="store_true", help="log each parser's statistics and library details"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="ingest official sources into the local store")
    p.add_argument("--source-dir", help="folder with official files to ingest (offline)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument(
        "--cpt", metavar="FILE", help="import a licensed CPT file (CSV: code, descriptor)"
    )
    p.add_argument(
        "--cpt-edition", metavar="NAME", help="what to call that CPT release (e.g. 2026)"
    )
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("lookup", help="find codes for a description or a code")
    p.add_argument("text")
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--codeset", choices=CODESET_CHOICES, default="auto")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_lookup)

    p = sub.add_parser("ask", help="ask a question; the answer cites its sources")
    p.add_argument("question")
    p.add_argument(
        "--history", metavar="FILE", help="earlier turns: a JSON list of {role, content}"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("code", help="details and inherited notes of one ICD-10-CM code")
    p.add_argument("code")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_code)

    p = sub.add_parser("check", help="Excludes1/Excludes2 checks between codes")
    p.add_argument("codes", nargs="+")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("download", help="fetch the official source files into MEDCODE_HOME")
    p.add_argument("ids", nargs="*", help="only these source ids (see knowledge/sources.toml)")
    p.add_argument("--source-dir", help="check a local folder instead of downloading")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_download)

    p = sub.add_parser("serve", help="serve the chat page and the JSON API on 127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--host", help="address to bind (default: $MEDCODE_HOST or 127.0.0.1)")
    p.add_argument(
        "--insecure",
        action="store_true",
        help="allow a non-loopback address without a sign-in (a warning is printed)",
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("auth", help="add a user (password) or a bearer token to a users file")
    p.add_argument("kind", choices=["user", "token"])
    p.add_argument("name")
    p.add_argument("--file", help="users file (default: $MEDCODE_AUTH_FILE or MEDCODE_HOME/users)")
    p.set_defaults(func=cmd_auth)

    p = sub.add_parser("bench", help="benchmarks on this machine; one JSON line on stdout")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, (summary, add_arguments, run) in BENCH_ACTIONS.items():
        action = actions.add_parser(name, help=summary)
        add_arguments(action)
        action.set_defaults(func=run)

    p = sub.add_parser("eval", help="run an evaluation set and print its figures as JSON")
    p.add_argument(
        "set",
        choices=[
            "lookup",
            "routing",
            "followups",
            "guidelines",
            "career",
            "notes",
            "excludes",
            "ablate",
            "tuning-set",
        ],
    )

    p.add_argument(
        "file",
        nargs="*",
        help="JSON Lines file(s) (lookup, routing, followups, guidelines, career, ablate; for "
        "tuning-set, evaluation files whose queries the tuning set must not hold)",
    )
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--codeset", choices=CODESET_CHOICES, default="auto")
    p.add_argument("--sample", type=int, default=500, help="codes or pairs (notes, excludes)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="folder the tuning set is written to (tuning-set)")

    p.set_defaults(func=cmd_eval)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``medcode`` console script; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        setup_logging(args.verbose)
        func: Callable[[argparse.Namespace], int] = args.func
        return func(args)
    except (gate.BadInput, UnknownCodeError) as exc:
        print(f"medcode: {_line(exc)}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        first = exc.errors()[0]
        print(
            f"medcode: bad setting {'.'.join(map(str, first['loc']))}: {first['msg']}",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print("medcode: interrupted", file=sys.stderr)
        return 130
    except (ValueError, OSError) as exc:  # a file or a service this command could not use
        print(f"medcode: {_line(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:  # an internal error: one line, never a traceback
        print(f"medcode: internal error ({type(exc).__name__}): {_line(exc)}", file=sys.stderr)
        return 1


# Loggers that speak at info level without --verbose: the steps of a command ("loading ...",
# "ready ..."), one line each. The ingest's per-source counts (parser statistics), the cache's
# notes and the libraries' own info lines (Chroma, Hugging Face, httpx) are for --verbose.
STEP_LOGGERS = ("medcode",)
LOG_HANDLER = "medcode-steps"


def setup_logging(verbose: bool) -> None:
    """One line per step on stderr at info level; everything, at debug, with ``verbose``."""
    handler = logging.StreamHandler(_CurrentStderr())
    handler.setFormatter(logging.Formatter("medcode: %(message)s"))
    handler.set_name(LOG_HANDLER)
    root = logging.getLogger()
    # Replace only our own handler (a second main() in one process must not log twice).
    root.handlers[:] = [h for h in root.handlers if h.get_name() != LOG_HANDLER] + [handler]
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    for name in STEP_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.INFO)


class _CurrentStderr:
    """Whatever ``sys.stderr`` is when a line is written (a caller may have replaced it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _line(exc: BaseException) -> str:
    """An exception as one printable line (its first line, cleaned; else its type)."""
    text = gate.clean(str(exc).splitlines()[0]) if str(exc).strip() else ""
    return text or type(exc).__name__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
