"""The app of one API worker process (`credit-graph serve --workers N`).

Uvicorn's supervisor starts each worker as a fresh interpreter (multiprocessing's spawn) that imports
`worker_app` by name and calls it: nothing made in the supervisor reaches a worker, so each builds its
app from the settings in the environment and opens its own store, key file, audit trail and notification
file. What the workers share lives in those files and in the graph store: keys are looked up on every
request, each audit record is chained inside one SQLite write transaction, and one worker at a time leads
(graph_service/api/leadership.py) to run the notifier.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

from fastapi import FastAPI

from graph_service.api.app import create_app

PR_SET_PDEATHSIG = 1
# Set by `serve` to its own process id before the workers start.
SUPERVISOR_PID = "CREDIT_GRAPH_SUPERVISOR_PID"


def end_with_supervisor() -> None:
    """Have the kernel send this worker SIGTERM when its supervisor dies, even by SIGKILL: otherwise the
    workers would go on answering on the port, holding the store, with nobody to stop them."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    expected = os.environ.get(SUPERVISOR_PID)
    if expected and os.getppid() != int(expected):  # the supervisor died before the request above
        os.kill(os.getpid(), signal.SIGTERM)


def worker_app() -> FastAPI:
    """The app one worker serves, over the store the environment's settings name."""
    end_with_supervisor()
    return create_app()
