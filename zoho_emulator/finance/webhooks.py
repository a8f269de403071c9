"""Workflow webhooks: POST the changed record to registered URLs, signed.

Zoho's default payload is the module's detail JSON under its singular key
(`{"invoice": {...}}`). Deliveries run on a background thread so a slow receiver never
stalls the API, and every attempt is recorded for tests.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from zoho_emulator.finance.catalog import BY_NAME
from zoho_emulator.webhook_signing import SIGNATURE_HEADER, sign

if TYPE_CHECKING:
    from zoho_emulator.finance.generators.common import Record
    from zoho_emulator.finance.store import FinanceData

DELIVERY_TIMEOUT = 10.0
ALL_EVENTS = frozenset({"created", "updated", "deleted"})


@dataclass(frozen=True, slots=True)
class Registration:
    """A URL receiving one organization's (or every organization's) record changes."""

    url: str
    entities: frozenset[str] | None = None
    events: frozenset[str] = ALL_EVENTS
    organization_id: str | None = None
    secret: str | None = None
    """None: the emulator's shared webhook secret."""
    product: str = "books"
    """Whose detail shape the payload has (`inventory` adds stock to items)."""


@dataclass(slots=True)
class Delivery:
    """One POST attempt, for tests and the control API."""

    url: str
    entity: str
    event: str
    organization_id: str
    record_id: str
    status: int | None
    error: str = ""
    sent_at: float = field(default_factory=time.time)


class WebhookSender:
    """Registered webhooks and the thread that delivers them."""

    def __init__(self, data: FinanceData, secret: str) -> None:
        """Listen to the data set's changes."""
        self.secret = secret
        self._data = data
        self.registrations: list[Registration] = []
        self.deliveries: list[Delivery] = []
        self._queue: queue.Queue[tuple[Registration, str, str, str, Record] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        data.listeners.append(self._changed)
        data.has_subscribers = lambda: bool(self.registrations)

    def register(  # noqa: PLR0913 - each narrows what is sent, all keyword-only
        self,
        url: str,
        *,
        entities: list[str] | None = None,
        events: list[str] | None = None,
        organization_id: str | None = None,
        secret: str | None = None,
        product: str = "books",
    ) -> Registration:
        """Start sending changes to `url` (all entities and events unless narrowed)."""
        for entity in entities or []:
            if entity not in BY_NAME:
                msg = f"unknown entity {entity!r}"
                raise ValueError(msg)
        if product not in {"books", "inventory"}:
            msg = f"unknown product {product!r}"
            raise ValueError(msg)
        registration = Registration(
            url,
            frozenset(entities) if entities else None,
            frozenset(events) if events else ALL_EVENTS,
            organization_id,
            secret,
            product,
        )
        with self._lock:
            self.registrations.append(registration)
        return registration

    def clear(self) -> None:
        """Forget every registration (deliveries already queued still go out)."""
        with self._lock:
            self.registrations.clear()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued delivery was attempted (tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._queue.unfinished_tasks == 0:
                return True
            time.sleep(0.01)
        return False

    def _changed(self, organization_id: str, entity: str, event: str, record: Record) -> None:
        with self._lock:
            targets = [
                registration
                for registration in self.registrations
                if (registration.entities is None or entity in registration.entities)
                and event in registration.events
                and registration.organization_id in {None, organization_id}
            ]
            if targets and self._thread is None:
                self._thread = threading.Thread(target=self._run, name="zoho-webhooks", daemon=True)
                self._thread.start()
        for registration in targets:
            self._queue.put((registration, organization_id, entity, event, record))

    def payload(self, entity: str, record: Record) -> bytes:
        """Zoho's default payload: the detail record under the entity's singular key."""
        spec = BY_NAME[entity]
        endpoint = spec.books or spec.inventory
        key = (endpoint.detail_key if endpoint else None) or spec.id_field.removesuffix("_id")
        return orjson.dumps({key: record})

    def _run(self) -> None:
        # Imported here: `requests` costs a quarter of the emulator's start-up time and
        # only the delivery thread, started by the first registration, needs it.
        import requests  # noqa: PLC0415

        session = requests.Session()
        while True:
            item = self._queue.get()
            if item is None:
                self._queue.task_done()
                return
            registration, organization_id, entity, event, record = item
            if registration.product != "books" and event != "deleted":
                spec = BY_NAME[entity]
                reshaped = self._data.record(
                    organization_id,
                    entity,
                    str(record.get(spec.id_field, "")),
                    product=registration.product,
                )
                record = reshaped if reshaped is not None else record
            body = self.payload(entity, record)
            headers: dict[str, Any] = {
                "Content-Type": "application/json;charset=UTF-8",
                # Query parameters on the registered URL (Zoho's custom params, e.g. the
                # organization) are signed with the body, as the scheme prescribes.
                SIGNATURE_HEADER: sign(
                    registration.secret or self.secret,
                    body,
                    dict(parse_qsl(urlsplit(registration.url).query)),
                ),
                "User-Agent": "ZohoBooks-Webhook (emulator)",
            }
            spec = BY_NAME[entity]
            delivery = Delivery(
                registration.url,
                entity,
                event,
                organization_id,
                str(record.get(spec.id_field, "")),
                None,
            )
            try:
                response = session.post(
                    registration.url, data=body, headers=headers, timeout=DELIVERY_TIMEOUT
                )
                delivery.status = response.status_code
            except requests.RequestException as error:
                delivery.error = type(error).__name__
            with self._lock:
                self.deliveries.append(delivery)
            self._queue.task_done()
