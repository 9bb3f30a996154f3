"""Safe, readable notebook display of report tables: static (:func:`show_table`) or sortable.

Every cell and header is HTML-escaped: names from data stay text.  Tables carry a
deterministic id (a digest of their content), so the same inputs give byte-identical
notebooks and reports.  :func:`show_sortable` draws the table with itables in offline
mode: the DataTables library is embedded once in the notebook's output, and the page
fetches nothing from the network.
"""
from __future__ import annotations

import hashlib
import html
import itertools
import re

import pandas as pd

__all__ = ["show_table", "show_sortable", "md_text"]

#: ASCII punctuation that Markdown may read as syntax (CommonMark lets any of it be backslash-escaped).
_MARKDOWN_SYNTAX = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:\"'=$])")
#: Whether this kernel already emitted the offline DataTables library (once per notebook run).
_LIBRARY = {"emitted": False}
#: Sortable tables shown in this kernel, numbering their ids.
_SHOWN = itertools.count(1)
#: Rows shown before a sortable table pages (a roster of a few teams fits on one page).
_PAGE = 20
#: Sortable tables: as wide as their content, left-aligned, caption under the table.
_STYLE = "table-layout:auto;width:auto;margin:0;caption-side:bottom"


def md_text(value) -> str:
    """``value`` as literal text inside Markdown: neither HTML nor Markdown in it becomes markup.

    Names, titles, teams and folder names come from data or parameters; interpolated
    into ``Markdown(...)`` raw, ``[x](javascript:...)`` would become a live link and
    ``<img ...>`` an image.  HTML is escaped first, then every Markdown punctuation
    character is backslash-escaped, and line breaks become spaces.

    Parameters
    ----------
    value : object
        Converted with ``str``.

    Returns
    -------
    str
    """
    text = " ".join(str(value).split())
    return _MARKDOWN_SYNTAX.sub(r"\\\1", html.escape(text, quote=False))


def _digest(table: pd.DataFrame, *extra) -> str:
    data = table.to_csv(index=False) + "\0".join(map(str, extra))
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def show_table(table: pd.DataFrame, *, precision: int = 1, percent=()):
    """A pandas Styler with HTML-escaped cells, no index, fixed precision.

    Parameters
    ----------
    table : pandas.DataFrame
    precision : int
        Decimals of float cells.
    percent : sequence of str
        Columns shown as percentages (one decimal).

    Returns
    -------
    pandas.io.formats.style.Styler
    """
    styler = table.style.format(precision=precision, escape="html", na_rep="")
    shown = [c for c in percent if c in table.columns]
    if shown:  # a subset, or the other columns would lose their precision and escaping
        styler = styler.format("{:.1%}", subset=shown, na_rep="", escape="html")
    styler = styler.format_index(escape="html", axis=1).set_table_styles(_alignment(table))
    return styler.set_uuid(_digest(table, precision, tuple(percent))).hide(axis="index")


#: Text columns with cells longer than this many characters get a readable minimum width.
_LONG_TEXT = 60


def _alignment(table: pd.DataFrame) -> list[dict]:
    """Text left-aligned; numbers (and their headers) right-aligned, so digits line up.

    A column of long text (a cell over :data:`_LONG_TEXT` characters, e.g. the roster's
    actions in words) is kept at least 24 characters wide, so its rows do not grow tall.
    """
    types = pd.api.types
    numeric = [i for i in range(table.shape[1])
               if types.is_numeric_dtype(table.iloc[:, i]) and not types.is_bool_dtype(table.iloc[:, i])]
    long = [i for i in range(table.shape[1]) if i not in numeric and len(table)
            and table.iloc[:, i].astype(str).str.len().max() > _LONG_TEXT]
    styles = [{"selector": "th, td", "props": "text-align: left; vertical-align: top;"}]
    styles += [{"selector": f"th.col{i}, td.col{i}", "props": "text-align: right;"} for i in numeric]
    return styles + [{"selector": f"td.col{i}", "props": "min-width: 24em;"} for i in long]


class _Sortable:
    """A table displayed by itables, sortable by clicking its headers (see :func:`show_sortable`)."""

    def __init__(self, styler, caption: str | None, table_id: str):
        self.styler, self.caption, self.table_id = styler, caption, table_id

    def _repr_html_(self) -> str:
        from itables import options
        from itables.javascript import generate_init_offline_itables_html, to_html_datatable

        library = "" if _LIBRARY["emitted"] else generate_init_offline_itables_html(options.dt_bundle)
        _LIBRARY["emitted"] = True
        caption = None if self.caption is None else html.escape(self.caption)
        rows = len(self.styler.data)
        table = to_html_datatable(self.styler, caption=caption, table_id=self.table_id, connected=False,
                                  allow_html=True, text_in_header_can_be_selected=False,
                                  classes="display compact", style=_STYLE, paging=rows > _PAGE,
                                  pageLength=_PAGE, lengthMenu=[_PAGE, 5 * _PAGE, -1])
        return library + table

    def __repr__(self) -> str:
        return self.styler.data.to_string(index=False)


def show_sortable(table: pd.DataFrame, *, precision: int = 1, percent=(), caption: str | None = None):
    """The table as an interactive HTML table sorted by clicking a column header, offline.

    The cells are formatted and escaped as :func:`show_table` does; the first sortable
    table a kernel shows also embeds the DataTables library (itables' offline mode), so
    the exported report needs no network.  Without itables, the static table is returned.

    Parameters
    ----------
    table : pandas.DataFrame
    precision : int
        Decimals of float cells.
    percent : sequence of str
        Columns shown as percentages.
    caption : str, optional
        Plain text shown under the table (escaped).

    Returns
    -------
    object
        Displayed by Jupyter (the last expression of a cell, or ``display(...)``).
    """
    styler = show_table(table, precision=precision, percent=percent)
    try:
        import itables.javascript  # noqa: F401
    except ImportError:
        return styler.set_caption(html.escape(caption)) if caption else styler
    table_id = f"T_sortable{next(_SHOWN)}_{_digest(table, precision, tuple(percent), caption)}"
    return _Sortable(styler, caption, table_id)
