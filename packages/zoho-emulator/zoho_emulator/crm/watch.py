# ruff: noqa: EM101 - CrmError takes Zoho's code and message as data, not prose
"""Notification channels (`/crm/v8/actions/watch`) and the notifications they send.

When a watched module's records change (through the control API), a notification
`{server_time, query_params, module, resource_uri, ids, affected_fields, operation,
channel_id, token}` is POSTed to the channel's `notify_url` by a background thread;
`flush` waits until everything queued has been delivered. Each delivery is recorded in
`deliveries` (no retries: Zoho's retry policy is undocumented).
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import orjson
import requests
from starlette.responses import Response
from starlette.routing import Route

from zoho_emulator.crm import errors
from zoho_emulator.crm.catalog import ModuleFault, find_module
from zoho_emulator.crm.serving import serve
from zoho_emulator.crm.timefmt import parse_datetime
from zoho_emulator.responses import json_response

if TYPE_CHECKING:
    from starlette.requests import Request

    from zoho_emulator.crm.service import Crm
    from zoho_emulator.crm.store import Change

DEFAULT_EXPIRY = 3_600
MAX_EXPIRY = 7 * 86_400
MAX_TOKEN_LENGTH = 50
MAX_CONDITIONS = 10
OPERATIONS = {"create": "insert", "edit": "update", "delete": "delete"}
DELIVERY_TIMEOUT = 5.0


@dataclass(slots=True)
class Channel:
    """One subscribed channel."""

    channel_id: str
    events: list[str]
    notify_url: str
    token: str | None
    expiry: int
    return_affected_field_values: bool = False
    notify_on_related_action: bool = True
    notification_condition: list[Any] = field(default_factory=list)

    def watches(self, module: str, operation: str) -> bool:
        """Whether a change of `module` with the notification `operation` is subscribed."""
        for event in self.events:
            event_module, _, event_op = event.partition(".")
            if event_module == module and (
                event_op == "all" or OPERATIONS.get(event_op) == operation
            ):
                return True
        return False


@dataclass(frozen=True, slots=True)
class Delivery:
    """What happened to one notification."""

    channel_id: str
    url: str
    payload: dict[str, Any]
    status: int | None
    error: str | None = None


@dataclass(slots=True)
class _Outbox:
    pending: queue.Queue[tuple[str, dict[str, Any]] | None] = field(default_factory=queue.Queue)
    thread: threading.Thread | None = None


class Channels:
    """The org's channels and the sender of their notifications."""

    def __init__(self, crm: Crm) -> None:
        """No channels; the sender thread starts with the first notification."""
        self.crm = crm
        self.channels: dict[str, Channel] = {}
        self.deliveries: list[Delivery] = []
        self._outbox = _Outbox()
        self._lock = threading.Lock()
        self._session = requests.Session()

    # ---- notifications ------------------------------------------------------------
    def on_change(self, change: Change) -> None:
        """Queue a notification for every live channel watching the change."""
        now = self.crm.store.now()
        with self._lock:
            targets = [
                channel
                for channel in self.channels.values()
                if channel.expiry > now and channel.watches(change.module, change.operation)
            ]
        for channel in targets:
            query = dict(parse_qsl(urlsplit(channel.notify_url).query))
            payload = {
                "server_time": int(self.crm.emulator.clock.time() * 1000),
                "query_params": query,
                "module": change.module,
                "resource_uri": f"{self.crm.emulator.base_url}/crm/v8/{change.module}",
                "ids": list(change.ids),
                "affected_fields": list(change.affected_fields),
                "operation": change.operation,
                "channel_id": channel.channel_id,
                "token": channel.token,
            }
            self._enqueue(channel.notify_url, payload)

    def send(self, url: str, payload: dict[str, Any]) -> None:
        """POST any JSON payload through the sender (Bulk Read callbacks use it too)."""
        self._enqueue(url, payload)

    def _enqueue(self, url: str, payload: dict[str, Any]) -> None:
        with self._lock:
            if self._outbox.thread is None or not self._outbox.thread.is_alive():
                self._outbox.thread = threading.Thread(
                    target=self._send_forever, name="zoho-crm-notifications", daemon=True
                )
                self._outbox.thread.start()
        self._outbox.pending.put((url, payload))

    def _send_forever(self) -> None:
        while True:
            item = self._outbox.pending.get()
            try:
                if item is None:
                    return
                self._deliver(*item)
            finally:
                self._outbox.pending.task_done()

    def _deliver(self, url: str, payload: dict[str, Any]) -> None:
        try:
            response = self._session.post(
                url,
                data=orjson.dumps(payload),
                headers={"Content-Type": "application/json"},
                timeout=DELIVERY_TIMEOUT,
            )
            delivery = Delivery(
                str(payload.get("channel_id", "")), url, payload, response.status_code
            )
        except requests.RequestException as error:
            delivery = Delivery(
                str(payload.get("channel_id", "")), url, payload, None, type(error).__name__
            )
        with self._lock:
            self.deliveries.append(delivery)

    def flush(self, timeout: float = DELIVERY_TIMEOUT) -> int:
        """Wait until every queued notification is delivered; returns the count so far."""
        done = threading.Event()

        def wait() -> None:
            self._outbox.pending.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        if not done.wait(timeout):
            msg = f"CRM notifications still pending after {timeout}s"
            raise TimeoutError(msg)
        with self._lock:
            return len(self.deliveries)

    def close(self) -> None:
        """Stop the sender thread after what is queued (the emulator is shutting down)."""
        if self._outbox.thread is not None and self._outbox.thread.is_alive():
            self._outbox.pending.put(None)
            self._outbox.thread.join(timeout=DELIVERY_TIMEOUT)
        self._session.close()

    # ---- the API ----------------------------------------------------------------------
    def _validate(self, item: Any, *, partial: bool) -> dict[str, Any]:  # noqa: ANN401, C901, PLR0912, PLR0915
        if not isinstance(item, dict):
            raise errors.CrmError("INVALID_DATA", "invalid data", 400, {"api_name": "watch"})
        required = ("channel_id",) if partial else ("channel_id", "events", "notify_url")
        for name in required:
            if item.get(name) in (None, "", []):
                raise _mandatory(name)
        channel_id = item["channel_id"]
        if isinstance(channel_id, bool) or not str(channel_id).isdigit():
            raise _invalid("channel_id")
        result: dict[str, Any] = {"channel_id": str(channel_id)}
        if "events" in item:
            events = item["events"]
            if not isinstance(events, list) or not events:
                raise _invalid("events")
            for event in events:
                module_name, _, operation = str(event).partition(".")
                module = self.crm.module(module_name)
                if module is None or not module.api_supported or not module.has_records:
                    raise _invalid("events")
                if module.fault is ModuleFault.SCOPE:
                    raise errors.scope_mismatch()
                if operation not in {*OPERATIONS, "all"}:
                    raise _invalid("events")
            result["events"] = [str(event) for event in events]
        if "notify_url" in item:
            url = item["notify_url"]
            if not isinstance(url, str) or urlsplit(url).scheme not in {"http", "https"}:
                raise _invalid("notify_url")
            result["notify_url"] = url
        if "token" in item and item["token"] is not None:
            token = item["token"]
            if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
                raise _invalid("token")
            result["token"] = token
        now = self.crm.store.now()
        if item.get("channel_expiry") is not None:
            expiry = parse_datetime(str(item["channel_expiry"]))
            if expiry is None or expiry <= now or expiry > now + MAX_EXPIRY:
                raise _invalid("channel_expiry")
            result["expiry"] = expiry
        elif not partial:
            result["expiry"] = now + DEFAULT_EXPIRY
        for flag in ("return_affected_field_values", "notify_on_related_action"):
            if flag in item:
                if not isinstance(item[flag], bool):
                    raise _invalid(flag)
                result[flag] = item[flag]
        condition = item.get("notification_condition")
        if condition is not None:
            if not isinstance(condition, list) or len(condition) > MAX_CONDITIONS:
                raise _invalid("notification_condition")
            result["notification_condition"] = condition
        if "_delete_events" in item:
            result["_delete_events"] = item["_delete_events"] is True
        return result

    def _items(self, body: Any) -> list[Any]:  # noqa: ANN401
        if not isinstance(body, dict) or not isinstance(body.get("watch"), list):
            raise _mandatory("watch")
        items = body["watch"]
        if not items:
            raise _mandatory("watch")
        return list(items)

    def _success(self, channel: Channel, message: str) -> dict[str, Any]:
        return {
            "code": "SUCCESS",
            "status": "success",
            "message": message,
            "details": {"events": self._event_details(channel)},
        }

    def _event_details(self, channel: Channel) -> list[dict[str, Any]]:
        details = []
        for event in channel.events:
            module_name = event.partition(".")[0]
            module = find_module(module_name)
            details.append(
                {
                    "channel_expiry": self.crm.store.dataset.dt(channel.expiry),
                    "resource_uri": f"{self.crm.emulator.base_url}/crm/v8/{module_name}",
                    "resource_id": module.module_id if module else "",
                    "resource_name": module_name,
                    "channel_id": channel.channel_id,
                    "notification_condition": channel.notification_condition,
                }
            )
        return details

    def _respond(self, results: list[dict[str, Any]], success_status: int) -> Response:
        failed = [result for result in results if result["status"] == "error"]
        status = success_status if not failed else 400 if len(failed) == len(results) else 202
        return json_response({"watch": results}, status)

    def enable(self, body: Any, *, replace: bool) -> Response:  # noqa: ANN401
        """POST (enable) and PUT (replace): whole channel definitions."""
        results = []
        for position, item in enumerate(self._items(body)):
            try:
                fields = self._validate(item, partial=False)
            except errors.CrmError as error:
                results.append(_item_error(error, position))
                continue
            with self._lock:
                if replace and fields["channel_id"] not in self.channels:
                    results.append(_item_error(_not_subscribed()))
                    continue
                channel = Channel(
                    channel_id=fields["channel_id"],
                    events=fields["events"],
                    notify_url=fields["notify_url"],
                    token=fields.get("token"),
                    expiry=fields["expiry"],
                    return_affected_field_values=fields.get("return_affected_field_values", False),
                    notify_on_related_action=fields.get("notify_on_related_action", True),
                    notification_condition=fields.get("notification_condition", []),
                )
                self.channels[channel.channel_id] = channel
            results.append(
                self._success(
                    channel, "Successfully subscribed for actions-watch of the given module"
                )
            )
        return self._respond(results, 200 if replace else 201)

    def patch(self, body: Any) -> Response:  # noqa: ANN401
        """PATCH: change some details of existing channels (`_delete_events` removes)."""
        results = []
        for position, item in enumerate(self._items(body)):
            try:
                fields = self._validate(item, partial=True)
            except errors.CrmError as error:
                results.append(_item_error(error, position))
                continue
            with self._lock:
                channel = self.channels.get(fields["channel_id"])
                if channel is None or channel.expiry <= self.crm.store.now():
                    results.append(_item_error(_not_subscribed()))
                    continue
                if "events" in fields:
                    if fields.get("_delete_events"):
                        channel.events = [e for e in channel.events if e not in fields["events"]]
                    else:
                        channel.events = list(dict.fromkeys([*channel.events, *fields["events"]]))
                for name in ("notify_url", "token", "expiry", "return_affected_field_values",
                             "notify_on_related_action", "notification_condition"):  # fmt: skip
                    if name in fields:
                        setattr(channel, name, fields[name])
            results.append(
                self._success(
                    channel, "Successfully subscribed for actions-watch of the given module"
                )
            )
        return self._respond(results, 200)

    def listing(self, query: dict[str, str]) -> Response:
        """GET: live channels, optionally one channel or one module."""
        now = self.crm.store.now()
        with self._lock:
            live = [channel for channel in self.channels.values() if channel.expiry > now]
        if "channel_id" in query:
            live = [channel for channel in live if channel.channel_id == query["channel_id"]]
            if not live:
                raise _not_subscribed()
        watch = [
            entry for channel in live for entry in self._listing_entries(channel)
            if "module" not in query or entry["resource_name"] == query["module"]
        ]  # fmt: skip
        if not watch:
            return Response(status_code=204)
        info = {"per_page": 200, "page": 1, "count": len(watch), "more_records": False}
        return json_response({"watch": watch, "info": info})

    def _listing_entries(self, channel: Channel) -> list[dict[str, Any]]:
        """GET's entries of one channel: one per watched module.

        As Zoho (and its SDK's `Notification`) has them: string `channel_id`, the module's
        resource id and URI, and that module's events only; the SDK reads anything else
        as None.
        """
        by_module: dict[str, list[str]] = {}
        for event in channel.events:
            by_module.setdefault(event.partition(".")[0], []).append(event)
        entries = []
        for module_name, events in by_module.items():
            module = find_module(module_name)
            entries.append({
                "channel_id": channel.channel_id,
                "events": events,
                "notify_url": channel.notify_url,
                "token": channel.token,
                "channel_expiry": self.crm.store.dataset.dt(channel.expiry),
                "notify_on_related_action": channel.notify_on_related_action,
                "return_affected_field_values": channel.return_affected_field_values,
                "notification_condition": channel.notification_condition,
                "resource_name": module_name,
                "resource_id": module.module_id if module else None,
                "resource_uri": f"{self.crm.emulator.base_url}/crm/v8/{module_name}",
                "fields": None,
            })  # fmt: skip
        return entries

    def disable(self, query: dict[str, str]) -> Response:
        """DELETE `?channel_ids=1,2`."""
        raw = query.get("channel_ids")
        if not raw:
            raise errors.required_param("channel_ids")
        results = []
        for channel_id in (part.strip() for part in raw.split(",") if part.strip()):
            with self._lock:
                channel = self.channels.pop(channel_id, None)
            if channel is None:
                results.append(_item_error(_not_subscribed()))
                continue
            results.append(self._success(channel, "Successfully unsubscribed from actions-watch"))
        return self._respond(results, 200)

    def routes(self) -> list[Route]:
        """`/crm/v8/actions/watch` with GET, POST, PUT, PATCH and DELETE."""
        emulator = self.crm.emulator

        async def watch(request: Request) -> Response:
            query = dict(request.query_params)
            body: Any = None
            if request.method in {"POST", "PUT", "PATCH"}:
                raw = await request.body()
                try:
                    body = orjson.loads(raw) if raw else None
                except orjson.JSONDecodeError:
                    body = None
            builders = {
                "GET": lambda: self.listing(query),
                "POST": lambda: self.enable(body, replace=False),
                "PUT": lambda: self.enable(body, replace=True),
                "PATCH": lambda: self.patch(body),
                "DELETE": lambda: self.disable(query),
            }
            return await serve(emulator, request, "crm:/actions/watch", builders[request.method])

        return [
            Route("/crm/v8/actions/watch", watch, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
        ]


def _mandatory(name: str) -> errors.CrmError:
    return errors.CrmError(
        "MANDATORY_NOT_FOUND", "required field not found", 400, {"api_name": name}
    )


def _invalid(name: str) -> errors.CrmError:
    return errors.CrmError("INVALID_DATA", "invalid data", 400, {"api_name": name})


def _not_subscribed() -> errors.CrmError:
    return errors.CrmError(
        "NOT_SUBSCRIBED", "the given channel is not subscribed", 400, {"api_name": "channel_id"}
    )


def _item_error(error: errors.CrmError, position: int | None = None) -> dict[str, Any]:
    details = dict(error.details)
    if position is not None and "api_name" in details:
        details["json_path"] = f"$.watch[{position}].{details['api_name']}"
    return {
        "code": error.code,
        "details": details,
        "message": error.message,
        "status": "error",
    }
