"""Graph traversal over lineage: the GraphStore protocol and its backends."""
