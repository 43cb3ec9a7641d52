"""The therapy nouns: what an arm of a study gives a patient, before it is compiled to events.

These frozen dataclasses say *what* is given (a CAR-T product after lymphodepletion, an anti-CD20
antibody course, an aHSCT, nothing); ``therapies.events`` compiles them into dosing events for
the engine. Scenario files and the Python API build the same objects. This module must not
know about the right-hand side or the solver.
"""

from __future__ import annotations

from dataclasses import dataclass

TARGETS = ("CD19", "BCMA", "CD20", "CD19+BCMA")
COSTIMULATION = ("4-1BB", "CD28")
CART_SOURCES = ("autologous", "allogeneic", "in_vivo")
ANTIBODIES = ("ocrelizumab", "ofatumumab", "rituximab")
CONDITIONING = ("cy_atg", "beam_atg")
DRUGS = ("fludarabine", "cyclophosphamide", "atg", "melphalan")
DRUG_DOSE_UNITS = ("mg/m2", "mg/kg")
CELL_DOSE_UNITS = ("cells/kg", "cells")
VECTOR_DOSE_UNITS = ("vg/kg", "vg")
NO_MANAGEMENT = "none"
MANAGEMENT = ("astct", "juliet", "zuma1", NO_MANAGEMENT)
"""How CRS and ICANS are managed after a CAR-T infusion: ``astct`` gives tocilizumab and
dexamethasone at the thresholds of today's published guidance, ``juliet`` and ``zuma1`` at those
of the JULIET and ZUMA-1 trial protocols (tocilizumab for severe CRS only; rules in
``safety.guidance.POLICY_RECORDS``); ``none`` gives nothing, the untreated course."""


@dataclass(frozen=True)
class DrugDose:
    """One dose of a conditioning or lymphodepleting drug on one study day (day 0 = infusion)."""

    drug: str
    amount: float
    unit: str
    day: float


@dataclass(frozen=True)
class CarT:
    """A CAR-T product and its lymphodepletion.

    ``dose`` is in ``dose_unit``: cells/kg or cells for autologous and allogeneic products,
    vector genomes (vg/kg or vg) for in vivo generation.

    Examples
    --------
    >>> from cartsim.therapies.lymphodepletion import lymphodepletion_preset
    >>> product = CarT("CD19", 1e6, "cells/kg", "4-1BB", "autologous",
    ...                lymphodepletion_preset("flu_cy"))
    >>> product.target, len(product.lymphodepletion)
    ('CD19', 4)
    """

    target: str
    dose: float
    dose_unit: str
    costimulation: str
    source: str
    lymphodepletion: tuple[DrugDose, ...]
    infusion_day: float = 0.0
    management: str = "astct"


@dataclass(frozen=True)
class AntiCD20:
    """An anti-CD20 antibody on its labelled schedule.

    ``n_courses`` is the number of treatment courses before stopping (None: to the horizon).
    A course is one scheduled administration, except that ocrelizumab's first course is given
    as two 300 mg infusions two weeks apart and a rituximab course as two 1000 mg infusions.
    """

    drug: str
    n_courses: int | None = None
    start_day: float = 0.0


@dataclass(frozen=True)
class Ahsct:
    """Autologous haematopoietic stem-cell transplantation with its conditioning regimen."""

    conditioning: str
    graft_day: float = 0.0


@dataclass(frozen=True)
class NoTherapy:
    """The untreated comparator."""


Therapy = CarT | AntiCD20 | Ahsct | NoTherapy


@dataclass(frozen=True)
class Arm:
    """A named arm of a study and the therapy it gives."""

    name: str
    therapy: Therapy
