"""Logs: one line per step at info level; parser statistics and library detail with --verbose."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from assistant.interfaces.cli import LOG_HANDLER, build_parser, setup_logging


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, logging.getLogger("medcode").level)
    yield
    root.handlers[:], root.level = saved[0], saved[1]
    logging.getLogger("medcode").setLevel(saved[2])


def test_steps_at_info_and_parser_statistics_only_with_verbose(restore_logging: None) -> None:
    setup_logging(verbose=False)
    assert logging.getLogger("medcode.server").isEnabledFor(logging.INFO)
    assert not logging.getLogger("ingest").isEnabledFor(logging.INFO)  # "tabular: N records"
    assert not logging.getLogger("assistant.sources.cache").isEnabledFor(logging.INFO)
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
    setup_logging(verbose=True)
    assert logging.getLogger("ingest").isEnabledFor(logging.DEBUG)
    # A second setup replaces its own handler: each line is written once.
    assert [h.get_name() for h in logging.getLogger().handlers].count(LOG_HANDLER) == 1


def test_verbose_is_a_global_flag() -> None:
    assert build_parser().parse_args(["--verbose", "serve"]).verbose is True
    assert build_parser().parse_args(["serve"]).verbose is False
