"""Hardening of the readers (issue #10, part C): bounded memory, bounded headers, regular
files only, and no silently wrong data.

Every refusal is checked for its exit code, its one-paragraph message (file, column,
rows, what was expected) and, with :func:`tree_digest`, that nothing outside the
command's output was touched.
"""
from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from hardening import assert_refused, run_cli, tree_digest
from ssi_kit.exceptions import ImportFormatError
from ssi_kit.imports.export_files import ZipLimits
from ssi_kit.imports.linkedin_export import read_linkedin_export
from ssi_kit.io import load_dataset
from ssi_kit.io.parse import MAX_COUNT

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
EXPORT = "Basic_LinkedInDataExport_01-15-2026"
PROFILE = "First Name,Last Name,Headline\nJane,Doe,Seller\n"


def _dataset(root: Path, activity: str | None = None, members: str | None = None) -> Path:
    """A dataset folder: the sample's members and, when given, an ``activity.csv`` text."""
    data = root / "ds"
    data.mkdir()
    if members is None:
        shutil.copy(SAMPLE / "members.csv", data / "members.csv")
    else:
        (data / "members.csv").write_text(members, encoding="utf-8")
    if activity is not None:
        (data / "activity.csv").write_text(activity, encoding="utf-8")
    return data


def _refused_score(tmp_path: Path, data: Path, *fragments: str) -> None:
    """``ssi-kit score`` refuses ``data`` with exit 2 naming ``fragments``, touching nothing."""
    before = tree_digest(tmp_path)
    result = run_cli("score", data, "--out", tmp_path / "out")
    assert_refused(result, 2, *fragments)
    assert tree_digest(tmp_path) == before


def _refused_tracker(tmp_path: Path, text: str, *fragments: str) -> None:
    """``ssi-kit import tracker`` refuses a CSV text with exit 2 naming the file and ``fragments``."""
    file = tmp_path / "tracker.csv"
    file.write_text(text, encoding="utf-8")
    before = tree_digest(tmp_path)
    result = run_cli("import", "tracker", file, "--out", tmp_path / "out")
    assert_refused(result, 2, "tracker.csv", *fragments)
    assert tree_digest(tmp_path) == before


# --------------------------------------------------------------------------- 1. ZIP exports

_MEASURE = textwrap.dedent("""
    import resource, sys
    from ssi_kit.imports.linkedin_export import read_linkedin_export
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tables = read_linkedin_export(sys.argv[1])
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
    print(int(tables["activity"]["messages_sent"].sum()), grown // 1024)
""")


def _big_messages_zip(path: Path, megabytes: int) -> int:
    """An export ZIP whose messages.csv unpacks to ``megabytes`` MiB (ratio ~40:1); its row count."""
    rng, filler, rows = random.Random(0), "lorem ipsum dolor sit amet " * 40, 0
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr(f"{EXPORT}/Profile.csv", PROFILE)
        with archive.open(f"{EXPORT}/messages.csv", "w", force_zip64=True) as member:
            member.write(b"CONVERSATION ID,FROM,TO,DATE,CONTENT\n")
            size = 0
            while size < megabytes * 2**20:
                line = (f"c{rows % 500},Jane Doe,Bob,2025-01-{1 + rows % 28:02d} 10:00:00 UTC,"
                        f"{rng.getrandbits(64):x} {filler}\n").encode()
                member.write(line)
                size, rows = size + len(line), rows + 1
    return rows


def test_export_member_is_streamed_in_bounded_memory(tmp_path):
    """An 80 MiB messages.csv (inside every limit) is read with a small, fixed memory overhead.

    Before streaming, the member was held as bytes, text and Python lists: ~600 MB
    for this file (7.5x its size).  Only the used columns are kept now.
    """
    archive = tmp_path / "export.zip"
    rows = _big_messages_zip(archive, 80)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(archive)], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    sent, grown_mb = (int(x) for x in done.stdout.split())
    assert sent == rows  # every message counted (all from the member, none a draft)
    assert grown_mb < 200, f"peak memory grew by {grown_mb} MB reading an 80 MiB member"
    assert time.monotonic() - started < 60


def test_export_member_with_too_many_records_is_refused(tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"{EXPORT}/Profile.csv", PROFILE)
        zf.writestr(f"{EXPORT}/Shares.csv", "Date,ShareLink\n" + "2025-01-02 10:00:00,x\n" * 50)
    with pytest.raises(ImportFormatError, match=r"Shares\.csv: holds more than 10 records.*at most 10 records"):
        read_linkedin_export(archive, limits=ZipLimits(max_rows=10))
    assert len(read_linkedin_export(archive, limits=ZipLimits(max_rows=50))["activity"]) == 1


def test_export_keeps_only_used_columns_of_members():
    """Message and comment texts are never held: only the columns the importer reads."""
    from ssi_kit.imports.export_files import read_export_csv

    data = b"Date,Link,Message\n2025-01-02,https://x,secret text\n"
    frame = read_export_csv(data, "Comments.csv", ("Date", "Link", "Message"), frozenset({"Date"}))
    assert list(frame.columns) == ["Date", "_line"]
    assert frame["_line"].tolist() == [2]


def test_export_dates_in_other_digits_are_refused(tmp_path):
    folder = tmp_path / EXPORT
    folder.mkdir()
    (folder / "Profile.csv").write_text(PROFILE, encoding="utf-8")
    (folder / "Shares.csv").write_text("Date,ShareLink\n٢٠٢٥-01-02 10:00:00,x\n", encoding="utf-8")
    before = tree_digest(tmp_path)
    result = run_cli("import", "linkedin-export", folder, "--out", tmp_path / "out")
    assert_refused(result, 2, "Shares.csv", "'Date'", "line 2", "not dates")
    assert tree_digest(tmp_path) == before


# --------------------------------------------------------------------------- 2. headers

@pytest.mark.parametrize("columns, fragment", [(60_000, "at most 1,000 columns in the header row (it has 60,003)"),
                                               (1_000_000, "a header row of at most 1,048,576 characters")])
def test_dataset_header_with_too_many_columns_is_refused_fast(tmp_path, columns, fragment):
    header = ",".join(["member_id", "date", "posts"] + [f"c{i}" for i in range(columns)])
    data = _dataset(tmp_path, header + "\nm0001,2025-07-01,1" + ",x" * columns + "\n")
    started = time.monotonic()
    _refused_score(tmp_path, data, "activity.csv", fragment)
    assert time.monotonic() - started < 10


def test_dataset_header_field_of_200kb_is_refused(tmp_path):
    data = _dataset(tmp_path, "member_id,date,posts," + "x" * 200_000 + "\nm0001,2025-07-01,1,2\n")
    _refused_score(tmp_path, data, "activity.csv", "column names of at most 1,000 characters")


def test_dataset_long_data_field_in_an_unread_column_is_not_a_crash(tmp_path):
    """A 200 KB cell in a column not read, next to a blank row, no longer crashes the blank-row check."""
    data = _dataset(tmp_path, "member_id,date,posts,note\n,,,\nm0001,2025-07-01,1," + "x" * 200_000 + "\n")
    dataset = load_dataset(data, tables=["activity"], columns={"activity": ["posts"]})
    assert dataset["activity"]["posts"].tolist() == [1]


@pytest.mark.parametrize("columns, fragment", [(60_000, "at most 1,000 columns in the header row (it has 60,002)"),
                                               (1_000_000, "a header row of at most 1,048,576 characters")])
def test_tracker_header_with_too_many_columns_is_refused_fast(tmp_path, columns, fragment):
    header = ",".join(["Date", "Total SSI"] + [f"c{i}" for i in range(columns)])
    started = time.monotonic()
    _refused_tracker(tmp_path, header + "\n2025-01-01,50" + ",x" * columns + "\n", fragment)
    assert time.monotonic() - started < 10


def test_tracker_header_field_of_200kb_is_refused(tmp_path):
    _refused_tracker(tmp_path, "Date,Total SSI," + "x" * 200_000 + "\n2025-01-01,50,1\n",
                     "column names of at most 1,000 characters")


# --------------------------------------------------------------------------- 3. regular files only

def _cli_subprocess(tmp_path: Path, *argv) -> subprocess.CompletedProcess:
    """Run ``ssi-kit ARGV`` in a child; a hang fails the test instead of blocking the suite."""
    return subprocess.run([sys.executable, "-m", "ssi_kit", *map(str, argv)], capture_output=True,
                          text=True, timeout=60, cwd=tmp_path)


@pytest.mark.parametrize("table", ["activity", "members"])
@pytest.mark.parametrize("linked", [False, True])
def test_fifo_table_is_refused_not_waited_on(tmp_path, table, linked):
    data = _dataset(tmp_path, "member_id,date,posts\nm0001,2025-07-01,1\n")
    (data / f"{table}.csv").unlink()
    if linked:
        os.mkfifo(tmp_path / "pipe")
        (data / f"{table}.csv").symlink_to(tmp_path / "pipe")
    else:
        os.mkfifo(data / f"{table}.csv")
    before = tree_digest(tmp_path)
    done = _cli_subprocess(tmp_path, "score", data, "--out", tmp_path / "out")
    assert done.returncode == 2, done.stderr
    assert f"{table}.csv: a regular file to read; this is a FIFO (named pipe)" in done.stderr
    assert "Traceback" not in done.stderr
    assert tree_digest(tmp_path) == before


def test_fifo_given_to_importers_is_refused(tmp_path):
    os.mkfifo(tmp_path / "tracker.csv")
    os.mkfifo(tmp_path / "export.zip")
    folder = tmp_path / EXPORT
    folder.mkdir()
    (folder / "Profile.csv").write_text(PROFILE, encoding="utf-8")
    os.mkfifo(folder / "Shares.csv")
    before = tree_digest(tmp_path)
    for argv, name in ((("tracker", tmp_path / "tracker.csv"), "tracker.csv"),
                       (("linkedin-export", tmp_path / "export.zip"), "export.zip"),
                       (("linkedin-export", folder), "Shares.csv")):
        done = _cli_subprocess(tmp_path, "import", *argv, "--out", tmp_path / "out")
        assert done.returncode == 2, done.stderr
        assert name in done.stderr and "is a FIFO (named pipe)" in done.stderr, done.stderr
    assert tree_digest(tmp_path) == before


# --------------------------------------------------------------------------- 4. silent wrong data

@pytest.mark.parametrize("value", ["٣", "５", "1٣"])
def test_count_in_other_digits_is_refused_not_dropped(tmp_path, value):
    data = _dataset(tmp_path, f"member_id,date,posts\nm0001,2025-07-01,{value}\n")
    _refused_score(tmp_path, data, "activity.csv", "column 'posts'", "line 2", repr(value), "digits 0-9")


def test_number_and_date_in_other_digits_are_refused(tmp_path):
    members = (SAMPLE / "members.csv").read_text(encoding="utf-8").replace("m0001,Healthcare,T8,NA,90,",
                                                                            "m0001,Healthcare,T8,NA,٩٠,")
    data = _dataset(tmp_path, "member_id,date,posts\nm0001,٢٠٢٥-07-01,1\n", members=members)
    before = tree_digest(tmp_path)
    result = run_cli("score", data, "--out", tmp_path / "out")
    assert_refused(result, 2, "members.csv, column 'tenure_months'", "activity.csv, column 'date'",
                   "line 2 ('٢٠٢٥-07-01')", "digits 0-9")
    assert tree_digest(tmp_path) == before


@pytest.mark.parametrize("value", ["99999999999999999999", "9223372036854775807", str(MAX_COUNT + 1)])
def test_huge_count_is_refused_as_too_large(tmp_path, value):
    data = _dataset(tmp_path, f"member_id,date,posts\nm0001,2025-07-01,{value}\n")
    _refused_score(tmp_path, data, "column 'posts'", "line 2", f"a count of at most {MAX_COUNT}", "too large")


def test_largest_count_is_read(tmp_path):
    data = _dataset(tmp_path, f"member_id,date,posts\nm0001,2025-07-01,{MAX_COUNT}\n")
    assert load_dataset(data)["activity"]["posts"].tolist() == [MAX_COUNT]


def test_parquet_count_beyond_the_largest_is_refused(tmp_path):
    data = _dataset(tmp_path)
    pd.DataFrame({"member_id": ["m0001"], "date": ["2025-07-01"],
                  "posts": [2**62]}).to_parquet(data / "activity.parquet", index=False)
    _refused_score(tmp_path, data, "activity.parquet, column 'posts'", "row 1", "too large")


@pytest.mark.parametrize("value", ["0000-01-01", "9999-12-31", "1600-01-01"])
def test_date_outside_the_supported_range_is_refused(tmp_path, value):
    data = _dataset(tmp_path, f"member_id,date,posts\nm0001,{value},1\n")
    _refused_score(tmp_path, data, "activity.csv, column 'date'", f"line 2 ('{value}')",
                   "a date from 1678-01-01 to 2261-12-31")


@pytest.mark.parametrize("value", ["0000-01-01", "9999-12-31", "٢٠٢٥-01-01"])
def test_tracker_date_outside_range_or_in_other_digits_is_refused(tmp_path, value):
    _refused_tracker(tmp_path, f"Date,Total SSI\n2025-01-02,50\n{value},51\n", "column 'Date'", "line(s) 3")


@pytest.mark.parametrize("value", ["٥٠", "５０"])
def test_tracker_number_in_other_digits_is_refused(tmp_path, value):
    _refused_tracker(tmp_path, f"Date,Total SSI\n2025-01-02,{value}\n", "column 'Total SSI'", "line(s) 2",
                     "a number")


# --------------------------------------------------------------------------- 5. bounded readers (2)

_CAPPED = textwrap.dedent("""
    import resource, sys
    cap = int(sys.argv.pop(1)) * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    from ssi_kit.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def _capped_cli(tmp_path: Path, *argv, cap_mib: int = 1536) -> subprocess.CompletedProcess:
    """Run ``ssi-kit ARGV`` in a child limited to ``cap_mib`` MiB of address space and 60 s.

    The cap is on address space (``ulimit -v``), which counts what Arrow's allocator
    (mimalloc) merely reserves, in arenas of 1 GiB by default; memory limits of
    containers and cron (cgroups) count what is used.  The child reserves in 64 MiB
    arenas, so the cap measures the memory the kit uses.
    """
    env = {**os.environ, "MIMALLOC_ARENA_RESERVE": "64MiB"}
    return subprocess.run([sys.executable, "-c", _CAPPED, str(cap_mib), *map(str, argv)],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path, env=env)


def _assert_child_refused(done: subprocess.CompletedProcess, *fragments: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    message = [line for line in done.stderr.splitlines() if line.startswith("ssi-kit: ")]
    assert len(message) == 1, done.stderr
    for fragment in fragments:
        assert fragment in message[0], message[0]


def test_csv_data_row_of_200000_commas_is_refused_in_bounded_memory(tmp_path):
    """Extra fields in a data row (not only the header) are refused with the line, under 1.5 GiB."""
    lines = (SAMPLE / "activity.csv").read_text(encoding="utf-8").splitlines()[:4]
    width = lines[0].count(",") + 1
    lines[2] += "," * 200_000
    data = _dataset(tmp_path, "\n".join(lines) + "\n")
    before = tree_digest(tmp_path)
    done = _capped_cli(tmp_path, "score", data, "--out", tmp_path / "out")
    _assert_child_refused(done, "activity.csv", f"at most {width} fields per row, as in the header",
                          f"line 3 has {width + 200_000:,}")
    assert tree_digest(tmp_path) == before


def test_csv_short_rows_and_quoted_newlines_are_still_read(tmp_path):
    """The field-count scan refuses only longer rows: short rows and quoted line breaks are read."""
    data = _dataset(tmp_path, 'member_id,date,posts,note\nm0001,2025-07-01,1,"a\nb"\nm0001,2025-07-02,2\n')
    dataset = load_dataset(data, tables=["activity"], columns={"activity": ["posts"]})
    assert dataset["activity"]["posts"].tolist() == [1, 2]


def test_parquet_of_ten_million_dictionary_rows_is_refused_from_its_metadata(tmp_path):
    """A 100 KB Parquet file unpacking to gigabytes is refused before it is read (no bad_alloc)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = _dataset(tmp_path)
    rows = 1_000_000
    zeros = pa.array(np.zeros(rows, dtype=np.int32))
    batch = pa.table({name: pa.DictionaryArray.from_arrays(zeros, pa.array([value])) for name, value in
                      (("member_id", "m0001"), ("date", "2025-07-01"), ("event", "promotion"))})
    with pq.ParquetWriter(data / "events.parquet", batch.schema) as writer:
        for _ in range(10):
            writer.write_table(batch)
    before = tree_digest(tmp_path)
    # 3 GiB of address space: room for the imports of `claims` (statsmodels, scipy, pyarrow's
    # pools) on any machine, while the ~1.9 GB the rows would take exceed half of it
    done = _capped_cli(tmp_path, "claims", data, "--out", tmp_path / "out", cap_mib=3072)
    _assert_child_refused(done, "events.parquet", "a table that fits in memory", "10,000,000 rows")
    assert tree_digest(tmp_path) == before


@pytest.mark.parametrize("values, kind", [([[1, 2]], "list<element: int64>"),
                                          ([{"a": 1}], "struct<a: int64>"),
                                          ([b"\x00\x01"], "binary")])
def test_parquet_nested_or_binary_column_is_refused_by_type(tmp_path, values, kind):
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = _dataset(tmp_path)
    members = pd.read_csv(data / "members.csv", dtype=str).head(1)
    (data / "members.csv").unlink()
    table = pa.Table.from_pandas(members, preserve_index=False).append_column("team2", pa.array(values))
    pq.write_table(table, data / "members.parquet")
    _refused_score(tmp_path, data, "members.parquet, column 'team2'", "a flat column of numbers, text, dates",
                   f"this one holds {kind}")


def _workbook(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Date", "Total SSI"])
    for day in range(1, rows + 1):
        sheet.append([f"2025-01-{day:02d}", 50])
    book.save(path)


def test_xlsx_bomb_is_refused_before_openpyxl(tmp_path):
    """A workbook whose sheet unpacks 8 MB at >1000:1 is refused unread, fast, naming the part."""
    _workbook(tmp_path / "small.xlsx", 2)
    with zipfile.ZipFile(tmp_path / "small.xlsx") as src, \
            zipfile.ZipFile(tmp_path / "bomb.xlsx", "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b"<sheetData>", b"<sheetData>" + b" " * 8_000_000)
            dst.writestr(info.filename, body)
    (tmp_path / "small.xlsx").unlink()
    before = tree_digest(tmp_path)
    started = time.monotonic()
    result = run_cli("import", "tracker", tmp_path / "bomb.xlsx", "--out", tmp_path / "out")
    assert_refused(result, 2, "bomb.xlsx", "'xl/worksheets/sheet1.xml'", "XLSX bomb",
                   "a ratio of at most 100:1")
    assert time.monotonic() - started < 10
    assert tree_digest(tmp_path) == before


def test_xlsx_sheet_beyond_the_row_cap_is_refused(tmp_path, monkeypatch):
    from ssi_kit.imports import tables

    _workbook(tmp_path / "tracker.xlsx", 5)
    monkeypatch.setattr(tables, "XLSX_LIMITS", ZipLimits(max_rows=3))
    before = tree_digest(tmp_path)
    result = run_cli("import", "tracker", tmp_path / "tracker.xlsx", "--out", tmp_path / "out")
    assert_refused(result, 2, "tracker.xlsx", "has more than 3 rows", "a sheet of at most 3 rows")
    assert tree_digest(tmp_path) == before
    monkeypatch.setattr(tables, "XLSX_LIMITS", ZipLimits(max_rows=5))
    assert run_cli("import", "tracker", tmp_path / "tracker.xlsx", "--out", tmp_path / "out").code == 0


def test_ssi_json_fifo_is_not_a_regular_file(tmp_path):
    os.mkfifo(tmp_path / "fifo_2026-01-05.json")
    before = tree_digest(tmp_path)
    done = _cli_subprocess(tmp_path, "import", "ssi-json", tmp_path / "fifo_2026-01-05.json",
                           "--out", tmp_path / "out")
    _assert_child_refused(done, "fifo_2026-01-05.json", "is not a regular file: it is a FIFO (named pipe)")
    assert "does not exist" not in done.stderr
    assert tree_digest(tmp_path) == before


@pytest.mark.parametrize("value", [float("inf"), float("-inf")])
def test_parquet_infinite_count_is_refused_without_warnings(tmp_path, value):
    """With warnings as errors the refusal is unchanged: numpy warns of nothing on stderr."""
    import warnings

    data = _dataset(tmp_path)
    pd.DataFrame({"member_id": ["m0001"], "date": ["2025-07-01"],
                  "posts": [value]}).to_parquet(data / "activity.parquet", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _refused_score(tmp_path, data, "activity.parquet, column 'posts'", "row 1", "too large")
