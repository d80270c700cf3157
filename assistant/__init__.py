"""medcode: a local-first assistant for medical coding with cited sources."""

__version__ = "0.1.0"
