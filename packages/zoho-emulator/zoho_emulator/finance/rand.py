"""Cheap deterministic randomness: every value is a pure function of a 64-bit key.

Records are generated on demand from `(seed, org, entity, index)`, so nothing random may
depend on call order. A two-round mixer turns a key into well-mixed bits at a cost of a
few integer operations, which keeps a 200-record page in the low milliseconds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Sequence

T = TypeVar("T")

MASK = (1 << 64) - 1


def mix(value: int) -> int:
    """64 well-distributed bits from any integer (a two-round xorshift-multiply mixer).

    Two rounds instead of splitmix64's three: this runs a dozen times per generated
    record, and its output only has to look random, not be cryptographic.
    """
    value = ((value ^ (value >> 29)) * 0xBF58476D1CE4E5B9 + 0x9E3779B97F4A7C15) & MASK
    return value ^ (value >> 32)


def key_of(*parts: int | str) -> int:
    """Fold identifiers (ints or short strings) into one 64-bit key."""
    key = 0
    for part in parts:
        number = part if isinstance(part, int) else int.from_bytes(part.encode()[:24], "little")
        key = mix(key ^ number)
    return key


def pick(choices: Sequence[T], bits: int) -> T:
    """Choose one element with the given random bits."""
    return choices[bits % len(choices)]


FIRST_NAMES = (
    "Aarav",
    "Priya",
    "Rohan",
    "Ananya",
    "Vikram",
    "Meera",
    "Arjun",
    "Kavya",
    "Liam",
    "Olivia",
    "Noah",
    "Emma",
    "Sophia",
    "Mason",
    "Isabella",
    "Lucas",
    "Mia",
    "Ethan",
    "Amelia",
    "James",
    "Fatima",
    "Omar",
    "Yusuf",
    "Layla",
    "Chen",
    "Mei",
    "Hiro",
    "Yuki",
    "Carlos",
    "Lucia",
    "Mateo",
    "Valentina",
    "Kwame",
    "Amara",
    "Lars",
    "Ingrid",
    "Pierre",
    "Chloe",
    "Nikolai",
    "Anya",
)
LAST_NAMES = (
    "Sharma",
    "Patel",
    "Iyer",
    "Reddy",
    "Nair",
    "Gupta",
    "Mehta",
    "Rao",
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Garcia",
    "Miller",
    "Davis",
    "Martinez",
    "Lopez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Khan",
    "Haddad",
    "Tanaka",
    "Sato",
    "Wang",
    "Li",
    "Kim",
    "Silva",
    "Costa",
    "Mensah",
    "Okafor",
    "Larsen",
    "Dubois",
    "Moreau",
    "Ivanov",
    "Novak",
    "Fischer",
    "Rossi",
)
COMPANY_WORDS = (
    "Apex",
    "Bluebird",
    "Cedar",
    "Delta",
    "Evergreen",
    "Falcon",
    "Granite",
    "Harbor",
    "Indigo",
    "Juniper",
    "Keystone",
    "Lotus",
    "Meridian",
    "Northwind",
    "Orchid",
    "Pioneer",
    "Quartz",
    "Redwood",
    "Summit",
    "Tidewater",
    "Unity",
    "Vertex",
    "Willow",
    "Zenith",
    "Saffron",
    "Monsoon",
)
COMPANY_KINDS = (
    "Traders",
    "Industries",
    "Logistics",
    "Retail",
    "Foods",
    "Textiles",
    "Electronics",
    "Pharma",
    "Motors",
    "Supplies",
    "Hardware",
    "Exports",
    "Labs",
    "Distributors",
    "Works",
)
COMPANY_SUFFIXES = ("Pvt Ltd", "LLC", "Inc.", "& Co", "Ltd", "Corp.", "LLP", "Group")
PRODUCT_ADJECTIVES = (
    "Premium",
    "Classic",
    "Compact",
    "Deluxe",
    "Eco",
    "Heavy-Duty",
    "Lite",
    "Pro",
    "Smart",
    "Ultra",
    "Organic",
    "Wireless",
    "Stainless",
    "Portable",
    "Industrial",
    "Mini",
)
PRODUCT_NOUNS = (
    "Desk Lamp",
    "Office Chair",
    "Water Bottle",
    "Notebook",
    "Backpack",
    "Headphones",
    "Coffee Beans",
    "Tea Sampler",
    "Cotton T-Shirt",
    "Running Shoes",
    "USB-C Cable",
    "Power Bank",
    "Ceramic Mug",
    "Yoga Mat",
    "Steel Bolt M8",
    "Copper Wire 2mm",
    "LED Panel",
    "Printer Paper A4",
    "Hand Sanitizer",
    "Basmati Rice 5kg",
    "Olive Oil 1L",
    "Wall Clock",
    "Keyboard",
    "Monitor Stand",
    "Safety Gloves",
    "Paint Roller",
    "Garden Hose",
    "Spice Box",
)
COLOURS = ("Red", "Blue", "Black", "White", "Green", "Grey", "Teal", "Amber")
SIZES = ("S", "M", "L", "XL")
UNITS = ("pcs", "box", "kg", "ltr", "m", "dozen", "set")
STREETS = (
    "MG Road",
    "Park Street",
    "Main Street",
    "Oak Avenue",
    "Church Road",
    "Market Street",
    "Brigade Road",
    "Sunset Blvd",
    "Mission Street",
    "Linking Road",
    "Station Road",
    "Elm Street",
)
