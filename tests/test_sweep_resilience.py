"""Sweep resilience (issue 15 item 5): one sweep per folder (lock, stale locks taken over), damaged
parts of every table discarded and rerun, no orphan processes after SIGKILL of the main process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from simulator.cli.entry import main
from simulator.sweeps.lock import LOCK_NAME, SweepBusy, SweepLock
from simulator.sweeps.runner import read_sweep, sweep

from .conftest import ROOT, write
from .test_sweep import TINY, same_tables

ENV = {**os.environ, "PYTHONPATH": str(ROOT), "NUMBA_NUM_THREADS": "1"}


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "simulator.cli", "sweep", *args]


def wait_for(cond, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


# --- the lock ----------------------------------------------------------------------------------------


def test_a_held_folder_is_refused_at_once_naming_the_holder(tmp_path):
    with SweepLock(tmp_path / "out"):
        info = json.loads((tmp_path / "out" / LOCK_NAME).read_text(encoding="utf-8"))
        assert info["pid"] == os.getpid() and info["host"] and info["started"]
        t0 = time.monotonic()
        with pytest.raises(SweepBusy) as e:
            SweepLock(tmp_path / "out").acquire()
        assert time.monotonic() - t0 < 1
        msg = str(e.value)
        assert f"is in use by another sweep (pid {os.getpid()} on host {info['host']}, started {info['started']}" in msg
    assert not (tmp_path / "out" / LOCK_NAME).exists()  # released and removed
    with SweepLock(tmp_path / "out"):  # free again
        pass


def test_a_stale_lock_of_a_killed_process_is_taken_over(tmp_path):
    folder = tmp_path / "out"
    code = (
        "import sys, time; from simulator.sweeps.lock import SweepLock; "
        f"SweepLock({str(folder)!r}).acquire(); print('locked', flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], env=ENV, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        with pytest.raises(SweepBusy, match=f"pid {proc.pid} on host"):
            SweepLock(folder).acquire()
    finally:
        proc.kill()
        proc.wait()
    said: list[str] = []
    with SweepLock(folder, said.append):
        pass
    assert len(said) == 1 and f"took over a stale lock on {folder} (pid {proc.pid} on host" in said[0]


GATED = """
import pathlib, sys, time
from simulator.sweeps.runner import sweep

def wait_for_gate(result):  # holds the sweep (and its lock) until the test opens the gate
    while not pathlib.Path(sys.argv[3]).exists():
        time.sleep(0.05)
    return {}

sweep(sys.argv[1], output=sys.argv[2], progress=False, batch_size=1, metrics=wait_for_gate)
"""


@pytest.mark.slow
def test_concurrent_sweeps_into_one_folder(tmp_path):
    """While one sweep runs, a different and an identical sweep into its folder are both refused at
    once; the first then completes with every run exactly once, as if alone."""
    f = write(tmp_path, TINY, "a.yaml")
    out, gate = tmp_path / "out", tmp_path / "gate"
    script = write(tmp_path, GATED, "gated.py")
    args = [sys.executable, str(script), str(f), str(out), str(gate)]
    first = subprocess.Popen(args, env=ENV, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: (out / "manifest.json").exists() and (out / LOCK_NAME).exists(), 240, "the first sweep")
        other = write(tmp_path, TINY.replace("seed: 11", "seed: 12"), "b.yaml")
        attempts = [
            cli(str(other), "-o", str(out), "-q"),  # a different sweep
            cli(str(other), "-o", str(out), "-q", "--no-resume"),  # ... that would clear the folder
            args,  # the identical sweep
        ]
        for cmd in attempts:
            again = subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=120)
            assert again.returncode != 0
            assert f"is in use by another sweep (pid {first.pid} on host" in again.stderr
            assert "Traceback" not in again.stderr or cmd is args  # the CLI prints one line
        assert not list((out / "parts").glob("task-*.json"))  # nothing of theirs ran
        gate.touch()
        _, err = first.communicate(timeout=600)
        assert first.returncode == 0, err
    finally:
        gate.touch()
        if first.poll() is None:
            first.kill()
    done = read_sweep(out)
    assert done.runs["run_id"].is_unique and len(done.runs) == 12 and (done.runs["status"] == "ok").all()
    assert done.manifest["progress"]["ok"] == 12
    same_tables(sweep(f, progress=False, batch_size=1), done)


# --- damaged parts -------------------------------------------------------------------------------------


def _truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def test_damaged_parts_of_every_table_are_rerun_on_resume(tmp_path):
    f = write(tmp_path, TINY, "tiny.yaml")
    out = tmp_path / "out"
    full = sweep(f, output=out, progress=False, batch_size=2)  # 6 tasks of 2 runs
    parts = out / "parts"
    _truncate(parts / "runs-000001.parquet")
    _truncate(parts / "timeseries-000002.parquet")
    _truncate(parts / "frequency-000003.parquet")
    _truncate(parts / "task-000004.json")
    (parts / "timeseries-000005.parquet").unlink()
    _truncate(out / "runs.parquet")  # a damaged consolidated table is rebuilt as well
    ran: list[int] = []
    resumed = sweep(f, output=out, progress=False, batch_size=2, callback=lambda p: ran.append(p.task))
    assert sorted(ran) == [1, 2, 3, 4, 5]
    same_tables(full, resumed)
    same_tables(full, read_sweep(out))


def test_a_csv_part_cut_at_a_line_end_is_detected(tmp_path):
    f = write(tmp_path, TINY, "tiny.yaml")
    out = tmp_path / "out"
    full = sweep(f, output=out, progress=False, batch_size=4, format="csv")
    ts = out / "parts" / "timeseries-000001.csv"
    lines = ts.read_bytes().splitlines(keepends=True)
    ts.write_bytes(b"".join(lines[: len(lines) // 2]))  # still a valid CSV, with rows missing
    assert len(pd.read_csv(ts)) > 0
    ran: list[int] = []
    resumed = sweep(f, output=out, progress=False, batch_size=4, callback=lambda p: ran.append(p.task))
    assert ran == [1]
    pd.testing.assert_frame_equal(full.timeseries, resumed.timeseries)


def test_parts_written_by_an_older_version_are_checked_by_reading(tmp_path):
    """Format-1 folders have no task records: their parts count when they read back whole."""
    f = write(tmp_path, TINY, "tiny.yaml")
    out = tmp_path / "out"
    full = sweep(f, output=out, progress=False, batch_size=4)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = 1
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    for record in (out / "parts").glob("task-*.json"):
        record.unlink()
    _truncate(out / "parts" / "frequency-000002.parquet")
    ran: list[int] = []
    resumed = sweep(f, output=out, progress=False, batch_size=4, callback=lambda p: ran.append(p.task))
    assert ran == [2]
    same_tables(full, resumed)


# --- no orphans ------------------------------------------------------------------------------------------


def _descendants(pid: int) -> dict[int, str]:
    """pid -> start time (field 22 of /proc/PID/stat) of every descendant of ``pid``."""
    out: dict[int, str] = {}
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for t in tasks:
            try:
                children = Path(f"/proc/{p}/task/{t}/children").read_text().split()
            except OSError:
                continue
            for c in map(int, children):
                if c not in out:
                    out[c] = _start_time(c)
                    todo.append(c)
    return out


def _start_time(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(pid: int, start: str) -> bool:
    """Still running (the same process: same start time; a zombie waiting to be reaped is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = stat.rsplit(")", 1)[1].split()
    return fields[19] == start and fields[0] != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_sigkill_of_the_main_process_leaves_no_orphans_and_resumes(tmp_path):
    f = write(tmp_path, TINY.replace("replicates: 3", "replicates: 8").replace("size: 8000", "size: 20000"), "k.yaml")
    out = tmp_path / "out"
    proc = subprocess.Popen(
        cli(str(f), "-o", str(out), "--workers", "2", "--batch-size", "1", "-q"),
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: len(list((out / "parts").glob("task-*.json"))) >= 3, 300, "three finished tasks")
        family = _descendants(proc.pid)
        assert len(family) >= 3  # the fork server, two workers (and the resource tracker)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(p, s) for p, s in family.items()):
        time.sleep(0.1)
    survivors = {p: Path(f"/proc/{p}/cmdline").read_bytes() for p, s in family.items() if _alive(p, s)}
    assert not survivors, f"still alive 5 s after SIGKILL of the sweep: {survivors}"
    # the lock the killed sweep left is stale: the same command takes it over and completes the sweep
    assert (out / LOCK_NAME).exists()
    assert main(["sweep", str(f), "-o", str(out), "--workers", "2", "--batch-size", "1", "-q"]) == 0
    assert not (out / LOCK_NAME).exists()
    same_tables(sweep(f, progress=False, batch_size=1), read_sweep(out))
