"""What a delivery must prove before it is stored, and what is stored for it.

Pure functions over the raw request (body bytes, headers, query): the HTTP layer only
maps `Refused` to a status code. Order matters for Books/Inventory: the signature is
checked (in constant time, by the emulator's one signing module) before the body is
even parsed, so an unauthenticated caller learns nothing about our parser.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from zoho_emulator.webhook_signing import SIGNATURE_HEADER, verify
from zoho_webhooks.records import LAST_MODIFIED, by_payload_key

if TYPE_CHECKING:
    from collections.abc import Mapping

FINANCE_EVENTS = frozenset({"created", "updated", "deleted"})
CRM_OPERATIONS = frozenset({"insert", "update", "delete", "create", "edit"})


class RefusedError(Exception):
    """A delivery we will not store; `status` is the HTTP answer, `reason` is safe to log."""

    def __init__(self, status: int, reason: str, channel_id: int | None = None) -> None:
        """Keep the status and a reason that never contains the payload or a secret."""
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.channel_id = channel_id
        """Set when a CRM channel was not known (the caller may look it up once)."""


@dataclass(slots=True)
class InboxEntry:
    """One accepted delivery, as the inbox stores it."""

    delivery_key: str
    source: str
    module: str
    operation: str
    organization_id: str | None
    record_ids: list[str]
    event_time: datetime | None
    payload: bytes
    extra: dict[str, Any] = field(default_factory=dict)


def _plain(value: str, what: str) -> str:
    """Ids and names are stored as text: no control characters (NUL breaks PostgreSQL)."""
    if not value or len(value) > 200 or any(ord(c) < 32 or ord(c) == 127 for c in value):  # noqa: PLR2004
        raise RefusedError(400, f"{what} must be 1 to 200 printable characters")
    return value


def check_content_type(content_type: str | None) -> None:
    """Zoho posts JSON (`application/json;charset=UTF-8`); anything else is 415."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise RefusedError(415, f"content type {media or 'missing'!r} is not application/json")


def parse_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, else 400."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise RefusedError(400, f"malformed JSON: {error.msg} at byte {error.pos}") from None
    if not isinstance(value, dict):
        raise RefusedError(400, f"JSON body must be an object, got {type(value).__name__}")
    return value


def _zoho_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _check_window(moment: datetime | None, window: int, now: datetime) -> None:
    if moment is not None and window > 0 and abs((now - moment).total_seconds()) > window:
        raise RefusedError(401, f"delivery time {moment.isoformat()} is outside the replay"
                                f" window of {window} s")  # fmt: skip


def finance_entry(  # noqa: PLR0913, PLR0917 - the request's independent parts
    product: str,
    body: bytes,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    secret: str,
    replay_window: int,
    now: datetime | None = None,
) -> InboxEntry:
    """Authenticate and validate a Books/Inventory workflow webhook.

    The organization and the event come as the webhook's custom query parameters
    (`?organization_id=...&event=updated`), which the signature covers, so neither can
    be altered in transit. The replay window applies to created/updated deliveries,
    whose record's `last_modified_time` is the change's time; a deleted record keeps its
    old time, so deletions rely on the delivery key alone.
    """
    if not secret or not verify(secret, body, headers.get(SIGNATURE_HEADER), dict(query)):
        raise RefusedError(401, "missing or invalid webhook signature")
    check_content_type(headers.get("content-type"))
    document = parse_object(body)
    organization_id = (query.get("organization_id") or "").strip()
    if not organization_id:
        raise RefusedError(400, "query parameter organization_id is required")
    _plain(organization_id, "organization_id")
    event = (query.get("event") or "updated").strip().lower()
    if event not in FINANCE_EVENTS:
        raise RefusedError(400, f"query parameter event must be one of"
                                f" {sorted(FINANCE_EVENTS)}, got {event!r}")  # fmt: skip
    known = by_payload_key(product)
    keys = [key for key in document if key in known]
    if len(keys) != 1 or not isinstance(document[keys[0]], dict):
        raise RefusedError(400, f"payload must carry one {product} record under its entity"
                                f" key; keys: {sorted(document)[:5]}")  # fmt: skip
    spec = known[keys[0]]
    record: dict[str, Any] = document[keys[0]]
    record_id = record.get(spec.id_field)
    if not isinstance(record_id, (str, int)) or str(record_id) == "":
        raise RefusedError(400, f"{spec.entity} record has no {spec.id_field}")
    _plain(str(record_id), spec.id_field)
    moment = _zoho_time(record.get(LAST_MODIFIED))
    current = now or datetime.now(UTC)
    if event != "deleted":
        _check_window(moment, replay_window, current)
    digest = hashlib.sha256(
        b"\x00".join([product.encode(), organization_id.encode(), event.encode(), body])
    ).hexdigest()
    return InboxEntry(f"{product}:{digest}", product, spec.entity, event, organization_id,
                      [str(record_id)], moment, body)  # fmt: skip


def crm_entry(
    body: bytes,
    headers: Mapping[str, str],
    channel_token: Mapping[int, str],
    replay_window: int,
    now: datetime | None = None,
) -> InboxEntry:
    """Authenticate and validate a CRM notification by its channel id and token.

    CRM signs nothing; the token we chose when we created the channel is the proof
    (compared in constant time). `server_time` (epoch ms) bounds replays.
    """
    check_content_type(headers.get("content-type"))
    document = parse_object(body)
    try:
        channel_id = int(str(document.get("channel_id")))
    except ValueError:
        raise RefusedError(401, "unknown notification channel") from None
    if not 0 < channel_id < 2**63:
        raise RefusedError(401, "unknown notification channel")
    expected = channel_token.get(channel_id)
    if expected is None:
        raise RefusedError(401, f"unknown notification channel {channel_id}", channel_id)
    token = document.get("token")
    if not isinstance(token, str) or not hmac.compare_digest(
        expected.encode(), token.encode()
    ):
        raise RefusedError(401, f"wrong token for notification channel {channel_id}")
    module, operation, ids = document.get("module"), document.get("operation"), document.get("ids")
    if not isinstance(module, str) or not module:
        raise RefusedError(400, "notification has no module")
    if not isinstance(operation, str) or operation.lower() not in CRM_OPERATIONS:
        raise RefusedError(400, f"notification operation {operation!r} is not known")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, (str, int)) for i in ids):
        raise RefusedError(400, "notification ids must be a non-empty list of record ids")
    server_time = document.get("server_time")
    moment = (datetime.fromtimestamp(server_time / 1000, UTC)
              if isinstance(server_time, (int, float)) else None)  # fmt: skip
    _check_window(moment, replay_window, now or datetime.now(UTC))
    record_ids = [_plain(str(i), "notification id") for i in ids]
    _plain(module, "module")
    digest = hashlib.sha256(
        orjson.dumps([channel_id, server_time, module, operation, sorted(record_ids)])
    ).hexdigest()
    return InboxEntry(f"crm:{digest}", "crm", module, operation.lower(), None, record_ids,
                      moment, body)  # fmt: skip
