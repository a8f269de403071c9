"""A missing or unusable setting ends `tap-zoho` with one line naming it, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TAP = str(Path(sys.executable).with_name("tap-zoho"))


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, "client_id (env ZOHO_CLIENT_ID)"),
        ({"client_id": "1000.X", "client_secret": "s", "refresh_token": "r",
          "products": ["bookz"]}, "'bookz'"),
    ],
)  # fmt: skip
def test_one_line_and_exit_1(tmp_path: Path, config: dict[str, object], expected: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("ZOHO_", "TAP_ZOHO_"))}
    done = subprocess.run(
        [TAP, "--config", str(path), "--discover"], capture_output=True, text=True,
        timeout=120, env=environment, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if expected in line]
    assert len(lines) == 1, done.stderr[-2000:]
    assert done.stdout == ""
