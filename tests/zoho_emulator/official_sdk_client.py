"""Zoho's official CRM v8 Python SDK (`zohocrmsdk8-0`) reading the emulator, as a script.

Runs inside the SDK's own venv (it pins libraries of its own, and it must not see ours):
`python official_sdk_client.py <base_url> <work_dir> <client_id> <client_secret>
<refresh_token>`. Every call goes through the SDK's classes, the SDK parses each answer
into its own types, and the script reports, as one JSON document on stdout, what each
operation gave back: the SDK class of the answer, what was read, and every place where
the SDK produced `None` for a value the emulator sent (the symptom of an answer whose
shape the SDK does not recognise). The test (`test_official_sdk.py`) asserts on it.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store.file_store import FileStore
from zohocrmsdk.src.com.zoho.crm.api import HeaderMap, ParameterMap
from zohocrmsdk.src.com.zoho.crm.api.bulk_read import BodyWrapper as BulkRequest
from zohocrmsdk.src.com.zoho.crm.api.bulk_read import BulkReadOperations
from zohocrmsdk.src.com.zoho.crm.api.bulk_read import Query as BulkQuery
from zohocrmsdk.src.com.zoho.crm.api.coql import BodyWrapper as CoqlBody
from zohocrmsdk.src.com.zoho.crm.api.coql import CoqlOperations
from zohocrmsdk.src.com.zoho.crm.api.dc.data_center import DataCenter
from zohocrmsdk.src.com.zoho.crm.api.fields import FieldsOperations, GetFieldsParam
from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer
from zohocrmsdk.src.com.zoho.crm.api.modules import MinifiedModule, ModulesOperations
from zohocrmsdk.src.com.zoho.crm.api.notifications import (
    BodyWrapper as WatchBody,
)
from zohocrmsdk.src.com.zoho.crm.api.notifications import (
    DeleteNotificationParam,
    GetNotificationsParam,
    Notification,
    NotificationsOperations,
)
from zohocrmsdk.src.com.zoho.crm.api.org import OrgOperations
from zohocrmsdk.src.com.zoho.crm.api.record import (
    GetDeletedRecordsParam,
    GetRecordsHeader,
    GetRecordsParam,
    RecordCountParam,
    RecordOperations,
    SearchRecordsParam,
)
from zohocrmsdk.src.com.zoho.crm.api.sdk_config import SDKConfig
from zohocrmsdk.src.com.zoho.crm.api.util.choice import Choice

PAGE = 200
WATCH_CHANNEL = 1_000_000_068_001
CRITERIA = "((Lead_Source:equals:Cold Call)or(Lead_Source:equals:Partner))"
SINCE = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
"""Inside the generated history (2022-12-30 to 2025-12-31): If-Modified-Since filters."""


def sdk_objects(value: Any, path: str, found: list[str], nones: list[str]) -> None:  # noqa: C901
    """Walk what the SDK built: note each SDK class met and each None inside one.

    SDK model objects keep their values in private attributes (`_Record__key_values`,
    `_Info__count`); a None there whose key the SDK marked as set (`key_modified`) is a
    value the SDK could not read.
    """
    if isinstance(value, list):
        for position, item in enumerate(value):
            sdk_objects(item, f"{path}[{position}]", found, nones)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            sdk_objects(item, f"{path}.{key}", found, nones)
        return
    module = type(value).__module__
    if not module.startswith("zohocrmsdk"):
        return
    name = type(value).__name__
    found.append(f"{module.rsplit('.', 2)[-2]}.{name}")
    if isinstance(value, Choice):
        if value.get_value() is None:
            nones.append(path)
        return
    attributes = vars(value)
    modified = next(
        (item for key, item in attributes.items() if key.endswith("__key_modified")), {}
    )
    for key, item in attributes.items():
        field = key.rsplit("__", 1)[-1]
        if field == "key_modified":
            continue
        if field == "key_values":
            sdk_objects(item, f"{path}", found, nones)
            continue
        if item is None and modified.get(field) == 1:
            nones.append(f"{path}.{field}")
        sdk_objects(item, f"{path}.{field}", found, nones)


class Report:
    """What each operation gave back, for the test."""

    def __init__(self) -> None:
        self.operations: dict[str, dict[str, Any]] = {}

    def answer(self, operation: str, response: Any, **facts: Any) -> Any:
        """Record an SDK `APIResponse`; return the object the SDK parsed (or None)."""
        entry: dict[str, Any] = {"status": None, "type": None, "found": [], "nones": [], **facts}
        self.operations[operation] = entry
        if response is None:
            entry["type"] = "no response"
            return None
        entry["status"] = response.get_status_code()
        parsed = response.get_object()
        entry["type"] = type(parsed).__name__ if parsed is not None else None
        if parsed is not None:
            sdk_objects(parsed, operation, entry["found"], entry["nones"])
            entry["found"] = sorted(set(entry["found"]))
            code = getattr(parsed, "get_code", None)
            if entry["type"] == "APIException" and code is not None:
                entry["error"] = code().get_value()
        return parsed

    def add(self, operation: str, **facts: Any) -> None:
        """More facts about an operation already answered."""
        self.operations[operation].update(facts)


def initialise(base_url: str, work: Path, client: tuple[str, str, str]) -> None:
    """The SDK pointed at the emulator: its own environment class, a file token store."""
    client_id, client_secret, refresh_token = client
    environment = DataCenter.Environment(
        base_url, f"{base_url}/oauth/v2/token", f"{base_url}/content"
    )
    token = OAuthToken(
        client_id=client_id, client_secret=client_secret, refresh_token=refresh_token
    )
    Initializer.initialize(
        environment=environment,
        token=token,
        store=FileStore(str(work / "sdk_tokens.txt")),
        sdk_config=SDKConfig(auto_refresh_fields=False, pick_list_validation=False),
        resource_path=str(work),
    )


def metadata(report: Report) -> None:
    """Modules and fields, as the SDK's Utility also reads them to type records."""
    modules = report.answer("modules", ModulesOperations().get_modules())
    names = [module.get_api_name() for module in modules.get_modules()] if modules else []
    report.add("modules", api_names=names)
    param = ParameterMap()
    param.add(GetFieldsParam.module, "Products")
    fields = report.answer("fields", FieldsOperations().get_fields(param))
    shapes = {
        field.get_api_name(): [field.get_data_type(), field.get_json_type()]
        for field in (fields.get_fields() if fields else [])
    }
    report.add("fields", shapes=shapes)


def org_and_single_record(report: Report) -> None:
    """The org, and one Sales Order by id with its subform rows (only a single GET has them)."""
    org = report.answer("org", OrgOperations().get_organization())
    report.add("org", ids=[str(entry.get_id()) for entry in org.get_org()] if org else [])
    param = ParameterMap()
    param.add(GetRecordsParam.fields, "Subject")
    param.add(GetRecordsParam.per_page, 1)
    listed = report.answer("first_order", RecordOperations("Sales_Orders").get_records(param))
    order_id = listed.get_data()[0].get_id() if listed is not None else 0
    detail = report.answer("single_record", RecordOperations("Sales_Orders").get_record(order_id))
    record = detail.get_data()[0] if detail is not None else None
    items = record.get_key_value("Ordered_Items") if record is not None else None
    report.add(
        "single_record",
        id=str(order_id),
        item_ids=[str(item.get_id()) for item in items or []],
        item_types=sorted({type(item).__name__ for item in items or []}),
    )


def records(report: Report) -> None:
    """Records page by page through page tokens, and again with If-Modified-Since."""
    operations = RecordOperations("Leads")
    token = None
    ids: list[str] = []
    pages = 0
    while True:
        param = ParameterMap()
        param.add(GetRecordsParam.fields, "Last_Name,Email,Owner,Modified_Time,Tag")
        param.add(GetRecordsParam.per_page, PAGE)
        param.add(GetRecordsParam.sort_by, "Modified_Time")
        param.add(GetRecordsParam.sort_order, "asc")
        if token:
            param.add(GetRecordsParam.page_token, token)
        pages += 1
        wrapper = report.answer(f"records_page_{pages}", operations.get_records(param))
        if wrapper is None or type(wrapper).__name__ != "ResponseWrapper":
            break
        ids.extend(str(record.get_id()) for record in wrapper.get_data())
        info = wrapper.get_info()
        token = info.get_next_page_token()
        if not info.get_more_records() or not token:
            break
    report.operations["records"] = {"ids": ids, "pages": pages}
    tags = []
    if pages:
        first = report.operations["records_page_1"]
        tags = [name for name in first["found"] if name.startswith("tags.")]
    report.add("records", tag_types=tags)
    header = HeaderMap()
    header.add(GetRecordsHeader.if_modified_since, SINCE)
    param = ParameterMap()
    param.add(GetRecordsParam.fields, "Last_Name,Modified_Time")
    param.add(GetRecordsParam.sort_by, "Modified_Time")
    param.add(GetRecordsParam.sort_order, "asc")
    changed = report.answer("if_modified_since", operations.get_records(param, header))
    rows = changed.get_data() if changed is not None and hasattr(changed, "get_data") else []
    report.add(
        "if_modified_since",
        since=SINCE.isoformat(),
        modified=[row.get_key_value("Modified_Time").isoformat() for row in rows],
    )
    header = HeaderMap()
    header.add(GetRecordsHeader.if_modified_since, dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    report.answer("not_modified", operations.get_records(param, header))
    products = ParameterMap()
    products.add(GetRecordsParam.fields, "Product_Name,Tax,Tag")
    taxed = report.answer("products", RecordOperations("Products").get_records(products))
    taxes = [
        [type(tax).__name__, tax.get_value(), tax.get_id()]
        for product in (taxed.get_data() if taxed is not None else [])
        for tax in product.get_key_value("Tax") or []
    ]
    report.add("products", taxes=taxes)


def deleted_and_counts(report: Report) -> None:
    """Deleted records, a record count, a search and a count of a search."""
    param = ParameterMap()
    param.add(GetDeletedRecordsParam.type, "all")
    deleted = report.answer("deleted", RecordOperations("Deals").get_deleted_records(param))
    report.add(
        "deleted",
        ids=[str(entry.get_id()) for entry in deleted.get_data()] if deleted else [],
    )
    count = report.answer("count", RecordOperations("Contacts").record_count(ParameterMap()))
    report.add("count", count=count.get_count() if count is not None else None)
    param = ParameterMap()
    param.add(SearchRecordsParam.criteria, CRITERIA)
    param.add(SearchRecordsParam.per_page, 50)
    found = report.answer("search", RecordOperations("Contacts").search_records(param))
    rows = found.get_data() if found is not None else []
    report.add(
        "search",
        ids=[str(record.get_id()) for record in rows],
        sources=sorted({record.get_key_value("Lead_Source").get_value() for record in rows}),
    )
    param = ParameterMap()
    param.add(RecordCountParam.criteria, CRITERIA)
    counted = report.answer("search_count", RecordOperations("Contacts").record_count(param))
    report.add("search_count", count=counted.get_count() if counted is not None else None)


def coql(report: Report) -> None:
    """A COQL keyset page."""
    body = CoqlBody()
    body.set_select_query(
        "select Last_Name, Email, Modified_Time from Contacts where Modified_Time > "
        "'2023-01-01T00:00:00+00:00' order by Modified_Time asc, id asc limit 0, 20"
    )
    rows = report.answer("coql", CoqlOperations().get_records(body))
    report.add(
        "coql",
        ids=[str(row.get_id()) for row in rows.get_data()] if rows is not None else [],
        more=rows.get_info().get_more_records() if rows is not None else None,
    )


def bulk_read(report: Report, work: Path) -> None:
    """A Bulk Read job: created, polled to completion, its ZIP downloaded."""
    query = BulkQuery()
    module = MinifiedModule()
    module.set_api_name("Deals")
    query.set_module(module)
    query.set_fields(["Deal_Name", "Amount", "Stage"])
    query.set_page(1)
    request = BulkRequest()
    request.set_query(query)
    operations = BulkReadOperations()
    created = report.answer("bulk_create", operations.create_bulk_read_job(request))
    job_id = int(created.get_data()[0].get_details()["id"]) if created is not None else 0
    report.add("bulk_create", job_id=str(job_id))
    state = None
    for _ in range(60):
        status = report.answer("bulk_status", operations.get_bulk_read_job_details(job_id))
        job = status.get_data()[0] if status is not None else None
        state = job.get_state().get_value() if job is not None else None
        if state == "COMPLETED":
            result = job.get_result()
            report.add("bulk_status", state=state, count=result.get_count(),
                       download_url=result.get_download_url())  # fmt: skip
            break
        time.sleep(0.25)
    download = report.answer("bulk_download", operations.download_result(job_id))
    size = 0
    if download is not None and hasattr(download, "get_file"):
        stream = download.get_file()
        target = work / "bulk.zip"
        with target.open("wb") as sink:
            for chunk in stream.get_stream():
                sink.write(chunk)
        size = target.stat().st_size
        report.add("bulk_download", file_name=stream.get_name(), size=size)


def watch(report: Report, notify_url: str) -> None:
    """A channel enabled, then listed."""
    channel = Notification()
    channel.set_channel_id(str(WATCH_CHANNEL))
    channel.set_events(["Leads.create", "Leads.edit", "Deals.all"])
    channel.set_notify_url(notify_url)
    channel.set_token("sdk-check")
    body = WatchBody()
    body.set_watch([channel])
    report.answer("watch_enable", NotificationsOperations().enable_notifications(body))
    param = ParameterMap()
    param.add(GetNotificationsParam.channel_id, WATCH_CHANNEL)
    listed = report.answer("watch_get", NotificationsOperations().get_notifications(param))
    entries = listed.get_watch() if listed is not None and hasattr(listed, "get_watch") else []
    param = ParameterMap()
    param.add(DeleteNotificationParam.channel_ids, str(WATCH_CHANNEL))
    report.answer("watch_delete", NotificationsOperations().delete_notification(param))
    param = ParameterMap()
    param.add(GetNotificationsParam.channel_id, WATCH_CHANNEL)
    after = NotificationsOperations().get_notifications(param)
    report.operations["watch_gone"] = {"status": after.get_status_code() if after else None}
    report.add(
        "watch_get",
        entries=[
            {"channel_id": entry.get_channel_id(), "resource_name": entry.get_resource_name(),
             "resource_id": entry.get_resource_id(), "events": entry.get_events()}
            for entry in entries
        ],
    )  # fmt: skip


def main() -> None:
    """Run every operation; report what the SDK made of each answer.

    An operation that raises (the SDK refusing an answer, or an answer of the wrong
    class) is reported with its exception and the others still run, so one divergence
    does not hide the next.
    """
    base_url, work_dir, client_id, client_secret, refresh_token = sys.argv[1:6]
    work = Path(work_dir)
    initialise(base_url, work, (client_id, client_secret, refresh_token))
    report = Report()
    failures: dict[str, str] = {}
    steps = {
        "metadata": lambda: metadata(report),
        "org_and_single_record": lambda: org_and_single_record(report),
        "records": lambda: records(report),
        "deleted_and_counts": lambda: deleted_and_counts(report),
        "coql": lambda: coql(report),
        "bulk_read": lambda: bulk_read(report, work),
        "watch": lambda: watch(report, "http://127.0.0.1:9/notify"),
    }
    for name, step in steps.items():
        try:
            step()
        except Exception as error:  # noqa: BLE001 - reported to the test, which fails on it
            failures[name] = f"{type(error).__name__}: {error}"
    sys.stdout.write(json.dumps({"operations": report.operations, "failures": failures},
                                default=str))  # fmt: skip


if __name__ == "__main__":
    main()
