"""docs/contract.md against the code: generated tables, output columns, claims, verdicts."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from ssi_kit.claims.registry import load_claims
from ssi_kit.claims.results import CSV_COLUMNS
from ssi_kit.claims.verdicts import VERDICTS
from ssi_kit.io.schemas import KINDS, MODELS, column_kind_of, contract_tables
from ssi_kit.scoring import SCORE_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT / "docs" / "contract.md"
BEGIN, END = "<!-- tables:begin -->", "<!-- tables:end -->"


@pytest.fixture(scope="module")
def text() -> str:
    return CONTRACT.read_text(encoding="utf-8")


def _section(text: str, heading: str) -> str:
    """The text under ``heading`` up to the next heading of the same or a higher level."""
    level = heading.split(" ")[0]
    start = text.index(heading + "\n") + len(heading)
    ends = [m.start() for m in re.finditer(r"^#{1,%d} " % len(level), text[start:], re.M)]
    return text[start:start + ends[0]] if ends else text[start:]


def _listed_columns(section: str) -> list[str]:
    line = next(ln for ln in section.splitlines() if ln.startswith("Columns, in order:"))
    return re.findall(r"`([^`]+)`", line)


def test_tables_section_is_generated_from_the_models(text):
    inside = text.split(BEGIN, 1)[1].split(END, 1)[0]
    assert inside.strip("\n") == contract_tables().strip("\n"), (
        "docs/contract.md is out of date: paste ssi_kit.io.schemas.contract_tables() "
        f"between {BEGIN} and {END}")


def test_every_model_column_is_documented_and_described(text):
    inside = text.split(BEGIN, 1)[1].split(END, 1)[0]
    for table, model in MODELS.items():
        section = _section(inside, f"### `{table}`")
        for name, column in model.to_schema().columns.items():
            assert f"| `{name}` |" in section, f"{table}.{name} missing from docs/contract.md"
            assert column.description, f"{table}.{name} has no Field(description=...)"
            assert column_kind_of(column) in KINDS, f"{table}.{name} has no known metadata kind"


def test_scores_csv_columns_match_the_code(text):
    assert _listed_columns(_section(text, "### `scores.csv`")) == list(SCORE_COLUMNS)


def test_claims_csv_columns_match_the_code(text):
    assert _listed_columns(_section(text, "### `claims.csv`")) == list(CSV_COLUMNS)


def test_claims_table_matches_the_shipped_registry(text):
    section = _section(text, "## Claims and verdicts")
    rows = re.findall(r"^\| `(\w+)` \|.*\| ([\d.]+) \| ([\d.]+) \|$", section, re.M)
    documented = {claim_id: (float(pub), float(null)) for claim_id, pub, null in rows}
    shipped = {c.claim_id: (c.published, c.null_value) for c in load_claims()}
    assert list(documented) == list(shipped)
    assert documented == shipped


def test_verdict_names_match_the_code(text):
    section = _section(text, "## Claims and verdicts")
    rules = [ln for ln in section.splitlines() if ln.startswith("- `")]
    named = [name for ln in rules for name in re.findall(r"`(\w+)`", ln.split(":")[0])]
    assert sorted(named) == sorted(VERDICTS)


def test_commands_listed_exist_in_the_command_line(text, capsys):
    from ssi_kit.cli import build_parser

    commands = re.findall(r"^ {4}ssi-kit (\w+)", _section(text, "## Command-line contract"), re.M)
    assert {"calibrate", "plan"} <= set(commands) and len(commands) >= 10
    for command in commands:
        with pytest.raises(SystemExit) as info:
            build_parser().parse_args([command, "--help"])
        assert info.value.code == 0, command
    capsys.readouterr()


def test_plan_csv_columns_match_the_code(text):
    from ssi_kit.plan import PLAN_COLUMNS

    section = _section(text, "### `plan.csv`")
    assert _listed_columns(section) == list(PLAN_COLUMNS)
    assert list(PLAN_COLUMNS[:9]) == ["member_id", "day", "rank", "action", "pillar", "column", "amount",
                                      "minutes", "gain"]


def test_no_file_refers_to_a_brief_outside_the_repository():
    outside = "DESIGN" + ".md"  # built so that this file does not match itself
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                                check=True).stdout.decode("utf-8").split("\0")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    me = Path(__file__).resolve()
    offenders = [name for name in listed if name and (ROOT / name).is_file()
                 and (ROOT / name).resolve() != me
                 and outside.encode() in (ROOT / name).read_bytes()]
    assert not offenders, f"files referring to {outside}: {offenders}"
