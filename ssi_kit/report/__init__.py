"""Reports: notebook runs through papermill, summaries, figures and HTML export."""
from .execute import NOTEBOOKS, ReportFailed, notebook_dir, run_report
from .export import export_html

__all__ = ["run_report", "ReportFailed", "NOTEBOOKS", "notebook_dir", "export_html"]
