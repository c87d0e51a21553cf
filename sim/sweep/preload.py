"""What the forkserver of local worker processes imports before it forks them.

It imports :mod:`sim.sweep.worker` (numpy, pandas, pyarrow: once, not in every worker), and it
makes the forkserver go with its coordinator: while the imports run (a second or more) a
thread watches the coordinator and, if it is gone (``kill -9``), removes the coordinator's
multiprocessing folder (``/tmp/pymp-*``, which only the killed process would have removed)
and exits at once; the thread stops before the server forks anything. When the server itself
ends after a coordinator that is gone, it removes that folder too.
"""

from __future__ import annotations

import atexit
import os
import shutil
import threading

#: Environment variables the coordinator sets before it starts the forkserver.
COORDINATOR_PID = "CSTO_SWEEP_COORDINATOR_PID"
POOL_FOLDER = "CSTO_SWEEP_POOL_FOLDER"

_coordinator = int(os.environ.get(COORDINATOR_PID, "0") or 0)
_folder = os.environ.get(POOL_FOLDER, "")


def _remove_folder() -> None:
    if _folder and os.path.basename(_folder).startswith("pymp-"):
        shutil.rmtree(_folder, ignore_errors=True)


def _coordinator_gone() -> bool:
    return bool(_coordinator) and os.getppid() != _coordinator


def _watch(stop: threading.Event) -> None:
    while not stop.wait(0.05):
        if _coordinator_gone():
            _remove_folder()
            os._exit(1)


_stop = threading.Event()
_watcher = threading.Thread(target=_watch, args=(_stop,), name="coordinator-watch", daemon=True)
_watcher.start()
try:
    import sim.sweep.worker  # noqa: F401  (the imports every worker needs)
finally:
    _stop.set()
    _watcher.join()
if _coordinator_gone():  # pragma: no cover - gone during the last moments of the imports
    _remove_folder()
    os._exit(1)


def _remove_folder_if_orphaned() -> None:
    """At the server's exit: remove the folder only if the coordinator is gone (while it is
    alive, it removes the folder itself when it exits)."""
    if _coordinator_gone():
        _remove_folder()


atexit.register(_remove_folder_if_orphaned)
