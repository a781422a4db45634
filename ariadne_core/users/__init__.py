"""User accounts and login."""
