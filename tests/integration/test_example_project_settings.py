"""The example project reads DEBUG and SECRET_KEY from the environment (issue 11, item 7).

Without the environment it must not run with ``DEBUG = True`` or a key everybody knows; only
``make demo`` supplies a generated key and DEBUG.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRINT_SETTINGS = (
    "import django; from django.conf import settings; django.setup(); "
    "print(settings.DEBUG, settings.SECRET_KEY)"
)


def run(args: list[str], **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(DJANGO_SETTINGS_MODULE="example_project.settings", **extra)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_without_a_secret_key_manage_py_stops_with_a_clear_error() -> None:
    result = run(["manage.py", "check"])
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
    assert "make demo" in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_is_off_unless_the_environment_turns_it_on() -> None:
    off = run(["-c", PRINT_SETTINGS], DJANGO_SECRET_KEY="k" * 50)
    assert off.returncode == 0, off.stderr
    assert off.stdout.split() == ["False", "k" * 50]
    on = run(["-c", PRINT_SETTINGS], DJANGO_SECRET_KEY="k" * 50, DJANGO_DEBUG="true")
    assert on.stdout.split() == ["True", "k" * 50]


def test_make_demo_supplies_debug_and_a_generated_key() -> None:
    recipe = subprocess.run(
        ["make", "-n", "demo"], cwd=ROOT, capture_output=True, text=True, timeout=60
    ).stdout
    demo_line = next(line for line in recipe.splitlines() if "rocketjob_demo" in line)
    assert "DJANGO_DEBUG=true" in demo_line
    assert "DJANGO_SECRET_KEY=" in demo_line and "secrets" in demo_line
