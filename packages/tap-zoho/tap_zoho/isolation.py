"""Failures confined to one stream or organization: reported, isolated, summarized.

A run that syncs twenty streams of two organizations should not lose nineteen of them to
one refused permission or one malformed answer. The failed stream (or organization) keeps
its bookmarks, the others complete and keep theirs, and the run exits non-zero with a
summary naming what failed, so a scheduler alerts and the next run redoes only that part.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tap_zoho.api.errors import ZohoAPIError, ZohoUnexpectedAnswerError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from singer_sdk import Stream

logger = logging.getLogger("tap_zoho")

FAILED_EVENT = "tds.zoho.stream.failed"
SUMMARY_EVENT = "tds.zoho.tap.summary"
MESSAGE_LIMIT = 300


@dataclass(frozen=True, slots=True)
class StreamFailure:
    """What failed, where, and what Zoho said (never a token: paths carry no query)."""

    stream: str
    organization_id: str | None
    path: str | None
    status: int | None
    code: int | str | None
    message: str
    unexpected: bool = False
    """A successful answer the tap cannot read (no HTTP or Zoho error to show)."""

    def describe(self) -> str:
        """One line an operator can act on."""
        where = f"stream {self.stream}"
        if self.organization_id:
            where += f", organization {self.organization_id}"
        if self.path is None:
            return f"{where}: {self.message}"
        if self.unexpected:
            return f"{where}: GET {self.path} gave an unexpected answer: {self.message}"
        return (
            f"{where}: GET {self.path} failed with HTTP {self.status}, Zoho code {self.code}: "
            f"{self.message}"
        )

    def as_event(self) -> dict[str, Any]:
        """The failure as a JSON-ready mapping (for the summary event)."""
        return {
            "stream": self.stream,
            "organization_id": self.organization_id,
            "path": self.path,
            "status": self.status,
            "code": self.code,
            "zoho_message": self.message,
        }


def failure_of(stream: str, organization_id: str | None, error: BaseException) -> StreamFailure:
    """Reduce an error to what the operator needs (Zoho's code and message, the path)."""
    if isinstance(error, ZohoAPIError):
        return StreamFailure(
            stream, organization_id, error.path, error.status, error.code,
            error.zoho_message[:MESSAGE_LIMIT],
            unexpected=isinstance(error, ZohoUnexpectedAnswerError),
        )  # fmt: skip
    text = str(error).splitlines()[0] if str(error) else ""
    return StreamFailure(
        stream, organization_id, None, None, None, f"{type(error).__name__}: {text}"[:MESSAGE_LIMIT]
    )


class RunFailures:
    """The failures of one run, in the order they happened."""

    def __init__(self) -> None:
        """Start with none."""
        self._failures: list[StreamFailure] = []

    def __bool__(self) -> bool:
        """Whether anything failed."""
        return bool(self._failures)

    def __iter__(self) -> Iterator[StreamFailure]:
        """Each failure."""
        return iter(self._failures)

    def add(self, stream: str, organization_id: str | None, error: BaseException) -> None:
        """Record and log one failure (one line, no traceback)."""
        failure = failure_of(stream, organization_id, error)
        self._failures.append(failure)
        logger.error(
            "%s; skipped (its bookmark is kept), the other streams and organizations go on",
            failure.describe(),
            extra={"zoho_event": FAILED_EVENT, **failure.as_event()},
        )

    @staticmethod
    def keep_bookmarks(stream: Stream) -> None:
        """Drop the unfinished progress of a failed stream and its children.

        The SDK would turn the progress markers of the records it emitted into the new
        bookmark at the end of the run; for a stream that stopped part-way that would
        skip what it never reached. The bookmark from the run's start stays.
        """
        for each in [stream, *stream.child_streams]:
            state = each.stream_state
            state.pop("progress_markers", None)
            for partition in state.get("partitions", []):
                partition.pop("progress_markers", None)
            each.state_manager.is_flushed = False

    def summarize(self, fallbacks: dict[str, dict[str, int]], quota_stops: list[Any]) -> None:
        """The run's last event: what failed, what fell back, which quotas stopped it."""
        failed = [failure.as_event() for failure in self._failures]
        level = logging.ERROR if failed else logging.INFO
        names = ", ".join(sorted({failure.stream for failure in self._failures})) or "none"
        logger.log(
            level,
            "%s: %d failed (%s); fallbacks used: %s",
            SUMMARY_EVENT, len(failed), names,
            ", ".join(f"{key} x{sum(uses.values())}" for key, uses in fallbacks.items()) or "none",
            extra={"zoho_event": SUMMARY_EVENT, "failed": failed, "fallbacks": fallbacks,
                   "quota_stops": [list(stop) for stop in quota_stops]},
        )  # fmt: skip
