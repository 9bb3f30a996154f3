"""Export executed notebooks to a code-free HTML report (nbconvert), with contents and footer.

The page is nbconvert's JupyterLab look through the kit's ``ssi_report`` template
(no script fetched from the network, figures with their alternative text), then a
table of contents linking every section (``h2``) is put after the title and a footer
names the kit's version, the data's checksum, the run date and the git commit.
Every text put in the page is escaped (BeautifulSoup writes it as text).
"""
from __future__ import annotations

import datetime as dt
import importlib.resources
import hashlib
import os
import re
from pathlib import Path

import nbformat
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter

__all__ = ["export_html", "report_footer", "data_checksum"]

_TEMPLATES = Path(str(importlib.resources.files("ssi_kit.report") / "templates"))
_ANCHOR = "¶"


def export_html(notebooks, path, *, title: str = "ssi-kit report", footer: dict | None = None) -> Path:
    """Join executed notebooks into one HTML page without code or prompts.

    Parameters
    ----------
    notebooks : sequence of path-like
        Executed notebooks, in report order.
    path : path-like
        The HTML file to write.
    title : str
        The page title.
    footer : dict, optional
        Label -> value pairs shown in the footer, in order (see :func:`report_footer`);
        pairs whose value is None or empty are left out.

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
    soup = BeautifulSoup(body, features="html.parser")
    _add_contents(soup)
    _add_footer(soup, footer or {})
    path = Path(path)
    path.write_text(str(soup), encoding="utf-8")
    return path


def _heading_text(heading) -> str:
    return " ".join(heading.get_text(" ").replace(_ANCHOR, " ").split())


def _add_contents(soup) -> None:
    """Put a list of links to every ``h2`` after the cell holding the title (the first ``h1``)."""
    main = soup.find("main") or soup.body
    headings = main.find_all("h2") if main else []
    if not headings:
        return
    used = {tag["id"] for tag in soup.find_all(id=True)}
    nav = soup.new_tag("nav", attrs={"class": "ssi-toc", "aria-label": "Contents"})
    caption = soup.new_tag("h2", attrs={"class": "ssi-toc-title"})
    caption.string = "Contents"
    items = soup.new_tag("ol")
    for number, heading in enumerate(headings, 1):
        if not heading.get("id"):
            heading["id"] = _unique(f"section-{number}", used)
        item, link = soup.new_tag("li"), soup.new_tag("a", href="#" + heading["id"])
        link.string = _heading_text(heading)
        item.append(link)
        items.append(item)
    nav.extend([caption, items])
    title = main.find("h1")
    cell = title.find_parent("div", class_="jp-Cell") if title else None
    if cell is not None:
        cell.insert_after(nav)
    elif title is not None:
        title.insert_after(nav)
    else:
        main.insert(0, nav)


def _unique(name: str, used: set) -> str:
    candidate, n = name, 1
    while candidate in used:
        n += 1
        candidate = f"{name}-{n}"
    used.add(candidate)
    return candidate


def _add_footer(soup, facts: dict) -> None:
    shown = [(str(k), str(v)) for k, v in facts.items() if v not in (None, "")]
    if not shown:
        return
    footer = soup.new_tag("footer", attrs={"class": "ssi-footer"})
    facts_list = soup.new_tag("dl")
    for key, value in shown:
        term, data = soup.new_tag("dt"), soup.new_tag("dd")
        term.string, data.string = key, value
        facts_list.extend([term, data])
    footer.append(facts_list)
    (soup.find("main") or soup.body or soup).append(footer)


def data_checksum(checksums) -> str:
    """A short sha256 (12 hex digits) over a dataset's input files' own sha256 digests.

    Parameters
    ----------
    checksums : mapping
        Table name -> ``{"file": name, "sha256": digest}`` (a report manifest's ``inputs``).

    Returns
    -------
    str
    """
    digest = hashlib.sha256()
    for name in sorted(checksums):
        entry = checksums[name]
        digest.update(f"{name}\0{entry.get('file', '')}\0{entry['sha256']}\n".encode())
    return digest.hexdigest()[:12]


def _run_date() -> str:
    """Today (UTC), or the date of ``SOURCE_DATE_EPOCH`` when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if re.fullmatch(r"\d{1,12}", epoch):
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date().isoformat()
    return dt.datetime.now(dt.timezone.utc).date().isoformat()


def report_footer(manifest: dict, *, run_date: str | None = None) -> dict:
    """The footer of a report from its manifest: kit version, data checksum, run date, git commit.

    Parameters
    ----------
    manifest : dict
        With ``ssi_kit_version``, ``inputs`` (per-file sha256) and ``git_commit`` (or None).
    run_date : str, optional
        Default: today in UTC, or ``SOURCE_DATE_EPOCH``'s date when that is set.

    Returns
    -------
    dict
        Readable label -> value, for :func:`export_html`'s ``footer``.
    """
    commit, checksum = manifest.get("git_commit"), data_checksum(manifest.get("inputs", {}))
    return {"ssi-kit version": manifest.get("ssi_kit_version"),
            "Data checksum (sha256 of the input files, first 12 digits)": checksum,
            "Run date (UTC)": run_date or _run_date(),
            "Git commit": commit[:12] if commit else None}
