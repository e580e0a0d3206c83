"""Files in a sandbox's `/mnt/data`: naming the user's files, copying them in, finding what changed."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from emulator.tools.code_interpreter.session import SANDBOX_UID

MOUNT = PurePosixPath("/mnt/data")
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")

Snapshot = dict[str, tuple[int, int]]


@dataclass(frozen=True)
class InputFile:
    file_id: str
    filename: str
    """The user's original name."""
    sandbox_name: str
    """Its name inside /mnt/data (the original one unless two files share it)."""

    @property
    def path(self) -> str:
        return str(MOUNT / self.sandbox_name)


def sandbox_names(files: list[tuple[str, str]]) -> list[InputFile]:
    """Give each (file_id, original name) a safe, unique name in /mnt/data."""
    taken: set[str] = set()
    result = []
    for file_id, filename in files:
        name = _UNSAFE.sub("_", Path(filename).name).strip(" .") or file_id
        if name in taken:
            stem, dot, suffix = name.rpartition(".")
            name = f"{stem}-{file_id}.{suffix}" if dot and stem else f"{name}-{file_id}"
        taken.add(name)
        result.append(InputFile(file_id, filename, name))
    return result


def write_input(host_dir: Path, file: InputFile, data: bytes) -> None:
    target = host_dir / file.sandbox_name
    target.write_bytes(data)
    try:
        os.chown(target, SANDBOX_UID, SANDBOX_UID)
    except PermissionError:
        target.chmod(0o666)


def snapshot(host_dir: Path) -> Snapshot:
    """Size and modification time of every regular file under the directory (links not followed)."""
    found: Snapshot = {}
    for root, dirs, names in os.walk(host_dir, followlinks=False):
        for name in names:
            path = Path(root) / name
            try:
                stat = path.lstat()
            except OSError:
                continue
            if path.is_file() and not path.is_symlink():
                found[path.relative_to(host_dir).as_posix()] = (stat.st_size, stat.st_mtime_ns)
    return found


def changed_files(before: Snapshot, after: Snapshot) -> list[str]:
    """Files that are new or different, as paths relative to /mnt/data, in a stable order."""
    return sorted(path for path, stat in after.items() if before.get(path) != stat)
