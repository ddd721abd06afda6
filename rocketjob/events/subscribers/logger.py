"""Logger events: change the log level of running processes without restarting them."""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from rocketjob.events.subscriber import Subscriber

logger = logging.getLogger(__name__)


class LoggerSubscriber(Subscriber):
    name = "logger"

    def on_set_log_level(
        self,
        level: str = "INFO",
        logger_name: str = "rocketjob",
        host_name: str | None = None,
        pid: int | None = None,
        **_: Any,
    ) -> None:
        """Set ``logger_name``'s level; ``host_name``/``pid`` narrow which processes obey."""
        if host_name and host_name != socket.gethostname():
            return
        if pid and int(pid) != os.getpid():
            return
        logging.getLogger(logger_name).setLevel(level.upper())
        logger.warning("log level changed", extra={"logger": logger_name, "level": level})
