"""Scale-out: one Meltano job per organization, each with its own state id.

`meltano run --state-id-suffix org-<id>` with ZOHO_ORGANIZATION_ID=<id> (the seed's
variable, read by the tap) is what each orchestrator task runs; the state ids must not
share bookmarks, and a job must cost nothing in another organization's API budget.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from scripts.emulator_process import EmulatorProcess
    from scripts.meltano_runner import MeltanoProject

pytestmark = pytest.mark.timeout(900)

ORGS = ("10234695", "20987654")
BASE_STATE_ID = "dev:tap-zoho-to-target-tsh-erp"


def org_env(org: str) -> dict[str, str]:
    return {
        "ZOHO_ORGANIZATION_ID": org,
        "TAP_ZOHO_PRODUCTS": '["books"]',
        "TAP_ZOHO__SELECT": '["books_invoices.*", "books_contacts.*"]',
        # Its own schemas: independent of the other tests sharing this database.
        "TARGET_TSH_ERP_ERP_SCHEMA": "erp_per_org",
        "TARGET_TSH_ERP_RAW_SCHEMA": "raw_per_org",
    }


def test_one_state_id_per_organization(
    project: MeltanoProject, emulator: EmulatorProcess, erp
) -> None:
    for org in ORGS:
        emulator.reset_stats()
        project.run("run", "--state-id-suffix", f"org-{org}", "tap-zoho", "target-tsh-erp",
                    extra_env=org_env(org))
        by_org = emulator.stats()["requests_by_org"]
        others = [key for key in by_org if key.endswith(tuple(o for o in ORGS if o != org))]
        assert not others, f"the job of {org} spent requests of another org: {by_org}"

    state_ids = project.state_ids()
    for org in ORGS:
        assert f"{BASE_STATE_ID}:org-{org}" in state_ids, state_ids
        state = json.dumps(project.state(f"{BASE_STATE_ID}:org-{org}"))
        other = next(o for o in ORGS if o != org)
        assert org in state
        assert other not in state, f"state of org {org} holds bookmarks of {other}"

    counts = dict(erp.execute(
        "SELECT organization_id, count(*) FROM erp_per_org.invoices"
        " WHERE NOT is_placeholder GROUP BY 1"
    ).fetchall())  # fmt: skip
    for org in ORGS:
        truth = emulator.control("GET", f"finance/{org}/invoices/count")["count"]
        assert counts.get(org) == truth, counts

    # A rerun of one organization resumes from its own bookmark: list pages only.
    emulator.reset_stats()
    project.run("run", "--state-id-suffix", f"org-{ORGS[0]}", "tap-zoho", "target-tsh-erp",
                extra_env=org_env(ORGS[0]))
    routes = emulator.stats()["requests_by_route"]
    assert routes.get("books:/invoices/{id}", 0) == 0, routes
