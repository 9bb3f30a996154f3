"""Claims preparation: computed SSI readings are the engine's scores, read weekly and lean."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ssi_kit.claims import prepare
from ssi_kit.io import load_dataset
from ssi_kit.scoring import score_dataset, score_days

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def test_computed_readings_are_the_weekly_scores():
    ds = load_dataset(SAMPLE)
    readings = prepare.ssi_readings(ds, "computed")
    days = score_days(ds, every=prepare.COMPUTED_EVERY)
    scores = score_dataset(ds, days=days)
    assert isinstance(readings["member_id"].dtype, pd.CategoricalDtype)
    assert list(readings.columns) == ["member_id", "date", "ssi"]
    assert np.array_equal(readings["ssi"].to_numpy(), scores["ssi"].to_numpy())
    assert (readings["member_id"].astype(str).to_numpy() == scores["member_id"].astype(str).to_numpy()).all()
    assert (readings["date"].to_numpy() == scores["date"].to_numpy()).all()
    assert readings["date"].max() == pd.Timestamp(days[-1])


def test_window_mean_is_the_same_for_categorical_and_text_ids():
    readings = pd.DataFrame({"member_id": ["b", "a", "a", "b", "a"],
                             "date": pd.to_datetime(["2024-01-02", "2024-01-01", "2024-01-05",
                                                     "2024-01-09", "2024-01-20"]),
                             "ssi": [10.0, 20.0, 40.0, 30.0, 99.0]})
    ids, anchors = ["a", "b", "c", "a"], pd.to_datetime(["2024-01-10"] * 3 + ["2024-01-06"])
    text = prepare.window_mean(readings, ids, anchors, 10)
    cat = prepare.window_mean(readings.astype({"member_id": "category"}), ids, anchors, 10)
    np.testing.assert_array_equal(text, cat)
    np.testing.assert_array_equal(text, [30.0, 20.0, np.nan, 30.0])  # by hand: (20+40)/2, (10+30)/2
