"""Contact persons reach `erp.contact_persons` from the tap's `books_contact_persons`.

The tap's contacts are list rows (no nested `contact_persons`); their persons come as
the child stream `books_contact_persons`, whose records carry `contact_id` and
`parent_last_modified_time` but not whether the contact is a customer or a vendor. The
records here are the tap's real output: tap-zoho synced in-process from the emulator.
"""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from typing import Any

import orjson
from psycopg import sql

from tap_zoho.testing import emulator_config, run_tap
from target_tsh_erp.store import apply_records
from target_tsh_erp.target import TargetTshErp
from zoho_emulator.testing import run_emulator

ORG = "10234695"
T1 = "2025-01-01T00:00:00+00:00"
T2 = "2025-01-02T00:00:00+00:00"


def run_target(config: dict[str, Any], messages: list[dict[str, Any]]) -> None:
    """Feed Singer messages to the target in-process."""
    text = "\n".join(orjson.dumps(m).decode() for m in messages) + "\n"
    with redirect_stdout(io.StringIO()):
        TargetTshErp(config=config).listen(io.StringIO(text))


def q(conn, settings, query: str) -> list[tuple[Any, ...]]:
    return conn.execute(sql.SQL(query).format(erp=sql.Identifier(settings.erp_schema),
                                              raw=sql.Identifier(settings.raw_schema))).fetchall()


def test_tap_contact_persons_land_in_erp_linked_to_their_customer_or_vendor(
    conn, settings, target_config
):
    with run_emulator(seed=11, scale=12, requests_per_minute=0) as zoho:
        synced = run_tap(emulator_config(zoho.base_url, organization_ids=[ORG]),
                         streams={"books_contacts", "books_contact_persons"})
    contacts = synced.records["books_contacts"]
    persons = synced.records["books_contact_persons"]
    assert persons, "the emulator gives every contact one to three persons"
    assert "contact_persons" not in contacts[0]  # list rows: persons come as a child stream
    assert {"contact_id", "parent_last_modified_time"} <= set(persons[0])
    run_target(target_config, synced.messages)
    kind = {c["contact_id"]: c["contact_type"] for c in contacts}
    expected = sorted((p["contact_person_id"], p["contact_id"], kind[p["contact_id"]],
                       p.get("email")) for p in persons)
    stored = q(conn, settings,
               "SELECT p.zoho_id, p.contact_zoho_id,"
               " CASE WHEN c.id IS NOT NULL THEN 'customer' WHEN v.id IS NOT NULL"
               "  THEN 'vendor' END, p.email FROM {erp}.contact_persons p"
               " LEFT JOIN {erp}.customers c ON c.id = p.customer_id"
               "  AND c.zoho_id = p.customer_zoho_id"
               " LEFT JOIN {erp}.vendors v ON v.id = p.vendor_id"
               "  AND v.zoho_id = p.vendor_zoho_id"
               " WHERE p.deleted_at IS NULL AND NOT p.is_placeholder ORDER BY 1")
    assert sorted(stored) == expected
    assert {row[2] for row in stored} == {"customer", "vendor"}  # both kinds resolved
    placeholders = q(conn, settings, "SELECT count(*) FROM {erp}.customers WHERE is_placeholder"
                                     " UNION ALL SELECT count(*) FROM {erp}.vendors"
                                     " WHERE is_placeholder")
    assert placeholders == [(0,), (0,)]  # a person never invents a customer or vendor
    xmin = q(conn, settings, "SELECT zoho_id, xmin::text FROM {erp}.contact_persons")
    run_target(target_config, synced.messages)  # the same output again changes nothing
    assert q(conn, settings, "SELECT zoho_id, xmin::text FROM {erp}.contact_persons") == xmin


def person(person_id: str, t: str, *, contact: str = "c1", email: str = "") -> dict[str, Any]:
    return {"organization_id": ORG, "contact_person_id": person_id, "contact_id": contact,
            "first_name": person_id, "email": email or f"{person_id}@example.com",
            "is_primary_contact": person_id == "p1", "parent_last_modified_time": t}


def contact(t: str, contact_type: str = "customer") -> dict[str, Any]:
    return {"organization_id": ORG, "contact_id": "c1", "contact_name": "Acme",
            "contact_type": contact_type, "last_modified_time": t}


def test_person_removed_from_its_contact_is_soft_deleted_and_stale_copy_ignored(
    conn, writer, settings
):
    apply_records(conn, "books_contacts", [contact(T1)], writer=writer)
    apply_records(conn, "books_contact_persons", [person("p1", T1), person("p2", T1)],
                  writer=writer)
    apply_records(conn, "books_contact_persons", [person("p2", T2, email="new@example.com")],
                  writer=writer)
    live = q(conn, settings, "SELECT zoho_id, email FROM {erp}.contact_persons"
                             " WHERE deleted_at IS NULL ORDER BY 1")
    assert live == [("p2", "new@example.com")]
    apply_records(conn, "books_contact_persons", [person("p1", T1)], writer=writer)  # stale
    assert q(conn, settings, "SELECT count(*) FROM {erp}.contact_persons"
                             " WHERE deleted_at IS NULL") == [(1,)]


def test_person_before_its_contact_links_when_the_contact_arrives(conn, writer, settings):
    apply_records(conn, "books_contact_persons", [person("p1", T1)], writer=writer)
    assert q(conn, settings, "SELECT customer_id, vendor_id, customer_zoho_id"
                             " FROM {erp}.contact_persons") == [(None, None, None)]
    apply_records(conn, "books_contacts", [contact(T1, "vendor")], writer=writer)
    linked = q(conn, settings,
               "SELECT v.zoho_id, p.vendor_zoho_id, p.customer_id FROM {erp}.contact_persons p"
               " JOIN {erp}.vendors v ON v.id = p.vendor_id")
    assert linked == [("c1", "c1", None)]
    before = q(conn, settings, "SELECT xmin::text FROM {erp}.contact_persons")
    apply_records(conn, "books_contact_persons", [person("p1", T1)], writer=writer)
    assert q(conn, settings, "SELECT xmin::text FROM {erp}.contact_persons") == before
