"""The opt-in audit log (``MEDCODE_AUDIT_LOG``): one JSON line per question answered by the
page or the API. Off by default: questions may hold patient details, so no log line of the
server ever carries question text, and only this file does when a site asks for it."""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.core.answer import Answer

log = logging.getLogger(__name__)


class Audit:
    """Appends question records to ``path``; a no-op when ``path`` is None."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600, exist_ok=True)

    def __bool__(self) -> bool:
        return self.path is not None

    def record(
        self,
        interface: str,
        question: str,
        *,
        user: str | None = None,
        answer: Answer | None = None,
        error: str | None = None,
    ) -> None:
        if self.path is None:
            return
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "interface": interface,
            "user": user,
            "question": question,
            "route": answer.route if answer else None,
            "codes": answer.codes if answer else [],
            "error": error,
        }
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        try:
            with self._lock, self.path.open("a", encoding="utf-8") as stream:
                stream.write(line)
        except OSError as exc:  # the answer still goes out; the failure is said once per call
            log.error("audit log %s not written: %s", self.path, exc.strerror or exc)
