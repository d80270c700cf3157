"""``python -m ingest``: the same as ``medcode ingest``."""

import sys

from assistant.interfaces.cli import main

sys.exit(main(["ingest", *sys.argv[1:]]))
