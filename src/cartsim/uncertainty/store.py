"""The on-disk layout of a sensitivity run, written chunk by chunk so that it can resume.

    DIR/run.json                    what is being run (checked on --resume)
    DIR/chunks/NNNNNN.outputs.npz   endpoints, censoring flags and failures of one chunk
    DIR/chunks/NNNNNN.done          written last: the chunk is finished

The manifest check and the list of finished chunks are those of a trial run
(``trials.store.ChunkStore``); only what a chunk holds differs. This module reads and writes
files; it evaluates nothing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cartsim.trials.store import ChunkStore, write_atomically
from cartsim.uncertainty.evaluate import EvaluationResult


class SampleStore(ChunkStore):
    """Finished chunks of one sensitivity run under ``out``."""

    def write(self, result: EvaluationResult) -> None:  # type: ignore[override]
        """Write one chunk's arrays, then its marker."""
        stem = self.chunks / f"{result.index:06d}"

        def save(path: Path) -> None:
            with open(path, "wb") as f:
                np.savez(f, outputs=result.outputs, censored=result.censored,
                         failures=np.array(result.failures, dtype=str))

        write_atomically(stem.with_suffix(".outputs.npz"), save)
        stem.with_suffix(".done").touch()

    def results(self) -> EvaluationResult:
        """Every finished chunk joined in chunk order (``index`` is the number of chunks)."""
        parts = []
        for index in sorted(self.done()):
            with np.load(self.chunks / f"{index:06d}.outputs.npz") as data:
                parts.append((data["outputs"], data["censored"], data["failures"].tolist()))
        return EvaluationResult(len(parts), np.concatenate([p[0] for p in parts]),
                                np.concatenate([p[1] for p in parts]),
                                tuple(f for p in parts for f in p[2]))
