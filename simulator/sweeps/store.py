"""The sweep folder: manifest, part files, resume bookkeeping, consolidation and the points table.

Layout (``FMT`` is ``parquet`` when pyarrow is installed, ``csv`` otherwise)::

    manifest.json                 scenario text + hash, sweep definition, plan, versions, status
    parts/timeseries-000012.FMT   per task: the per-tick series of its runs (written first)
    parts/frequency-000012.FMT    per task: exposures -> followers histogram of its runs
    parts/runs-000012.FMT         per task: one row per run
    parts/task-000012.json        per task, written last: its run ids and statuses, and the size
                                  and SHA-256 of each of its three parts
    runs.FMT, timeseries.FMT, frequency.FMT, points.FMT, differences.FMT   consolidated at the end
    .propsim-sweep.lock           while a sweep runs (:mod:`simulator.sweeps.lock`)

Every file is written atomically (temporary name + rename). A task's parts count only when its
record exists and every part still has the recorded size and checksum: a part truncated or
damaged later (a full disk, a copy cut short) is discarded with its task, which runs again on
resume. A task is done when its valid record lists exactly the task's runs, all ``ok`` (tasks with
failed runs run again on resume). Consolidation streams the valid parts in task order (memory
stays flat however long the sweep); tasks are contiguous slices of one fixed run order, so the
tables come out the same whatever the number of workers. Folders of format version 1 (no
records) are checked by reading every part in full.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from simulator.results.output import atomic_write, write_json, write_table

MANIFEST = "manifest.json"
PARTS = "parts"
TABLES = ("runs", "timeseries", "frequency", "points", "differences")
PART_TABLES = ("timeseries", "frequency", "runs")  # write order: runs last
_PART = re.compile(r"^(runs|timeseries|frequency)-(\d{6})\.(csv|parquet)$|^task-(\d{6})\.json$")
HEAD = ("run_id",)
BOOKKEEPING = ("replicate", "seed", "status", "error", "duration_s")


class SweepError(RuntimeError):
    """A sweep cannot start or go on (e.g. a resume with a changed scenario)."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def default_format() -> str:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return "csv"
    return "parquet"


def fingerprint(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class SweepStore:
    """Reads and writes one sweep folder."""

    def __init__(self, folder: str | Path, fmt: str):
        if fmt not in ("csv", "parquet"):
            raise ValueError(f"unknown sweep table format {fmt!r}; use csv or parquet")
        self.folder = Path(folder)
        self.fmt = fmt

    # --- paths ---------------------------------------------------------------------------------
    def part(self, table: str, index: int) -> Path:
        return self.folder / PARTS / f"{table}-{index:06d}.{self.fmt}"

    def record(self, index: int) -> Path:
        return self.folder / PARTS / f"task-{index:06d}.json"

    def table(self, name: str) -> Path:
        return self.folder / f"{name}.{self.fmt}"

    # --- manifest and resume ---------------------------------------------------------------------
    def read_manifest(self) -> dict | None:
        p = self.folder / MANIFEST
        if not p.is_file():
            return None
        try:
            return json.loads(p.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise SweepError(f"{p}: unreadable manifest ({e}); use --no-resume to start over") from None

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        write_json(self.folder / MANIFEST, dict(manifest))

    def clear(self, parts_only: bool = False) -> int:
        """Delete this store's own files (manifest, parts, tables; never anything else)."""
        removed = 0
        parts = self.folder / PARTS
        if parts.is_dir():
            for p in parts.iterdir():
                if _PART.match(p.name) or (p.name.startswith(".") and p.name.endswith(".tmp")):
                    p.unlink()
                    removed += 1
            with contextlib.suppress(OSError):  # something else lives there: leave it
                parts.rmdir()
        if parts_only:
            return removed
        for name in TABLES:
            for ext in ("csv", "parquet"):
                p = self.folder / f"{name}.{ext}"
                if p.is_file():
                    p.unlink()
                    removed += 1
        m = self.folder / MANIFEST
        if m.is_file():
            m.unlink()
            removed += 1
        return removed

    def task_states(self, tasks: Sequence[Any], legacy: bool = False) -> dict[int, str]:
        """``{task index: "ok" | "failed"}`` for the tasks whose parts are intact and list exactly
        the task's runs; the parts of every other task are deleted (their runs count as not run).
        ``legacy``: a format-1 folder without records, checked by reading each part in full."""
        states: dict[int, str] = {}
        for t in tasks:
            ids = [r.run_id for r in t.runs]
            state = self._recorded_state(t.index, ids)
            if state is None and legacy and not self.record(t.index).exists():
                state = self._legacy_state(t.index, ids)
            if state is None:
                self.discard(t.index)
            else:
                states[t.index] = state
        return states

    def done_tasks(self, tasks: Sequence[Any], legacy: bool = False) -> set[int]:
        """Tasks with intact parts whose runs all succeeded (see :meth:`task_states`)."""
        return {i for i, s in self.task_states(tasks, legacy).items() if s == "ok"}

    def _recorded_state(self, index: int, run_ids: list[str]) -> str | None:
        try:
            rec = json.loads(self.record(index).read_text(encoding="utf-8"))
            files = rec["files"]
            if rec["runs"] != run_ids or set(files) != set(PART_TABLES):
                return None
            for name in PART_TABLES:
                p = self.part(name, index)
                if p.stat().st_size != files[name]["bytes"] or _sha256(p) != files[name]["sha256"]:
                    return None
        except (OSError, ValueError, KeyError, TypeError):  # missing, unreadable or damaged
            return None
        return "ok" if rec.get("status") == "ok" else "failed"

    def _legacy_state(self, index: int, run_ids: list[str]) -> str | None:
        try:
            df = self.read(self.part("runs", index), columns=["run_id", "status"])
            for name in ("timeseries", "frequency"):
                self.read(self.part(name, index))
        except Exception:  # missing or unreadable (e.g. truncated by a full disk): run it again
            return None
        if list(df["run_id"]) != run_ids:
            return None
        return "ok" if (df["status"] == "ok").all() else "failed"

    def discard(self, index: int) -> None:
        """Delete a task's record and parts (the record first: parts without one never count)."""
        for p in (self.record(index), *(self.part(name, index) for name in PART_TABLES)):
            p.unlink(missing_ok=True)

    # --- parts -----------------------------------------------------------------------------------
    def write_part(self, result: Any) -> None:
        """Write one task's tables, then its record (sizes and checksums) that makes them count."""
        self.record(result.index).unlink(missing_ok=True)
        files = {}
        for name in PART_TABLES:
            path = write_table(self.part(name, result.index).with_suffix(""), getattr(result, name), self.fmt)
            files[name] = {"bytes": path.stat().st_size, "sha256": _sha256(path)}
        status = result.runs["status"] if len(result.runs) else pd.Series([], dtype=object)
        record = {
            "task": result.index,
            "runs": [str(r) for r in result.runs["run_id"]] if len(result.runs) else [],
            "status": "ok" if (status == "ok").all() else "failed",
            "files": files,
        }
        write_json(self.record(result.index), record)

    def read(self, path: Path, columns: list[str] | None = None, str_columns: Iterable[str] = ()) -> pd.DataFrame:
        if path.suffix == ".parquet":
            return pd.read_parquet(path, columns=columns)
        dtype = {c: str for c in ("run_id", "status", "error", "traceback", *str_columns)}
        return pd.read_csv(path, encoding="utf-8-sig", usecols=columns, dtype=dtype, keep_default_na=True)

    # --- consolidation -----------------------------------------------------------------------------
    def consolidate(
        self,
        task_indices: Sequence[int],
        order: Mapping[str, int],
        params: Sequence[str],
        str_params: Iterable[str] = (),
    ) -> pd.DataFrame:
        """Write runs / timeseries / frequency from the parts of ``task_indices`` (tasks whose
        parts are intact, see :meth:`task_states`); return runs."""
        present = list(task_indices)
        frames, seen_int, not_int = [], set(), set()
        for i in present:
            df = self.read(self.part("runs", i), str_columns=str_params)
            for c in df.columns:  # integer metrics of parts with failed rows come back as floats
                kind = df[c].dtype
                if pd.api.types.is_integer_dtype(kind) and not pd.api.types.is_bool_dtype(kind):
                    seen_int.add(c)
                elif pd.api.types.is_float_dtype(kind):
                    v = df[c].dropna().to_numpy()
                    if not np.all(np.isfinite(v) & (v == np.round(v))):
                        not_int.add(c)
                elif df[c].notna().any():
                    not_int.add(c)
            frames.append(df)
        runs = (
            pd.concat(frames, ignore_index=True)
            if frames
            else pd.DataFrame(columns=[*HEAD, *params, *BOOKKEEPING, "traceback"])
        )
        runs = normalise_runs(runs, params, seen_int - not_int)
        runs = runs.iloc[np.argsort(runs["run_id"].map(order).to_numpy(), kind="stable")].reset_index(drop=True)
        write_table(self.table("runs").with_suffix(""), runs, self.fmt)
        for name in ("timeseries", "frequency"):
            self._concat_parts(name, [self.part(name, i) for i in present if self.part(name, i).is_file()])
        return runs

    def _concat_parts(self, name: str, paths: list[Path]) -> None:
        """Stream part files into one table (parquet row groups / CSV rows), bounded memory."""
        target = self.table(name)
        if self.fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            def write(f: IO[bytes]) -> None:
                writer: Any = None
                schema: Any = None
                for p in paths:
                    t = pq.read_table(p)
                    if t.num_rows == 0:
                        continue
                    if writer is None:
                        schema = t.schema.remove_metadata()
                        writer = pq.ParquetWriter(f, schema)
                    writer.write_table(t.select(schema.names).cast(schema))
                if writer is None:
                    pq.write_table(pa.table({"run_id": pa.array([], pa.string())}), f)
                else:
                    writer.close()

            atomic_write(target, write)
        else:

            def write_csv(f: IO[bytes]) -> None:
                header = None
                for p in paths:
                    data = p.read_bytes().removeprefix(b"\xef\xbb\xbf")
                    first, _, body = data.partition(b"\n")
                    if not body.strip():
                        continue
                    if header is None:
                        header = first
                        f.write(b"\xef\xbb\xbf" + first + b"\n")
                    if first != header:  # columns differ (should not happen): align through pandas
                        df = pd.read_csv(p, encoding="utf-8-sig", dtype={"run_id": str})
                        cols = header.decode("utf-8").strip().split(",")
                        body = df.reindex(columns=cols).to_csv(index=False, header=False).encode("utf-8")
                    f.write(body if body.endswith(b"\n") else body + b"\n")
                if header is None:
                    f.write(b"\xef\xbb\xbfrun_id\n")

            atomic_write(target, write_csv)

    def write_table(self, name: str, df: pd.DataFrame) -> None:
        """Write a consolidated table (``points``, ``differences``) atomically."""
        write_table(self.table(name).with_suffix(""), df, self.fmt)


def normalise_runs(runs: pd.DataFrame, params: Sequence[str], int_columns: Iterable[str] = ()) -> pd.DataFrame:
    """Contract column order (run_id, parameters, replicate, seed, status, error, duration_s,
    metrics..., traceback) and stable dtypes (integer metrics stay integers despite failed rows)."""
    head = [*HEAD, *params, *BOOKKEEPING]
    for c in [*head, "traceback"]:
        if c not in runs.columns:
            runs[c] = None
    metrics = [c for c in runs.columns if c not in head and c != "traceback"]
    runs = runs[[*head, *metrics, "traceback"]].copy()
    for c in ("error", "traceback"):
        runs[c] = runs[c].astype(object).where(runs[c].notna(), None)
    runs["run_id"] = runs["run_id"].astype(str)
    runs["status"] = runs["status"].astype(str)
    for c in ("replicate", "seed"):
        runs[c] = runs[c].astype("int64")
    runs["duration_s"] = runs["duration_s"].astype("float64")
    ints = set(int_columns)
    for c in metrics:
        if c in ints:
            runs[c] = runs[c].astype("Int64")
        elif pd.api.types.is_numeric_dtype(runs[c]) or runs[c].isna().all():
            runs[c] = pd.to_numeric(runs[c], errors="coerce").astype("float64")
    return runs


# --- statistics ------------------------------------------------------------------------------------


def t_quantile(df: np.ndarray | float, level: float = 0.95) -> np.ndarray:
    """Two-sided Student-t quantile ``t_{(1+level)/2, df}`` (NaN where df < 1)."""
    from scipy.special import stdtrit  # scipy comes with mesa; .special imports faster than .stats

    df = np.asarray(df, dtype=float)
    out = np.full(df.shape, np.nan)
    ok = df >= 1
    out[ok] = stdtrit(df[ok], 0.5 + level / 2)
    return out


def metric_columns(runs: pd.DataFrame, params: Sequence[str]) -> list[str]:
    """Numeric metric columns of a runs table (everything after the bookkeeping columns)."""
    skip = {*HEAD, *params, *BOOKKEEPING, "traceback"}
    return [
        c
        for c in runs.columns
        if c not in skip and pd.api.types.is_numeric_dtype(runs[c]) and not pd.api.types.is_bool_dtype(runs[c])
    ]


def points_table(
    runs: pd.DataFrame,
    params: Sequence[str],
    point_values: Sequence[Sequence[Any]],
    point_of_run: Mapping[str, int],
    level: float = 0.95,
) -> pd.DataFrame:
    """One row per parameter point: the parameter columns, ``n`` (successful runs) and, for every
    metric M, ``M_mean``, ``M_sd`` (n-1 denominator), ``M_ci_low``, ``M_ci_high``: the 95%
    Student-t interval of the mean, ``mean -/+ t_{0.975, k-1} sd / sqrt(k)`` over the k runs where
    M is defined (NaN when k < 2), clipped to the metric's feasible range
    (:mod:`simulator.results.metrics`; ``upper="population"`` is the point's mean population), so
    a band never leaves 0..population or 0..1. Failed runs are left out."""
    n_points = len(point_values)
    cols: dict[str, Any] = {p: [pv[i] for pv in point_values] for i, p in enumerate(params)}
    ok = runs[runs["status"] == "ok"]
    pt = ok["run_id"].map(point_of_run).to_numpy()
    metrics = metric_columns(runs, params)
    cols["n"] = (
        np.bincount(pt.astype(np.int64), minlength=n_points).astype(np.int64)
        if len(pt)
        else np.zeros(n_points, np.int64)
    )
    if metrics and len(ok):
        values = ok[metrics].astype("float64")
        g = values.groupby(pt)
        mean = g.mean().reindex(range(n_points))
        sd = g.std(ddof=1).reindex(range(n_points))
        k = g.count().reindex(range(n_points)).fillna(0)
    else:
        empty = pd.DataFrame(np.nan, index=range(n_points), columns=metrics)
        mean, sd, k = empty, empty, empty.fillna(0)
    population = mean["population"].to_numpy() if "population" in metrics else None
    for m in metrics:
        kk = k[m].to_numpy()
        half = t_quantile(kk - 1, level) * sd[m].to_numpy() / np.sqrt(np.where(kk > 0, kk, np.nan))
        mu = mean[m].to_numpy()
        cols[f"{m}_mean"] = mu
        cols[f"{m}_sd"] = np.where(kk >= 2, sd[m].to_numpy(), np.nan)
        cols[f"{m}_ci_low"], cols[f"{m}_ci_high"] = clip_interval(m, mu - half, mu + half, population)
    return pd.DataFrame(cols)


def clip_interval(
    metric: str, low: np.ndarray, high: np.ndarray, population: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """An interval of ``metric`` clipped to its feasible range (NaN stays NaN); unknown metrics as is."""
    from simulator.results.metrics import metric as metric_info

    info = metric_info(metric)
    if info is None:
        return low, high
    lower = info.lower
    if info.upper == "population":
        upper = population if population is not None else np.full(len(high), np.nan)
    else:
        upper = np.full(len(high), np.nan if info.upper is None else float(info.upper))
    lo_bound = np.full(len(low), np.nan if lower is None else float(lower))

    def clip(x: np.ndarray) -> np.ndarray:  # fmax / fmin: a NaN bound does not clip; NaN values stay NaN
        return np.where(np.isnan(x), np.nan, np.fmin(np.fmax(x, lo_bound), upper))

    return clip(np.asarray(low, dtype=float)), clip(np.asarray(high, dtype=float))


def describe_change(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """What differs between an existing manifest and this sweep, in words."""
    changes = []
    if old.get("scenario", {}).get("sha256") != new["scenario"]["sha256"]:
        changes.append("the scenario changed")
    o, n = old.get("sweep", {}), new["sweep"]
    for key in ("mode", "replicates", "seed", "engine"):
        if o.get(key) != n.get(key):
            changes.append(f"sweep {key} {o.get(key)!r} -> {n.get(key)!r}")
    op = {p["path"]: p["values"] for p in o.get("parameters", [])}
    np_ = {p["path"]: p["values"] for p in n.get("parameters", [])}
    for k in op.keys() - np_.keys():
        changes.append(f"parameter {k} removed")
    for k in np_.keys() - op.keys():
        changes.append(f"parameter {k} added")
    for k in op.keys() & np_.keys():
        if op[k] != np_[k]:
            changes.append(f"values of {k} changed")
    if not changes:
        changes.append("the sweep definition changed")
    return "; ".join(changes)
