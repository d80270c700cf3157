"""Files medcode ships as package data (``knowledge/`` in the source tree)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def knowledge_file(*parts: str) -> Path:
    """A shipped knowledge file or folder: ``knowledge_file("career")``, ``("terms.toml")``."""
    return Path(str(resources.files("assistant.knowledge").joinpath(*parts)))
