"""``medcode bench load --file``: questions read from JSON Lines, bad files named in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.core import gate
from assistant.eval.load import read_questions


def test_questions_come_from_question_or_query_fields(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "strep throat"}\n\n{"query": "broken wrist"}\n')
    assert read_questions(path) == ["strep throat", "broken wrist"]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('{"question": "ok"}\n{"cut off\n', "q.jsonl:2: not JSON"),
        ('{"code": "E11.65"}\n', "row 1: no 'question' or 'query' field"),
        ("\n", "has no rows"),
    ],
)
def test_a_bad_file_is_one_line_of_bad_input(tmp_path: Path, text: str, said: str) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(text)
    with pytest.raises(gate.BadInput) as raised:
        read_questions(path)
    assert said in str(raised.value)
    assert "\n" not in str(raised.value)
