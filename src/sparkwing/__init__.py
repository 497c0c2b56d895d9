"""sparkwing: raw data-lake files to models in production.

The Python API mirrors the pipeline spec; see the README for the commands.
"""

from sparkwing.errors import SparkwingError

__version__ = "0.1.0"

__all__ = ["SparkwingError", "__version__"]
