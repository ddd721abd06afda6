"""Thread dumps: log the stack of every thread in this process (``thread_dump`` event)."""

from __future__ import annotations

import logging
import sys
import threading
import traceback

logger = logging.getLogger(__name__)


def thread_dump() -> str:
    """Log every thread's current stack at WARNING (so it shows at default levels)."""
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    sections = []
    for ident, frame in sys._current_frames().items():
        stack = "".join(traceback.format_stack(frame))
        sections.append(f"--- thread {names.get(ident, '?')} ({ident})\n{stack}")
    text = "\n".join(sections)
    logger.warning("thread dump of %d threads\n%s", len(sections), text)
    return text
