"""The retry ladder: which settings it tries, that every attempt is bounded by a step count and
says on which day it stopped, that it stops at the first success, and that SciPy's exceptions
become statuses."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest
from scipy.integrate import Radau

from cartsim.io.scenario import load_scenario
from cartsim.model.parameterise import typical_patient
from cartsim.parameters import load_catalog
from cartsim.simulation import arm_problems, study_grid
from cartsim.solve import retry, scipy_backends
from cartsim.solve.engine import SINGULAR, STEP_LIMIT, SUCCESS, Problem, Trajectory, integrate
from cartsim.solve.retry import integrate_with_retries, retry_settings
from cartsim.solve.settings import SolverSettings

SCENARIO = "scenarios/ms_cd19_vs_ocrelizumab.toml"


@pytest.fixture(scope="module")
def problem() -> Problem:
    """The CD19 CAR-T arm of the default scenario over 30 days."""
    scenario = load_scenario(SCENARIO)
    catalog = load_catalog()
    population = scenario.population
    patient = typical_patient(catalog, population.disease, population.covariates)
    t_out = study_grid(scenario.arms[:1], patient, catalog, 30.0)
    return arm_problems(scenario.arms[:1], patient, catalog, t_out)[1][0][1]


@pytest.mark.parametrize(("backend", "ladder"), [
    ("ndf", ["ndf", "ndf", "rodas", "radau"]),
    ("rodas", ["rodas", "rodas", "radau"]),
    ("bdf", ["bdf", "bdf", "radau"]),
    ("radau", ["radau", "radau"]),
])
def test_the_ladder_tightens_then_changes_method_with_the_same_bound(backend, ladder):
    given = SolverSettings(backend, rtol=1e-5, atol=1e-8, max_steps=123)
    settings = retry_settings(given)
    assert [s.backend for s in settings] == ladder
    assert [s.rtol for s in settings][:2] == pytest.approx([1e-5, 1e-6])
    assert all(s.rtol == 1e-5 for s in settings[2:])
    assert {(s.atol, s.max_steps) for s in settings} == {(1e-8, 123)}


def test_every_attempt_stops_at_its_step_bound_and_says_where(problem):
    """Twenty steps per attempt: all four attempts fail, each names its bound and its day,
    the same on a second run (a count, not a clock), and the rows it reached are kept."""
    attempted = integrate_with_retries(problem, SolverSettings(max_steps=20))
    assert not attempted.ok
    assert attempted.trajectory.status == STEP_LIMIT
    pattern = re.compile(r"^(\w+) rtol=[\d.e-]+: step limit 20 reached at day (-?[\d.]+) ")
    matches = [pattern.match(a) for a in attempted.attempts]
    assert all(matches), attempted.attempts
    assert [m.group(1) for m in matches] == ["ndf", "ndf", "rodas", "radau"]
    days = [float(m.group(2)) for m in matches]
    assert all(problem.t_out[0] <= d < problem.t_out[-1] for d in days)
    assert integrate_with_retries(problem, SolverSettings(max_steps=20)).attempts == \
        attempted.attempts
    y = attempted.trajectory.y
    reached = ~np.isnan(y).any(axis=1)
    assert reached[0] and not reached[-1]
    assert problem.t_out[reached].max() <= days[-1] < problem.t_out[~reached].min()


def test_the_ladder_stops_at_the_first_success(problem, monkeypatch):
    """Attempts that fail are named in order; the first that succeeds ends the ladder."""
    tried = []

    def fake(problem: Problem, settings: SolverSettings) -> Trajectory:
        tried.append(settings.backend)
        status = SUCCESS if settings.backend == "rodas" else STEP_LIMIT
        message = "success" if status == SUCCESS else "step limit 5 reached at day 1"
        return Trajectory(problem.t_out, np.zeros((problem.t_out.size, 1)), status, 5,
                          message=message)

    monkeypatch.setattr(retry, "integrate", fake)
    attempted = integrate_with_retries(problem, SolverSettings(max_steps=5))
    assert attempted.ok
    assert tried == ["ndf", "ndf", "rodas"]
    assert attempted.attempts == ("ndf rtol=1e-06: step limit 5 reached at day 1",
                                  "ndf rtol=1e-07: step limit 5 reached at day 1",
                                  "rodas rtol=1e-06: success")


class _SingularRadau(Radau):
    """Radau whose third step meets the exception SciPy's sparse LU raises."""

    message = "Factor is exactly singular"

    def step(self) -> str | None:
        if self.nlu >= 2:
            raise RuntimeError(self.message)
        return super().step()


def test_a_singular_matrix_in_scipy_is_a_status_and_other_errors_are_not_hidden(problem,
                                                                                monkeypatch):
    monkeypatch.setitem(scipy_backends.METHODS, "radau", _SingularRadau)
    trajectory = integrate(problem, SolverSettings("radau"))
    assert trajectory.status == SINGULAR
    assert re.match(r"singular iteration matrix at day -?[\d.]+$", trajectory.message)
    assert np.isnan(trajectory.y[-1]).all()
    monkeypatch.setattr(_SingularRadau, "message", "something else")
    with pytest.raises(RuntimeError, match="something else"):
        integrate(problem, SolverSettings("radau"))


def test_the_default_bound_leaves_room_for_a_tighter_attempt(problem):
    """The default bound is far above what the example arm needs at a tenth of its rtol."""
    settings = SolverSettings()
    tight = integrate(problem, replace(settings, rtol=settings.rtol / 10.0))
    assert tight.status == SUCCESS
    assert tight.steps * 20 < settings.max_steps
