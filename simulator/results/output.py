"""Writing results to disk, atomically.

Every file is written to a temporary name in the same folder and renamed into place
(``os.replace`` is atomic on POSIX), and ``summary.json`` is written last, so a folder with a
``summary.json`` is always complete and a crash never leaves a half-written table behind.
CSV files are UTF-8 with a byte-order mark so Excel opens Chinese account names intact.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pandas as pd

from simulator.results.collect import RunResult

FORMATS = ("csv", "json", "parquet")


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], None]) -> Path:
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


def write_table(path: str | os.PathLike, df: pd.DataFrame, fmt: str = "csv") -> Path:
    """Atomically write a table as CSV (UTF-8 with BOM), JSON records, or Parquet."""
    path = Path(path).with_suffix("." + fmt)
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
        raise RuntimeError("--format parquet needs pyarrow: install propsim with the 'parquet' extra "
                           "(uv sync --extra parquet, or pip install 'propsim[parquet]')") from None


def write_run(result: RunResult, outdir: str | os.PathLike, fmt: str = "csv") -> list[Path]:
    """Write ``timeseries``, ``accounts``, ``relays`` (the propagation path), ``frequency``,
    ``scenario.json`` (the resolved scenario) and, last, ``summary.json`` into ``outdir``."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {FORMATS}")
    if fmt == "parquet":
        require_parquet()
    out = Path(outdir)
    # a summary.json marks a complete folder: drop it first so a crash mid-way never leaves the
    # old summary beside new tables, and drop tables of another format left by an earlier run
    (out / "summary.json").unlink(missing_ok=True)
    for name in ("timeseries", "accounts", "relays", "frequency"):
        for other in FORMATS:
            if other != fmt:
                (out / f"{name}.{other}").unlink(missing_ok=True)
    written = [
        write_table(out / "timeseries", result.timeseries, fmt),
        write_table(out / "accounts", result.accounts, fmt),
        write_table(out / "relays", result.relays, fmt),
        write_table(out / "frequency", result.frequency, fmt),
        write_json(out / "scenario.json", result.meta.get("scenario", {})),
        write_json(out / "summary.json", result.summary),
    ]
    return written


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
