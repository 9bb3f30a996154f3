"""Entry point of ``python -m ssi_kit.bench`` (see :mod:`ssi_kit.bench.command`)."""
from ssi_kit.bench.command import main

if __name__ == "__main__":  # spawned benchmark children import this module without running it
    raise SystemExit(main())
