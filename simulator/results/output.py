"""Writing results to disk, atomically.

Every file is written to a temporary name in the same folder and renamed into place
(``os.replace`` is atomic on POSIX). A run folder is written whole: every table goes into a
hidden temporary folder beside the target, which is renamed into place last (swapped with the
previous run folder in one step where Linux allows, else in two renames), so a failure at any
point (a full disk, a crash, Ctrl-C) leaves either the previous complete folder or none, never a
partial one. :func:`check_output_dir` finds an unusable target before a run starts.
CSV files are UTF-8 with a byte-order mark so Excel opens Chinese account names intact; text
cells never carry control or bidirectional-format characters (they are escaped as ``\\u202e``).
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pandas as pd

from simulator.results.collect import RunResult
from simulator.scenario.errors import UNSAFE_CHARS, Problem, ScenarioError, escape_unsafe, shown

FORMATS = ("csv", "json", "parquet")
TABLES = ("timeseries", "accounts", "relays", "frequency")
RUN_FILES = frozenset({"summary.json", "scenario.json"} | {f"{t}.{f}" for t in TABLES for f in FORMATS})
RUN_EXTRAS = frozenset({"plots"})  # made from a run by `propsim plot`; replaced together with the run
_TMP_MARK = ".propsim-"  # hidden sibling folders: .NAME.propsim-PID-XXXX
MIN_FREE_BYTES = 16 << 20  # refuse a target with less free space than this (plus the estimate)


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], object]) -> Path:
    """Write a file through ``write(fileobj)`` to a temporary sibling, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; results are meant to be shared
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)  # the only way to read it; set back at once (at import, single-threaded)
    os.umask(mask)
    return mask


_UMASK = _umask()


def write_json(path: str | os.PathLike, data: Any) -> Path:
    """Atomically write JSON (UTF-8, Chinese kept readable)."""
    text = json.dumps(data, ensure_ascii=False, indent=2, default=_json_default) + "\n"
    return atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def safe_text_columns(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with control and bidirectional-format characters in text cells escaped (a copy
    only when there is one): they would reach spreadsheets and terminals as they are."""
    out = df
    for col in df.columns:
        if not (pd.api.types.is_object_dtype(df[col]) or pd.api.types.is_string_dtype(df[col])):
            continue
        texts = df[col].map(lambda v: isinstance(v, str) and UNSAFE_CHARS.search(v) is not None)
        if texts.any():
            out = out.copy() if out is df else out
            out[col] = df[col].map(lambda v: escape_unsafe(v) if isinstance(v, str) else v)
    return out


def write_table(path: str | os.PathLike, df: pd.DataFrame, fmt: str = "csv") -> Path:
    """Atomically write a table as CSV (UTF-8 with BOM), JSON records, or Parquet."""
    path = Path(path).with_suffix("." + fmt)
    df = safe_text_columns(df)
    if fmt == "csv":
        data = df.to_csv(index=False).encode("utf-8-sig")
        return atomic_write(path, lambda f: f.write(data))
    if fmt == "json":
        data = df.to_json(orient="records", force_ascii=False, indent=1).encode("utf-8")
        return atomic_write(path, lambda f: f.write(data))
    if fmt == "parquet":
        require_parquet()
        return atomic_write(path, lambda f: df.to_parquet(f, index=False))
    raise ValueError(f"unknown format {fmt!r}; use one of {FORMATS}")


def require_parquet() -> None:
    """Raise a clear error when pyarrow (the ``parquet`` extra) is missing."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise RuntimeError(
            "--format parquet needs pyarrow: install propsim with the 'parquet' extra "
            "(uv sync --extra parquet, or pip install 'propsim[parquet]')"
        ) from None


def _refuse(out: Path, message: str) -> ScenarioError:
    return ScenarioError([Problem("--output", None, None, "", f"{shown(str(out), 200)[1:-1]}: {message}")])


def _foreign_entries(out: Path) -> list[str]:
    """Entries of an existing folder that a run folder does not hold (never deleted by us)."""
    return sorted(e for e in os.listdir(out) if e not in RUN_FILES and e not in RUN_EXTRAS)


def _check_existing(out: Path) -> None:
    if not out.is_dir() or out.is_symlink():
        raise _refuse(out, "exists and is not a folder; choose another --output")
    try:
        foreign = _foreign_entries(out)
    except OSError as e:
        raise _refuse(out, f"cannot list it: {e.strerror or e}") from None
    if foreign:
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        raise _refuse(
            out,
            f"is not empty and not a propsim run folder (it holds {shown(foreign[0])}{more}); "
            "choose a new or empty folder",
        )
    if not os.access(out, os.W_OK | os.X_OK):
        raise _refuse(out, "is not writable")


def check_output_dir(outdir: str | os.PathLike, need_bytes: int = 0) -> Path:
    """Check, before a run, that ``outdir`` can receive a run folder; raise ScenarioError.

    ``outdir`` must be new, empty or an earlier run folder (which is replaced whole), its parent
    must be writable (the folder is written beside it and renamed into place), and the device
    needs ``need_bytes`` + 16 MB free. Missing parent folders are created."""
    out = Path(outdir)
    absolute = Path(os.path.abspath(out))
    if absolute == Path(os.path.abspath(os.curdir)) or absolute.parent == absolute:
        raise _refuse(out, "is the current or the root folder; name a new subfolder for the results")
    if out.exists() or out.is_symlink():
        _check_existing(out)
    parent = absolute.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        probe = Path(tempfile.mkdtemp(prefix=f".{out.name}{_TMP_MARK}{os.getpid()}-", dir=parent))
        try:
            with open(probe / "probe", "wb") as f:
                f.write(b"\0" * 65536)
                f.flush()
                os.fsync(f.fileno())
        finally:
            shutil.rmtree(probe, ignore_errors=True)
        st = os.statvfs(parent)
    except OSError as e:
        raise _refuse(out, f"cannot write a folder in {parent}: {e.strerror or e}") from None
    free = st.f_bavail * st.f_frsize
    if free < need_bytes + MIN_FREE_BYTES:
        raise _refuse(
            out,
            f"only {free / 1e6:.0f} MB free on its device; the results need about "
            f"{(need_bytes + MIN_FREE_BYTES) / 1e6:.0f} MB",
        )
    return out


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EPERM, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _clean_stale(parent: Path, name: str) -> None:
    """Remove temporary folders of this target left by processes that no longer exist."""
    prefix = f".{name}{_TMP_MARK}"
    for entry in parent.glob(prefix + "*"):
        pid = entry.name[len(prefix) :].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _place(tmp: Path, out: Path) -> None:
    """Put the finished folder ``tmp`` at ``out``, replacing an earlier run folder there."""
    if not out.exists():
        os.rename(tmp, out)
        return
    if not out.is_dir() or _foreign_entries(out):
        raise _refuse(out, "is no longer an empty or run folder; the results are not written")
    if _exchange(tmp, out):
        shutil.rmtree(tmp)  # now holds the previous run
        return
    old = tmp.with_name(tmp.name + "-old")
    os.rename(out, old)
    os.rename(tmp, out)
    shutil.rmtree(old)


def write_run(result: RunResult, outdir: str | os.PathLike, fmt: str = "csv") -> list[Path]:
    """Write ``timeseries``, ``accounts``, ``relays`` (the propagation path), ``frequency``,
    ``scenario.json`` (the resolved scenario) and ``summary.json`` as the folder ``outdir``.

    The folder is written beside ``outdir`` and renamed into place when complete (replacing an
    earlier run folder there), so ``outdir`` is always either the previous complete run or the
    new one. Raises ScenarioError if ``outdir`` holds anything but a run folder."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {FORMATS}")
    if fmt == "parquet":
        require_parquet()
    out = Path(outdir)
    parent = Path(os.path.abspath(out)).parent
    parent.mkdir(parents=True, exist_ok=True)
    _clean_stale(parent, out.name)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}{_TMP_MARK}{os.getpid()}-", dir=parent))
    try:
        os.chmod(tmp, 0o777 & ~_UMASK)  # mkdtemp makes 0700; results are meant to be shared
        names = [write_table(tmp / name, getattr(result, name), fmt).name for name in TABLES]
        names.append(write_json(tmp / "scenario.json", result.meta.get("scenario", {})).name)
        names.append(write_json(tmp / "summary.json", result.summary).name)
        _fsync_dir(tmp)
        _place(tmp, out)
        _fsync_dir(parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [out / n for n in names]


def read_run(outdir: str | os.PathLike) -> RunResult:
    """Read a run folder written by :func:`write_run` (any format) back into a RunResult."""
    out = Path(outdir)
    summary_path = out / "summary.json"
    if not summary_path.exists():
        raise FileNotFoundError(f"{out}: no summary.json here (not a propsim run folder, or unfinished)")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    tables = {}
    for name in ("timeseries", "accounts", "relays", "frequency"):
        for fmt in FORMATS:
            p = out / f"{name}.{fmt}"
            if p.exists():
                if fmt == "csv":
                    tables[name] = pd.read_csv(p, encoding="utf-8-sig")
                elif fmt == "json":
                    tables[name] = pd.read_json(p, orient="records")
                else:
                    tables[name] = pd.read_parquet(p)
                break
        else:
            raise FileNotFoundError(f"{out}: {name} table missing")
    scenario = out / "scenario.json"
    meta = {"scenario": json.loads(scenario.read_text(encoding="utf-8"))} if scenario.exists() else {}
    return RunResult(summary, tables["timeseries"], tables["accounts"], tables["relays"], tables["frequency"], meta)


def _json_default(o: Any) -> Any:
    import numpy as np

    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
