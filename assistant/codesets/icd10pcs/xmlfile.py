"""Reading the CMS ICD-10-PCS XML files, with one-line errors that name the file and place."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path


class PcsFileError(ValueError):
    """A PCS XML file that cannot be read: the message is one line naming the file and place."""


def read_root(path: Path | str, root_tag: str) -> ET.Element:
    """The root element of ``path``, checked to be ``root_tag``."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        line, column = exc.position
        # ElementTree's message repeats the position; keep only the reason before it.
        reason = str(exc).split(":", 1)[0]
        raise PcsFileError(f"{path}:{line}:{column}: malformed XML ({reason})") from None
    except OSError as exc:
        raise PcsFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if root.tag != root_tag:
        raise PcsFileError(f"{path}:1: root element is <{root.tag}>, expected <{root_tag}>")
    return root


def text(element: ET.Element | None) -> str:
    """The element's own text, whitespace-collapsed ("" for a missing element)."""
    if element is None or element.text is None:
        return ""
    return " ".join(element.text.split())


def child_text(element: ET.Element, tag: str) -> str:
    """The collapsed text of the first ``tag`` child ("" when absent)."""
    return text(element.find(tag))


def require(condition: bool, path: Path | str, what: str) -> None:
    """Raise a one-line :class:`PcsFileError` about ``path`` unless ``condition`` holds."""
    if not condition:
        raise PcsFileError(f"{path}: {what}")
