"""The CRM org's modules and fields: what `/settings/modules` and `/settings/fields` say.

One declaration per field drives the metadata responses, the record generator, the
`fields` parameter check, COQL and Bulk Read, so they can never disagree. The set covers
every common `data_type` (text through fileupload), custom modules and fields, lookups,
a subform, a module wider than 50 fields, and modules that break discovery on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

ORG_ID = "4150868000000225013"
"""The CRM org id (`/crm/v8/org`), also the `organization_id` of every CRM record."""
ID_PREFIX = 4_150_868 * 10**12
"""Record ids look like Zoho's 19-digit ids: org prefix, module number, index."""
MODULE_ID_SPAN = 10**9
"""Record indexes per module (ids stay 19 digits up to a billion records)."""


class ModuleFault(Enum):
    """How a module breaks a client that discovers modules naively."""

    SCOPE = "scope"
    """The token lacks the module's scope: every call about it is 401 OAUTH_SCOPE_MISMATCH."""
    NO_PERMISSION = "no_permission"
    """The profile may not read its fields: `settings/fields` is 403 NO_PERMISSION."""
    NO_CONTENT = "no_content"
    """Its fields metadata is missing: `settings/fields` is 204 No Content."""


# data_type -> json_type, as Zoho's fields metadata pairs them.
JSON_TYPES: dict[str, str] = {
    "text": "string",
    "textarea": "string",
    "email": "string",
    "phone": "string",
    "website": "string",
    "picklist": "string",
    "multiselectpicklist": "jsonarray",
    "integer": "integer",
    "bigint": "string",
    "double": "double",
    "currency": "double",
    "percent": "double",
    "decimal": "double",
    "boolean": "boolean",
    "date": "string",
    "datetime": "string",
    "lookup": "jsonobject",
    "ownerlookup": "jsonobject",
    "multiselectlookup": "jsonarray",
    "subform": "jsonarray",
    "autonumber": "string",
    "formula": "string",
    "fileupload": "jsonarray",
}


LIST_HIDDEN_TYPES = frozenset({"subform", "multiselectlookup"})


@dataclass(frozen=True, slots=True, eq=False)
class FieldSpec:
    """One field: its metadata and how its values are generated.

    `gen` names a generator in `values.py`; `args` parameterise it (choices, ranges, the
    looked-up module...). `null_rate` is the share of records where the value is null.
    """

    api_name: str
    label: str
    data_type: str
    gen: str
    args: tuple[object, ...] = ()
    custom: bool = False
    read_only: bool = False
    mandatory: bool = False
    null_rate: float = 0.0
    picklist: tuple[str, ...] = ()
    lookup_module: str | None = None
    subform_module: str | None = None
    formula_return: str | None = None
    length: int = 255
    decimals: int | None = None
    json_shape: str | None = None
    """Zoho's `json_type` where it is not the data type's usual one (`Tag` is data_type
    text but json_type jsonarray)."""

    @property
    def json_type(self) -> str:
        """Zoho's `json_type`: a formula's follows its return type."""
        if self.json_shape is not None:
            return self.json_shape
        if self.data_type == "formula":
            return {"currency": "double", "double": "double", "boolean": "boolean"}.get(
                self.formula_return or "", "string"
            )
        return JSON_TYPES[self.data_type]

    @property
    def list_hidden(self) -> bool:
        """Subform and multi-select lookup values come only with single-record GETs."""
        return self.data_type in LIST_HIDDEN_TYPES


@dataclass(frozen=True, slots=True)
class ModuleSpec:
    """One module of the CRM org."""

    api_name: str
    number: int
    singular: str
    plural: str
    display_field: str
    fields: tuple[FieldSpec, ...] = ()
    generated_type: str = "default"
    api_supported: bool = True
    convertable: bool = False
    fault: ModuleFault | None = None
    has_records: bool = True
    optional: bool = False
    """Served only once a test enables it (`Crm.enable_modules`): a module that changes
    discovery's module and call counts stays out of every other client's way."""
    by_name: dict[str, FieldSpec] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        """Index fields by API name once; lookups happen on every request."""
        self.by_name.update({spec.api_name: spec for spec in self.fields})

    @property
    def module_id(self) -> str:
        """The module's own id in `settings/modules`."""
        return str(ID_PREFIX + 2_000 + self.number)


def _f(api_name: str, data_type: str, gen: str, *args: object, **extra: object) -> FieldSpec:
    label = str(extra.pop("label", api_name.replace("_", " ")))
    return FieldSpec(api_name, label, data_type, gen, args, **extra)  # type: ignore[arg-type]


def _system_fields() -> tuple[FieldSpec, ...]:
    return (
        _f("Owner", "ownerlookup", "owner", label="Record Owner", mandatory=True),
        _f("Created_By", "ownerlookup", "created_by", read_only=True),
        _f("Modified_By", "ownerlookup", "modified_by", read_only=True),
        _f("Created_Time", "datetime", "created_time", read_only=True),
        _f("Modified_Time", "datetime", "modified_time", read_only=True),
        _tag(),
    )


def _tag() -> FieldSpec:
    """`Tag`: on every v8 module; data_type text, but values are `{name, id, color_code}`."""
    return _f("Tag", "text", "tags", json_shape="jsonarray", read_only=True)


LEAD_STATUSES = (
    "Attempted to Contact", "Contact in Future", "Contacted", "Junk Lead", "Lost Lead",
    "Not Contacted", "Pre-Qualified", "Not Qualified",
)  # fmt: skip
LEAD_SOURCES = (
    "Advertisement", "Cold Call", "Employee Referral", "External Referral", "Online Store",
    "Partner", "Public Relations", "Sales Email Alias", "Seminar Partner", "Trade Show",
    "Web Download", "Web Research", "Chat",
)  # fmt: skip
INDUSTRIES = (
    "ASP (Application Service Provider)", "Data/Telecom OEM",
    "ERP (Enterprise Resource Planning)", "Government/Military", "Large Enterprise",
    "ManagementISV", "MSP (Management Service Provider)", "Network Equipment Enterprise",
    "Non-management ISV", "Optical Networking", "Service Provider", "Small/Medium Enterprise",
    "Storage Equipment", "Storage Service Provider", "Systems Integrator",
    "Wireless Industry",
)  # fmt: skip
STAGES = (
    "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers",
    "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost",
)  # fmt: skip
ORDER_STATUSES = ("Created", "Approved", "Delivered", "Cancelled")
INVOICE_STATUSES = ("Created", "Approved", "Delivered", "Cancelled", "Paid")
CATEGORIES = ("Hardware", "Software", "CRM Applications", "Consumables", "Services")
TAXES = ("GST 5%", "GST 12%", "GST 18%", "VAT", "Sales Tax", "Cess")
TAGS = (("VIP", "#F17574"), ("Wholesale", "#57B1FD"), ("Export", "#63C57E"),
        ("Follow-up", "#E7A826"), ("Key account", "#D297EE"))  # fmt: skip
"""Tags of the org (name, colour from Zoho's palette); a record carries none (`[]`, as
Zoho sends an untagged record), one or two."""
TAG_ID_BASE = ID_PREFIX + 35 * MODULE_ID_SPAN
TAX_ID_BASE = ID_PREFIX + 36 * MODULE_ID_SPAN
CHANNELS = ("Email", "Phone", "WhatsApp", "SMS", "In person")
REGIONS = ("North", "South", "East", "West", "Central", "Export")
PAYMENT_TERMS = ("Due on Receipt", "Net 15", "Net 30", "Net 45", "Net 60")
VISIT_TYPES = ("Stock audit", "Delivery check", "Quality inspection", "Customer pickup")
RATINGS = ("Acquired", "Active", "Market Failed", "Project Cancelled", "Shut Down")

_ADDRESS = (
    ("Street", "text", "street"),
    ("City", "text", "city"),
    ("State", "text", "state"),
    ("Zip_Code", "text", "zip"),
    ("Country", "text", "country"),
)


def _address(prefix: str = "") -> tuple[FieldSpec, ...]:
    return tuple(
        _f(f"{prefix}{name}", data_type, gen, null_rate=0.05) for name, data_type, gen in _ADDRESS
    )


def _leads() -> tuple[FieldSpec, ...]:
    return (
        *_system_fields(),
        _f("First_Name", "text", "first_name", length=40),
        _f("Last_Name", "text", "last_name", mandatory=True, length=80),
        _f("Full_Name", "text", "full_name", read_only=True),
        _f("Company", "text", "company", length=200),
        _f("Designation", "text", "designation", null_rate=0.2),
        _f("Email", "email", "email", null_rate=0.05),
        _f("Phone", "phone", "phone", length=30),
        _f("Mobile", "phone", "phone", null_rate=0.3, length=30),
        _f("Website", "website", "website", null_rate=0.4),
        _f("Lead_Status", "picklist", "picklist", picklist=LEAD_STATUSES),
        _f("Lead_Source", "picklist", "picklist", picklist=LEAD_SOURCES, null_rate=0.1),
        _f("Industry", "picklist", "picklist", picklist=INDUSTRIES, null_rate=0.2),
        _f("No_of_Employees", "integer", "int", 1, 5000, label="No. of Employees"),
        _f("Annual_Revenue", "currency", "money", 10_000, 5_000_000, decimals=2),
        _f("Rating", "picklist", "picklist", picklist=RATINGS, null_rate=0.3),
        _f("Email_Opt_Out", "boolean", "bool", 0.1),
        _f("Description", "textarea", "sentence", null_rate=0.5, length=32000),
        _f("Last_Activity_Time", "datetime", "after_created", 0, 90 * 86_400, read_only=True),
        _f("Converted__s", "boolean", "converted", read_only=True, label="Is Converted"),
        _f("Converted_Date_Time", "datetime", "converted_time", read_only=True),
        *_address(),
        _f("Preferred_Channels", "multiselectpicklist", "multipicklist", picklist=CHANNELS,
           custom=True),
        _f("Lead_Score", "decimal", "double", 0, 100, decimals=2, custom=True),
    )  # fmt: skip


def _contacts() -> tuple[FieldSpec, ...]:
    return (
        *_system_fields(),
        _f("First_Name", "text", "first_name", length=40),
        _f("Last_Name", "text", "last_name", mandatory=True, length=80),
        _f("Full_Name", "text", "full_name", read_only=True),
        _f("Account_Name", "lookup", "lookup", "Accounts", lookup_module="Accounts",
           null_rate=0.05),
        _f("Email", "email", "email", null_rate=0.05),
        _f("Secondary_Email", "email", "email", null_rate=0.7),
        _f("Phone", "phone", "phone", length=30),
        _f("Mobile", "phone", "phone", null_rate=0.3, length=30),
        _f("Title", "text", "designation", null_rate=0.2),
        _f("Department", "text", "department", null_rate=0.3),
        _f("Lead_Source", "picklist", "picklist", picklist=LEAD_SOURCES, null_rate=0.1),
        _f("Date_of_Birth", "date", "birth_date", null_rate=0.5),
        _f("Email_Opt_Out", "boolean", "bool", 0.1),
        _f("Description", "textarea", "sentence", null_rate=0.5, length=32000),
        *_address("Mailing_"),
        _f("Preferred_Channels", "multiselectpicklist", "multipicklist", picklist=CHANNELS,
           custom=True),
    )  # fmt: skip


_AccountField = tuple[str, str, str, tuple[object, ...], dict[str, object]]
_QUARTERS: tuple[_AccountField, ...] = tuple(
    (f"Quarterly_Revenue_Q{quarter}", "currency", "money", (0, 1_500_000), {"decimals": 2})
    for quarter in range(1, 5)
)
_SCORES: tuple[_AccountField, ...] = tuple(
    (f"Segment_Score_{number}", "integer", "int", (0, 100), {}) for number in range(1, 11)
)
_ACCOUNT_CUSTOM: tuple[_AccountField, ...] = (
    ("Credit_Limit", "currency", "money", (10_000, 2_000_000), {"decimals": 2}),
    ("Payment_Terms", "picklist", "picklist", (), {"picklist": PAYMENT_TERMS}),
    ("GSTIN", "text", "gstin", (), {"null_rate": 0.2}),
    ("PAN_Number", "text", "pan", (), {"null_rate": 0.2}),
    ("Region", "picklist", "picklist", (), {"picklist": REGIONS}),
    ("Key_Account", "boolean", "bool", (0.15,), {}),
    ("Onboarding_Date", "date", "created_date", (), {}),
    ("Tally_Ledger_Id", "bigint", "bigint", (), {}),
    ("Discount_Rate", "percent", "double", (0, 25), {"decimals": 2}),
    ("Preferred_Channels", "multiselectpicklist", "multipicklist", (), {"picklist": CHANNELS}),
    ("Days_Since_Onboarding", "formula", "formula_days", (), {"formula_return": "double"}),
    ("Account_Manager_Email", "email", "email", (), {"null_rate": 0.1}),
    ("Support_Phone", "phone", "phone", (), {"null_rate": 0.3}),
    ("Portal_URL", "website", "website", (), {"null_rate": 0.5}),
    ("Warehouse_Count", "integer", "int", (0, 40), {}),
    ("Average_Order_Value", "currency", "money", (500, 250_000), {"decimals": 2}),
    ("Lifetime_Value", "currency", "money", (1_000, 9_000_000), {"decimals": 2}),
    ("Churn_Risk", "decimal", "double", (0, 1), {"decimals": 3}),
    ("Last_Order_Date", "date", "after_created_date", (0, 400), {"null_rate": 0.1}),
    ("Next_Review_Date", "date", "after_created_date", (30, 500), {"null_rate": 0.2}),
    ("Notes_Internal", "textarea", "sentence", (), {"null_rate": 0.6}),
    *_QUARTERS,
    *_SCORES,
)


def _accounts() -> tuple[FieldSpec, ...]:
    custom = tuple(
        _f(name, data_type, gen, *args, custom=True, **extra)
        for name, data_type, gen, args, extra in _ACCOUNT_CUSTOM
    )
    return (
        *_system_fields(),
        _f("Account_Name", "text", "company", mandatory=True, length=200),
        _f("Account_Number", "text", "account_number", null_rate=0.1),
        _f("Account_Type", "picklist", "picklist",
           picklist=("Analyst", "Competitor", "Customer", "Distributor", "Integrator",
                     "Investor", "Partner", "Press", "Prospect", "Reseller", "Vendor")),
        _f("Industry", "picklist", "picklist", picklist=INDUSTRIES, null_rate=0.1),
        _f("Parent_Account", "lookup", "parent_lookup", "Accounts", lookup_module="Accounts",
           null_rate=0.85),
        _f("Phone", "phone", "phone"),
        _f("Fax", "phone", "phone", null_rate=0.8),
        _f("Website", "website", "website", null_rate=0.2),
        _f("Employees", "integer", "int", 1, 20_000),
        _f("Annual_Revenue", "currency", "money", 50_000, 90_000_000, decimals=2),
        _f("Ownership", "picklist", "picklist",
           picklist=("Other", "Private", "Public", "Subsidiary", "Partnership")),
        _f("Rating", "picklist", "picklist", picklist=RATINGS, null_rate=0.3),
        _f("SIC_Code", "integer", "int", 100, 9999, null_rate=0.4),
        _f("Description", "textarea", "sentence", null_rate=0.4, length=32000),
        *_address("Billing_"),
        *_address("Shipping_"),
        *custom,
    )  # fmt: skip


def _deals() -> tuple[FieldSpec, ...]:
    return (
        *_system_fields(),
        _f("Deal_Name", "text", "deal_name", mandatory=True, length=120),
        _f("Account_Name", "lookup", "lookup", "Accounts", lookup_module="Accounts"),
        _f("Contact_Name", "lookup", "lookup", "Contacts", lookup_module="Contacts",
           null_rate=0.2),
        _f("Amount", "currency", "money", 1_000, 750_000, decimals=2),
        _f("Stage", "picklist", "picklist", picklist=STAGES, mandatory=True),
        _f("Probability", "percent", "int", 0, 100),
        _f("Expected_Revenue", "formula", "formula_expected_revenue", formula_return="currency"),
        _f("Closing_Date", "date", "after_created_date", 7, 180, mandatory=True),
        _f("Type", "picklist", "picklist", picklist=("New Business", "Existing Business")),
        _f("Lead_Source", "picklist", "picklist", picklist=LEAD_SOURCES, null_rate=0.1),
        _f("Next_Step", "text", "next_step", null_rate=0.4),
        _f("Description", "textarea", "sentence", null_rate=0.5, length=32000),
    )  # fmt: skip


def _products() -> tuple[FieldSpec, ...]:
    return (
        *_system_fields(),
        _f("Product_Name", "text", "product_name", mandatory=True, length=120),
        _f("Product_Code", "text", "sku"),
        _f("Product_Category", "picklist", "picklist", picklist=CATEGORIES),
        _f("Product_Active", "boolean", "bool", 0.9),
        _f("Unit_Price", "currency", "money", 5, 25_000, decimals=2),
        _f("Qty_in_Stock", "double", "double", 0, 5_000, decimals=2),
        _f("Qty_Ordered", "double", "double", 0, 800, decimals=2, null_rate=0.3),
        _f("Reorder_Level", "double", "double", 0, 200, decimals=2),
        _f("Commission_Rate", "currency", "money", 0, 15, decimals=2, null_rate=0.5),
        _f("Tax", "multiselectpicklist", "tax_objects", picklist=TAXES),
        _f("Manufacturer", "picklist", "picklist",
           picklist=("AltvetPet Inc.", "LexPon Inc.", "MetBeat Corp.", "Tata", "Godrej")),
        _f("Sales_Start_Date", "date", "created_date", null_rate=0.2),
        _f("Description", "textarea", "sentence", null_rate=0.3, length=32000),
    )  # fmt: skip


def _line_item_fields() -> tuple[FieldSpec, ...]:
    return (
        _f("Product_Name", "lookup", "lookup", "Products", lookup_module="Products"),
        _f("Quantity", "double", "double", 1, 50, decimals=0),
        _f("List_Price", "currency", "money", 5, 25_000, decimals=2),
        _f("Discount", "currency", "money", 0, 100, decimals=2),
        _f("Total", "currency", "money", 5, 500_000, decimals=2),
        _f("Description", "textarea", "sentence", null_rate=0.6),
    )


def _sales_orders() -> tuple[FieldSpec, ...]:
    return (
        *_system_fields(),
        _f("Subject", "text", "order_subject", mandatory=True),
        _f("SO_Number", "autonumber", "autonumber", "SO-", read_only=True,
           label="SO Number"),
        _f("Account_Name", "lookup", "lookup", "Accounts", lookup_module="Accounts",
           mandatory=True),
        _f("Contact_Name", "lookup", "lookup", "Contacts", lookup_module="Contacts",
           null_rate=0.3),
        _f("Deal_Name", "lookup", "lookup", "Deals", lookup_module="Deals", null_rate=0.4),
        _f("Status", "picklist", "picklist", picklist=ORDER_STATUSES),
        _f("Due_Date", "date", "after_created_date", 3, 60),
        _f("Carrier", "picklist", "picklist", picklist=("FedEx", "UPS", "USPS", "DHL", "BlueDart")),
        _f("Sub_Total", "currency", "money", 100, 400_000, decimals=2, read_only=True),
        _f("Tax", "currency", "money", 0, 70_000, decimals=2),
        _f("Grand_Total", "formula", "formula_grand_total", formula_return="currency",
           read_only=True),
        _f("Ordered_Items", "subform", "subform", "Ordered_Items", subform_module="Ordered_Items",
           label="Ordered Items"),
        *_address("Billing_"),
    )  # fmt: skip


def _invoices() -> tuple[FieldSpec, ...]:
    return (
        *_system_fields(),
        _f("Subject", "text", "invoice_subject", mandatory=True),
        _f("Invoice_Number", "autonumber", "autonumber", "INV-", read_only=True),
        _f("Invoice_Date", "date", "created_date"),
        _f("Due_Date", "date", "after_created_date", 15, 60),
        _f("Account_Name", "lookup", "lookup", "Accounts", lookup_module="Accounts",
           mandatory=True),
        _f("Sales_Order", "lookup", "lookup", "Sales_Orders", lookup_module="Sales_Orders",
           null_rate=0.3),
        _f("Status", "picklist", "picklist", picklist=INVOICE_STATUSES),
        _f("Sub_Total", "currency", "money", 100, 400_000, decimals=2, read_only=True),
        _f("Tax", "currency", "money", 0, 70_000, decimals=2),
        _f("Grand_Total", "formula", "formula_grand_total", formula_return="currency",
           read_only=True),
        _f("Invoiced_Items", "subform", "subform", "Invoiced_Items",
           subform_module="Invoiced_Items"),
        _f("Terms_and_Conditions", "textarea", "sentence", null_rate=0.5),
    )  # fmt: skip


def _warehouse_visits() -> tuple[FieldSpec, ...]:
    return (
        *_system_fields(),
        _f("Name", "text", "visit_name", mandatory=True, label="Warehouse Visit Name"),
        _f("Visit_Number", "autonumber", "autonumber", "WV-", read_only=True, custom=True),
        _f("Account", "lookup", "lookup", "Accounts", lookup_module="Accounts", custom=True),
        _f("Visit_Type", "picklist", "picklist", picklist=VISIT_TYPES, custom=True),
        _f("Visited_On", "datetime", "after_created", 0, 20 * 86_400, custom=True),
        _f("Duration_Minutes", "integer", "int", 10, 480, custom=True),
        _f("Temperature_C", "decimal", "double", -20, 45, decimals=1, custom=True),
        _f("Passed_Audit", "boolean", "bool", 0.8, custom=True),
        _f("Score", "percent", "double", 40, 100, decimals=1, custom=True),
        _f("Checklist", "multiselectpicklist", "multipicklist", custom=True,
           picklist=("Fire safety", "Stock count", "Labeling", "Cold chain", "Security")),
        _f("Products_Checked", "multiselectlookup", "multiselectlookup", "Products",
           lookup_module="Products", custom=True),
        _f("Visit_Photos", "fileupload", "fileupload", custom=True, null_rate=0.5),
        _f("Inspector_Phone", "phone", "phone", custom=True),
        _f("Report_URL", "website", "website", custom=True, null_rate=0.3),
        _f("Findings", "textarea", "sentence", custom=True, null_rate=0.3),
    )  # fmt: skip


def _simple(display: str, display_gen: str) -> tuple[FieldSpec, ...]:
    return (
        *_system_fields(),
        _f(display, "text", display_gen, mandatory=True),
        _f("Description", "textarea", "sentence", null_rate=0.5),
    )


def _price_tiers() -> tuple[FieldSpec, ...]:
    # No Created_Time/Modified_Time: a client can neither filter nor bookmark this module,
    # so it must read it in full every run (FULL_TABLE) and say when a read was complete.
    return (
        _f("Owner", "ownerlookup", "owner", label="Record Owner", mandatory=True),
        _tag(),
        _f("Name", "text", "visit_name", mandatory=True, label="Price Tier Name"),
        _f("Discount_Percent", "percent", "double", 0, 40, decimals=1, custom=True),
        _f("Minimum_Quantity", "integer", "int", 1, 500, custom=True),
    )


MODULES: tuple[ModuleSpec, ...] = (
    ModuleSpec("Leads", 1, "Lead", "Leads", "Full_Name", _leads(), convertable=True),
    ModuleSpec("Contacts", 2, "Contact", "Contacts", "Full_Name", _contacts()),
    ModuleSpec("Accounts", 3, "Account", "Accounts", "Account_Name", _accounts()),
    ModuleSpec("Deals", 4, "Deal", "Deals", "Deal_Name", _deals()),
    ModuleSpec("Products", 5, "Product", "Products", "Product_Name", _products()),
    ModuleSpec("Sales_Orders", 6, "Sales Order", "Sales Orders", "Subject", _sales_orders()),
    ModuleSpec("Invoices", 7, "Invoice", "Invoices", "Subject", _invoices()),
    ModuleSpec(
        "Warehouse_Visits", 8, "Warehouse Visit", "Warehouse Visits", "Name",
        _warehouse_visits(), generated_type="custom",
    ),
    ModuleSpec(
        "Price_Tiers", 15, "Price Tier", "Price Tiers", "Name", _price_tiers(),
        generated_type="custom", optional=True,
    ),
    ModuleSpec(
        "Cases", 9, "Case", "Cases", "Subject", _simple("Subject", "case_subject"),
        fault=ModuleFault.SCOPE,
    ),
    ModuleSpec(
        "Campaigns", 10, "Campaign", "Campaigns", "Campaign_Name",
        _simple("Campaign_Name", "campaign_name"), fault=ModuleFault.NO_CONTENT,
    ),
    ModuleSpec(
        "Quotes", 11, "Quote", "Quotes", "Subject", _simple("Subject", "order_subject"),
        fault=ModuleFault.NO_PERMISSION,
    ),
    # Listed in settings/modules but not served by the API (`api_supported: false`).
    ModuleSpec("Visits", 12, "Visit", "Visits", "Name", api_supported=False, has_records=False),
    ModuleSpec("Social", 13, "Social", "Social", "Name", api_supported=False, has_records=False),
    ModuleSpec(
        "Approvals", 14, "Approval", "Approvals", "Name", api_supported=False, has_records=False
    ),
)  # fmt: skip

SUBFORM_FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    "Ordered_Items": _line_item_fields(),
    "Invoiced_Items": _line_item_fields(),
}
SUBFORM_NUMBERS = {"Ordered_Items": 31, "Invoiced_Items": 32}

BY_NAME: dict[str, ModuleSpec] = {module.api_name: module for module in MODULES}
BY_LOWER: dict[str, ModuleSpec] = {module.api_name.lower(): module for module in MODULES}


def find_module(name: str) -> ModuleSpec | None:
    """Module by API name; CRM matches module names case-insensitively."""
    return BY_NAME.get(name) or BY_LOWER.get(name.lower())


def record_id(module: str, index: int) -> str:
    """The id of the record at `index` of `module` (ids grow with the index).

    Books' `zcrm_account_id` / `zcrm_contact_id` link to `record_id("Accounts", i)` and
    `record_id("Contacts", i)`; ids do not depend on the seed.
    """
    return str(ID_PREFIX + BY_NAME[module].number * MODULE_ID_SPAN + index)


def parse_record_id(module: ModuleSpec, record: str) -> int | None:
    """The index of a record id of `module`, or None if it is not one of its ids."""
    if not record.isdigit() or len(record) > 19:  # noqa: PLR2004 - Zoho ids are 19 digits
        return None
    offset = int(record) - ID_PREFIX - module.number * MODULE_ID_SPAN
    return offset if 0 <= offset < MODULE_ID_SPAN else None
