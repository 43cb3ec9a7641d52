"""The grading tables of the clinical consensus definitions, held as data.

Every boundary and category name the grading functions use lives here, with its source and the
place in that source in a comment. These are definitions from published consensus papers, not
model parameters, so they are not catalogue records (the link from simulated cytokines to
clinical signs is, see ``safety.toml``). This module holds data only: it must not compute
grades or import anything from cartsim.

Sources (keys of references.bib): ``lee2019`` ASTCT consensus, Biol Blood Marrow Transplant
2019;25:625; ``rejeski2023`` EHA/EBMT ICAHT consensus, Blood 2023;142:865; ``rejeski2021``
CAR-HEMATOTOX, Blood 2021;138:2499; ``ohmoto2022``, ``hill2019`` and ``otani2022`` for IgG.
"""

from __future__ import annotations

# --- Cytokine release syndrome: lee2019, ASTCT CRS consensus grading table and its footnote ---
FEVER_C = 38.0
"""Fever is a temperature >= 38.0 C not attributable to another cause."""

HYPOTENSION = ("none", "fluids", "one_vasopressor", "multiple_vasopressors")
"""Hypotension by its treatment: none; not needing vasopressors (fluids); one vasopressor with
or without vasopressin; several vasopressors (vasopressin not counted)."""
HYPOTENSION_GRADE = (0, 2, 3, 4)

OXYGEN = ("none", "low_flow", "high_flow", "positive_pressure")
"""Hypoxia by the oxygen it needs: none; low-flow nasal cannula (<= 6 L/min) or blow-by;
high-flow nasal cannula, facemask, non-rebreather or Venturi mask; positive pressure (CPAP,
BiPAP, intubation and mechanical ventilation)."""
OXYGEN_GRADE = (0, 2, 3, 4)

FEVER_ONLY_GRADE = 1

TEMPERATURE_RANGE_C = (30.0, 45.0)
"""Body temperatures a living patient can have; outside this a reading is a data-entry error
(an input check of cartsim, not part of the consensus)."""

# --- ICE score and ICANS in adults: lee2019, ICE table and ICANS consensus grading for adults ---
ICE_ITEMS = (
    ("orientation", 4),          # year, month, city, hospital
    ("naming", 3),               # name three objects
    ("following_commands", 1),   # e.g. "show me two fingers"
    ("writing", 1),              # write a standard sentence
    ("attention", 1),            # count backwards from 100 by 10
)
"""The ICE items and the points each can score; the ICE score is their sum (0-10)."""
ICE_MAX = 10

ICE_GRADE_BANDS = ((10, 0), (7, 1), (3, 2), (0, 3))
"""(lowest ICE score, ICANS grade), best first: 10 -> 0, 7-9 -> 1, 3-6 -> 2, 0-2 -> 3. An ICE
score of 0 in an unarousable patient is grade 4 through the consciousness domain."""

CONSCIOUSNESS = ("alert", "spontaneous", "voice", "tactile", "unarousable")
"""Depressed level of consciousness: not depressed (alert); awakens spontaneously; awakens to
voice; awakens only to tactile stimulus; unarousable or needing vigorous or repetitive tactile
stimuli, stupor or coma."""
CONSCIOUSNESS_GRADE = (0, 1, 2, 3, 4)

SEIZURE = ("none", "rapid_resolving", "prolonged")
"""None; any clinical seizure that resolves rapidly, or non-convulsive seizures on EEG that
resolve with intervention; life-threatening prolonged (> 5 min) or repetitive seizures without
return to baseline in between."""
SEIZURE_GRADE = (0, 3, 4)

MOTOR_WEAKNESS_GRADE = 4
"""Deep focal motor weakness such as hemiparesis or paraparesis."""

CEREBRAL_EDEMA = ("none", "focal", "diffuse")
"""Raised intracranial pressure / cerebral oedema: none; focal or local oedema on imaging;
diffuse oedema on imaging, decerebrate or decorticate posturing, cranial nerve VI palsy,
papilloedema or Cushing's triad."""
CEREBRAL_EDEMA_GRADE = (0, 3, 4)

# --- Immune effector cell-associated haematotoxicity, neutrophils: rejeski2023, ICAHT table ---
EARLY_ICAHT_DAYS = (0, 30)
"""Early ICAHT is graded on days 0 to 30 after infusion; late ICAHT after day 30."""
ANC_SEVERE_PER_UL = 500.0
ANC_PROFOUND_PER_UL = 100.0
EARLY_SEVERE_DAYS = ((30, 4), (14, 3), (7, 2), (1, 1))
"""(days with ANC <= 500/uL, grade), worst first: >= 30 -> 4, 14-29 -> 3, 7-13 -> 2, 1-6 -> 1."""
EARLY_PROFOUND_DAYS = ((7, 4),)
"""(days with ANC <= 100/uL, grade): >= 7 -> 4."""
NONSTABLE_RECOVERY_DAYS = 3
"""Rises above the threshold lasting fewer days than this are non-stable recovery and count
towards the cumulative days below it (the counting rule as restated with the later T-ICAHT
table, http://www.ash-sap.org/view-large/12809257). The cells of the neutrophil table above
follow the evidence base, which records them as recalled; the stored copy of the paper's table
could not be read (see docs/safety.md)."""
LATE_ANC_PER_UL = ((100.0, 4), (500.0, 3), (1000.0, 2), (1500.0, 1))
"""(ANC threshold in /uL, grade) after day 30, worst first: ANC at or below the threshold."""
LATE_MIN_VALUES = 2
"""Late ICAHT needs at least two values at or below the threshold (or non-transient
cytopenia)."""

# --- CAR-HEMATOTOX: rejeski2021, score table; measured before lymphodepletion (about day -5) ---
HEMATOTOX_PLATELETS_PER_NL = ((75.0, "<", 2), (175.0, "<=", 1))
"""(cut-off, comparison, points), first match wins: < 75 -> 2, 75-175 -> 1, > 175 -> 0 (10^9/L)."""
HEMATOTOX_ANC_PER_UL = ((1200.0, "<", 1),)
HEMATOTOX_HAEMOGLOBIN_G_PER_DL = ((9.0, "<", 1),)
HEMATOTOX_CRP_MG_PER_L = ((30.0, ">=", 1),)
"""Printed as 3.0 mg/dL; held in mg/L, the unit of the model's CRP."""
HEMATOTOX_FERRITIN_NG_PER_ML = ((2000.0, ">", 2), (650.0, ">=", 1))
"""> 2000 -> 2, 650-2000 -> 1, < 650 -> 0 (ng/mL)."""
HEMATOTOX_RISK = ("low", "high")
HEMATOTOX_HIGH_RISK_SCORE = 2
"""A score of 0-1 is low risk, >= 2 high risk."""

# --- Hypogammaglobulinaemia by serum IgG in g/L, worst first (first match wins) ---
HYPOGAMMAGLOBULINAEMIA = ("normal", "mild", "moderate", "severe", "profound")
IGG_CATEGORY_BANDS_G_PER_L = (
    (1.5, "<", "profound"),  # otani2022 (AAAAI work group): IgG < 150 mg/dL, replace regardless
    (4.0, "<=", "severe"),   # hill2019: consider replacement at IgG <= 400 mg/dL after CAR-T
    (6.0, "<=", "moderate"),  # hill2019: IgG 400-600 mg/dL with serious recurrent infections
    (7.0, "<", "mild"),      # ohmoto2022: generally accepted definition, IgG < 700 mg/dL
)
