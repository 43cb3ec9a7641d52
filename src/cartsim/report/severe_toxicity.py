"""Figure: simulated grade 3+ CRS and ICANS rates per arm beside the published ranges.

For each arm, the simulated percentage of patients with grade 3 or worse CRS (left) and ICANS
(right), with its Wilson 95% interval from ``endpoints.json``, and, as a grey bar behind it,
the published range for the arm's population (``cartsim.safety.published``). An arm whose
population has no published range shows the simulated rate alone. This module draws finished
results; it runs and grades nothing.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from cartsim.io.scenario import Scenario
from cartsim.safety.published import ENDPOINTS, population_group, published_rates

_TITLES = {"crs_grade3plus_pct": "Grade 3+ CRS", "icans_grade3plus_pct": "Grade 3+ ICANS"}


def severe_toxicity_figure(scenario: Scenario, endpoints: dict) -> Figure:
    """Simulated severe CRS/ICANS rates per arm (95% CI) with the published ranges.

    Examples
    --------
    >>> fig = severe_toxicity_figure(scenario, json.load(open("endpoints.json")))  # doctest: +SKIP
    """
    published = {(r.population, r.endpoint): r for r in published_rates()}
    names = [arm.name for arm in scenario.arms]
    groups = [population_group(scenario.population_of(k).disease) for k in range(len(names))]
    fig = Figure(figsize=(10, 4.2))
    axes = fig.subplots(1, 2, sharey=True)
    for ax, endpoint in zip(axes, ENDPOINTS, strict=True):
        labelled = set()
        for x, (name, group) in enumerate(zip(names, groups, strict=True)):
            rate = published.get((group, endpoint))
            if rate is not None:
                ax.bar(x, max(rate.high - rate.low, 0.8), bottom=rate.low, width=0.6, color="0.8",
                       label=None if "published" in labelled else "published range")
                labelled.add("published")
            block = endpoints["arms"][name]["endpoints"].get(endpoint)
            if block is None:
                continue
            low, high = block["ci95"]
            ax.errorbar(x, block["value"], yerr=[[block["value"] - low], [high - block["value"]]],
                        fmt="o", color="C3", capsize=4,
                        label=None if "simulated" in labelled else "simulated (95% CI)")
            labelled.add("simulated")
        ax.set_xticks(range(len(names)), names, rotation=20, fontsize=8)
        ax.set_title(_TITLES[endpoint])
        ax.set_ylim(0, 100)
    axes[0].set_ylabel("% of patients")
    axes[0].legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig
