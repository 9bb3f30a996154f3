"""The exported report in a real browser, and data strings that try to be markup.

One real report run, with matplotlib's Agg backend in the environment and hostile team
and industry names, opened in headless Chromium: the page shows the names as text, its
tables sort by clicking a header, and it fetches nothing from the network.
"""
import os
import shutil

import pandas as pd
import pytest

from ssi_kit.report import run_report

HOSTILE_TEAM = '<script>alert("team")</script>'
HOSTILE_INDUSTRY = "<img src=x onerror=alert(1)>"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(not CHROMIUM and not os.environ.get("CI"),
                                    reason="chromium not installed (CI installs it)")
#: URL schemes a self-contained page may load: itself, embedded data, its own blobs.
LOCAL = ("file:", "data:", "blob:", "about:")

#: The first sortable table's numeric columns: index, header and the numbers in page order.
_NUMERIC_COLUMNS = """() => {
  const table = document.querySelector("table.dataTable");
  const heads = Array.from(table.querySelectorAll("thead th"));
  const rows = Array.from(table.querySelectorAll("tbody tr"));
  return heads.map((th, i) => {
    const cells = rows.map(r => r.children[i].innerText.trim().replace("%", ""));
    const numbers = cells.filter(c => c !== "").map(Number);
    return {index: i, header: th.innerText, values: numbers,
            numeric: numbers.length > 1 && numbers.every(n => Number.isFinite(n))};
  }).filter(c => c.numeric);
}"""

#: Whether the first sortable table's column is sorted in the given direction (DataTables' aria-sort).
_SORTED = """([i, way]) => document.querySelector("table.dataTable")
  .querySelectorAll("thead th")[i].getAttribute("aria-sort") === way"""


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    from ssi_kit.jobs import simulate_to_dir
    from ssi_kit.simulate import SimulationConfig

    data = tmp_path_factory.mktemp("data") / "hostile"
    simulate_to_dir(data, SimulationConfig(members=24, seed=4))
    members = pd.read_csv(data / "members.csv", dtype=str)
    members.loc[members.index[:12], "team"] = HOSTILE_TEAM
    members.loc[members.index[:6], "industry"] = HOSTILE_INDUSTRY
    members.to_csv(data / "members.csv", index=False)
    out = tmp_path_factory.mktemp("runs") / "hostile"
    before = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"  # as on servers: figures must be embedded anyway
    try:
        return run_report(data, out, parameters={"every": 28, "title": "<b>Q3</b> & co"})
    finally:
        if before is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = before


def test_hostile_names_are_text_not_markup(hostile_report):
    html = (hostile_report / "report.html").read_text()
    assert HOSTILE_TEAM not in html and HOSTILE_INDUSTRY not in html
    assert "&lt;script&gt;alert(&quot;team&quot;)&lt;/script&gt;" in html or \
        "&lt;script&gt;alert(\"team\")&lt;/script&gt;" in html
    assert "&lt;b&gt;Q3&lt;/b&gt; &amp; co" in html
    assert 'src="http' not in html  # self-contained: nothing fetched from the network


def _launch(p):
    return p.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic"])


def _open(p, report, fetched, errors, dialogs=None):
    """A page on ``report.html`` recording non-local requests (blocked), console errors and dialogs."""
    page = _launch(p).new_page(viewport={"width": 1200, "height": 900})

    def route(r):
        if r.request.url.startswith(LOCAL):
            return r.continue_()
        fetched.append(r.request.url)
        return r.abort()
    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    if dialogs is not None:
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto((report / "report.html").as_uri())
    page.wait_for_load_state("load")
    return page


@needs_chromium
def test_report_in_headless_chromium(hostile_report):
    from playwright.sync_api import sync_playwright

    errors, dialogs, fetched = [], [], []
    with sync_playwright() as p:
        page = _open(p, hostile_report, fetched, errors, dialogs)
        page.wait_for_selector("table.dataTable", timeout=15_000)  # the offline library ran
        images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.alt])")
        text = page.inner_text("body")
        page.screenshot(path=str(hostile_report / "report.png"), full_page=True)
        page.context.browser.close()
    assert errors == [] and dialogs == [] and fetched == []
    assert len(images) >= 5 and all(done and width > 0 and alt for done, width, alt in images)
    assert HOSTILE_TEAM in text  # shown as text
    assert (hostile_report / "report.png").stat().st_size > 10_000


@needs_chromium
def test_sortable_table_sorts_when_its_header_is_clicked(hostile_report):
    from playwright.sync_api import sync_playwright

    errors, fetched = [], []
    with sync_playwright() as p:
        page = _open(p, hostile_report, fetched, errors)
        page.wait_for_selector("table.dataTable", timeout=15_000)
        unsorted = [c for c in page.evaluate(_NUMERIC_COLUMNS) if c["values"] != sorted(c["values"])]
        assert unsorted, "no numeric column out of ascending order to sort"
        column = unsorted[0]
        header = page.locator("table.dataTable").first.locator("thead th").nth(column["index"])
        header.click()
        page.wait_for_function(_SORTED, arg=[column["index"], "ascending"])
        ascending = next(c for c in page.evaluate(_NUMERIC_COLUMNS) if c["index"] == column["index"])
        page.wait_for_timeout(600)  # two quick clicks would be one double click
        header.click()
        page.wait_for_function(_SORTED, arg=[column["index"], "descending"])
        descending = next(c for c in page.evaluate(_NUMERIC_COLUMNS) if c["index"] == column["index"])
        page.context.browser.close()
    # the table may page: the first page after sorting holds the extreme values, in order
    assert ascending["values"] == sorted(ascending["values"]) != column["values"]
    assert descending["values"] == sorted(descending["values"], reverse=True)
    assert ascending["values"][0] <= min(column["values"]) and descending["values"][0] >= max(column["values"])
    assert errors == [] and fetched == []
