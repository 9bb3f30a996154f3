"""``ssi-kit import KIND``: the importers' arguments and the one call each makes."""
from __future__ import annotations

import argparse

from ..exceptions import SsiKitError
from .options import Parser, iso_date

__all__ = ["add_import", "run_import"]


def add_import(sub) -> None:
    p = sub.add_parser("import", help="import real data: SSI readings, the LinkedIn export, trackers, CRM",
                       description="Import real data into a dataset directory (created, or added to: "
                       "same key and values kept once, different values replaced by the import).")
    kinds = p.add_subparsers(dest="kind", metavar="KIND", parser_class=Parser)
    kinds.required = True
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--out", required=True, help="dataset directory to create or add to")
    common.add_argument("--pseudonymize", action="store_true",
                        help="replace seller ids with salted hashes (salt from --salt or $SSI_KIT_SALT)")
    common.add_argument("--salt", help="secret salt for --pseudonymize")
    common.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress output")
    k = kinds.add_parser("ssi-json", parents=[common], help="SSI readings as JSON (salesApiSsi, Unipile, "
                         "vendor results; histories, JSON Lines) -> ssi",
                         description="Read SSI readings in the shapes client tools store (LinkedIn's "
                         "salesApiSsi response, Unipile's LinkedinRawData envelope, normalized memberScore "
                         "objects, vendor results such as st.retrieveSSI), one per file or a list / JSON "
                         "Lines history (the date from a field, a _YYYY-MM-DD.json file name, or --date) "
                         "into the ssi table. Failed scrapes (every value 0) are skipped and reported.")
    k.add_argument("paths", nargs="+", metavar="FILE_OR_DIR", help="JSON files or folders of them")
    k.add_argument("--member", help="member_id of the seller (default: from the file, else 'me')")
    k.add_argument("--date", type=iso_date, help="reading date for files of one reading that carry none")
    k.add_argument("--industry", help="industry of the seller when the responses do not name it")
    k.add_argument("--strict", action="store_true",
                   help="refuse the import when a reading is skipped (default: skip and report it)")
    k = kinds.add_parser("linkedin-export", parents=[common], help="'Get a copy of your data' -> members, profiles, activity",
                         description="Read LinkedIn's data export (ZIP or folder) into members, profiles "
                         "and daily activity for one seller. Message contents, e-mail addresses, phone "
                         "numbers, birth dates and addresses are never copied.")
    k.add_argument("path", metavar="ZIP_OR_DIR")
    k.add_argument("--member", help="member_id for the seller (default: from the profile name; required "
                   "when the export has no profile name)")
    k.add_argument("--industry", help="industry when Profile.csv has none")
    k.add_argument("--analytics", action="append", default=[], metavar="FILE.xlsx",
                   help="LinkedIn creator analytics workbook of the same member (repeatable): "
                   "impressions, engagements, new followers per day")
    k.add_argument("--same-person", action="store_true",
                   help="the seller already in --out from another export is this same person: merge them")
    k.add_argument("--profile-from-export-date", action="store_true",
                   help="apply undatable profile facts (headline, summary, skills) only from the export date")
    k.add_argument("--strict", action="store_true",
                   help="refuse the export when a row cannot be read (default: skip and report it)")
    k = kinds.add_parser("tracker", parents=[common], help="SSI history spreadsheets -> ssi",
                         description="Read a daily SSI history (wide or long CSV/XLSX; decimal commas and "
                         "semicolons handled) into the ssi table.")
    k.add_argument("path", metavar="FILE")
    k.add_argument("--map", dest="mapping", metavar="MAP.yaml",
                   help="mapping of columns, field and section values for other layouts (docs/imports.md)")
    k.add_argument("--member", help="member_id when the file holds one seller without an id column")
    k.add_argument("--strict", action="store_true",
                   help="refuse the import when a reading is skipped (failed scrapes; default: skip and report)")
    k = kinds.add_parser("salesnav", parents=[common], help="Sales Navigator usage report (admin export) -> ssi",
                         description="Read a Sales Navigator usage report (one row per seat with its SSI and "
                         "pillars, CSV or XLSX) into the ssi table. The report has no date: give the day it "
                         "was exported with --date. Seats are named by e-mail and name only, so pass "
                         "--pseudonymize (salted hashes of the e-mail) or --id-column.")
    k.add_argument("path", metavar="FILE")
    k.add_argument("--date", type=iso_date, help="the day the report was exported (required unless the "
                   "report has a date column)")
    k.add_argument("--id-column", metavar="HEADER", help="column holding seller ids, kept in clear (e.g. an "
                   "employee id; naming the name column keeps names in clear)")
    k.add_argument("--strict", action="store_true",
                   help="refuse the import when a seat is skipped (default: skip and report it)")
    k = kinds.add_parser("crm", parents=[common], help="opportunity export -> outcomes",
                         description="Aggregate a CRM opportunity export into outcomes per seller and period. "
                         "Salesforce opportunity reports (English or German locale) and HubSpot deals "
                         "exports are recognised from their header; other layouts need --map.")
    k.add_argument("path", metavar="FILE")
    k.add_argument("--map", dest="mapping", metavar="MAP.yaml",
                   help="column mapping (optional for Salesforce and HubSpot exports)")
    k.add_argument("--preset", choices=["salesforce", "hubspot"],
                   help="the export's layout (default: recognised from the header)")
    k.add_argument("--quotas", metavar="FILE", help="quota table (seller, period, quota)")
    k.add_argument("--placeholder-close-from", metavar="YYYY[-MM-DD]",
                   help="close dates from then on mean an open deal (default: the year 3000, e.g. 31.12.3999)")
    k.add_argument("--strict", action="store_true",
                   help="refuse the export when a row lacks an owner or created date (default: skip and report)")


def run_import(args):
    """Run one importer; its messages never quote contact details (the last guard of redaction)."""
    from ..imports.privacy import redact

    try:
        return _call_importer(args)
    except SsiKitError as err:
        err.args = (redact(str(err)),)
        raise


def _call_importer(args):
    from ..imports.privacy import salt_from

    salt = salt_from(args.salt) if args.pseudonymize else None
    if args.kind == "ssi-json":
        from ..imports.ssi_json import import_ssi_json as run

        return run(args.paths, args.out, member_id=args.member, date=args.date, industry=args.industry, salt=salt,
                   strict=args.strict)
    if args.kind == "linkedin-export":
        from ..imports.linkedin_export import import_linkedin_export as run

        return run(args.path, args.out, member_id=args.member, industry=args.industry, salt=salt,
                   analytics=args.analytics, strict=args.strict, same_person=args.same_person,
                   profile_from_export_date=args.profile_from_export_date)
    if args.kind == "tracker":
        from ..imports.tracker import import_tracker as run

        return run(args.path, args.out, mapping=args.mapping, member_id=args.member, salt=salt, strict=args.strict)
    if args.kind == "salesnav":
        from ..imports.salesnav import import_salesnav as run

        return run(args.path, args.out, date=args.date, id_column=args.id_column, salt=salt, strict=args.strict)
    from ..imports.crm import import_crm as run

    return run(args.path, args.out, mapping=args.mapping, quotas=args.quotas, salt=salt, preset=args.preset,
               placeholder_from=args.placeholder_close_from, strict=args.strict)
