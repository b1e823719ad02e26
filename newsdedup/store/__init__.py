"""The processed store: SQLite under processed/ by default, PostgreSQL by URL; one schema."""

from newsdedup.store.store import Store, StoreError

__all__ = ["Store", "StoreError"]
