"""``python -m ingest``: the same as ``medcode ingest``."""

import sys

from assistant.cli import main

sys.exit(main(["ingest", *sys.argv[1:]]))
