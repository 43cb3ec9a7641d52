"""The state register: every state of the model, its unit, meaning, index and scale.

State names read ``<entity>_<subtype>_<compartment>``. Cells are absolute numbers in a
compartment (not concentrations); concentrations are derived with the compartment volumes.
The index arrays below (``CART_EFF[c]``, ``BCELL[subset, reactivity, c]`` ...) are what the
right-hand side uses; numba treats them as compile-time constants. ``SCALE_FLOOR`` gives each
state the magnitude below which its absolute error stops mattering (the engine integrates
``y / max(|y_baseline|, floor)``). This module declares; it computes no dynamics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cartsim.model.bcells_layout import REACTIVITY, SUBSETS
from cartsim.model.compartments import COMPARTMENTS

DRUG_NAMES = ("fludarabine", "cyclophosphamide", "atg", "melphalan")


@dataclass(frozen=True)
class StateSpec:
    """One state: name, unit (pint string), description and absolute scale floor."""

    name: str
    unit: str
    description: str
    scale_floor: float


def _register() -> tuple[StateSpec, ...]:
    specs: list[StateSpec] = []
    for phenotype, what in (("eff", "effector"), ("mem", "memory"), ("exh", "exhausted")):
        specs += [
            StateSpec(f"cart_{phenotype}_{c}", "cell", f"{what} CAR-T cells in {c}", 1e3)
            for c in COMPARTMENTS
        ]
    specs.append(StateSpec("vector_blood", "vg", "in vivo CAR vector genomes in blood", 1e6))
    specs += [StateSpec(f"tcell_{c}", "cell", f"normal T cells in {c}", 1e3) for c in COMPARTMENTS]
    for subset in SUBSETS:
        for reactivity in REACTIVITY:
            specs += [
                StateSpec(
                    f"bcell_{subset}_{reactivity}_{c}",
                    "cell",
                    f"{reactivity} {subset.replace('_', ' ')} cells in {c}",
                    1e2,
                )
                for c in COMPARTMENTS
            ]
    specs += [
        StateSpec("progenitor_bone_marrow", "", "haematopoietic progenitor index (1 = normal)", 1e-3),
        *(
            StateSpec(f"drug_{d}_body", "mg", f"{d} in the body", 1e-3)
            for d in DRUG_NAMES
        ),
        StateSpec("antibody_depot", "mg", "anti-CD20 antibody in the subcutaneous depot", 1e-3),
        StateSpec("antibody_central", "mg", "anti-CD20 antibody in the central volume", 1e-3),
        StateSpec("antibody_peripheral", "mg", "anti-CD20 antibody in the peripheral volume", 1e-3),
        StateSpec(
            "antibody_clearance_time_dependent", "L/day", "time-dependent antibody clearance", 1e-4
        ),
        StateSpec("il6_plasma", "pg/mL", "plasma IL-6", 1.0),
        StateSpec("crp_plasma", "mg/L", "plasma C-reactive protein", 0.1),
        StateSpec("bbb_index", "", "endothelial/blood-brain-barrier activation index", 1e-3),
        StateSpec("igg_serum_rel", "", "serum IgG relative to untreated baseline", 1e-2),
        StateSpec("autoantibody_rel", "", "autoantibody relative to untreated baseline", 1e-2),
        StateSpec("igg_intrathecal_rel", "", "intrathecal IgG relative to untreated", 1e-2),
        StateSpec("nfl_serum", "pg/mL", "serum neurofilament light chain", 1.0),
        StateSpec("relapses_expected", "", "expected number of relapses since day 0", 1e-3),
        StateSpec("lesions_expected", "", "expected number of new lesions since day 0", 1e-3),
        *(
            StateSpec(f"malignant_{c}", "cell", f"malignant CD19+ B cells in {c}", 1e3)
            for c in COMPARTMENTS
        ),
    ]
    specs += _myeloid_chains()
    specs += [
        StateSpec("tocilizumab_body", "mg", "tocilizumab in the body (CRS management)", 1e-2),
        StateSpec("dexamethasone_body", "mg", "dexamethasone in the body (CRS/ICANS management)",
                  1e-3),
        StateSpec("dexamethasone_effect_site", "mg/L",
                  "dexamethasone in the effect compartment", 1e-5),
    ]
    return tuple(specs)


def _myeloid_chains() -> list[StateSpec]:
    """Friberg chains of neutrophils and platelets, relative to the untreated value."""
    specs = []
    for lineage, what in (("neutrophil", "neutrophil"), ("platelet", "megakaryocyte/platelet")):
        specs.append(StateSpec(f"{lineage}_prolif_bone_marrow", "",
                               f"proliferating {what} precursors, relative to untreated", 1e-3))
        specs += [StateSpec(f"{lineage}_transit{i}_bone_marrow", "",
                            f"maturing {what} precursors (transit {i}), relative to untreated",
                            1e-3) for i in (1, 2, 3)]
        specs.append(StateSpec(f"{lineage}_blood", "", f"circulating {lineage}s, relative to "
                               "untreated", 1e-3))
    return specs


STATES: tuple[StateSpec, ...] = _register()
INDEX: dict[str, int] = {s.name: i for i, s in enumerate(STATES)}
N_STATES = len(STATES)
SCALE_FLOOR = np.array([s.scale_floor for s in STATES])


def _indices(pattern: str) -> np.ndarray:
    return np.array([INDEX[pattern.format(c=c)] for c in COMPARTMENTS], dtype=np.int64)


CART_EFF = _indices("cart_eff_{c}")
CART_MEM = _indices("cart_mem_{c}")
CART_EXH = _indices("cart_exh_{c}")
TCELL = _indices("tcell_{c}")
MALIGNANT = _indices("malignant_{c}")
BCELL = np.array(
    [[_indices(f"bcell_{s}_{r}_{{c}}") for r in REACTIVITY] for s in SUBSETS], dtype=np.int64
)
DRUG = np.array([INDEX[f"drug_{d}_body"] for d in DRUG_NAMES], dtype=np.int64)
VECTOR = INDEX["vector_blood"]
PROGENITOR = INDEX["progenitor_bone_marrow"]
AB_DEPOT = INDEX["antibody_depot"]
AB_CENTRAL = INDEX["antibody_central"]
AB_PERIPHERAL = INDEX["antibody_peripheral"]
AB_CLT = INDEX["antibody_clearance_time_dependent"]
IL6 = INDEX["il6_plasma"]
CRP = INDEX["crp_plasma"]
BBB = INDEX["bbb_index"]
IGG = INDEX["igg_serum_rel"]
AUTOAB = INDEX["autoantibody_rel"]
IGG_CNS = INDEX["igg_intrathecal_rel"]
NFL = INDEX["nfl_serum"]
RELAPSES = INDEX["relapses_expected"]
LESIONS = INDEX["lesions_expected"]
NEUTROPHIL_CHAIN = np.array([INDEX[f"neutrophil_{s}"] for s in (
    "prolif_bone_marrow", "transit1_bone_marrow", "transit2_bone_marrow", "transit3_bone_marrow",
    "blood")], dtype=np.int64)
PLATELET_CHAIN = np.array([INDEX[f"platelet_{s}"] for s in (
    "prolif_bone_marrow", "transit1_bone_marrow", "transit2_bone_marrow", "transit3_bone_marrow",
    "blood")], dtype=np.int64)
TOCILIZUMAB = INDEX["tocilizumab_body"]
DEXAMETHASONE = INDEX["dexamethasone_body"]
DEXAMETHASONE_EFFECT_SITE = INDEX["dexamethasone_effect_site"]
