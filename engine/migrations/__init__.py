"""Alembic migration environment; run it through ``engine.migrate``, not the alembic CLI."""
