"""Books v3 and Inventory v1 HTTP routes: organizations, lists, details, batches.

Every route authenticates first (product-shaped 401), then checks `organization_id`
(missing: code 36; not one of the user's organizations: code 6041), then goes through
`Emulator.metered` for limits, faults, latency and statistics.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
from starlette.responses import Response
from starlette.routing import Route

from zoho_emulator.finance import aggregates, other_answers
from zoho_emulator.finance.catalog import ENTITIES, Endpoint, EntitySpec
from zoho_emulator.finance.customfields import control_routes
from zoho_emulator.finance.generators.parties import contact_persons
from zoho_emulator.finance.orgs import BY_ID, ORGANIZATIONS, Organization
from zoho_emulator.finance.pages import PageCache, page_key
from zoho_emulator.finance.params import InvalidParameterError, ListQuery, parse_list_query
from zoho_emulator.responses import (
    FINANCE_NOT_AUTHORIZED,
    JSON_MEDIA_TYPE,
    finance_error,
    json_response,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from starlette.requests import Request

    from zoho_emulator.emulator import Emulator
    from zoho_emulator.finance.store import FinanceData

PREFIXES = {"books": "/books/v3", "inventory": "/inventory/v1"}
SUCCESS = {"code": 0, "message": "success"}
NO_ORGANIZATION = "-"
"""The limit bucket of calls that name no (valid) organization."""


def organization_error(organization_id: str | None) -> Response | None:
    """Zoho's answer when `organization_id` is missing or not the user's."""
    if organization_id is None or organization_id == "":
        return finance_error(36, "Please enter a valid organization ID.", 400)
    if organization_id not in BY_ID:
        return finance_error(
            6041,
            f"This user is not associated with the CompanyID/CompanyName:{organization_id}.",
            400,
        )
    return None


def day_of(organization_id: str, epoch: int) -> tuple[int, int]:
    """[start, end) epochs of the organization-local calendar day containing `epoch`."""
    zone = BY_ID[organization_id].zone
    local = datetime.fromtimestamp(epoch, zone).date()
    start = datetime(local.year, local.month, local.day, tzinfo=zone)
    following = local + timedelta(days=1)
    end = datetime(following.year, following.month, following.day, tzinfo=zone)
    return int(start.timestamp()), int(end.timestamp())


def organization_record(organization: Organization) -> dict[str, Any]:
    """The organization object of `/organizations`."""
    return {
        "organization_id": organization.organization_id,
        "name": organization.name,
        "contact_name": organization.contact_name,
        "email": organization.email,
        "is_default_org": organization.is_default_org,
        "plan_type": 7 if organization.plan_name == "Premium" else 5,
        "tax_group_enabled": True,
        "zi_migration_status": 0,
        "plan_name": organization.plan_name,
        "plan_period": "yearly",
        "language_code": "en",
        "fiscal_year_start_month": organization.fiscal_year_start_month,
        "account_created_date": organization.account_created_date,
        "account_created_date_formatted": organization.account_created_date,
        "time_zone": organization.time_zone,
        "is_org_active": True,
        "currency_id": "",
        "currency_code": organization.currency_code,
        "currency_symbol": organization.currency_symbol,
        "currency_format": "###,##0.00",
        "price_precision": 2,
        "country": organization.country,
        "is_inventory_enabled": True,
    }


class FinanceRoutes:
    """Route handlers of one product, bound to an emulator."""

    def __init__(self, emulator: Emulator, product: str) -> None:
        """Bind to the emulator and the product (`books` or `inventory`)."""
        self.emulator = emulator
        self.product = product
        self.data: FinanceData = emulator.finance
        self.pages = PageCache()

    async def _serve(
        self,
        request: Request,
        template: str,
        build: Callable[[str], Response],
        *,
        needs_org: bool = True,
    ) -> Response:
        denied = self.emulator.authenticate(request, self.product)
        if denied is not None:
            return denied
        organization_id = request.query_params.get("organization_id")
        error = organization_error(organization_id) if needs_org else None
        org_key = (
            organization_id if needs_org and error is None and organization_id else NO_ORGANIZATION
        )

        def respond() -> Response:
            if error is not None:
                return error
            try:
                return build(organization_id or "")
            except InvalidParameterError as invalid:
                return finance_error(2, str(invalid), 400)

        return await self.emulator.metered(
            product=self.product, org_key=org_key, route=f"{self.product}:{template}", build=respond
        )

    def routes(self) -> list[Route]:
        """Every route of this product."""
        prefix = PREFIXES[self.product]
        routes = [
            Route(f"{prefix}/organizations", self.organizations, methods=["GET"]),
            Route(
                f"{prefix}/organizations/{{organization_id}}", self.organization, methods=["GET"]
            ),
            Route(f"{prefix}/itemdetails", self.item_details, methods=["GET"]),
            Route(f"{prefix}/settings/preferences", self.preferences, methods=["GET"]),
            Route(
                f"{prefix}/contacts/{{contact_id}}/contactpersons",
                self.contact_persons,
                methods=["GET"],
            ),
            Route(
                f"{prefix}/contacts/{{contact_id}}/contactpersons/{{person_id}}",
                self.contact_person,
                methods=["GET"],
            ),
        ]
        for spec in ENTITIES:
            endpoint = spec.endpoint(self.product)
            if endpoint is None:
                continue
            if spec.listable:
                routes.append(
                    Route(
                        f"{prefix}{spec.path}", self._list_handler(spec, endpoint), methods=["GET"]
                    )
                )
            routes.append(
                Route(
                    f"{prefix}{spec.path}/{{record_id}}",
                    self._detail_handler(spec, endpoint),
                    methods=["GET"],
                )
            )
        return routes

    async def organizations(self, request: Request) -> Response:
        """`GET /organizations`: the only call that needs no `organization_id`."""
        return await self._serve(
            request,
            "/organizations",
            lambda _: json_response(
                {
                    **SUCCESS,
                    "organizations": [
                        organization_record(organization) for organization in ORGANIZATIONS
                    ],
                }
            ),
            needs_org=False,
        )

    async def organization(self, request: Request) -> Response:
        """`GET /organizations/{organization_id}`."""
        wanted = request.path_params["organization_id"]

        def build(_: str) -> Response:
            organization = BY_ID.get(wanted)
            if organization is None:
                return organization_error(wanted) or finance_error(6041, "", 400)
            return json_response({**SUCCESS, "organization": organization_record(organization)})

        return await self._serve(
            request, "/organizations/{organization_id}", build, needs_org=False
        )

    def _list_handler(
        self, spec: EntitySpec, endpoint: Endpoint
    ) -> Callable[[Request], Awaitable[Response]]:
        async def handler(request: Request) -> Response:
            return await self._serve(
                request, spec.path, lambda org: self._list(request, org, spec, endpoint)
            )

        return handler

    def _list(
        self, request: Request, organization_id: str, spec: EntitySpec, endpoint: Endpoint
    ) -> Response:
        on = self.emulator.answers
        if spec.name == "warehouses" and on("locations-only"):
            return finance_error(*other_answers.WAREHOUSES_REFUSED)
        other_answers.refuse_all_filter(request.query_params.get("filter_by"), on)
        query = other_answers.list_query(
            parse_list_query(request.query_params, endpoint), on,
            request.query_params.get("last_modified_time"), BY_ID[organization_id].zone,
        )  # fmt: skip
        if not endpoint.aggregates and on(aggregates.EVERYWHERE):
            option = aggregates.option_elsewhere(request.query_params.get("response_option"))
            query = replace(query, response_option=option)
        state = self.data.state(organization_id, spec.name)
        if not endpoint.paginated:
            rows = [
                self.data.row(state, index, self.product) for index in range(state.context.count)
            ]
            listed = [row for row in rows if row is not None]
            if spec.name == "locations" and on("locations-only") and not listed:
                warehouses = self.data.state(organization_id, "warehouses")
                listed = [
                    other_answers.as_location(row)
                    for index in range(warehouses.context.count)
                    if (row := self.data.row(warehouses, index, self.product)) is not None
                ]
            return json_response({**SUCCESS, endpoint.list_key: listed})
        key = (
            *page_key(organization_id, spec.name, self.product, query, state.version),
            tuple(on.on()),
        )
        page = self.pages.get(key)
        if page is None:
            page = self._page_body(organization_id, spec, endpoint, query)
            self.pages.put(key, page)
        body, has_more = page
        if has_more:
            following = replace(query, page=query.page + 1)
            following_key = (
                *page_key(organization_id, spec.name, self.product, following, state.version),
                tuple(on.on()),
            )
            asyncio.get_running_loop().call_soon(
                self.pages.prefetch,
                following_key,
                lambda: self._page_body(organization_id, spec, endpoint, following),
            )
        return Response(body, media_type=JSON_MEDIA_TYPE)

    def _page_body(
        self, organization_id: str, spec: EntitySpec, endpoint: Endpoint, query: ListQuery
    ) -> tuple[bytes, bool]:
        """The serialised list body of one page, and whether another page follows."""
        state = self.data.state(organization_id, spec.name)
        selection, ordered = self.data.select(
            state,
            product=self.product,
            predicate=query.predicate,
            modified_since=query.modified_since,
            created_range=(
                None if query.same_date_as is None else day_of(organization_id, query.same_date_as)
            ),
            sort_column=query.sort_column,
            descending=query.descending,
        )
        offset = (query.page - 1) * query.per_page
        indices: Sequence[int]
        if ordered is not None:
            indices = ordered[offset : offset + query.per_page]
            total = len(ordered)
        else:
            total = len(selection)
            if query.descending:
                indices = selection.descending(offset, query.per_page)
            else:
                indices = selection.ascending(offset, query.per_page)
        on = self.emulator.answers
        option = query.response_option
        rows = [
            other_answers.list_row(row, index, on)
            for index in (indices if aggregates.with_rows(option) else ())
            if index not in state.unlisted
            and (row := self.data.row(state, index, self.product)) is not None
        ]
        has_more = offset + query.per_page < total and aggregates.with_rows(option)
        body: dict[str, Any] = {**SUCCESS}
        if aggregates.with_rows(option):
            body[endpoint.list_key] = rows
        body["page_context"] = {
            "page": query.page,
            "per_page": query.per_page,
            "has_more_page": has_more,
            "report_name": endpoint.report_name,
            "applied_filter": query.applied_filter,
            "sort_column": query.sort_column or "created_time",
            "sort_order": "D" if query.descending else "A",
            "search_criteria": [],
        }
        if endpoint.aggregates or option:  # option != 0 elsewhere: `aggregates-everywhere`
            every: Sequence[int] = ()
            if endpoint.aggregates and aggregates.needs_records(option):
                every = ordered if ordered is not None else selection.descending(0, total)
            selected = (
                row for index in every if (row := self.data.row(state, index, self.product))
            )
            figures = aggregates.figures(
                option, total, query.per_page, selected, sums=endpoint.aggregates
            )
            if on("aggregates-elsewhere"):
                figures = aggregates.renamed(figures)
            body["page_context"].update(figures)
        if not other_answers.page_context_kept(spec.name, on):
            del body["page_context"]
        return orjson.dumps(body), has_more

    def _detail_handler(
        self, spec: EntitySpec, endpoint: Endpoint
    ) -> Callable[[Request], Awaitable[Response]]:
        async def handler(request: Request) -> Response:
            record_id = request.path_params["record_id"]

            def build(organization_id: str) -> Response:
                state = self.data.state(organization_id, spec.name)
                index = self.data.find(state, record_id)
                record = None if index is None else self.data.detail(state, index, self.product)
                if record is None:
                    return finance_error(1002, f"{spec.label} does not exist.", 404)
                on = self.emulator.answers
                record = other_answers.detail(record, on)
                if spec.name == "items" and on("locations-only"):
                    record = other_answers.stock_by_location(record)
                if endpoint.detail_key is None:
                    return json_response({**SUCCESS, **record})
                key = other_answers.detail_key(self.product, spec.name, endpoint.detail_key, on)
                return json_response({**SUCCESS, key: record})

            return await self._serve(request, f"{spec.path}/{{id}}", build)

        return handler

    async def preferences(self, request: Request) -> Response:
        """`GET /settings/preferences`: the organization's custom fields per module.

        Zoho's answer also carries the organization's many module preferences; the
        emulator serves the part clients read (`customfields`) and a few settings.
        """

        def build(organization_id: str) -> Response:
            settings = self.data.custom_fields
            if settings.is_denied(organization_id, self.product):
                return finance_error(*FINANCE_NOT_AUTHORIZED)
            organization = BY_ID[organization_id]
            return json_response(
                {
                    **SUCCESS,
                    "preferences": {
                        "organization_id": organization_id,
                        "time_zone": organization.time_zone,
                        "currency_code": organization.currency_code,
                        "is_discount_before_tax": True,
                        "discount_type": "item_level",
                    },
                    "customfields": settings.definitions(organization_id, self.product),
                }
            )

        return await self._serve(request, "/settings/preferences", build)

    async def item_details(self, request: Request) -> Response:
        """`GET /itemdetails?item_ids=a,b,c`: item details in one call."""

        def build(organization_id: str) -> Response:
            raw = request.query_params.get("item_ids", "")
            ids = [part for part in raw.split(",") if part]
            if not ids:
                raise InvalidParameterError("item_ids")  # noqa: EM101 - the parameter name is the message
            state = self.data.state(organization_id, "items")
            items = []
            for record_id in ids:
                index = self.data.find(state, record_id)
                record = None if index is None else self.data.detail(state, index, self.product)
                if record is not None:
                    if self.emulator.answers("locations-only"):
                        record = other_answers.stock_by_location(record)
                    items.append(other_answers.detail(record, self.emulator.answers))
            return json_response({**SUCCESS, "items": items})

        return await self._serve(request, "/itemdetails", build)

    def _contact(self, organization_id: str, contact_id: str) -> int | None:
        return self.data.find(self.data.state(organization_id, "contacts"), contact_id)

    async def contact_persons(self, request: Request) -> Response:
        """`GET /contacts/{contact_id}/contactpersons`."""
        contact_id = request.path_params["contact_id"]

        def build(organization_id: str) -> Response:
            page = parse_list_query(request.query_params, Endpoint("contact_persons", None))
            index = self._contact(organization_id, contact_id)
            if index is None:
                return finance_error(1002, "Contact does not exist.", 404)
            persons = contact_persons(self.data.context(organization_id, "contacts"), index)
            start = (page.page - 1) * page.per_page
            return json_response(
                {
                    **SUCCESS,
                    "contact_persons": persons[start : start + page.per_page],
                    "page_context": {
                        "page": page.page,
                        "per_page": page.per_page,
                        "has_more_page": start + page.per_page < len(persons),
                        "report_name": "Contact Persons",
                        "applied_filter": "",
                        "sort_column": "",
                        "sort_order": "A",
                        "search_criteria": [],
                    },
                }
            )

        return await self._serve(request, "/contacts/{id}/contactpersons", build)

    async def contact_person(self, request: Request) -> Response:
        """`GET /contacts/{contact_id}/contactpersons/{contact_person_id}`."""
        contact_id = request.path_params["contact_id"]
        person_id = request.path_params["person_id"]

        def build(organization_id: str) -> Response:
            index = self._contact(organization_id, contact_id)
            if index is None:
                return finance_error(1002, "Contact does not exist.", 404)
            for person in contact_persons(self.data.context(organization_id, "contacts"), index):
                if person["contact_person_id"] == person_id:
                    return json_response({**SUCCESS, "contact_person": person})
            return finance_error(1002, "Contact person does not exist.", 404)

        return await self._serve(request, "/contacts/{id}/contactpersons/{id}", build)


def routes(emulator: Emulator) -> list[Route]:
    """Books and Inventory routes of one emulator."""
    return [
        *FinanceRoutes(emulator, "books").routes(),
        *FinanceRoutes(emulator, "inventory").routes(),
        *control_routes(emulator),
    ]
