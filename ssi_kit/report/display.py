"""Safe, readable notebook display of report tables."""
from __future__ import annotations

import pandas as pd

__all__ = ["show_table"]


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
