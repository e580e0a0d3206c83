"""/mnt/data as the kernel sees it: a listing, and reads and writes that never follow a link.

The kernel can read and write every file in the container (it runs as root with a few
capabilities), and the user's code decides what lies in /mnt/data. So every path is opened
relative to a directory descriptor, one component at a time, with O_NOFOLLOW; a name that is a
symbolic link, a named pipe or a device is refused, never opened; and files come in through a
fresh temporary file renamed into place (a rename replaces a planted link, it does not follow it).
"""

import os
import stat

DATA = "/mnt/data"
SANDBOX_UID = 1000
MAX_ENTRIES = 50_000  # one listing looks at no more than this (a listing runs before and after every execution)
MAX_DEPTH = 32
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_KINDS = {stat.S_IFLNK: "a symbolic link", stat.S_IFIFO: "a named pipe", stat.S_IFSOCK: "a socket",
          stat.S_IFCHR: "a device", stat.S_IFBLK: "a device", stat.S_IFDIR: "a directory"}


class RefusedFile(Exception):
    """A file the kernel will not read or write (its message says why, for the model)."""


def _kind(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "a special file")


def _check_part(part: str) -> None:
    if part in ("", ".", "..") or "/" in part or "\0" in part:
        raise RefusedFile("not a plain name inside /mnt/data")


class DataDir:
    """/mnt/data, opened once: every later access goes through this descriptor."""

    def __init__(self, path: str = DATA) -> None:
        self.fd = os.open(path, _DIR_FLAGS)

    # -- what is there -------------------------------------------------------------------
    def listing(self) -> tuple[dict, bool]:
        """Every entry but directories, path -> (type, inode, size, mtime); and whether it was cut short."""
        found: dict = {}
        cut = self._walk(self.fd, "", 0, found)
        return found, cut

    def _walk(self, fd: int, prefix: str, depth: int, found: dict) -> bool:
        cut = False
        with os.scandir(fd) as entries:
            for entry in entries:
                if len(found) >= MAX_ENTRIES:
                    return True
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                path = prefix + entry.name
                if not stat.S_ISDIR(info.st_mode):
                    found[path] = (stat.S_IFMT(info.st_mode), info.st_ino, info.st_size, info.st_mtime_ns)
                    continue
                if depth >= MAX_DEPTH:
                    cut = True
                    continue
                try:
                    child = os.open(entry.name, _DIR_FLAGS, dir_fd=fd)
                except OSError:  # replaced meanwhile by something that is not a directory
                    continue
                try:
                    cut = self._walk(child, path + "/", depth + 1, found) or cut
                finally:
                    os.close(child)
        return cut

    def usage(self) -> tuple[int, int]:
        """(size, free bytes) of the /mnt/data filesystem."""
        info = os.fstatvfs(self.fd)
        return info.f_blocks * info.f_frsize, info.f_bavail * info.f_frsize

    # -- reading -------------------------------------------------------------------------
    def read(self, relative: str, limit: int) -> bytes:
        """A regular file's bytes, at most `limit` of them (RefusedFile otherwise)."""
        parts = relative.split("/")
        for part in parts:
            _check_part(part)
        opened = []
        try:
            parent = self.fd
            for part in parts[:-1]:
                parent = os.open(part, _DIR_FLAGS, dir_fd=parent)
                opened.append(parent)
            info = os.stat(parts[-1], dir_fd=parent, follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode):  # refused before opening: opening a pipe could block
                raise RefusedFile(f"it is {_kind(info.st_mode)}, not a regular file")
            fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC,
                         dir_fd=parent)
        except OSError as exc:
            raise RefusedFile(exc.strerror or str(exc)) from None
        finally:
            for fd_ in opened:
                os.close(fd_)
        try:
            return _read_regular(fd, limit)
        finally:
            os.close(fd)

    # -- writing -------------------------------------------------------------------------
    def create_temporary(self) -> tuple[int, str]:
        """A new, empty file owned by the sandbox user, under a name nobody else can have made."""
        name = f".aemu-incoming-{os.urandom(8).hex()}"
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644,
                     dir_fd=self.fd)
        try:
            os.fchown(fd, SANDBOX_UID, SANDBOX_UID)
        except PermissionError:  # a kernel not started as root: the file is already the sandbox user's
            pass
        return fd, name

    def put_in_place(self, temporary: str, name: str) -> None:
        """Give the finished temporary file its real name, replacing whatever file or link had it."""
        _check_part(name)
        try:
            os.rename(temporary, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except IsADirectoryError:
            self.discard(temporary)
            raise RefusedFile(f"a directory named {name!r} is in the way") from None
        except OSError:
            self.discard(temporary)
            raise

    def discard(self, temporary: str) -> None:
        try:
            os.unlink(temporary, dir_fd=self.fd)
        except OSError:
            pass


def _read_regular(fd: int, limit: int) -> bytes:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):  # swapped between the check and the open
        raise RefusedFile(f"it is {_kind(info.st_mode)}, not a regular file")
    if info.st_size > limit:
        raise RefusedFile(f"it is larger than {limit} bytes")
    chunks, total = [], 0
    while total <= limit:
        chunk = os.read(fd, min(1 << 20, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if total > limit:
        raise RefusedFile(f"it is larger than {limit} bytes")
    return b"".join(chunks)


def changes(before: dict, after: dict) -> tuple[list, list]:
    """Regular files that are new or changed, as {"path", "size"}; and other new entries, with why they are skipped."""
    files, skipped = [], []
    for path in sorted(after):
        entry = after[path]
        if before.get(path) == entry:
            continue
        try:
            path.encode("utf-8")
        except UnicodeEncodeError:  # the host could not name it (nor could the user's browser)
            skipped.append({"path": path.encode("utf-8", "replace").decode(), "reason": "its name is not UTF-8"})
            continue
        if entry[0] == stat.S_IFREG:
            files.append({"path": path, "size": entry[2]})
        else:
            skipped.append({"path": path, "reason": f"it is {_kind(entry[0])}, not a regular file"})
    return files, skipped
