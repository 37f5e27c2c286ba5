"""The dev stack's data folder: the dev secrets kept in it, and the lock that allows one stack per folder.

Only the standard library is used, so ``make clean-data`` runs before the virtualenv exists.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
from pathlib import Path


def signature_secret(state_dir: Path) -> str:
    """A dev secret made once per data folder, so a duplicate stays a duplicate across restarts."""
    return _secret(state_dir, "signature-key-secret")


def verify_token_secret(state_dir: Path) -> str:
    """The dev secret that signs confirmation links, kept so links in earlier mail still work."""
    return _secret(state_dir, "verify-token-secret")


def _secret(state_dir: Path, name: str) -> str:
    path = state_dir / name
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


class AlreadyRunning(SystemExit):
    pass


def hold_lock(state_dir: Path, port: int):
    """Take the data folder's lock (released by the kernel however we die), or explain who holds it."""
    import fcntl

    state_dir.mkdir(parents=True, exist_ok=True)
    handle = open(state_dir / "run.lock", "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = json.loads(handle.read() or "{}")
        handle.close()
        where = f" at http://localhost:{holder['port']}/" if holder.get("port") else ""
        raise AlreadyRunning(f"Countersign is already running (pid {holder.get('pid', '?')}){where}. "
                             "Use that one, or stop it with Ctrl-C in its terminal.") from None
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps({"pid": os.getpid(), "port": port}))
    handle.flush()
    return handle


def locked(state_dir: Path) -> bool:
    import fcntl

    path = state_dir / "run.lock"
    if not path.exists():
        return False
    with open(path) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def clean_data(state_dir: Path) -> int:
    """``make clean-data``: wipe the folder, unless a stack is running on it."""
    if locked(state_dir):
        print("Countersign is running; stop it (Ctrl-C) before wiping its data.", file=sys.stderr)
        return 1
    shutil.rmtree(state_dir, ignore_errors=True)
    print(f"removed {state_dir}")
    return 0
