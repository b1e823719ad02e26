"""newsdedup: news ingestion, boilerplate removal and de-duplication.

The library is pure Python with no Prefect imports; `flows/` orchestrates it.
"""

__version__ = "0.1.0"
