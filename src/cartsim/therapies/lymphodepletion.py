"""Named lymphodepletion and conditioning regimens as tuples of DrugDose (day 0 = CAR-T or graft).

Sources (see references.bib): ``flu_cy`` is the Erlangen autoimmune protocol (fludarabine
25 mg/m2/day on days -5..-3, cyclophosphamide 1000 mg/m2 on day -3; Mackensen 2022, schedule as
in RESET-SSc), ``flu_cy_oncology`` the axi-cel label regimen (fludarabine 30 mg/m2 and
cyclophosphamide 500 mg/m2 on days -5..-3; Neelapu 2017), ``cy`` cyclophosphamide alone at the
oncology daily dose, ``cy_atg`` the MIST aHSCT conditioning (cyclophosphamide 200 mg/kg over days
-5..-2, rabbit ATG 6 mg/kg over days -5..-1; Burt 2019) and ``beam_atg`` BEAM represented by its
melphalan 140 mg/m2 day -1 with ATG (the other BEAM drugs are lumped into melphalan's effect,
assumptions A21, A25 and A27). This module only lists regimens; their effect lives in the model.
"""

from __future__ import annotations

from cartsim.errors import CartsimError, did_you_mean, one_of
from cartsim.therapies.regimens import DrugDose

_PRESETS: dict[str, tuple[DrugDose, ...]] = {
    "flu_cy": (
        DrugDose("fludarabine", 25.0, "mg/m2", -5.0),
        DrugDose("fludarabine", 25.0, "mg/m2", -4.0),
        DrugDose("fludarabine", 25.0, "mg/m2", -3.0),
        DrugDose("cyclophosphamide", 1000.0, "mg/m2", -3.0),
    ),
    "flu_cy_oncology": tuple(
        DrugDose(drug, amount, "mg/m2", day)
        for day in (-5.0, -4.0, -3.0)
        for drug, amount in (("fludarabine", 30.0), ("cyclophosphamide", 500.0))
    ),
    "cy": tuple(DrugDose("cyclophosphamide", 500.0, "mg/m2", d) for d in (-5.0, -4.0, -3.0)),
    "none": (),
    "cy_atg": (
        *(DrugDose("cyclophosphamide", 50.0, "mg/kg", d) for d in (-5.0, -4.0, -3.0, -2.0)),
        *(DrugDose("atg", 1.2, "mg/kg", d) for d in (-5.0, -4.0, -3.0, -2.0, -1.0)),
    ),
    "beam_atg": (
        DrugDose("melphalan", 140.0, "mg/m2", -1.0),
        *(DrugDose("atg", 1.2, "mg/kg", d) for d in (-5.0, -4.0, -3.0, -2.0, -1.0)),
    ),
}

LYMPHODEPLETION_PRESETS = ("flu_cy", "flu_cy_oncology", "cy", "none")
CONDITIONING_PRESETS = ("cy_atg", "beam_atg")


def lymphodepletion_preset(name: str) -> tuple[DrugDose, ...]:
    """Return the drug doses of a named regimen.

    Examples
    --------
    >>> [d.drug for d in lymphodepletion_preset("flu_cy")][-1]
    'cyclophosphamide'
    """
    if name not in _PRESETS:
        raise CartsimError(
            f'unknown regimen "{name}"{did_you_mean(name, _PRESETS)}; '
            f"valid: {one_of(_PRESETS)}"
        )
    return _PRESETS[name]
