"""Embedding models and the catalog's vectors: below both the assistant (`ai`) and
search, which read them."""
