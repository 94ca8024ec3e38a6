"""Driver script of sparkgrove-command steps: ``spark-submit launch.py [sparkgrove args]``."""

from __future__ import annotations

import sys

from sparkgrove.cli.main import run

if __name__ == "__main__":
    sys.argv = ["sparkgrove", *sys.argv[1:]]
    run()
