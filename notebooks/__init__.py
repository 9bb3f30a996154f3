"""The report's notebooks (*.ipynb), installed as the package ``ssi_kit.notebooks``; see ``notebook_dir()``."""
