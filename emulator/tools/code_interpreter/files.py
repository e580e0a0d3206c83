"""Files in a sandbox's `/mnt/data`: naming the user's files, sending them in, collecting what the code wrote.

Everything goes through the kernel's channel (`SandboxSession.put` / `read`): the host never
opens a path inside the sandbox, so a link or a pipe the code planted there reaches nothing on
the host. Collection is capped per execution (files, bytes per file, bytes in all) and the model
is told what was left out and why; File objects are made off the event loop.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from emulator.settings import Settings
from emulator.tools.code_interpreter.limits import describe_size, parse_size
from emulator.tools.code_interpreter.session import Execution, SandboxFileError, SandboxSession

MOUNT = PurePosixPath("/mnt/data")
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")
_NAMED = 20  # at most this many paths named in one note


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


async def send_inputs(session: SandboxSession, inputs: list[InputFile], read: Callable[[str], bytes],
                      data_size: str) -> list[str]:
    """Send the files the session lacks; notes for the model about any that could not be sent."""
    notes = []
    for item in inputs:
        if item.file_id in session.copied_file_ids:
            continue
        data = await asyncio.to_thread(read, item.file_id)
        try:
            await session.put(item.sandbox_name, data)
        except SandboxFileError as exc:
            reason = str(exc)
            if reason == "No space left on device":
                reason += f": /mnt/data is limited to {describe_size(parse_size(data_size))}"
            notes.append(f"The user's file \"{item.filename}\" could not be copied to {item.path} ({reason}).")
            continue
        session.copied_file_ids.add(item.file_id)
    return notes


@dataclass
class Collected:
    files: list[tuple[str, str]] = field(default_factory=list)
    """(sandbox path, file id) of every file made."""
    notes: list[str] = field(default_factory=list)


async def collect_outputs(session: SandboxSession, result: Execution, settings: Settings,
                          create: Callable[[str, bytes], str]) -> Collected:
    """Turn the files the execution wrote into files (`create(path in the sandbox, bytes) -> id`, run in a
    thread)."""
    collected = Collected()
    per_file, total_cap = settings.sandbox_max_file_bytes, settings.sandbox_max_output_files_bytes
    over_count: list[str] = []
    over_total: list[str] = []
    total = 0
    for entry in result.files:
        path = str(MOUNT / entry["path"])
        if entry["size"] > per_file:
            collected.notes.append(f"Wrote {path}, but it is larger than {per_file} bytes, so the user cannot "
                                   "download it")
        elif len(collected.files) >= settings.sandbox_max_output_files:
            over_count.append(path)
        elif total + entry["size"] > total_cap:
            over_total.append(path)
        else:
            try:
                data = await session.read(entry["path"], per_file)
            except SandboxFileError as exc:
                collected.notes.append(f"{path} was not collected: {exc}")
                continue
            total += len(data)
            file_id = await asyncio.to_thread(create, path, data)
            collected.files.append((path, file_id))
            collected.notes.append(f"Wrote {path} (link it as sandbox:{path})")
    if over_count:
        collected.notes.append(_listed(over_count, f"one execution gives the user at most "
                                       f"{settings.sandbox_max_output_files} files"))
    if over_total:
        collected.notes.append(_listed(over_total, f"one execution gives the user at most "
                                       f"{describe_size(total_cap)} of files"))
    collected.notes += [f"{str(MOUNT / s['path'])} was not collected: {s['reason']}" for s in result.skipped]
    if result.listing_cut:
        collected.notes.append("/mnt/data holds too many files (or too deep a tree) to be checked in full; "
                               "some new files may not have been collected")
    if result.data_size and result.data_free < max(1 << 20, result.data_size // 100):
        collected.notes.append(f"No space left on device: /mnt/data is limited to {describe_size(result.data_size)} "
                               "and is full; delete files there to write more")
    return collected


def _listed(paths: list[str], reason: str) -> str:
    named = ", ".join(paths[:_NAMED])
    more = f" and {len(paths) - _NAMED} more" if len(paths) > _NAMED else ""
    return f"{len(paths)} more files were not collected, because {reason}: {named}{more}"
