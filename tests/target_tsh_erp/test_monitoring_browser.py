"""The live page in a real browser: headless Chromium against `tsh-erp status --serve`.

The setup installs Debian's `chromium` when it is missing (as root, through apt-get) and
skips, saying why, where it cannot. Checks what an operator sees: the rendered DOM's
text, and a screenshot of sensible size that is not blank.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from typing import TYPE_CHECKING

import pytest
from test_monitoring_support import ORG_A, ORG_B, SECRET, build_demo, serving

if TYPE_CHECKING:
    from pathlib import Path

    from test_monitoring_support import Demo

pytestmark = pytest.mark.timeout(600)

WIDTH, HEIGHT = 1280, 2400


def _install_chromium() -> str | None:
    """Debian's chromium, installed once if missing; None with the reason printed."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command, seconds in (
        (["apt-get", "update", "-qq"], 120),
        (["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"], 420),
    ):  # within the test's 600 s
        try:
            subprocess.run(command, env=env, capture_output=True, timeout=seconds, check=True)
        except (subprocess.SubprocessError, OSError):
            return None
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium() -> str:
    found = _install_chromium()
    if found is None:
        pytest.skip("headless Chromium unavailable: `chromium` is not installed and could "
                    "not be installed with apt-get (needs root and Debian's archive)")
    return found


def _browser(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--hide-scrollbars", f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=180, check=False,
    )


class _VisibleText(HTMLParser):
    """The text a reader sees: no style, script or title element contents."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, _attrs: object) -> None:
        if tag in {"style", "script", "title", "head"}:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in {"style", "script", "title", "head"}:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    return int(width), int(height)


@pytest.fixture
def demo(conn, writer, settings, tmp_path: Path) -> Demo:
    return build_demo(conn, writer, settings, tmp_path)


def test_page_in_headless_chromium(
    chromium: str, demo: Demo, settings, database_url: str, tmp_path: Path
) -> None:
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with serving(database_url, settings, demo, tmp_path) as url:
        dom = _browser(chromium, tmp_path / "profile-dom", "--dump-dom", url + "/")
        shot = _browser(chromium, tmp_path / "profile-shot", f"--window-size={WIDTH},{HEIGHT}",
                        f"--screenshot={shots / 'status.png'}", url + "/")
    assert dom.returncode == 0, dom.stderr[-2000:]
    parser = _VisibleText()
    parser.feed(dom.stdout)
    text = " ".join(parser.parts)
    for expected in [
        "TSH ERP sync status", "TshZohoRunFailed", "TshZohoQuotaLow",
        f"inventory_items of organization {ORG_A}: last success 180 min ago",
        "Daily request quota left", f"{ORG_B} books", "ERP rows written per run",
        "Zoho API requests per run", "red: failed run",
        "OperationalError: connection to the ERP lost", "INVALID_TOKEN",
        "Webhook inbox", "Last reconciliation with Zoho", "CRM credits used in the last 24 h",
    ]:
        assert expected in text, expected
    assert SECRET not in dom.stdout
    assert shot.returncode == 0, shot.stderr[-2000:]
    png = shots / "status.png"
    assert _png_size(png) == (WIDTH, HEIGHT)
    assert png.stat().st_size > 60_000  # text, tables and charts; a blank page is ~10 KB
    _not_blank(png)


def _not_blank(png: Path) -> None:
    """Enough dark pixels in the upper page (headings, tables, charts) to be content."""
    from matplotlib import image  # noqa: PLC0415 - only this test reads pixels

    pixels = image.imread(str(png))
    dark = (pixels[:HEIGHT // 2, :, :3].mean(axis=2) < 0.5).mean()
    assert dark > 0.01, f"only {dark:.3%} dark pixels: the page looks blank"
