"""The web UI for pipelines, data quality, tables and models (not built yet)."""

__all__: list[str] = []
