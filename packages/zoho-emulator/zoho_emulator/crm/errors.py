"""CRM error bodies, one constructor per Zoho code, so every route words them alike."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.responses import Response

from zoho_emulator.responses import crm_error


class CrmError(Exception):
    """A request Zoho would refuse; `response` is what it sends back."""

    def __init__(
        self, code: str, message: str, status: int = 400, details: dict[str, Any] | None = None
    ) -> None:
        """Keep the pieces; the route turns them into the flat CRM error body."""
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.details = details or {}

    @property
    def response(self) -> Response:
        """The flat `{code, details, message, status}` body."""
        return crm_error(self.code, self.message, self.status, self.details)


def invalid_module() -> CrmError:
    """Unknown module names."""
    return CrmError("INVALID_MODULE", "the module name given seems to be invalid", 400)


def scope_mismatch() -> CrmError:
    """The token lacks the scope for this module (Cases in this org)."""
    return CrmError("OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL", 401)


def no_permission() -> CrmError:
    """The user's profile may not do this."""
    return CrmError(
        "NO_PERMISSION", "permission denied", 403, {"permissions": ["Crm_Implied_View_Settings"]}
    )


def required_param(name: str) -> CrmError:
    """A mandatory parameter is missing."""
    return CrmError(
        "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", 400,
        {"param_name": name},
    )  # fmt: skip


def invalid_param(name: str, message: str = "invalid data", **details: Any) -> CrmError:  # noqa: ANN401
    """A parameter has a value Zoho does not accept."""
    return CrmError("INVALID_DATA", message, 400, {"param_name": name, **details})


def limit_exceeded(name: str, limit: int, message: str = "Max field limit exceeded") -> CrmError:
    """More fields or ids than Zoho allows in one call."""
    return CrmError("LIMIT_EXCEEDED", message, 400, {"param_name": name, "limit": limit})


def ambiguity(params: list[str]) -> CrmError:
    """Parameters that must not be combined."""
    return CrmError(
        "AMBIGUITY_DURING_PROCESSING", "ambiguity while processing the request", 400,
        {"ambiguity_due_to": params},
    )  # fmt: skip


def invalid_url() -> CrmError:
    """A path the API does not serve."""
    return CrmError(
        "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one", 404
    )


def invalid_record_id(record: str) -> CrmError:
    """A single-record GET of an id that does not exist (or was deleted)."""
    return CrmError("INVALID_DATA", "the id given seems to be invalid", 400, {"id": record})
