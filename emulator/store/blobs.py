"""Uploaded and generated file bytes, one file per object id under the data dir."""

from __future__ import annotations

import os
from pathlib import Path


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, file_id: str) -> Path:
        return self.root / file_id

    def write(self, file_id: str, data: bytes) -> None:
        tmp = self.root / f".{file_id}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, self.path(file_id))

    def read(self, file_id: str) -> bytes:
        return self.path(file_id).read_bytes()

    def delete(self, file_id: str) -> None:
        self.path(file_id).unlink(missing_ok=True)
