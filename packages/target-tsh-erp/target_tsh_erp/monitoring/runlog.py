"""What the tap wrote in Meltano's run log that the database does not hold.

The database knows runs, rows and rejects; only the tap knows Zoho's daily quota (the
`X-Rate-Limit-Remaining` header), CRM credits and which stream of which organization
finished or failed. The tap logs these in lines meant for people; this module reads the
three kinds it needs, by their stable wording:

- `done <stream> org <org> product=<product>: N records, P pages, R requests (x/min),
  daily quota left Q of L` (tap_zoho/progress.py, at the end of every stream partition;
  lines of older taps, without ` product=` or ` of L`, are read too: the product then
  comes from the stream name's prefix);
- `tds.zoho.crm.credits stream=S org=O credits=N calls=M ...` (tap_zoho/crm/credits.py;
  older taps' lines have no `org=`);
- `stream S, organization O: <reason>; skipped ...` (tap_zoho/isolation.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from target_tsh_erp.redaction import REDACTED, redact

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from pathlib import Path

__all__ = [
    "RELEVANT",
    "CreditUse",
    "LogFacts",
    "PartitionDone",
    "StreamFailureLine",
    "log_lines",
    "product_of",
    "read_facts",
    "scrub",
]

_DONE = re.compile(
    r"\bdone (?P<stream>\S+) org (?P<org>\S+?)(?: product=(?P<product>[a-z]+))?: "
    r"(?P<records>\d+) records, \d+ pages, "
    r"(?P<requests>\d+) requests \([^)]*\), daily quota left (?P<left>\d+|unknown)"
    r"(?: of (?P<limit>\d+))?"
)
_CREDITS = re.compile(
    r"tds\.zoho\.crm\.credits stream=(?P<stream>\S+)(?: org=(?P<org>\S+))? credits=(?P<credits>\d+)"
)
_STREAM_FAILED = re.compile(
    r"\bstream (?P<stream>[a-z0-9_]+)(?:, organization (?P<org>[^:\s]+))?: (?P<reason>.+?); "
    r"skipped \(its bookmark is kept\)"
)
_PRODUCTS = ("books", "inventory", "crm")
_ZOHO_SECRETS = re.compile(
    r"(?i)(?P<name>Zoho-oauthtoken\s+|Bearer\s+|(?:access_token|refresh_token|client_secret"
    r"|code)[\"']?\s*[=:]\s*[\"']?)(?P<value>[^\s&\"',;)]+)"
)
"""Tokens and client secrets a Zoho error may echo; the tap promises none, this makes sure."""
_ZOHO_TOKEN = re.compile(r"\b1000\.[0-9a-f]{16,}\.[0-9a-f]{16,}\b")
"""The shape of Zoho's access and refresh tokens, wherever they stand."""


def scrub(text: str) -> str:
    """A log excerpt fit for a page or a metric: no password, token or client secret."""
    text = _ZOHO_SECRETS.sub(lambda m: f"{m.group('name')}{REDACTED}", redact(text))
    return _ZOHO_TOKEN.sub(REDACTED, text)


def product_of(stream: str) -> str:
    """The Zoho product of a stream, from its name prefix (`books_`, `inventory_`, `crm_`)."""
    prefix = stream.split("_", 1)[0]
    return prefix if prefix in _PRODUCTS else "other"


@dataclass(frozen=True, slots=True)
class PartitionDone:
    """One stream of one organization finished reading (the tap's `done` line)."""

    at: datetime
    stream: str
    organization_id: str
    records: int
    requests: int
    quota_left: int | None
    quota_limit: int | None
    named_product: str | None = None
    """The product the line names (`product=`); None in lines of older taps."""

    @property
    def product(self) -> str:
        """Books, Inventory or CRM: quotas are per product and organization."""
        return self.named_product or product_of(self.stream)


@dataclass(frozen=True, slots=True)
class CreditUse:
    """CRM credits one stream spent in one run (the tap counts them; Zoho does not say)."""

    at: datetime
    stream: str
    credits: int
    organization_id: str = "-"
    """The CRM organization whose credits these are (`-`: not in the line)."""


@dataclass(frozen=True, slots=True)
class StreamFailureLine:
    """A stream the tap skipped after an error, with its one-line reason."""

    at: datetime
    stream: str
    organization_id: str
    reason: str


@dataclass(slots=True)
class LogFacts:
    """Everything read from the run log, oldest first."""

    done: list[PartitionDone]
    credits: list[CreditUse]
    failures: list[StreamFailureLine]


RELEVANT = ("tds.zoho.api.", "daily quota left", "tds.zoho.crm.credits", "; skipped (")
"""Substrings of the only lines status reads: the rest is not JSON-decoded at all."""


def log_lines(
    path: Path, needles: tuple[str, ...] = RELEVANT
) -> Iterator[tuple[datetime, str]]:
    """(timestamp, event text) of the run log's lines holding one of `needles`.

    Rotations (`.1` is newer than `.2`) are read oldest first so that "last" means last.
    The log holds up to 60 MB, mostly lines status never uses, and `--serve` reads it on
    every request: a substring test before decoding keeps that cheap.
    """
    files = [*sorted(path.parent.glob(path.name + ".*"), reverse=True), path]
    for file in files:
        if not file.is_file():
            continue
        with file.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                if not any(needle in line for needle in needles):
                    continue
                try:
                    entry = json.loads(line)
                    stamp = datetime.fromisoformat(str(entry["timestamp"]))
                except (ValueError, KeyError, TypeError):
                    continue
                if stamp.tzinfo is None:
                    stamp = stamp.replace(tzinfo=UTC)
                yield stamp, str(entry.get("event", ""))


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


def read_facts(lines: Iterable[tuple[datetime, str]]) -> LogFacts:
    """Pick the quota, credit and stream-failure lines out of the run log."""
    facts = LogFacts(done=[], credits=[], failures=[])
    for stamp, text in lines:
        if (match := _DONE.search(text)) is not None:
            facts.done.append(PartitionDone(
                at=stamp, stream=match["stream"], organization_id=match["org"],
                records=int(match["records"]), requests=int(match["requests"]),
                quota_left=_int_or_none(match["left"]), quota_limit=_int_or_none(match["limit"]),
                named_product=match["product"],
            ))  # fmt: skip
        elif (match := _CREDITS.search(text)) is not None:
            facts.credits.append(CreditUse(stamp, match["stream"], int(match["credits"]),
                                           match["org"] or "-"))
        elif (match := _STREAM_FAILED.search(text)) is not None:
            facts.failures.append(StreamFailureLine(
                stamp, match["stream"], match["org"] or "-", scrub(match["reason"])[:300],
            ))  # fmt: skip
    return facts
