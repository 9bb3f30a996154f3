"""Reports: notebook runs through papermill, summaries, figures and HTML export.

The names below are imported on first use, so that importing a light module of this
package (``ssi_kit.report.parameters``) does not load papermill and nbconvert.
"""
import importlib

__all__ = ["run_report", "ReportFailed", "ReportIncomplete", "NOTEBOOKS", "notebook_dir", "export_html"]

_HOME = {"run_report": "execute", "ReportFailed": "execute", "NOTEBOOKS": "execute",
         "notebook_dir": "execute", "export_html": "export", "ReportIncomplete": "complete"}


def __getattr__(name):
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
