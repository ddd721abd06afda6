"""Playwright helpers for the Mission Control browser tests (Debian's Chromium, headless)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "mission_control"
DOC_IMAGES = ROOT / "docs" / "images"


@contextmanager
def chromium_page(
    viewport: tuple[int, int] = (1280, 800),
    nav_sidebar_open: bool = False,
    timezone_id: str | None = None,
) -> Iterator[Any]:
    """A fresh headless Chromium page; every dialog it opens is recorded in ``page.dialogs``.

    The admin's app sidebar is collapsed unless ``nav_sidebar_open``; ``timezone_id`` is the
    zone the browser reports (Intl), as a user's machine would."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            options: dict[str, Any] = {"viewport": {"width": viewport[0], "height": viewport[1]}}
            if timezone_id:
                options["timezone_id"] = timezone_id
            context = browser.new_context(**options)
            # Collapse the admin's app sidebar so screenshots show Mission Control itself.
            sidebar = "true" if nav_sidebar_open else "false"
            context.add_init_script(
                f"window.localStorage.setItem('django.admin.navSidebarIsOpen', '{sidebar}')"
            )
            page = context.new_page()
            page.set_default_timeout(30_000)
            dialogs: list[str] = []

            def on_dialog(dialog: Any) -> None:
                dialogs.append(dialog.message)
                dialog.dismiss()

            page.on("dialog", on_dialog)
            page.dialogs = dialogs
            yield page
        finally:
            browser.close()


def login(page: Any, base_url: str, username: str, password: str) -> None:
    """Log in through the admin's own login form."""
    page.goto(f"{base_url}/admin/login/?next=/admin/mission_control/job/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/mission_control/job/")


def screenshot(page: Any, name: str, for_docs: bool = False) -> Path:
    """Save to test-artifacts/. With ``for_docs`` and ``MISSION_CONTROL_DOC_IMAGES=1`` in the
    environment, also refresh docs/images/ (off by default: a test run must not modify
    tracked files)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if for_docs and os.environ.get("MISSION_CONTROL_DOC_IMAGES") == "1":
        DOC_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOC_IMAGES / f"mission-control-{name}.png")
    return path
