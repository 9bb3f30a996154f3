"""Shared fixtures: a tiny hand-made valid dataset and helpers to write tables.

Everything here is small and explicit so a failing test can be checked by eye.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

from ssi_kit.exceptions import DatasetError
from ssi_kit.io import load_dataset
from ssi_kit.scoring import parse_spec

#: A valid dataset, one CSV text per table (all seven tables).
VALID_CSV = {
    "members": """\
        member_id,industry,team,region,tenure_months,sales_navigator,social_media
        m1,Software,A,EU,12,true,yes
        m2,Software,B,US,3.5,false,no
        m3,Retail,A,EU,,TRUE,0
        """,
    "activity": """\
        member_id,date,posts,searches,invitations_accepted,messages_sent
        m1,2024-03-01,1,10,2,5
        m1,2024-03-05,0,3,,1
        m2,2024-03-03,2,0,1,0
        """,
    "profiles": """\
        member_id,date,has_photo,has_headline,positions,skills
        m1,2024-02-01,true,true,2,10
        m2,2024-03-02,false,true,1,0
        """,
    "connections": """\
        member_id,connection_id
        m1,m2
        m2,m3
        """,
    "ssi": """\
        member_id,date,ssi,brand,people,insights,relationships
        m1,2024-03-01,55.5,14,13.5,14,14
        m2,2024-03-01,20,5,5,5,5
        """,
    "outcomes": """\
        member_id,period_start,period_end,opportunities,quota_attained,revenue
        m1,2024-01-01,2024-03-31,4,yes,1000.5
        m2,2024-01-01,2024-03-31,0,no,
        """,
    "events": """\
        member_id,date,event
        m1,2024-02-15,training
        """,
}


def csv_text(text: str) -> str:
    """Dedent an indented CSV literal."""
    return textwrap.dedent(text)


def write_tables(directory: Path, tables: dict, fmt: str = "csv") -> Path:
    """Write tables into ``directory``.

    Values may be CSV text (str, dedented), raw bytes (written as is, as
    ``NAME.csv``), or DataFrames (written as ``fmt``: csv or parquet).
    Keys may be table names or full file names (``members.parquet``).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name, value in tables.items():
        fname = name if "." in name else f"{name}.{'csv' if not isinstance(value, pd.DataFrame) else fmt}"
        path = directory / fname
        if isinstance(value, bytes):
            path.write_bytes(value)
        elif isinstance(value, str):
            path.write_text(csv_text(value), encoding="utf-8")
        elif fname.endswith(".parquet"):
            value.to_parquet(path, index=False)
        else:
            value.to_csv(path, index=False)
    return directory


def dataset_error(directory) -> DatasetError:
    """Load ``directory`` and return the DatasetError it must raise."""
    with pytest.raises(DatasetError) as info:
        load_dataset(directory)
    return info.value


def problems_for(err: DatasetError, table: str, column=...) -> list:
    """Problems of ``err`` in ``table`` (and ``column``, when given)."""
    return [p for p in err.problems
            if p.table == table and (column is ... or p.column == column)]


def simple_spec(pillars: dict, window_days: int = 30):
    """Build a ScoringSpec from {pillar: [input dicts]} with ``parse_spec``."""
    return parse_spec({"window_days": window_days, "pillars": pillars}, source="test spec")


def identity_spec():
    """Each pillar = 25 * min(posts_all_history / 100, 1), so ssi == total posts (<= 100)."""
    one = {"name": "posts", "source": "activity", "columns": ["posts"], "window": "all",
           "transform": "linear", "target": 100, "weight": 25}
    return simple_spec({p: [dict(one)] for p in ("brand", "people", "insights", "relationships")})


@pytest.fixture
def valid_dir(tmp_path) -> Path:
    """A directory holding the tiny valid dataset (all seven tables, CSV)."""
    return write_tables(tmp_path / "ds", VALID_CSV)


@pytest.fixture
def members_only_dir(tmp_path) -> Path:
    """A valid dataset with only the members table."""
    return write_tables(tmp_path / "ds", {"members": VALID_CSV["members"]})
