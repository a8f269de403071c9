"""`python -m tap_zoho.assumptions`: print the register as Markdown (docs/assumptions.md)."""

from __future__ import annotations

import sys

from tap_zoho.assumptions import REGISTER
from tap_zoho.assumptions.render import markdown

sys.stdout.write(markdown(REGISTER.values()))
