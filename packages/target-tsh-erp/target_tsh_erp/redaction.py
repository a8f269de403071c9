"""Passwords out of messages: what a database error may echo of its connection string.

psycopg repeats a connection string it cannot parse (a URL without a scheme, an unclosed
`[`) in its error message, password included, and Meltano keeps every log line. Every
error path of the target and `tsh-erp` passes its text through `redact` before logging
or raising it; the webhook service can import the same function.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

__all__ = ["REDACTED", "ExplainedError", "failure_reason", "one_line", "redact", "url_secrets"]

REDACTED = "***"

_USERINFO = re.compile(
    r"(?P<user>(?:[A-Za-z][A-Za-z0-9+.-]*://)?[^\s:/@'\"?#\[\]]*):(?P<password>[^\s@'\"]*)@"
)
"""`user:password@` anywhere in a text (with or without a `scheme://` before it)."""
_PASSWORD_PARAMETER = re.compile(r"(?i)(?P<name>password\s*=\s*)(?P<value>'[^']*'|[^\s&'\"]+)")
"""`password=...` in a key/value connection string or a URL query."""


def url_secrets(url: str) -> list[str]:
    """The password-like parts of a connection string, however malformed it is.

    Read by hand, not with a URL parser: the strings worth redacting are exactly those a
    parser refuses. Both the text as written and its percent-decoded form are returned,
    since an error may echo either.
    """
    found: list[str] = []
    authority = url.split("://", 1)[-1]
    userinfo, at, _ = authority.rpartition("@")
    if at and ":" in userinfo:
        found.append(userinfo.split(":", 1)[1])
    found += [match.group("value").strip("'") for match in _PASSWORD_PARAMETER.finditer(url)]
    secrets = {secret for secret in found if secret}
    secrets |= {unquote(secret) for secret in secrets}
    return sorted(secrets, key=len, reverse=True)


def redact(text: str, *urls: str | None) -> str:
    """`text` without the passwords of `urls` nor any `user:password@` or `password=`.

    The given URLs' passwords are replaced wherever they occur (an error may quote a
    fragment of the string); the patterns catch URLs the caller did not know about.
    """
    for url in urls:
        if url:
            for secret in url_secrets(url):
                text = text.replace(secret, REDACTED)
    text = _USERINFO.sub(lambda m: f"{m.group('user')}:{REDACTED}@", text)
    return _PASSWORD_PARAMETER.sub(lambda m: f"{m.group('name')}{REDACTED}", text)


def one_line(text: str, limit: int = 500) -> str:
    """A message on one line (a database error's DETAIL and HINT joined), cut at `limit`."""
    joined = " ".join(text.split())
    return joined if len(joined) <= limit else joined[: limit - 3] + "..."


class ExplainedError(Exception):
    """An error whose message says all a user needs: shown without its type name."""


def failure_reason(error: BaseException) -> str:
    """One redacted line for a failure: its message, with its type unless it explains itself.

    `ValueError` subclasses of ours (settings, refused streams) and `ExplainedError`
    read as sentences; anything else (a database error) keeps its type name, which is
    often the most useful word in it.
    """
    text = str(error) or type(error).__name__
    explained = isinstance(error, ExplainedError) or (
        isinstance(error, ValueError) and type(error).__module__.startswith("target_tsh_erp")
    )
    if not explained:
        text = f"{type(error).__name__}: {text}"
    return one_line(redact(text))
