"""The emulated Books/Inventory organizations and how they write datetimes.

Zoho writes every datetime in the organization's time zone with a colon-less offset
(`2024-01-08T09:12:01+0530`); the two organizations sit on either side of UTC, one with
daylight saving, so a client that drops offsets or assumes UTC is caught.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo


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

    def __post_init__(self) -> None:
        """Resolve the time zone once."""
        object.__setattr__(self, "zone", ZoneInfo(self.time_zone))

    def format_time(self, epoch: int) -> str:
        """Zoho's datetime: org-local wall time with a colon-less offset."""
        return _format(epoch, self.time_zone)


@lru_cache(maxsize=1 << 16)
def _format(epoch: int, time_zone: str) -> str:
    local = datetime.fromtimestamp(epoch, ZoneInfo(time_zone))
    return local.strftime("%Y-%m-%dT%H:%M:%S%z")


def format_date(epoch: int, organization: Organization) -> str:
    """Zoho's date (`YYYY-MM-DD`) of an instant, as seen in the organization."""
    return organization.format_time(epoch)[:10]


def utc_now_epoch() -> int:
    """Whole seconds now (helper for callers without the emulator clock)."""
    return int(datetime.now(tz=UTC).timestamp())


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
