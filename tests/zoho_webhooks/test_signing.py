"""The signing scheme, checked against Zoho's own worked examples, and who owns it."""

from __future__ import annotations

import ast
import hashlib
import hmac
from pathlib import Path
from urllib.parse import urlencode

import pytest

import zoho_webhooks
from zoho_webhooks import signing

SECRET = "demo-webhook-secret"


def test_json_body_is_signed_after_the_sorted_query_as_zoho_documents() -> None:
    """Zoho Billing's "securing webhooks" example: query name=basic, subscription_id=90343."""
    body = b'{"created_date":"2019-03-06","event_id":"5675"}'
    query = [("subscription_id", "90343"), ("name", "basic")]
    assert signing.signed_payload(body, query) == (
        b'namebasicsubscription_id90343{"created_date":"2019-03-06","event_id":"5675"}'
    )
    expected = hmac.new(SECRET.encode(), signing.signed_payload(body, query),
                        hashlib.sha256).hexdigest()  # fmt: skip
    assert signing.sign(SECRET, body, query) == expected
    assert signing.verify(SECRET, body, expected.upper(), query)


def test_form_body_is_signed_over_its_decoded_pairs_sorted_with_the_query() -> None:
    """Not over its bytes: `+` and `%26` are decoded first, then sorted with the query."""
    form = [("reference_number", "A&B = C+D é"), ("invoice_id", "982")]
    body = urlencode(form).encode()
    assert b"%26" in body
    assert b"+" in body
    pairs = signing.parse_form(body)
    assert pairs == form
    query = [("organization_id", "10234695"), ("event", "updated")]
    assert signing.form_payload(pairs, query) == (
        "eventupdatedinvoice_id982organization_id10234695reference_numberA&B = C+D é".encode()
    )
    signature = signing.sign_form(SECRET, pairs, query)
    assert signing.verify_form(SECRET, pairs, signature, query)
    assert not signing.verify(SECRET, body, signature, query), "a form is not signed as bytes"
    assert not signing.verify_form(SECRET, [*pairs[:1], ("invoice_id", "983")], signature, query)


@pytest.mark.parametrize(
    "header",
    [
        "é" * 64,
        "\u0100" * 64,
        "zz" * 32,
        "0" * 63,
        "",
        "  ",
        "0" * 10_000,
        "\x00" * 64,
    ],
)
def test_a_malformed_signature_header_is_no_match_never_an_error(header: str) -> None:
    """hmac.compare_digest raises TypeError on non-ASCII text; that must not escape."""
    assert signing.verify(SECRET, b"{}", header) is False
    assert signing.verify_form(SECRET, [("a", "b")], header) is False


@pytest.mark.parametrize(
    "body", [b"\xff\xfe", b"a=%FF", b"no-equals-sign", b"a=1&&b", b"a=&" * 2001 + b"a="]
)
def test_a_form_body_that_is_not_utf8_pairs_is_refused(body: bytes) -> None:
    with pytest.raises(signing.FormBodyError):
        signing.parse_form(body)


def test_product_code_never_imports_the_emulator() -> None:
    """Issue 15: the emulator may import product code, never the other way round."""
    offenders = []
    for path in Path(zoho_webhooks.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("zoho_emulator")]
    assert offenders == []
