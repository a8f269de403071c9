"""The emulated Books/Inventory organizations and how they write datetimes.

Zoho writes every datetime in the organization's time zone with a colon-less offset
(`2024-01-08T09:12:01+0530`); the two organizations sit on either side of UTC, one with
daylight saving, so a client that drops offsets or assumes UTC is caught.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

HOUR = 3600
DAY = 86_400
_DATES: dict[int, str] = {}
"""`YYYY-MM-DDT` per day since the epoch (a few thousand entries at most)."""
_CLOCK_TIMES: list[str] = []


def _clock_times() -> list[str]:
    """`HH:MM:SS` for every second of a day (86,400 short strings, built once)."""
    if not _CLOCK_TIMES:
        _CLOCK_TIMES.extend(
            f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
            for second in range(DAY)
        )
    return _CLOCK_TIMES


@dataclass(frozen=True, slots=True)
class Organization:
    """One Books/Inventory organization (shared by both products, as in Zoho)."""

    organization_id: str
    name: str
    time_zone: str
    currency_code: str
    currency_symbol: str
    country: str
    contact_name: str
    email: str
    plan_name: str
    is_default_org: bool
    fiscal_year_start_month: int
    account_created_date: str
    uses_locations: bool
    """Newer orgs stock by location (`locations[]`); older ones by warehouse."""
    zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _offsets: dict[int, tuple[int, str]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        """Resolve the time zone once."""
        object.__setattr__(self, "zone", ZoneInfo(self.time_zone))

    def _offset(self, epoch: int) -> tuple[int, str]:
        """UTC offset (seconds, `+HHMM`) at an instant.

        Cached per UTC hour: every time zone changes its offset on a whole UTC hour.
        """
        hour = epoch // HOUR
        cached = self._offsets.get(hour)
        if cached is None:
            delta = datetime.fromtimestamp(hour * HOUR, self.zone).utcoffset()
            seconds = int(delta.total_seconds()) if delta is not None else 0
            sign = "-" if seconds < 0 else "+"
            minutes = abs(seconds) // 60
            cached = (seconds, f"{sign}{minutes // 60:02d}{minutes % 60:02d}")
            self._offsets[hour] = cached
        return cached

    def format_time(self, epoch: int) -> str:
        """Zoho's datetime: org-local wall time with a colon-less offset.

        Hand-formatted (this runs twice per generated record; `strftime` through
        zoneinfo is several times slower).
        """
        seconds, suffix = self._offset(epoch)
        local = epoch + seconds
        day, second_of_day = divmod(local, DAY)
        date = _DATES.get(day)
        if date is None:
            moment = time.gmtime(day * DAY)
            date = f"{moment.tm_year:04d}-{moment.tm_mon:02d}-{moment.tm_mday:02d}T"
            _DATES[day] = date
        return f"{date}{_clock_times()[second_of_day]}{suffix}"

    def format_date(self, epoch: int) -> str:
        """Zoho's date (`YYYY-MM-DD`) of an instant in the organization's time zone."""
        return self.format_time(epoch)[:10]


def format_date(epoch: int, organization: Organization) -> str:
    """Zoho's date (`YYYY-MM-DD`) of an instant, as seen in the organization."""
    return organization.format_time(epoch)[:10]


ORGANIZATIONS: tuple[Organization, ...] = (
    Organization(
        organization_id="10234695",
        name="Saffron Home Goods Pvt Ltd",
        time_zone="Asia/Kolkata",
        currency_code="INR",
        currency_symbol="₹",
        country="India",
        contact_name="Priya Sharma",
        email="priya.sharma@saffronhome.example",
        plan_name="Premium",
        is_default_org=True,
        fiscal_year_start_month=3,
        account_created_date="2021-04-01",
        uses_locations=False,
    ),
    Organization(
        organization_id="20987654",
        name="Northwind Outdoor Supply LLC",
        time_zone="America/Los_Angeles",
        currency_code="USD",
        currency_symbol="$",
        country="U.S.A",
        contact_name="Liam Anderson",
        email="liam.anderson@northwind.example",
        plan_name="Professional",
        is_default_org=False,
        fiscal_year_start_month=0,
        account_created_date="2022-01-10",
        uses_locations=True,
    ),
)
BY_ID: dict[str, Organization] = {org.organization_id: org for org in ORGANIZATIONS}
