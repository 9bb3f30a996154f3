"""ssi-kit: an open research kit for LinkedIn's Social Selling Index (SSI)."""
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("ssi-kit")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = ["__version__"]
