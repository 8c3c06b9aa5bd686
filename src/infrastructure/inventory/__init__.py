"""Inventory engines: memory, SQL (Postgres and SQLite) and Redis Lua."""
