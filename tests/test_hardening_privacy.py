"""Hardening (issue #10, part D): ids and messages never carry contact details, importer
mappings of the wrong kind are refused, and data strings in figures are plain text.

Every refusal is checked for its exit code, its one-paragraph message, and that nothing
was written (:func:`tree_digest` of the whole temporary folder before and after).  The
files reuse the layouts of the real exports in ``tests/fixtures``, with invented content.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

from hardening import assert_refused, run_cli, tree_digest
from ssi_kit.imports.privacy import contact_kind, pseudonym, redact

matplotlib.use("Agg")

FIXTURES = Path(__file__).parent / "fixtures"
EXPORT = FIXTURES / "linkedin_export" / "Basic_LinkedInDataExport_03-01-2024"
SSI_JSON = FIXTURES / "imports" / "ssi_json" / "ssi_2026-01-05.json"
CRM = FIXTURES / "imports" / "crm"
SALT = "a-secret-salt-1234"
EMAIL, PHONE = "jane.private@example.com", "+1 555 0142"
#: Fragments of EMAIL and PHONE that no message and no written file may hold.
SECRETS = ("jane.private", "example.com", "@", "555 0142", "0142")
CRM_HEADER = "Opportunity ID,Owner,Contact Email,Contact Phone,Created Date,Stage,Amount,Close Date,Won\n"
CRM_MAP = ("columns: {Owner: member_id, Created Date: created, Amount: amount, Close Date: closed, "
           "Won: won}\nquotas:\n  columns: {Seller: member_id, Period: period, Quota: quota}\n")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _no_secrets(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} quoted in {text!r}"


def _refused(tmp_path, argv, *fragments):
    """Run the CLI, expect exit 2 naming ``fragments``, no contact detail, nothing written."""
    before = tree_digest(tmp_path)
    result = run_cli(*argv)
    assert_refused(result, 2, *fragments)
    _no_secrets(result.err)
    assert tree_digest(tmp_path) == before
    return result


def _written(out: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in sorted(out.iterdir()) if p.is_file())


def _crm(tmp_path, owners, amounts=None) -> Path:
    rows = [f"OPP-{i},{o},buyer{i}@acme.example,+1 555 010{i},2026-01-1{i},Closed Won,"
            f"{(amounts or {}).get(i, '1000')},2026-02-1{i},true\n" for i, o in enumerate(owners)]
    return _write(tmp_path / "opportunities.csv", CRM_HEADER + "".join(rows))


# --- 1. ids that are contact details are refused by every importer ------------------------

@pytest.mark.parametrize("kind, source", [
    ("linkedin-export", EXPORT), ("ssi-json", SSI_JSON),
    ("tracker", FIXTURES / "imports" / "tracker" / "wide.csv")])
@pytest.mark.parametrize("member, what", [(EMAIL, "e-mail address"), (PHONE, "phone number")])
def test_member_option_holding_contact_details_is_refused(tmp_path, kind, source, member, what):
    result = _refused(tmp_path, ["import", kind, source, "--out", tmp_path / "ds", "--member", member],
                      "--member", what, "--pseudonymize")
    assert member not in result.err


def test_member_option_is_hashed_with_pseudonymize(tmp_path, monkeypatch):
    monkeypatch.setenv("SSI_KIT_SALT", SALT)
    out = tmp_path / "ds"
    result = run_cli("import", "linkedin-export", EXPORT, "--out", out, "--member", EMAIL, "--pseudonymize")
    assert result.code == 0, result.err
    assert pd.read_csv(out / "members.csv")["member_id"].tolist() == [pseudonym(EMAIL, SALT)]
    _no_secrets(_written(out))


def test_crm_owner_phone_number_is_refused_naming_column_and_line(tmp_path):
    path = _crm(tmp_path, ["alice", PHONE, "bob"])
    _refused(tmp_path, ["import", "crm", path, "--out", tmp_path / "ds", "--map", _write(tmp_path / "m.yaml", CRM_MAP)],
             "opportunities.csv", "column 'Owner'", "line 3 holds a phone number", "--pseudonymize",
             "map another id column")


def test_crm_owner_phone_number_is_hashed_with_pseudonymize(tmp_path):
    path = _crm(tmp_path, ["alice", PHONE])
    out = tmp_path / "ds"
    result = run_cli("import", "crm", path, "--out", out, "--map", _write(tmp_path / "m.yaml", CRM_MAP),
                     "--pseudonymize", "--salt", SALT)
    assert result.code == 0, result.err
    assert set(pd.read_csv(out / "members.csv")["member_id"]) == {pseudonym("alice", SALT), pseudonym(PHONE, SALT)}
    _no_secrets(_written(out))


def test_crm_quota_seller_email_is_refused(tmp_path):
    quotas = _write(tmp_path / "quotas.csv", f"Seller,Period,Quota\nalice,2026Q1,100\n{EMAIL},2026Q1,200\n")
    _refused(tmp_path, ["import", "crm", _crm(tmp_path, ["alice"]), "--out", tmp_path / "ds",
                        "--map", _write(tmp_path / "m.yaml", CRM_MAP), "--quotas", quotas],
             "quotas.csv", "column 'Seller'", "line 3 holds an e-mail address")


def test_tracker_id_column_and_mapped_member_id_are_refused(tmp_path):
    wide = _write(tmp_path / "t.csv", f"Date,Seller,Total SSI\n2026-01-05,m1,20\n2026-01-05,{EMAIL},21\n")
    _refused(tmp_path, ["import", "tracker", wide, "--out", tmp_path / "ds"],
             "t.csv", "column 'Seller'", "line 3 holds an e-mail address")
    plain = _write(tmp_path / "p.csv", "Date,Total SSI\n2026-01-05,20\n")
    mapping = _write(tmp_path / "map.yaml", f"member_id: '{PHONE}'\n")
    _refused(tmp_path, ["import", "tracker", plain, "--out", tmp_path / "ds", "--map", mapping],
             "map.yaml", "'member_id' holds a phone number")


def test_ssi_json_member_field_is_refused(tmp_path):
    body = SSI_JSON.read_text(encoding="utf-8").replace('{"activeSeat": false,', f'{{"memberId": "{EMAIL}",')
    path = _write(tmp_path / "ssi_2026-01-05.json", body)
    _refused(tmp_path, ["import", "ssi-json", path, "--out", tmp_path / "ds"],
             "ssi_2026-01-05.json", "field 'memberId' holds an e-mail address")


@pytest.mark.parametrize("value, kind", [
    (EMAIL, "an e-mail address"), ("mailto:ann@corp.example", "an e-mail address"),
    (PHONE, "a phone number"), ("+44 20 7946 0958", "a phone number"), ("(555) 010-4477", "a phone number"),
    ("020 7946 0958", "a phone number"), ("555-0142", "a phone number"), ("+15550142", "a phone number"),
    ("m1", None), ("alice", None), ("jane-doe", None), ("100234", None), ("0051234567", None),
    ("2026-01-10", None), ("10.01.2026", None), ("12000.50", None), ("1,234.50", None),
    ("12.345.678", None), ("2026Q1", None), ("p0123456789abcdef", None), (None, None), (1234567, None)])
def test_contact_kind(value, kind):
    assert contact_kind(value) == kind


# --- 2. no message quotes contact details from the data -----------------------------------

def test_crm_messages_redact_emails_and_phones_in_bad_cells(tmp_path):
    mapping = _write(tmp_path / "m.yaml", CRM_MAP)
    amounts = _crm(tmp_path, ["alice", "bob", "carol"], amounts={0: EMAIL, 1: "(555) 010-4477"})
    result = _refused(tmp_path, ["import", "crm", amounts, "--out", tmp_path / "ds", "--map", mapping],
                      "column 'Amount'", "2 rows fail", "2 ('<e-mail address>'), 3 ('<phone number>')")
    assert "010-4477" not in result.err
    dates = _write(tmp_path / "d.csv", CRM_HEADER + f"OPP-1,alice,x,y,{EMAIL},Closed Won,1,{PHONE},true\n")
    _refused(tmp_path, ["import", "crm", dates, "--out", tmp_path / "ds", "--map", mapping], "column 'Created Date'")


def test_headerless_export_is_refused_without_quoting_its_first_row(tmp_path):
    path = _write(tmp_path / "o.csv", f"OPP-1,alice,{EMAIL},{PHONE},2026-01-10,Won,5,2026-02-01,true\n"
                                      "OPP-2,bob,a@b.example,+1 555 0100,2026-01-11,Won,5,2026-02-01,true\n")
    _refused(tmp_path, ["import", "crm", path, "--out", tmp_path / "ds", "--map", _write(tmp_path / "m.yaml", CRM_MAP)],
             "has no column", "<e-mail address>")


def test_ssi_json_messages_redact_field_values(tmp_path):
    body = SSI_JSON.read_text(encoding="utf-8").replace('{"activeSeat": false,', f'{{"date": "{PHONE}",')
    _refused(tmp_path, ["import", "ssi-json", _write(tmp_path / "r.json", body), "--out", tmp_path / "ds"],
             "field 'date'", "<phone number>")


def test_dataset_errors_during_an_import_are_redacted(tmp_path):
    out = tmp_path / "ds"
    out.mkdir()
    _write(out / "members.csv", "member_id,industry\nm1,Software\n")
    _write(out / "activity.csv", f"member_id,date,posts\nm1,2024-03-01,{EMAIL}\nm1,2024-03-02,{PHONE}\n")
    result = _refused(tmp_path, ["import", "tracker", FIXTURES / "imports" / "tracker" / "wide.csv", "--out", out],
                      "activity", "posts", "<e-mail address>")
    assert "<phone number>" in result.err


def test_redact_keeps_dates_numbers_and_lines():
    text = (f"o.csv: column 'Amount': 3 rows fail, line(s) 2 ('{EMAIL}'), 3 ('{PHONE}'), 4 ('12,5'); "
            "dates 2026-01-10 and 10.01.2026, 1,234.50 and 12000.50, lines 2, 3 and 4 more")
    assert redact(text) == text.replace(EMAIL, "<e-mail address>").replace(PHONE, "<phone number>")


# --- 3. importer mappings with values of the wrong kind ------------------------------------

TRACKER_MAPS = {
    "sheet": "sheet: [1]\n", "sheet ": "sheet: {name: x}\n", "sheet  ": "sheet: null\n",
    "date_format": "date_format: 5\n", "member_id": "member_id: [a, b]\n",
    "industry": "industry: {name: x}\n", "decimal": "decimal: null\n", "separator": "separator: 1\n",
    "columns": "columns: [Date, SSI]\n", "columns ": "columns: null\n",
    "columns  ": "columns: {Date: [date]}\n", "columns   ": "columns: {null: date}\n",
}
CRM_MAPS = {
    "period": "period: [quarter]\n", "period ": "period: 3\n", "won_values": "won_values: Closed Won\n",
    "won_values ": "won_values: [[a]]\n", "quotas": "quotas: [a]\n", "quotas ": "quotas: null\n",
    "sheet": "sheet: true\n", "(quotas)": "quotas: {sheet: [1]}\n",
    "(quotas) ": "quotas: {columns: {Seller: [member_id]}}\n",
}


@pytest.mark.parametrize("key", list(TRACKER_MAPS))
def test_tracker_map_values_of_the_wrong_kind_are_refused(tmp_path, key):
    mapping = _write(tmp_path / "map.yaml", TRACKER_MAPS[key])
    wide = FIXTURES / "imports" / "tracker" / "wide.csv"
    _refused(tmp_path, ["import", "tracker", wide, "--out", tmp_path / "ds", "--map", mapping],
             "map.yaml", key.strip())


@pytest.mark.parametrize("key", list(CRM_MAPS))
def test_crm_map_values_of_the_wrong_kind_are_refused(tmp_path, key):
    base = "columns: {Owner: member_id, Created Date: created, Amount: amount, Close Date: closed, Won: won}\n"
    mapping = _write(tmp_path / "map.yaml", base + CRM_MAPS[key])
    _refused(tmp_path, ["import", "crm", CRM / "opportunities.csv", "--out", tmp_path / "ds", "--map", mapping,
                        "--quotas", CRM / "quotas.csv"], "map.yaml", key.strip())


@pytest.mark.parametrize("quotas, fragments", [
    ("missing.csv", ("missing.csv", "does not exist")),
    ("folder", ("folder",)),
    ("empty.csv", ("empty.csv",)),
    ("binary.csv", ("binary.csv", "binary")),
    ("broken.xlsx", ("broken.xlsx", "workbook")),
    ("noquota.csv", ("noquota.csv", "quota")),
])
def test_crm_bad_quota_files_are_refused(tmp_path, quotas, fragments):
    (tmp_path / "folder").mkdir()
    _write(tmp_path / "empty.csv", "")
    (tmp_path / "binary.csv").write_bytes(b"Seller,Period,Quota\n\x00\x01\x02\n")
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    _write(tmp_path / "noquota.csv", "Seller,Period\nalice,2026Q1\n")
    _refused(tmp_path, ["import", "crm", CRM / "opportunities.csv", "--out", tmp_path / "ds", "--map",
                        CRM / "map.yaml", "--quotas", tmp_path / quotas], *fragments)


# --- 4. data strings in figures are plain text ---------------------------------------------

NAMES = ["$x^2$", "$\\frac{1}{0}$", "$$", "$", "a $5 team"]


def _scores() -> pd.DataFrame:
    rows = [dict(member_id=name, team=name, industry=name, date=pd.Timestamp(day), brand=10.0 + i,
                 people=5.0, insights=5.0, relationships=5.0, ssi=25.0 + i + j * 40, tier="middle",
                 band="poor", ssi_change_7d=0.0)
            for i, name in enumerate(NAMES) for j, day in enumerate(("2026-01-01", "2026-01-08"))]
    return pd.DataFrame(rows)


def _texts(fig) -> set[str]:
    from matplotlib.text import Text

    texts = [t for t in fig.findobj(Text) if t.get_text()]
    assert all(not t.get_parse_math() and not t.get_usetex() for t in texts)
    return {t.get_text() for t in texts}


def test_figures_draw_data_strings_literally(tmp_path):
    from ssi_kit.report import figures, summaries

    scores = _scores()
    for by in ("team", "industry"):
        fig = figures.plot_pillars_by(summaries.pillars_by(scores, by=by), by=by)
        figures.save_figure(fig, tmp_path / f"{by}.png")
        assert {t.get_text() for t in fig.axes[0].get_yticklabels()} == set(NAMES)
        _texts(fig)
    fig = figures.plot_seller_history(scores, "$x^2$")
    figures.save_figure(fig, tmp_path / "seller.png")
    assert "Seller $x^2$: pillars over time" in _texts(fig)
    claims = {"claims": [{"claim_id": name, "verdict": "consistent", "ci_low": 0.1, "ci_high": 0.5,
                          "estimate": 0.3, "published": 0.45, "null_value": 0.0} for name in NAMES]}
    fig = figures.plot_claims_forest(claims)
    figures.save_figure(fig, tmp_path / "claims.png")
    assert set(NAMES) <= _texts(fig)
    for draw in (figures.plot_ssi_distribution, figures.plot_history):
        arg = scores if draw is figures.plot_ssi_distribution else summaries.history(scores)
        figures.save_figure(draw(arg), tmp_path / f"{draw.__name__}.png")
    assert all((tmp_path / f).stat().st_size > 1000 for f in ("team.png", "seller.png", "claims.png"))
    matplotlib.pyplot.close("all")


# --- 5. contact details in other forms (Unicode spaces and dashes, full-width, tel:, x12) ----

#: PHONE and EMAIL written the ways real sheets and pasted text write them.
PHONE_FORMS = ["+1\u00a0555\u00a00142", "+1\u2011555\u20110142", "+1\u2009555\u20090142", "+1\u202f555\u202f0142",
               "+1\u2013555\u20130142", "+1-555-0142 x12", "+1 555 0142 ext. 12", "tel:+15550142",
               "TEL: +1 555 0142", "\uff0b\uff11 \uff15\uff15\uff15 \uff10\uff11\uff14\uff12", "+1 555\u200b0142"]
EMAIL_FORMS = ["jane\uff20example.com", '"jane"@example.com', '"jane doe"@example.com', "jane\ufe6bexample.com"]
FORMS = [(v, "a phone number") for v in PHONE_FORMS] + [(v, "an e-mail address") for v in EMAIL_FORMS]


@pytest.mark.parametrize("value, kind", FORMS)
def test_contact_kind_and_redact_see_through_other_forms(value, kind):
    assert contact_kind(value) == kind
    assert contact_kind(f"  {value} ") == kind
    label = "<phone number>" if kind == "a phone number" else "<e-mail address>"
    text = redact(f"line 2 ('call {value} today'), line 3 ('m1')")
    assert label in text and text.endswith(" today'), line 3 ('m1')"), text
    assert not any(s in text for s in ("0142", "\uff10\uff11\uff14\uff12", "jane", "example")), text


@pytest.mark.parametrize("value", ["m1", "100234", "2026-01-10", "12000.50", "m1 x12", "100234 x12", "Box 12",
                                   "\uff12\uff10\uff12\uff16-\uff10\uff11-\uff11\uff10", "jane\u2011doe", "2026\u201301"])
def test_folding_raises_no_false_alarms(value):
    assert contact_kind(value) is None
    assert redact(value) == value


def test_redact_keeps_the_rest_of_a_non_ascii_message():
    text = "o.csv: line(s) 2 ('\uff15'), 3 ('call +1\xa0555\xa00142 \u2013 caf\u00e9'), 4 ('jane\uff20example.com')"
    assert redact(text) == ("o.csv: line(s) 2 ('\uff15'), 3 ('call <phone number> \u2013 caf\u00e9'), "
                            "4 ('<e-mail address>')")


@pytest.mark.parametrize("member, what", [(v, k.split(" ", 1)[1]) for v, k in FORMS])
def test_member_option_in_other_forms_is_refused(tmp_path, member, what):
    _refused(tmp_path, ["import", "linkedin-export", EXPORT, "--out", tmp_path / "ds", "--member", member],
             "--member", what, "--pseudonymize")


@pytest.mark.parametrize("owner", ["+1\u00a0555\u00a00142", "+1-555-0142 x12", "tel:+15550142",
                                   "+1\u202f555\u202f0142", "jane\uff20example.com"])
def test_crm_owner_in_other_forms_is_refused(tmp_path, owner):
    path = _crm(tmp_path, ["alice", owner])
    _refused(tmp_path, ["import", "crm", path, "--out", tmp_path / "ds", "--map", _write(tmp_path / "m.yaml", CRM_MAP)],
             "opportunities.csv", "column 'Owner'", "line 3 holds a", "--pseudonymize")


def test_crm_messages_redact_other_forms(tmp_path):
    amounts = {0: "call +1\u00a0555\u00a00142", 1: "jane.private\uff20example.com", 2: "tel +1-555-0142 ext 9"}
    path = _crm(tmp_path, ["alice", "bob", "carol"], amounts=amounts)
    result = _refused(tmp_path, ["import", "crm", path, "--out", tmp_path / "ds",
                                 "--map", _write(tmp_path / "m.yaml", CRM_MAP)],
                      "column 'Amount'", "3 rows fail", "2 ('call <phone number>')", "3 ('<e-mail address>')",
                      "4 ('tel <phone number>')")
    assert "\\xa0" not in result.err and "\uff20" not in result.err


def test_file_names_holding_contact_details_are_redacted_in_log_and_summary(tmp_path):
    name = f"{EMAIL} ssi.csv"
    shutil.copy(FIXTURES / "imports" / "tracker" / "failed_scrapes.csv", tmp_path / name)
    out = tmp_path / "ds"
    result = run_cli("import", "tracker", tmp_path / name, "--out", out, "--member", "m1")
    assert result.code == 0, result.err
    assert "<e-mail address> ssi.csv into" in result.out
    assert "<e-mail address> ssi.csv: 2 rows skipped" in result.out
    log = (out / "import-log.jsonl").read_text(encoding="utf-8")
    assert '"source": "' in log and '"file": "' in log and "<e-mail address> ssi.csv" in log
    for text in (result.out, result.err, _written(out)):
        _no_secrets(text.replace(str(tmp_path), ""))
    _write(tmp_path / name, "Seller,Total SSI\nm1,20\n")  # no date column: refused, naming the file
    _refused(tmp_path, ["import", "tracker", tmp_path / name, "--out", out, "--member", "m1"],
             "<e-mail address> ssi.csv")
