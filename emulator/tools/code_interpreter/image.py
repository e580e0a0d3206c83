"""The sandbox image: found, or built from `sandbox_image/` with a plain `docker build`.

Where no image registry can be reached (offline machines, CI here), the Debian base image the
Dockerfile starts from cannot be pulled; it is then made locally with debootstrap and
`docker import`, and the same Dockerfile is built on top of it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from emulator.settings import Settings
from emulator.tools.code_interpreter.docker import DockerError, docker_sync

log = logging.getLogger(__name__)

DEFAULT_BASE = "debian:bookworm-slim"
LOCAL_BASE = "assistants-emulator/bookworm-base:latest"
_DEBIAN_MIRROR = "http://deb.debian.org/debian"


def image_dir(settings: Settings) -> Path:
    if settings.sandbox_image_dir is not None:
        return settings.sandbox_image_dir
    return Path(__file__).resolve().parents[3] / "sandbox_image"


def image_tag(settings: Settings) -> str:
    """`<repository>:<hash of the image sources>`: an edited Dockerfile or kernel means a new image."""
    digest = hashlib.sha256()
    directory = image_dir(settings)
    sources = (p for p in directory.rglob("*")
               if p.is_file() and p.name != "README.md" and "__pycache__" not in p.parts)  # bytecode is no source
    for path in sorted(sources):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0" + path.read_bytes())
    return f"{settings.sandbox_image}:{digest.hexdigest()[:12]}"


def image_exists(tag: str) -> bool:
    return docker_sync("image", "inspect", tag, check=False).returncode == 0


def ensure_image(settings: Settings, *, rebuild: bool = False, verbose: bool = False) -> str:
    """Build the sandbox image unless it exists; returns its tag. Blocking (minutes on first build)."""
    tag = image_tag(settings)
    if image_exists(tag) and not rebuild:
        return tag
    directory = image_dir(settings)
    if not (directory / "Dockerfile").is_file():
        raise DockerError(f"no Dockerfile in {directory} (set EMULATOR_SANDBOX_IMAGE_DIR)")
    base = DEFAULT_BASE if _base_available(DEFAULT_BASE) else _local_base(verbose)
    log.warning("building sandbox image %s from %s on %s (takes a few minutes once)", tag, directory, base)
    docker_sync("build", "--build-arg", f"BASE={base}", "-t", tag, str(directory), stream=verbose)
    _remove_older_tags(settings.sandbox_image, tag)
    return tag


def _remove_older_tags(repository: str, keep: str) -> None:
    """Earlier builds of the sandbox image are dead weight once a new one exists."""
    listed = docker_sync("images", repository, "--format", "{{.Repository}}:{{.Tag}}", check=False)
    stale = [t for t in listed.stdout.split() if t != keep and not t.endswith(":<none>")]
    if stale:
        docker_sync("rmi", *stale, check=False)


def _base_available(base: str) -> bool:
    if image_exists(base):
        return True
    return docker_sync("pull", base, timeout=300, check=False).returncode == 0


def _local_base(verbose: bool) -> str:
    """A minimal Debian bookworm image made here: for machines that reach Debian's mirror but no registry."""
    if image_exists(LOCAL_BASE):
        return LOCAL_BASE
    if shutil.which("debootstrap") is None:
        raise DockerError(
            f"cannot pull {DEFAULT_BASE} and debootstrap is not installed to make a base image locally "
            "(apt-get install debootstrap, or make the registry reachable)"
        )
    if os.geteuid() != 0:
        raise DockerError(f"cannot pull {DEFAULT_BASE}; making a base image with debootstrap needs root")
    log.warning("no registry reachable: making %s with debootstrap", LOCAL_BASE)
    with tempfile.TemporaryDirectory(prefix="aemu-rootfs-") as root:
        output = None if verbose else subprocess.DEVNULL
        subprocess.run(["debootstrap", "--variant=minbase", "bookworm", root, _DEBIAN_MIRROR],
                       check=True, stdout=output, stderr=output)
        _trim_rootfs(Path(root))
        tar = subprocess.Popen(["tar", "-C", root, "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run(["docker", "import", "-", LOCAL_BASE], stdin=tar.stdout, capture_output=True)
        tar.wait()
        if imported.returncode != 0:
            raise DockerError(f"docker import failed: {imported.stderr.decode(errors='replace')}")
    return LOCAL_BASE


def _trim_rootfs(root: Path) -> None:
    """Drop what debootstrap leaves behind that an image never needs: the downloaded .debs (≈ 100 MB)
    and the package lists (the Dockerfile runs `apt-get update` itself)."""
    for pattern in ("var/cache/apt/archives/*.deb", "var/cache/apt/*.bin", "var/lib/apt/lists/*_*"):
        for path in root.glob(pattern):
            path.unlink(missing_ok=True)
