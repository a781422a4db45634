"""Ariadne's HTTP API (FastAPI). Thin routers over ariadne_core services."""
