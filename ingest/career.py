"""Career and learning knowledge: Markdown files -> one chunk per ``##`` heading -> records."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from langchain_text_splitters import MarkdownHeaderTextSplitter

from assistant.core.passages import topic_record, window_records
from assistant.core.records import Record, Scalar

_SPLIT_ON = [("#", "title"), ("##", "heading")]
_FENCE = re.compile(r"^\s*(```|~~~)")
_TITLE = re.compile(r"^#\s+(.+?)\s*#*\s*$")
_HEADING = re.compile(r"^##\s+(.+?)\s*#*\s*$")


class KnowledgeError(ValueError):
    """A knowledge file that cannot be chunked; the message is one line naming the file."""


@dataclass(frozen=True)
class KnowledgeChunk:
    """One ``##`` section of a knowledge file, with what its citation needs.

    ``file`` is the file name only (``certifications.md``): files are looked up inside the
    folder given to :func:`load_knowledge`, and citations show the name a reader recognises.
    Text placed between the ``#`` title and the first ``##`` heading becomes a chunk whose
    ``heading`` is the title itself.
    """

    id: str  # "<namespace>:<file stem>:<heading slug>", e.g. "career:certifications:ahima-ccs"
    file: str
    title: str
    heading: str
    text: str

    @property
    def content_hash(self) -> str:
        """Hash of title, heading and text; unchanged means a stored copy is still current."""
        payload = "\x1f".join((self.title, self.heading, self.text))
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def load_knowledge(folder: Path, *, namespace: str | None = None) -> list[KnowledgeChunk]:
    """Chunk every ``*.md`` file directly in ``folder`` (sorted by name) by ``##`` heading.

    ``namespace`` prefixes the ids and defaults to the folder's name (``career``).
    Raises :class:`KnowledgeError` for a file that is not UTF-8, lacks exactly one ``#``
    title, has no ``##`` section, or has an empty or repeated ``##`` heading.
    """
    namespace = namespace or folder.name
    chunks: list[KnowledgeChunk] = []
    for path in sorted(folder.glob("*.md")):
        chunks.extend(_chunk_file(path, namespace))
    return chunks


def citation(chunk: KnowledgeChunk) -> str:
    """How a chunk is cited to the user: ``certifications.md › AHIMA: CCS``."""
    return f"{chunk.file} › {chunk.heading}"


def slugify(text: str) -> str:
    """Lower-case words joined by hyphens (``AHIMA: CCS`` -> ``ahima-ccs``)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def _chunk_file(path: Path, namespace: str) -> list[KnowledgeChunk]:
    try:
        markdown = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise KnowledgeError(f"{path.name}: not UTF-8 text (byte {exc.start})") from None
    titles, headings = _outline(markdown)
    if len(titles) != 1:
        raise KnowledgeError(f"{path.name}: expected one '# ' title, found {len(titles)}")
    if not headings:
        raise KnowledgeError(f"{path.name}: no '## ' sections to chunk")
    repeated = sorted({h for h in headings if headings.count(h) > 1})
    if repeated:
        raise KnowledgeError(f"{path.name}: heading repeated: {repeated[0]!r}")

    splitter = MarkdownHeaderTextSplitter(headers_to_split_on=_SPLIT_ON, strip_headers=True)
    title = titles[0]
    chunks: list[KnowledgeChunk] = []
    for doc in splitter.split_text(markdown):
        text = doc.page_content.strip()
        heading = doc.metadata.get("heading", title)
        if not text:
            continue
        chunks.append(
            KnowledgeChunk(
                id=f"{namespace}:{path.stem}:{slugify(heading)}",
                file=path.name,
                title=title,
                heading=heading,
                text=text,
            )
        )
    # The splitter drops a heading with no text under it; say so rather than lose it quietly.
    missing = [h for h in headings if h not in {c.heading for c in chunks}]
    if missing:
        raise KnowledgeError(f"{path.name}: section {missing[0]!r} is empty")
    return chunks


def _outline(markdown: str) -> tuple[list[str], list[str]]:
    """The ``#`` titles and ``##`` headings of a file, ignoring lines inside code fences."""
    titles: list[str] = []
    headings: list[str] = []
    in_fence = False
    for line in markdown.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if match := _TITLE.match(line):
            titles.append(match.group(1))
        elif match := _HEADING.match(line):
            headings.append(match.group(1))
    return titles, headings


def career_records(folder: Path) -> list[Record]:
    """Knowledge sections by heading; the per-file source lists stay out of retrieval."""
    records = []
    for chunk in load_knowledge(folder):
        if chunk.heading.strip().lower() == "sources":
            continue
        meta: dict[str, Scalar] = {
            "kind": "career",
            "source": chunk.file,
            "ref": chunk.heading,
            "title": chunk.title,
            "citation": citation(chunk),
            "passage": chunk.text,
        }
        records.append(
            Record(id=chunk.id, text=f"{chunk.title}: {chunk.heading}\n{chunk.text}", metadata=meta)
        )
        topic = f"{chunk.title}: {chunk.heading}"
        records.append(topic_record(chunk.id, topic, meta))
        records.extend(window_records(chunk.id, topic, chunk.text, meta))
    return records
