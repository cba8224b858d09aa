"""The Solara app in a real browser, offline: `solara run simulator/app/viz.py` in a subprocess, headless
Debian Chromium driven by Playwright, every request that leaves localhost refused and reported.

Needs /usr/bin/chromium (`apt-get install -y chromium`; .ci/run installs it) and the `playwright`
Python package (dev group); skipped with the reason otherwise. Playwright's own browser download is
not used (`executable_path`).

What it shows: Solara's front-end (Vue, Vuetify, require.js, the grid layout) is served by the
local server from the `solara-assets` package, so the page renders with no internet; the account
matrix, the summary and the three charts appear; *Step* advances the hour.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
APP = "simulator/app/viz.py"  # as the README runs it

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
SERVER_START_S = 120  # a loaded 2-core CI box: imports + numba cache loads + the first model build
PAGE_READY_MS = 40_000

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(300),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install -y chromium)"),
]
pytest.importorskip("playwright.sync_api", reason="the `playwright` Python package is not installed (dev group)")
pytest.importorskip("solara", reason="the app needs the optional 'viz' extra (mesa[viz])")

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`solara run simulator/app/viz.py` as an offline user runs it: production mode, no version check,
    no telemetry, a fresh Solara home (no leftover first-run markers). Killed in teardown."""
    port = _free_port()
    home = tmp_path_factory.mktemp("solara_home")
    log_path = home / "server.log"
    # PYTEST_CURRENT_TEST would switch off Solara's first-run check: drop it, test what a user gets.
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env.update(SOLARA_HOME=str(home), SOLARA_TELEMETRY_MIXPANEL_ENABLE="false", MPLBACKEND="Agg")
    cmd = [
        sys.executable,
        "-m",
        "solara",
        "run",
        APP,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-open",
        "--production",
        "--no-check-version",
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"solara exited with {proc.returncode}:\n{log_path.read_text(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"solara did not answer within {SERVER_START_S} s:\n{log_path.read_text(errors='replace')[-3000:]}"
                )
            time.sleep(0.3)
        yield url, log_path
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# Bytes of an <img> (the matrix is a PNG behind a blob: URL), summarised to compare two renderings.
_IMAGE_DIGEST_JS = """async img => {
    const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
    let h = 0;
    for (const b of bytes) h = (h * 31 + b) >>> 0;
    return `${bytes.length}:${h}`;
}"""


def _is_local(url: str) -> bool:
    return url.startswith(("data:", "blob:", "about:")) or urlsplit(url).hostname in LOCAL_HOSTS


def test_app_runs_offline_in_chromium(server):
    url, log_path = server
    outside: list[str] = []  # requests that tried to leave localhost (refused)
    missing: list[str] = []  # local requests answered >= 400 (e.g. an asset the package lacks)
    errors: list[str] = []  # uncaught JavaScript errors

    def route(r):
        if _is_local(r.request.url):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort("blockedbyclient")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page: Page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.route("**/*", route)
            page.on("response", lambda r: missing.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url)

            # The account matrix and the three charts are matplotlib PNGs (blob: URLs); the summary is text.
            summary = page.get_by_text(re.compile(r"hour 0 of 72"))
            expect(summary).to_be_visible(timeout=PAGE_READY_MS)
            charts = page.locator("img[src^='blob:']")
            expect(charts).to_have_count(4, timeout=PAGE_READY_MS)  # matrix + reach, fatigue, exits
            for i in range(4):
                assert charts.nth(i).evaluate("img => img.complete && img.naturalWidth > 100"), f"image {i} empty"
            matrix_before = charts.first.evaluate(_IMAGE_DIGEST_JS)
            expect(page.get_by_text("Time: 0.0")).to_be_visible()

            page.get_by_role("button", name=re.compile(r"^\s*step\s*$", re.IGNORECASE)).click()
            expect(page.get_by_text(re.compile(r"hour 1 of 72"))).to_be_visible(timeout=PAGE_READY_MS)
            expect(page.get_by_text("Time: 1.0")).to_be_visible(timeout=PAGE_READY_MS)
            # The matrix was redrawn for hour 1 (its title and highlights change).
            deadline = time.monotonic() + PAGE_READY_MS / 1000
            while charts.first.evaluate(_IMAGE_DIGEST_JS) == matrix_before:
                assert time.monotonic() < deadline, "the account matrix was not redrawn after Step"
                page.wait_for_timeout(250)
        except Exception:
            shot = log_path.with_name("page.png")
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}\nserver log:\n{log_path.read_text(errors='replace')[-3000:]}")
            raise
        finally:
            browser.close()

    assert not outside, f"the page tried to leave localhost: {outside}"
    assert not missing, f"local requests failed: {missing}"
    assert not errors, f"JavaScript errors: {errors}"
