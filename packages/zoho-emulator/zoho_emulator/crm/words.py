"""Word lists for realistic CRM values (names, companies, places, products)."""

from __future__ import annotations

FIRST_NAMES = (
    "Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Meera", "Arjun", "Kavya", "Liam", "Olivia",
    "Noah", "Emma", "Sophia", "Mason", "Isabella", "Lucas", "Mia", "Ethan", "Amelia", "James",
    "Fatima", "Omar", "Yusuf", "Layla", "Chen", "Mei", "Hiro", "Yuki", "Carlos", "Lucia",
    "Mateo", "Valentina", "Kwame", "Amara", "Lars", "Ingrid", "Pierre", "Chloe", "Nikolai", "Anya",
)  # fmt: skip
LAST_NAMES = (
    "Sharma", "Patel", "Iyer", "Reddy", "Nair", "Gupta", "Mehta", "Rao", "Smith", "Johnson",
    "Williams", "Brown", "Garcia", "Miller", "Davis", "Martinez", "Lopez", "Wilson", "Anderson",
    "Thomas", "Khan", "Haddad", "Tanaka", "Sato", "Wang", "Li", "Kim", "Silva", "Costa",
    "Mensah", "Okafor", "Larsen", "Dubois", "Moreau", "Ivanov", "Novak", "Fischer", "Rossi",
)  # fmt: skip
COMPANY_WORDS = (
    "Apex", "Bluebird", "Cedar", "Delta", "Evergreen", "Falcon", "Granite", "Harbor", "Indigo",
    "Juniper", "Keystone", "Lotus", "Meridian", "Northwind", "Orchid", "Pioneer", "Quartz",
    "Redwood", "Summit", "Tidewater", "Unity", "Vertex", "Willow", "Zenith", "Saffron", "Monsoon",
)  # fmt: skip
COMPANY_KINDS = (
    "Traders", "Industries", "Logistics", "Retail", "Foods", "Textiles", "Electronics",
    "Pharma", "Motors", "Supplies", "Hardware", "Exports", "Labs", "Distributors", "Works",
)  # fmt: skip
COMPANY_SUFFIXES = ("Pvt Ltd", "LLC", "Inc.", "& Co", "Ltd", "Corp.", "LLP", "Group")
DESIGNATIONS = (
    "Purchase Manager", "CEO", "CFO", "Operations Head", "Procurement Lead", "Store Manager",
    "IT Director", "Founder", "Sales Director", "Accounts Executive", "Plant Manager",
)  # fmt: skip
DEPARTMENTS = ("Procurement", "Finance", "Operations", "IT", "Sales", "Logistics", "Admin")
STREETS = (
    "MG Road", "Park Street", "Main Street", "Oak Avenue", "Church Road", "Market Street",
    "Brigade Road", "Sunset Blvd", "Mission Street", "Linking Road", "Station Road", "Elm Street",
)  # fmt: skip
PLACES = (
    ("Bengaluru", "Karnataka", "India", "560"), ("Mumbai", "Maharashtra", "India", "400"),
    ("Chennai", "Tamil Nadu", "India", "600"), ("Pune", "Maharashtra", "India", "411"),
    ("Hyderabad", "Telangana", "India", "500"), ("Delhi", "Delhi", "India", "110"),
    ("San Francisco", "California", "United States", "941"),
    ("Austin", "Texas", "United States", "787"), ("Seattle", "Washington", "United States", "981"),
    ("Dubai", "Dubai", "United Arab Emirates", "000"),
    ("London", "England", "United Kingdom", "EC1"),
    ("Singapore", "Singapore", "Singapore", "018"),
)  # fmt: skip
PRODUCT_ADJECTIVES = (
    "Premium", "Classic", "Compact", "Deluxe", "Eco", "Heavy-Duty", "Lite", "Pro", "Smart",
    "Ultra", "Organic", "Wireless", "Stainless", "Portable", "Industrial", "Mini",
)  # fmt: skip
PRODUCT_NOUNS = (
    "Desk Lamp", "Office Chair", "Water Bottle", "Notebook", "Backpack", "Headphones",
    "Coffee Beans", "Tea Sampler", "Cotton T-Shirt", "Running Shoes", "USB-C Cable",
    "Power Bank", "Ceramic Mug", "Yoga Mat", "Steel Bolt M8", "Copper Wire 2mm", "LED Panel",
    "Printer Paper A4", "Hand Sanitizer", "Basmati Rice 5kg", "Olive Oil 1L", "Wall Clock",
)  # fmt: skip
SENTENCES = (
    "Interested in a bulk order before the festive season.",
    "Asked for a revised quote with freight included.",
    "Prefers delivery to the Whitefield warehouse.",
    "Met at the trade show; follow up after budget approval.",
    "Needs GST invoices with HSN codes on every line.",
    "Evaluating two competitors; price is the main concern.",
    "Wants a demo for the operations team next week.",
    "Payment delays in the last quarter; keep terms at Net 15.",
)  # fmt: skip
NEXT_STEPS = ("Send proposal", "Schedule demo", "Negotiate terms", "Get PO", "Follow-up call")
CAMPAIGN_KINDS = ("Webinar", "Trade Show", "Email Blast", "Referral Drive", "Festive Offer")
CASE_TOPICS = ("Damaged delivery", "Invoice mismatch", "Late shipment", "Login issue", "Refund")
