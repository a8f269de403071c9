"""CRM's datetime formats: `yyyy-MM-ddTHH:mm:ss±HH:mm` out, any ISO-8601 offset in.

CRM renders datetimes in the user's time zone with a colon in the offset and no
milliseconds (unlike Books' `+0530`). It accepts any offset in `If-Modified-Since` and in
COQL literals; a `+` that was not percent-encoded in a query string arrives as a space.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?"
    r"(Z|[+-]\d{2}:?\d{2})$"
)


@lru_cache(maxsize=8)
def zone(name: str) -> ZoneInfo:
    """A cached `ZoneInfo`: the same few zones are asked for on every record."""
    return ZoneInfo(name)


def format_datetime(epoch: int, time_zone: str) -> str:
    """Render epoch seconds the way CRM does: local time with a `+05:30`-style offset."""
    return datetime.fromtimestamp(epoch, zone(time_zone)).isoformat()


def format_date(epoch: int, time_zone: str) -> str:
    """The local calendar date (`yyyy-MM-dd`) of an instant."""
    return datetime.fromtimestamp(epoch, zone(time_zone)).date().isoformat()


def parse_datetime(text: str) -> int | None:
    """Epoch seconds of an ISO-8601 datetime with an explicit offset, or None if invalid.

    A datetime without an offset is rejected, as CRM does: the instant would be ambiguous.
    """
    candidate = text.strip()
    # `+05:30` sent unencoded in a query string or header decodes to ` 05:30`.
    candidate = re.sub(r" (\d{2}:?\d{2})$", r"+\1", candidate)
    match = _ISO.match(candidate)
    if match is None:
        return None
    year, month, day, hour, minute, second, offset = match.groups()
    try:
        moment = datetime(  # noqa: DTZ001 - the offset is applied below
            int(year), int(month), int(day), int(hour), int(minute), int(second)
        )
    except ValueError:
        return None
    if offset == "Z":
        delta = timedelta(0)
    else:
        digits = offset[1:].replace(":", "")
        delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        if offset[0] == "-":
            delta = -delta
    return int((moment - delta).replace(tzinfo=UTC).timestamp())
