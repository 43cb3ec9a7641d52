"""The bibliography of the catalogue: a small parser for ``references.bib`` and its entries.

Reads BibTeX entries (``@article{key, author = {...}, year = 2020, ...}``, values in braces,
quotes or bare) into frozen ``Reference`` objects that can print a one-line citation. ``@comment``,
``@preamble`` and ``@string`` blocks are skipped, and lines starting with ``%`` are comments.
This module must not know about parameter records; resolving keys is the catalogue's job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import NoReturn

from cartsim.errors import ParameterError

_HEAD = re.compile(r"@\s*([A-Za-z]+)\s*([{(])")
_KEY = re.compile(r"\s*([^\s,{}()=\"#]+)\s*,")
_FIELD = re.compile(r"\s*([A-Za-z][\w\-:.]*)\s*=\s*")
_BARE = re.compile(r"[^\s,#{}()\"]+")
_SKIPPED = ("comment", "preamble", "string")


@dataclass(frozen=True)
class Reference:
    """One bibliography entry; ``fields`` has lower-case names and brace-free values.

    Examples
    --------
    >>> refs = parse_bibtex('@article{stein2019, author = {Stein, A. M. and Grupp, S. A. and '
    ...     'June, C. H.}, title = {{CAR-T} kinetics}, journal = {CPT}, year = 2019, '
    ...     'doi = {10.1002/psp4.12388}}')
    >>> refs["stein2019"].citation()
    'Stein et al. CAR-T kinetics. CPT 2019. doi:10.1002/psp4.12388'
    """

    key: str
    entry_type: str
    fields: Mapping[str, str]

    def citation(self) -> str:
        """Return one human line: authors, title, journal and year, then the DOI or URL.

        Examples
        --------
        >>> Reference("x", "misc", {"title": "A page", "url": "https://x.org"}).citation()
        'A page. https://x.org'
        """
        fields = self.fields
        parts = []
        authors = _short_authors(fields.get("author") or fields.get("editor") or "")
        if authors:
            parts.append(authors if authors.endswith(".") else authors + ".")
        if fields.get("title"):
            parts.append(fields["title"].rstrip(".") + ".")
        venue = next((fields[f] for f in ("journal", "booktitle", "publisher", "howpublished",
                                          "institution") if fields.get(f)), "")
        venue_year = " ".join(p for p in (venue, fields.get("year", "")) if p)
        if venue_year:
            parts.append(venue_year + ".")
        if self.link:
            parts.append(self.link)
        return " ".join(parts)

    @property
    def link(self) -> str:
        """``doi:<doi>`` when the entry has a DOI, else its URL, else an empty string.

        Examples
        --------
        >>> Reference("x", "article", {"doi": "https://doi.org/10.1/abc"}).link
        'doi:10.1/abc'
        """
        doi = self.fields.get("doi", "")
        if doi:
            return "doi:" + re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", doi)
        return self.fields.get("url", "")


def load_references(path: str | Path) -> dict[str, Reference]:
    """Read a BibTeX file into references by key.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     bib = pathlib.Path(d, "references.bib")
    ...     _ = bib.write_text('@misc{who2023, title = "Fact sheet", url = {https://who.int}}')
    ...     sorted(load_references(bib))
    ['who2023']
    """
    path = Path(path)
    return parse_bibtex(path.read_text(encoding="utf-8"), source=str(path))


def parse_bibtex(text: str, source: str = "<string>") -> dict[str, Reference]:
    """Parse BibTeX ``text``; ``source`` names the file in error messages.

    Examples
    --------
    >>> parse_bibtex('@book{k, title = "T", year = 2001}')["k"].fields["year"]
    '2001'
    """
    references: dict[str, Reference] = {}
    pos = _next_entry(text, 0)
    while pos >= 0:
        head = _HEAD.match(text, pos)
        if head is None:
            _fail(text, pos, source, 'an "@" that does not start an entry such as "@article{key,"')
        entry_type = head.group(1).lower()
        close = "}" if head.group(2) == "{" else ")"
        if entry_type in _SKIPPED:
            pos = _next_entry(text, _balanced_end(text, head.end() - 1, source))
            continue
        key = _KEY.match(text, head.end())
        if key is None:
            _fail(text, head.end(), source, f'an @{entry_type} entry without a "key," after "{{"')
        if key.group(1) in references:
            _fail(text, head.end(), source, f'a second entry with key "{key.group(1)}"; keys must '
                  "be unique")
        fields, end = _parse_fields(text, key.end(), close, source)
        references[key.group(1)] = Reference(key.group(1), entry_type, MappingProxyType(fields))
        pos = _next_entry(text, end)
    return references


def _parse_fields(text: str, pos: int, close: str, source: str) -> tuple[dict[str, str], int]:
    fields: dict[str, str] = {}
    while True:
        pos = _skip_space(text, pos)
        if text.startswith(close, pos):
            return fields, pos + 1
        field = _FIELD.match(text, pos)
        if field is None:
            _fail(text, pos, source, f'text where a field such as "title = {{...}}" or the closing '
                  f'"{close}" was expected')
        pieces = []
        pos = field.end()
        while True:
            piece, pos = _parse_value(text, _skip_space(text, pos), source)
            pieces.append(piece)
            pos = _skip_space(text, pos)
            if not text.startswith("#", pos):
                break
            pos += 1
        fields[field.group(1).lower()] = " ".join("".join(pieces).replace("\\&", "&")
                                                  .replace("{", "").replace("}", "").split())
        if text.startswith(",", pos):
            pos += 1
        elif not text.startswith(close, pos):
            _fail(text, pos, source, f'a field value followed by neither "," nor "{close}"')


def _parse_value(text: str, pos: int, source: str) -> tuple[str, int]:
    if text.startswith("{", pos):
        end = _balanced_end(text, pos, source)
        return text[pos + 1:end - 1], end
    if text.startswith('"', pos):
        depth, i = 0, pos + 1
        while i < len(text):
            char = text[i]
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
            elif char == '"' and depth == 0 and text[i - 1] != "\\":
                return text[pos + 1:i], i + 1
            i += 1
        _fail(text, pos, source, "a quoted value without its closing quote")
    bare = _BARE.match(text, pos)
    if bare is None:
        _fail(text, pos, source, "a field without a value; write {...}, \"...\" or a number")
    return bare.group(0), bare.end()


def _balanced_end(text: str, pos: int, source: str) -> int:
    opening = text[pos]
    closing = "}" if opening == "{" else ")"
    depth = 0
    for i in range(pos, len(text)):
        if text[i] == opening:
            depth += 1
        elif text[i] == closing:
            depth -= 1
            if depth == 0:
                return i + 1
    _fail(text, pos, source, f'a "{opening}" that is never closed')


def _next_entry(text: str, pos: int) -> int:
    while True:
        at = text.find("@", pos)
        if at < 0:
            return -1
        line_start = text.rfind("\n", 0, at) + 1
        if not text[line_start:at].lstrip().startswith("%"):
            return at
        pos = at + 1


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _short_authors(authors: str) -> str:
    names = [a.strip() for a in re.split(r"\s+and\s+", authors) if a.strip()]
    if not names:
        return ""
    surnames = [n.split(",")[0].strip() if "," in n else n.split()[-1] for n in names]
    if len(names) > 2 or names[-1].lower() == "others":
        return f"{surnames[0]} et al."
    return " and ".join(surnames)


def _fail(text: str, pos: int, source: str, found: str) -> NoReturn:
    line = text.count("\n", 0, pos) + 1
    raise ParameterError(f"{source}: line {line}: found {found}.")
