"""The ``medcode`` command line: a thin layer over the services, one-line errors, JSON output."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from assistant.settings import Settings


class UserError(Exception):
    """Bad input from the user: reported as one line, exit code 2."""


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "home", None):
        overrides["home"] = Path(args.home)
    if getattr(args, "source_dir", None):
        overrides["source_dir"] = Path(args.source_dir)
    return Settings(**overrides)


def _services(args: argparse.Namespace):  # -> Services, imported lazily: heavy imports
    from assistant.services import Services

    return Services(_settings(args))


def _emit(obj: Any, as_json: bool, text: str) -> None:
    print(json.dumps(obj, ensure_ascii=False) if as_json else text)


def _question(text: str, settings: Settings) -> str:
    text = " ".join(text.split())
    if not text:
        raise UserError("empty question: type a description, a code or a question")
    if len(text) > settings.max_question_chars:
        raise UserError(
            f"question too long: {len(text)} characters (limit {settings.max_question_chars}); "
            "shorten it to the part you need coded"
        )
    return text


# --- commands ------------------------------------------------------------------------------
def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest import run_ingest

    services = _services(args)
    summary = run_ingest(services, progress=not args.quiet)
    for note in summary.notes:
        print(note, file=sys.stderr)
    print(summary.line())
    return 0


def cmd_lookup(args: argparse.Namespace) -> int:
    services = _services(args)
    query = _question(args.text, services.settings)
    _require_index(services)
    hits = services.retriever.search_codes(query, k=args.k)
    if not hits:
        _reject_unknown_codes(services, query)
    source = f"{services.tabular.label} Tabular List"
    results = [
        {
            "code": h.code,
            "description": h.description,
            "billable": h.billable,
            "score": h.score,
            "source": source,
        }
        for h in hits
    ]
    lines = [f"{r['code']:<9} {r['description']}" for r in results] or ["no matching code found"]
    _emit({"query": query, "results": results}, args.json, "\n".join(lines))
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    services = _services(args)
    question = _question(args.question, services.settings)
    _require_index(services)
    answer = services.ask(question)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        print(answer.answer)
        for c in answer.citations:
            print(f"[{c.n}] {c.source}, {c.ref}")
    return 0


def cmd_code(args: argparse.Namespace) -> int:
    from assistant.notes import code_details

    services = _services(args)
    details = code_details(services.tabular, args.code)
    if args.json:
        print(json.dumps(details, ensure_ascii=False))
    else:
        print(services.ask(f"what is {details['code']}").answer)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from assistant.excludes import check_codes

    services = _services(args)
    if len(args.codes) < 2:
        raise UserError("give at least two codes to check together")
    result = check_codes(services.tabular, list(args.codes))
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(services.ask("can I code " + " with ".join(result["codes"])).answer)
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    from assistant.download import download, load_manifest, locate, missing_report

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
    from app import serve

    settings = _settings(args)
    if args.port:
        settings.port = args.port
    serve(settings)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from assistant import evaluation

    services = _services(args)
    if args.set in {"notes", "excludes"}:
        from assistant import bench_codes
        from assistant.tabular import bundled_tabular_path

        tab = services.tabular
        xml = services.settings.tabular_xml or bundled_tabular_path()
        if args.set == "notes":
            report = bench_codes.notes_recall(tab, xml, sample=args.sample, seed=args.seed)
        else:
            report = bench_codes.excludes_accuracy(tab, xml, n_pairs=args.sample, seed=args.seed)
        print(json.dumps(report))
        return 0
    if not args.file:
        raise UserError(f"eval {args.set} needs a JSON Lines file")
    rows = evaluation.read_jsonl(Path(args.file))
    if args.set == "lookup":
        _require_index(services)
        report = evaluation.eval_lookup(services, rows, k=args.k)
    elif args.set == "guidelines":
        _require_index(services)
        report = evaluation.eval_guidelines(services, rows)
    elif args.set == "career":
        _require_index(services)
        report = evaluation.eval_career(services, rows)
    else:  # pragma: no cover - argparse restricts choices
        raise UserError(f"unknown eval set {args.set}")
    print(json.dumps(report))
    return 0


def _reject_unknown_codes(services, query: str) -> None:
    """A lookup of a code that does not exist is an input error with the nearest codes."""
    from assistant.notes import UnknownCodeError, resolve
    from assistant.router import code_tokens

    for code in code_tokens(query):
        try:
            resolve(services.tabular, code)
        except UnknownCodeError as exc:
            raise UserError(str(exc)) from exc


def _require_index(services) -> None:
    if services.lexical.count("codes") == 0:
        raise UserError(
            f"no codes ingested in {services.settings.home}; run `medcode ingest` first"
        )


# --- parser ----------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="medcode", description=__doc__)
    parser.add_argument("--home", help="data folder (default: $MEDCODE_HOME or the user data dir)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="ingest official sources into the local store")
    p.add_argument("--source-dir", help="folder with official files to ingest (offline)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("lookup", help="find ICD-10-CM codes for a description or a code")
    p.add_argument("text")
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_lookup)

    p = sub.add_parser("ask", help="ask a question; the answer cites its sources")
    p.add_argument("question")
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

    p = sub.add_parser("serve", help="serve the chat page on 127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("eval", help="run an evaluation set and print its figures as JSON")
    p.add_argument("set", choices=["lookup", "guidelines", "career", "notes", "excludes"])
    p.add_argument("file", nargs="?", help="JSON Lines file (lookup, guidelines, career)")
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--sample", type=int, default=500, help="codes or pairs (notes, excludes)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_eval)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``medcode`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except UserError as exc:
        print(f"medcode: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        first = exc.errors()[0]
        print(
            f"medcode: bad setting {'.'.join(map(str, first['loc']))}: {first['msg']}",
            file=sys.stderr,
        )
        return 2
    except (ValueError, OSError) as exc:
        print(
            f"medcode: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
