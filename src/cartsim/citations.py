"""Which references a scenario rests on: the sources of every parameter its arms read.

Core physiology, B-lineage, T-cell, cytokine, immunoglobulin, disease and population records
are used by every scenario; the product, antibody, conditioning and oncology records only when
an arm or the disease needs them; regimen sources come with the arms that give them.
"""

from __future__ import annotations

from cartsim.io.scenario import Scenario
from cartsim.parameters import Catalog
from cartsim.parameters.references import Reference
from cartsim.therapies.regimens import Ahsct, AntiCD20, CarT

_ALWAYS = ("physiology", "bcells", "tcells", "cytokines", "immunoglobulins", "disease",
           "population")
_REGIMEN_SOURCES = {"flu_cy": "reset_ssc2025", "ocrelizumab": "ocrevus_label_dosing",
                    "ofatumumab": "kesimpta_label", "rituximab": "rituximab_ms_dosing",
                    "ahsct": "burt2019", "car_t": "mackensen2022"}


def scenario_references(scenario: Scenario, catalog: Catalog) -> list[Reference]:
    """References of the records and regimens ``scenario`` uses, sorted by key.

    Examples
    --------
    >>> from cartsim.io.scenario import load_scenario  # doctest: +SKIP
    >>> [r.key for r in scenario_references(load_scenario("s.toml"), catalog)]  # doctest: +SKIP
    """
    submodels = set(_ALWAYS)
    keys = set()
    for arm in scenario.arms:
        therapy = arm.therapy
        if isinstance(therapy, CarT):
            submodels |= {"cart", "conditioning"}
            keys.add(_REGIMEN_SOURCES["car_t"])
            if therapy.lymphodepletion:
                keys.add(_REGIMEN_SOURCES["flu_cy"])
        elif isinstance(therapy, AntiCD20):
            submodels.add("anti_cd20")
            keys.add(_REGIMEN_SOURCES[therapy.drug])
        elif isinstance(therapy, Ahsct):
            submodels.add("conditioning")
            keys.add(_REGIMEN_SOURCES["ahsct"])
    if scenario.population.disease in ("b_all", "lbcl"):
        submodels.add("malignant")
    names = [n for n in catalog.records if catalog.submodel(n) in submodels]
    found = {r.key: r for r in catalog.references_for(names)}
    found.update({k: catalog.references[k] for k in keys if k in catalog.references})
    return [found[k] for k in sorted(found)]
