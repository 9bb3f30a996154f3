"""Importers of real data into the dataset contract: LinkedIn SSI readings, the LinkedIn
data export, tracker spreadsheets, Sales Navigator usage reports and CRM outcomes.  Each
reads its source into contract tables (``read_*``) and merges them into a dataset
directory (``import_*``)."""
from .crm import import_crm, read_crm
from .linkedin_export import import_linkedin_export, read_linkedin_export
from .merge import ImportSummary, merge_into_dir, merge_tables
from .ssi_json import import_ssi_json, read_ssi_json
from .salesnav import import_salesnav, read_salesnav
from .tracker import import_tracker, read_tracker

__all__ = [
    "import_ssi_json", "read_ssi_json", "import_linkedin_export", "read_linkedin_export",
    "import_tracker", "read_tracker", "import_salesnav", "read_salesnav", "import_crm", "read_crm",
    "ImportSummary", "merge_into_dir", "merge_tables",
]
