"""smarketing-workbook helper package: attribution, metrics, causal uplift and reports.

See ARCHITECTURE.md for the module map.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("smarketing-workbook")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
