"""One sweep at a time per folder: an advisory lock file, ``.propsim-sweep.lock``.

A sweep holds an exclusive ``flock`` on the file while it runs and writes who it is into it
(pid, host, start time, command). A second sweep into the same folder is refused at once, and the
message says who holds the folder. The kernel drops the lock when its holder dies however it
dies (SIGKILL, out of memory, power loss on a local disk), so a lock left by a killed sweep is
stale: the next sweep takes it over and says so. The file is removed on a normal exit.

Where ``flock`` is not available (some network or FUSE file systems) the lock falls back to
creating the file exclusively and treating it as stale when the recorded process is gone
(same host) or the file is older than :data:`STALE_AFTER_S` without a heartbeat (another host).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from simulator.sweeps.store import SweepError

LOCK_NAME = ".propsim-sweep.lock"
STALE_AFTER_S = 24 * 3600.0  # fallback mode, another host: how old a lock may be before it is stale


class SweepBusy(SweepError):
    """The sweep folder is locked by another running sweep (``holder`` says who)."""

    def __init__(self, folder: Path, holder: dict[str, Any]):
        self.folder, self.holder = folder, holder
        super().__init__(
            f"{folder} is in use by another sweep ({describe(holder)}); wait for it to finish, "
            "or choose another --output"
        )


def describe(holder: dict[str, Any]) -> str:
    """``pid 123 on host h, started 2026-01-01T10:00:00+00:00: propsim sweep ...``"""
    if not holder:
        return "holder unknown"
    text = f"pid {holder.get('pid', '?')} on host {holder.get('host', '?')}, started {holder.get('started', '?')}"
    cmd = str(holder.get("command") or "")
    return text + (f": {cmd[:160]}{'...' if len(cmd) > 160 else ''}" if cmd else "")


def _me() -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv)[:500],
    }


def _read(fd: int) -> dict[str, Any]:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = os.read(fd, 65536)
        info = json.loads(data.decode("utf-8")) if data.strip() else {}
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


class SweepLock:
    """``with SweepLock(folder, log): ...`` holds the folder for one sweep (see the module docstring)."""

    def __init__(self, folder: str | os.PathLike, log: Callable[[str], None] | None = None):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.log = log or (lambda m: None)
        self.fd: int | None = None
        self.exclusive_file = False  # fallback mode (no flock)

    def __enter__(self) -> SweepLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> None:
        """Take the lock or raise :class:`SweepBusy` at once (never waits)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for _ in range(20):  # retried only when the file was replaced between open and lock
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                locked = self._flock(fd)
            except BaseException:
                os.close(fd)
                raise
            if not locked:
                self._acquire_exclusive(fd)  # closes fd
                return
            if self._same_file(fd):
                self._own(fd)
                return
            os.close(fd)
        raise OSError(f"{self.path}: could not take the sweep lock (the file keeps changing)")

    def _flock(self, fd: int) -> bool:
        """True when locked; False when this file system has no flock; SweepBusy when held."""
        import fcntl

        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SweepBusy(self.folder, _read(fd)) from None
        except OSError as e:
            if e.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
                return False
            raise
        return True

    def _same_file(self, fd: int) -> bool:
        """Whether ``fd`` is still the file at ``path`` (a releasing sweep may have just removed it)."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return False
        mine = os.fstat(fd)
        return (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)

    def _own(self, fd: int) -> None:
        old = _read(fd)
        if old:
            self.log(f"sweep: took over a stale lock on {self.folder} ({describe(old)}; that sweep is gone)")
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps(_me(), ensure_ascii=False).encode("utf-8"))
        os.fsync(fd)
        self.fd = fd

    def _acquire_exclusive(self, fd: int) -> None:
        """Fallback without flock: the holder is whoever wrote a live pid into the file."""
        old = _read(fd)
        os.close(fd)
        if old and old.get("pid") != os.getpid():
            same_host = old.get("host") == socket.gethostname()
            age = time.time() - os.stat(self.path).st_mtime
            if (same_host and _alive(old.get("pid"))) or (not same_host and age < STALE_AFTER_S):
                raise SweepBusy(self.folder, old)
        tmp = self.path.with_name(f"{LOCK_NAME}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(_me(), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)
        if old:
            self.log(f"sweep: took over a stale lock on {self.folder} ({describe(old)}; that sweep is gone)")
        self.exclusive_file = True

    def release(self) -> None:
        """Remove the lock file, then let go of the lock (idempotent)."""
        if self.fd is None and not self.exclusive_file:
            return
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # before unlocking: a waiting opener then sees another file and retries
        if self.fd is not None:
            os.close(self.fd)  # closing drops the flock
        self.fd, self.exclusive_file = None, False
