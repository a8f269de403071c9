"""Pure mapping from Zoho records to ERP rows: one module per ERP aggregate.

Each mapper takes one record of one stream and returns the ERP rows it produces, or
raises `MappingError` naming what it could not map. Nothing here touches a database, so
every rule is unit-tested on plain dictionaries.
"""

from target_tsh_erp.mapping.common import MappingError, Row
from target_tsh_erp.mapping.registry import MAPPERS, mapper_for, modification_field

__all__ = ["MAPPERS", "MappingError", "Row", "mapper_for", "modification_field"]
