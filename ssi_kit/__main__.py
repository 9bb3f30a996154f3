"""``python -m ssi_kit``: the command line."""
import sys

from .cli import main

sys.exit(main())
