"""Hostile and absurd input (issue 15): every class of failure is refused with FILE:LINE:COL, fast
and small, or given a meaning the kernel computes without NaN; output is never partial."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest

import simulator
from simulator.cli.entry import main
from simulator.scenario.errors import ScenarioError
from simulator.scenario.yaml_io import MAX_DEPTH, MAX_NODES, parse_yaml

MINI = """\
name: mini
population: {size: 2000}
time: {horizon: 24}
accounts:
  - {id: core, followers: 500}
  - {id: city, count: 3, followers: 100, handle: "@city_{i}"}
relays:
  - {source: core, target: city, probability: 0.5}
campaign:
  - {account: core, at: 0}
"""


def refused(text: str, **kw) -> list:
    with pytest.raises(ScenarioError) as e:
        simulator.load_text(text, "f.yaml", **kw)
    return e.value.problems


def alias_bomb(levels: int = 7) -> str:
    """Nested anchors: each level repeats the previous one 10 times (10**levels nodes)."""
    lines = ["name: bomb", "x0: &x0 [a, a, a, a, a, a, a, a, a, a]"]
    lines += [f"x{i}: &x{i} [{', '.join([f'*x{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


BOMBS = {
    "alias": alias_bomb(),
    "deep_flow_list": "name: x\na: " + "[" * 20_000 + "]" * 20_000 + "\n",
    "deep_flow_items": "name: x\na: " + "[a, " * 20_000 + "\n",
    "deep_block_list": "name: x\na:\n" + "- " * 20_000 + "x\n",
    "deep_flow_map": "name: x\na: " + "{a: " * 5_000 + "1" + "}" * 5_000 + "\n",
    "deep_block_map": "name: x\n" + "".join(" " * i + f"k{i}:\n" for i in range(0, 5_000, 1)),
    "relay_fan_out": MINI.replace("count: 3", "count: 100000").replace(
        "  - {source: core, target: city, probability: 0.5}", "  - {source: city, target: city, probability: 0.5}"
    ),
    "tiny_tick": MINI.replace("time: {horizon: 24}", "time: {horizon: 8760, tick: 0.0001}"),
}


# --- bounded parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(BOMBS))
def test_bombs_are_refused_at_once_with_a_position(kind):
    t0 = time.perf_counter()
    problems = refused(BOMBS[kind])
    assert time.perf_counter() - t0 < 2.0
    p = problems[0]
    assert p.source == "f.yaml" and (p.line is not None or "too large" in p.message), str(p)


@pytest.mark.slow
def test_bombs_stay_under_2_s_and_300_mb_in_a_fresh_process(tmp_path):
    """Each bomb loaded in its own process: wall time of the load, and the process's peak
    memory (VmHWM of its own address space: rusage of a child would include the RSS of the
    forking test process), imports included."""
    script = textwrap.dedent("""
        import sys, time
        from simulator.scenario.errors import ScenarioError
        from simulator.scenario.loading import load
        t0 = time.perf_counter()
        try:
            load(sys.argv[1])
            print("accepted")
        except ScenarioError as e:
            seconds = time.perf_counter() - t0
            hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:")).split()[1]
            print(f"{seconds:.3f} {hwm}", e.problems[0])
    """)
    for kind, text in BOMBS.items():
        path = tmp_path / f"{kind}.yaml"
        path.write_text(text, encoding="utf-8")
        out = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True)
        seconds, peak_kb, problem = out.stdout.split(" ", 2)
        assert float(seconds) < 2.0, (kind, out.stdout)
        assert int(peak_kb) < 300 * 1024, (kind, out.stdout)
        assert str(path) in problem, problem


def test_validate_never_builds_relay_edges_over_the_estimate(monkeypatch, scenario_file, capsys):
    import simulator.scenario.loading as L

    def boom(sc):
        raise AssertionError("build_matrix called")

    monkeypatch.setattr(L, "build_matrix", boom)
    path = scenario_file(BOMBS["relay_fan_out"])
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:8:5: relays.0: 9,999,900,000 relay edges" in err


def test_the_estimate_counts_relay_edges_items_and_ticks():
    from simulator.scenario.loading import estimate_cost
    from simulator.scenario.matrix import count_matrix

    small = simulator.load_text(MINI, "f.yaml")
    ring = simulator.load_text(
        MINI.replace("count: 3", "count: 50").replace(
            "probability: 0.5}", "probability: 0.5}\n  - {source: city, target: city, probability: 0.1, pattern: ring}"
        ),
        "f.yaml",
    )
    # counts agree with what build_matrix builds (no repeated pairs here)
    for loaded in (small, ring):
        counts = count_matrix(loaded.scenario)
        assert counts.relay_edges == len(loaded.matrix.relays)
        assert counts.accounts == len(loaded.matrix.accounts) and counts.items == len(loaded.matrix.items)
    cost_small, cost_ring = estimate_cost(small.scenario), estimate_cost(ring.scenario)
    assert cost_ring.parts["relays"] > cost_small.parts["relays"] > 0
    longer = simulator.load_text(MINI.replace("{horizon: 24}", "{horizon: 24, tick: 0.01}"), "f.yaml")
    assert estimate_cost(longer.scenario).ticks == 2400 and estimate_cost(small.scenario).ticks == 24
    assert estimate_cost(longer.scenario).seconds > cost_small.seconds


def test_the_estimate_follows_the_world_mode():
    from simulator.scenario.loading import EXPLICIT_MAX_EDGES, estimate_cost
    from simulator.world.build import EXPLICIT_MAX_EDGES as WORLD_LIMIT

    assert EXPLICIT_MAX_EDGES == WORLD_LIMIT  # the estimate decides "auto" as the world does
    sc = simulator.load_text(MINI, "f.yaml").scenario
    explicit = estimate_cost(sc.model_copy(update={"graph": sc.graph.model_copy(update={"world": "explicit"})}))
    implicit = estimate_cost(sc.model_copy(update={"graph": sc.graph.model_copy(update={"world": "implicit"})}))
    assert implicit.parts["graph"] == 0 < explicit.parts["graph"] and implicit.bytes < explicit.bytes


def test_tiny_tick_is_refused_at_the_tick():
    (p,) = refused(BOMBS["tiny_tick"])
    assert (p.line, p.path) == (3, "time.tick") and "87,600,000 ticks" in p.message


def test_memory_refusal_names_the_relay_entry(scenario_file, monkeypatch):
    import simulator.scenario.loading as L

    monkeypatch.setattr(L, "available_memory", lambda: 4_000_000_000)
    text = MINI.replace("count: 3", "count: 3000").replace(
        "probability: 0.5}", "probability: 0.5}\n  - {source: city, target: city, probability: 0.1}"
    )
    (p,) = refused(text)
    assert (p.path, p.line, p.col) == ("relays.1", 9, 5), str(p)
    assert "GB of memory" in p.message and "9,000,000 relay edges" in p.message


# --- merge keys and tags -----------------------------------------------------------------------------


def test_merge_keys_merge_like_yaml_merge():
    doc, locs = parse_yaml(
        "base: &b {probability: 0.2, latency: 2}\nother: &o {probability: 0.9, variation: cosmetic}\n"
        "r:\n  <<: [*b, *o]\n  probability: 0.5\n",
        "f.yaml",
    )
    # keys written win, then earlier merged mappings win over later ones
    assert doc["r"] == {"probability": 0.5, "latency": 2, "variation": "cosmetic"}
    assert locs[("r", "probability")] == (5, 3) and locs[("r", "latency")] == (1, 29)
    relays = "  - &rel {probability: 0.3, source: core, target: city}\n  - {<<: *rel, source: city.1}"
    loaded = simulator.load_text(MINI.replace("  - {source: core, target: city, probability: 0.5}", relays), "f.yaml")
    assert len(loaded.matrix.relays) == 3 + 2  # core -> 3 cities, city.1 -> the 2 other cities
    assert all(e.probability == 0.3 for e in loaded.matrix.relays)


@pytest.mark.parametrize(
    "text, where, message",
    [
        ("c:\n  <<: 5\n", (2, 3), "merge key << needs a mapping"),
        ("c:\n  <<: [1, 2]\n", (2, 3), "merge key << needs a mapping"),
        ("c: {<<: {a: 1}, <<: {b: 2}}\n", (1, 17), "merge key << is given twice"),
        ("seed: !!int\n", (1, 7), "!!int needs an integer, got nothing"),
        ("seed: !!int x\n", (1, 7), "!!int needs an integer, got 'x'"),
        ("seed: !!float\n", (1, 7), "!!float needs a number"),
        ("seed: !!float .\n", (1, 7), "!!float needs a number"),
        ("seed: !!bool maybe\n", (1, 7), "!!bool needs true or false"),
        ("seed: !!null x\n", (1, 7), "!!null needs null"),
        ("seed: !!int -_\n", (1, 7), "!!int needs an integer"),
        ("seed: !!binary aGk=\n", (1, 7), "unsupported YAML tag '!!binary'"),
        ("seed: !custom 1\n", (1, 7), "unsupported YAML tag '!custom'"),
        ("seed: !!python/object/apply:os.system [x]\n", (1, 7), "unsupported YAML tag"),
        ("seed: !!map {a: 1}\nx: !!str [1]\n", (2, 4), "unsupported YAML tag '!!str'"),
        ("seed: 1e400\n", (1, 7), "too large"),
        ("a: 1\n---\nb: 2\n", (2, 1), "one YAML document"),
        ("a: *nothing\n", (1, 4), "undefined alias"),
        ("? [a, b]\n: 1\n", (1, 3), "keys must be strings"),
        ("1: x\n", (1, 1), "keys must be strings"),
        ("a: 1\na: 2\n", (2, 1), "duplicate key 'a' (first at line 1)"),
        ("a: b\x07c\n", (1, 5), "character '\\x07' is not allowed"),
    ],
)
def test_odd_yaml_is_refused_with_its_position(text, where, message):
    with pytest.raises(ScenarioError) as e:
        parse_yaml(text, "f.yaml")
    p = e.value.problems[0]
    assert (p.line, p.col) == where and message in p.message, str(p)


def test_brackets_in_strings_and_comments_are_not_nesting():
    text = 'a: "' + "[" * 1000 + '"\n# ' + "{" * 1000 + "\nb: '" + "[" * 1000 + "'\nc: [[[1]]]\n"
    doc, _ = parse_yaml(text, "f.yaml")
    assert doc["a"] == "[" * 1000 and doc["c"] == [[[1]]]


def test_standard_tags_and_core_schema_scalars():
    doc, _ = parse_yaml(
        "a: !!float 1\nb: !!str 12\nc: ! 12\nd: 2001-12-14\ne: 0x1F\nf: 0o17\ng: 1_000\nh: !!int '7'\n"
        "i: no\nj: 1e-3\nk: ~\nl: -_\nm: .inf\nn: !!seq [1]\n",
        "f.yaml",
    )
    assert doc == {
        "a": 1.0, "b": "12", "c": "12", "d": "2001-12-14", "e": 31, "f": 15, "g": 1000, "h": 7,
        "i": "no", "j": 0.001, "k": None, "l": "-_", "m": float("inf"), "n": [1],
    }  # fmt: skip


def test_limits_are_exact(monkeypatch):
    import simulator.scenario.yaml_io as Y

    deep = "a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n"  # the mapping + 64 lists = 65 levels
    with pytest.raises(ScenarioError, match=f"nesting deeper than {MAX_DEPTH}"):
        parse_yaml(deep, "f.yaml")
    doc, _ = parse_yaml("a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n", "f.yaml")
    depth, cur = 0, doc["a"]
    while cur:
        depth, cur = depth + 1, cur[0]
    assert depth == MAX_DEPTH - 2  # the innermost list is empty
    # aliases count as the nodes they repeat: a mapping, a key, a list and its items
    monkeypatch.setattr(Y, "MAX_NODES", 30)
    assert parse_yaml("a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nb: [*a, 1]\n", "f.yaml")[0]["b"][0][9] == 10
    with pytest.raises(ScenarioError, match="more than 30 values") as e:
        parse_yaml("a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nb: [*a, *a]\n", "f.yaml")
    assert (e.value.problems[0].line, e.value.problems[0].col) == (2, 9)
    monkeypatch.setattr(Y, "MAX_NODES", 100_000)
    monkeypatch.setattr(Y, "MAX_ALIAS_NODES", 22)  # two aliases of 11 values pass, a third does not
    assert len(parse_yaml("a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nb: [*a, *a]\n", "f.yaml")[0]["b"]) == 2
    with pytest.raises(ScenarioError, match="aliases repeat more than 22 values") as e:
        parse_yaml("a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nb: [*a, *a, *a]\n", "f.yaml")
    assert (e.value.problems[0].line, e.value.problems[0].col) == (2, 13)
    assert MAX_NODES >= 100_000


# --- finite, meaningful numbers ------------------------------------------------------------------------

BAD_NUMBERS = [
    ("behaviour: {exposure_half_life: .inf}", "behaviour.exposure_half_life", "finite"),
    ("fatigue: {load_half_life: .inf}", "fatigue.load_half_life", "finite"),
    ("fatigue: {load_half_life: 1e-300}", "fatigue.load_half_life", "greater than or equal to 0.001"),
    ("fatigue: {kappa: .inf}", "fatigue.kappa", "finite"),
    ("fatigue: {w_dup: 1e308}", "fatigue.w_dup", "less than or equal to 100"),
    ("fatigue: {tolerance: {median: 1e-300}}", "fatigue.tolerance.median", "greater than or equal"),
    ("behaviour: {latency: {median: 1, sigma: 1e308}}", "behaviour.latency.sigma", "less than or equal to 10"),
    ("behaviour: {p0: .nan}", "behaviour.p0", "finite"),
    ("behaviour: {commentary_appeal: .inf}", "behaviour.commentary_appeal", "finite"),
    ("behaviour: {variation_weights: {verbatim: .inf}}", "behaviour.variation_weights.verbatim", "finite"),
    ("population: {size: 2000, regions: {a: 1e308, b: 1e308}}", "population.regions.a", "less than or equal"),
    ("time: {horizon: .nan}", "time.horizon", "finite"),
]


@pytest.mark.parametrize("line, path, message", BAD_NUMBERS)
def test_absurd_numbers_are_refused_at_their_field(line, path, message):
    key = line.split(":")[0]
    text = "".join(x for x in MINI.splitlines(keepends=True) if not x.startswith(key + ":"))
    problems = refused(text + line + "\n")
    found = {p.path: p for p in problems}
    assert path in found and message in found[path].message, problems
    assert found[path].line == text.count("\n") + 1


@pytest.mark.parametrize(
    "field, value",
    [("followers", "1e-300"), ("followers", ".inf"), ("followers", "{median: 100, sigma: .inf}")],
)
def test_absurd_account_numbers_are_refused(field, value):
    problems = refused(MINI.replace("followers: 500", f"{field}: {value}"))
    assert problems[0].path.startswith("accounts.0.followers") and problems[0].line == 5


def test_campaign_times_and_appeal_must_be_finite():
    for post in ("{account: core, at: .nan}", "{account: core, at: 0, appeal: .inf}", "{account: core, every: .inf}"):
        problems = refused(MINI.replace("{account: core, at: 0}", post))
        assert problems[0].path.startswith("campaign.0.") and problems[0].line == 10


def test_extreme_values_within_the_bounds_compute_without_nan(monkeypatch):
    """The limits are where the kernel still computes exactly: run both ends with numpy's
    floating-point errors raised (numpy backend, so no compiled kernel hides them)."""
    monkeypatch.setenv("PROPSIM_BACKEND", "numpy")
    high = (
        "behaviour: {p0: 0.05, exposure_half_life: 1e6, alpha: 10, beta: 10, appeal_sigma: 5, "
        "commentary_appeal: 1000, latency: {median: 1e6, sigma: 10}, variation_weights: {verbatim: 100}}\n"
        "fatigue: {load_half_life: 1e6, kappa: 1e6, w_dup: 100, w_irr: 100, w_promo: 100, "
        "tolerance: {median: 1e9, sigma: 10}}\n"
    )
    low = (
        "behaviour: {p0: 0.05, exposure_half_life: 0.001, alpha: 0, beta: 0, latency: {median: 1e-6, sigma: 10}}\n"
        "fatigue: {load_half_life: 0.001, kappa: 0, w_dup: 0, tolerance: {median: 1e-6, sigma: 10}}\n"
    )
    with np.errstate(all="raise", under="ignore"):
        for extra in (high, low):
            text = MINI.replace("followers: 500", "followers: {median: 1e-6, sigma: 10}") + extra
            summary = simulator.run(simulator.load_text(text, "f.yaml")).summary
            assert all(np.isfinite(v) for v in summary.values() if isinstance(v, float))


# --- safe text -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\\0", "\\a", "\\e", "\\u202e", "\\u2066", "\\x9b"])
def test_control_and_bidi_characters_are_refused_in_text(char):
    for where, text in (
        ("accounts.1.handle", MINI.replace('"@city_{i}"', f'"@city{char}_{{i}}"')),
        ("accounts.0.id", MINI.replace("{id: core", f'{{id: "co{char}re"')),
        ("name", MINI.replace("name: mini", f'name: "mi{char}ni"')),
        ("campaign.0.label", MINI.replace("at: 0}", f'at: 0, label: "x{char}"}}')),
    ):
        problems = refused(text)
        found = {p.path: p for p in problems}
        assert where in found, problems
        assert "control or bidirectional-format character" in found[where].message
        shown = str(found[where])
        assert "\u202e" not in shown and "\x00" not in shown and "\x07" not in shown and "\x1b" not in shown


def test_long_values_are_truncated_in_messages(scenario_file, capsys):
    huge = "x" * 1_000_000
    path = scenario_file(
        MINI.replace("name: mini", f"name: {huge}").replace("{account: core", "{account: " + "y" * 500)
    )
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert len(err) < 1000 and f"{path}:1:" in err and f"{path}:10:" in err and "1,000,000 chars" in err


def test_handle_templates_cannot_reach_python_or_pad_without_bound():
    loaded = simulator.load_text(
        MINI.replace('"@city_{i}"', '"@c{i:03d}_{i.__class__}{i:999999999}{region}{id}{x}"'), "f.yaml"
    )
    handles = [a.handle for a in loaded.matrix.accounts if a.group]
    assert handles[0] == "@c001_{i.__class__}{i:999999999}city{x}"


def test_tables_never_carry_unsafe_characters(tmp_path):
    from simulator.results.output import write_table

    df = pd.DataFrame({"handle": ["@ok", "@evil\u202etxt.exe", "bell\x07"], "n": [1, 2, 3]})
    path = write_table(tmp_path / "t", df, "csv")
    text = path.read_text(encoding="utf-8-sig")
    assert "\u202e" not in text and "\x07" not in text and "\\u202e" in text and "\\x07" in text
    assert df["handle"][1] == "@evil\u202etxt.exe"  # the caller's frame is not modified


# --- output safety ----------------------------------------------------------------------------------------


@pytest.fixture
def no_run(monkeypatch):
    """Fail the test if a simulation starts: the output must be refused before."""
    from simulator.engine.model import PropagationModel

    def run(self, *a, **k):
        raise AssertionError("the simulation started before --output was checked")

    monkeypatch.setattr(PropagationModel, "run", run)


def test_unusable_output_is_refused_before_the_run(scenario_file, tmp_path, capsys, no_run):
    path = scenario_file(MINI)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["run", str(path), "-o", str(blocker)]) == 1
    assert "exists and is not a folder" in capsys.readouterr().err
    assert main(["run", str(path), "-o", str(blocker / "sub")]) == 1
    assert "cannot write a folder" in capsys.readouterr().err
    other = tmp_path / "mine"
    other.mkdir()
    (other / "thesis.docx").write_text("precious")
    assert main(["run", str(path), "-o", str(other)]) == 1
    assert "not a propsim run folder" in capsys.readouterr().err and (other / "thesis.docx").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_output_parent_is_refused_before_the_run(scenario_file, tmp_path, capsys, no_run):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        assert main(["run", str(scenario_file(MINI)), "-o", str(ro / "out")]) == 1
        assert "cannot write a folder" in capsys.readouterr().err
    finally:
        ro.chmod(0o755)


def _result():
    return simulator.run(simulator.load_text(MINI, "f.yaml"))


def test_a_failed_write_leaves_the_previous_run_or_nothing(tmp_path, monkeypatch):
    import simulator.results.output as O

    res = _result()
    out = tmp_path / "run"
    O.write_run(res, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = O.write_table
    calls = {"n": 0}

    def failing(path, df, fmt="csv"):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        return real(path, df, fmt)

    monkeypatch.setattr(O, "write_table", failing)
    with pytest.raises(OSError):
        O.write_run(res, out, "json")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # the previous complete run
    calls["n"] = 0
    with pytest.raises(OSError):
        O.write_run(res, tmp_path / "new")
    assert not (tmp_path / "new").exists()  # nothing
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no temporary folder left
    monkeypatch.setattr(O, "write_table", real)
    O.write_run(res, out, "json")  # replaced whole: no CSV of the earlier run stays
    assert sorted(p.suffix for p in out.iterdir()) == [".json"] * 6


def test_stale_temporary_folders_of_dead_processes_are_cleaned(tmp_path):
    from simulator.results.output import write_run

    stale = tmp_path / ".run.propsim-999999999-abc"
    stale.mkdir()
    (stale / "timeseries.csv").write_text("partial")
    write_run(_result(), tmp_path / "run")
    assert not stale.exists() and (tmp_path / "run" / "summary.json").exists()


def _unshare_mount_available() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("mount") is None:
        return False
    return subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0


FULL_DISK = """
import os, subprocess, sys
import simulator
from simulator.results.output import write_run
from simulator.scenario.errors import ScenarioError
from simulator.cli.entry import main
mnt, text = sys.argv[1], sys.argv[2]
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt], check=True)
res = simulator.run(simulator.load_text(text, "f.yaml"))
out = os.path.join(mnt, "out")
write_run(res, out, "csv")
before = {n: open(os.path.join(out, n), "rb").read() for n in os.listdir(out)}
with open(os.path.join(mnt, "pad"), "wb") as f:  # leave ~40 kB free: the JSON tables do not fit
    free = os.statvfs(mnt).f_bavail * os.statvfs(mnt).f_frsize
    f.write(bytes(free - 40_000))
try:
    write_run(res, out, "json")
    print("written")
except OSError as e:
    print("error", e.errno)
after = {n: open(os.path.join(out, n), "rb").read() for n in os.listdir(out)}
print("same" if after == before else "changed", sorted(os.listdir(mnt)))
os.remove(os.path.join(mnt, "pad"))
with open(os.path.join(mnt, "pad"), "wb") as f:  # and with no room at all, `propsim run` refuses first
    free = os.statvfs(mnt).f_bavail * os.statvfs(mnt).f_frsize
    f.write(bytes(free - 4096))
open("scenario.yaml", "w").write(text)
print("rc", main(["run", "scenario.yaml", "-o", os.path.join(mnt, "new")]), sorted(os.listdir(mnt)))
os.remove(os.path.join(mnt, "pad"))
subprocess.run(["mount", "-o", "remount,ro", mnt], check=True)  # a read-only device, even for root
print("rc", main(["run", "scenario.yaml", "-o", os.path.join(mnt, "new")]), sorted(os.listdir(mnt)))
"""


@pytest.mark.slow
@pytest.mark.skipif(not _unshare_mount_available(), reason="needs root and mount namespaces for a small tmpfs")
def test_full_disk_leaves_the_previous_run_or_nothing(tmp_path):
    """A real full device (a 2 MB tmpfs in a private mount namespace), then a read-only one."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    text = MINI.replace("horizon: 24", "horizon: 2000")
    proc = subprocess.run(
        ["unshare", "-m", sys.executable, "-c", FULL_DISK, str(mnt), text],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    lines = proc.stdout.splitlines()
    assert lines[0] == "error 28", proc.stdout + proc.stderr  # ENOSPC while writing
    assert lines[1] == "same ['out', 'pad']"  # the previous complete run, no temporary folder
    assert lines[2] == "rc 1 ['out', 'pad']" and "No space left on device" in proc.stderr  # refused before the run
    assert lines[3] == "rc 1 ['out']" and "Read-only file system" in proc.stderr


# --- --set locations -----------------------------------------------------------------------------------


def test_set_problems_are_reported_at_the_set_argument(scenario_file):
    path = scenario_file(MINI)
    for override, field in (("a.b.c.d=1", "a"), ("behaviour.p00=1", "behaviour.p00"), ("time.tick=1e-9", "time.tick")):
        with pytest.raises(ScenarioError) as e:
            simulator.load(path, overrides=[override])
        (p,) = e.value.problems
        assert (p.source, p.line, p.path) == ("--set", None, field), str(p)
    with pytest.raises(ScenarioError) as e:
        simulator.load(path, overrides=["x=!!int y"])
    assert e.value.problems[0].source == "--set" and "!!int needs an integer" in e.value.problems[0].message
    with pytest.raises(ScenarioError, match="at most 32 parts"):
        simulator.load(path, overrides=[".".join(["a"] * 40) + "=1"])


def test_scale_that_breaks_a_bound_is_reported_at_scale(scenario_file):
    with pytest.raises(ScenarioError) as e:
        simulator.load(scenario_file(MINI.replace("2000", "20000000")), scale=1000)
    assert e.value.problems[0].source == "--scale"


def test_validate_reports_memory_and_time_estimates(scenario_file, capsys):
    assert main(["validate", str(scenario_file(MINI))]) == 0
    out = capsys.readouterr().out
    assert "3 relay edges" in out and " GB, ~" in out


def test_running_out_of_memory_says_so_and_writes_nothing(scenario_file, tmp_path, capsys, monkeypatch):
    """A run whose state outgrows the machine (a platform-scale month, issue 14) ends with one clear line,
    exit 2, no traceback, and no output folder."""
    from simulator.engine.model import PropagationModel

    def run(self, *a, **k):
        raise MemoryError("Allocation failed (probably too large).")

    monkeypatch.setattr(PropagationModel, "run", run)
    out = tmp_path / "out"
    assert main(["run", str(scenario_file(MINI)), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "out of memory" in err and "--scale" in err and "Traceback" not in err
    assert not out.exists()
