"""`tap_zoho.finance.inventory` under its former name, for `zoho_webhooks.records`.

That module lists the stream classes declared in the module it is given (by
`__module__`), so this name is the very same module object, not a re-export.
"""

import sys

from tap_zoho.finance import inventory

sys.modules[__name__] = inventory
