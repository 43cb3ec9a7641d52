"""One chunk of a virtual trial: simulate its patients and reduce them to rows, events, bands.

``run_chunk`` is what a worker process (local or Dask) executes. It receives everything it
needs in a picklable ``ChunkTask`` (virtual patients with their arms, the catalogue, solver
settings, the seed), integrates each patient's arms with retries, and returns a
``ChunkResult``: one row per patient and arm (covariates, endpoints, status), the events
(relapses, B-cell reappearance, CRS and ICANS episodes, neutropenia, serious infections,
tocilizumab and dexamethasone doses given by ``managed``), band counts, and, when asked, the
daily trajectories of the endpoint series. Random numbers come from one stream per patient
(``numpy.random.default_rng([seed, patient, stream])``), so a patient's numbers do not depend
on which chunk or worker runs it. A patient that cannot be integrated is reported with its
status and reason, never as silent NaNs; ``attempts`` in a row counts the integrations tried
(1: the first succeeded; 0: the untreated steady state failed, so no arm was integrated).
Writing files is the caller's job.
"""

from __future__ import annotations

import copyreg
import math
from dataclasses import asdict, dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from cartsim.errors import CartsimError
from cartsim.parameters.catalog import Catalog
from cartsim.population import VirtualPatient
from cartsim.safety import LinkThresholds
from cartsim.simulation import ArmRun, run_arms
from cartsim.solve.settings import SolverSettings
from cartsim.therapies.management import DEXAMETHASONE, TOCILIZUMAB
from cartsim.therapies.regimens import Arm, CarT
from cartsim.trials import bands
from cartsim.trials.endpoints import SERIES, arm_endpoints, reappearance_day, relapse_days
from cartsim.trials.haematotoxicity import simulated_cytopenia
from cartsim.trials.infections import (
    INFECTION_STREAM,
    InfectionRates,
    cumulative_infection_hazard,
    infection_events,
)
from cartsim.trials.toxicity import simulated_toxicity

RELAPSE_STREAM = 1
"""Stream number of a patient's relapse draws (shared by all arms of a crossover patient)."""


def _mappingproxy(items: dict) -> MappingProxyType:
    return MappingProxyType(items)


copyreg.pickle(MappingProxyType, lambda m: (_mappingproxy, (dict(m),)))


@dataclass(frozen=True)
class ChunkTask:
    """Everything a worker needs to simulate one chunk of patients."""

    index: int
    patients: tuple[VirtualPatient, ...]
    assignments: tuple[tuple[int, ...], ...]
    arms: tuple[Arm, ...]
    settings: SolverSettings
    seed: int
    catalog: Catalog
    t: np.ndarray
    keep_trajectories: bool


@dataclass(frozen=True)
class ChunkResult:
    """The reduced results of one chunk."""

    index: int
    rows: pd.DataFrame
    events: pd.DataFrame
    counts: np.ndarray
    trajectories: np.ndarray | None


def event_thresholds(seed: int, patient: int, stream: int, needed: float) -> np.ndarray:
    """Running sums of unit exponential draws of one patient's ``stream``, at least to ``needed``.

    Draws come in fixed batches, so the sequence is the same however far it is extended.

    Examples
    --------
    >>> a = event_thresholds(1, 0, RELAPSE_STREAM, 5.0)
    >>> bool(a[-1] > 5.0), bool((event_thresholds(1, 0, RELAPSE_STREAM, 50.0)[:a.size] == a).all())
    (True, True)
    """
    rng = np.random.default_rng([seed, patient, stream])
    sums = np.cumsum(rng.exponential(size=32))
    while sums[-1] <= needed:
        sums = np.concatenate((sums, sums[-1] + np.cumsum(rng.exponential(size=32))))
    return sums


def _covariates(vp: VirtualPatient) -> dict[str, object]:
    return {**asdict(vp.patient), "bsa_m2": vp.patient.bsa_m2}


def _failed_rows(vp: VirtualPatient, arms: tuple[Arm, ...], arm_ids: tuple[int, ...],
                 reason: str, attempts: int) -> list[dict[str, object]]:
    return [{"patient": vp.index, "arm": arms[a].name, "status": "failed", "reason": reason,
             "attempts": attempts, **_covariates(vp)} for a in arm_ids]


def _patient(task: ChunkTask, vp: VirtualPatient, arm_ids: tuple[int, ...], link: LinkThresholds,
             counts: np.ndarray, trajectories: np.ndarray | None, row_index: int
             ) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    arms = tuple(task.arms[a] for a in arm_ids)
    try:
        runs = run_arms(arms, vp.patient, task.catalog.with_values(vp.parameter_values),
                        task.t, task.settings, observables=SERIES)
    except CartsimError as error:
        return _failed_rows(vp, task.arms, arm_ids, str(error), 0), []
    hazard = max((float(np.nanmax(r.observables["expected_relapses"])) for r in runs if r.ok),
                 default=0.0)
    thresholds = event_thresholds(task.seed, vp.index, RELAPSE_STREAM, hazard)
    rates = InfectionRates.from_catalog(task.catalog.with_values(vp.parameter_values))
    infection_hazards = {run.name: cumulative_infection_hazard(
        run.t, run.observables["neutrophils_blood_per_ul"], run.observables["igg_g_per_l"], rates)
        for run in runs if run.ok}
    infection_thresholds = event_thresholds(
        task.seed, vp.index, INFECTION_STREAM,
        max((float(h[-1]) for h in infection_hazards.values()), default=0.0))
    rows, events = [], []
    for a, run in zip(arm_ids, runs, strict=True):
        if not run.ok:
            rows += _failed_rows(vp, task.arms, (a,), "; ".join(run.attempts), len(run.attempts))
            continue
        row, arm_events = _arm_outcome(task.arms[a], run, thresholds, link)
        infection_row, infection_list = infection_events(run.t, infection_hazards[run.name],
                                                         infection_thresholds)
        row.update(infection_row)
        arm_events += infection_list
        rows.append({"patient": vp.index, "arm": run.name, "status": "ok",
                     "reason": "; ".join(run.attempts[:-1]), "attempts": len(run.attempts),
                     **_covariates(vp), **row})
        events += [{"patient": vp.index, "arm": run.name, **e} for e in arm_events]
        bands.add_patient(counts, a, run.t, run.observables)
        if trajectories is not None:
            trajectories[row_index, a] = np.array([run.observables[s] for s in SERIES])
    return rows, events


def _arm_outcome(arm: Arm, run: ArmRun, thresholds: np.ndarray, link: LinkThresholds
                 ) -> tuple[dict[str, float], list[dict[str, object]]]:
    series, t = run.observables, run.t
    relapses = relapse_days(t, series["expected_relapses"], thresholds)
    row = arm_endpoints(t, series, relapses, run.last_dose_day, isinstance(arm.therapy, CarT))
    toxicity = simulated_toxicity(t, series["il6_signalling_pg_per_ml"], series["crp_mg_per_l"],
                                  series["bbb_index"], link, run.first_dose_time)
    row.update(toxicity.summary)
    row.update(management_columns(run))
    events: list[dict[str, object]] = [
        {"event": "relapse", "day": float(d), "grade": math.nan, "duration_days": math.nan}
        for d in relapses]
    back = reappearance_day(t, series["bcell_blood_per_ul"])
    if math.isfinite(back):
        events.append({"event": "b_cell_reappearance", "day": back, "grade": math.nan,
                       "duration_days": math.nan})
    events += toxicity.events
    cytopenia = simulated_cytopenia(t, series["neutrophils_blood_per_ul"],
                                    series["platelets_blood_per_nl"])
    row.update(cytopenia.summary)
    events += cytopenia.events
    events += [{"event": d.drug, "day": d.time, "grade": float(d.grade), "duration_days": math.nan}
               for d in run.doses]
    return row, events


def management_columns(run: ArmRun) -> dict[str, float]:
    """Per-patient management columns: any dose and dose counts of tocilizumab and
    dexamethasone (NaN for arms whose CRS/ICANS is not managed), re-integration rounds, and 1
    when management ran to the end (0 when the round limit cut it short)."""
    if not run.managed:
        return dict.fromkeys(_MANAGEMENT_COLUMNS, math.nan)
    row: dict[str, float] = {}
    for drug in (TOCILIZUMAB, DEXAMETHASONE):
        count = sum(d.drug == drug for d in run.doses)
        row[f"{drug}_any"], row[f"{drug}_doses"] = float(count > 0), float(count)
    row["management_rounds"] = float(run.management_rounds)
    row["management_complete"] = float(run.management_complete)
    return row


_MANAGEMENT_COLUMNS = ("tocilizumab_any", "tocilizumab_doses", "dexamethasone_any",
                       "dexamethasone_doses", "management_rounds", "management_complete")


def run_chunk(task: ChunkTask) -> ChunkResult:
    """Simulate every patient of ``task`` and reduce the results (see the module docstring)."""
    rows: list[dict[str, object]] = []
    events: list[dict[str, object]] = []
    counts = bands.empty_counts(len(task.arms), bands.band_days(task.t).size)
    link = LinkThresholds.from_catalog(task.catalog)
    trajectories = (np.full((len(task.patients), len(task.arms), len(SERIES), task.t.size), np.nan,
                            dtype=np.float32) if task.keep_trajectories else None)
    for row_index, (vp, arm_ids) in enumerate(zip(task.patients, task.assignments, strict=True)):
        patient_rows, patient_events = _patient(task, vp, arm_ids, link, counts, trajectories,
                                                row_index)
        rows += patient_rows
        events += patient_events
    return ChunkResult(task.index, pd.DataFrame(rows), pd.DataFrame(events, columns=list(EVENT_COLUMNS)),
                       counts, trajectories)


EVENT_COLUMNS = ("patient", "arm", "event", "day", "grade", "duration_days")
"""Columns of the events table; ``grade`` and ``duration_days`` apply to CRS/ICANS episodes and
to neutropenia (early ICAHT grade, days with ANC <= 500/uL). Management doses are events
``tocilizumab`` and ``dexamethasone`` at the (fractional) day given, with ``grade`` the CRS or
ICANS grade that met the guidance threshold."""

