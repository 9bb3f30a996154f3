"""Safe, readable notebook display of report tables."""
from __future__ import annotations

import html
import re

import pandas as pd

__all__ = ["show_table", "md_text"]

#: ASCII punctuation that Markdown may read as syntax (CommonMark lets any of it be backslash-escaped).
_MARKDOWN_SYNTAX = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:\"'=$])")


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


def show_table(table: pd.DataFrame, *, precision: int = 1, percent=()):
    """A pandas Styler with HTML-escaped cells, no index, fixed precision.

    Parameters
    ----------
    table : pandas.DataFrame
    precision : int
        Decimals of float cells.
    percent : sequence of str
        Columns shown as percentages.
    """
    styler = table.style.format(precision=precision, escape="html", na_rep="")
    if percent:
        styler = styler.format({c: "{:.1%}" for c in percent if c in table.columns}, na_rep="")
    styler = styler.format_index(escape="html", axis=1)
    return styler.hide(axis="index")
