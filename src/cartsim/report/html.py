"""Shared pieces of the self-contained HTML reports: embedding a figure as a PNG data URI.

A report must be readable alone (mailed or archived), so each figure is written as a PNG file
next to the report and embedded in the page as base64. This module formats; it computes nothing.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from matplotlib.figure import Figure

PNG_DPI = 110


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
