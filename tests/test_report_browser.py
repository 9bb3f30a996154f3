"""The exported report in a real browser, and data strings that try to be markup."""
import os
import shutil

import pandas as pd
import pytest

from ssi_kit.report import run_report

HOSTILE_TEAM = '<script>alert("team")</script>'
HOSTILE_INDUSTRY = "<img src=x onerror=alert(1)>"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


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
    return run_report(data, out, parameters={"every": 28, "title": "<b>Q3</b> & co"})


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


@pytest.mark.skipif(not CHROMIUM and not os.environ.get("CI"), reason="chromium not installed (CI installs it)")
def test_report_in_headless_chromium(hostile_report):
    from playwright.sync_api import sync_playwright

    errors, dialogs = [], []
    with sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto((hostile_report / "report.html").as_uri())
        page.wait_for_load_state("load")
        images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
        text = page.inner_text("body")
        page.screenshot(path=str(hostile_report / "report.png"), full_page=True)
        browser.close()
    assert errors == [] and dialogs == []
    assert len(images) >= 5 and all(done and width > 0 for done, width in images)
    assert HOSTILE_TEAM in text  # shown as text
    assert (hostile_report / "report.png").stat().st_size > 10_000
