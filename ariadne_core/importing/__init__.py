"""Bulk import: parse a user's file, validate it in layers, preview its effect, commit it.

- `spec`: the import types, their columns and header aliases.
- `formats`: CSV, Excel, JSON and YAML readers that yield rows as the user numbers them.
- `rowcheck`: the Great Expectations 1.x suites in `expectations/`, run per row.
- `messages`: the catalogue of problem codes and their plain-language messages.
- `engine`: references, duplicates, business rules, row statuses and the writes.
- `service`: validate (preview) and execute, shared by the API, the CLI and Dagster.
"""
