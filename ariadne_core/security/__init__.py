"""Passwords, access tokens and role checks."""
