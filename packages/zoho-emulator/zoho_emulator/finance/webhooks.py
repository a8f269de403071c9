"""Workflow webhooks: send the changed record to registered URLs, signed.

Zoho's webhook settings (Books API `/settings/webhooks`) choose the method (`POST`,
`PUT`, `DELETE`) and the body: the default payload, the module's detail JSON under its
singular key (`{"invoice": {...}}`, `application/json`), or form-data entity
parameters (`application/x-www-form-urlencoded;charset=UTF-8`, one `name=value` pair
per chosen field). A registration chooses both; without a body type, the switch
`webhook-form-deliveries` decides (form when on). Each shape is signed as Zoho documents
for it, by the product's own signing module (`zoho_webhooks.signing`). Deliveries run
on a background thread so a slow receiver never stalls the API, and every attempt is
recorded for tests.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit

import orjson

from zoho_emulator.finance.catalog import BY_NAME
from zoho_webhooks.signing import SIGNATURE_HEADER, sign, sign_form

if TYPE_CHECKING:
    from collections.abc import Callable

    from zoho_emulator.finance.generators.common import Record
    from zoho_emulator.finance.store import FinanceData

DELIVERY_TIMEOUT = 10.0
ALL_EVENTS = frozenset({"created", "updated", "deleted"})
METHODS = frozenset({"POST", "PUT", "DELETE"})
BODY_TYPES = frozenset({"json", "form"})
FORM_SWITCH = "webhook-form-deliveries"
JSON_CONTENT_TYPE = "application/json;charset=UTF-8"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded;charset=UTF-8"


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
    method: str = "POST"
    body_type: str | None = None
    """`json` (default payload), `form` (entity parameters), or None: the switch decides."""
    form_fields: tuple[str, ...] | None = None
    """The entity parameters of a form body; None: the record's id and modification time."""


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
    method: str = "POST"
    content_type: str = JSON_CONTENT_TYPE


class WebhookSender:
    """Registered webhooks and the thread that delivers them."""

    def __init__(
        self, data: FinanceData, secret: str, answers: Callable[[str], bool] | None = None
    ) -> None:
        """Listen to the data set's changes; `answers` is the emulator's switches."""
        self.secret = secret
        self.answers = answers
        """Read at send time, so flipping `webhook-form-deliveries` applies at once."""
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
        method: str = "POST",
        body_type: str | None = None,
        form_fields: list[str] | None = None,
    ) -> Registration:
        """Start sending changes to `url` (all entities and events unless narrowed).

        `method` and `body_type` are the webhook settings' method and body; `form_fields`
        the entity parameters of a form body (field names of the record).
        """
        for entity in entities or []:
            if entity not in BY_NAME:
                msg = f"unknown entity {entity!r}"
                raise ValueError(msg)
        if product not in {"books", "inventory"}:
            msg = f"unknown product {product!r}"
            raise ValueError(msg)
        if method.upper() not in METHODS:
            msg = f"method must be one of {sorted(METHODS)}, got {method!r}"
            raise ValueError(msg)
        if body_type is not None and body_type not in BODY_TYPES:
            msg = f"body_type must be one of {sorted(BODY_TYPES)}, got {body_type!r}"
            raise ValueError(msg)
        registration = Registration(
            url,
            frozenset(entities) if entities else None,
            frozenset(events) if events else ALL_EVENTS,
            organization_id,
            secret,
            product,
            method.upper(),
            body_type,
            tuple(form_fields) if form_fields else None,
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

    def form_pairs(
        self, entity: str, record: Record, fields: tuple[str, ...] | None
    ) -> list[tuple[str, str]]:
        """Entity parameters as Zoho fills their placeholders: text, `""` for missing.

        Booleans read `true`/`false`; lists and objects their JSON (a placeholder of a
        nested field has no documented rendering; JSON keeps it lossless).
        """
        spec = BY_NAME[entity]
        names = fields or (spec.id_field, "last_modified_time")
        pairs = []
        for name in names:
            value = record.get(name)
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, (list, dict)):
                text = orjson.dumps(value).decode()
            else:
                text = "" if value is None else str(value)
            pairs.append((name, text))
        return pairs

    def request(
        self, registration: Registration, entity: str, record: Record
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers of one delivery, signed for its shape."""
        secret = registration.secret or self.secret
        # Query parameters on the registered URL (Zoho's custom params, e.g. the
        # organization) are signed with the body, as the scheme prescribes.
        query = parse_qsl(urlsplit(registration.url).query, keep_blank_values=True)
        body_type = registration.body_type or (
            "form" if self.answers is not None and self.answers(FORM_SWITCH) else "json"
        )
        if body_type == "form":
            pairs = self.form_pairs(entity, record, registration.form_fields)
            body = urlencode(pairs).encode()
            content_type, signature = FORM_CONTENT_TYPE, sign_form(secret, pairs, query)
        else:
            body = self.payload(entity, record)
            content_type, signature = JSON_CONTENT_TYPE, sign(secret, body, query)
        return body, {"Content-Type": content_type, SIGNATURE_HEADER: signature,
                      "User-Agent": "ZohoBooks-Webhook (emulator)"}  # fmt: skip

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
            body, headers = self.request(registration, entity, record)
            spec = BY_NAME[entity]
            delivery = Delivery(
                registration.url,
                entity,
                event,
                organization_id,
                str(record.get(spec.id_field, "")),
                None,
                method=registration.method,
                content_type=headers["Content-Type"],
            )
            try:
                response = session.request(
                    registration.method,
                    registration.url,
                    data=body,
                    headers=headers,
                    timeout=DELIVERY_TIMEOUT,
                )
                delivery.status = response.status_code
            except requests.RequestException as error:
                delivery.error = type(error).__name__
            with self._lock:
                self.deliveries.append(delivery)
            self._queue.task_done()
