"""Reading one TOML file of the catalogue whose only top-level key is a given table.

Used by the records and the assumptions register so both report bad syntax and stray keys in
the same words. This module must not interpret the tables it returns.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from cartsim.errors import ParameterError


def read_tables(path: Path, key: str, hint: str) -> dict[str, object]:
    """Return ``document[key]`` of the TOML file at ``path`` (empty if absent).

    ``hint`` says where entries belong, e.g. ``"record under [parameters.<name>]"``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d, "x.toml")
    ...     _ = p.write_text("[parameters.a]\\nvalue = 1\\n")
    ...     read_tables(p, "parameters", "record under [parameters.<name>]")
    {'a': {'value': 1}}
    """
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"{path}: is not valid TOML ({exc}); fix the syntax.") from None
    extra = [k for k in document if k != key]
    if extra:
        raise ParameterError(f'{path}: top-level key "{extra[0]}" is not allowed; put every {hint}.')
    return document.get(key, {})
