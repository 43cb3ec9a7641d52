"""Where chunks run: in this process, in local worker processes, or on a Dask cluster.

An engine maps a chunk function (``trials.chunk.run_chunk``, or the sensitivity analysis'
``uncertainty.evaluate.evaluate_chunk``) over picklable tasks and yields results as they
finish, keeping a bounded number of chunks in flight (twice the workers) so that memory stays
bounded by the chunk size, not by the number of patients. Results are independent of the
engine: each patient carries its own random streams, each sensitivity evaluation is
deterministic, and the caller writes results by chunk index. Worker processes are started
with ``fork`` on Linux, so that they inherit whatever the parent has already compiled (in a
session that simulated before) and are quick to start; elsewhere they spawn. A worker that
finds the model uncompiled compiles it once. ``make_engine`` builds the engine that a command
line names (``--engine``, ``--workers``, ``--address``), with the same checks for every command.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import TypeVar

from cartsim.errors import CartsimError

ENGINES = ("local", "dask")
NO_DASHBOARD = {"dashboard_address": "127.0.0.1:0", "scheduler_kwargs": {"dashboard": False}}
"""LocalCluster options: no dashboard, and the scheduler's small HTTP server on a free local
port; on its default port 8787 it collides (with a warning) with any other cluster running."""
Task = TypeVar("Task")
Result = TypeVar("Result")


def _bounded(submit: Callable[[Task], Future], tasks: Iterable[Task], in_flight: int,
             wait_any: Callable[[set], set]) -> Iterator[Result]:
    pending: set = set()
    for task in tasks:
        pending.add(submit(task))
        if len(pending) >= in_flight:
            finished = wait_any(pending)
            pending -= finished
            yield from (f.result() for f in finished)
    while pending:
        finished = wait_any(pending)
        pending -= finished
        yield from (f.result() for f in finished)


@dataclass(frozen=True)
class LocalEngine:
    """Run chunks in this process (``workers = 1``) or in a pool of worker processes."""

    workers: int = 1

    def map(self, run: Callable[[Task], Result], tasks: Iterable[Task]) -> Iterator[Result]:
        if self.workers <= 1:
            yield from (run(task) for task in tasks)
            return
        method = "fork" if sys.platform.startswith("linux") else "spawn"
        context = multiprocessing.get_context(method)
        with ProcessPoolExecutor(self.workers, mp_context=context) as pool:
            yield from _bounded(lambda task: pool.submit(run, task), tasks, 2 * self.workers,
                                lambda fs: wait(fs, return_when=FIRST_COMPLETED).done)


@dataclass(frozen=True)
class DaskEngine:
    """Run chunks on a Dask cluster: the scheduler at ``address``, or a new LocalCluster."""

    address: str | None = None
    workers: int = 2

    def map(self, run: Callable[[Task], Result], tasks: Iterable[Task]) -> Iterator[Result]:
        from dask.distributed import Client, LocalCluster
        from dask.distributed import wait as dask_wait

        if self.address:
            client, cluster = Client(self.address), None
        else:
            cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                   **NO_DASHBOARD)
            client = Client(cluster)
        try:
            in_flight = 2 * max(1, len(client.scheduler_info()["workers"]))
            yield from _bounded(lambda task: client.submit(run, task, pure=False), tasks, in_flight,
                                lambda fs: set(dask_wait(list(fs), return_when="FIRST_COMPLETED").done))
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def make_engine(name: str, workers: int = 1, address: str | None = None
                ) -> LocalEngine | DaskEngine:
    """The engine a command line names: ``local`` (``workers`` processes) or ``dask``.

    ``address`` is the Dask scheduler to use; without it ``dask`` starts a LocalCluster of
    ``workers`` processes. Raises a CartsimError in one sentence for an unknown name, fewer than
    one worker, or an address without ``dask``.

    Examples
    --------
    >>> make_engine("local", 2)
    LocalEngine(workers=2)
    >>> make_engine("dask", 2, "tcp://scheduler:8786")
    DaskEngine(address='tcp://scheduler:8786', workers=2)
    """
    if name not in ENGINES:
        raise CartsimError(f'--engine "{name}" is not known; use {" or ".join(ENGINES)}')
    if workers < 1:
        raise CartsimError(f"--workers must be at least 1, not {workers}")
    if address and name != "dask":
        raise CartsimError("--address needs --engine dask")
    return DaskEngine(address, workers) if name == "dask" else LocalEngine(workers)
