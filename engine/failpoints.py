"""Named crash points, for proving that a process killed anywhere leaves nothing half-done.

A process whose ``KAMFLOW_FAILPOINT`` names a point kills itself with SIGKILL when it reaches
that point, exactly as ``kill -9`` or a power cut would: no handler, no rollback, no flush.
The tests that kill real ``kamflow`` processes use it to kill them at a chosen place rather
than at a lucky moment. Unset (always, in production), a point costs one dictionary lookup.
"""
from __future__ import annotations

import os
import signal

ENVIRONMENT_VARIABLE = "KAMFLOW_FAILPOINT"


def reach(name: str) -> None:
    """Die here if ``KAMFLOW_FAILPOINT`` is ``name``."""
    if os.environ.get(ENVIRONMENT_VARIABLE) == name:
        os.kill(os.getpid(), signal.SIGKILL)
