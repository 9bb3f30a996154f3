"""The exported report page: figures embedded under MPLBACKEND=Agg, contents, footer, completeness.

One real report run (a small simulated organisation) with matplotlib's Agg backend
set in the environment, as on servers and under cron: before show_figure the page
then held no figures at all.
"""
import logging
import os
import re

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from ssi_kit.report import figures
from ssi_kit.report.complete import (REQUIRED_SECTIONS, ReportIncomplete, check_report,
                                     embedded_figures, section_titles)
from ssi_kit.report.display import show_sortable, show_table
from ssi_kit.report.export import data_checksum, export_html, report_footer

NO_ALT = "Alternative text is missing"


@pytest.fixture(scope="module")
def agg_report(tmp_path_factory):
    from ssi_kit.jobs import simulate_to_dir
    from ssi_kit.report import run_report
    from ssi_kit.simulate import SimulationConfig

    data = tmp_path_factory.mktemp("data") / "sim"
    simulate_to_dir(data, SimulationConfig(members=24, seed=4))
    before = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"  # the kernel inherits it: no inline backend to show figures
    try:
        return run_report(data, tmp_path_factory.mktemp("runs") / "agg", parameters={"every": 28})
    finally:
        if before is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = before


def test_every_saved_figure_is_embedded_with_alt_text(agg_report):
    saved = sorted((agg_report / "figures").glob("*.png"))
    alts = embedded_figures(agg_report / "report.html")
    assert len(saved) >= 5 and len(alts) == len(saved)
    assert all(len(alt) > 20 and "No description" not in alt for alt in alts)
    html = (agg_report / "report.html").read_text()
    embedded = set(re.findall(r'src="data:image/png;base64,([^"]+)"', html))
    import base64
    assert {base64.b64encode(p.read_bytes()).decode() for p in saved} <= embedded  # the same bytes


def test_the_real_report_is_complete(agg_report):
    check_report(agg_report / "report.html", figures_dir=agg_report / "figures")


def test_export_warns_of_no_missing_alt_and_is_byte_stable(agg_report, tmp_path, caplog):
    executed = agg_report / "03_report.ipynb"
    with caplog.at_level(logging.WARNING):
        first = export_html([executed], tmp_path / "a.html", title="T", footer={"Run date": "2026-01-02"})
        second = export_html([executed], tmp_path / "b.html", title="T", footer={"Run date": "2026-01-02"})
    assert NO_ALT not in caplog.text
    assert first.read_bytes() == second.read_bytes()
    # the check above can fail: an image without alt text is reported
    nb = nbformat.read(str(executed), as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            out.get("metadata", {}).get("image/png", {}).pop("alt", None)
    nbformat.write(nb, str(tmp_path / "no_alt.ipynb"))
    with caplog.at_level(logging.WARNING):
        export_html([tmp_path / "no_alt.ipynb"], tmp_path / "c.html", title="T")
    assert NO_ALT in caplog.text


def test_contents_link_every_section_and_footer_is_text(agg_report, tmp_path):
    footer = {"ssi-kit version": "9.9", "Data checksum": "<b>abc</b>", "Git commit": None}
    page = export_html([agg_report / "03_report.ipynb"], tmp_path / "r.html", title="T", footer=footer)
    soup = BeautifulSoup(page.read_text(), "html.parser")
    nav = soup.find("nav", class_="ssi-toc")
    sections = [h for h in soup.find_all("h2") if not h.find_parent("nav")]
    links = [a["href"] for a in nav.find_all("a")]
    assert links == ["#" + h["id"] for h in sections] and len(links) >= len(REQUIRED_SECTIONS)
    assert nav.find_previous("h1") is not None  # after the title
    text = soup.find("footer").get_text(" ")
    assert "9.9" in text and "<b>abc</b>" in text and "Git commit" not in text
    assert "&lt;b&gt;abc&lt;/b&gt;" in page.read_text()


def test_report_footer_from_manifest(monkeypatch):
    inputs = {"members": {"file": "members.csv", "sha256": "a" * 64}}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86400")
    footer = report_footer({"ssi_kit_version": "1.2", "git_commit": "0123456789abcdef", "inputs": inputs})
    assert list(footer.values()) == ["1.2", data_checksum(inputs), "1970-01-02", "0123456789ab"]
    import hashlib
    expected = hashlib.sha256(f"members\0members.csv\0{'a' * 64}\n".encode()).hexdigest()[:12]
    assert data_checksum(inputs) == expected
    assert data_checksum({"members": {"file": "members.csv", "sha256": "b" * 64}}) != expected


def _edited(src, dst, edit):
    soup = BeautifulSoup(src.read_text(), "html.parser")
    edit(soup)
    dst.write_text(str(soup))
    return dst


def test_check_report_fails_on_a_missing_figure_or_section(agg_report, tmp_path):
    html, figs = agg_report / "report.html", agg_report / "figures"
    no_fig = _edited(html, tmp_path / "fig.html", lambda s: s.find("img").decompose())
    with pytest.raises(ReportIncomplete, match=r"figures were saved .* but only \d+ are embedded"):
        check_report(no_fig, figures_dir=figs)
    gone = REQUIRED_SECTIONS[2]

    def drop_section(soup):
        for h in soup.find_all("h2"):
            if h.get_text().startswith(gone):
                h.decompose()
    no_section = _edited(html, tmp_path / "sec.html", drop_section)
    with pytest.raises(ReportIncomplete, match=f"section '{gone}' is missing"):
        check_report(no_section, figures_dir=figs)
    no_alt = _edited(html, tmp_path / "alt.html", lambda s: s.find("img").attrs.pop("alt"))
    with pytest.raises(ReportIncomplete, match="no alternative text"):
        check_report(no_alt, figures_dir=figs)
    check_report(html, figures_dir=tmp_path / "no-figures", required_sections=("Caveats",))
    assert "Caveats" in section_titles(html)


# --- fast checks of the display and figure helpers (no report run) ------------------

HOSTILE = '<img src=x onerror=alert(1)>'


def test_show_table_escapes_and_formats_percent_and_other_columns_alike():
    table = pd.DataFrame({"name": [HOSTILE], "ssi": [12.345], "share": [0.1234]})
    html = show_table(table, precision=1, percent=("share",)).to_html()
    assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert ">12.3<" in html and ">12.3%<" in html
    assert show_table(table).to_html() == show_table(table.copy()).to_html()  # deterministic ids


def test_long_text_columns_keep_a_readable_width():
    actions = "save 6 more leads over 4 weeks: +4.1 points; post 2 more times over 4 weeks: +1.2 points"
    table = pd.DataFrame({"seller": ["m1", "m2"], "actions": [actions, "none"], "ssi": [40.0, 50.0]})
    html = show_table(table).to_html()
    assert re.search(r"td\.col1 \{\s*min-width: 24em;", html)  # the actions, not the short columns
    assert not re.search(r"td\.col[02] \{\s*min-width", html)


def test_show_sortable_is_offline_escaped_and_deterministic():
    table = pd.DataFrame({HOSTILE: [HOSTILE, "b"], "ssi": [9.5, 10.26]})
    first = show_sortable(table, caption=HOSTILE)._repr_html_()
    again = show_sortable(table, caption=HOSTILE)._repr_html_()
    for html in (first, again):
        assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
        assert "10.3" in html and "10.26" not in html
        assert 'src="http' not in html and "unpkg" not in html
    assert "injectModule(" in first and "injectModule(" not in again  # the library once per kernel
    ids = [re.search(r'<table id="(T_[^"]+)"', h).group(1) for h in (first, again)]
    assert ids[0] != ids[1] and ids[0].split("_")[-1] == ids[1].split("_")[-1]


def test_show_figure_displays_the_saved_bytes_with_alt_and_closes(tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4])
    path = figures.show_figure(fig, tmp_path / "f" / "line.png", alt="A line\nfrom 3 to 4.")
    (image,) = shown
    assert image.data == path.read_bytes() and path.read_bytes().startswith(b"\x89PNG")
    assert image._repr_png_()[1] == {"alt": "A line from 3 to 4."}
    assert not plt.fignum_exists(fig.number)
    with pytest.raises(ValueError, match="alt text"):
        figures.show_figure(plt.figure(), tmp_path / "x.png", alt="  ")
    plt.close("all")


def _scores():
    rows = []
    for i, (team, ssi) in enumerate([("A", 20.0), ("A", 45.0), ("B", 75.0), ("B", 39.9)]):
        rows.append(dict(member_id=f"m{i}", team=team, date=pd.Timestamp("2026-01-05"), ssi=ssi,
                         brand=ssi / 4, people=ssi / 4, insights=ssi / 4, relationships=ssi / 4,
                         tier="leader" if ssi > 70 else "laggard" if ssi < 30 else "middle"))
    return pd.DataFrame(rows)


def test_alt_texts_carry_the_key_numbers():
    scores = _scores()
    text = figures.alt_ssi_distribution(scores, source="observed")
    median = np.median([20.0, 45.0, 75.0, 39.9])
    assert f"4 sellers, LinkedIn's reading: median {median:.1f}" in text
    assert "2 below 40, 1 from 40 to 70 and 1 at 70 or above" in text
    from ssi_kit.report.summaries import pillars_by
    text = figures.alt_pillars_by(pillars_by(scores), by="team")
    assert "2 groups by team" in text and "highest mean SSI B (57.5)" in text and "lowest A (32.5)" in text


def test_pillars_chart_draws_only_present_groups_with_readable_legend():
    from ssi_kit.report.summaries import pillars_by
    scores = _scores()
    scores["team"] = pd.Categorical(scores["team"], categories=["A", "B", "Empty"])
    fig = figures.plot_pillars_by(pillars_by(scores), by="team")
    ax = fig.axes[0]
    assert {t.get_text() for t in ax.get_yticklabels()} == {"A", "B"}
    (legend,) = fig.legends
    labels = [t.get_text() for t in legend.get_texts()]
    assert "Find the right people" in labels and not any("_" in t for t in labels)
    assert ax.get_legend() is None  # outside the axes, not over the bars
    assert "points" in ax.get_xlabel()
    plt.close(fig)

