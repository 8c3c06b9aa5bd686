"""Persistence on SQLAlchemy: Postgres (asyncpg) in production, SQLite (aiosqlite) embedded."""
