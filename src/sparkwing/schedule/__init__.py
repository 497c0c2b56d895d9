"""Schedules and data triggers for pipelines (not built yet)."""

__all__: list[str] = []
