"""Write a table that arrives as consecutive blocks of rows, without holding it whole."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from .atomic import atomic_file
from .dataset import _for_csv

__all__ = ["write_blocks"]


def write_blocks(blocks: Iterable[pd.DataFrame], path) -> int:
    """Write row blocks as one table, atomically: CSV or Parquet by the file's suffix.

    The CSV is byte-identical to :func:`ssi_kit.io.write_table` of the
    concatenated blocks (ISO dates, ``true``/``false``); the Parquet file gets one
    row group per block.  Nothing is left behind when a block fails.

    Parameters
    ----------
    blocks : iterable of pandas.DataFrame
        Blocks with the same columns and dtypes, in row order.
    path : path-like
        ``*.csv`` or ``*.parquet``.

    Returns
    -------
    int
        Rows written.
    """
    path = Path(path)
    rows = 0
    with atomic_file(path) as tmp:
        if path.suffix == ".parquet":
            rows = _parquet(blocks, tmp)
        else:
            with open(tmp, "w", encoding="utf-8", newline="") as handle:
                for k, block in enumerate(blocks):
                    _for_csv(block).to_csv(handle, index=False, header=k == 0, lineterminator="\n")
                    rows += len(block)
    return rows


def _parquet(blocks, tmp) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer, rows = None, 0
    try:
        for block in blocks:
            table = pa.Table.from_pandas(block, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table)
            rows += len(block)
    finally:
        if writer is not None:
            writer.close()
    return rows
