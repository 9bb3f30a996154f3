"""Progress: bars on a terminal, a log line per tenth of the work otherwise."""
from __future__ import annotations

import logging
from pathlib import Path

from ssi_kit.cli import main
from ssi_kit.progress import Progress


def test_counted_work_logs_each_tenth_once_and_the_end(caplog):
    caplog.set_level(logging.INFO, logger="ssi_kit")
    with Progress("scoring", live=False) as progress:
        progress("reading")
        for done in range(0, 101):
            progress("scoring sellers", done, 100)
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("scoring: reading (")
    counted = [line for line in lines if "scoring sellers" in line]
    assert len(counted) == 11  # 0%, 10%, ..., 100%
    assert counted[-1].startswith("scoring: scoring sellers 100/100 (100%")


def test_disabled_progress_is_silent(caplog):
    caplog.set_level(logging.INFO, logger="ssi_kit")
    with Progress("scoring", enabled=False, live=True) as progress:
        progress("scoring sellers", 1, 2)
    assert not caplog.records


def test_live_bars_draw_each_phase(capsys):
    with Progress("scoring", live=True) as progress:
        progress("reading")
        for done in range(4):
            progress("scoring sellers", done, 3)
    err = capsys.readouterr().err
    assert "scoring: scoring sellers" in err and "3/3" in err


def test_score_command_logs_block_progress_when_not_on_a_terminal(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="ssi_kit")
    sample = str(Path(__file__).resolve().parents[1] / "data" / "sample")
    assert main(["score", sample, "--out", str(tmp_path), "--every", "30"]) == 0
    lines = [r.getMessage() for r in caplog.records]
    assert any("score: scoring sellers 1/1 (100%" in line for line in lines)
    assert any("score: writing 1/1" in line for line in lines)
