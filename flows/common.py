"""What every flow shares: settings from parameters, one store per process, and a progress artifact
the UI shows while a long run works through its batches."""

from __future__ import annotations

from functools import lru_cache
from typing import cast
from uuid import UUID

from prefect.artifacts import create_progress_artifact, update_progress_artifact

from newsdedup.config import Settings
from newsdedup.store import Store


@lru_cache(maxsize=8)
def open_store(url: str) -> Store:
    return Store.open(url)


def settings_for(**parameters: object) -> Settings:
    """Flow parameters over environment over defaults."""
    return Settings.from_env().replace(**parameters)


class ProgressArtifact:
    """A progress bar in the flow run's Artifacts tab, 0-100 %, updated as batches finish."""

    def __init__(self, description: str) -> None:
        self.description = description
        self.artifact_id = cast(UUID, create_progress_artifact(0.0, description=description))

    def update(self, done: int, total: int) -> None:
        share = 100.0 if total == 0 else round(100.0 * done / total, 1)
        update_progress_artifact(self.artifact_id, share, description=f"{self.description}: {done:,}/{total:,}")
