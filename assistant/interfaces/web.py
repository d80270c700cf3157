"""The Gradio chat page: a thin adapter from a browser to ``Container.ask``."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.config import Settings
from assistant.core import gate
from assistant.core.answer import INHERITED_NOTES

if TYPE_CHECKING:
    from assistant.core.answer import Answer, Citation

log = logging.getLogger(__name__)

EXAMPLES = [
    "type 2 diabetes with hyperglycemia",
    "broken nose, first visit",
    "what is E11.65?",
    "can I code E10.9 with E11.9?",
    "when is sepsis sequenced first?",
    "How do I become a medical coder?",
    "CPC vs CCS — which certification?",
]
SOURCES_PLACEHOLDER = "_The sources of the last answer appear here._"
NO_SOURCES = "_This answer cites no sources._"
KEPT_SOURCES = "_That message was not answered; the sources of the last answer are shown._"
EMPTY_HINT = 'Type a description ("broken nose, first visit"), a code ("E11.65") or a question.'
NOTICE = "⚠️ "  # marks a message that is a notice, not an answer
# Long enough for a full code description or a guideline sentence, short enough that
# several sources fit on screen next to the chat.
QUOTE_CHARS = 280
# Launch options for a local tool. Gradio 6 dropped launch(show_api=...): leaving "api" out
# of footer_links hides the link, and the chat events themselves are api_visibility="private".
LAUNCH_OPTIONS: dict[str, Any] = {
    "share": False,
    "footer_links": ["settings"],
    "run_history": False,  # questions may hold patient details: keep none in the browser
    "enable_monitoring": False,
}
# System fonts only: Gradio's themes name web fonts, and a string font is used as written, so
# the page asks no font server (and no font file) for anything.
SANS = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"]
MONO = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "Liberation Mono", "monospace"]
CSS = """
#status { font-size: var(--text-sm); }
#chat .code_wrap { display: inline-block; margin: 2px 0; }
#chat .code_wrap pre { padding: 2px 40px 2px 8px; margin: 0; font-weight: 600; }
#chat details { margin: 4px 0; }
#chat summary { cursor: pointer; }
"""
# After an answer arrives, show it from its start: the chat is scrolled so that the question
# just asked sits at the top (Gradio's autoscroll would show the end of a long answer).
SCROLL_TO_ANSWER = """
() => {
  const chat = document.querySelector('#chat');
  if (!chat) return;
  const users = chat.querySelectorAll('.message-row.user-row, .user-row');
  const last = users[users.length - 1];
  if (last) last.scrollIntoView({block: 'start'});
}
"""

Message = dict[str, Any]
Ask = Callable[[str, list[Message]], "Answer"]


def page_style() -> dict[str, Any]:
    """The theme and CSS the page is served with (``mount_gradio_app`` / ``launch`` take them)."""
    return {"theme": gr.themes.Default(font=SANS, font_mono=MONO), "css": CSS}


def _quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """One Markdown blockquote line: whitespace collapsed, cut at a word boundary."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[:limit].rsplit(" ", 1)[0].rstrip(" ,;:.") + " …"
    return f"> {flat}"


def sources_markdown(citations: list[Citation]) -> str:
    """The Sources panel for one answer: ``[n] source — ref`` and the quoted text."""
    if not citations:
        return NO_SOURCES
    blocks = []
    for c in citations:
        head = f"**[{c.n}]** {c.source} — {c.ref}"
        blocks.append(f"{head}\n\n{_quote(c.text)}" if c.text.strip() else head)
    return "\n\n".join(blocks)


def status_markdown(status: dict[str, Any]) -> str:
    """The status line: what answers can draw on, and how to add what is missing."""
    sets = " · ".join(f"**{cs['label']}**" for cs in status.get("code_sets", []))

    def yes_no(key: str) -> str:
        return "yes" if status.get(key) else "no"

    line = (
        f"Code sets: {sets} | Guidelines: {yes_no('guidelines')} | "
        f"Index: {yes_no('index')} | Drug/Neoplasm tables: {yes_no('tables')} | "
        f"LLM: {status.get('llm', 'none')}"
    )
    if not (status.get("guidelines") and status.get("index") and status.get("tables")):
        line += " — add missing files with `medcode download` or `medcode ingest --source-dir DIR`"
    return line


def _report_block(answer: Answer) -> list[str]:
    """The codes to report, in order, each in a code block (Gradio gives each a copy button)."""
    rows = answer.extra.get("report_codes") or []
    if not rows or answer.route == "check":  # a pair check leads with its verdict
        return []
    head = {
        "code": "Code" if len(rows) == 1 else "Codes",
        "lookup": "Report" if len(rows) == 1 else "Report, in this order",
    }.get(answer.route, "Report")
    out = [f"**{head}:**", ""]
    for n, row in enumerate(rows, start=1):
        status = "billable" if row["billable"] else "not billable on its own"
        number = f"{n}. " if len(rows) > 1 else ""
        out += [
            f"```\n{row['code']}\n```",
            f"{number}{row['description']} — {row['title']} {row['release']}, {status}",
            "",
        ]
    return out


def _fold_inherited(text: str) -> str:
    """The block of inherited notes (its head line and the ``- `` lines after it) inside a
    ``<details>`` element, so a code's own notes are what the answer shows first."""
    out: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.startswith(INHERITED_NOTES):
            out.append(line)
            i += 1
            continue
        j = i + 1
        while j < len(lines) and lines[j].startswith("- "):
            j += 1
        count = j - i - 1
        summary = f"{line.rstrip(':')}: {count} line{'s' if count != 1 else ''} (click to show)"
        body = "\n".join(lines[i + 1 : j])
        out += ["", f"<details><summary>{summary}</summary>", "", body, "", "</details>", ""]
        i = j
    return "\n".join(out)


def answer_markdown(answer: Answer) -> str:
    """One answer as the chat shows it: the "Read as" line of a follow-up, the codes to report
    (a pair check's verdict instead), then the answer with inherited notes folded."""
    body = answer.answer
    parts: list[str] = []
    read_as = answer.extra.get("read_as")
    if read_as and body.startswith("Read as:"):
        first, _, body = body.partition("\n\n")
        parts.append(f"_{first}_")
    if answer.extra.get("missing"):
        return "\n\n".join([*parts, f"{NOTICE}{body}"])
    verdict = answer.extra.get("verdict")
    if verdict and body.startswith(verdict["line"]):
        body = f"**{verdict['line']}**{body[len(verdict['line']) :]}"
    parts += _report_block(answer)
    parts.append(_fold_inherited(body))
    return "\n\n".join(p for p in parts if p) if len(parts) > 1 else parts[0]


def _plain(history: list[Message]) -> list[Message]:
    """The chat history as ``{"role", "content": str}`` turns (Gradio 6 gives typed parts)."""
    out = []
    for m in history:
        content = m.get("content")
        if isinstance(content, list):
            content = " ".join(
                str(p.get("text", "")) for p in content if isinstance(p, dict)
            ).strip()
        if isinstance(content, str) and m.get("role") in {"user", "assistant"}:
            out.append({"role": m["role"], "content": content})
    return out


def _kept(previous: str) -> str:
    """The Sources panel after a message that got no answer: the last answer's sources, said."""
    if previous.startswith(KEPT_SOURCES):
        return previous
    return f"{KEPT_SOURCES}\n\n{previous}" if previous != SOURCES_PLACEHOLDER else previous


def respond(
    message: str,
    history: list[Message],
    ask: Ask,
    max_chars: int,
    *,
    previous_sources: str = SOURCES_PLACEHOLDER,
) -> tuple[list[Message], str, str]:
    """Answer one chat turn; returns (history, sources markdown, new textbox value).

    Bad input and failures become a one-line notice in a message of its own; the textbox keeps
    the text and the Sources panel says it still shows the last answer's sources.
    """
    history = list(history or [])
    try:
        question = gate.question(message, max_chars)
    except gate.BadInput as exc:
        notice = EMPTY_HINT if exc.kind == "empty" else _sentence(str(exc))
        history.append({"role": "assistant", "content": NOTICE + notice})
        return history, _kept(previous_sources), message or ""
    earlier = _plain(history)
    history.append({"role": "user", "content": question})
    try:
        answer = ask(question, earlier)
    except Exception as exc:  # the page must survive any backend failure
        # The type and the frames say which step failed; the message may quote the question.
        frames = "".join(traceback.format_tb(exc.__traceback__)).rstrip()
        log.error("a question from the page failed: %s\n%s", type(exc).__name__, frames)
        detail = " ".join(str(exc).split()) or type(exc).__name__
        history.append(
            {"role": "assistant", "content": f"{NOTICE}Sorry, that question failed: {detail}"}
        )
        return history, _kept(previous_sources), message
    history.append({"role": "assistant", "content": answer_markdown(answer)})
    return history, sources_markdown(answer.citations), ""


def _sentence(line: str) -> str:
    """The gate's one line as the page shows it: "Question too long: ... ."."""
    parts = [part[:1].upper() + part[1:] for part in line.split("; ")]
    return ". ".join(parts).rstrip(".") + "."


def _header(title: str) -> str:
    return (
        f"# {title}\n"
        "Everything runs locally on this computer; questions never leave it. "
        "CPT® is not included (it is licensed by the AMA). "
        "Answers cite their sources; verify codes against the Tabular List before billing."
    )


def build_ui(
    ask: Ask,
    *,
    title: str,
    status: dict[str, Any],
    max_chars: int,
    concurrency: int = 1,
) -> gr.Blocks:
    """The chat page: header, status line, chat, question box, example questions and a Sources
    panel; ``status`` is ``Container.status()``; ``concurrency`` questions are answered at once
    (the server passes its answer slots)."""

    def on_send(message: str, history: list[Message], sources: str):
        return respond(message, history, ask, max_chars, previous_sources=sources)

    with gr.Blocks(title=title, analytics_enabled=False) as demo:
        gr.Markdown(_header(title), elem_id="header")
        gr.Markdown(status_markdown(status), elem_id="status")
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    label="Chat",
                    elem_id="chat",
                    height=560,
                    buttons=["copy", "copy_all"],  # no "share": it posts to Hugging Face
                    feedback_options=None,
                    # A notice after an answer is a message of its own, not part of the answer.
                    group_consecutive_messages=False,
                    autoscroll=False,  # SCROLL_TO_ANSWER shows a new answer from its start
                    latex_delimiters=[],  # "$" in a fee schedule is not mathematics
                    placeholder="Ask for a code, look one up, or ask about the guidelines.",
                )
                with gr.Row():
                    box = gr.Textbox(
                        show_label=False,
                        placeholder="e.g. type 2 diabetes with hyperglycemia",
                        elem_id="question",
                        scale=5,
                        max_lines=6,
                        autofocus=True,
                    )
                    send = gr.Button("Send", variant="primary", elem_id="send", scale=1)
                examples = gr.Examples(
                    examples=[[q] for q in EXAMPLES], inputs=[box], label="Try a question"
                )
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                sources = gr.Markdown(SOURCES_PLACEHOLDER, elem_id="sources")

        turn: dict[str, Any] = {
            "fn": on_send,
            "inputs": [box, chatbot, sources],
            "outputs": [chatbot, sources, box],
            # Callable from the page only: no public API endpoint on a local tool.
            "api_visibility": "private",
            # Send, Enter and example clicks share one queue, served by as many workers as
            # the server has answer slots (the container is safe for concurrent questions).
            "concurrency_id": "ask",
            "concurrency_limit": concurrency,
        }
        scroll: dict[str, Any] = {"fn": None, "js": SCROLL_TO_ANSWER, "api_visibility": "private"}
        send.click(**turn).then(**scroll)
        box.submit(**turn).then(**scroll)
        # Clicking an example fills the box, then asks it straight away.
        examples.load_input_event.then(**turn).then(**scroll)
        # The chat's own clear button must not leave the old answer's sources behind.
        chatbot.clear(lambda: SOURCES_PLACEHOLDER, outputs=[sources], api_visibility="private")
    return demo


def serve(settings: Settings, *, insecure: bool = False) -> None:
    """Serve the page and the JSON API (``assistant.interfaces.server``) until interrupted."""
    from assistant.interfaces.server import serve as serve_all

    serve_all(settings, insecure=insecure)


def main() -> None:
    """``python app.py``: ``medcode serve`` with the settings from the environment."""
    from assistant.interfaces.cli import main as cli_main

    raise SystemExit(cli_main(["serve"]))
