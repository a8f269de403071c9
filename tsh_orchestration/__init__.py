"""Run the Meltano project's sync as one job per Zoho organization, on any orchestrator.

Why a package of its own, beside the tap and the target: scheduling is a deployment
concern. The tap and the target stay plain Singer programs that any `meltano run` drives;
this package only decides which `meltano run` command lines exist (one per organization,
each with its own state id) and hands them to an orchestrator. `meltano_jobs` needs
nothing but the standard library; `dagster_defs` needs the optional `dagster` extra.
"""
