"""The HTML report of a sensitivity analysis: ``DIR/report.html`` beside the run's other outputs.

Per arm and endpoint: a bar figure of ST and S1 with their 95% intervals, a sentence saying how
far the intervals allow the parameters to be ranked, and the table of every parameter sorted by
ST. Then the parameter ranges and the sampling scale of each (the log-uniform rule), the failed
evaluations and how they were treated, and the provenance. The page reads only what the run
wrote (``sensitivity.json``, ``sensitivity.parquet``, ``samples.parquet``), so it can be
rebuilt from a results folder. This module formats finished results; it computes no indices.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections import Counter
from pathlib import Path

import pandas as pd

from cartsim.parameters.ranges import LOG_UNIFORM_SPAN
from cartsim.report.html import embed_png, html_page, html_table
from cartsim.uncertainty.analysis import CONFIDENCE, LOG_SCALE_SPAN, rank_parameters, resolved_ranks
from cartsim.uncertainty.figures import indices_figure

REASONS_SHOWN = 5
"""Distinct failure reasons listed in the report (the rest are counted)."""

READING = f"""<p><b>How to read the indices.</b> ST (total index, dark bar) is the share of the
endpoint's variance that involves the parameter at all, alone or through interactions with
others; S1 (first-order index, light bar) is the share it explains alone. A parameter whose ST
is near 0 can be fixed anywhere in its range without changing the endpoint: refining it is
wasted effort. ST well above S1 means the parameter acts through interactions. The S1 values sum
to at most about 1; the remainder is interaction. The indices are Monte Carlo estimates with
{CONFIDENCE:.0%} bootstrap intervals; small samples can give indices below 0, above 1, or S1 above ST.</p>
<p><b>When the intervals are too wide to rank.</b> A parameter is <i>influential</i> when its ST
interval lies wholly above 0. Two parameters can be ranked only when the ST interval of the
first lies wholly above that of the second; where the intervals overlap, their order is not
known and a larger N (<code>--samples</code>) is needed before the order is quoted. Each
endpoint below says how many leading ranks are resolved.</p>"""


def write_sensitivity_report(out: Path) -> Path:
    """Write ``out/report.html`` (figures as PNG under ``out/figures``) from a finished run.

    Examples
    --------
    >>> write_sensitivity_report(Path("results/sensitivity"))  # doctest: +SKIP
    PosixPath('results/sensitivity/report.html')
    """
    summary = json.loads((out / "sensitivity.json").read_text(encoding="utf-8"))
    indices = pd.read_parquet(out / "sensitivity.parquet")
    failures = pd.read_parquet(out / "samples.parquet", columns=["failure"])["failure"]
    figures = out / "figures"
    figures.mkdir(exist_ok=True)
    settings, provenance = summary["settings"], summary["provenance"]
    sections = [_endpoint_section(arm, endpoint, group, settings["samples"], figures)
                for (arm, endpoint), group in indices.groupby(["arm", "endpoint"], sort=False)]
    body = f"""<h1>Sensitivity of {html.escape(provenance['scenario_name'])}</h1>
<p>Sobol indices of {len(sections)} endpoint(s) of the typical patient over
{len(summary['parameters'])} parameters: N = {settings['samples']} base samples,
{summary['evaluations']} evaluations, horizon {settings['horizon_days']:g} days, arm(s)
{html.escape(', '.join(settings['arms']))}. Method and caveats: docs/sensitivity.md.</p>
{READING}
{_failure_section(summary, failures)}
{''.join(sections)}
<h2>Parameter ranges and sampling scale</h2>
<p>Each parameter varies over its record's bounds. A range that is positive and spans more than
a factor {LOG_UNIFORM_SPAN:g} (upper / lower) is sampled log-uniformly, every other one
uniformly: a uniform draw over several decades would hardly explore the lowest ones.</p>
{_ranges_table(summary['parameters'])}
{_provenance_section(summary)}"""
    path = out / "report.html"
    path.write_text(html_page(f"Sensitivity: {provenance['scenario_name']}", body),
                    encoding="utf-8")
    return path


def _endpoint_section(arm: str, endpoint: str, group: pd.DataFrame, samples: int,
                      figures: Path) -> str:
    first = group.iloc[0]
    title = f"{endpoint} ({arm})"
    lines = [f"Defined in {first['n_used']} of {samples} base samples"
             + (f"; {first['n_censored']} evaluations censored at the horizon"
                if first["n_censored"] else "") + "."]
    if first["scale"] == "log10":
        lines.append(f"Analysed as log10: its values span more than a factor {LOG_SCALE_SPAN:g}.")
    if first["note"]:
        lines.append(f"Note: {first['note']}.")
    ranked = rank_parameters(group)
    if ranked["ST"].notna().any():
        lines.append(_ranking_sentence(ranked))
    image = embed_png(indices_figure(group, columns=1), figures / f"{_file_stem(title)}.png")
    return (f"<h2>{html.escape(title)}</h2><p>{html.escape(' '.join(lines))}</p>{image}"
            + html_table(["rank", "parameter", "ST", f"ST {CONFIDENCE:.0%} interval", "S1",
                          f"S1 {CONFIDENCE:.0%} interval", "influential", "ranked above next"],
                         [_index_row(k + 1, row) for k, row in ranked.iterrows()]))


def _ranking_sentence(ranked: pd.DataFrame) -> str:
    influential = int(ranked["influential"].sum())
    resolved = resolved_ranks(ranked)
    head = f"Influential (ST interval above 0): {influential} of {len(ranked)} parameters."
    if resolved == 0:
        return (f"{head} The ST intervals of the two leading parameters overlap, so even the "
                "first rank is not resolved: read the order as a screen and raise N to rank.")
    return (f"{head} Resolved ranks: 1 to {resolved} (each ST interval lies above the next "
            "one's); below that the intervals overlap and the order is not known.")


def _index_row(rank: int, row: pd.Series) -> list[object]:
    return [rank, row["parameter"], _number(row["ST"]), _interval(row["ST"], row["ST_conf"]),
            _number(row["S1"]), _interval(row["S1"], row["S1_conf"]),
            "yes" if row["influential"] else "no", "yes" if row["above_next"] else "no"]


def _number(value: float) -> object:
    return "–" if math.isnan(value) else round(float(value), 3)


def _interval(value: float, half_width: float) -> str:
    if math.isnan(value):
        return "–"
    return f"{value - half_width:.3f} to {value + half_width:.3f}"


def _file_stem(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", title).strip("_")


def _failure_section(summary: dict, failures: pd.Series) -> str:
    failed = int(summary["failed_evaluations"])
    head = (f"<h2>Failed evaluations: {failed} of {summary['evaluations']}</h2>"
            "<p>An evaluation that cannot be integrated (after the solver's retries) leaves its "
            "endpoints undefined, as does an endpoint that is not defined for a parameter set. "
            "The base sample (block of D + 2 evaluations) holding an undefined value is dropped "
            "whole from that endpoint's analysis, which keeps the estimator consistent; each "
            "endpoint below says in how many base samples it was defined. A B-cell reappearance "
            "not reached by the horizon after depletion is censored at the horizon instead "
            "(counted per endpoint).</p>")
    if not failed:
        return head
    counts = Counter(reason for reason in failures if reason)
    rows = [[count, reason] for reason, count in counts.most_common(REASONS_SHOWN)]
    rest = sum(counts.values()) - sum(row[0] for row in rows)
    more = f"<p>{rest} more with other reasons: see samples.parquet.</p>" if rest else ""
    return head + html_table(["evaluations", "reason"], rows) + more


def _ranges_table(parameters: dict) -> str:
    rows = [[name, f"{r['lower']:.4g}", f"{r['upper']:.4g}", r.get("unit", ""), r["scale"]]
            for name, r in parameters.items()]
    return html_table(["parameter", "lower", "upper", "unit", "scale"], rows)


def _provenance_section(summary: dict) -> str:
    p, settings = summary["provenance"], summary["settings"]
    solver = ", ".join(f"{k} {v}" for k, v in sorted(p["solver"].items()))
    rows = [["cartsim version", p["cartsim_version"]],
            ["parameter digest", p["parameter_digest"]],
            ["scenario", f"{p['scenario_name']} (digest {p['scenario_digest']})"],
            ["seed", p["seed"]], ["solver", solver],
            ["base samples N", settings["samples"]], ["parameters D", len(summary["parameters"])],
            ["evaluations N (D + 2)", summary["evaluations"]],
            ["horizon", f"{settings['horizon_days']:g} days"],
            ["arms", ", ".join(settings["arms"])], ["endpoints", ", ".join(settings["endpoints"])],
            ["created", p["created_utc"]]]
    return ("<h2>Provenance</h2>" + html_table(["", ""], rows)
            + "<p>The same scenario, settings and seed give the same numbers whatever the engine, "
            "number of workers or chunk size.</p>")
