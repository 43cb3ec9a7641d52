"""Shared pieces of the self-contained HTML reports: the page, tables and embedded figures.

A report must be readable alone (mailed or archived), so each figure is written as a PNG file
next to the report and embedded in the page as base64. Every report (trial, validation,
sensitivity) builds its page, tables and images here, so they look alike and escape text the
same way. This module formats; it computes nothing.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from pathlib import Path

from matplotlib.figure import Figure

PNG_DPI = 110
_STYLE = ("body{{font-family:sans-serif;max-width:{width}px;margin:2em auto;color:#222}}"
          "table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #ccc;"
          "padding:3px 6px}}td.num{{text-align:right}}img{{max-width:100%}}")


def embed_png(fig: Figure, path: Path) -> str:
    """Save ``fig`` as ``path`` (PNG) and return an ``<img>`` tag holding the same image.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     embed_png(Figure(figsize=(1, 1)), Path(d, "x.png")).startswith('<img alt="x"')
    True
    """
    fig.savefig(path, dpi=PNG_DPI)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=PNG_DPI)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'


def html_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A ``<table>`` with ``header`` and ``rows``; text is escaped, numbers right-aligned.

    Cells are written with ``str``; format numbers before passing them in if a fixed number of
    digits is wanted.

    Examples
    --------
    >>> html_table(["name", "value"], [["a<b", 1.5]])
    '<table><tr><th>name</th><th>value</th></tr><tr><td>a&lt;b</td><td class="num">1.5</td></tr></table>'
    """
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _cell(value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'<td class="num">{value}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def html_page(title: str, body: str, *, width_px: int = 1000, style: str = "") -> str:
    """A whole HTML document titled ``title`` around ``body`` (markup), with the shared style.

    ``style`` adds CSS rules for one report.

    Examples
    --------
    >>> page = html_page("A & B", "<p>x</p>")
    >>> page.startswith("<!DOCTYPE html>") and "<title>A &amp; B</title>" in page
    True
    """
    css = _STYLE.format(width=width_px) + style
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title>\n<style>{css}</style></head><body>\n"
            f"{body}\n</body></html>\n")
