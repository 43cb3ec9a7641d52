"""Write and read single-patient simulation results with their provenance.

``write_results`` puts three files in a folder: ``trajectories.nc`` (the Dataset, NetCDF4
via h5netcdf, units and descriptions on every variable, provenance in the global
attributes), ``summary.csv`` (one row per arm, from ``report.summary``) and
``provenance.json``. ``read_results`` loads the trajectories back. This module only moves
finished results to and from disk: it must not run simulations or alter the numbers.
"""

from __future__ import annotations

import json
from pathlib import Path

import xarray as xr

from cartsim.errors import CartsimError
from cartsim.io.provenance import Provenance
from cartsim.report.summary import summarise

TRAJECTORIES_FILE = "trajectories.nc"
SUMMARY_FILE = "summary.csv"
PROVENANCE_FILE = "provenance.json"

_REQUIRED_ATTRS = ("units", "long_name")


def _check_described(ds: xr.Dataset) -> None:
    """Raise if a data variable lacks a unit or a description."""
    for name, variable in ds.data_vars.items():
        missing = [attr for attr in _REQUIRED_ATTRS if attr not in variable.attrs]
        if missing:
            raise CartsimError(
                f"results: variable {name!r} has no {' or '.join(missing)} attribute; "
                "every written variable needs 'units' and 'long_name'."
            )


def write_results(ds: xr.Dataset, out_dir: Path) -> list[Path]:
    """Write trajectories, the per-arm summary and the provenance of a simulation.

    Parameters
    ----------
    ds:
        Trajectories (dims ``arm``, ``time``) whose attrs hold ``Provenance.as_attrs()``.
    out_dir:
        Folder to write into; created if missing, existing result files are replaced.

    Returns
    -------
    list of Path
        ``trajectories.nc``, ``summary.csv`` and ``provenance.json`` in ``out_dir``.

    Raises
    ------
    CartsimError
        If a variable has no ``units`` or ``long_name``, or the provenance is missing.

    Examples
    --------
    >>> paths = write_results(simulate(scenario), Path("out"))  # doctest: +SKIP
    >>> [p.name for p in paths]  # doctest: +SKIP
    ['trajectories.nc', 'summary.csv', 'provenance.json']
    """
    _check_described(ds)
    provenance = Provenance.from_attrs(ds.attrs)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    trajectories = out_dir / TRAJECTORIES_FILE
    ds.to_netcdf(trajectories, engine="h5netcdf")

    summary = out_dir / SUMMARY_FILE
    summarise(ds).to_csv(summary, index_label="arm")

    record = out_dir / PROVENANCE_FILE
    record.write_text(json.dumps(provenance.as_json_dict(), indent=2) + "\n", encoding="utf-8")
    return [trajectories, summary, record]


def read_results(path: Path) -> xr.Dataset:
    """Load trajectories written by :func:`write_results` into memory.

    Parameters
    ----------
    path:
        The results folder or the ``trajectories.nc`` file itself.

    Returns
    -------
    xarray.Dataset
        The trajectories, with their attributes; time stays in plain days (not decoded).

    Raises
    ------
    CartsimError
        If there is no trajectories file at ``path``.

    Examples
    --------
    >>> ds = read_results(Path("out"))  # doctest: +SKIP
    >>> Provenance.from_attrs(ds.attrs).seed  # doctest: +SKIP
    42
    """
    path = Path(path)
    file = path / TRAJECTORIES_FILE if path.is_dir() else path
    if not file.is_file():
        raise CartsimError(
            f"results: {file} does not exist; give a folder written by write_results "
            f"or its {TRAJECTORIES_FILE}."
        )
    with xr.open_dataset(
        file, engine="h5netcdf", decode_times=False, decode_timedelta=False
    ) as stored:
        return stored.load()
