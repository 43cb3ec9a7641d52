"""The validation scorecard: one row per case, grouped by role, as a rich table and as JSON.

Rows are grouped into validation cases (what the model is judged on), calibration cases (used
to fit parameters, so agreement there is not evidence) and input checks (quantities the model
takes from the same source). Each row gives the case, its source (clinical_facts id and
reference key), the published value with its spread, the simulated statistic with its interval
and n, the acceptance band and the verdict, and for a failing case the diagnosis from cases.toml.
This module formats finished results; it runs nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.table import Table

from cartsim.validation.runner import CaseResult

ROLES = (("validation", "Validation cases (the model is judged on these)"),
         ("calibration", "Calibration cases (used to fit parameters; not evidence of validity)"),
         ("input_check", "Input checks (the model takes this quantity from the same source)"))


def _number(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:.3g}"


def published_text(result: CaseResult) -> str:
    """The published value with its spread, e.g. ``110 day (sd 32, n=5)``."""
    fact = result.case.fact
    spread = dict(fact.spread)
    kind = spread.pop("kind")
    if kind == "bound":
        return f"{'>' if spread['side'] == 'above' else '<'} {spread['limit']} {fact.unit}".rstrip()
    details = ", ".join(f"{k} {v}" for k, v in spread.items() if k != "followup")
    details = f"{kind}{' ' + details if details else ''}"
    n = f", n={fact.n}" if fact.n else ""
    return f"{_number(fact.value)} {fact.unit} ({details}{n})".replace("  ", " ")


def simulated_text(result: CaseResult) -> str:
    """The simulated statistic with its interval and n, e.g. ``32 [28–40] mean, n=20``."""
    low, high = result.interval
    interval = "" if low == high or not math.isfinite(low) else f" [{_number(low)}–{_number(high)}]"
    return f"{_number(result.simulated)}{interval} {result.case.statistic}, n={result.n}"


def verdict(result: CaseResult) -> str:
    """PASS or FAIL."""
    return "PASS" if result.passed else "FAIL"


def scorecard_table(results: Sequence[CaseResult]) -> list[Table]:
    """One rich table per role that has results, in the order of ROLES."""
    tables = []
    for role, title in ROLES:
        rows = [r for r in results if r.role == role]
        if not rows:
            continue
        table = Table("case", "source", "published", "simulated", "band", "result", title=title,
                      title_justify="left", show_lines=False)
        for r in rows:
            colour = "green" if r.passed else "red"
            table.add_row(r.case.name, f"{r.case.fact.evidence} {r.case.fact.source}",
                          published_text(r), simulated_text(r), r.band.describe(),
                          f"[{colour}]{verdict(r)}[/{colour}]")
        tables.append(table)
    return tables


def scorecard_records(results: Sequence[CaseResult]) -> list[dict[str, object]]:
    """The scorecard as JSON-ready records, with each case's provenance."""
    def finite(x: float) -> float | None:
        return x if math.isfinite(x) else None

    return [{
        "case": r.case.name, "title": r.case.title, "role": r.role,
        "evidence": r.case.fact.evidence, "source": r.case.fact.source,
        "published": published_text(r), "statistic": r.case.statistic,
        "simulated": finite(r.simulated), "interval": [finite(v) for v in r.interval], "n": r.n,
        "band": [finite(r.band.low), finite(r.band.high)], "band_rule": r.band.rule,
        "passed": r.passed, "integration_failures": list(r.failures),
        "diagnosis": r.case.diagnosis, "assumptions": list(r.case.assumptions),
        "provenance": r.provenance.as_attrs(),
    } for r in results]
