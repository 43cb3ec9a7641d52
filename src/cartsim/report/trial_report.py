"""The HTML report of a virtual trial: figures and the endpoint table in one self-contained file.

Figures (PNG, embedded as base64 so the file can be mailed or archived alone): percentile bands
of B cells per compartment, blood CAR-T, IL-6, IgG, neutrophils and platelets per arm;
Kaplan-Meier curves of relapse-free survival; the distribution of the worst CRS and ICANS grade
per arm; grade 3+ CRS and ICANS rates beside the published ranges (``severe_toxicity``); the
screening funnel. A visible line says whether the intervals include parameter uncertainty
(``--parameter-uncertainty``) or between-patient variability only. Each figure is also written
as a PNG next to the report. This module reads
finished results (only the columns each figure needs from ``patients.parquet`` and
``events.parquet``, so that its memory does not grow with the whole table); it runs no
simulation.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure

from cartsim.io.scenario import Scenario
from cartsim.population import CohortScreening, Screening
from cartsim.report.html import embed_png, html_page, html_table
from cartsim.report.severe_toxicity import severe_toxicity_figure
from cartsim.therapies.regimens import CarT
from cartsim.trials import bands
from cartsim.trials.summaries import read_column, read_keys, trial_failures

_COLOURS = colormaps["tab10"].colors
_GRADES = (0, 1, 2, 3, 4)


def _band_figure(scenario: Scenario, counts: np.ndarray, days: np.ndarray) -> Figure:
    n = len(bands.BAND_SERIES)
    cols = 4
    fig = Figure(figsize=(4.2 * cols, 3.2 * -(-n // cols)))
    axes = fig.subplots(-(-n // cols), cols, squeeze=False)
    pct = bands.percentiles(counts)
    for s, (_, title, unit) in enumerate(bands.BAND_SERIES):
        ax = axes.flat[s]
        for a, arm in enumerate(scenario.arms):
            q = pct[s, a]
            if np.all(np.isnan(q)):
                continue
            colour = _COLOURS[a % len(_COLOURS)]
            ax.fill_between(days, q[:, 0], q[:, 4], color=colour, alpha=0.12, linewidth=0)
            ax.fill_between(days, q[:, 1], q[:, 3], color=colour, alpha=0.25, linewidth=0)
            ax.plot(days, q[:, 2], color=colour, label=arm.name)
        ax.set_yscale("symlog", linthresh=1e-2)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("day")
        ax.set_ylabel(unit)
    for ax in axes.flat[n:]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=8)
    fig.suptitle("Median, 25-75% and 5-95% of patients", fontsize=11)
    fig.tight_layout()
    return fig


def kaplan_meier(times: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier survival steps (times, survival) from event/censoring times.

    Examples
    --------
    >>> kaplan_meier(np.array([1.0, 2.0, 3.0, 3.0]), np.array([True, False, True, False]))[1]
    array([1.   , 0.75 , 0.75 , 0.375])
    """
    order = np.argsort(times, kind="stable")
    times, observed = times[order], observed[order]
    steps_t, steps_s = [0.0], [1.0]
    at_risk = times.size
    survival = 1.0
    for t in np.unique(times):
        here = times == t
        events = int(observed[here].sum())
        if events:
            survival *= 1.0 - events / at_risk
        steps_t.append(float(t))
        steps_s.append(survival)
        at_risk -= int(here.sum())
    return np.array(steps_t), np.array(steps_s)


def _km_figure(scenario: Scenario, patients: Path, events: Path) -> Figure:
    fig = Figure(figsize=(6.5, 4.2))
    ax = fig.subplots()
    rows = read_keys(patients, ["patient", "arm", "status"])
    for a, arm in enumerate(scenario.arms):
        ids = rows["patient"][(rows["arm"] == arm.name) & (rows["status"] == "ok")].to_numpy()
        if ids.size == 0:
            continue
        relapses = pd.read_parquet(events, columns=["patient", "day"],
                                   filters=[("event", "==", "relapse"), ("arm", "==", arm.name)])
        day = relapses.groupby("patient")["day"].min().reindex(ids).to_numpy(dtype=float)
        observed = np.isfinite(day)
        t, s = kaplan_meier(np.where(observed, day, scenario.horizon_days), observed)
        ax.step(t, 100.0 * s, where="post", color=_COLOURS[a % len(_COLOURS)],
                label=f"{arm.name} (n={ids.size})")
    ax.set_xlabel("day")
    ax.set_ylabel("relapse-free, % of patients")
    ax.set_ylim(0, 102)
    ax.legend(fontsize=8)
    ax.set_title("Relapse-free survival (Kaplan-Meier)")
    fig.tight_layout()
    return fig


def _grade_figure(scenario: Scenario, patients: Path) -> Figure:
    fig = Figure(figsize=(10, 4.0))
    axes = fig.subplots(1, 2)
    names = [a.name for a in scenario.arms]
    rows = read_keys(patients, ["arm", "status"])
    ok = (rows["status"] == "ok").to_numpy()
    in_arm = {n: (rows["arm"] == n).to_numpy() for n in names}
    for ax, (column, title) in zip(axes, (("crs_max_grade", "CRS"), ("icans_max_grade", "ICANS")),
                                   strict=True):
        grades = read_column(patients, column)
        if grades is None:  # no patient integrated: every share below is 0
            grades = np.full(ok.size, np.nan)
        bottom = np.zeros(len(names))
        for g in _GRADES:
            share = np.array([100.0 * float((grades[ok & in_arm[n]] == g).mean())
                              if (ok & in_arm[n]).any() else 0.0 for n in names])
            ax.bar(names, share, bottom=bottom, label=f"grade {g}",
                   color=colormaps["Reds"](0.15 + 0.2 * g))
            bottom += share
        ax.set_title(f"Worst {title} grade (ASTCT)")
        ax.set_ylabel("% of patients")
        ax.tick_params(axis="x", rotation=20, labelsize=8)
    axes[1].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def _funnel_figure(screening: Screening | CohortScreening) -> Figure:
    log = screening.as_dict()
    labels = ["screened"] + [f"excluded: {c}" for c in log["excluded_first"]] + ["enrolled"]
    values = [log["screened"], *log["excluded_first"].values(), log["enrolled"]]
    fig = Figure(figsize=(6.5, 0.5 * len(labels) + 1.2))
    ax = fig.subplots()
    ax.barh(labels[::-1], values[::-1], color=["#4c72b0"] + ["#c44e52"] * (len(labels) - 2)
            + ["#55a868"])
    for y, v in enumerate(values[::-1]):
        ax.text(v, y, f" {v}", va="center", fontsize=8)
    ax.set_xlabel("patients")
    ax.set_title("Screening (exclusions by first failed criterion)")
    fig.tight_layout()
    return fig


def _format(block: object) -> str:
    if block is None:
        return "–"
    assert isinstance(block, dict)
    if "ci95" in block:
        lo, hi = block["ci95"]
        return f"{block['value']:.1f}% ({lo:.1f}–{hi:.1f}), n={block['n']}"
    return f"{block['median']:.3g} [{block['p25']:.3g}–{block['p75']:.3g}], n={block['n']}"


def _endpoint_table(endpoints: dict) -> str:
    arms = endpoints["arms"]
    names = list(next(iter(arms.values()))["endpoints"])
    header = ["endpoint", *(f"{a} (N={arms[a]['n_patients']})" for a in arms)]
    return html_table(header, [[n, *(_format(arms[a]["endpoints"][n]) for a in arms)]
                               for n in names])


def uncertainty_note(endpoints: dict) -> str:
    """One sentence saying whether the intervals include parameter uncertainty.

    Examples
    --------
    >>> uncertainty_note({"provenance": {"parameter_uncertainty": False}})[:37]
    'Intervals and percentiles show betwee'
    """
    if endpoints["provenance"].get("parameter_uncertainty"):
        return ("Intervals and percentiles include parameter uncertainty: each patient drew the "
                "assumed parameters from their ranges (uniform or log-uniform), on top of "
                "between-patient variability (docs/sensitivity.md).")
    return ("Intervals and percentiles show between-patient variability only; the assumed "
            "parameters are fixed at their catalogue values (run with --parameter-uncertainty "
            "to include their ranges).")


def _management_note(endpoints: dict, patients: Path, scenario: Scenario) -> str:
    """One line per managed CAR-T arm: its policy and the share given tocilizumab/dexamethasone."""
    incomplete = read_column(patients, "management_complete")
    policy = {arm.name: arm.therapy.management for arm in scenario.arms
              if isinstance(arm.therapy, CarT)}
    lines = [f"{html.escape(arm)} (<code>{policy.get(arm, '')}</code>): tocilizumab "
             f"{_format(block['endpoints']['tocilizumab_pct'])}; "
             f"dexamethasone {_format(block['endpoints']['dexamethasone_pct'])}"
             for arm, block in endpoints["arms"].items()
             if block["endpoints"].get("tocilizumab_pct") is not None]
    if not lines:
        return "<p>No arm managed CRS/ICANS with tocilizumab or dexamethasone.</p>"
    cut = int(np.sum(incomplete == 0.0)) if incomplete is not None else 0
    note = (f" {cut} patient-arms reached the limit of management rounds "
            "(<code>management_complete</code> = 0)." if cut else "")
    return ("<p>CRS/ICANS management by each arm's policy (docs/safety.md, Management), share "
            "of patients given each drug:<br>" + "<br>".join(lines) + f"</p><p>{note}</p>")


def write_trial_report(out: Path, scenario: Scenario, counts: np.ndarray, endpoints: dict,
                       screening: Screening | CohortScreening) -> Path:
    """Write ``out/report.html`` (and the figures as PNG under ``out/figures``).

    Reads ``out/patients.parquet`` and ``out/events.parquet``, which must be written first.
    """
    figures = out / "figures"
    figures.mkdir(exist_ok=True)
    patients, events = out / "patients.parquet", out / "events.parquet"
    days = np.arange(0, counts.shape[2]) * bands.BAND_STEP_DAYS
    images = [
        ("Trajectories", embed_png(_band_figure(scenario, counts, days), figures / "bands.png")),
        ("Relapse-free survival", embed_png(_km_figure(scenario, patients, events),
                                            figures / "relapse_free.png")),
        ("CRS and ICANS", embed_png(_grade_figure(scenario, patients),
                                    figures / "toxicity_grades.png")),
        ("Severe CRS and ICANS against published ranges",
         embed_png(severe_toxicity_figure(scenario, endpoints), figures / "severe_toxicity.png")),
        ("Screening", embed_png(_funnel_figure(screening), figures / "screening.png")),
    ]
    failed = trial_failures(patients)
    failure_note = (f"<p><b>{failed} patient-arms could not be integrated</b>; see the "
                    "<code>status</code> and <code>reason</code> columns of patients.parquet.</p>"
                    if failed else "<p>Every patient was integrated.</p>")
    provenance = html.escape(str(endpoints["provenance"]))
    design = "cohorts (one population per arm)" if scenario.has_cohorts else scenario.design
    body = f"""<h1>{html.escape(scenario.name)}</h1>
<p>{html.escape(scenario.description)}</p>
<p>Design: {design}; seed {endpoints['seed']}; cartsim {endpoints['cartsim_version']}.</p>
<p><b>{html.escape(uncertainty_note(endpoints))}</b></p>
{failure_note}
<h2>Endpoints</h2>
<p>Distributions: median [25th–75th percentile], n patients for whom the endpoint is defined.
Proportions: percent (Wilson 95% interval), n. Definitions: docs/trials.md.</p>
{_endpoint_table(endpoints)}
<h2>CRS/ICANS management</h2>
{_management_note(endpoints, patients, scenario)}
{''.join(f'<h2>{html.escape(title)}</h2>{img}' for title, img in images)}
<h2>Provenance</h2><p><code>{provenance}</code></p>"""
    page = html_page(scenario.name, body, width_px=1200)
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
