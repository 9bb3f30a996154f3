"""Whether the published figures can hold at once: hand computations on small SSI sets."""
from __future__ import annotations

import json

import pytest

from claims_fixtures import report
from ssi_kit.claims.consistency import check_consistency, reference_ssi

#: median 50; leaders (> 70) 80, 90: mean 85; laggards (< 30) 10, 20: mean 15;
#: above the median 60, 80, 90: mean 76.667; at or below 10, 20, 40: mean 23.333.
SSI = [10, 20, 40, 60, 80, 90]


def test_implied_baselines_by_hand():
    res = check_consistency(SSI)
    lead, med = res.table.iloc[0], res.table.iloc[1]
    assert (lead.mean_ssi_high, lead.mean_ssi_low) == (85, 15)
    assert med.mean_ssi_high == pytest.approx(230 / 3) and med.mean_ssi_low == pytest.approx(70 / 3)
    assert lead.implied_low_mean == pytest.approx(0.43 * 70 / 0.45)          # 66.89 opportunities
    assert lead.implied_high_mean == pytest.approx(1.45 * 0.43 * 70 / 0.45)
    assert med.implied_low_mean == pytest.approx(0.43 * (160 / 3) / 0.37)    # 61.98
    assert lead.zero_ssi == pytest.approx(15 - 70 / 0.45)                    # -140.6
    assert med.zero_ssi == pytest.approx(70 / 3 - (160 / 3) / 0.37)          # -120.8
    assert (lead.zero_ssi_low, lead.zero_ssi_high) == pytest.approx((15 - 70 / 0.445, 15 - 70 / 0.455))
    assert res.consistent is False
    text = res.summary()
    assert "do not agree" in text and "66.9" in text and "62.0" in text
    assert "Laggards would also have more opportunities" in text


def test_ratios_on_one_line_are_consistent():
    # the median ratio that puts both zero points at 15 - 70 / 0.45: r - 1 = (160/3) / (70/3 + 70/0.45 - 15)
    exact = 1 + (160 / 3) / (70 / 3 + 70 / 0.45 - 15)
    assert exact == pytest.approx(1.32542, abs=1e-5)
    assert check_consistency(SSI, median_ratio=exact).consistent is True
    assert check_consistency(SSI, median_ratio=1.33).consistent is True    # within rounding
    assert check_consistency(SSI, median_ratio=1.34).consistent is False   # [-135.9, -131.3] misses [-142.3, -138.8]
    assert "can hold at once" in check_consistency(SSI, median_ratio=exact).summary()


def test_slope_scales_the_baselines_not_the_verdict():
    a, b = check_consistency(SSI), check_consistency(SSI, slope_per_10=8.6)
    assert b.table["implied_low_mean"].tolist() == pytest.approx((2 * a.table["implied_low_mean"]).tolist())
    assert b.table["zero_ssi"].tolist() == pytest.approx(a.table["zero_ssi"].tolist())
    assert a.consistent == b.consistent


def test_reference_distribution():
    res = check_consistency(reference_ssi(), basis="SSI spread evenly over 0 to 100")
    lead, med = res.table.iloc[0], res.table.iloc[1]
    assert lead.mean_ssi_high == pytest.approx(85, abs=0.01) and med.mean_ssi_low == pytest.approx(25, abs=0.01)
    assert lead.zero_ssi == pytest.approx(15 - 70 / 0.45, abs=0.05)
    assert med.zero_ssi == pytest.approx(25 - 50 / 0.37, abs=0.05)
    assert res.consistent is False


def test_observed_means_beside_the_implied_ones():
    res = check_consistency(SSI, [1, 2, 3, 4, 5, 9])
    lead, med = res.table.iloc[0], res.table.iloc[1]
    assert (lead.observed_low_mean, lead.observed_high_mean) == (1.5, 7.0)
    assert (med.observed_low_mean, med.observed_high_mean) == (2.0, 6.0)
    assert res.consistent is check_consistency(SSI).consistent is False  # they do not enter the check
    assert "In the data, laggards average 1.5 opportunities per period" in res.summary()


def test_too_few_values():
    res = check_consistency([50, 60, 65])
    assert res.consistent is None and "leaders" in res.reason and "laggards" in res.reason
    assert "could not be checked" in res.summary()
    json.dumps(res.to_dict(), allow_nan=False)


def test_report_carries_the_check():
    rep = report()
    back = json.loads(json.dumps(rep.to_dict(), allow_nan=False))["consistency"]
    assert back["consistent"] in (True, False) and len(back["rows"]) == 2 and back["summary"]
    assert back["rows"][0]["published_ratio"] == 1.45
