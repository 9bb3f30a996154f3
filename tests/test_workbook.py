"""The report workbook read back with openpyxl: numbers stored as numbers with their formats, dates
as dates, bold frozen filtered headers, readable sheets, formula-looking text kept as text, same bytes."""
import json
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from ssi_kit.io.cells import looks_like_formula
from ssi_kit.report import roster, summaries
from ssi_kit.report.workbook import SHEETS, workbook_sheets, write_workbook

#: Team names an attacker might choose: each is a formula to a spreadsheet.
HOSTILE_TEAMS = ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR",
                 '=IMPORTXML("http://x","//a")']


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    """A simulated organisation whose teams are named like formulas: views, claims, roster."""
    from ssi_kit.claims.evaluate import evaluate_claims
    from ssi_kit.io import load_dataset
    from ssi_kit.jobs import simulate_to_dir
    from ssi_kit.report.views import build_views
    from ssi_kit.simulate import SimulationConfig

    out = simulate_to_dir(tmp_path_factory.mktemp("wb") / "d", SimulationConfig(members=20, seed=5))
    members = pd.read_csv(out / "members.csv")
    members["team"] = [HOSTILE_TEAMS[i % len(HOSTILE_TEAMS)] for i in range(len(members))]
    members.to_parquet(out / "members.parquet", index=False)  # keeps the tab and carriage return
    (out / "members.csv").unlink()
    dataset = load_dataset(out)
    claims = json.loads(json.dumps(evaluate_claims(dataset, n_resamples=200).to_dict()))
    views = build_views(dataset, every=28)
    table = roster.build_roster(views.observed, computed=views.computed, source="observed")
    return views, claims, table


@pytest.fixture(scope="module")
def book(org, tmp_path_factory):
    views, claims, table = org
    path = write_workbook(tmp_path_factory.mktemp("out") / "report.xlsx", views.observed, claims,
                          source="observed", computed=views.computed, tracking=views.tracking, roster=table)
    return path, openpyxl.load_workbook(path)


def _column(ws, header: str) -> list:
    """The cells under ``header`` (row 1) of worksheet ``ws``."""
    heads = [c.value for c in ws[1]]
    assert header in heads, (header, heads)
    j = heads.index(header) + 1
    return [ws.cell(row=i, column=j) for i in range(2, ws.max_row + 1)]


def test_sheets_are_named_for_readers_about_first(book):
    _, wb = book
    assert wb.sheetnames == ["About", "Headline", "Latest snapshot", "Roster", "LinkedIn readings",
                             "Computed scores", "Pillars by team", "Ranks by industry", "Distribution", "Movers",
                             "Drivers", "Tracking", "Claims", "Claims power", "Claim specifications",
                             "Claims methods"]
    about = {r[0]: r[1] for r in wb["About"].iter_rows(min_row=2, values_only=True)}
    assert "LinkedIn's readings" in about["Headline SSI"]
    assert about["Kit version"].startswith("ssi-kit ")
    assert set(wb.sheetnames) - {"About"} <= set(about)  # each sheet described


def test_every_sheet_has_a_bold_frozen_filtered_header_and_fitted_widths(book):
    _, wb = book
    for ws in wb:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(ws.max_column)}{ws.max_row}", ws.title
        heads = list(ws[1])
        assert all(c.font.b for c in heads), ws.title
        assert not [c.value for c in heads if "_" in str(c.value)], ws.title  # no snake_case
        widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width
                  for j in range(1, ws.max_column + 1)]
        assert all(8 <= w <= 45 for w in widths), (ws.title, widths)
    texts = _column(wb["Claims methods"], "Operational definition")
    assert wb["Claims methods"].column_dimensions["D"].width == 45  # long text: capped
    assert max(len(c.value) for c in texts) > 45


def test_latest_snapshot_holds_numbers_and_dates_of_each_sellers_latest_reading(book, org):
    views = org[0]
    ws = book[1]["Latest snapshot"]
    readings = views.observed
    latest = readings[readings["date"] == readings.groupby("member_id")["date"].transform("max")]
    expected = latest.set_index("member_id")["ssi"].sort_index()  # computed here, independently
    sellers = [c.value for c in _column(ws, "Seller")]
    assert sellers == sorted(expected.index)
    ssi = _column(ws, "SSI, LinkedIn's reading (0-100)")
    assert all(c.data_type == "n" and c.number_format == "0.0" for c in ssi)
    assert np.allclose([c.value for c in ssi], expected.to_numpy())
    dates = _column(ws, "Date")
    assert all(c.is_date and c.number_format == "yyyy-mm-dd" for c in dates)
    assert [c.value.date() for c in dates] == [d.date() for d in latest.sort_values("member_id")["date"]]
    change = [c for c in _column(ws, "7-day change in SSI, LinkedIn's reading (points)") if c.value is not None]
    assert change and all(c.data_type == "n" and c.number_format == "0.00" for c in change)


def test_headline_values_are_numbers_with_formats(book, org):
    views = org[0]
    last = summaries.latest_scores(views.observed)
    rows = {r[0].value: r[1] for r in book[1]["Headline"].iter_rows(min_row=2)}
    assert rows["Sellers"].value == last["member_id"].nunique() and rows["Sellers"].number_format == "0"
    leaders = rows["Leaders (SSI > 70)"]
    assert leaders.data_type == "n" and leaders.number_format == "0.0%"
    assert leaders.value == pytest.approx(round((last["ssi"] > 70).mean(), 3))
    median = rows["Median SSI (LinkedIn's reading)"]
    assert median.number_format == "0.0" and median.value == pytest.approx(last["ssi"].median(), abs=0.05)
    assert rows["Latest day"].is_date and rows["Latest day"].value == last["date"].max()


def test_claims_estimates_intervals_p_values_and_power_are_numbers(book, org):
    claims = org[1]
    wb = book[1]
    by_claim = {c["claim_id"]: c for c in claims["claims"]}
    names = [c.value for c in _column(wb["Claims"], "Claim")]
    assert len(names) == len(by_claim)
    for header, key, fmt in (("Estimate", "estimate", "0.000"), ("95% CI, low", "ci_low", "0.000"),
                             ("95% CI, high", "ci_high", "0.000"), ("p-value (Holm-adjusted)", "p_adjusted", "0.000")):
        cells = _column(wb["Claims"], header)
        for claim, cell in zip(claims["claims"], cells):
            if claim[key] is None:
                assert cell.value is None
            else:
                assert cell.data_type == "n" and cell.number_format == fmt
                assert cell.value == pytest.approx(claim[key])
    power = _column(wb["Claims power"], "Power for the published effect (%)")
    tested = [(c, cell) for c, cell in zip(claims["claims"], power) if c["power"] is not None]
    assert tested and all(cell.number_format == "0.0%" and cell.value == pytest.approx(c["power"])
                          for c, cell in tested)
    n = _column(wb["Claims"], "Observations (n)")
    assert [cell.value for cell in n] == [c["n"] for c in claims["claims"]]
    shares = _column(wb["Distribution"], "Share of sellers (%)")
    assert all(c.number_format == "0.0%" and 0 <= c.value <= 1 for c in shares)


def test_formula_looking_text_is_written_as_text_never_as_a_formula(book, org):
    path, wb = book
    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not [n for n in sheets if b"<f>" in archive.read(n) or b"<f " in archive.read(n)]
    teams = set()
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                if looks_like_formula(cell.value):
                    assert cell.data_type == "s", (ws.title, cell.coordinate, cell.value)
        heads = [c.value for c in ws[1]]
        if "Team" in heads:
            teams |= {c.value for c in _column(ws, "Team")}
    read = set(org[0].observed["team"])  # as the dataset reader gives them (it trims blanks)
    assert teams == read  # exactly the names: not quoted, not altered
    assert {'=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", '=IMPORTXML("http://x","//a")'} <= read


def test_roster_sheet_labels_and_numbers(book, org):
    table = org[2]
    ws = book[1]["Roster"]
    assert [c.value for c in _column(ws, "Seller")] == list(table["member_id"])
    reach = _column(ws, "Points within reach (100 minus SSI)")
    assert all(c.data_type == "n" for c in reach)
    assert np.allclose([c.value for c in reach], table["points_within_reach"])
    assert all(isinstance(c.value, str) for c in _column(ws, "Next action"))


def test_same_inputs_give_the_same_bytes(org, tmp_path):
    views, claims, table = org
    args = dict(source="observed", computed=views.computed, tracking=views.tracking, roster=table)
    first = write_workbook(tmp_path / "a.xlsx", views.observed, claims, **args).read_bytes()
    second = write_workbook(tmp_path / "b.xlsx", views.observed, claims, **args).read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "a.xlsx") as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert b"2000-01-01T00:00:00Z" in archive.read("docProps/core.xml")


def test_computed_only_workbook_without_claims_or_roster(org, tmp_path):
    """The oldest call still works: scores alone; sheets follow what is given."""
    views = org[0]
    sheets = workbook_sheets(views.computed, None)
    assert list(sheets) == ["about", "headline", "latest", "scores", "pillars_by_team", "ranks_by_industry",
                            "distribution", "movers", "drivers"]
    assert "Industry rank within this organisation (Top %)" in sheets["latest"].columns
    wb = openpyxl.load_workbook(write_workbook(tmp_path / "c.xlsx", views.computed))
    assert wb.sheetnames == [SHEETS[k][0] for k in sheets]


def test_readings_without_ranks_show_the_kits_ranks_labelled_as_such(org):
    views = org[0]
    readings = views.observed.assign(industry_top_pct=np.nan, network_top_pct=np.nan)
    ranks = workbook_sheets(readings, None, source="observed", computed=views.computed)["ranks_by_industry"]
    assert "Median industry rank within this organisation (Top %)" in ranks.columns
    assert ranks["Median industry rank within this organisation (Top %)"].notna().all()


def test_values_a_spreadsheet_cannot_hold_become_empty_or_visible(org, tmp_path):
    """Infinities and NaN are empty cells; control characters XML cannot carry become U+FFFD."""
    scores = org[0].computed.copy()
    first = scores["member_id"] == scores["member_id"].iloc[0]
    scores["team"] = scores["team"].astype(object).where(~first, "bad\x01name")
    scores.loc[first, "ssi_change_7d"] = np.inf
    wb = openpyxl.load_workbook(write_workbook(tmp_path / "odd.xlsx", scores))
    ws = wb["Computed scores"]
    teams = [c.value for c in _column(ws, "Team")]
    assert "bad\ufffdname" in teams and not [t for t in teams if "\x01" in str(t)]
    change = _column(ws, "7-day change in SSI, the kit's computed score (points)")
    assert [c.value for c, f in zip(change, first) if f] == [None] * int(first.sum())


def test_roster_sheet_with_the_coaching_plan(org, tmp_path):
    """The plan's columns in the Roster sheet: actions as text, their summed gain as a number."""
    from ssi_kit.io import load_dataset
    from ssi_kit.jobs import simulate_to_dir
    from ssi_kit.report import coaching
    from ssi_kit.simulate import SimulationConfig

    views, claims, _ = org
    dataset = load_dataset(simulate_to_dir(tmp_path / "d", SimulationConfig(members=20, seed=5)))
    coach = coaching.coach_plan(dataset, day=views.computed["date"].max())
    table = roster.build_roster(views.observed, computed=views.computed, source="observed", plan=coach)
    path = write_workbook(tmp_path / "r.xlsx", views.observed, claims, source="observed",
                          computed=views.computed, roster=table)
    ws = openpyxl.load_workbook(path)["Roster"]
    gains = _column(ws, "Points the top three actions would add")
    assert all(c.data_type == "n" and c.number_format == "0.0" for c in gains)
    assert np.allclose([c.value for c in gains], table["top_actions_gain"])
    expected = coach.table[coach.table["rank"] <= 3].groupby("member_id")["gain"].sum()
    assert np.allclose(table["top_actions_gain"], table["member_id"].map(expected).fillna(0.0))
    actions = [c.value for c in _column(ws, "Top three actions (SSI points each would add)")]
    assert actions == list(table["top_actions"]) and all(" points" in a for a in actions)
