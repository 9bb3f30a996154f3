"""The engine registry, the one scoring job (score_to_dir) and the tiers' one home.

Every engine takes the same arguments and gives the same scores: the Dask engine
with ``hold_bytes`` and ``rank`` is compared with the pandas engine cell by cell;
a team's tables keep that team's rows with the organisation's ranks.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ssi_kit.exceptions import UsageError
from ssi_kit.io import load_dataset
from ssi_kit.jobs import ScoreResult, score_to_dir
from ssi_kit.scoring import band_of, score_blocks, score_dataset, tier_of
from ssi_kit.scoring.engines import DISTRIBUTED, ENGINES, Engine, get_engine
from ssi_kit.scoring.ranks import RANK_COLUMNS
from ssi_kit.scoring.results import HELD
from ssi_kit.scoring.tiers import BAND_CUTS, BANDS, TIER_CUTS, TIERS, band_codes, tier_codes

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
TABLES = ("members", "activity", "profiles", "connections")


@pytest.fixture(scope="module")
def sample():
    return load_dataset(SAMPLE, tables=TABLES)


@pytest.fixture(scope="module")
def sample_scores(sample):
    return score_dataset(sample)


# -- the registry ---------------------------------------------------------------------------------

def test_registry_names_and_engines():
    assert ENGINES == ("pandas", "dask") and DISTRIBUTED == ("dask",)
    for name in ENGINES:
        engine = get_engine(name)
        assert isinstance(engine, Engine) and engine.name == name


@pytest.mark.parametrize("name", ["Pandas", "duckdb", "", None, 3])
def test_unknown_engine_is_a_usage_error_listing_the_engines(name):
    with pytest.raises(UsageError, match="pandas, dask"):
        get_engine(name)


def test_no_engine_name_branches_outside_the_registry():
    """Nothing outside scoring/engines compares an engine's name or sniffs a table's type."""
    pattern = re.compile(r"""engine\s*[!=]=\s*["']|_is_lazy|["'](pandas|dask)["']\s*[!=]=\s*engine""")
    found = [f"{p.relative_to(ROOT)}:{n}" for p in (ROOT / "ssi_kit").rglob("*.py")
             if "engines" not in p.parts
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert found == []


# -- the pandas engine: the same arguments as every engine ---------------------------------------

def test_rank_false_leaves_the_rank_columns_empty(sample, sample_scores):
    got = score_blocks(sample, rank=False).to_frame()
    assert got[list(RANK_COLUMNS)].isna().all().all()
    others = [c for c in got.columns if c not in RANK_COLUMNS]
    pd.testing.assert_frame_equal(got[others], sample_scores[others], check_exact=True)


def test_team_frames_keep_the_team_with_the_organisations_ranks(sample, sample_scores):
    team = "T3"
    got = score_blocks(sample, block_cells=7_000).to_frame(team=team)
    kept = sample_scores[(sample_scores["team"].astype(str) == team).to_numpy()].reset_index(drop=True)
    for col in ("member_id", "industry", "team"):
        kept[col] = kept[col].cat.remove_unused_categories()
    pd.testing.assert_frame_equal(got, kept, check_exact=True)
    assert list(got["tier"].cat.categories) == list(TIERS)


def test_a_team_with_no_sellers_gives_an_empty_table_with_the_columns(sample, sample_scores):
    got = score_blocks(sample, block_cells=7_000).to_frame(team="no such team")
    assert len(got) == 0 and list(got.columns) == list(sample_scores.columns)


# -- the one scoring job --------------------------------------------------------------------------

def test_score_to_dir_writes_every_format_and_returns_what_it_wrote(tmp_path, valid_dir):
    result = score_to_dir(valid_dir, tmp_path / "out", formats=("csv", "parquet"), team="A")
    assert isinstance(result, ScoreResult)
    assert result.paths == {"csv": tmp_path / "out" / "scores.csv", "parquet": tmp_path / "out" / "scores.parquet"}
    assert result.path == result.paths["csv"] and result.rows == 2 * 34
    csv, parquet = pd.read_csv(result.paths["csv"]), pd.read_parquet(result.paths["parquet"])
    assert set(csv["member_id"]) == {"m1", "m3"} and len(parquet) == len(csv) == result.rows
    everyone = pd.read_csv(score_to_dir(valid_dir, tmp_path / "all").path)
    mine = everyone[everyone["team"] == "A"].reset_index(drop=True)
    pd.testing.assert_frame_equal(csv, mine)  # ranks computed over the whole organisation


def test_score_to_dir_warmup_and_every_choose_the_days(tmp_path, valid_dir):
    result = score_to_dir(valid_dir, tmp_path / "out", every=7, warmup=True)
    days = [str(d) for d in result.days]
    assert days[-1] == "2024-03-05" and all(np.diff(result.days).astype(int) == 7)
    assert len(days) < len(score_to_dir(valid_dir, tmp_path / "o2", every=7).days)


@pytest.mark.parametrize("kwargs,message", [
    ({"engine": "spark"}, "pandas, dask"),
    ({"formats": ("xlsx",)}, "csv, parquet"),
    ({"formats": ()}, "csv, parquet"),
    ({"scheduler": "tcp://x:1"}, "--engine dask"),
    ({"workers": 2}, "--engine dask"),
])
def test_score_to_dir_refuses_bad_options_before_any_work(tmp_path, valid_dir, kwargs, message):
    with pytest.raises(UsageError, match=re.escape(message)):
        score_to_dir(valid_dir, tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()


# -- tiers and bands ------------------------------------------------------------------------------

def test_tier_and_band_edges():
    ssi = [0, TIER_CUTS[0] - 1e-6, TIER_CUTS[0], BAND_CUTS[0] - 1e-6, BAND_CUTS[0], TIER_CUTS[1],
           TIER_CUTS[1] + 1e-6, 100]
    assert list(tier_of(ssi)) == ["laggard", "laggard", "middle", "middle", "middle", "middle", "leader", "leader"]
    assert list(band_of(ssi)) == ["poor", "poor", "poor", "poor", "average", "good", "good", "good"]
    assert tier_codes(ssi).dtype == np.int8 and band_codes(ssi).dtype == np.int8
    assert list(np.asarray(TIERS)[tier_codes(ssi)]) == list(tier_of(ssi))
    assert list(np.asarray(BANDS)[band_codes(ssi)]) == list(band_of(ssi))


def test_the_report_labels_take_the_cut_points_from_tiers():
    from ssi_kit.report.labels import VALUE_LABELS
    from ssi_kit.report.summaries import ARTICLE_BANDS

    assert VALUE_LABELS["tier"]["leader"] == f"Leader (above {TIER_CUTS[1]})"
    assert VALUE_LABELS["band"]["poor"] == f"Poor (below {BAND_CUTS[0]})"
    assert list(ARTICLE_BANDS["low"]) == [0, *BAND_CUTS]


# -- the Dask engine: hold_bytes and rank as on pandas, the job streamed alike -------------------

@pytest.fixture(scope="module")
def dask_session(tmp_path_factory):
    pytest.importorskip("distributed")
    from ssi_kit.scoring.engines.cluster import dask_client

    with dask_client(workers=2, memory_limit="1GB", local_directory=tmp_path_factory.mktemp("dask")) as client:
        yield client


def test_dask_engine_holds_only_the_pillars_beyond_hold_bytes(dask_session, sample_scores):
    engine = get_engine("dask")
    ds = engine.load(SAMPLE, tables=TABLES)
    lean = engine.score(ds, block_cells=20_000, hold_bytes=0)
    assert lean.rescore is not None and set(lean.arrays[0].result()[0]) == set(HELD)
    pd.testing.assert_frame_equal(lean.to_frame(), sample_scores, check_exact=True)
    unranked = engine.score(ds, block_cells=20_000, rank=False).to_frame()
    assert unranked[list(RANK_COLUMNS)].isna().all().all()


def test_score_to_dir_on_dask_writes_the_pandas_files(dask_session, tmp_path):
    options = {"formats": ("csv", "parquet"), "team": "T2", "every": 7, "warmup": True}
    local = score_to_dir(SAMPLE, tmp_path / "p", **options)
    on_dask = score_to_dir(SAMPLE, tmp_path / "d", engine="dask", scheduler=dask_session.scheduler.address,
                           **options)
    assert local.paths["csv"].read_bytes() == on_dask.paths["csv"].read_bytes()
    pd.testing.assert_frame_equal(pd.read_parquet(local.paths["parquet"]), pd.read_parquet(on_dask.paths["parquet"]))
    assert np.array_equal(local.days, on_dask.days)


def test_cli_score_team_keeps_the_teams_rows(tmp_path, valid_dir, capsys):
    from ssi_kit.cli import main

    assert main(["-q", "score", str(valid_dir), "--out", str(tmp_path / "a"), "--team", "B",
                 "--format", "parquet"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "a" / "scores.parquet")
    assert set(pd.read_parquet(tmp_path / "a" / "scores.parquet")["member_id"].astype(str)) == {"m2"}
