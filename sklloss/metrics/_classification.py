"""Metrics of the classification and distribution losses."""

__all__ = []
