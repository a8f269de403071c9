"""The Markdown report and its PNG charts, from one results dictionary."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt

if TYPE_CHECKING:
    from pathlib import Path

_RATE_LINE = re.compile(
    r"^(?P<name>[A-Za-z][^0-9]*?):?\s+(?P<rate>[\d,]+)\s*(rows|records)?/s")


def _bars(path: Path, title: str, labels: list[str], series: dict[str, list[float]],
          ylabel: str) -> None:
    figure, axis = plt.subplots(figsize=(7, 3.6), dpi=100)
    width = 0.8 / max(1, len(series))
    for n, (name, values) in enumerate(series.items()):
        positions = [i + n * width for i in range(len(labels))]
        bars = axis.bar(positions, values, width, label=name)
        axis.bar_label(bars, fmt="%g", fontsize=7)
    axis.set_xticks([i + width * (len(series) - 1) / 2 for i in range(len(labels))], labels,
                    fontsize=8)
    axis.set_ylabel(ylabel)
    axis.set_title(title, fontsize=10)
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def charts(results: dict[str, Any], folder: Path, stem: str) -> dict[str, str]:
    """Write the PNGs; return chart name -> file name."""
    made: dict[str, str] = {}
    economy = results.get("api_economy")
    if economy and "runs" in economy:
        runs = economy["runs"]
        name = f"{stem}-api-economy.png"
        _bars(folder / name, f"API requests vs lower bound (scale {economy['scale']})",
              [r["run"] for r in runs],
              {"tap-zoho": [r["requests"] for r in runs],
               "lower bound": [r["lower_bound"] for r in runs]}, "requests")
        made["api_economy"] = name
        name = f"{stem}-detail-calls.png"
        _bars(folder / name, "Detail calls vs changed headers",
              [r["run"] for r in runs],
              {"detail calls": [r["detail_calls"] for r in runs],
               "headers needing a detail": [r["changed_headers_fetched_bound"] for r in runs]},
              "calls")
        made["detail_calls"] = name
    pipeline = results.get("pipeline")
    if pipeline and "meltano" in pipeline:
        name = f"{stem}-pipeline.png"
        _bars(folder / name, f"Whole pipeline, records/s (scale {pipeline['scale']})",
              ["records/s"], {"meltano run": [pipeline["meltano"]["records_per_s"]],
                              "bare tap | target": [pipeline["bare_pipe"]["records_per_s"]]},
              "records/s")
        made["pipeline"] = name
    points = scaling_points(results)
    if len(points) > 1:
        name = f"{stem}-scaling.png"
        _scaling_chart(folder / name, points)
        made["scaling"] = name
    rates = component_rates(results)
    if rates:
        name = f"{stem}-components.png"
        labels = list(rates)
        figure, axis = plt.subplots(figsize=(8, 0.9 + 0.32 * len(labels)), dpi=100)
        bars = axis.barh(range(len(labels)), [rates[label] for label in labels])
        axis.bar_label(bars, fmt="%g", fontsize=7)
        axis.set_yticks(range(len(labels)), labels, fontsize=7)
        axis.invert_yaxis()
        axis.set_xscale("log")
        axis.set_xlabel("records (rows, webhooks) per second, log scale")
        axis.set_title("Component throughput: each figure beside its same-run references",
                       fontsize=10)
        figure.tight_layout()
        figure.savefig(folder / name)
        plt.close(figure)
        made["components"] = name
    return made


_SCALE_LINE = re.compile(
    r"(?P<records>[\d,]+) records: peak RSS\s+(?P<rss>[\d.]+) MB,\s+(?P<seconds>[\d.]+)s")


def scaling_points(results: dict[str, Any]) -> list[tuple[int, float, float]]:
    """(records, peak RSS MB, seconds) from the tap memory benchmark's lines."""
    return [
        (int(match["records"].replace(",", "")), float(match["rss"]), float(match["seconds"]))
        for entry in results.get("components", [])
        if entry["script"].endswith("bench_memory.py")
        for match in _SCALE_LINE.finditer(entry.get("stdout_tail") or "")
    ]


def _scaling_chart(path: Path, points: list[tuple[int, float, float]]) -> None:
    figure, time_axis = plt.subplots(figsize=(7, 3.6), dpi=100)
    records = [p[0] for p in points]
    time_axis.plot(records, [p[2] for p in points], "o-", label="seconds")
    time_axis.set_xscale("log")
    time_axis.set_xlabel("records in one stream (log)")
    time_axis.set_ylabel("seconds")
    rss_axis = time_axis.twinx()
    rss_axis.plot(records, [p[1] for p in points], "s--", color="tab:orange",
                  label="peak RSS MB")
    rss_axis.set_ylabel("peak RSS (MB)")
    rss_axis.set_ylim(0, max(p[1] for p in points) * 1.5)
    time_axis.set_title("tap-zoho scaling: time should grow linearly, memory stay flat",
                        fontsize=10)
    figure.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def component_rates(results: dict[str, Any]) -> dict[str, float]:
    """`<name> N rows/s` lines the component scripts print (target, webhooks)."""
    rates: dict[str, float] = {}
    for entry in results.get("components", []):
        for line in (entry.get("stdout_tail") or "").splitlines():
            match = _RATE_LINE.match(line.strip())
            if match:
                script = entry["script"].rsplit("/", 1)[-1].removesuffix(".py")
                rates[f"{script}/{match['name'].strip()}"] = float(
                    match["rate"].replace(",", ""))
    return rates


def _economy_table(economy: dict[str, Any]) -> list[str]:
    lines = [("| run | changed records | requests | lower bound | ratio | detail calls |"
             " headers needing a detail | records emitted | 429s | s |"),
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in economy["runs"]:
        changed = "all" if r["changed_records"] is None else r["changed_records"]
        lines.append(f"| {r['run']} | {changed} | {r['requests']} | {r['lower_bound']} |"
                     f" {r['ratio']:.3f} | {r['detail_calls']} |"
                     f" {r['changed_headers_fetched_bound']} | {r['records_emitted']} |"
                     f" {r['rate_limited']} | {r['seconds']} |")
    over = {k: v for r in economy["runs"] for k, v in r["over_bound_by_route"].items()}
    if over:
        lines.append("")
        lines.append("Routes above their bound (measured, bound): " + ", ".join(
            f"`{k}` {v[0]} vs {v[1]}" for k, v in sorted(over.items())))
    return lines


def markdown(results: dict[str, Any], images: dict[str, str]) -> str:
    """The report, figures beside their same-run references."""
    out = [f"# Benchmark report {results['date']} ({results['mode']})", "",
           (f"Command: `{results['command']}`; host: {results['host']};"
           f" total {results['seconds']:.0f} s."), "",
           ("Every figure sits next to a reference measured in the same run; absolute"
           " numbers move with the (shared, 2-core) machine, ratios much less."), ""]
    economy = results.get("api_economy")
    out.append("## API economy (Books + Inventory, both organizations)")
    out.append("")
    if economy and "runs" in economy:
        out.append(f"Emulator scale {economy['scale']} records per entity; the lower bound"
                   " is computed per route from the emulator's ground truth and Zoho's"
                   " documented filters (benchmarks/report/economy.py).")
        out.append("")
        out.extend(_economy_table(economy))
        out.append("")
        out.extend(f"![{key}]({images[key]})" for key in ("api_economy", "detail_calls")
                   if key in images)
        out.append("")
    else:
        out.append(f"Not measured: {economy}")
        out.append("")
    out.append("## Whole pipeline: `meltano run tap-zoho target-tsh-erp`")
    out.append("")
    pipeline = results.get("pipeline")
    if pipeline and "meltano" in pipeline:
        out.extend([
            "| pipeline | records | seconds | records/s |", "| --- | ---: | ---: | ---: |",
            (f"| meltano run | {pipeline['meltano']['records']} |"
            f" {pipeline['meltano']['seconds']} | {pipeline['meltano']['records_per_s']} |"),
            (f"| reference: bare `tap-zoho \\| target-tsh-erp` |"
            f" {pipeline['bare_pipe']['records']} | {pipeline['bare_pipe']['seconds']} |"
            f" {pipeline['bare_pipe']['records_per_s']} |"), "",
            (f"Meltano run / bare pipe speed: {pipeline['meltano_share_of_bare']:.2f};"
            f" {pipeline['api_requests']} API requests (limits off, no latency; Books,"
            f" Inventory, CRM at scale {pipeline['scale']})."), ""])
        if "pipeline" in images:
            out.extend([f"![pipeline]({images['pipeline']})", ""])
    else:
        out.extend([f"Not measured: {pipeline}", ""])
    points = scaling_points(results)
    if points:
        out.extend(["## Scaling (tap-zoho, one stream)", "",
                    "| records | seconds | records/s | peak RSS MB |",
                    "| ---: | ---: | ---: | ---: |"])
        out.extend(f"| {n:,} | {sec} | {n / sec:,.0f} | {rss} |" for n, rss, sec in points)
        out.append("")
        if "scaling" in images:
            out.extend([f"![scaling]({images['scaling']})", ""])
    out.extend(["## Component benchmarks", "",
                "| script | what | status | seconds |", "| --- | --- | --- | ---: |"])
    out.extend(f"| `{entry['script']}` | {entry['what']} | {entry['status']} |"
               f" {entry.get('seconds', '')} |" for entry in results.get("components", []))
    out.append("")
    if "components" in images:
        out.extend([f"![components]({images['components']})", ""])
    for entry in results.get("components", []):
        if entry.get("status") == "ok" or entry.get("stdout_tail"):
            out.extend([f"### `{entry['script']} {' '.join(entry.get('args', []))}`", "",
                        "```", (entry.get("stdout_tail") or "").strip()[-2500:], "```", ""])
    return "\n".join(out) + "\n"
