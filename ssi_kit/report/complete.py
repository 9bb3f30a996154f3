"""Check that an exported report is whole: every required section and every saved figure.

A run can "succeed" and still write a report a reader cannot use: a section that did
not render, or figures saved to ``figures/`` but never embedded in the page (as
happened under ``MPLBACKEND=Agg``).  :func:`check_report` turns that into an error.
"""
from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup

from ..exceptions import SsiKitError

__all__ = ["ReportIncomplete", "REQUIRED_SECTIONS", "check_report", "section_titles", "embedded_figures"]

#: Titles of the ``h2`` sections every report has (notebook 03).  A section matches when
#: its heading starts with the title (headings may add the source, e.g. "Headline: ...").
REQUIRED_SECTIONS = ("Summary", "Roster", "What changed", "Headline", "Over time", "Data quality",
                     "The published claims", "Caveats")
_PNG = re.compile(r"\Adata:image/png;base64,\S", re.IGNORECASE)


class ReportIncomplete(SsiKitError):
    """An exported report lacks a required section or an embedded figure."""


#: The alternative text nbconvert puts on an image that has none.
_NBCONVERT_NO_ALT = "No description has been provided for this image"


def _soup(html_path: Path):
    return BeautifulSoup(Path(html_path).read_text(encoding="utf-8"), features="html.parser")


def _titles(soup) -> list[str]:
    return [" ".join(h.get_text(" ").replace("\u00b6", " ").split()) for h in soup.find_all("h2")]


def _alts(soup) -> list[str]:
    alts = [img.get("alt", "").strip() for img in soup.find_all("img") if _PNG.match(img.get("src", ""))]
    return ["" if alt == _NBCONVERT_NO_ALT else alt for alt in alts]


def section_titles(html_path) -> list[str]:
    """The texts of the report's ``h2`` headings, in order (anchor marks removed)."""
    return _titles(_soup(html_path))


def embedded_figures(html_path) -> list[str]:
    """The alternative texts of the PNG images embedded in the report (``""`` when they have none)."""
    return _alts(_soup(html_path))


def _has(titles, wanted: str) -> bool:
    wanted = wanted.casefold()
    return any(t.casefold() == wanted or t.casefold().startswith(wanted) for t in titles)


def check_report(html_path, *, figures_dir, required_sections=REQUIRED_SECTIONS) -> None:
    """Raise :class:`ReportIncomplete` unless the report has every section and every figure.

    Parameters
    ----------
    html_path : path-like
        The exported ``report.html``.
    figures_dir : path-like
        The folder where the report's notebook saved its PNG figures; every PNG in it
        must be embedded in the page (a missing folder means no figures).
    required_sections : sequence of str
        ``h2`` titles the page must have (a heading matches when it starts with one).

    Raises
    ------
    ReportIncomplete
        Naming the missing sections and how many figures are missing.
    """
    html_path, figures_dir = Path(html_path), Path(figures_dir)
    soup = _soup(html_path)
    titles, alts = _titles(soup), _alts(soup)
    missing = [s for s in required_sections if not _has(titles, s)]
    saved = sorted(p.name for p in figures_dir.glob("*.png")) if figures_dir.is_dir() else []
    problems = []
    if missing:
        problems.append(f"the section{'s' if len(missing) > 1 else ''} "
                        f"{', '.join(repr(m) for m in missing)} {'are' if len(missing) > 1 else 'is'} "
                        "missing")
    if len(alts) < len(saved):
        problems.append(f"{len(saved)} figures were saved in {figures_dir} ({', '.join(saved)}) but only "
                        f"{len(alts)} are embedded in the page")
    no_alt = alts.count("")
    if no_alt:
        problems.append(f"{no_alt} embedded figure{'s have' if no_alt > 1 else ' has'} no alternative text")
    if problems:
        raise ReportIncomplete(
            f"The report {html_path} is incomplete: {'; '.join(problems)}. The run is marked failed "
            "rather than passing with a partial report; the executed notebooks beside it show what "
            "went wrong (a figure must be shown with ssi_kit.report.figures.show_figure to be "
            "embedded whatever the matplotlib backend).")
