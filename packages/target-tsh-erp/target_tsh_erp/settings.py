"""Where the ERP database lives and what its schemas are called, defined once.

The Singer target, `tsh-erp` and the webhook service write the same database; each of
them reads these names here instead of spelling `erp`, `zoho_raw`, `tds_zoho_events` or
`.meltano/erp-db` again, so a changed default cannot leave one of them writing elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "DEFAULT_EMBEDDED_DATA_DIR",
    "DEFAULT_ERP_SCHEMA",
    "DEFAULT_NOTIFY_CHANNEL",
    "DEFAULT_RAW_SCHEMA",
    "ENV_PREFIX",
    "INTERNAL_RAW_TABLES",
    "InvalidSettingError",
    "WriterSettings",
    "database_url",
    "env_name",
]

ENV_PREFIX = "TARGET_TSH_ERP_"
"""Prefix of the target's settings as environment variables (the SDK's convention)."""
DEFAULT_EMBEDDED_DATA_DIR = ".meltano/erp-db"
"""Folder of the embedded PostgreSQL, relative to the working directory (git-ignored)."""
DEFAULT_ERP_SCHEMA = "erp"
DEFAULT_RAW_SCHEMA = "zoho_raw"
DEFAULT_NOTIFY_CHANNEL = "tds_zoho_events"
INTERNAL_RAW_TABLES = frozenset({"_streams", "rejects"})
"""Tables of the raw schema the target owns: no stream may land in one of them."""


def env_name(setting: str) -> str:
    """The environment variable that sets `setting` (what an error message must name)."""
    return f"{ENV_PREFIX}{setting.upper()}"


class InvalidSettingError(ValueError):
    """A setting that is missing or unusable; the message names it and its variable."""

    def __init__(self, setting: str, problem: str) -> None:
        """Name the setting and its environment variable, so the fix is one line away."""
        super().__init__(f"setting {setting} (env {env_name(setting)}): {problem}")
        self.setting = setting


@dataclass(frozen=True, slots=True)
class WriterSettings:
    """Schema names and the NOTIFY channel (the target's settings of the same names)."""

    erp_schema: str = DEFAULT_ERP_SCHEMA
    raw_schema: str = DEFAULT_RAW_SCHEMA
    notify_channel: str = DEFAULT_NOTIFY_CHANNEL

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> WriterSettings:
        """The settings of a target config; unset or empty values take the defaults.

        Raises:
            InvalidSettingError: a name is not text, or both layers share one schema
                (a stream could then land in an ERP table).
        """
        values: dict[str, str] = {}
        for name, default in (("erp_schema", DEFAULT_ERP_SCHEMA),
                              ("raw_schema", DEFAULT_RAW_SCHEMA),
                              ("notify_channel", DEFAULT_NOTIFY_CHANNEL)):
            value = config.get(name)
            if value is None or value == "":
                value = default
            if not isinstance(value, str) or "\x00" in value or len(value) > 63:  # noqa: PLR2004 - PostgreSQL's identifier limit
                msg = f"must be a name of 1 to 63 characters, got {value!r}"
                raise InvalidSettingError(name, msg)
            values[name] = value
        if values["erp_schema"] == values["raw_schema"]:
            msg = f"must differ from erp_schema ({values['erp_schema']!r})"
            raise InvalidSettingError(setting="raw_schema", problem=msg)
        return cls(**values)


def database_url(config: Mapping[str, Any]) -> str | None:
    """The configured `database_url`, or None when an embedded database must be used.

    Raises:
        InvalidSettingError: the value is not text.
    """
    url = config.get("database_url")
    if url is None or url == "":
        return None
    if not isinstance(url, str):
        msg = f"must be a postgresql:// URL, got a {type(url).__name__}"
        raise InvalidSettingError(setting="database_url", problem=msg)
    return url

