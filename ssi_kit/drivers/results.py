"""The result of :func:`ssi_kit.drivers.fit_drivers`: table, intervals, summary."""
from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["DriversResult", "DRIVER_COLUMNS", "driver_table"]

#: Columns of :attr:`DriversResult.table`, in order.
DRIVER_COLUMNS = ("outcome", "column", "estimate", "std_error", "ci_low", "ci_high", "p_value",
                  "spec_view", "disagrees", "n_readings", "n_sellers")


@dataclass(frozen=True)
class DriversResult:
    """What moves the observed SSI and its pillars within a seller.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per outcome (``ssi`` and each pillar read) and activity column:
        :data:`DRIVER_COLUMNS`.  ``estimate`` and ``spec_view`` are points per
        :attr:`per` units of the column summed over the :attr:`weeks` weeks up to
        the reading; ``ci_low``/``ci_high`` the 95% interval (t with
        ``n_sellers - 1`` degrees of freedom); ``disagrees`` marks a spec view
        outside that interval.
    weeks : int
        Weeks of activity summed before each reading.
    per : float
        Units of a column each estimate is per.
    spec_source : str
        The spec whose view is shown.
    notes : tuple of str
        What was left out and why (readings outside the activity span, columns
        without within-seller variation, ...).
    """

    table: pd.DataFrame
    weeks: int
    per: float
    spec_source: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        """A copy of :attr:`table`."""
        return self.table.copy()

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """``1 - alpha`` intervals, indexed by (outcome, column), columns ``lower`` and ``upper``."""
        t = self.table
        half = stats.t.ppf(1.0 - alpha / 2.0, t["n_sellers"].to_numpy() - 1) * t["std_error"].to_numpy()
        est = t["estimate"].to_numpy()
        return pd.DataFrame({"lower": est - half, "upper": est + half},
                            index=pd.MultiIndex.from_frame(t[["outcome", "column"]]))

    def summary(self) -> str:
        """Text in the manner of statsmodels: one block per outcome."""
        return "\n\n".join(self._block(outcome, rows)
                           for outcome, rows in self.table.groupby("outcome", sort=False))

    def _block(self, outcome: str, rows: pd.DataFrame) -> str:
        width = 92
        head = [
            "=" * width,
            f"Within-seller drivers of {outcome}".center(width),
            "=" * width,
            f"Readings: {rows['n_readings'].iloc[0]:<10d} Sellers (clusters): {rows['n_sellers'].iloc[0]:<8d}"
            f" t df: {rows['n_sellers'].iloc[0] - 1}",
            f"Regressors: sum of each column over the {self.weeks} weeks up to the reading, "
            f"per {self.per:g} units",
            "Fixed effects: seller (within).  Covariance: clustered by seller.",
            f"Spec view: {self.spec_source}, points per {self.per:g} units at the median reading",
            "-" * width,
            f"{'column':<28}{'coef':>9}{'std err':>9}{'P>|t|':>8}{'[0.025':>9}{'0.975]':>9}{'spec':>9}  flag",
            "-" * width,
        ]
        body = [f"{r.column:<28}{r.estimate:>9.3f}{r.std_error:>9.3f}{r.p_value:>8.3f}{r.ci_low:>9.3f}"
                f"{r.ci_high:>9.3f}{r.spec_view:>9.3f}  {'DIFFERS' if r.disagrees else ''}"
                for r in rows.itertuples()]
        tail = ["=" * width] + [f"Note: {n}" for n in self.notes]
        return "\n".join(head + body + tail)

    def disagreements(self) -> pd.DataFrame:
        """The rows where the spec's view lies outside the data's interval."""
        return self.table[self.table["disagrees"]].reset_index(drop=True)

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"


def driver_table(rows: list[dict]) -> pd.DataFrame:
    """Rows as a table of :data:`DRIVER_COLUMNS` with their dtypes."""
    frame = pd.DataFrame(rows, columns=list(DRIVER_COLUMNS))
    for column in ("n_readings", "n_sellers"):
        frame[column] = frame[column].astype(np.int64)
    frame["disagrees"] = frame["disagrees"].astype(bool)
    return frame
