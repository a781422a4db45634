"""Local runtime: the embedded PostgreSQL and the test services (Redis, Neo4j)."""
