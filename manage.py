#!/usr/bin/env python
"""Django's command-line utility for the example project (`make demo` uses it)."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:  # a configuration mistake: the message, no traceback
        sys.exit(f"error: {exc}")


if __name__ == "__main__":
    main()
