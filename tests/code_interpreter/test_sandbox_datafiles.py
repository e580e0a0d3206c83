"""The kernel's access to /mnt/data (sandbox_image/datafiles.py), on a plain directory: no link is followed.

These run without Docker; tests/code_interpreter/test_sandbox_security.py plays the same attacks through a real sandbox.
"""

from __future__ import annotations

import importlib.util
import os
import stat
import sys
import threading
import time

import pytest

from tests.helpers.paths import SANDBOX_IMAGE_SOURCES

_SPEC = importlib.util.spec_from_file_location("sandbox_datafiles", SANDBOX_IMAGE_SOURCES / "datafiles.py")
datafiles = importlib.util.module_from_spec(_SPEC)
sys.dont_write_bytecode, _saved = True, sys.dont_write_bytecode  # no __pycache__ among the image's sources
_SPEC.loader.exec_module(datafiles)
sys.dont_write_bytecode = _saved


@pytest.fixture
def data(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "host").mkdir()
    (tmp_path / "host" / "secret.txt").write_text("HOST-SECRET")
    return datafiles.DataDir(str(tmp_path / "data")), tmp_path / "data", tmp_path / "host"


def put(directory, name: str, content: bytes) -> None:
    fd, temporary = directory.create_temporary()
    os.write(fd, content)
    os.close(fd)
    directory.put_in_place(temporary, name)


def test_links_pipes_and_escapes_are_refused(data):
    directory, root, host = data
    (root / "link.txt").symlink_to(host / "secret.txt")
    (root / "linked_dir").symlink_to(host)
    os.mkfifo(root / "pipe")
    (root / "sub").mkdir()
    (root / "sub" / "ok.txt").write_text("fine")
    refused = {"link.txt": "symbolic link", "pipe": "named pipe",
               "linked_dir/secret.txt": "symbolic links|Not a directory",
               "../host/secret.txt": "plain name", "sub/../link.txt": "plain name"}
    for path, reason in refused.items():
        with pytest.raises(datafiles.RefusedFile, match=reason):
            directory.read(path, 1000)
    assert directory.read("sub/ok.txt", 1000) == b"fine"
    with pytest.raises(datafiles.RefusedFile, match="larger than 2 bytes"):
        directory.read("sub/ok.txt", 2)


def test_listing_reports_links_and_pipes_as_skipped_and_does_not_descend_into_links(data):
    directory, root, host = data
    before, _ = directory.listing()
    (root / "a.txt").write_text("a")
    os.link(root / "a.txt", root / "b.txt")
    (root / "link").symlink_to(host)
    os.mkfifo(root / "pipe")
    after, cut = directory.listing()
    files, skipped = datafiles.changes(before, after)
    assert [f["path"] for f in files] == ["a.txt", "b.txt"] and not cut
    assert {s["path"]: s["reason"] for s in skipped} == {
        "link": "it is a symbolic link, not a regular file", "pipe": "it is a named pipe, not a regular file"}
    assert directory.read("b.txt", 10) == b"a"  # a hard link is just the file


def test_a_planted_link_is_replaced_not_followed(data):
    directory, root, host = data
    (root / "report.txt").symlink_to(host / "planted.txt")  # does not exist yet on the "host"
    (root / "secret.txt").symlink_to(host / "secret.txt")
    put(directory, "report.txt", b"REPORT")
    put(directory, "secret.txt", b"overwritten?")
    assert not (host / "planted.txt").exists()
    assert (host / "secret.txt").read_text() == "HOST-SECRET"
    assert (root / "report.txt").read_bytes() == b"REPORT" and not (root / "report.txt").is_symlink()
    assert stat.S_IMODE((root / "report.txt").stat().st_mode) == 0o644
    assert not [p for p in root.iterdir() if p.name.startswith(".aemu-incoming")]


def test_a_directory_in_the_way_is_reported(data):
    directory, root, _ = data
    (root / "report.txt").mkdir()
    with pytest.raises(datafiles.RefusedFile, match="directory named 'report.txt' is in the way"):
        put(directory, "report.txt", b"REPORT")
    assert not [p for p in root.iterdir() if p.name.startswith(".aemu-incoming")]


def test_a_file_swapped_while_it_is_read_never_yields_the_host_file(data):
    directory, root, host = data
    stop = threading.Event()

    def swap() -> None:
        n = 0
        while not stop.is_set():
            tmp = root / ".swap"
            if n % 3 == 0:
                tmp.write_text("plain")
            elif n % 3 == 1:
                tmp.symlink_to(host / "secret.txt")
            else:
                os.mkfifo(tmp)
            os.replace(tmp, root / "x.txt")
            n += 1

    (root / "x.txt").write_text("plain")
    swapper = threading.Thread(target=swap)
    swapper.start()
    outcomes = set()
    try:
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            try:
                outcomes.add(directory.read("x.txt", 100))
            except datafiles.RefusedFile as exc:
                outcomes.add(str(exc).split(",")[0])
    finally:
        stop.set()
        swapper.join()
    assert b"HOST-SECRET" not in outcomes and b"plain" in outcomes
