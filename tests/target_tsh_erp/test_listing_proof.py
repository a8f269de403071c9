"""A later complete listing is proof a record exists (issue 14, the D2 follow-up).

A full-table stream's ACTIVATE_VERSION deletes what its listing did not show, dated at
the listing's start (epoch table versions). A record that ONE listing missed (a fallback
listing that leaves out a status) must come back when a later complete listing shows it
again unchanged: a record delivered with a version counts the listing's start as its
time, so it is newer than the deletion. Everything else about deletions is unchanged:
a late webhook copy older than a deletion, an older listing arriving late, a webhook or
CRM deletion newer than the listing all keep the record deleted.

Singer messages through the real target into embedded PostgreSQL.
"""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from datetime import UTC, datetime
from typing import Any

import orjson
from psycopg import sql

from target_tsh_erp.target import TargetTshErp
from target_tsh_erp.testing import schema_message

ORG = "10234695"
MODIFIED = "2025-03-01T10:00:00+00:00"  # every record's last change in Zoho
LATE_CHANGE = "2025-03-02T12:00:00+00:00"  # a change made before the second listing began


def ms(text: str) -> int:
    """A listing's start as tap-zoho's table version: epoch milliseconds."""
    return int(datetime.fromisoformat(text).astimezone(UTC).timestamp() * 1000)


V1, V2, V3 = ms("2025-03-02T00:00:00Z"), ms("2025-03-03T00:00:00Z"), ms("2025-03-04T00:00:00Z")
INVOICES = "books_invoices"
LINES = "books_invoice_line_items"


def invoice(invoice_id: str, modified: str = MODIFIED, **extra: Any) -> dict[str, Any]:
    return {"organization_id": ORG, "invoice_id": invoice_id,
            "invoice_number": f"INV-{invoice_id}", "reference_number": modified,
            "last_modified_time": modified, **extra}


def lines_of(invoice_id: str, modified: str = MODIFIED, ids: tuple[str, ...] = ("1", "2", "3"),
             **extra: Any) -> list[dict[str, Any]]:
    return [{"organization_id": ORG, "invoice_id": invoice_id,
             "line_item_id": f"{invoice_id}-{line}", "name": "Widget", "quantity": 1,
             "rate": 10.0, "item_total": 10.0, "parent_last_modified_time": modified,
             **extra} for line in ids]


def listing(version: int, invoice_ids: tuple[str, ...], *, activate: bool = True) -> list[bytes]:
    """One complete full-table listing as tap-zoho sends it: records, then the version."""
    messages: list[dict[str, Any]] = [schema_message(INVOICES), schema_message(LINES)]
    messages += [{"type": "RECORD", "stream": INVOICES, "version": version,
                  "record": invoice(i)} for i in invoice_ids]
    messages += [{"type": "RECORD", "stream": LINES, "version": version, "record": line}
                 for i in invoice_ids for line in lines_of(i)]
    if activate:
        messages += [{"type": "ACTIVATE_VERSION", "stream": stream, "version": version}
                     for stream in (INVOICES, LINES)]
    return [orjson.dumps(message) for message in messages]


def records(stream: str, items: list[dict[str, Any]]) -> list[bytes]:
    """Records without a version: a webhook delivery or an incremental run."""
    return [orjson.dumps(schema_message(stream)), *(
        orjson.dumps({"type": "RECORD", "stream": stream, "record": item}) for item in items)]


def run_target(config: dict[str, Any], lines: list[bytes]) -> None:
    with redirect_stdout(io.StringIO()):
        TargetTshErp(config=config).listen(io.StringIO(b"\n".join(lines).decode() + "\n"))


def q(conn, settings, query: str) -> list[tuple[Any, ...]]:
    return conn.execute(sql.SQL(query).format(erp=sql.Identifier(settings.erp_schema),
                                              raw=sql.Identifier(settings.raw_schema))).fetchall()


def live(conn, settings) -> dict[str, list[str]]:
    """The live ids of every layer: raw and ERP, headers and lines."""
    conn.commit()  # a fresh snapshot: the target wrote on its own connection
    return {
        "raw_invoices": [r[0] for r in q(conn, settings, "SELECT invoice_id FROM"
                                         " {raw}.books_invoices WHERE deleted_at IS NULL"
                                         " ORDER BY 1")],
        "raw_lines": [r[0] for r in q(conn, settings, "SELECT line_item_id FROM"
                                      " {raw}.books_invoice_line_items"
                                      " WHERE deleted_at IS NULL ORDER BY 1")],
        "erp_invoices": [r[0] for r in q(conn, settings, "SELECT zoho_id FROM {erp}.invoices"
                                         " WHERE deleted_at IS NULL ORDER BY 1")],
        "erp_lines": [r[0] for r in q(conn, settings, "SELECT zoho_id FROM {erp}.invoice_lines"
                                      " WHERE deleted_at IS NULL ORDER BY 1")],
    }


def everything(*invoice_ids: str) -> dict[str, list[str]]:
    line_ids = [line["line_item_id"] for i in invoice_ids for line in lines_of(i)]
    return {"raw_invoices": list(invoice_ids), "raw_lines": line_ids,
            "erp_invoices": list(invoice_ids), "erp_lines": line_ids}


def missed_once(config: dict[str, Any]) -> None:
    """v1 shows A and B, v2 misses B (deleted as of v2's start)."""
    run_target(config, listing(V1, ("A", "B")))
    run_target(config, listing(V2, ("A",)))


def test_a_record_one_listing_missed_comes_back_with_the_next_listing(
    conn, settings, target_config,
):
    missed_once(target_config)
    assert live(conn, settings) == everything("A")
    run_target(target_config, listing(V3, ("A", "B")))  # B again, unchanged since v1
    assert live(conn, settings) == everything("A", "B")
    assert q(conn, settings, "SELECT reference_number, source_modified_at::text"
                             " FROM {erp}.invoices WHERE zoho_id = 'B'") == [
        (MODIFIED, "2025-03-01 10:00:00+00")], "its own modification time is kept"


def test_lines_brought_back_across_batches_stay_live(conn, settings, target_config):
    """B's lines split over batches: the first ones back are not swept by the others'
    deletion (still dated at v2's start) before the rest arrive."""
    missed_once(target_config)
    run_target({**target_config, "batch_size_rows": 2}, listing(V3, ("A", "B")))
    assert live(conn, settings) == everything("A", "B")


def test_a_late_webhook_copy_older_than_the_sweep_stays_out(conn, settings, target_config):
    """No version, changed before v2 began: the sweep of v2 is final against it."""
    missed_once(target_config)
    run_target(target_config, records(INVOICES, [invoice("B", LATE_CHANGE)])
               + records(LINES, lines_of("B", LATE_CHANGE)))
    assert live(conn, settings) == everything("A")


def test_an_older_listing_arriving_late_cannot_undo_a_newer_sweep(
    conn, settings, target_config,
):
    missed_once(target_config)
    run_target(target_config, listing(V1, ("A", "B"), activate=False))  # v1's copy, late
    assert live(conn, settings) == everything("A")


def test_a_deletion_newer_than_the_listing_stays_final(conn, settings, target_config):
    """A webhook deletion made after v3 began; v3's records land after it: still deleted.
    A listing that began after the deletion and shows the record brings it back."""
    run_target(target_config, listing(V1, ("A", "B")))
    deleted = {"_sdc_deleted_at": "2025-03-03T12:00:00+00:00"}
    run_target(target_config, records(INVOICES, [invoice("B", **deleted)])
               + records(LINES, lines_of("B", **deleted)))
    run_target(target_config, listing(V2, ("A", "B")))  # began before the deletion
    assert live(conn, settings) == everything("A")
    run_target(target_config, listing(V3, ("A", "B")))  # began after it
    assert live(conn, settings) == everything("A", "B")


def deal(version: int | None, record_id: str = "d1") -> bytes:
    message: dict[str, Any] = {"type": "RECORD", "stream": "crm_deals", "record": {
        "organization_id": "crm", "id": record_id, "Deal_Name": record_id,
        "Modified_Time": MODIFIED}}
    if version is not None:
        message["version"] = version
    return orjson.dumps(message)


def test_crm_deleted_record_is_final_against_an_older_listing(conn, settings, target_config):
    """crm_deleted_records at 2025-03-03 12:00: a full listing begun before it keeps the
    deal deleted, one begun after it (Zoho shows the deal: restored) brings it back."""
    schema = orjson.dumps(schema_message("crm_deals"))
    run_target(target_config, [schema, deal(V1)])
    run_target(target_config, [orjson.dumps(schema_message("crm_deleted_records")),
                               orjson.dumps({"type": "RECORD", "stream": "crm_deleted_records",
                                             "record": {"organization_id": "crm",
                                                        "module": "Deals", "id": "d1",
                                                        "deleted_time": "2025-03-03T12:00:00Z",
                                                        "type": "recycle"}})])
    run_target(target_config, [schema, deal(V2), deal(None)])
    state = "SELECT zoho_id, deleted_at IS NOT NULL FROM {erp}.opportunities ORDER BY 1"
    raw = "SELECT id, deleted_at IS NOT NULL FROM {raw}.crm_deals ORDER BY 1"
    conn.commit()
    assert (q(conn, settings, state), q(conn, settings, raw)) == ([("d1", True)], [("d1", True)])
    run_target(target_config, [schema, deal(V3)])
    conn.commit()
    assert (q(conn, settings, state), q(conn, settings, raw)) == ([("d1", False)],
                                                                  [("d1", False)])


def test_an_incremental_run_is_judged_by_its_own_times(conn, settings, target_config):
    """Records without a version (no listing's start): unchanged before the deletion
    stays deleted, changed after it comes back, as before."""
    missed_once(target_config)
    run_target(target_config, records(INVOICES, [invoice("B")]))
    assert live(conn, settings)["erp_invoices"] == ["A"]
    changed = "2025-03-03T06:00:00+00:00"  # after v2 began: newer than its sweep
    run_target(target_config, records(INVOICES, [invoice("B", changed)])
               + records(LINES, lines_of("B", changed)))
    assert live(conn, settings) == everything("A", "B")



def test_a_listing_never_deletes_a_record_it_showed(conn, settings, target_config):
    """A change stored before v3 began (a webhook) and v3's copy dated before it (a list
    lagging behind Zoho's detail, or the tap's clock ahead): v3 showed the record, so its
    sweep must not delete it. Before, the copy was refused as older, kept v1 and was
    swept by v3 as unlisted; now it counts as of v3's start and stays live."""
    run_target(target_config, listing(V1, ("A", "B")))
    changed = "2025-03-03T06:00:00+00:00"  # before v3 began
    run_target(target_config, records(INVOICES, [invoice("B", changed)]))
    run_target(target_config, listing(V3, ("A", "B")))
    assert live(conn, settings) == everything("A", "B")


def test_second_epoch_versions_of_other_sdk_taps_are_listing_starts_too(
    conn, settings, target_config,
):
    """Taps built on the Singer SDK version full-table streams in epoch seconds.

    Read as a counter, v2's sweep deleted B as of the moment it ran, after v3's start:
    B, shown again unchanged by v3, stayed deleted for good.
    """
    s1, s2, s3 = (version // 1000 for version in (V1, V2, V3))
    run_target(target_config, listing(s1, ("A", "B")))
    run_target(target_config, listing(s2, ("A",)))
    assert live(conn, settings) == everything("A")
    run_target(target_config, listing(s3, ("A", "B")))
    assert live(conn, settings) == everything("A", "B")


def test_the_version_units_cannot_be_mistaken() -> None:
    from target_tsh_erp.store.listing import listing_began  # noqa: PLC0415

    now = datetime(2026, 12, 7, tzinfo=UTC)
    assert listing_began(V2, now) == datetime(2025, 3, 3, tzinfo=UTC)
    assert listing_began(V2 // 1000, now) == datetime(2025, 3, 3, tzinfo=UTC)
    assert listing_began(7, now) is None  # a counter
    tomorrow_and_more = int(datetime(2026, 12, 9, tzinfo=UTC).timestamp())
    assert listing_began(tomorrow_and_more, now) is None
    assert listing_began(tomorrow_and_more * 1000, now) is None
