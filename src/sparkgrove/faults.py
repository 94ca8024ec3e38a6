"""Named crash points, for the tests that kill a command at a chosen step.

``SPARKGROVE_CRASH_AT=<name>`` makes the process end at once (as ``kill -9`` would: no
clean-up, no ``finally``) when it reaches :func:`crash_point` with that name. Unset, a crash
point does nothing.
"""

from __future__ import annotations

import os

CRASH_ENV = "SPARKGROVE_CRASH_AT"


def crash_point(name: str) -> None:
    """End the process now if ``SPARKGROVE_CRASH_AT`` names this point."""
    if os.environ.get(CRASH_ENV) == name:
        os._exit(137)
