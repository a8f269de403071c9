"""Zoho's times, read as aware UTC datetimes and written as Zoho's filters expect them.

The one ISO-8601 parser of the tap: records (`normalize`), bookmarks and `start_date`
(Books/Inventory streams) and CRM values all read times through `to_utc`.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


class OutOfRangeError(ValueError):
    """A datetime Zoho sent that has no UTC equivalent within years 1-9999."""


def to_utc(text: str, *, naive: tzinfo | None = UTC) -> datetime:
    """An ISO-8601 time as an aware UTC datetime.

    Args:
        text: the time, with or without an offset.
        naive: the zone a time without an offset is read in; None refuses such a time
            (Zoho sends every record time with its offset, so one without is a surprise).

    Raises:
        ValueError: not an ISO-8601 time, or without an offset when `naive` is None.
        OutOfRangeError: no UTC equivalent within years 1-9999.
    """
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        if naive is None:
            msg = f"{text!r} has no UTC offset"
            raise ValueError(msg)
        moment = moment.replace(tzinfo=naive)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise OutOfRangeError(text) from None


def utc(value: object, *, naive: tzinfo | None = UTC) -> datetime | None:
    """`to_utc`, or None for anything absent or unusable (for decisions that must not crash).

    A value that is not a usable time simply takes no part in the decision (bookmarks,
    early stops, filter checks, CRM paging bounds).
    """
    if not isinstance(value, str) or not value:
        return None
    try:
        return to_utc(value, naive=naive)
    except ValueError:
        return None


def utc_instant(value: object) -> datetime | None:
    """A record's Zoho datetime as aware UTC, or None if absent, unusable or without offset."""
    return utc(value, naive=None)


def zoho_timestamp(moment: datetime, zone: tzinfo = UTC) -> str:
    """A filter value Zoho accepts: `2024-01-05T11:02:33+0530` (callers encode the `+`).

    Sent in the organization's own time zone with its offset: the same instant whether
    Zoho honours the offset or reads the wall time in the organization's zone
    (`list.modified-filter-zone`).
    """
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S%z")
