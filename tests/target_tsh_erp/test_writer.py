"""The write path against a real PostgreSQL: guard, placeholders, deletes, rejects, events."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from target_tsh_erp.database import connect
from target_tsh_erp.store import Incoming, MissingKeyError, apply_records
from target_tsh_erp.store.migrations import LATEST_VERSION, SchemaTooNewError, migrate
from target_tsh_erp.store.remap import remap

T1 = "2025-01-01T00:00:00+00:00"
T2 = "2025-01-02T00:00:00+00:00"
ORG = "10234695"


def item(item_id="9", t=T1, **extra):
    return {"organization_id": ORG, "item_id": item_id, "name": f"Item {item_id}",
            "rate": 10.0, "status": "active", "last_modified_time": t, **extra}


def q(conn, settings, query, *args):
    return conn.execute(sql.SQL(query).format(erp=sql.Identifier(settings.erp_schema),
                                              raw=sql.Identifier(settings.raw_schema)),
                        args).fetchall()


def test_older_record_changes_nothing_and_same_record_is_not_rewritten(conn, writer, settings):
    apply_records(conn, "books_items", [item(t=T2, rate=20.0)], writer=writer)
    before = q(conn, settings, "SELECT xmin::text, rate FROM {erp}.products")
    raw_before = q(conn, settings, "SELECT xmin::text FROM {raw}.books_items")
    stale = apply_records(conn, "books_items", [item(t=T1, rate=1.0)], writer=writer)
    same = apply_records(conn, "books_items", [item(t=T2, rate=20.0)], writer=writer)
    assert (stale.raw_written, dict(stale.erp_written)) == (0, {})
    assert (same.raw_written, dict(same.erp_written)) == (0, {})
    assert q(conn, settings, "SELECT xmin::text, rate FROM {erp}.products") == before
    assert q(conn, settings, "SELECT xmin::text FROM {raw}.books_items") == raw_before
    newer = apply_records(conn, "books_items", [item(t=T2, rate=30.0)], writer=writer)
    assert newer.erp_written["products"] == 1
    assert q(conn, settings, "SELECT rate::float FROM {erp}.products") == [(30.0,)]


def test_duplicates_in_one_batch_keep_the_newest(conn, writer, settings):
    apply_records(conn, "books_items", [item(t=T2, rate=2.0), item(t=T1, rate=1.0),
                                         item(t=T2, rate=3.0)], writer=writer)
    assert q(conn, settings, "SELECT rate::float FROM {erp}.products") == [(3.0,)]
    assert q(conn, settings, "SELECT count(*) FROM {raw}.books_items") == [(1,)]


def test_books_and_inventory_items_are_one_product_with_stock_enrichment(conn, writer, settings):
    apply_records(conn, "inventory_items", [item(t=T1, stock_on_hand=7)], writer=writer)
    apply_records(conn, "books_items", [item(t=T2, name="Renamed")], writer=writer)
    rows = q(conn, settings, "SELECT name, stock_on_hand::float, source_stream"
                             " FROM {erp}.products")
    assert rows == [("Renamed", 7.0, "books_items")]


def test_children_before_parents_get_placeholders_then_real_rows(conn, writer, settings):
    line = {"organization_id": ORG, "salesorder_id": "so1", "line_item_id": "l1",
            "item_id": "i1", "name": "Bolt", "quantity": 2, "parent_last_modified_time": T1}
    apply_records(conn, "books_sales_order_line_items", [line], writer=writer)
    assert q(conn, settings, "SELECT zoho_id, is_placeholder FROM {erp}.sales_orders") == [
        ("so1", True)]
    assert q(conn, settings, "SELECT zoho_id, name, is_placeholder FROM {erp}.products") == [
        ("i1", "Bolt", True)]
    header = {"organization_id": ORG, "salesorder_id": "so1", "salesorder_number": "SO-1",
              "customer_id": "c1", "last_modified_time": T1}
    apply_records(conn, "books_sales_orders", [header], writer=writer)
    apply_records(conn, "books_items", [item("i1")], writer=writer)
    rows = q(conn, settings,
             "SELECT o.number, o.is_placeholder, p.name, p.is_placeholder FROM"
             " {erp}.sales_order_lines l JOIN {erp}.sales_orders o ON o.id = l.sales_order_id"
             " JOIN {erp}.products p ON p.id = l.product_id")
    assert rows == [("SO-1", False, "Item i1", False)]
    assert q(conn, settings, "SELECT count(*) FROM {erp}.customers WHERE is_placeholder") == [
        (1,)]


def test_unmappable_record_is_rejected_but_lands_raw_and_clears_when_fixed(conn, writer,
                                                                            settings):
    result = apply_records(conn, "books_items", [item("bad", rate="n/a"), item("ok")],
                           writer=writer)
    assert [r.reason for r in result.rejects] == ["'rate' must be a number, got 'n/a'"]
    assert q(conn, settings, "SELECT count(*) FROM {raw}.books_items") == [(2,)]
    assert q(conn, settings, "SELECT zoho_id FROM {erp}.products") == [("ok",)]
    assert q(conn, settings, "SELECT stream, reason, record->>'rate' FROM {raw}.rejects") == [
        ("books_items", "'rate' must be a number, got 'n/a'", "n/a")]
    apply_records(conn, "books_items", [item("bad", t=T2, rate=3)], writer=writer)
    assert q(conn, settings, "SELECT count(*) FROM {raw}.rejects") == [(0,)]


def test_unknown_stream_lands_raw_only(conn, writer, settings):
    result = apply_records(conn, "books_bills", [{"organization_id": ORG, "bill_id": "b",
                                                  "last_modified_time": T1}],
                           key_properties=["organization_id", "bill_id"], writer=writer)
    assert (result.raw_written, dict(result.erp_written)) == (1, {})
    assert q(conn, settings, "SELECT bill_id, record->>'bill_id' FROM {raw}.books_bills") == [
        ("b", "b")]
    with pytest.raises(ValueError, match="pass its key_properties"):
        apply_records(conn, "never_seen", [{"a": 1}], writer=writer)


def test_missing_key_is_an_error_naming_stream_and_property(conn, writer):
    with pytest.raises(MissingKeyError, match=r"books_items.*'item_id'"):
        apply_records(conn, "books_items", [{"organization_id": ORG}], writer=writer)


def test_tombstone_and_crm_deleted_records_soft_delete(conn, writer, settings):
    apply_records(conn, "books_items", [item("a"), item("b")], writer=writer)
    apply_records(conn, "books_items", [item("a", _sdc_deleted_at=T2)], writer=writer)
    deal = {"organization_id": "crm", "id": "d1", "Deal_Name": "Big", "Modified_Time": T1}
    apply_records(conn, "crm_deals", [deal], writer=writer)
    apply_records(conn, "crm_deleted_records", [{"organization_id": "crm", "module": "Deals",
                                                 "id": "d1", "deleted_time": T2}],
                  writer=writer)
    assert q(conn, settings, "SELECT zoho_id, deleted_at IS NOT NULL FROM {erp}.products"
                             " ORDER BY zoho_id") == [("a", True), ("b", False)]
    assert q(conn, settings, "SELECT deleted_at::text FROM {erp}.opportunities") == [
        ("2025-01-02 00:00:00+00",)]
    assert q(conn, settings, "SELECT deleted_at IS NOT NULL FROM {raw}.crm_deals") == [(True,)]
    assert q(conn, settings, "SELECT count(*) FROM {erp}.products") == [(2,)]  # soft only
    # The deal re-sent as it was before its deletion (bookmark re-read) stays deleted.
    apply_records(conn, "crm_deals", [deal], writer=writer)
    assert q(conn, settings, "SELECT deleted_at IS NOT NULL FROM {erp}.opportunities") == [
        (True,)]
    # A deletion that arrives before its record leaves a tombstone the record cannot undo.
    apply_records(conn, "crm_deleted_records", [{"organization_id": "crm", "module": "Deals",
                                                 "id": "d2", "deleted_time": T2}],
                  writer=writer)
    apply_records(conn, "crm_deals", [{**deal, "id": "d2"}], writer=writer)
    assert q(conn, settings, "SELECT zoho_id, deleted_at IS NOT NULL, name"
                             " FROM {erp}.opportunities ORDER BY 1") == [
        ("d1", True, "Big"), ("d2", True, None)]


def test_activate_version_soft_deletes_rows_not_seen(conn, writer, settings):
    writer.ensure_stream(conn, "books_items")
    writer.write(conn, {"books_items": [Incoming(item("a"), 1), Incoming(item("b"), 1)]})
    writer.write(conn, {"books_items": [Incoming(item("a"), 2)]})
    result = writer.soft_delete_unseen(conn, "books_items", 2)
    assert result.raw_written == 1
    assert q(conn, settings, "SELECT zoho_id, deleted_at IS NOT NULL FROM {erp}.products"
                             " ORDER BY zoho_id") == [("a", False), ("b", True)]


def test_activate_version_leaves_organizations_outside_the_version_alone(conn, writer, settings):
    """One job per organization: org A's full refresh must not soft-delete org B's rows."""
    writer.ensure_stream(conn, "books_items")
    other = {"organization_id": "20987654"}
    writer.write(conn, {"books_items": [Incoming(item("a"), 1), Incoming(item("b"), 1),
                                        Incoming({**item("c"), **other}, 1)]})  # fmt: skip
    writer.write(conn, {"books_items": [Incoming(item("a"), 2)]})
    result = writer.soft_delete_unseen(conn, "books_items", 2)
    assert result.raw_written == 1
    assert q(conn, settings, "SELECT organization_id, zoho_id, deleted_at IS NOT NULL"
                             " FROM {erp}.products ORDER BY 2") == [
        (ORG, "a", False), (ORG, "b", True), ("20987654", "c", False)]
    assert writer.soft_delete_unseen(conn, "books_items", 3).raw_written == 0, (
        "a version with no rows speaks for no organization")


def test_activate_version_spares_rows_zoho_changed_after_the_listing_began(
    conn, writer, settings,
):
    """A webhook write during a full refresh is newer than the listing, not deleted."""
    began = 1_780_000_000_000  # ms epoch: 2026-05-28T20:26:40Z, the listing's start
    writer.ensure_stream(conn, "books_items")
    writer.write(conn, {"books_items": [Incoming(item("a"), began),
                                        Incoming(item("old", t="2026-05-01T00:00:00Z"))]})
    webhook = item("new", t="2026-05-29T09:00:00Z")  # changed after the listing began
    writer.write(conn, {"books_items": [Incoming(webhook)]})
    assert writer.soft_delete_unseen(conn, "books_items", began).raw_written == 1
    assert q(conn, settings, "SELECT zoho_id, deleted_at IS NOT NULL FROM {erp}.products"
                             " ORDER BY zoho_id") == [("a", False), ("new", False), ("old", True)]


def test_crm_links_by_zcrm_id_then_by_name(conn, writer, settings):
    contacts = [
        {"organization_id": ORG, "contact_id": "c1", "contact_type": "customer",
         "contact_name": "Acme", "zcrm_account_id": "A1", "last_modified_time": T1},
        {"organization_id": ORG, "contact_id": "c2", "contact_type": "customer",
         "contact_name": "x", "company_name": " Globex Ltd ", "last_modified_time": T1},
        {"organization_id": ORG, "contact_id": "c3", "contact_type": "customer",
         "contact_name": "Twin", "last_modified_time": T1},
    ]
    apply_records(conn, "books_contacts", contacts, writer=writer)
    accounts = [{"organization_id": "crm", "id": "A1", "Account_Name": "Other name"},
                {"organization_id": "crm", "id": "A2", "Account_Name": "globex ltd"},
                {"organization_id": "crm", "id": "A3", "Account_Name": "Twin"},
                {"organization_id": "crm", "id": "A4", "Account_Name": "twin"}]
    apply_records(conn, "crm_accounts", accounts, writer=writer)
    rows = q(conn, settings, "SELECT c.zoho_id, a.zoho_id, c.crm_link_rule FROM"
                             " {erp}.customers c LEFT JOIN {erp}.crm_accounts a"
                             " ON a.id = c.crm_account_id ORDER BY 1")
    assert rows == [("c1", "A1", "zcrm_id"), ("c2", "A2", "name"), ("c3", None, None)]


def test_events_go_to_outbox_and_notify(conn, writer, settings, database_url):
    listener = connect(database_url, autocommit=True)
    listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(settings.notify_channel)))
    apply_records(conn, "books_items", [item()], writer=writer)
    conn.commit()
    notices = list(listener.notifies(timeout=5, stop_after=1))
    listener.close()
    assert notices
    assert '"tds.zoho.entity.synced"' in notices[0].payload
    assert q(conn, settings, "SELECT event_type, payload->'erp_written'->>'products'"
                             " FROM {erp}.events_outbox") == [("tds.zoho.entity.synced", "1")]


def test_migrations_are_idempotent_and_refuse_a_newer_schema(conn, settings):
    assert migrate(conn, settings.erp_schema, settings.raw_schema) == LATEST_VERSION
    conn.execute(sql.SQL("INSERT INTO {}.schema_migrations (version) VALUES (99)").format(
        sql.Identifier(settings.erp_schema)))
    conn.commit()
    with pytest.raises(SchemaTooNewError, match="version 99"):
        migrate(conn, settings.erp_schema, settings.raw_schema)


def test_remap_rebuilds_erp_from_raw(conn, writer, settings):
    apply_records(conn, "books_items", [item("a"), item("b", rate="bad")], writer=writer)
    line = {"organization_id": ORG, "invoice_id": "inv", "line_item_id": "l", "item_id": "a",
            "parent_last_modified_time": T1}
    apply_records(conn, "books_invoice_line_items", [line], writer=writer)
    conn.commit()
    conn.execute(sql.SQL("UPDATE {}.products SET name = 'tampered'").format(
        sql.Identifier(settings.erp_schema)))
    conn.commit()
    result = remap(conn, settings)
    assert [r.reason for r in result.rejects] == ["'rate' must be a number, got 'bad'"]
    assert q(conn, settings, "SELECT zoho_id, name FROM {erp}.products ORDER BY 1") == [
        ("a", "Item a")]
    assert q(conn, settings, "SELECT p.zoho_id FROM {erp}.invoice_lines l JOIN"
                             " {erp}.products p ON p.id = l.product_id") == [("a",)]


def test_apply_records_is_inside_the_callers_transaction(conn, writer, settings):
    apply_records(conn, "books_items", [item()], writer=writer)
    conn.rollback()
    assert q(conn, settings, "SELECT count(*) FROM {erp}.products") == [(0,)]
    with pytest.raises(psycopg.errors.UndefinedTable):
        q(conn, settings, "SELECT count(*) FROM {raw}.books_items")
    conn.rollback()
    # The same writer notices its landing table rolled back and creates it again.
    apply_records(conn, "books_items", [item()], writer=writer)
    conn.commit()
    assert q(conn, settings, "SELECT count(*) FROM {raw}.books_items") == [(1,)]
    conn.execute("SELECT 1")  # the caller's transaction is open
    with conn.transaction():  # a savepoint in it, as the webhook service uses per event
        apply_records(conn, "books_bills", [{"organization_id": ORG, "bill_id": "b"}],
                      key_properties=["organization_id", "bill_id"], writer=writer)
        raise psycopg.Rollback
    apply_records(conn, "books_bills", [{"organization_id": ORG, "bill_id": "b"}],
                  writer=writer, key_properties=["organization_id", "bill_id"])
    assert q(conn, settings, "SELECT bill_id FROM {raw}.books_bills") == [("b",)]


def test_unchanged_rejected_record_is_not_rejected_again_and_keeps_its_stored_reject(
    conn, writer, settings
):
    bad = item(status="archived")  # not a status the ERP knows: a mapping reject
    first = apply_records(conn, "books_items", [bad], writer=writer)
    assert [r.reason for r in first.rejects] == ["unknown item status 'archived'"]
    stored = "SELECT reason, record->>'status' FROM {raw}.rejects WHERE stream = 'books_items'"
    assert q(conn, settings, stored) == [("unknown item status 'archived'", "archived")]
    again = apply_records(conn, "books_items", [bad], writer=writer)
    assert (again.raw_written, dict(again.erp_written), again.rejects) == (0, {}, [])
    assert q(conn, settings, stored) == [("unknown item status 'archived'", "archived")]
    fixed = apply_records(conn, "books_items", [item(t=T2)], writer=writer)
    assert fixed.erp_written["products"] == 1
    assert q(conn, settings, stored) == []
