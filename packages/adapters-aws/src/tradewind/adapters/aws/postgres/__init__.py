"""PostgreSQL (Aurora in production) through asyncpg."""
