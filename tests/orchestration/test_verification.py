"""The scale-out runs select what a production run should (tsh_orchestration.verification)."""

from __future__ import annotations

from tap_zoho.finance.details import manifest_name
from tap_zoho.finance.registry import PRODUCT_STREAMS
from tsh_orchestration.verification import SELECTED_STREAMS


def test_every_selected_line_stream_comes_with_its_line_manifest() -> None:
    """Without its manifest, a document emptied of its lines in Zoho keeps them live."""
    selected = {pattern.removesuffix(".*") for pattern in SELECTED_STREAMS}
    known = {str(vars(cls)["name"]) for cls in PRODUCT_STREAMS["books"]}
    assert selected <= known, selected - known
    lines = {name for name in selected if name.endswith("_line_items")}
    assert lines, "the runs exercise line items"
    assert {manifest_name(name) for name in lines} <= selected
