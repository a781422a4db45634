"""Schema-change alerts: what a sync changed, what it breaks downstream, who to tell
(docs/schema-changes.md)."""
