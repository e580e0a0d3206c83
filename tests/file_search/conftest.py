"""Fixtures of the file_search area."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def embedding_model_first(embedding_model) -> None:
    """Building the embedding model takes tens of seconds the first time: done before any server here
    ingests a file, it stays out of the time a test waits for ingestion."""
