"""The CRM org and its users: who owns, creates and modifies records."""

from __future__ import annotations

from dataclasses import dataclass

from zoho_emulator.crm.catalog import ID_PREFIX, ORG_ID

ORG_TIME_ZONE = "Asia/Kolkata"
"""The CRM org's (and the API user's) time zone: datetimes carry `+05:30`."""
ORG_NAME = "TSH Trading Co."


@dataclass(frozen=True, slots=True)
class CrmUser:
    """A CRM user, as lookups (`Owner`, `Created_By`) and `/users` show them."""

    id: str
    first_name: str
    last_name: str
    email: str
    role: str
    profile: str
    time_zone: str = ORG_TIME_ZONE

    @property
    def full_name(self) -> str:
        """`First Last`, as Zoho's `name` in lookups."""
        return f"{self.first_name} {self.last_name}"

    @property
    def minified(self) -> dict[str, str]:
        """The `{name, id, email}` object of owner lookups."""
        return {"name": self.full_name, "id": self.id, "email": self.email}


def _user(number: int, first: str, last: str, role: str, profile: str) -> CrmUser:
    email = f"{first.lower()}.{last.lower()}@tsh-trading.example"
    return CrmUser(str(ID_PREFIX + 411_000 + number), first, last, email, role, profile)


USERS: tuple[CrmUser, ...] = (
    _user(1, "Patricia", "Boyle", "CEO", "Administrator"),
    _user(2, "Ravi", "Kumar", "Manager", "Standard"),
    _user(3, "Sofia", "Alvarez", "Manager", "Standard"),
    _user(4, "Chen", "Wei", "Sales Rep", "Standard"),
    _user(5, "Aisha", "Rahman", "Sales Rep", "Standard"),
    _user(6, "Tom", "Becker", "Sales Rep", "Standard"),
)
API_USER = USERS[0]
"""The user the emulator's OAuth token belongs to (mutations are made as this user)."""


def org_body() -> dict[str, object]:
    """The `/crm/v8/org` entry: every key the OAS marks required."""
    return {
        "country": "India",
        "photo_id": None,
        "city": "Bengaluru",
        "description": None,
        "mc_status": False,
        "gapps_enabled": False,
        "translation_enabled": False,
        "street": "12 MG Road",
        "domain_name": "org60012345",
        "alias": None,
        "currency": "Indian Rupee - INR",
        "id": ORG_ID,
        "state": "Karnataka",
        "fax": None,
        "zip": "560001",
        "employee_count": "120",
        "website": "www.tsh-trading.example",
        "currency_symbol": "₹",
        "mobile": None,
        "currency_locale": "en_IN",
        "primary_zuid": "60012345",
        "zia_portal_id": None,
        "time_zone": ORG_TIME_ZONE,
        "zgid": "60012346",
        "country_code": "IN",
        "deletable_org_account": False,
        "license_details": {
            "paid_expiry": "2027-03-31T00:00:00+05:30",
            "users_license_purchased": len(USERS),
            "trial_type": None,
            "trial_expiry": None,
            "paid": True,
            "paid_type": "enterprise",
            "trial_action": "",
        },
        "hierarchy_preferences": {"type": "Role_Hierarchy", "strictly_reporting": False},
        "phone": "+91 80 4000 1234",
        "company_name": ORG_NAME,
        "privacy_settings": False,
        "primary_email": API_USER.email,
        "iso_code": "INR",
        "hipaa_compliance_enabled": False,
        "lite_users_enabled": False,
        "max_per_page": 200,
        "ezgid": "a1b2c3d4",
        "call_icon": "",
        "oauth_presence": True,
        "zia_zgid": 60012347,
        "checkin_preferences": {"restricted_event_types": None},
        "type": "Production",
        "created_time": "2021-04-01T09:30:00+05:30",
    }
