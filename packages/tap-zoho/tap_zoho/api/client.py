"""`UnifiedZohoClient`: the one way our code talks to Zoho Books, Inventory (and CRM).

Auth, pacing, retries, error mapping and pagination live here so that the Singer
streams are thin declarations and the webhook service can fetch a record by id with
the same guarantees. One `requests.Session` (one connection pool) per API host.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson
import requests
from requests.adapters import HTTPAdapter

from tap_zoho.api.auth import TokenManager, ZohoCredentials
from tap_zoho.api.call_ledger import CallLedger
from tap_zoho.api.entities import ENTITIES, EntityRoute
from tap_zoho.api.errors import (
    ZohoAPIError,
    ZohoCreditsExhaustedError,
    ZohoNotFoundError,
    ZohoQuotaExhaustedError,
    ZohoRetryExhaustedError,
    ZohoUnexpectedAnswerError,
)
from tap_zoho.api.pages import FallbackHook, detail_record, more_pages, rows_of
from tap_zoho.api.ratelimit import RequestGovernor
from tap_zoho.api.regions import region as lookup_region
from tap_zoho.api.retry import RetryPolicy

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

logger = logging.getLogger("tap_zoho.api")

PRODUCT_PATHS = {
    "books": "/books/v3",
    "inventory": "/inventory/v1",
    "crm": "/crm/v8",
    "crm_bulk": "/crm/bulk/v8",
}
PER_PAGE = 200
ITEM_DETAILS_BATCH = 100
TIMEOUT_SECONDS = 120
NO_ORGANIZATION = "-"
HTTP_UNAUTHORIZED = 401
HTTP_NOT_FOUND = 404
HTTP_TOO_MANY = 429
HTTP_SERVER_ERROR = 500
HTTP_CLIENT_ERROR = 400
DAILY_LIMIT_CODE = 45
CONCURRENCY_CODE = 1070
NOT_FOUND_CODE = 1002
CRM_PRODUCTS = frozenset({"crm", "crm_bulk"})
CRM_LIMITED_ATTEMPTS = 5
"""CRM answers both its limits with `TOO_MANY_REQUESTS`: calls in flight (gone within
seconds) and credits (gone for hours). A 429 that outlasts this many backed-off retries
(~15 s) is taken as spent credits: a clean stop, not an error."""
SECONDS_PER_DAY = 86_400
NOT_A_TOKEN_PROBLEM = frozenset({"OAUTH_SCOPE_MISMATCH"})
"""401s that a new token cannot fix (CRM: the token lacks a module's scope): no refresh,
which would cost one of the 10 tokens per 10 minutes and a second refused call."""
EMPTY_STATUSES = frozenset({204, 304})
"""CRM's "nothing": 204 No Content, 304 Not Modified (for `If-Modified-Since`)."""
_TRANSIENT = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    ConnectionResetError,
)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list call."""

    records: list[dict[str, Any]]
    number: int
    has_more: bool
    context: dict[str, Any] | None = None
    """The answer's `page_context` (None when Zoho sent none): sort checks read it."""


class UnifiedZohoClient:
    """Every Zoho call of the tap and the webhook service goes through one of these."""

    def __init__(  # noqa: PLR0913 - the knobs the settings expose
        self,
        credentials: ZohoCredentials,
        *,
        api_domain: str | None = None,
        requests_per_minute: int = 100,
        daily_budget_reserve: int = 0,
        retry: RetryPolicy | None = None,
        tokens: TokenManager | None = None,
    ) -> None:
        """Build a client; tokens are shared per credential set unless one is given."""
        self.credentials = credentials
        self.tokens = tokens or TokenManager.shared(credentials)
        self._api_domain_override = api_domain.rstrip("/") if api_domain else None
        self.governor = RequestGovernor(
            requests_per_minute=requests_per_minute, daily_budget_reserve=daily_budget_reserve
        )
        self.retry = retry or RetryPolicy()
        self.ledger = CallLedger()
        self._sessions: dict[str, requests.Session] = {}
        self._executor: ThreadPoolExecutor | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> UnifiedZohoClient:
        """Build from tap settings (names as in the tap's config schema)."""
        region_code = str(config.get("region") or "us")
        accounts_url = str(config.get("accounts_url") or lookup_region(region_code).accounts_url)
        credentials = ZohoCredentials(
            client_id=str(config["client_id"]),
            client_secret=str(config["client_secret"]),
            refresh_token=str(config["refresh_token"]),
            accounts_url=accounts_url.rstrip("/"),
            region=region_code,
        )
        return cls(
            credentials,
            tokens=TokenManager.for_settings(credentials, config),
            api_domain=config.get("api_domain") or None,
            requests_per_minute=int(config.get("requests_per_minute", 100)),
            daily_budget_reserve=int(config.get("daily_budget_reserve", 0) or 0),
        )

    # -- public API -------------------------------------------------------------------

    def base_url(self, product: str) -> str:
        """`{api_domain}/books/v3` etc.: the override, else Zoho's answer, else the region."""
        domain = self._api_domain_override
        if domain is None:
            if self.tokens.api_domain is None:
                self.tokens.access_token()  # learn the account's api_domain
            domain = (
                self.tokens.api_domain or lookup_region(self.credentials.region).api_domain
            ).rstrip("/")
        return f"{domain}{PRODUCT_PATHS[product]}"

    def get_json(
        self,
        product: str,
        path: str,
        *,
        organization_id: str | None = None,
        params: Mapping[str, Any] | None = None,
        label: str | None = None,
    ) -> dict[str, Any]:
        """GET one Zoho path and return its JSON body (after retries and error mapping).

        Raises:
            ZohoAPIError: a fatal answer (`ZohoNotFoundError` for a missing record).
            ZohoQuotaExhaustedError: the day's quota (or reserve) is reached.
            ZohoRetryExhaustedError: transient failures outlasted the retry policy.
            ZohoAuthError: no access token could be minted.
        """
        query: dict[str, Any] = dict(params or {})
        if organization_id is not None:
            query["organization_id"] = organization_id
        return self._call(product, path, query, organization_id or NO_ORGANIZATION, label)

    def request_json(  # noqa: PLR0913 - a CRM call's independent parts
        self,
        product: str,
        path: str,
        *,
        method: str = "GET",
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,  # noqa: ANN401 - any JSON document
        label: str | None = None,
        quota_key: str = NO_ORGANIZATION,
    ) -> dict[str, Any]:
        """Any method, extra headers (`If-Modified-Since`), a JSON body (COQL, Bulk Read).

        CRM answers "nothing" with an empty body: 204 No Content, or 304 Not Modified for
        `If-Modified-Since`; both come back as `{}` (not as a bad-JSON retry).
        `quota_key` is what pacing and the quota guard count against (the CRM org).
        """
        return self._call(
            product, path, dict(params or {}), quota_key, label,
            method=method, headers=headers, json_body=json_body, empty_ok=True,
        )  # fmt: skip

    def open_download(
        self, product: str, path: str, *, label: str | None = None, quota_key: str = NO_ORGANIZATION
    ) -> requests.Response:
        """GET a file (a Bulk Read ZIP) as a stream; the caller reads and closes it.

        Only the status line and headers are read here, so a file of any size costs no
        memory; transient failures and one 401 are retried like every other call.
        """
        tag = label or f"{product}:{path}"
        attempts = 0
        refreshed = False
        while True:
            self.governor.acquire(product, quota_key)
            token = self.tokens.access_token()
            url = f"{self.base_url(product)}{path}"
            try:
                response = self._session(url).get(
                    url, headers={"Authorization": f"Zoho-oauthtoken {token}"},
                    timeout=TIMEOUT_SECONDS, stream=True,
                )  # fmt: skip
            except _TRANSIENT as exc:
                reason = type(exc).__name__
            else:
                if response.status_code == HTTP_UNAUTHORIZED and not refreshed:
                    response.close()
                    refreshed = True
                    self.tokens.invalidate(token)
                    continue
                if response.status_code < HTTP_CLIENT_ERROR:
                    self.ledger.success(tag, 0.0)
                    return response
                body = self._decode(response)
                response.close()
                if response.status_code < HTTP_SERVER_ERROR and body is not None:
                    self._check(response.status_code, body, path, label)
                reason = f"HTTP {response.status_code}"
            attempts += 1
            retried = attempts < self.retry.max_attempts
            self._failed(tag, path, reason, retried=retried)
            if not retried:
                msg = f"{tag}: GET {path} failed {attempts} times, last: {reason}"
                raise ZohoRetryExhaustedError(msg)
            time.sleep(self.retry.backoff(attempts - 1))

    def paginate(  # noqa: PLR0913 - a list call's independent parts
        self,
        product: str,
        path: str,
        list_key: str,
        *,
        organization_id: str,
        params: Mapping[str, Any] | None = None,
        label: str | None = None,
        paginated: bool = True,
        prefetch: bool = False,
        on_fallback: FallbackHook | None = None,
    ) -> Iterator[Page]:
        """Walk `page`/`per_page` until `page_context.has_more_page` is false.

        `prefetch` asks for page n+1 while the caller works on page n (one request in
        flight ahead, still paced by the limiter). Only for callers that read every page:
        a caller that stops early would have paid for one page it never reads.

        A page without `page_context` (`list.page-context`) is followed by a request for
        the next page when it holds `per_page` rows; each such page is reported to
        `on_fallback` (else logged once per call).
        """

        def fetch(number: int) -> dict[str, Any]:
            query = dict(params or {})
            if paginated:
                query |= {"page": number, "per_page": PER_PAGE}
            return self.get_json(
                product, path, organization_id=organization_id, params=query, label=label
            )

        number = 1
        previous: list[dict[str, Any]] | None = None
        ahead: Future[dict[str, Any]] | None = None
        try:
            while True:
                body = ahead.result() if ahead is not None else fetch(number)
                ahead = None
                rows = rows_of(body, list_key, path=path, stream=label, org=organization_id)
                if rows and rows == previous:
                    raise ZohoUnexpectedAnswerError(
                        path=path, stream=label, organization_id=organization_id,
                        message=f"page {number} repeats page {number - 1} (page ignored?)",
                    )  # fmt: skip
                previous = rows
                has_more = False
                if paginated:
                    has_more, told = more_pages(body, len(rows), PER_PAGE)
                    if not told:
                        self._fell_back(
                            on_fallback, "list.page-context", label or path,
                            f"page {number} of GET {path} has no page_context.has_more_page "
                            f"({len(rows)} rows; {'asking' if has_more else 'not asking'} "
                            "for the next page)",
                        )  # fmt: skip
                if has_more and prefetch:
                    ahead = self._prefetcher().submit(fetch, number + 1)
                context = body.get("page_context")
                yield Page(rows, number, has_more, context if isinstance(context, dict) else None)
                if not has_more:
                    return
                number += 1
        finally:
            if ahead is not None:
                ahead.cancel()

    def _prefetcher(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zoho-prefetch")
        return self._executor

    def get_record(  # noqa: PLR0913 - the record's address and the caller's hooks
        self,
        product: str,
        organization_id: str,
        entity: str,
        record_id: str,
        *,
        label: str | None = None,
        on_fallback: FallbackHook | None = None,
    ) -> dict[str, Any] | None:
        """A record's detail by id (`entity` as in `tap_zoho.api.entities`); None if gone.

        The record is looked for under the route's detail key, then under its documented
        alternates (`detail.key`; a find there is reported to `on_fallback`).

        Raises:
            ZohoUnexpectedAnswerError: the answer holds the record under no known key
                (never read as "gone": that would emit 0 rows silently).
        """
        route = self.entity(product, entity)
        path = f"{route.path}/{record_id}"
        try:
            body = self.get_json(product, path, organization_id=organization_id, label=label)
        except ZohoNotFoundError:
            return None
        if route.detail_key is None:
            return {key: value for key, value in body.items() if key not in {"code", "message"}}
        record, key = detail_record(body, route.detail_key, route.detail_alternates)
        if record is None:
            expected = ", ".join(
                repr(name) for name in (route.detail_key, *route.detail_alternates)
            )
            raise ZohoUnexpectedAnswerError(
                path=path, stream=label, organization_id=organization_id,
                message=f"the answer holds no record under {expected} "
                f"(keys seen: {', '.join(sorted(body)[:12])})",
            )  # fmt: skip
        if key != route.detail_key:
            self._fell_back(
                on_fallback, "detail.key", label or path,
                f"GET {route.path}/{{id}} holds the record under {key!r}, not {route.detail_key!r}",
            )  # fmt: skip
        return record

    @staticmethod
    def _fell_back(hook: FallbackHook | None, assumption: str, where: str, detail: str) -> None:
        """Report a fallback to the caller's ledger, or log it when there is none."""
        if hook is not None:
            hook(assumption, detail)
        else:
            logger.warning(
                "%s: %s (%s fallback)", where, detail, assumption,
                extra={"zoho_event": "tds.zoho.assumption.fallback", "assumption": assumption},
            )  # fmt: skip

    def get_items(
        self,
        product: str,
        organization_id: str,
        item_ids: Sequence[str],
        *,
        label: str | None = None,
    ) -> list[dict[str, Any]]:
        """Item details in batches of 100 through `/itemdetails` (one call per batch)."""
        items: list[dict[str, Any]] = []
        for start in range(0, len(item_ids), ITEM_DETAILS_BATCH):
            chunk = item_ids[start : start + ITEM_DETAILS_BATCH]
            body = self.get_json(
                product, "/itemdetails", organization_id=organization_id,
                params={"item_ids": ",".join(chunk)}, label=label,
            )  # fmt: skip
            found = body.get("items")
            if not isinstance(found, list):
                raise ZohoUnexpectedAnswerError(
                    path="/itemdetails", stream=label, organization_id=organization_id,
                    message=f"no 'items' list (keys seen: {', '.join(sorted(body))})",
                )  # fmt: skip
            items.extend(found)
        return items

    def organizations(self, product: str, *, label: str | None = None) -> list[dict[str, Any]]:
        """Every organization the token can see in a product."""
        body = self.get_json(product, "/organizations", label=label)
        return list(body.get("organizations") or [])

    @staticmethod
    def entity(product: str, entity: str) -> EntityRoute:
        """The route of an entity in a product, with a clear error for unknown ones."""
        try:
            return ENTITIES[product][entity]
        except KeyError:
            known = ", ".join(sorted(ENTITIES.get(product, {})))
            msg = f"unknown {product} entity {entity!r}; known: {known}"
            raise ValueError(msg) from None

    def close(self) -> None:
        """Close every connection pool."""
        for session in self._sessions.values():
            session.close()
        self._sessions.clear()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    # -- the request cycle ------------------------------------------------------------

    def _session(self, url: str) -> requests.Session:
        host = urlsplit(url).netloc
        session = self._sessions.get(host)
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=1, pool_maxsize=16, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers["Accept"] = "application/json"
            self._sessions[host] = session
        return session

    def _call(  # noqa: C901, PLR0913 - GET keeps the short form; CRM adds the rest
        self,
        product: str,
        path: str,
        query: dict[str, Any],
        org: str,
        label: str | None,
        *,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,  # noqa: ANN401 - any JSON document
        empty_ok: bool = False,
    ) -> dict[str, Any]:
        tag = label or f"{product}:{path}"
        transient_attempts = 0
        limited_attempts = 0
        refreshed = False
        while True:
            self.governor.acquire(product, org)
            token = self.tokens.access_token()
            url = f"{self.base_url(product)}{path}"
            started = time.monotonic()
            try:
                response = self._session(url).request(
                    method,
                    url,
                    params=query,
                    headers={**(headers or {}), "Authorization": f"Zoho-oauthtoken {token}"},
                    json=json_body,
                    timeout=TIMEOUT_SECONDS,
                )
            except _TRANSIENT as exc:
                reason = type(exc).__name__
            else:
                self.governor.observe(product, org, response.headers)
                if empty_ok and response.status_code in EMPTY_STATUSES:
                    self.ledger.success(tag, time.monotonic() - started)
                    return {}
                body = self._decode(response)
                if (
                    response.status_code == HTTP_UNAUTHORIZED
                    and not refreshed
                    and (body or {}).get("code") not in NOT_A_TOKEN_PROBLEM
                ):
                    refreshed = True
                    self.tokens.invalidate(token)
                    self._failed(tag, path, "401", retried=True)
                    continue
                if response.status_code == HTTP_TOO_MANY:
                    limited_attempts += 1
                    wait = self._rate_limited(product, org, response, body, tag, path)
                    if product in CRM_PRODUCTS:
                        wait = self._crm_rate_limited(org, limited_attempts)
                    if limited_attempts >= self.retry.rate_limit_attempts:
                        msg = f"{tag}: {method} {path} rate-limited {limited_attempts} times"
                        raise ZohoRetryExhaustedError(msg)
                    time.sleep(wait)
                    continue
                if response.status_code >= HTTP_SERVER_ERROR:
                    reason = f"HTTP {response.status_code}"
                elif body is None:
                    reason = "invalid or truncated JSON"
                else:
                    self._check(response.status_code, body, path, label)
                    seconds = time.monotonic() - started
                    self.ledger.success(tag, seconds)
                    logger.debug(
                        "GET %s ok", path,
                        extra={"zoho_event": "tds.zoho.api.success", "stream": tag, "path": path,
                               "seconds": round(seconds, 4)},
                    )  # fmt: skip
                    return body
            transient_attempts += 1
            retried = transient_attempts < self.retry.max_attempts
            self._failed(tag, path, reason, retried=retried)
            if not retried:
                msg = f"{tag}: {method} {path} failed {transient_attempts} times, last: {reason}"
                raise ZohoRetryExhaustedError(msg)
            time.sleep(self.retry.backoff(transient_attempts - 1))

    def _failed(
        self, tag: str, path: str, reason: str, *, retried: bool, limited: bool = False
    ) -> None:
        self.ledger.failure(tag, reason, retried=retried, rate_limited=limited)
        logger.debug(
            "GET %s failed: %s", path, reason,
            extra={"zoho_event": "tds.zoho.api.failed", "stream": tag, "path": path,
                   "reason": reason, "retried": retried},
        )  # fmt: skip

    @staticmethod
    def _decode(response: requests.Response) -> dict[str, Any] | None:
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            return None
        return body if isinstance(body, dict) else None

    def _rate_limited(  # noqa: PLR0913, PLR0917 - private helper of _call
        self,
        product: str,
        org: str,
        response: requests.Response,
        body: dict[str, Any] | None,
        tag: str,
        path: str,
    ) -> float:
        code = (body or {}).get("code")
        reset = _int_header(response.headers, "X-Rate-Limit-Reset")
        if code == DAILY_LIMIT_CODE:
            self._failed(tag, path, "429/45", retried=False, limited=True)
            raise self.governor.mark_exhausted(product, org, reset)
        self._failed(tag, path, f"429/{code}", retried=True, limited=True)
        retry_after = _int_header(response.headers, "Retry-After")
        if retry_after is not None:
            return float(retry_after)
        if code == CONCURRENCY_CODE:
            return self.retry.concurrency_wait_seconds
        return self.retry.rate_limit_wait_seconds

    def _crm_rate_limited(self, org: str, attempts: int) -> float:
        """Back off from a CRM 429; one that does not lift is spent credits.

        Raises:
            ZohoCreditsExhaustedError: `CRM_LIMITED_ATTEMPTS` refusals in a row.
        """
        if attempts >= CRM_LIMITED_ATTEMPTS:
            raise ZohoCreditsExhaustedError(
                organization_id=org, reset_seconds=SECONDS_PER_DAY,
                reason=f"Zoho refused {attempts} calls in a row with TOO_MANY_REQUESTS "
                "(calls in flight clear in seconds: the org's credits are spent)",
            )  # fmt: skip
        return float(self.retry.concurrency_wait_seconds * 2.0 ** (attempts - 1))

    @staticmethod
    def _check(status: int, body: dict[str, Any], path: str, label: str | None) -> None:
        code = body.get("code", 0)
        if status < HTTP_CLIENT_ERROR and code in {0, None}:
            return
        message = str(body.get("message") or body.get("error") or "")[:300]
        if status == HTTP_NOT_FOUND or code == NOT_FOUND_CODE:
            raise ZohoNotFoundError(
                status=status, code=code, message=message, path=path, stream=label
            )
        hint = ""
        if status == HTTP_UNAUTHORIZED:
            hint = (
                "the access token was refreshed and still refused: the token lacks the "
                "product's READ scope, or the user cannot see this organization"
            )
        raise ZohoAPIError(
            status=status, code=code, message=message, path=path, stream=label, hint=hint
        )


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return int(float(raw))
    except ValueError:
        return None


__all__ = ["Page", "UnifiedZohoClient", "ZohoQuotaExhaustedError"]
