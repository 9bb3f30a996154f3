"""Importers of real data into the dataset contract: LinkedIn SSI readings, the LinkedIn
data export, tracker spreadsheets and CRM outcomes."""
from .merge import ImportSummary, merge_into_dir, merge_tables

__all__ = ["ImportSummary", "merge_into_dir", "merge_tables"]
