"""The ``medcode`` command line: a thin layer over the services, one-line errors, JSON output."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from assistant.config import Settings
from assistant.container import Container
from assistant.core.codeset import UnknownCodeError

CODESET_CHOICES = ["auto", "icd10cm", "icd10pcs", "hcpcs", "cpt"]


class UserError(Exception):
    """Bad input from the user: reported as one line, exit code 2."""


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
    data = read_cpt(path, edition)
    save_copy(settings, data)
    print(
        f"cpt: {len(data.codes)} codes imported from {path.name} (licensed; kept in {settings.home})",
        file=sys.stderr,
    )


def cmd_lookup(args: argparse.Namespace) -> int:
    from assistant.answer.lookup import find

    container = _container(args)
    query = _question(args.text, container.settings)
    codeset = _codeset(container, args.codeset)
    _require_index(container)
    found = find(query, container.codesets, container.searches, args.k, codeset)
    if not found.hits:
        _reject_unknown_codes(container, query)
    results = [
        {
            "code": h.code,
            "description": h.description,
            "billable": h.billable,
            "score": h.score,
            "source": found.code_set(h).source_label,
            "code_set": h.code_set,
            **({"detail": h.detail} if h.detail else {}),
        }
        for h in found.hits
    ]
    lines = [f"{r['code']:<9} {r['description']}" for r in results] or ["no matching code found"]
    _emit({"query": query, "results": results}, args.json, "\n".join(lines))
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    container = _container(args)
    question = _question(args.question, container.settings)
    history = _history(Path(args.history)) if args.history else []
    _require_index(container)
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
        raise UserError(f"history file {path} is not JSON: {exc}") from None
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
    container = _container(args)
    cs, info = container.codesets.resolve(args.code)
    details = cs.details(info.code)
    status = "billable" if info.billable else "not billable on its own"
    text = "\n".join(
        [
            f"{info.code} {info.description} ({status})",
            *cs.brief(info.code, full=True),
            f"Code set: {cs.label}.",
        ]
    )
    _emit(details, args.json, text)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    if len(args.codes) < 2:
        raise UserError("give at least two codes to check together")
    container = _container(args)
    cs = container.codesets.get("icd10cm")
    checker = getattr(cs, "check", None)
    if cs is None or checker is None:
        raise UserError("pair checks need ICD-10-CM, which is not loaded")
    result = checker(list(args.codes))
    lines = [
        f"{c['code']} and {c['other']}: Excludes1 at {c['level']}: {c['note']}"
        for c in result["conflicts"]
    ] or [f"No Excludes1 conflict among {', '.join(result['codes'])}."]
    lines += [
        f"{c['code']} with {c['other']}: allowed, Excludes2 at {c['level']}: {c['note']}"
        for c in result["allowed_with_note"]
    ]
    _emit(result, args.json, "\n".join(lines))
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
    from assistant.interfaces.web import serve

    settings = _settings(args)
    if args.port:
        settings.port = args.port
    serve(settings)
    return 0


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
    if not args.file:
        raise UserError(f"eval {args.set} needs a JSON Lines file")
    rows = [row for name in args.file for row in runners.read_jsonl(Path(name))]
    _require_index(container)
    run = {
        "lookup": lambda: runners.eval_lookup(
            container, rows, k=args.k, codeset=_codeset(container, args.codeset)
        ),
        "routing": lambda: runners.eval_routing(container, rows),
        "followups": lambda: runners.eval_followups(container, rows, k=args.k),
        "guidelines": lambda: runners.eval_guidelines(container, rows),
        "career": lambda: runners.eval_career(container, rows),
    }[args.set]
    print(json.dumps(run()))
    return 0


def _reject_unknown_codes(container: Container, query: str) -> None:
    """A lookup of a code that does not exist is an input error with the nearest codes."""
    from assistant.answer.router import code_tokens

    codes, _rest = code_tokens(query, container.codesets)
    for code in codes:
        container.codesets.resolve(code)  # raises UnknownCodeError, an input error


def _codeset(container: Container, name: str) -> str:
    """The ``--codeset`` choice, checked against what is loaded."""
    if name == "auto" or container.codesets.get(name) is not None:
        return name
    how = (
        "import a licensed file with `medcode ingest --cpt FILE`"
        if name == "cpt"
        else "run `medcode download`, or `medcode ingest --source-dir DIR` with its files"
    )
    raise UserError(f"code set {name} is not loaded; {how}")


def _require_index(container: Container) -> None:
    if container.lexical.count(container.codesets[0].collection) == 0:
        raise UserError(
            f"no codes ingested in {container.settings.home}; run `medcode ingest` first"
        )


# --- parser ----------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="medcode", description=__doc__)
    parser.add_argument("--home", help="data folder (default: $MEDCODE_HOME or the user data dir)")
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

    p = sub.add_parser("serve", help="serve the chat page on 127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("eval", help="run an evaluation set and print its figures as JSON")
    p.add_argument(
        "set",
        choices=["lookup", "routing", "followups", "guidelines", "career", "notes", "excludes"],
    )
    p.add_argument(
        "file",
        nargs="*",
        help="JSON Lines file(s) (lookup, routing, followups, guidelines, career)",
    )
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--codeset", choices=CODESET_CHOICES, default="auto")
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
    except (UserError, UnknownCodeError) as exc:
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
