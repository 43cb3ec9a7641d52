"""The validation report: ``report.html`` with one figure per case, and ``scorecard.json``.

Each figure puts the published value and its acceptance band beside the simulated
distribution: every simulated patient's value (or, for a proportion, the simulated percentage
with its Wilson interval) and the compared statistic. Figures are also written as PNG files
under ``figures/``. This module draws and writes finished results; it runs no simulation.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from cartsim.report.html import embed_png, html_page
from cartsim.report.scorecard import (
    ROLES,
    published_text,
    scorecard_records,
    simulated_text,
    verdict,
)
from cartsim.validation.runner import CaseResult

_BAND_COLOUR = "#9ecae1"
_SIM_COLOUR = "#d95f02"
_SPAN_FOR_LOG = 50.0
"""Draw on a log axis when the values drawn span more than this factor."""


def case_figure(result: CaseResult) -> Figure:
    """Published band and value (left) beside the simulated distribution (right)."""
    fig = Figure(figsize=(5.2, 3.4), layout="constrained")
    ax = fig.add_subplot()
    proportion = result.case.statistic == "proportion"
    drawn = [result.simulated, *result.interval]
    if not proportion:
        drawn += list(result.values[np.isfinite(result.values)])
    if result.case.fact.value is not None:
        drawn.append(result.case.fact.value)
    drawn += [v for v in (result.band.low, result.band.high) if math.isfinite(v)]
    finite = np.array([v for v in drawn if math.isfinite(v)])
    positive = finite[finite > 0]
    if positive.size and positive.min() > 0 and finite.min() > 0 \
            and positive.max() / positive.min() > _SPAN_FOR_LOG:
        ax.set_yscale("log")
    low = result.band.low if math.isfinite(result.band.low) else (finite.min() if finite.size else 0)
    high = result.band.high if math.isfinite(result.band.high) else (finite.max() if finite.size else 1)
    ax.fill_between([-0.3, 0.3], [low] * 2, [high] * 2, color=_BAND_COLOUR, label="acceptance band")
    if result.case.fact.value is not None:
        ax.plot([0], [result.case.fact.value], "k_", markersize=24, label="published")
    if proportion:
        lo, hi = result.interval
        ax.errorbar([1], [result.simulated], yerr=[[result.simulated - lo], [hi - result.simulated]],
                    fmt="o", color=_SIM_COLOUR, capsize=6, label="simulated (Wilson 95%)")
    else:
        values = result.values[np.isfinite(result.values)]
        jitter = np.linspace(-0.15, 0.15, values.size) if values.size > 1 else np.zeros(values.size)
        ax.plot(1 + jitter, values, "o", color=_SIM_COLOUR, alpha=0.45, markersize=4,
                label="simulated patients")
        ax.plot([1], [result.simulated], "D", color="black", label=f"simulated {result.case.statistic}")
    ax.set_xticks([0, 1], ["published", "simulated"])
    ax.set_xlim(-0.6, 1.6)
    unit = "%" if proportion else result.case.fact.unit
    ax.set_ylabel(unit or "ratio")
    ax.set_title(f"{result.case.title}: {verdict(result)}", fontsize=9)
    ax.legend(fontsize=7, loc="best")
    return fig


def _row(result: CaseResult, image: str) -> str:
    case = result.case
    notes = [f"Band: {html.escape(result.band.describe())} ({html.escape(result.band.rule)})."]
    if case.fact.reading:
        notes.append(f"Reading: {html.escape(case.fact.reading)}")
    if case.one_sided_reason:
        notes.append(f"One-sided: {html.escape(case.one_sided_reason)}")
    if case.assumptions:
        notes.append(f"Rests on assumptions {', '.join(case.assumptions)}.")
    if result.failures:
        notes.append(f"{len(result.failures)} patients could not be integrated.")
    if not result.passed and case.diagnosis:
        notes.append(f"<b>Diagnosis:</b> {html.escape(case.diagnosis)}")
    return (f"<h3>{html.escape(case.name)} &mdash; {verdict(result)}</h3>"
            f"<p>{html.escape(case.fact.quantity)}. Source: {html.escape(case.fact.source)} "
            f"(clinical_facts {html.escape(case.fact.evidence)}), {html.escape(case.fact.location)}. "
            f"Protocol: {html.escape(case.scenario.name)}, arm {html.escape(case.arm)}, "
            f"{case.patients} patient{'s' if case.patients == 'cohort' else ''}.</p>"
            f"<p>Published {html.escape(published_text(result))}; simulated "
            f"{html.escape(simulated_text(result))}.</p><p>{' '.join(notes)}</p>{image}")


def write_validation_report(results: Sequence[CaseResult], out: Path) -> Path:
    """Write ``out/report.html``, ``out/scorecard.json`` and ``out/figures/*.png``."""
    figures = out / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    (out / "scorecard.json").write_text(json.dumps(scorecard_records(results), indent=2,
                                                   allow_nan=False), encoding="utf-8")
    sections = []
    for role, title in ROLES:
        rows = [r for r in results if r.role == role]
        if rows:
            passed = sum(r.passed for r in rows)
            sections.append(f"<h2>{html.escape(title)}: {passed} of {len(rows)} pass</h2>" + "".join(
                _row(r, embed_png(case_figure(r), figures / f"{r.case.name}.png")) for r in rows))
    version = results[0].provenance.cartsim_version if results else ""
    digest = results[0].provenance.parameter_digest if results else ""
    body = f"""<h1>cartsim validation against published evidence</h1>
<p>cartsim {html.escape(version)}, parameter digest {html.escape(digest)}. A case passes when the
simulated statistic lies in the acceptance band derived from the published spread and number of
patients (docs/validation.md). Per-case provenance is in scorecard.json.</p>
{''.join(sections)}"""
    page = html_page("cartsim validation", body, style="img{max-width:560px}h3{margin-top:2em}")
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
