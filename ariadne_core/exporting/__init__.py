"""Streaming export in the same formats and columns as import, and import templates."""
