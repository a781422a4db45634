"""Ariadne's Dagster code location. Assets stay thin and call ariadne_core services."""
