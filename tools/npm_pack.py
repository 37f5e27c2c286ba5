"""Fetch one file tree out of a pinned npm package, verified, without installing anything.

``npm pack`` downloads the package tarball alone (no dependencies, no install
scripts); the tarball is checked against a pinned sha256 before anything in
it is used, then the wanted folder is extracted into the cache.

Only the standard library is used, so tools that run before the virtualenv
exists can import it.
"""
from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache"


class MissingTool(SystemExit):
    """A program we need (java, npm) is not installed; the message says what to install."""


def require(tool: str, what: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise MissingTool(f"`{tool}` was not found. Install {what} and run again.")
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(package: str, version: str, sha256: str, folder: str, target: Path, *, what: str) -> Path:
    """``target``, holding ``folder`` of ``package@version`` (fetched and verified on first use).

    ``folder`` is a path inside the package (``emulator``, or ``.`` for all of it).
    """
    marker = target / ".verified"
    if marker.is_file() and marker.read_text().strip() == sha256:
        return target
    cache = target.parent
    cache.mkdir(parents=True, exist_ok=True)
    # Test workers (pytest-xdist) and a `make run` may ask at once: one fetches, the others wait for it.
    with (cache / f"{target.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.is_file() and marker.read_text().strip() == sha256:
            return target
        return _fetch(package, version, sha256, folder, target, what=what)


def _fetch(package: str, version: str, sha256: str, folder: str, target: Path, *, what: str) -> Path:
    marker = target / ".verified"
    npm = require("npm", "Node.js with npm (Debian: apt-get install npm)")
    cache = target.parent
    tarball = cache / f"{package.replace('/', '-').lstrip('@')}-{version}.tgz"
    if not tarball.is_file():
        print(f"Fetching {what} ({package}@{version}) with npm pack ...", file=sys.stderr, flush=True)
        subprocess.run([npm, "pack", f"{package}@{version}", "--pack-destination", str(cache), "--loglevel=error"],
                       check=True, stdout=subprocess.DEVNULL)
    actual = sha256_of(tarball)
    if actual != sha256:
        tarball.unlink()
        raise SystemExit(f"{tarball.name} has sha256 {actual}, expected {sha256}; deleted it. "
                         "Run again to fetch it afresh.")
    prefix = "package/" if folder in ("", ".") else f"package/{folder.strip('/')}/"
    staging = cache / f"{target.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    with tarfile.open(tarball) as archive:
        members = [m for m in archive.getmembers() if m.name.startswith(prefix)]
        archive.extractall(staging, members=members, filter="data")  # refuses links and paths outside
    shutil.rmtree(target, ignore_errors=True)
    (staging / prefix.rstrip("/")).rename(target)
    shutil.rmtree(staging)
    marker.write_text(sha256 + "\n")
    return target
