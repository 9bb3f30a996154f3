"""The LinkedIn data-export importer: round trips, date formats, quirks, ZIP safety, privacy.

The fixtures in ``fixtures/linkedin_export/`` are hand-made exports of two vintages:
``Basic_..._03-01-2024`` (older: no ATTACHMENTS / IS MESSAGE DRAFT columns, no profile
URLs in Invitations.csv) and ``Complete_..._09-05-2026`` (Shares_<member id>.csv, a
byte-order mark and CRLF in Connections.csv, mojibake in Profile.csv, trailing commas
in Reactions.csv, a duplicate column in Comments.csv, a draft message, a subfolder).
The expected counts below were counted by hand from those files.
"""
from __future__ import annotations

import csv
import io
import shutil
import struct
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ssi_kit.imports.merge import IMPORT_LOG
from ssi_kit.cli import main
from ssi_kit.exceptions import ImportFormatError, InputError
from ssi_kit.imports.export_dates import parse_export_dates
from ssi_kit.imports.export_files import ZipLimits, decode_text, read_export_csv, repair_mojibake
from ssi_kit.imports.linkedin_export import import_linkedin_export, read_linkedin_export
from ssi_kit.imports.privacy import pseudonym
from ssi_kit.io import PILLARS, load_dataset

FIXTURES = Path(__file__).parent / "fixtures" / "linkedin_export"
BASIC = FIXTURES / "Basic_LinkedInDataExport_03-01-2024"
COMPLETE = FIXTURES / "Complete_LinkedInDataExport_09-05-2026"
COUNTS = ("posts", "comments_made", "reactions_made", "invitations_sent", "invitations_accepted",
          "messages_sent", "messages_replied")

#: Per day, the non-zero counts, counted by hand from the fixture files.
BASIC_DAYS = {
    "2024-01-10": {"invitations_sent": 2},                       # two OUTGOING, one INCOMING ignored
    "2024-01-15": {"posts": 3, "reactions_made": 2, "invitations_accepted": 2},
    "2024-01-16": {"messages_sent": 1, "messages_replied": 1},
    "2024-01-17": {"messages_replied": 1},
    "2024-01-18": {"messages_sent": 1},                          # Bob wrote first: not a reply
    "2024-01-19": {"messages_replied": 1},
    "2024-01-20": {"comments_made": 2},
    "2024-01-21": {"reactions_made": 1},
    "2024-02-01": {"posts": 1},
    "2024-02-02": {"invitations_accepted": 1},
    "2024-02-03": {"messages_sent": 1},
    "2024-02-10": {"comments_made": 1},
    "2024-02-27": {"invitations_sent": 1},                       # "2/27/24, 11:59 PM"
    "2024-02-28": {"invitations_accepted": 1},
}
COMPLETE_DAYS = {
    "2026-01-15": {"posts": 3},                                  # Shares_155814142.csv
    "2026-08-30": {"invitations_sent": 2},
    "2026-08-31": {"messages_sent": 1},                          # Marie wrote first that day
    "2026-09-01": {"posts": 1, "invitations_accepted": 2, "messages_replied": 1},  # the draft is not sent
    "2026-09-02": {"messages_sent": 1, "messages_replied": 2, "comments_made": 2},  # "Pepe" = José by URL
    "2026-09-03": {"reactions_made": 1},                         # the sponsored message is not a reply
    "2026-09-04": {"comments_made": 1, "reactions_made": 2},
    "2026-09-05": {"invitations_sent": 1, "invitations_accepted": 1},  # "9/5/26, 1:12 AM"
}
PROFILES = {
    BASIC: dict(member_id="jane-doe", industry="Computer Software", date="2024-03-01", has_headline=True,
                has_summary=True, positions=3, education=2, skills=5, recommendations=2),  # past positions stay listed
    COMPLETE: dict(member_id="jose-garcia", industry="Télécommunications", date="2026-09-05",
                   has_headline=True, has_summary=False, positions=2, education=1, skills=3, recommendations=1),
}
#: The days the dated profile facts change (starts of positions and schools; visible
#: recommendations created), from the first day of activity (no Registration.csv: earlier
#: facts fold into it) to the export date.
SNAPSHOT_DAYS = {
    BASIC: ["2024-01-10", "2024-03-01"],                  # first activity: invitations of 10 Jan 2024
    COMPLETE: ["2026-01-15", "2026-08-14", "2026-09-05"],  # first activity: shares of 15 Jan 2026
}
EXPECTED_DAYS = {BASIC: BASIC_DAYS, COMPLETE: COMPLETE_DAYS}

#: Values of the fixtures that must never reach an output (e-mails, phones, texts, birth dates, addresses).
SENSITIVE = [
    "alice.martin@example.com", "carla.rossi@example.org", "jane.doe@example.com", "alice.private@example.net",
    "marie.dubois@example.fr", "lena.schmidt@example.de", "jose.garcia@example.es",
    "+44 20 7946 0958", "+44 7700 900123", "7700", "+34 612 345 678", "612 345", "+81 90 1234 5678",
    "confidential discount", "4200 EUR", "Happy to chat", "Tuesday works", "Are you hiring", "Not right now",
    "free for a demo", "Borrador secreto", "Konnichiwa", "Gracias por conectar", "Perfecto hablamos",
    "let's connect", "Evan from the conference", "nos vimos en el congreso", "Try Premium",
    "Three lessons", "Great point", "Enhorabuena", "best account executive", "Helping sales teams",
    "Mar 14 1985", "1985", "Jul 2 1990", "1990", "221B Baker Street", "Baker", "NW1 6XE",
    "Calle Mayor", "28013", "jane.doe.skype", "janedoe_sells",
]


def zip_folder(folder: Path, dest: Path, *, top_level: bool = False) -> Path:
    """Zip an export folder as LinkedIn does (files inside the folder), or with files at top level."""
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                rel = file.relative_to(folder).as_posix()
                archive.write(file, rel if top_level else f"{folder.name}/{rel}")
    return dest


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (hidden ones too) with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != IMPORT_LOG}  # the log records each import


def expected_activity(days: dict) -> pd.DataFrame:
    rows = [{"date": pd.Timestamp(d), **{c: counts.get(c, 0) for c in COUNTS}} for d, counts in days.items()]
    return pd.DataFrame(rows).astype({c: "Int64" for c in COUNTS})


def check_dataset(out: Path, export: Path, snapshot_days=None) -> None:
    """``out`` is a valid dataset holding exactly the export's hand-counted tables."""
    ds = load_dataset(out)
    want = PROFILES[export]
    members = ds["members"].set_index("member_id")
    assert members.loc[want["member_id"], "industry"] == want["industry"]
    activity = ds["activity"][ds["activity"]["member_id"] == want["member_id"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(activity[["date", *COUNTS]], expected_activity(EXPECTED_DAYS[export]),
                                  check_dtype=False)
    profiles = ds["profiles"][ds["profiles"]["member_id"] == want["member_id"]].sort_values("date")
    assert profiles["date"].tolist() == [pd.Timestamp(d) for d in snapshot_days or SNAPSHOT_DAYS[export]]
    profile = profiles.iloc[-1]
    assert profile["date"] == pd.Timestamp(want["date"])
    for col in ("has_headline", "has_summary", "positions", "education", "skills", "recommendations"):
        assert profile[col] == want[col], col
    assert pd.isna(profile["has_photo"]) and pd.isna(profile["featured_items"])


def test_the_fixtures_carry_the_quirks_they_stand_for():
    connections = (COMPLETE / "Connections.csv").read_bytes()
    assert connections.startswith(b"\xef\xbb\xbfNotes:\r\n") and b"\r\n\r\nFirst Name," in connections
    assert "JosÃ©".encode("utf-8") in (COMPLETE / "Profile.csv").read_bytes()
    assert (COMPLETE / "Reactions.csv").read_text().splitlines()[0] == "Date,Type,Link,"
    assert (COMPLETE / "Comments.csv").read_text().splitlines()[0] == "Date,Link,Message,Link"
    assert "IS MESSAGE DRAFT" in (COMPLETE / "messages.csv").read_text().splitlines()[0]
    assert "ATTACHMENTS" not in (BASIC / "messages.csv").read_text().splitlines()[0]
    assert (COMPLETE / "Shares_155814142.csv").exists() and not (COMPLETE / "Shares.csv").exists()


# --------------------------------------------------------------------------- round trips

@pytest.mark.parametrize("export", [BASIC, COMPLETE], ids=["basic", "complete"])
def test_folder_import_counts_every_day_by_hand(tmp_path, export):
    summary = import_linkedin_export(export, tmp_path / "out")
    check_dataset(tmp_path / "out", export)
    assert summary.added == {"members": 1, "activity": len(EXPECTED_DAYS[export]),
                             "profiles": len(SNAPSHOT_DAYS[export])}


@pytest.mark.parametrize("export", [BASIC, COMPLETE], ids=["basic", "complete"])
@pytest.mark.parametrize("top_level", [False, True], ids=["in-folder", "top-level"])
def test_zip_import_equals_folder_import(tmp_path, export, top_level):
    archive = zip_folder(export, tmp_path / f"{export.name}.zip", top_level=top_level)
    import_linkedin_export(archive, tmp_path / "out")
    check_dataset(tmp_path / "out", export)
    assert snapshot(tmp_path / "out") == snapshot(_imported(export, tmp_path / "from-folder"))


def _imported(export: Path, out: Path) -> Path:
    import_linkedin_export(export, out)
    return out


def test_zip_without_a_dated_name_dates_the_profile_by_its_latest_event(tmp_path):
    archive = zip_folder(BASIC, tmp_path / "my-data.zip", top_level=True)
    tables = read_linkedin_export(archive)
    # The latest dated event is the connection of 28 Feb 2024 -- never today's date.
    assert tables["profiles"]["date"].max() == pd.Timestamp("2024-02-28")


def test_export_folder_inside_a_parent_folder_is_found(tmp_path):
    shutil.copytree(COMPLETE, tmp_path / "downloads" / COMPLETE.name)
    tables = read_linkedin_export(tmp_path / "downloads")
    assert tables["profiles"]["date"].max() == pd.Timestamp("2026-09-05")
    assert int(tables["activity"]["posts"].sum()) == 4


def test_importing_twice_adds_nothing(tmp_path):
    out = tmp_path / "out"
    import_linkedin_export(BASIC, out)
    before = snapshot(out)
    summary = import_linkedin_export(zip_folder(BASIC, tmp_path / "again.zip"), out)
    assert summary.added == {"members": 0, "activity": 0, "profiles": 0}
    assert summary.replaced == {"members": 0, "activity": 0, "profiles": 0}
    assert summary.unchanged == {"members": 1, "activity": len(BASIC_DAYS), "profiles": len(SNAPSHOT_DAYS[BASIC])}
    assert snapshot(out) == before


def test_two_exports_in_one_dataset_score_and_show_the_weakest_pillar(tmp_path):
    from ssi_kit.scoring import score_dataset

    out = tmp_path / "out"
    import_linkedin_export(BASIC, out)
    import_linkedin_export(COMPLETE, out)
    scores = score_dataset(load_dataset(out))
    assert set(scores["member_id"]) == {"jane-doe", "jose-garcia"}
    latest = scores[scores["member_id"] == "jane-doe"].sort_values("date").iloc[-1]
    pillars = latest[list(PILLARS)].astype(float)
    assert latest["ssi"] == pytest.approx(pillars.sum(), abs=1e-6)
    assert latest["date"] == pd.Timestamp("2026-09-05")  # scored up to the last date of the dataset
    assert pillars.idxmin() in PILLARS
    assert pillars["brand"] > 0  # the profile snapshot counts: headline, summary, positions, ...


def test_weakest_pillar_of_one_export(tmp_path):
    from ssi_kit.scoring import score_dataset

    import_linkedin_export(BASIC, tmp_path / "out")
    scores = score_dataset(load_dataset(tmp_path / "out"))
    last = scores.iloc[-1]
    assert last["date"] == pd.Timestamp("2024-03-01")
    pillars = last[list(PILLARS)].astype(float)
    # The export has no searches, views or saved leads and only 4 connections.
    assert pillars.idxmin() == "relationships"
    assert 0 < pillars.min() < pillars.max()


def test_import_into_a_simulated_dataset_keeps_it_valid(tmp_path):
    from ssi_kit.jobs import simulate_to_dir
    from ssi_kit.simulate import SimulationConfig

    out = tmp_path / "sim"
    simulate_to_dir(out, SimulationConfig(members=20))
    before = load_dataset(out)
    summary = import_linkedin_export(COMPLETE, out)
    after = load_dataset(out)
    assert len(after["members"]) == len(before["members"]) + 1
    assert summary.added["activity"] == len(COMPLETE_DAYS) and summary.replaced["activity"] == 0
    old = after["activity"][after["activity"]["member_id"] != "jose-garcia"].reset_index(drop=True)
    pd.testing.assert_frame_equal(old[before["activity"].columns], before["activity"], check_dtype=False)
    assert (out / "truth.json").exists()
    check_dataset(out, COMPLETE)


def test_partial_export_leaves_unknown_counts_to_the_existing_dataset(tmp_path):
    export = tmp_path / "Basic_LinkedInDataExport_03-01-2024"
    export.mkdir()
    for name in ("Connections.csv", "Profile.csv"):
        shutil.copy(BASIC / name, export / name)
    out = tmp_path / "out"
    import_linkedin_export(BASIC, out)
    tables = read_linkedin_export(export)
    assert [c for c in tables["activity"].columns if c in COUNTS] == ["invitations_accepted"]
    assert tables["profiles"][["positions", "skills"]].isna().all().all()  # no file: unknown, not 0
    summary = import_linkedin_export(export, out)
    assert summary.replaced == {"members": 0, "activity": 0, "profiles": 0}
    # posts, messages, skills ... kept from the full import; the partial export starts its
    # profile on its own first day of activity (15 Jan 2024), a snapshot of its own.
    check_dataset(out, BASIC, ["2024-01-10", "2024-01-15", "2024-03-01"])


def test_member_and_industry_options(tmp_path):
    tables = read_linkedin_export(BASIC, member_id="seller-7", industry="Retail")
    assert tables["members"].to_dict("records") == [{"member_id": "seller-7", "industry": "Computer Software"}]
    assert set(tables["activity"]["member_id"]) == {"seller-7"} == set(tables["profiles"]["member_id"])
    export = tmp_path / "Basic_LinkedInDataExport_03-01-2024"
    shutil.copytree(BASIC, export)
    (export / "Profile.csv").unlink()
    assert read_linkedin_export(export, member_id="me", industry="Retail")["members"].to_dict("records") == [
        {"member_id": "me", "industry": "Retail"}]
    assert read_linkedin_export(export, member_id="me")["members"]["industry"].tolist() == ["unknown"]


def test_without_a_name_or_own_url_message_counts_are_unknown(tmp_path):
    export = tmp_path / "Basic_LinkedInDataExport_03-01-2024"
    shutil.copytree(BASIC, export)
    (export / "Profile.csv").unlink()
    activity = read_linkedin_export(export, member_id="seller-1")["activity"]
    assert "messages_sent" not in activity and "messages_replied" not in activity
    assert int(activity["posts"].sum()) == 4


# --------------------------------------------------------------------------- dates and quirks

@pytest.mark.parametrize("text, day", [
    ("15 Jan 2024", "2024-01-15"),                        # Connections.csv
    ("2023-05-01 14:22:10 UTC", "2023-05-01"),            # messages.csv
    ("2026-01-15 10:00:00", "2026-01-15"),                # Shares, Comments, Reactions
    ("9/5/26, 1:12 AM", "2026-09-05"),                    # Invitations.csv (month first)
    ("12/31/25, 11:59 PM", "2025-12-31"),
    ("Sat Sep 05 08:12:14 UTC 2026", "2026-09-05"),       # Company Follows.csv
    ("Jan 2015", "2015-01-01"),                           # Positions.csv
    ("2015", "2015-01-01"),                               # Education.csv
    ("2020/05/21 07:27:21 UTC", "2020-05-21"),            # Endorsement_Received_Info.csv
    ("01/10/24, 09:30 AM", "2024-01-10"),                 # Recommendations_Received.csv
    ("2024-01-15T10:00:00Z", "2024-01-15"),
    ("  15   Jan 2024 ", "2024-01-15"),
])
def test_every_date_format_gives_the_right_day(text, day):
    assert parse_export_dates([text]).dt.normalize().tolist() == [pd.Timestamp(day)]


def test_times_are_kept_for_ordering_and_pm_is_read():
    got = parse_export_dates(["9/5/26, 1:12 PM", "9/5/26, 12:05 AM", "2023-05-01 14:22:10 UTC"]).tolist()
    assert got == [pd.Timestamp("2026-09-05 13:12"), pd.Timestamp("2026-09-05 00:05"),
                   pd.Timestamp("2023-05-01 14:22:10")]


@pytest.mark.parametrize("text", ["", "soon", "2024-02-30", "13/13/24", "31 Foo 2024", "9/5/26, 25:00",
                                  "1/1/24, 13:00 PM", "0000-01-01", "15 Jan 99999"])
def test_non_dates_are_not_guessed(text):
    assert parse_export_dates([text]).isna().all()


def test_a_column_of_day_first_slash_dates_is_read_day_first():
    got = parse_export_dates(["25/12/24", "1/2/24"]).tolist()
    assert got == [pd.Timestamp("2024-12-25"), pd.Timestamp("2024-02-01")]


def test_header_is_found_after_the_preamble_whatever_its_length():
    data = b'Notes:\n"line one\nline two, with a comma"\n\n\nFirst Name,Last Name,Connected On\nA,B,15 Jan 2024\n'
    frame = read_export_csv(data, "Connections.csv", ("First Name", "Last Name", "Connected On"))
    assert frame[["First Name", "Connected On"]].values.tolist() == [["A", "15 Jan 2024"]]
    assert frame["_line"].tolist() == [7]


def test_bom_trailing_commas_and_duplicate_columns():
    data = "\ufeffDate,Type,Link,Link,\n2024-01-15,LIKE,,https://x,\n2024-01-16,LIKE,https://y,https://z,,\n"
    frame = read_export_csv(data.encode("utf-8"), "Reactions.csv", ("Date", "Type", "Link"))
    assert list(frame.columns) == ["Date", "Type", "Link", "_line"]
    assert frame["Link"].tolist() == ["https://x", "https://y"]  # first non-blank of the duplicates


def test_mangled_byte_order_mark_and_case_in_header():
    data = "ï»¿date,TYPE,link\n2024-01-15,LIKE,x\n".encode("utf-8")
    frame = read_export_csv(data, "Reactions.csv", ("Date", "Type", "Link"))
    assert frame["Date"].tolist() == ["2024-01-15"]


def test_text_encodings_and_mojibake():
    assert decode_text("José".encode("cp1252")) == "José"              # not UTF-8: Windows-1252
    assert decode_text(b"\xef\xbb\xbfJos\xc3\xa9") == "José"             # BOM stripped
    assert decode_text("José".encode("utf-16")) == "José"
    assert repair_mojibake("JosÃ© GarcÃ­a â€” TÃ©lÃ©com") == "José García — Télécom"
    assert repair_mojibake("déjà vu, créé, naïve") == "déjà vu, créé, naïve"  # real accents untouched
    assert repair_mojibake("Ã") == "Ã" and repair_mojibake(None) is None


def test_cp1252_profile_gives_the_same_member(tmp_path):
    export = tmp_path / "Complete_LinkedInDataExport_09-05-2026"
    shutil.copytree(COMPLETE, export)
    text = repair_mojibake((export / "Profile.csv").read_text(encoding="utf-8"))
    (export / "Profile.csv").write_bytes(text.encode("cp1252"))
    members = read_linkedin_export(export)["members"]
    assert members.to_dict("records") == [{"member_id": "jose-garcia", "industry": "Télécommunications"}]


def test_garbage_date_is_skipped_and_reported_or_refused_with_strict(tmp_path):
    export = tmp_path / "Basic_LinkedInDataExport_03-01-2024"
    shutil.copytree(BASIC, export)
    text = (export / "messages.csv").read_text(encoding="utf-8")
    (export / "messages.csv").write_text(text.replace("2024-01-17 08:00:00 UTC", "Tuesday works"),
                                         encoding="utf-8")
    summary = import_linkedin_export(export, tmp_path / "out")
    (skip,) = summary.skipped
    assert (skip.file.endswith("messages.csv"), skip.count, skip.lines) == (True, 1, (4,))
    assert "'DATE'" in skip.reason and skip.lost == "1 messages (messages_sent, messages_replied)"
    activity = load_dataset(tmp_path / "out")["activity"].set_index("date")
    assert int(activity["messages_replied"].sum()) == 2  # the 17 Jan reply is lost, the others kept
    with pytest.raises(ImportFormatError) as err:
        import_linkedin_export(export, tmp_path / "strict", strict=True)
    message = str(err.value)
    assert "messages.csv" in message and "'DATE'" in message and "line 4" in message
    assert "Tuesday works" not in message and not (tmp_path / "strict").exists()


def test_missing_header_is_an_import_format_error(tmp_path):
    export = tmp_path / "Basic_LinkedInDataExport_03-01-2024"
    shutil.copytree(BASIC, export)
    (export / "Shares.csv").write_text("When,What\n2024-01-15,x\n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match=r"Shares\.csv: has no header row naming the columns Date, ShareLink"):
        read_linkedin_export(export)


@pytest.mark.parametrize("make", ["missing", "empty-dir", "not-a-zip"])
def test_wrong_paths_are_import_format_errors(tmp_path, make):
    path = tmp_path / "x"
    if make == "empty-dir":
        path.mkdir()
        (path / "notes.txt").write_text("hello")
    elif make == "not-a-zip":
        path.write_bytes(b"PK\x03\x04 definitely not a zip")
    with pytest.raises(ImportFormatError):
        read_linkedin_export(path)


def test_two_exports_side_by_side_are_refused(tmp_path):
    shutil.copytree(BASIC, tmp_path / "both" / BASIC.name)
    shutil.copytree(COMPLETE, tmp_path / "both" / COMPLETE.name)
    with pytest.raises(ImportFormatError, match="several exports"):
        read_linkedin_export(tmp_path / "both")


def test_member_id_suffixed_parts_are_summed_and_the_plain_name_wins(tmp_path):
    export = tmp_path / "Complete_LinkedInDataExport_09-05-2026"
    shutil.copytree(COMPLETE, export)
    header = "Date,ShareLink,ShareCommentary,SharedUrl,MediaUrl,Visibility\n"
    (export / "Shares_155814143.csv").write_text(header + "2026-01-15 11:00:00,https://x/5,,,,PUBLIC\n")
    assert int(read_linkedin_export(export)["activity"]["posts"].sum()) == 5  # 4 + 1 from the second part
    (export / "Shares.csv").write_text(header + "2026-02-01 11:00:00,https://x/6,,,,PUBLIC\n")
    activity = read_linkedin_export(export)["activity"]
    assert activity.loc[activity["posts"] > 0, "date"].tolist() == [pd.Timestamp("2026-02-01")]


def test_zip_members_are_read_in_memory_never_extracted(tmp_path, monkeypatch):
    archive = zip_folder(COMPLETE, tmp_path / "export.zip")

    def refuse(*args, **kwargs):
        raise AssertionError("the importer must not extract to disk")

    monkeypatch.setattr(zipfile.ZipFile, "extract", refuse)
    monkeypatch.setattr(zipfile.ZipFile, "extractall", refuse)
    assert int(read_linkedin_export(archive)["activity"]["posts"].sum()) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.zip"]


# --------------------------------------------------------------------------- privacy

def test_pseudonyms_are_consistent_across_tables(tmp_path):
    salt = "a-long-secret-salt"
    import_linkedin_export(BASIC, tmp_path / "out", salt=salt)
    ds = load_dataset(tmp_path / "out")
    want = pseudonym("jane-doe", salt)
    for table in ("members", "profiles", "activity"):
        assert set(ds[table]["member_id"]) == {want}, table
    assert not any(b"jane" in data.lower() for data in snapshot(tmp_path / "out").values())


def test_cli_pseudonymize_matches_the_library(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SSI_KIT_SALT", "another-secret-salt")
    code = main(["-q", "import", "linkedin-export", str(COMPLETE), "--out", str(tmp_path / "out"),
                 "--pseudonymize"])
    assert code == 0, capsys.readouterr().err
    ds = load_dataset(tmp_path / "out")
    assert ds["members"]["member_id"].tolist() == [pseudonym("jose-garcia", "another-secret-salt")]


def test_no_sensitive_value_reaches_any_output(tmp_path, capsys):
    out = tmp_path / "out"
    archive = zip_folder(COMPLETE, tmp_path / "export.zip")
    for source in (BASIC, archive):
        assert main(["-q", "import", "linkedin-export", str(source), "--out", str(out)]) == 0
    printed = "".join(capsys.readouterr())
    files = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}  # the import log too
    assert set(files) == {"members.csv", "profiles.csv", "activity.csv", IMPORT_LOG}
    for value in SENSITIVE:
        for name, data in files.items():
            assert value.encode("utf-8") not in data, (value, name)
        assert value not in printed, value


# --------------------------------------------------------------------------- command line

def test_cli_import_exit_0(tmp_path, capsys):
    code = main(["-q", "import", "linkedin-export", str(BASIC), "--out", str(tmp_path / "out"),
                 "--member", "me-1", "--industry", "Retail"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "activity: 14 added" in out
    assert load_dataset(tmp_path / "out")["members"]["member_id"].tolist() == ["me-1"]


def _error_line(err: str) -> str:
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("ssi-kit: error:"), err
    return lines[0]


def test_cli_malformed_export_exit_2_and_nothing_written(tmp_path, capsys):
    export = tmp_path / "Basic_LinkedInDataExport_03-01-2024"
    shutil.copytree(BASIC, export)
    (export / "Reactions.csv").write_text("Date,Type,Link\nyesterday,LIKE,x\n", encoding="utf-8")
    existing = tmp_path / "dataset"
    import_linkedin_export(COMPLETE, existing)
    before = snapshot(tmp_path)
    for out in (existing, tmp_path / "new"):
        code = main(["-q", "import", "linkedin-export", str(export), "--out", str(out)])
        line = _error_line(capsys.readouterr().err)
        assert code == 2 and "Reactions.csv" in line and "line 2" in line
    assert snapshot(tmp_path) == before
    assert not (tmp_path / "new").exists()


def test_cli_unsafe_zip_exit_2(tmp_path, capsys):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../evil.csv", "Date,Type,Link\n")
    code = main(["-q", "import", "linkedin-export", str(archive), "--out", str(tmp_path / "out")])
    line = _error_line(capsys.readouterr().err)
    assert code == 2 and "evil.zip" in line and "'../evil.csv'" in line
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- ZIP safety

@pytest.mark.parametrize("name", ["../evil.csv", "Basic_LinkedInDataExport_03-01-2024/../../evil.csv",
                                  "..\\evil.csv", "/ABSOLUTE/evil.csv", "\\evil.csv", "C:/evil.csv",
                                  "C:\\evil.csv"])
def test_unsafe_member_paths_are_refused_and_nothing_is_written(tmp_path, name):
    work = tmp_path / "work"
    work.mkdir()
    archive = zip_folder(BASIC, work / "export.zip")
    with zipfile.ZipFile(archive, "a") as z:
        z.writestr(zipfile.ZipInfo(name.replace("/ABSOLUTE", str(tmp_path))), "Date,Type,Link\n")
    before = snapshot(tmp_path)
    with pytest.raises(ImportFormatError, match="absolute path|climbs out"):
        import_linkedin_export(archive, work / "out")
    assert snapshot(tmp_path) == before
    assert not list(tmp_path.parent.glob("evil.csv")) and not (work / "out").exists()


def test_symbolic_link_members_are_refused(tmp_path):
    archive = zip_folder(BASIC, tmp_path / "export.zip")
    info = zipfile.ZipInfo("Basic_LinkedInDataExport_03-01-2024/link.csv")
    info.external_attr = 0o120777 << 16
    with zipfile.ZipFile(archive, "a") as z:
        z.writestr(info, "/etc/passwd")
    with pytest.raises(ImportFormatError, match="symbolic link"):
        read_linkedin_export(archive)


def test_zip_bomb_of_zeros_is_refused_by_its_ratio(tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("Basic_LinkedInDataExport_03-01-2024/Shares.csv", bytes(32 * 1024 * 1024))
    assert archive.stat().st_size < 100_000
    with pytest.raises(ImportFormatError, match="compression ratio"):
        import_linkedin_export(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_per_file_and_total_limits(tmp_path):
    archive = zip_folder(BASIC, tmp_path / "export.zip")
    with pytest.raises(ImportFormatError, match="unpacks to"):
        read_linkedin_export(archive, limits=ZipLimits(max_file_bytes=1000))
    with pytest.raises(ImportFormatError, match="unpacks to more than 5000 bytes"):
        read_linkedin_export(archive, limits=ZipLimits(max_total_bytes=5000))
    with pytest.raises(ImportFormatError, match="members"):
        read_linkedin_export(archive, limits=ZipLimits(max_members=3))
    with pytest.raises(ImportFormatError, match="larger than"):
        read_linkedin_export(BASIC, limits=ZipLimits(max_file_bytes=1000))


def test_a_member_that_lies_about_its_size_is_not_read_past_it(tmp_path):
    archive = tmp_path / "liar.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("Shares.csv", b"Date,ShareLink\n" + bytes(8 * 1024 * 1024))
    data = bytearray(archive.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # uncompressed size fields
        at = data.index(signature)
        data[at + offset:at + offset + 4] = struct.pack("<I", 100)
    archive.write_bytes(bytes(data))
    with pytest.raises(ImportFormatError):
        read_linkedin_export(archive)


def test_encrypted_members_are_refused(tmp_path):
    archive = zip_folder(BASIC, tmp_path / "export.zip")
    data = bytearray(archive.read_bytes())
    at = data.index(b"PK\x01\x02")
    data[at + 8] |= 0x1  # the central directory's "encrypted" flag of the first member
    archive.write_bytes(bytes(data))
    with pytest.raises(ImportFormatError, match="encrypted"):
        read_linkedin_export(archive)


# --------------------------------------------------------------------------- properties

PROPERTY = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FILES = sorted(p.name for p in COMPLETE.iterdir() if p.is_file())


@pytest.fixture(scope="module")
def base_dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("base") / "dataset"
    import_linkedin_export(BASIC, out)
    return out


def _import_or_nothing(export: Path, base: Path) -> None:
    """Import into a copy of ``base``: a valid dataset, or an InputError and the copy untouched."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "dataset"
        shutil.copytree(base, out)
        before = snapshot(Path(tmp))
        try:
            import_linkedin_export(export, out)
        except InputError:
            assert snapshot(Path(tmp)) == before
        else:
            load_dataset(out)


def _mutated(tmp: str, file: str, data: bytes) -> Path:
    export = Path(tmp) / COMPLETE.name
    shutil.copytree(COMPLETE, export)
    (export / file).write_bytes(data)
    return export


@PROPERTY
@given(file=st.sampled_from(FILES), data=st.binary(max_size=600))
def test_random_bytes_in_any_file_give_a_valid_import_or_an_input_error(base_dataset, file, data):
    with tempfile.TemporaryDirectory() as tmp:
        _import_or_nothing(_mutated(tmp, file, data), base_dataset)


@PROPERTY
@given(file=st.sampled_from(FILES), cut=st.floats(0, 1))
def test_truncated_files_give_a_valid_import_or_an_input_error(base_dataset, file, cut):
    original = (COMPLETE / file).read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        _import_or_nothing(_mutated(tmp, file, original[:int(len(original) * cut)]), base_dataset)


DATED = [("Shares_155814142.csv", "Date"), ("Comments.csv", "Date"), ("Reactions.csv", "Date"),
         ("messages.csv", "DATE"), ("Connections.csv", "Connected On"), ("Invitations.csv", "Sent At")]


def _with_date(file: str, column: str, value: str) -> bytes:
    """The fixture file with ``value`` in ``column`` of its first data row."""
    rows = list(csv.reader(io.StringIO(decode_text((COMPLETE / file).read_bytes()), newline="")))
    header = next(i for i, row in enumerate(rows) if column in row)
    rows[header + 1][rows[header].index(column)] = value
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


@PROPERTY
@given(target=st.sampled_from(DATED), garbage=st.text(st.characters(blacklist_categories=["Cs"]), max_size=20))
def test_garbage_dates_give_a_valid_import_or_an_input_error(base_dataset, target, garbage):
    with tempfile.TemporaryDirectory() as tmp:
        _import_or_nothing(_mutated(tmp, target[0], _with_date(*target, garbage)), base_dataset)


@PROPERTY
@given(flips=st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 255)), min_size=1, max_size=8))
@example(flips=[(41958, 0)])  # a member name emptied in the central directory (found by CI)
def test_corrupted_zips_give_a_valid_import_or_an_input_error(base_dataset, flips):
    with tempfile.TemporaryDirectory() as tmp:
        archive = zip_folder(COMPLETE, Path(tmp) / "export.zip")
        data = bytearray(archive.read_bytes())
        for at, value in flips:
            data[at % len(data)] = value
        archive.write_bytes(bytes(data))
        _import_or_nothing(archive, base_dataset)
