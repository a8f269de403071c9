"""Run Meltano commands of this project as subprocesses, with the right environment.

Meltano starts the tap and the target as their own processes, so the demo and the
orchestration tests drive it exactly as a user or a scheduler would: `meltano run ...`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent

OFFLINE_ENV = {
    # meltano.yml already turns these off; repeated here so a user's global Meltano
    # settings cannot switch telemetry or the version check back on for our runs.
    "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
    "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
}


class MeltanoCommandError(RuntimeError):
    """`meltano ...` exited non-zero; the message ends with the tail of its output."""


@dataclass(slots=True)
class MeltanoResult:
    """What one Meltano command printed and how long it took."""

    args: list[str]
    returncode: int
    output: str
    seconds: float


def meltano_executable() -> str:
    """The `meltano` of the interpreter running us (the project venv)."""
    candidate = Path(sys.executable).with_name("meltano")
    return str(candidate) if candidate.exists() else "meltano"


def run_meltano(  # noqa: PLR0913 - keyword options of one subprocess call
    args: list[str],
    *,
    project_root: Path = PROJECT_ROOT,
    env: dict[str, str] | None = None,
    log_path: Path | None = None,
    check: bool = True,
    timeout: float = 900,
) -> MeltanoResult:
    """Run `meltano <args>` in `project_root`; keep its output (and write it to `log_path`).

    Raises:
        MeltanoCommandError: when `check` and the command fails.
    """
    full_env = {**os.environ, **OFFLINE_ENV, **(env or {})}
    started = time.monotonic()
    completed = subprocess.run(  # noqa: S603 - our own project's meltano, fixed arguments
        [meltano_executable(), *args],
        cwd=project_root,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    result = MeltanoResult(
        args=args,
        returncode=completed.returncode,
        output=completed.stdout,
        seconds=time.monotonic() - started,
    )
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_path.write_text(completed.stdout, encoding="utf-8")
    if check and completed.returncode != 0:
        tail = "\n".join(completed.stdout.splitlines()[-40:])
        msg = f"meltano {' '.join(args)} exited {completed.returncode}:\n{tail}"
        raise MeltanoCommandError(msg)
    return result


@dataclass(slots=True)
class MeltanoProject:
    """A Meltano project folder and the environment every `meltano` call in it gets.

    Tests use a temporary copy of this project so that Meltano's system database, state
    and logs never mix with a user's own `.meltano/`.
    """

    root: Path
    env: dict[str, str] = field(default_factory=dict)

    def run(self, *args: str, extra_env: dict[str, str] | None = None) -> MeltanoResult:
        """`meltano <args>` in this project; raises with the output's tail on failure."""
        return run_meltano(
            list(args), project_root=self.root, env={**self.env, **(extra_env or {})}
        )

    def state(self, state_id: str) -> dict[str, Any]:
        """`meltano state get <id>` as JSON (the state document is the output's JSON)."""
        text = self.run("state", "get", state_id).output
        document: dict[str, Any] = json.loads(text[text.index("{") : text.rindex("}") + 1])
        return document

    def state_ids(self) -> list[str]:
        """`meltano state list`: every state id the project's backend holds."""
        output = self.run("state", "list").output
        lines = (line.strip() for line in output.splitlines())
        return [line for line in lines if line.startswith(("dev:", "prod:"))]
