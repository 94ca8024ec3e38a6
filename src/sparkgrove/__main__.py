"""``python -m sparkgrove ARGS``: the ``sparkgrove`` command. Steps on a cluster run their
sparkgrove commands (and Glue-style scripts, through ``etl run``) with this file as the
driver script of ``spark-submit``."""

from __future__ import annotations

import sys


def main() -> None:
    """Run the command line in ``sys.argv``, as the ``sparkgrove`` console script does."""
    from sparkgrove.cli.main import run

    sys.argv = ["sparkgrove", *sys.argv[1:]]
    run()


if __name__ == "__main__":
    main()
