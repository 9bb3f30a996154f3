"""LinkedIn exports of every vintage: 2018 UTF-16 files, Comments.csv quirks, spreadsheet re-saves,
searches, dated profile snapshots, creator analytics, skipped rows and the identity of an export.

Fixtures (invented content; layouts of real files, see each folder's README.md):

* ``Basic_LinkedInDataExport_01-20-2018``: the 2018 layout -- ``Messages.csv`` with
  ``From,To,Date,Subject,Content,Direction,Folder`` (HTML entities in the text), a
  ``Connections.csv`` without URL column, dates such as ``1/8/18, 6:14 PM``, and
  ``Shares.csv`` / ``Search Queries.csv`` in UTF-16LE with a BOM, tab-separated, every
  field quoted (``"Share Link"``, ``"Share Commentary"``); Registration.csv.
* ``Complete_LinkedInDataExport_05-10-2025``: ``Comments.csv`` of 5 records with quoted
  multi-line text, unquoted multi-line text and ``\\"`` escapes; ``Connections.csv``
  re-saved by a spreadsheet (BOM, a leading empty column ``,first name``, lower case,
  ``NA``, dates ``02-Apr-25`` and ``4/2/2025 13:05``); ``SearchQueries.csv``; dated
  positions, education, recommendations; Registration.csv.

The expected counts were counted by hand from those files.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from hardening import assert_refused, run_cli, tree_digest
from ssi_kit.exceptions import ImportFormatError, UsageError
from ssi_kit.imports.export_files import read_export_csv
from ssi_kit.imports.linkedin_export import import_linkedin_export, read_linkedin_export
from ssi_kit.imports.merge import IMPORT_LOG
from ssi_kit.io import load_dataset

FIXTURES = Path(__file__).parent / "fixtures" / "linkedin_export"
V2018 = FIXTURES / "Basic_LinkedInDataExport_01-20-2018"
V2025 = FIXTURES / "Complete_LinkedInDataExport_05-10-2025"

#: Per day, the counts of each export (columns of files the export lacks are absent).
DAYS_2018 = {
    "2018-01-05": {"posts": 2},                                     # UTF-16 TSV Shares.csv
    "2018-01-08": {"invitations_accepted": 2},                      # "1/8/18, 6:14 PM"
    "2018-01-09": {"messages_sent": 1, "messages_replied": 1, "searches": 3},
    "2018-01-10": {"messages_sent": 1},                             # Kim wrote first: not a reply
    "2018-01-11": {"messages_replied": 1, "searches": 1},
    "2018-01-12": {"posts": 1, "invitations_accepted": 1},
}
COUNTS_2018 = ("posts", "invitations_accepted", "searches", "messages_sent", "messages_replied")
DAYS_2025 = {
    "2025-04-01": {"comments_made": 2, "searches": 2},              # quoted and unquoted multi-line
    "2025-04-02": {"comments_made": 1, "searches": 1, "invitations_accepted": 2},  # 02-Apr-25, 4/2/2025 13:05
    "2025-04-03": {"comments_made": 2, "invitations_accepted": 1, "posts": 1},     # 3-Apr-25
}
COUNTS_2025 = ("posts", "comments_made", "invitations_accepted", "searches")

#: Values of the new fixtures that must never reach an output.
SENSITIVE = [
    "lee.placeholder@example.com", "ravi.fictional@example.org", "morgan.private@example.net",
    "ben.madeup@example.com", "+44 20 7946 0011", "7946 0011", "+44 7700 900999", "900999",
    "glad we connected", "Thursday suits", "9900 GBP", "keep it quiet", "Rescheduling",
    "Quoted first line", "Unquoted", "unquoted continuation", "ship it", "Plain remark", "Doubled",
    "Five habits", "buying signals", "procurement director", "cto contoso", "fabrikam procurement",
    "retail cio", "Apr 3, 1981", "1981", "Oct 9, 1988", "1988", "Imaginary Lane", "SW1A", "192.0.2.44",
    "198.51.100.7", "morgan_tp_sells", "morgan.tp.skype", "record time", "Pending words",
    "Testperson", "Exampleson",
]


def _activity(out: Path, member: str) -> pd.DataFrame:
    activity = load_dataset(out)["activity"]
    return activity[activity["member_id"] == member].set_index("date").sort_index()


def _expected(days: dict, counts) -> pd.DataFrame:
    rows = {pd.Timestamp(d): {c: v.get(c, 0) for c in counts} for d, v in days.items()}
    return pd.DataFrame.from_dict(rows, orient="index").astype("Int64")


@pytest.mark.parametrize("export, member, days, counts", [
    (V2018, "morgan-testperson", DAYS_2018, COUNTS_2018),
    (V2025, "riley-exampleson", DAYS_2025, COUNTS_2025),
], ids=["2018", "2025"])
def test_every_count_per_day_equals_the_files(tmp_path, export, member, days, counts):
    summary = import_linkedin_export(export, tmp_path / "out")
    assert summary.skipped == []
    got = _activity(tmp_path / "out", member)
    present = [c for c in got.columns if c != "member_id" and got[c].notna().any()]
    assert sorted(present) == sorted(counts)  # absent files: unknown, not zero
    expected = _expected(days, counts)
    pd.testing.assert_frame_equal(got[list(counts)], expected, check_dtype=False, check_names=False,
                                  check_freq=False, check_index_type=False)


def test_the_2018_files_carry_the_quirks_they_stand_for():
    for name in ("Shares.csv", "Search Queries.csv"):
        data = (V2018 / name).read_bytes()
        assert data.startswith(b"\xff\xfe")
        header = data[2:].decode("utf-16-le").splitlines()[0]
        assert header.startswith('"Date"\t') and "," not in header
    assert '"Share Link"' in (V2018 / "Shares.csv").read_bytes()[2:].decode("utf-16-le")
    assert (V2018 / "Messages.csv").read_text().splitlines()[0] == "From,To,Date,Subject,Content,Direction,Folder"
    assert "URL" not in (V2018 / "Connections.csv").read_text().splitlines()[0]
    comments = (V2025 / "Comments.csv").read_text()
    assert '\\"ship it\\"' in comments and "\nunquoted continuation" in comments
    assert (V2025 / "Connections.csv").read_text(encoding="utf-8").startswith("\ufeff,first name,")


def test_comments_csv_as_linkedin_writes_it_unit():
    data = (b'Date,Link,Message\n2025-04-01 09:00:00,x,"a\nb"\n2025-04-01 10:00:00,y,c\nd, e\n'
            b'2025-04-02 11:30:00,z,"f \\"g\\", h"\n')
    frame = read_export_csv(data, "Comments.csv", ("Date", "Link", "Message"), free_text="Date")
    assert frame["Date"].tolist() == ["2025-04-01 09:00:00", "2025-04-01 10:00:00", "2025-04-02 11:30:00"]
    assert frame["_line"].tolist() == [2, 4, 6]
    assert frame["Message"].tolist()[2] == 'f "g", h'


def test_utf16_tab_separated_file_unit():
    text = '"Date"\t"Share Link"\t"Share Commentary"\r\n"2018-01-05 09:10:00"\t"u"\t"a, b\nc"\r\n'
    frame = read_export_csv(b"\xff\xfe" + text.encode("utf-16-le"), "Shares.csv", ("Date", "ShareLink"))
    assert frame[["Date", "ShareLink"]].values.tolist() == [["2018-01-05 09:10:00", "u"]]


@pytest.mark.parametrize("text, day", [("18-Jun-24", "2024-06-18"), ("9/1/2024 1:12", "2024-09-01"),
                                       ("1/8/18, 6:14 PM", "2018-01-08"), ("02-Apr-25", "2025-04-02")])
def test_spreadsheet_and_2018_dates(text, day):
    from ssi_kit.imports.export_dates import parse_export_dates

    assert parse_export_dates([text]).dt.normalize().tolist() == [pd.Timestamp(day)]
    assert parse_export_dates(["NA"]).isna().all()


# --------------------------------------------------------------------------- dated profiles

def _profiles(tables) -> dict:
    frame = tables["profiles"].set_index("date")
    return {d.strftime("%Y-%m-%d"): row for d, row in frame.iterrows()}


def test_profile_is_reconstructed_over_the_export_history():
    got = _profiles(read_linkedin_export(V2025))
    # Registration 2019-05-04; Tailspin Jan 2019 - Jan 2022 (a past position stays listed),
    # Fabrikam from Feb 2022; the visible recommendation of 03/01/25 (the hidden one never
    # counts); school from 2012; export day.
    assert list(got) == ["2019-05-04", "2022-02-01", "2025-03-01", "2025-05-10"]
    assert [int(r["positions"]) for r in got.values()] == [1, 2, 2, 2]
    assert [int(r["recommendations"]) for r in got.values()] == [0, 0, 1, 1]
    assert [int(r["education"]) for r in got.values()] == [1] * 4
    assert all(r["has_headline"] is True and r["has_summary"] is True and r["skills"] == 3 for r in got.values())
    assert all(pd.isna(r["has_photo"]) for r in got.values())


def test_profile_from_export_date_applies_undatable_facts_only_then():
    got = _profiles(read_linkedin_export(V2025, profile_from_export_date=True))
    assert list(got)[-1] == "2025-05-10"
    last = got.pop("2025-05-10")
    assert last["has_headline"] is True and last["skills"] == 3
    assert all(pd.isna(r["has_headline"]) and pd.isna(r["skills"]) for r in got.values())
    assert int(got["2022-02-01"]["positions"]) == 2  # dated facts keep their days


def test_2018_profile_starts_at_registration():
    got = _profiles(read_linkedin_export(V2018))
    assert list(got) == ["2010-06-01", "2012-03-01", "2018-01-20"]  # Contoso 2010, Northwind 2012
    assert [int(r["positions"]) for r in got.values()] == [1, 2, 2]
    assert all(r["has_headline"] is True and r["has_summary"] is False for r in got.values())


# --------------------------------------------------------------------------- analytics

def _workbook(path: Path, *, bad_row: bool = False) -> Path:
    """A creator analytics workbook laid out as LinkedIn exports it (openpyxl)."""
    from openpyxl import Workbook

    book = Workbook()
    discovery = book.active
    discovery.title = "DISCOVERY"
    discovery.append(["Overall Performance", "4/1/2025 - 4/5/2025"])
    discovery.append(["Impressions", 220])
    engagement = book.create_sheet("ENGAGEMENT")
    engagement.append(["Date", "Impressions", "Engagements"])
    for row in (["4/1/2025", 120, 7], ["4/2/2025", 80, 3], ["4/4/2025", 0, 0], [dt.datetime(2025, 4, 5), 20, 1]):
        engagement.append(row)
    if bad_row:
        engagement.append(["soon", 5, 1])
    book.create_sheet("TOP POSTS").append(["Maximum of 50 posts available to include in this list"])
    followers = book.create_sheet("FOLLOWERS")
    followers.append(["Total followers on 5/9/2025:", 812])
    followers.append([])
    followers.append(["Date", "New followers"])
    for row in (["4/1/2025", 2], ["4/2/2025", 0], ["4/4/2025", 1], ["4/5/2025", 0]):
        followers.append(row)
    book.create_sheet("DEMOGRAPHICS").append(["Top Demographics", "Value", "Percentage"])
    book.save(path)
    return path


def test_analytics_workbook_feeds_views_reactions_and_followers(tmp_path):
    book = _workbook(tmp_path / "Content_2025-04-01_2025-04-05_RileyExampleson.xlsx")
    run = run_cli("-q", "import", "linkedin-export", V2025, "--out", tmp_path / "out", "--analytics", book)
    assert run.code == 0, run.err
    got = _activity(tmp_path / "out", "riley-exampleson")
    want = {"2025-04-01": (120, 7, 2, 2), "2025-04-02": (80, 3, 0, 1), "2025-04-03": (None, None, None, 2),
            "2025-04-04": (0, 0, 1, 0), "2025-04-05": (20, 1, 0, 0)}
    for day, (views, engagements, followers, comments) in want.items():
        row = got.loc[pd.Timestamp(day)]
        assert [None if pd.isna(v) else int(v) for v in row[["post_views", "post_reactions", "followers_gained"]]] \
            == [views, engagements, followers], day
        assert int(row["comments_made"]) == comments, day  # export counts: 0 on analytics-only days
    assert "post_comments" not in got or got["post_comments"].isna().all()  # engagements are not split


def test_analytics_row_that_cannot_be_read_is_skipped_or_refused(tmp_path):
    book = _workbook(tmp_path / "analytics.xlsx", bad_row=True)
    summary = import_linkedin_export(V2025, tmp_path / "out", analytics=[book])
    (skip,) = summary.skipped
    assert skip.count == 1 and skip.lines == (6,) and "ENGAGEMENT" in skip.file
    run = run_cli("-q", "import", "linkedin-export", V2025, "--out", tmp_path / "strict", "--analytics", book,
                  "--strict")
    assert_refused(run, 2, "ENGAGEMENT", "line 6")
    assert not (tmp_path / "strict").exists()
    (tmp_path / "not.xlsx").write_text("Date,Impressions\n")
    assert_refused(run_cli("-q", "import", "linkedin-export", V2025, "--out", tmp_path / "x", "--analytics",
                           tmp_path / "not.xlsx"), 2, "not.xlsx", "workbook")


# --------------------------------------------------------------------------- skipped rows

def _copy(export: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(export, tmp_path / export.name))


def test_unreadable_comment_dates_are_skipped_and_logged_strict_refuses(tmp_path):
    export = _copy(V2025, tmp_path)
    text = (export / "Comments.csv").read_bytes().replace(b"2025-04-03 08:15:00", b"sometime")
    (export / "Comments.csv").write_bytes(text.replace(b"2025-04-02 11:30:00", b""))
    run = run_cli("import", "linkedin-export", export, "--out", tmp_path / "out")
    assert run.code == 0, run.err
    assert "2 unreadable rows" in run.out and "Comments.csv: 2 rows skipped (lines 6, 7)" in run.out
    assert "lost: 2 comments (comments_made)" in run.out
    log = [json.loads(line) for line in (tmp_path / "out" / IMPORT_LOG).read_text().splitlines()]
    assert log[-1]["skipped"][0]["count"] == 2 and log[-1]["skipped"][0]["lines"] == [6, 7]
    comments = _activity(tmp_path / "out", "riley-exampleson")["comments_made"]
    assert comments.to_dict() == {pd.Timestamp("2025-04-01"): 2, pd.Timestamp("2025-04-02"): 0,
                                  pd.Timestamp("2025-04-03"): 1}
    before = tree_digest(tmp_path)
    run = run_cli("import", "linkedin-export", export, "--out", tmp_path / "strict", "--strict")
    assert_refused(run, 2, "Comments.csv", "lines 6, 7", "--strict")
    assert tree_digest(tmp_path) == before


def test_a_date_column_that_cannot_be_read_at_all_is_refused(tmp_path):
    export = _copy(V2025, tmp_path)
    (export / "SearchQueries.csv").write_text("Time,Search Query\nyesterday,a\ntoday,b\n")
    run = run_cli("import", "linkedin-export", export, "--out", tmp_path / "out")
    assert_refused(run, 2, "SearchQueries.csv", "'Time'", "lines 2, 3")
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- identity

def test_an_export_without_a_profile_needs_member(tmp_path):
    export = _copy(V2018, tmp_path)
    (export / "Profile.csv").unlink()
    run = run_cli("import", "linkedin-export", export, "--out", tmp_path / "out")
    assert_refused(run, 2, "no profile name", "--member")
    assert not (tmp_path / "out").exists()
    assert run_cli("-q", "import", "linkedin-export", export, "--out", tmp_path / "out", "--member", "s-1").code == 0
    assert load_dataset(tmp_path / "out")["members"]["member_id"].tolist() == ["s-1"]


def test_another_persons_export_under_the_same_id_is_refused(tmp_path):
    out = tmp_path / "out"
    assert run_cli("-q", "import", "linkedin-export", V2025, "--out", out, "--member", "seller").code == 0
    assert run_cli("-q", "import", "linkedin-export", V2025, "--out", out, "--member", "seller").code == 0  # same
    before = tree_digest(out)
    run = run_cli("-q", "import", "linkedin-export", V2018, "--out", out, "--member", "seller")
    assert_refused(run, 2, "seller", "another LinkedIn export", "--same-person")
    assert tree_digest(out) == before
    assert run_cli("-q", "import", "linkedin-export", V2018, "--out", out, "--member", "seller",
                   "--same-person").code == 0
    assert run_cli("-q", "import", "linkedin-export", V2018, "--out", out, "--member", "seller").code == 0
    assert run_cli("-q", "import", "linkedin-export", V2018, "--out", out).code == 0  # its own id: fine
    nameless = _copy(V2018, tmp_path)
    (nameless / "Profile.csv").unlink()
    assert_refused(run_cli("-q", "import", "linkedin-export", nameless, "--out", out, "--member", "seller"),
                   2, "seller", "no profile name", "--same-person")
    log = (out / IMPORT_LOG).read_text()
    assert "fingerprint" in log and "Riley" not in log and "Morgan" not in log and "Testperson" not in log


def test_reimporting_the_same_export_is_idempotent(tmp_path):
    out = tmp_path / "out"
    import_linkedin_export(V2018, out)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.name != IMPORT_LOG}
    summary = import_linkedin_export(V2018, out)
    assert sum(summary.added.values()) == 0 and sum(summary.replaced.values()) == 0
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.name != IMPORT_LOG} == before


def test_library_refuses_missing_member_with_usage_error(tmp_path):
    export = _copy(V2025, tmp_path)
    (export / "Profile.csv").write_text("First Name,Last Name,Headline\n,,\n")
    with pytest.raises(UsageError, match="--member"):
        read_linkedin_export(export)


# --------------------------------------------------------------------------- privacy

def test_no_private_value_reaches_any_output(tmp_path):
    out = tmp_path / "out"
    book = _workbook(tmp_path / "analytics.xlsx")
    printed = ""
    for argv in ([V2018], [V2025, "--analytics", book]):
        run = run_cli("import", "linkedin-export", *argv, "--out", out)
        assert run.code == 0, run.err
        printed += run.out + run.err
    files = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert set(files) == {"members.csv", "profiles.csv", "activity.csv", IMPORT_LOG}
    for value in SENSITIVE:
        for name, data in files.items():
            if value in ("Testperson", "Exampleson") and name != IMPORT_LOG:
                continue  # the seller id is a slug of the name (use --pseudonymize to hide it)
            assert value.encode("utf-8") not in data, (value, name)
        assert value not in printed or value in ("Testperson", "Exampleson"), value


def test_zip_of_the_2018_export_equals_the_folder(tmp_path):
    import zipfile

    archive = tmp_path / "Basic_LinkedInDataExport_01-20-2018.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for file in sorted(V2018.glob("*.csv")):
            z.write(file, f"{V2018.name}/{file.name}")
    zipped, folder = read_linkedin_export(archive), read_linkedin_export(V2018)
    for name in folder:
        pd.testing.assert_frame_equal(zipped[name], folder[name])


def test_strict_refusal_names_no_private_text(tmp_path):
    export = _copy(V2025, tmp_path)
    data = (export / "Comments.csv").read_bytes()
    (export / "Comments.csv").write_bytes(data.replace(b"2025-04-03 08:15:00", b"call +44 7700 900999"))
    with pytest.raises(ImportFormatError) as err:
        import_linkedin_export(export, tmp_path / "out", strict=True)
    assert "7700" not in str(err.value) and "line 7" in str(err.value)


def test_analytics_workbook_inside_the_export_folder_or_zip_is_read(tmp_path):
    import zipfile

    export = _copy(V2025, tmp_path)
    _workbook(export / "Content_2025-04-01_2025-04-05.xlsx")
    (export / "Notes.xlsx").write_bytes((export / "Content_2025-04-01_2025-04-05.xlsx").read_bytes()[:100])
    summary = import_linkedin_export(export, tmp_path / "out")
    assert any("Notes.xlsx: not a LinkedIn analytics workbook" in note for note in summary.notes)
    views = _activity(tmp_path / "out", "riley-exampleson")["post_views"]
    assert int(views.sum()) == 220
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for file in sorted(export.iterdir()):
            z.write(file, f"{export.name}/{file.name}")
    tables = read_linkedin_export(archive)
    assert int(tables["activity"]["post_views"].sum()) == 220
    assert int(tables["activity"]["followers_gained"].sum()) == 3
