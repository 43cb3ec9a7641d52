"""Trials at scale: the pieces that keep memory bounded by the chunk size give today's numbers.

Chunk tables merged a chunk at a time equal one ``pandas.concat``; sparse band files add up to
the dense counts; arms and patients drawn a chunk at a time equal the whole-trial draws; and a
whole trial with a stand-in engine keeps its traced memory nearly flat in the number of patients.
"""

from __future__ import annotations

import tracemalloc
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartsim.io.scenario import load_scenario
from cartsim.parameters import load_catalog
from cartsim.population import sample_patient, screen
from cartsim.trials import bands
from cartsim.trials import run as run_module
from cartsim.trials import store as store_module
from cartsim.trials.chunk import EVENT_COLUMNS, ChunkResult
from cartsim.trials.randomise import assign_arms
from cartsim.trials.run import run_trial
from cartsim.trials.store import ChunkStore

SCENARIO = "scenarios/ms_cd19_vs_ocrelizumab.toml"


def _result(index: int, rows: pd.DataFrame, events: pd.DataFrame, counts: np.ndarray) -> ChunkResult:
    return ChunkResult(index, rows, events, counts, None)


@pytest.mark.parametrize("row_group_rows", [1, 2, 65_536])
def test_merging_chunk_by_chunk_equals_one_concat(tmp_path, monkeypatch, row_group_rows):
    monkeypatch.setattr(store_module, "ROW_GROUP_ROWS", row_group_rows)
    ok = pd.DataFrame({"patient": [0, 1], "arm": ["A", "B"], "status": ["ok", "ok"],
                       "reason": ["", "x"], "peak": [1.5, 2.5], "grade": [0.0, 2.0]})
    failed = pd.DataFrame({"patient": [2], "arm": ["A"], "status": ["failed"], "reason": ["why"]})
    late = pd.DataFrame({"patient": [3], "arm": ["B"], "status": ["ok"], "reason": [""],
                         "grade": [1.0], "peak": [0.5], "extra": [7.0]})
    events = [pd.DataFrame([[0, "A", "relapse", 30.0, np.nan, np.nan]], columns=list(EVENT_COLUMNS)),
              pd.DataFrame([], columns=list(EVENT_COLUMNS)),
              pd.DataFrame([[3, "B", "crs", 2.0, 1.0, 3.0]], columns=list(EVENT_COLUMNS))]
    store = ChunkStore(tmp_path)
    store.start({"run": 1}, resume=False)
    counts = np.zeros((2, 3), dtype=np.int64)
    for index, rows in enumerate((ok, failed, late)):
        store.write(_result(index, rows, events[index], counts + index))
    store.merge(".rows.parquet", tmp_path / "rows.parquet", lambda r: r)
    store.merge(".events.parquet", tmp_path / "events.parquet", lambda r: r)
    expected = pd.concat([ok, failed, late], ignore_index=True)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "rows.parquet"), expected)
    groups = pq.ParquetFile(tmp_path / "rows.parquet").num_row_groups
    assert groups == {1: 3, 2: 2, 65_536: 1}[row_group_rows]
    merged = pd.read_parquet(tmp_path / "events.parquet")
    assert merged["event"].tolist() == ["relapse", "crs"] and merged["day"].tolist() == [30.0, 2.0]
    assert store.counts().tolist() == [[3, 3, 3], [3, 3, 3]]


@given(st.lists(st.lists(st.integers(0, 5), min_size=4, max_size=4), min_size=1, max_size=4))
@settings(max_examples=25, deadline=None)
def test_sparse_band_files_add_up_to_the_dense_counts(tmp_path_factory, chunks):
    out = tmp_path_factory.mktemp("bands")
    store = ChunkStore(out)
    store.start({"run": 1}, resume=False)
    dense = [np.array(c, dtype=np.int64).reshape(2, 2) for c in chunks]
    for index, counts in enumerate(dense):
        store.write(_result(index, pd.DataFrame({"patient": [index]}),
                            pd.DataFrame([], columns=list(EVENT_COLUMNS)), counts))
    assert np.array_equal(store.counts(), sum(dense))


@given(st.integers(1, 60), st.integers(2, 4), st.data())
def test_arms_drawn_for_a_chunk_are_that_slice_of_the_whole_allocation(n, n_arms, data):
    start = data.draw(st.integers(0, n - 1))
    for design in ("parallel", "crossover"):
        assert assign_arms(n, n_arms, design, 3, start=start) == assign_arms(n, n_arms, design, 3)[start:]


def test_screening_keeps_indices_and_draws_the_same_patients_again():
    catalog = load_catalog()
    scenario = load_scenario(SCENARIO)
    screening = screen(catalog, scenario.population, 5, 40)
    chunk = screening.patients_between(10, 14)
    assert [vp.index for vp in chunk] == screening.indices[10:14].tolist()
    assert list(chunk) == [sample_patient(catalog, scenario.population, 5, int(i))
                           for i in screening.indices[10:14]]


@dataclass(frozen=True)
class _Instant:
    """An engine that returns a fixed successful row and band count per patient-arm, unsimulated."""

    def map(self, run, tasks):
        for task in tasks:
            rows = pd.DataFrame([{"patient": vp.index, "arm": task.arms[a].name, "status": "ok",
                                  "reason": "", "attempts": 1, "crs_max_grade": 0.0,
                                  "icans_max_grade": 0.0}
                                 for vp, arm_ids in zip(task.patients, task.assignments, strict=True)
                                 for a in arm_ids])
            counts = bands.empty_counts(len(task.arms), bands.band_days(task.t).size)
            for arm_ids in task.assignments:
                counts[:, list(arm_ids), :, 1] += 1   # every value in the lowest non-zero bin
            yield ChunkResult(task.index, rows, pd.DataFrame([], columns=list(EVENT_COLUMNS)),
                              counts, None)


def _traced_peak(scenario, out, n: int) -> int:
    tracemalloc.start()
    try:
        run_trial(scenario, out, n_patients=n, chunk_size=50, engine=_Instant())
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_whole_trial_memory_hardly_grows_with_the_number_of_patients(tmp_path, monkeypatch):
    # The report's figures allocate a few MB that vary by hundreds of KB from run to run, which
    # would drown the signal; their inputs are read column-wise like the summaries'.
    monkeypatch.setattr(run_module, "write_trial_report", lambda *args: None)
    scenario = replace(load_scenario(SCENARIO), horizon_days=30.0)
    run_trial(scenario, tmp_path / "warm", n_patients=50, chunk_size=50, engine=_Instant())
    small = _traced_peak(scenario, tmp_path / "small", 500)
    large = _traced_peak(scenario, tmp_path / "large", 5000)
    # Holding every enrolled virtual patient costs several hundred bytes each; the streaming
    # pipeline keeps a few numbers per patient (index, one column at a time).
    assert (large - small) / 4500 < 200, f"{(large - small) / 4500:.0f} bytes per patient"
