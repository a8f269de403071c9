"""Secrets scan over every log the reliability suite produced (this file runs last).

It also makes a log of its own worth scanning: a full pipeline run whose access token is
revoked mid-run (so the tap refreshes, the moment a careless client logs a token) and
whose target config carries the database URL. Client secret, refresh token, webhook
secret and every access token the emulator minted must appear in no log.
"""

from __future__ import annotations

from tests.reliability.conftest import SUITE_LOGS
from tests.reliability.reliability_harness import Pipeline, secret_hits
from zoho_emulator.faults import FaultKind, FaultRule
from zoho_emulator.testing import run_emulator


def test_no_secret_in_any_log(database_url, schemas, workdir):
    erp, raw = schemas
    with run_emulator(scale=5, requests_per_minute=0, daily_limit=0) as zoho:
        zoho.emulator.faults.add(FaultRule(FaultKind.REVOKE_TOKENS, "books:auth", after=5,
                                           remaining=1))
        seen: set[str] = set()
        tokens = zoho.emulator.tokens
        original = tokens._mint

        def remember(*args, **kwargs):
            minted = original(*args, **kwargs)
            token = getattr(minted, "access_token", None)
            if token:
                seen.add(token)
            return minted

        tokens._mint = remember
        outcome = Pipeline(zoho.base_url, database_url, erp, raw, workdir,
                           products=("books",)).run()
    assert outcome.tap_rc == 0, outcome.tap_log[-2000:]
    assert len(seen) >= 2, "the revocation did not force a refresh"
    logs = [path for folder in SUITE_LOGS for path in folder.rglob("*.log")]
    assert logs
    scanned = 0
    leaks = []
    for path in logs:
        text = path.read_text(errors="replace")
        scanned += len(text)
        leaks += [f"{path.name}: {hit[:12]}..." for hit in secret_hits(text, tuple(seen))]
    assert scanned > 10_000
    assert leaks == []
