"""Names of the B-lineage subsets and of the autoreactive split (shared by layout and states)."""

from __future__ import annotations

SUBSETS = ("pre_b", "transitional", "naive", "memory", "plasmablast", "plasma_cell")
PRE_B, TRANSITIONAL, NAIVE, MEMORY, PLASMABLAST, PLASMA_CELL = range(6)
REACTIVITY = ("nonauto", "auto")
NONAUTO, AUTO = 0, 1
