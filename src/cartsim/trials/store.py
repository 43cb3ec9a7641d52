"""The on-disk layout of a trial run, written chunk by chunk so that nothing finished is lost.

    DIR/run.json                 what is being run (checked on --resume)
    DIR/chunks/NNNNNN.rows.parquet, .events.parquet, .bands.npz, .done
    DIR/trajectories.zarr        daily endpoint series, chunked by patient (when asked for)

A chunk counts as finished only when its ``.done`` marker exists; the marker is written last
and every file is written under a temporary name and renamed, so an interrupted run leaves
either a whole chunk or none. Band counts are stored sparsely (the non-zero bins only: a dense
chunk array is about 8.6 MB for four arms and two years, almost all zeros). Finished chunk
tables are merged into one Parquet file a chunk at a time, buffered into row groups of about
``ROW_GROUP_ROWS`` rows (thousands of tiny row groups would make the file's footer, which every
reader parses, grow with the number of chunks), so the merge holds one row group in memory
whatever the number of patients. This module reads and writes
files; it simulates nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import zarr

from cartsim.errors import CartsimError
from cartsim.trials.chunk import ChunkResult
from cartsim.trials.endpoints import SERIES

CHUNKS = "chunks"
MANIFEST = "run.json"
TRAJECTORIES = "trajectories.zarr"
ROW_GROUP_ROWS = 65_536
"""Rows buffered into one row group of a merged table (a few tens of MB of endpoint rows)."""


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write`` on a temporary name next to ``path``, then rename it to ``path``."""
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


class ChunkStore:
    """Finished chunks of one trial run under ``out``; ``start`` and ``done`` serve any chunked run."""

    def __init__(self, out: Path):
        self.out = out
        self.chunks = out / CHUNKS

    def start(self, manifest: Mapping[str, object], resume: bool) -> None:
        """Create the layout, or check that a resumed run is the same run."""
        path = self.out / MANIFEST
        if path.exists():
            if not resume:
                raise CartsimError(f"{self.out} already holds a run; pass --resume to continue "
                                   "it or choose another --out directory")
            previous = json.loads(path.read_text())
            changed = sorted(k for k in manifest if previous.get(k) != manifest[k])
            if changed:
                raise CartsimError(f"{self.out} holds a different run ({', '.join(changed)} changed); "
                                   "it cannot be resumed with these settings")
            return
        self.chunks.mkdir(parents=True, exist_ok=True)
        write_atomically(path, lambda p: p.write_text(json.dumps(manifest, indent=2)))

    def done(self) -> set[int]:
        """Indices of finished chunks."""
        return {int(p.name.split(".")[0]) for p in self.chunks.glob("*.done")}

    def write(self, result: ChunkResult) -> None:
        """Write one chunk's rows, events and band counts, then its marker."""
        stem = self.chunks / f"{result.index:06d}"
        write_atomically(stem.with_suffix(".rows.parquet"), lambda p: result.rows.to_parquet(p, index=False))
        write_atomically(stem.with_suffix(".events.parquet"),
                lambda p: result.events.to_parquet(p, index=False))

        def save_counts(p: Path) -> None:
            flat = result.counts.reshape(-1)
            index = np.flatnonzero(flat)
            with open(p, "wb") as f:
                np.savez(f, shape=np.array(result.counts.shape), index=index, count=flat[index])

        write_atomically(stem.with_suffix(".bands.npz"), save_counts)
        stem.with_suffix(".done").touch()

    def _finished(self, suffix: str) -> Iterator[Path]:
        for index in sorted(self.done()):
            yield self.chunks / f"{index:06d}{suffix}"

    def merge(self, suffix: str, path: Path, order: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
        """Write the finished chunk tables ``*suffix`` to ``path`` in chunk order.

        Each chunk's table is put in ``order``; consecutive chunks share a row group of about
        ``ROW_GROUP_ROWS`` rows. The columns are the union of the chunks' columns in order of
        first appearance (a chunk whose patients all failed has no endpoint columns; they are
        null there), as ``pandas.concat`` gives.
        """
        files = list(self._finished(suffix))
        schema = _union_schema(pq.read_schema(f) for f in files)
        tmp = path.with_name(path.name + ".tmp")
        buffered: list[pa.Table] = []
        with pq.ParquetWriter(tmp, schema) as writer:
            for file in files:
                table = pa.Table.from_pandas(order(pd.read_parquet(file)), preserve_index=False)
                buffered.append(_conform(table, schema))
                if sum(t.num_rows for t in buffered) >= ROW_GROUP_ROWS:
                    writer.write_table(pa.concat_tables(buffered))
                    buffered = []
            if buffered:
                writer.write_table(pa.concat_tables(buffered))
        os.replace(tmp, path)

    def counts(self) -> np.ndarray:
        """Band counts summed over finished chunks."""
        total = None
        for path in self._finished(".bands.npz"):
            with np.load(path) as stored:
                if total is None:
                    total = np.zeros(tuple(stored["shape"]), dtype=np.int64)
                total.reshape(-1)[stored["index"]] += stored["count"]
        assert total is not None, "no finished chunk"
        return total


def _union_schema(schemas: Iterable[pa.Schema]) -> pa.Schema:
    """Every column of ``schemas`` in order of first appearance, with its first non-null type."""
    types: dict[str, pa.DataType] = {}
    for schema in schemas:
        for field in schema:
            if pa.types.is_null(types.get(field.name, pa.null())):
                types[field.name] = field.type
    return pa.schema(list(types.items()))


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with the columns and types of ``schema``; missing columns are null."""
    columns = [table.column(f.name).cast(f.type) if f.name in table.column_names
               else pa.nulls(table.num_rows, f.type) for f in schema]
    return pa.Table.from_arrays(columns, schema=schema)


def create_trajectories(out: Path, n_patients: int, arms: Sequence[str], t: np.ndarray,
                        chunk_size: int) -> None:
    """Create (or keep, on resume) ``trajectories.zarr``: one array per series, (patient, arm, day)."""
    path = out / TRAJECTORIES
    if path.exists():
        return
    root = zarr.open_group(str(path), mode="w")
    root.attrs.update({"arms": list(arms), "days": t.tolist(), "series": list(SERIES)})
    for name in SERIES:
        root.create_array(name, shape=(n_patients, len(arms), t.size),
                          chunks=(chunk_size, len(arms), t.size), dtype="float32",
                          fill_value=np.nan)


def write_trajectories(out: Path, first_patient: int, values: np.ndarray) -> None:
    """Write one chunk's trajectories (patients, arms, series, days) at its patient offset."""
    root = zarr.open_group(str(out / TRAJECTORIES), mode="r+")
    stop = first_patient + values.shape[0]
    for s, name in enumerate(SERIES):
        root[name][first_patient:stop] = values[:, :, s, :]
