"""Provenance: the record of what produced a result (version, digests, seed, solver, time).

Every written result carries one ``Provenance``, flattened into netCDF-safe attributes and
also written as ``provenance.json``. This module only describes and converts the record; it
must not compute digests of parameters or scenarios (their owners do) nor run anything.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType

from cartsim.errors import CartsimError

AttrValue = str | int | float

_SOLVER_KEYS = ("backend", "rtol", "atol")


def utc_now() -> str:
    """Return the current time as ISO 8601 UTC to the second, e.g. ``2026-01-31T12:00:00Z``.

    Examples
    --------
    >>> utc_now().endswith("Z")
    True
    """
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Provenance:
    """What produced a result: enough to reproduce the same numbers.

    Parameters
    ----------
    cartsim_version:
        The package version, ``cartsim.__version__``.
    parameter_digest:
        Digest of the parameter catalogue values used.
    scenario_name:
        Name of the scenario (or ``"single-patient"`` for direct API calls).
    scenario_digest:
        Digest of the scenario contents.
    seed:
        Random seed of the run.
    solver:
        Solver settings; must hold ``backend``, ``rtol`` and ``atol``.
    created_utc:
        When the result was made, ISO 8601 in UTC; defaults to now.

    Examples
    --------
    >>> p = Provenance("0.1.0", "ab12", "demo", "cd34", 7, {"backend": "rodas", "rtol": 1e-6,
    ...                "atol": 1e-9}, created_utc="2026-01-01T00:00:00Z")
    >>> p.as_attrs()["solver"]
    '{"atol": 1e-09, "backend": "rodas", "rtol": 1e-06}'
    """

    cartsim_version: str
    parameter_digest: str
    scenario_name: str
    scenario_digest: str
    seed: int
    solver: Mapping[str, str | float] = field(hash=False)
    created_utc: str = field(default_factory=utc_now)

    def __post_init__(self) -> None:
        missing = [key for key in _SOLVER_KEYS if key not in self.solver]
        if missing:
            raise CartsimError(
                f"provenance: solver settings lack {', '.join(missing)}; "
                f"they must give {', '.join(_SOLVER_KEYS)}."
            )
        object.__setattr__(self, "solver", MappingProxyType(dict(self.solver)))

    def as_attrs(self) -> dict[str, AttrValue]:
        """Return the record as flat netCDF-safe attributes (the solver as a JSON string).

        Examples
        --------
        >>> p = Provenance("0.1.0", "ab", "demo", "cd", 1,
        ...                {"backend": "radau", "rtol": 1e-8, "atol": 1e-10})
        >>> sorted(p.as_attrs())[:3]
        ['cartsim_version', 'created_utc', 'parameter_digest']
        """
        return {
            "cartsim_version": self.cartsim_version,
            "parameter_digest": self.parameter_digest,
            "scenario_name": self.scenario_name,
            "scenario_digest": self.scenario_digest,
            "seed": int(self.seed),
            "solver": json.dumps(dict(self.solver), sort_keys=True),
            "created_utc": self.created_utc,
        }

    def as_json_dict(self) -> dict[str, object]:
        """Return the record as a JSON-ready nested dictionary (the solver as an object).

        Examples
        --------
        >>> p = Provenance("0.1.0", "ab", "demo", "cd", 1,
        ...                {"backend": "radau", "rtol": 1e-8, "atol": 1e-10})
        >>> p.as_json_dict()["solver"]["backend"]
        'radau'
        """
        flat: dict[str, object] = dict(self.as_attrs())
        flat["solver"] = dict(self.solver)
        return flat

    @classmethod
    def from_attrs(cls, attrs: Mapping[str, object]) -> Provenance:
        """Rebuild the record from attributes written by :meth:`as_attrs`.

        Raises
        ------
        CartsimError
            If a provenance attribute is missing.

        Examples
        --------
        >>> p = Provenance("0.1.0", "ab", "demo", "cd", 1,
        ...                {"backend": "radau", "rtol": 1e-8, "atol": 1e-10})
        >>> Provenance.from_attrs(p.as_attrs()) == p
        True
        """
        keys = (
            "cartsim_version",
            "parameter_digest",
            "scenario_name",
            "scenario_digest",
            "seed",
            "solver",
            "created_utc",
        )
        missing = [key for key in keys if key not in attrs]
        if missing:
            raise CartsimError(
                f"results: the dataset has no provenance attribute(s) {', '.join(missing)}; "
                "attach Provenance(...).as_attrs() to its attrs before writing."
            )
        solver = attrs["solver"]
        return cls(
            cartsim_version=str(attrs["cartsim_version"]),
            parameter_digest=str(attrs["parameter_digest"]),
            scenario_name=str(attrs["scenario_name"]),
            scenario_digest=str(attrs["scenario_digest"]),
            seed=int(str(attrs["seed"])),
            solver=json.loads(solver) if isinstance(solver, str) else dict(solver),
            created_utc=str(attrs["created_utc"]),
        )
