"""``python -m ssi_kit.validation`` (``make validate``)."""
import sys

from .cli import main

sys.exit(main())
