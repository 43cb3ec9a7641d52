"""Observables: the clinically read quantities computed from a trajectory of states.

Each observable has a name, unit and description, and is computed from the state matrix
(time x state), the parameter vector and the untreated baseline state. Percentages of baseline
compare with the untreated steady state of the same patient. Names match what results, the
summary table and the figures expect. This module computes readouts only; it integrates nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from cartsim.model.bcells_layout import (
    AUTO,
    MEMORY,
    NAIVE,
    NONAUTO,
    PLASMA_CELL,
    PRE_B,
    SUBSETS,
    TRANSITIONAL,
)
from cartsim.model.compartments import BLOOD, BONE_MARROW, CNS, COMPARTMENTS
from cartsim.model.disease import relative_activity
from cartsim.model.layout import P
from cartsim.model.management import (
    dexamethasone_effect,
    il6_receptor_blockade,
    tocilizumab_concentration,
)
from cartsim.model.states import (
    AB_CENTRAL,
    AUTOAB,
    BBB,
    BCELL,
    CART_EFF,
    CART_EXH,
    CART_MEM,
    CRP,
    DEXAMETHASONE_EFFECT_SITE,
    IGG,
    IGG_CNS,
    IL6,
    MALIGNANT,
    NEUTROPHIL_CHAIN,
    NFL,
    PLATELET_CHAIN,
    RELAPSES,
    TCELL,
    TOCILIZUMAB,
)

DAYS_PER_YEAR = 365.25
UL_PER_L = 1e6
NON_PLASMA = (PRE_B, TRANSITIONAL, NAIVE, MEMORY)


@dataclass(frozen=True)
class Observable:
    """One readout: its unit, description and how to compute it."""

    name: str
    unit: str
    description: str
    compute: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def _cart(y: np.ndarray, c: int) -> np.ndarray:
    return y[:, CART_EFF[c]] + y[:, CART_MEM[c]] + y[:, CART_EXH[c]]


def _bcells(y: np.ndarray, subsets: tuple[int, ...], c: int) -> np.ndarray:
    return sum(y[..., BCELL[s, r, c]] for s in subsets for r in (NONAUTO, AUTO))


def blood_bcells_per_ul(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """CD19+ B cells (without plasma cells) per uL of blood, for one state or a trajectory."""
    return _bcells(y, NON_PLASMA, BLOOD) / (p[P["v_blood"]] * UL_PER_L)


def _pct(now: np.ndarray, baseline: float) -> np.ndarray:
    return 100.0 * now / baseline if baseline > 0 else np.full_like(now, np.nan)


def _rate(y: np.ndarray, p: np.ndarray, base: str, bcell_share: str) -> np.ndarray:
    """Event rate per year: base rate times the relative activity of ``disease``."""
    normal_t = y[:, TCELL].sum(axis=1)
    activity = np.array(
        [relative_activity(row, p, t, p[P[bcell_share]]) for row, t in zip(y, normal_t, strict=True)]
    )
    return p[P[base]] * activity * DAYS_PER_YEAR


def _register() -> tuple[Observable, ...]:
    obs = [
        Observable(
            "cart_blood_per_ul",
            "cell/uL",
            "CAR-T cells in blood",
            lambda y, p, y0: _cart(y, BLOOD) / (p[P["v_blood"]] * UL_PER_L),
        ),
        Observable(
            "cart_csf_per_ul",
            "cell/uL",
            "CAR-T cells in the CNS compartment (CSF)",
            lambda y, p, y0: _cart(y, CNS) / (p[P["v_cns"]] * UL_PER_L),
        ),
        Observable(
            "bcell_blood_per_ul", "cell/uL", "CD19+ B cells in blood (without plasma cells)",
            lambda y, p, y0: blood_bcells_per_ul(y, p),
        ),
    ]
    for c, comp in enumerate(COMPARTMENTS):
        obs.append(
            Observable(
                f"cart_total_{comp}", "cell", f"CAR-T cells in {comp}", lambda y, p, y0, c=c: _cart(y, c)
            )
        )
        obs.append(
            Observable(
                f"bcell_pct_baseline_{comp}",
                "percent",
                f"B cells (without plasma cells) in {comp}, % of untreated",
                lambda y, p, y0, c=c: _pct(
                    _bcells(y, NON_PLASMA, c), float(_bcells(y0[None], NON_PLASMA, c)[0])
                ),
            )
        )
        for s, subset in enumerate(SUBSETS):
            obs.append(
                Observable(
                    f"bcell_{subset}_{comp}",
                    "cell",
                    f"{subset.replace('_', ' ')} cells in {comp}",
                    lambda y, p, y0, s=s, c=c: _bcells(y, (s,), c),
                )
            )
    for comp, c in (("bone_marrow", BONE_MARROW), ("cns", CNS)):
        obs.append(
            Observable(
                f"plasma_cell_pct_baseline_{comp}",
                "percent",
                f"long-lived plasma cells in {comp}, % of untreated",
                lambda y, p, y0, c=c: _pct(
                    _bcells(y, (PLASMA_CELL,), c), float(_bcells(y0[None], (PLASMA_CELL,), c)[0])
                ),
            )
        )
    obs += [
        Observable("il6_pg_per_ml", "pg/mL", "plasma IL-6", lambda y, p, y0: y[:, IL6]),
        Observable(
            "il6_signalling_pg_per_ml",
            "pg/mL",
            "IL-6 signal: plasma IL-6 times the share of IL-6 receptors free of tocilizumab",
            lambda y, p, y0: y[:, IL6] * (1.0 - il6_receptor_blockade(np.ascontiguousarray(
                y[:, TOCILIZUMAB]), p)),
        ),
        Observable(
            "tocilizumab_serum_ug_per_ml",
            "ug/mL",
            "tocilizumab in serum",
            lambda y, p, y0: tocilizumab_concentration(np.ascontiguousarray(y[:, TOCILIZUMAB]), p),
        ),
        Observable(
            "dexamethasone_effect",
            "",
            "dexamethasone effect, fraction of its maximum",
            lambda y, p, y0: dexamethasone_effect(np.ascontiguousarray(
                y[:, DEXAMETHASONE_EFFECT_SITE]), p),
        ),
        Observable("crp_mg_per_l", "mg/L", "plasma CRP", lambda y, p, y0: y[:, CRP]),
        Observable("bbb_index", "", "endothelial/BBB activation index", lambda y, p, y0: y[:, BBB]),
        Observable("igg_g_per_l", "g/L", "serum IgG", lambda y, p, y0: y[:, IGG] * p[P["igg_serum_0"]]),
        Observable(
            "igg_pct_baseline", "percent", "serum IgG, % of untreated", lambda y, p, y0: 100.0 * y[:, IGG]
        ),
        Observable(
            "autoantibody_pct_baseline",
            "percent",
            "autoantibody, % of untreated",
            lambda y, p, y0: 100.0 * y[:, AUTOAB],
        ),
        Observable(
            "intrathecal_igg_pct_baseline",
            "percent",
            "intrathecal IgG (oligoclonal-band proxy), % of untreated",
            lambda y, p, y0: 100.0 * y[:, IGG_CNS],
        ),
        Observable(
            "relapse_hazard_per_year",
            "1/year",
            "relapse hazard",
            lambda y, p, y0: _rate(y, p, "k_relapse_base", "f_relapse_bcell_driven"),
        ),
        Observable(
            "lesion_rate_per_year",
            "1/year",
            "new-lesion rate",
            lambda y, p, y0: _rate(y, p, "k_lesion_base", "f_lesion_bcell_driven"),
        ),
        Observable("nfl_pg_per_ml", "pg/mL", "serum neurofilament light", lambda y, p, y0: y[:, NFL]),
        Observable("expected_relapses", "", "expected relapses since day 0", lambda y, p, y0: y[:, RELAPSES]),
        Observable(
            "anti_cd20_serum_ug_per_ml",
            "ug/mL",
            "anti-CD20 antibody in serum",
            lambda y, p, y0: y[:, AB_CENTRAL] / p[P["ab_vc"]],
        ),
        Observable(
            "tcell_blood_per_ul",
            "cell/uL",
            "normal T cells in blood",
            lambda y, p, y0: y[:, TCELL[BLOOD]] / (p[P["v_blood"]] * UL_PER_L),
        ),
        Observable(
            "neutrophils_blood_per_ul",
            "cell/uL",
            "absolute neutrophil count (ANC) in blood",
            lambda y, p, y0: y[:, NEUTROPHIL_CHAIN[-1]] * p[P["anc_blood_0"]],
        ),
        Observable(
            "platelets_blood_per_nl",
            "cell/nL",
            "platelets in blood (cell/nL = 1e9/L)",
            lambda y, p, y0: y[:, PLATELET_CHAIN[-1]] * p[P["platelets_blood_0"]],
        ),
        Observable(
            "malignant_cells_total",
            "cell",
            "malignant CD19+ B cells, whole body",
            lambda y, p, y0: y[:, MALIGNANT].sum(axis=1),
        ),
    ]
    return tuple(obs)


OBSERVABLES: tuple[Observable, ...] = _register()
OBSERVABLE_BY_NAME: dict[str, Observable] = {o.name: o for o in OBSERVABLES}


def compute_observables(y: np.ndarray, p: np.ndarray, y0: np.ndarray,
                        names: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """The observables ``names`` (all by default) of a trajectory ``y`` (time x state)."""
    wanted = OBSERVABLES if names is None else [OBSERVABLE_BY_NAME[n] for n in names]
    return {o.name: np.asarray(o.compute(y, p, y0), dtype=float) for o in wanted}
