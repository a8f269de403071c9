"""What a delivery must prove before it is stored, and what is stored for it.

Pure functions over the raw request (method, body bytes, headers, query pairs): the HTTP
layer only maps `RefusedError` to a status code. Every malformed header, parameter or
body ends here as a 4xx with a reason that never quotes a secret or the payload.

Books/Inventory deliveries come in the shapes Zoho's webhook settings allow (method
POST, PUT or DELETE; body JSON, default or raw, or `x-www-form-urlencoded` entity
parameters) and are signed as Zoho documents for each shape (`zoho_webhooks.signing`).
The signature is checked before the record is read, so an unauthenticated caller learns
nothing about our record parser.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from zoho_webhooks import signing
from zoho_webhooks.records import LAST_MODIFIED, by_payload_key

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from zoho_webhooks.records import EntityStreams

FINANCE_EVENTS = frozenset({"created", "updated", "deleted"})
FINANCE_METHODS = frozenset({"POST", "PUT", "DELETE"})
CRM_OPERATIONS = frozenset({"insert", "update", "delete", "create", "edit"})
JSON_STRING_FIELD = "JSONString"
"""A form field some integrators report holding the whole default payload as JSON."""
DELIVERY_MARK = "_delivery"
"""Key of the stored payload telling the worker the record must be read from Zoho."""
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)
"""Modification times outside these bounds are not Zoho's: refused, never stored, so no
forged or corrupt far-future time can freeze a row against every later update."""


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


def media_type(content_type: str | None) -> str:
    """The body shape from Content-Type: JSON or form (UTF-8 only), else 415.

    Zoho sends `application/json;charset=UTF-8` or
    `application/x-www-form-urlencoded;charset=UTF-8`; another charset would change the
    decoded pairs the signature covers, so it is refused rather than guessed at.
    """
    media, _, parameters = (content_type or "").partition(";")
    media = media.strip().lower()
    if media not in {signing.JSON_MEDIA_TYPE, signing.FORM_MEDIA_TYPE}:
        accepted = f"{signing.JSON_MEDIA_TYPE} or {signing.FORM_MEDIA_TYPE}"
        raise RefusedError(415, f"content type {media[:60] or 'missing'!r} is not {accepted}")
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in {
            "utf-8", "utf8"
        }:
            raise RefusedError(415, "only charset UTF-8 is accepted")
    return media


def check_content_type(content_type: str | None) -> None:
    """CRM notifications are JSON only (Zoho documents nothing else for them)."""
    if media_type(content_type) != signing.JSON_MEDIA_TYPE:
        raise RefusedError(415, "CRM notifications must be application/json")


def parse_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, else 400."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise RefusedError(400, f"malformed JSON: {error.msg} at byte {error.pos}") from None
    if not isinstance(value, dict):
        raise RefusedError(400, f"JSON body must be an object, got {type(value).__name__}")
    return value


def zoho_time(value: object, what: str = LAST_MODIFIED) -> datetime:
    """A record's modification time (ISO-8601, Zoho's `+0530` offsets too), else 400.

    A delivery without a usable time could neither be bounded by the replay window nor
    ordered against stored rows by the stale guard: it is refused (issue 14 D7).
    """
    if not isinstance(value, str) or not value.strip():
        raise RefusedError(400, f"record has no {what}")
    try:
        moment = datetime.fromisoformat(value.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise RefusedError(400, f"{what} is not an ISO-8601 time in range") from None
    if not EARLIEST <= moment < LATEST:
        raise RefusedError(400, f"{what} {moment.isoformat()} is out of range")
    return moment


def epoch_millis(value: object, what: str = "server_time") -> datetime:
    """CRM's `server_time` (epoch milliseconds) as a UTC time, else 400."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RefusedError(400, f"notification has no numeric {what}")
    if not math.isfinite(value) or not (
        EARLIEST.timestamp() * 1000 <= value < LATEST.timestamp() * 1000
    ):
        raise RefusedError(400, f"{what} is out of range")
    return datetime.fromtimestamp(value / 1000, UTC)


def _check_window(moment: datetime, window: int, now: datetime) -> None:
    if window > 0 and abs((now - moment).total_seconds()) > window:
        raise RefusedError(401, f"delivery time {moment.isoformat()} is outside the replay"
                                f" window of {window} s")  # fmt: skip


def _single(query: Sequence[tuple[str, str]], name: str) -> str | None:
    """One query parameter's value; repeated with different values is ambiguous (400)."""
    values = {value for key, value in query if key == name}
    if len(values) > 1:
        raise RefusedError(400, f"query parameter {name} is given more than once")
    return next(iter(values)) if values else None


def _named_entity(product: str, query: Sequence[tuple[str, str]]) -> EntityStreams | None:
    """The `entity` custom query parameter: a payload key (`invoice`) or entity name."""
    name = _single(query, "entity")
    if name is None:
        return None
    for spec in by_payload_key(product).values():
        if name.strip().lower() in {spec.payload_key, spec.entity}:
            return spec
    raise RefusedError(400, f"query parameter entity names no {product} entity")


@dataclass(frozen=True, slots=True)
class _Record:
    """The record a delivery carries and whether it must be read from Zoho to be whole."""

    spec: EntityStreams
    record: dict[str, Any]
    partial: bool


def _from_document(
    product: str, document: dict[str, Any], named: EntityStreams | None
) -> _Record:
    """The default payload (`{"invoice": {...}}`), or a flat raw/form record.

    A flat record (a user-defined raw template or form entity parameters) carries only
    the fields the webhook was configured with, so it is marked partial: the worker
    reads the whole record from Zoho, exactly as for a CRM notification.
    """
    known = by_payload_key(product)
    keys = [key for key in document if key in known]
    if named is not None and named.payload_key in keys:
        keys = [named.payload_key]
    if len(keys) == 1 and isinstance(document[keys[0]], dict):
        if named is not None and known[keys[0]] is not named:
            raise RefusedError(400, "payload entity differs from query parameter entity")
        return _Record(known[keys[0]], dict(document[keys[0]]), partial=False)
    if named is not None and not keys:
        return _Record(named, document, partial=True)
    raise RefusedError(400, f"payload must carry one {product} record under its entity"
                            f" key (or name it with the query parameter entity);"
                            f" {len(document)} key(s) found")  # fmt: skip


def _form_record(
    product: str, pairs: list[tuple[str, str]], named: EntityStreams | None
) -> _Record:
    fields: dict[str, str] = {}
    for key, value in pairs:
        if fields.get(key, value) != value:
            raise RefusedError(400, "form field given more than once with different values")
        fields[key] = value
    if set(fields) == {JSON_STRING_FIELD}:
        return _from_document(product, parse_object(fields[JSON_STRING_FIELD].encode()), named)
    if named is None:
        ids = [spec for spec in by_payload_key(product).values() if spec.id_field in fields]
        if len(ids) != 1:
            raise RefusedError(400, "form body names no single entity: add the query"
                                    " parameter entity (e.g. entity=invoice)")  # fmt: skip
        named = ids[0]
    return _Record(named, dict(fields), partial=True)


def _authenticate(
    media: str,
    body: bytes,
    headers: Mapping[str, str],
    query: Sequence[tuple[str, str]],
    secret: str,
) -> list[tuple[str, str]]:
    """Verify the signature as Zoho computes it for this body shape; the form's pairs.

    A form body is signed over its decoded pairs sorted with the query's, so it must be
    decoded first (400 if it cannot be); a JSON body over its raw bytes after the query.
    """
    signature = headers.get(signing.SIGNATURE_HEADER)
    if media == signing.FORM_MEDIA_TYPE:
        try:
            pairs = signing.parse_form(body)
        except signing.FormBodyError as error:
            raise RefusedError(400, str(error)) from None
        valid = signing.verify_form(secret, pairs, signature, query)
    else:
        pairs = []
        valid = signing.verify(secret, body, signature, query)
    if not valid:
        raise RefusedError(401, "missing or invalid webhook signature")
    return pairs


def finance_entry(  # noqa: PLR0913, PLR0917 - the request's independent parts
    product: str,
    body: bytes,
    headers: Mapping[str, str],
    query: Sequence[tuple[str, str]],
    secret: str,
    replay_window: int,
    now: datetime | None = None,
    method: str = "POST",
) -> InboxEntry:
    """Authenticate and validate a Books/Inventory workflow webhook.

    The organization and the event come as the webhook's custom query parameters
    (`?organization_id=...&event=updated`), which the signature covers, so neither can
    be altered in transit; without `event`, a DELETE means deleted, POST/PUT updated.
    Every delivery needs the record's `last_modified_time`: it bounds replays and lets
    the stale guard order the change (a deleted record keeps its last time).
    """
    if method.upper() not in FINANCE_METHODS:
        raise RefusedError(405, f"method must be one of {sorted(FINANCE_METHODS)}")
    media = media_type(headers.get("content-type"))
    pairs = _authenticate(media, body, headers, query, secret)
    organization_id = (_single(query, "organization_id") or "").strip()
    if not organization_id:
        raise RefusedError(400, "query parameter organization_id is required")
    _plain(organization_id, "organization_id")
    default_event = "deleted" if method.upper() == "DELETE" else "updated"
    event = (_single(query, "event") or default_event).strip().lower()
    if event not in FINANCE_EVENTS:
        raise RefusedError(400, f"query parameter event must be one of"
                                f" {sorted(FINANCE_EVENTS)}")  # fmt: skip
    named = _named_entity(product, query)
    if media == signing.FORM_MEDIA_TYPE:
        found = _form_record(product, pairs, named)
    else:
        found = _from_document(product, parse_object(body), named)
    spec, record = found.spec, found.record
    record_id = record.get(spec.id_field)
    if isinstance(record_id, bool) or not isinstance(record_id, (str, int)) or record_id == "":
        raise RefusedError(400, f"{spec.entity} record has no {spec.id_field}")
    _plain(str(record_id), spec.id_field)
    moment = zoho_time(record.get(LAST_MODIFIED))
    if event != "deleted":
        _check_window(moment, replay_window, now or datetime.now(UTC))
    digest = hashlib.sha256(
        b"\x00".join([product.encode(), organization_id.encode(), event.encode(), body])
    ).hexdigest()
    payload = body
    if found.partial or media == signing.FORM_MEDIA_TYPE:
        mark = {"partial": found.partial, "body": media, "method": method.upper()}
        payload = orjson.dumps({spec.payload_key: record, DELIVERY_MARK: mark})
    return InboxEntry(f"{product}:{digest}", product, spec.entity, event, organization_id,
                      [str(record_id)], moment, payload)  # fmt: skip


def crm_entry(
    body: bytes,
    headers: Mapping[str, str],
    channel_token: Mapping[int, str],
    replay_window: int,
    now: datetime | None = None,
) -> InboxEntry:
    """Authenticate and validate a CRM notification by its channel id and token.

    CRM signs nothing; the token we chose when we created the channel is the proof
    (compared in constant time). `server_time` (epoch ms) bounds replays and is the
    change's time: a notification without a usable one is refused.
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
        expected.encode(), token.encode("utf-8", "surrogatepass")
    ):
        raise RefusedError(401, f"wrong token for notification channel {channel_id}")
    module, operation, ids = document.get("module"), document.get("operation"), document.get("ids")
    if not isinstance(module, str) or not module:
        raise RefusedError(400, "notification has no module")
    if not isinstance(operation, str) or operation.lower() not in CRM_OPERATIONS:
        raise RefusedError(400, "notification operation is not known")
    if not isinstance(ids, list) or not ids or not all(
        isinstance(i, (str, int)) and not isinstance(i, bool) for i in ids
    ):
        raise RefusedError(400, "notification ids must be a non-empty list of record ids")
    server_time = document.get("server_time")
    moment = epoch_millis(server_time)
    _check_window(moment, replay_window, now or datetime.now(UTC))
    record_ids = [_plain(str(i), "notification id") for i in ids]
    _plain(module, "module")
    digest = hashlib.sha256(
        orjson.dumps([channel_id, server_time, module, operation, sorted(record_ids)])
    ).hexdigest()
    return InboxEntry(f"crm:{digest}", "crm", module, operation.lower(), None, record_ids,
                      moment, body)  # fmt: skip
