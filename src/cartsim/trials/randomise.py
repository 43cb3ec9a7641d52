"""Arms for enrolled patients: permuted-block randomisation or a crossover design.

Allocation depends only on the seed, the enrolment position and the number of arms, never on
chunking or workers. This module draws allocation numbers and nothing else.
"""

from __future__ import annotations

import math

import numpy as np

RANDOMISATION_STREAM = 2
"""Stream number of the randomisation draws of a permuted block."""


def assign_arms(n_enrolled: int, n_arms: int, design: str, seed: int, start: int = 0
                ) -> list[tuple[int, ...]]:
    """Arms of enrolled patients ``start`` to ``n_enrolled - 1``, in enrolment order.

    ``parallel``: permuted blocks of twice the number of arms, each block shuffled with its own
    stream ``[seed, block, RANDOMISATION_STREAM]``, so allocation stays balanced and does not
    depend on chunking (a chunk draws only the blocks it overlaps). ``crossover``: every patient
    gets every arm.

    Examples
    --------
    >>> sorted(a for (a,) in assign_arms(4, 2, "parallel", seed=1))
    [0, 0, 1, 1]
    >>> assign_arms(7, 2, "parallel", seed=1, start=5) == assign_arms(7, 2, "parallel", seed=1)[5:]
    True
    """
    if design == "crossover":
        return [tuple(range(n_arms))] * (n_enrolled - start)
    size = 2 * n_arms
    first = start // size
    arms: list[tuple[int, ...]] = []
    for block in range(first, math.ceil(n_enrolled / size)):
        rng = np.random.default_rng([seed, block, RANDOMISATION_STREAM])
        arms += [(int(a),) for a in rng.permutation(np.arange(size) % n_arms)]
    return arms[start - first * size:n_enrolled - first * size]
