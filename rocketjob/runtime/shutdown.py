"""Signal handling for a supervisor process.

SIGTERM and SIGINT ask for a graceful stop: claim nothing new, let running jobs finish (up
to the shutdown timeout), then re-queue what is left and unregister. A second SIGTERM/SIGINT
stops waiting: in-flight jobs are re-queued at once. SIGTTIN logs a thread dump. Handlers can
only be installed from the main thread; elsewhere (tests, embedding) this is a no-op.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)


def install(stop: Callable[[str], None], dump: Callable[[], Any]) -> bool:
    """Install the handlers; returns False when not in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        return False

    def on_stop(signum: int, frame: Any) -> None:
        stop(signal.Signals(signum).name)

    def on_dump(signum: int, frame: Any) -> None:
        dump()

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    if hasattr(signal, "SIGTTIN"):
        signal.signal(signal.SIGTTIN, on_dump)
    return True


def restore() -> None:
    """Put back the default handlers (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        return
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if hasattr(signal, "SIGTTIN"):
        signal.signal(signal.SIGTTIN, signal.SIG_DFL)
