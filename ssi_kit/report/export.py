"""Export executed notebooks to a code-free HTML report (nbconvert)."""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

__all__ = ["export_html"]

_TEMPLATES = Path(__file__).parent / "templates"


def export_html(notebooks, path, *, title: str = "ssi-kit report") -> Path:
    """Join executed notebooks into one HTML page without code or prompts.

    Parameters
    ----------
    notebooks : sequence of path-like
        Executed notebooks, in report order.
    path : path-like
        The HTML file to write.
    title : str
        The page title.

    Returns
    -------
    pathlib.Path
    """
    merged = None
    for nb_path in notebooks:
        nb = nbformat.read(str(nb_path), as_version=4)
        cells = [c for c in nb.cells if "parameters" not in c.metadata.get("tags", [])
                 and "injected-parameters" not in c.metadata.get("tags", [])]
        if merged is None:
            merged = nb
            merged.cells = cells
        else:
            merged.cells.extend(cells)
    merged.metadata["title"] = title
    exporter = HTMLExporter(template_name="ssi_report", extra_template_basedirs=[str(_TEMPLATES)],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(merged)
    path = Path(path)
    path.write_text(body, encoding="utf-8")
    return path
