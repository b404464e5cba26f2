"""Metrics of the regression losses."""

__all__ = []
