"""ssi-kit plan: every gain equals re-scoring the data with the action done, ranks, outputs and errors."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from ssi_kit.cli import main
from ssi_kit.io import load_dataset
from ssi_kit.io.dataset import Dataset
from ssi_kit.plan import NOT_ACTIONABLE, PLAN_COLUMNS, load_effort, plan_actions, plan_to_dir
from ssi_kit.plan.effort import ACTIONABLE_ACTIVITY
from ssi_kit.scoring import score_dataset

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
CONTRACT = ["member_id", "day", "rank", "action", "pillar", "column", "amount", "minutes", "gain"]


@pytest.fixture(scope="module")
def sample():
    return load_dataset(SAMPLE)


def _ssi(tables: dict, day: pd.Timestamp, member: str) -> float:
    scores = score_dataset(Dataset(tables=tables), days=np.array([np.datetime64(day.date(), "D")]))
    return float(scores.loc[scores["member_id"] == member, "ssi"].iloc[0])


def _do_activity(activity, member, column, amount, day, weeks):
    """The action done by hand: amount // weeks on day, day-7, ...; one more on the first amount % weeks of them."""
    out = activity.copy()
    for k in range(weeks):
        units = amount // weeks + (1 if k < amount % weeks else 0)
        date = day - pd.Timedelta(days=7 * k)
        if units == 0:
            continue
        here = (out["member_id"] == member) & (out["date"] == date)
        if here.any():
            out.loc[here, column] = out.loc[here, column].fillna(0) + units
        else:
            out = pd.concat([out, pd.DataFrame({"member_id": [member], "date": [date], column: [units]})],
                            ignore_index=True)
    return out


def _do_profile(profiles, member, column, day):
    """The profile change by hand: the latest row on or before day, copied to day, the flag set or the count + 1."""
    mine = profiles[(profiles["member_id"] == member) & (profiles["date"] <= day)]
    row = mine.tail(1).copy() if len(mine) else pd.DataFrame({"member_id": [member]})
    old = row[column].iloc[0] if column in row and len(mine) else pd.NA
    row["date"] = day
    row[column] = True if column.startswith("has_") else (0 if pd.isna(old) else int(old)) + 1
    keep = profiles[~((profiles["member_id"] == member) & (profiles["date"] == day))]
    return pd.concat([keep, row], ignore_index=True)


def _check_gains(sample, result, members):
    day, weeks = result.day, result.weeks
    before = {m: _ssi(dict(sample.tables), day, m) for m in members}
    checked = 0
    for row in result.table[result.table["member_id"].isin(members)].itertuples():
        tables = dict(sample.tables)
        if row.column in ACTIONABLE_ACTIVITY:
            tables["activity"] = _do_activity(sample["activity"], row.member_id, row.column, row.amount, day, weeks)
        else:
            tables["profiles"] = _do_profile(sample["profiles"], row.member_id, row.column, day)
        after = _ssi(tables, day, row.member_id)
        assert after - before[row.member_id] == pytest.approx(row.gain, abs=1e-6), row
        checked += 1
    return checked


def test_every_gain_equals_rescoring_with_the_action_done(sample):
    result = plan_actions(sample)
    members = list(result.table["member_id"].drop_duplicates()[::8])  # 25 sellers
    assert len(members) >= 20
    assert _check_gains(sample, result, members) >= 100


def test_gains_exact_on_an_earlier_day_and_other_weeks(sample):
    result = plan_actions(sample, day="2026-03-11", weeks=3, top=5)
    members = list(result.table["member_id"].drop_duplicates()[3::10])
    assert len(members) >= 20
    assert result.table["column"].nunique() >= 8  # activity and profile actions both checked
    assert _check_gains(sample, result, members) >= 90


def test_plan_csv_columns_types_and_ranks(tmp_path, sample):
    plan_to_dir(SAMPLE, tmp_path)
    table = pd.read_csv(tmp_path / "plan.csv")
    assert list(table.columns) == list(PLAN_COLUMNS) and list(table.columns[:9]) == CONTRACT
    assert table["rank"].dtype == np.int64 and table["amount"].dtype == np.int64
    assert (table["amount"] >= 1).all() and (table["gain"] > 0).all() and (table["minutes"] > 0).all()
    assert table["day"].eq("2026-09-30").all() and table["spec"].eq("default spec").all()
    assert not set(table["column"]) & set(NOT_ACTIONABLE)
    for _, mine in table.groupby("member_id"):
        assert list(mine["rank"]) == list(range(1, len(mine) + 1)) and len(mine) <= 5
        assert mine["gain_per_minute"].is_monotonic_decreasing
        assert np.allclose(mine["gain_per_minute"], (mine["gain"] / mine["minutes"]).round(6), atol=1e-6)
    effort = load_effort()
    assert np.allclose(table["minutes"], [effort[c].minutes * a for c, a in zip(table["column"], table["amount"])])


def test_amount_is_the_step_to_the_active_peers_capped():
    dataset = load_dataset(SAMPLE)
    result = plan_actions(dataset, member="m0002", top=100)
    activity = dataset["activity"]
    window = activity[(activity["date"] > result.day - pd.Timedelta(days=28)) & (activity["date"] <= result.day)]
    cap = load_effort()
    for row in result.candidates.itertuples():
        if row.column not in ACTIONABLE_ACTIVITY:
            continue
        totals = window.groupby("member_id")[row.column].sum().reindex(dataset["members"]["member_id"], fill_value=0)
        want = int(np.clip(np.ceil(np.percentile(totals, 75) - totals["m0002"]), 1, cap[row.column].max_per_week * 4))
        assert row.amount == want, row.column


def test_deterministic_bytes(tmp_path):
    for name in ("a", "b"):
        plan_to_dir(SAMPLE, tmp_path / name, day="2026-08-01", top=3)
    for file in ("plan.csv", "plan.json"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()


def test_effort_file_replaces_minutes_and_ranks(tmp_path, capsys):
    """Making the seller's best action 100 times slower in an effort file moves it to the bottom."""
    assert main(["-q", "plan", str(SAMPLE), "--out", str(tmp_path / "x"), "--member", "m0001"]) == 0
    before = pd.read_csv(tmp_path / "x" / "plan.csv")
    best = before.loc[before["rank"] == 1, "column"].item()
    table = yaml.safe_load((Path(__file__).resolve().parents[1] / "ssi_kit" / "plan" / "effort.yaml").read_text("utf-8"))
    minutes = table["columns"][best]["minutes"]
    table["columns"][best]["minutes"] = 100 * minutes
    (tmp_path / "effort.yaml").write_text(yaml.safe_dump(table), encoding="utf-8")
    args = ["-q", "plan", str(SAMPLE), "--out", str(tmp_path / "y"), "--member", "m0001",
            "--effort", str(tmp_path / "effort.yaml"), "--top", "20"]
    assert main(args) == 0
    after = pd.read_csv(tmp_path / "y" / "plan.csv")
    moved = after[after["column"] == best]
    assert moved["minutes"].item() == pytest.approx(100 * before.loc[before["rank"] == 1, "minutes"].item())
    assert moved["rank"].item() == len(after)
    assert after.loc[after["rank"] == 1, "column"].item() != best


def test_describe_and_team_action(sample):
    result = plan_actions(sample, top=5)
    lines = result.describe("m0001")
    first = result.table[result.table["member_id"] == "m0001"].iloc[0]
    assert len(lines) == 3 and lines[0] == f"{first.action}: +{first.gain:.1f} points"
    best = result.team_action("T8")
    team = sample["members"].loc[sample["members"]["team"] == "T8", "member_id"]
    means = result.candidates[result.candidates["member_id"].isin(team)].groupby("column")["gain"].sum() / len(team)
    assert best["column"] == means.idxmax() and best["mean_gain"] == pytest.approx(means.max(), abs=1e-6)
    assert result.summary().startswith("Plan on 2026-09-30 under default spec: 200 seller(s)")


def test_plan_json_quotes_the_spec_calibration(tmp_path):
    spec_dir = tmp_path / "cal"
    spec_dir.mkdir()
    text = (Path(__file__).resolve().parents[1] / "ssi_kit" / "scoring" / "default_spec.yaml").read_text("utf-8")
    (spec_dir / "spec.yaml").write_text("# calibrated: held-out MAE 0.4 points\n" + text, encoding="utf-8")
    (spec_dir / "calibration.json").write_text('{"total": {"mae": 0.4}}', encoding="utf-8")
    plan_to_dir(SAMPLE, tmp_path / "out", spec=spec_dir / "spec.yaml", member="m0003")
    import json

    record = json.loads((tmp_path / "out" / "plan.json").read_text("utf-8"))
    assert record["calibration"]["report"] == {"total": {"mae": 0.4}}
    assert record["calibration"]["comments"] == ["calibrated: held-out MAE 0.4 points"]
    # a calibration.json without the error table calibrate writes: quoted, but no error claimed
    result = plan_actions(load_dataset(SAMPLE), spec=spec_dir / "spec.yaml", member="m0003")
    assert result.spec_accuracy() is None and "not calibrated" in result.summary()
    assert pd.read_csv(tmp_path / "out" / "plan.csv")["spec"].eq(str(spec_dir / "spec.yaml")).all()


def _error(capsys, *argv) -> str:
    assert main(["-q", *map(str, argv)]) == 2
    return capsys.readouterr().err


def test_clear_errors_exit_2(tmp_path, capsys):
    out = tmp_path / "out"
    assert "'nobody'" in _error(capsys, "plan", SAMPLE, "--out", out, "--member", "nobody")
    assert "outside the activity table's dates" in _error(capsys, "plan", SAMPLE, "--out", out, "--day", "2027-01-01")
    no_activity = tmp_path / "no_activity"
    no_activity.mkdir()
    for name in ("members", "profiles", "connections"):
        shutil.copy(SAMPLE / f"{name}.csv", no_activity)
    assert "activity" in _error(capsys, "plan", no_activity, "--out", out)
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns:\n  posts: {minutes: -1, max_per_week: 3, why: x}\n  post_views: {minutes: 1, why: y}\n")
    err = _error(capsys, "plan", SAMPLE, "--out", out, "--effort", bad)
    assert str(bad) in err and "posts.minutes" in err and "post_views" in err
    assert "--weeks" in _error(capsys, "plan", SAMPLE, "--out", out, "--weeks", "0")
    assert not out.exists()
