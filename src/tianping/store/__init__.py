"""Persistence: SQLAlchemy 2 models, engine set-up and Alembic migrations."""

from .db import Database, open_database

__all__ = ["Database", "open_database"]
