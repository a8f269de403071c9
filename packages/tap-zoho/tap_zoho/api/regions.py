"""Zoho data centres: the accounts server and default API domain of each region."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Region:
    """Where a Zoho account lives: tokens and API calls must both go there."""

    code: str
    accounts_url: str
    api_domain: str


REGIONS: dict[str, Region] = {
    region.code: region
    for region in (
        Region("us", "https://accounts.zoho.com", "https://www.zohoapis.com"),
        Region("eu", "https://accounts.zoho.eu", "https://www.zohoapis.eu"),
        Region("in", "https://accounts.zoho.in", "https://www.zohoapis.in"),
        Region("au", "https://accounts.zoho.com.au", "https://www.zohoapis.com.au"),
        Region("jp", "https://accounts.zoho.jp", "https://www.zohoapis.jp"),
        # Canada is the odd one out: zohocloud.ca, not zoho.ca.
        Region("ca", "https://accounts.zohocloud.ca", "https://www.zohoapis.ca"),
        Region("sa", "https://accounts.zoho.sa", "https://www.zohoapis.sa"),
        Region("cn", "https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn"),
        Region("uk", "https://accounts.zoho.uk", "https://www.zohoapis.uk"),
    )
}


def region(code: str) -> Region:
    """The region for a code, with a clear error listing the valid ones."""
    try:
        return REGIONS[code.lower()]
    except KeyError:
        msg = f"unknown Zoho region {code!r}; use one of {', '.join(REGIONS)}"
        raise ValueError(msg) from None
