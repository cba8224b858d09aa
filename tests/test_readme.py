"""Every README example runs: its shell commands, its Python, its YAML, and its shown outputs are real.

The README's ``bash`` blocks are split into commands (continuation lines joined, comments dropped).
Each command is run from a scratch folder that links the repository's ``scenarios/`` and
``notebooks/``, in README order (later commands read the folders earlier ones wrote), with ``uv run``
replaced by this environment's own executables. A few are shrunk to keep the suite short
(:data:`SHRINK`: fewer replicates or a smaller scale, never a different command); the ones this test
cannot run are listed with the reason in :data:`NOT_RUN_HERE` (each is run by ``.ci/run`` or is the test
suite itself). A README command in neither list runs exactly as written, so a new example is covered
the moment it is added.

Shown outputs: the ``propsim compare`` example runs exactly as written and its ranked table must equal
the README's ``text`` block (results do not depend on the worker count, so the numbers are exact);
the ``propsim validate`` example's ``console`` block must match the command's output on the README's
file (``...`` in the README stands for an elided part of a line).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BIN = Path(sys.executable).parent

# Commands run by .ci/run or that are this very suite (prefix after `uv run` is stripped) -> why.
NOT_RUN_HERE = {
    "pip install uv": "installs the installer; .ci/run runs it on a clean clone",
    "pytest": "the test suite itself (.ci/run runs `uv run pytest`)",
    "ruff check": ".ci/run runs it exactly as written",
    "ruff format --check": ".ci/run runs it exactly as written",
    "mypy": ".ci/run runs it exactly as written",
    "solara run": "a server that does not stop: tests/test_app_browser.py starts it and drives it headless",
    "python -m benchmarks.": "a benchmark (minutes to half an hour of timing); tests/test_benchmark_smoke.py runs each "
    "at its smoke size and checks its correctness section",
}
# Command prefix -> (old, new) replacements that shrink a long example (same command, less work).
SHRINK: dict[str, list[tuple[str, str]]] = {
    "propsim sweep compare_topologies": [("--workers 2", "--workers 2 --scale 0.02 --replicates 2")],
    "propsim sweep hub ": [("--replicates 10", "--replicates 2")],
    "propsim validate-model": [("propsim validate-model", "propsim validate-model --only branching --no-plot")],
}
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def blocks(lang: str) -> list[tuple[int, str]]:
    """(line number, text) of every fenced block of ``lang`` in the README."""
    text = README.read_text(encoding="utf-8")
    return [(text[: m.start()].count("\n") + 1, m.group(2)) for m in FENCE.finditer(text) if m.group(1) == lang]


def commands() -> list[tuple[int, str]]:
    """(line, command) for every shell command of the README, `a && b` split into a and b."""
    out = []
    for line, body in blocks("bash"):
        joined = re.sub(r"\\\n\s*", " ", body)
        for k, raw in enumerate(joined.splitlines()):
            cmd = re.sub(r"\s+#.*$", "", raw).strip()
            for part in filter(None, (p.strip() for p in cmd.split("&&"))):
                out.append((line + 1 + k, part))
    return out


def _strip_uv(cmd: str) -> str:
    return cmd[len("uv run ") :] if cmd.startswith("uv run ") else cmd


def _skipped(cmd: str) -> str | None:
    bare = _strip_uv(cmd)
    for prefix, why in NOT_RUN_HERE.items():
        if bare.startswith(prefix) or (prefix == "solara run" and "solara run" in bare):
            return why
    return None


def _shrunk(cmd: str) -> str:
    bare = _strip_uv(cmd)
    for prefix, pairs in SHRINK.items():
        if bare.startswith(prefix):
            for old, new in pairs:
                assert old in bare, f"SHRINK for {prefix!r} no longer matches the README: {bare}"
                bare = bare.replace(old, new, 1)
    return bare


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("MPLBACKEND", "Agg")
    return env


def _run(cmd: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        cmd, shell=True, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout, encoding="utf-8"
    )


def _scratch(tmp: Path) -> Path:
    for name in ("scenarios", "docs"):
        (tmp / name).symlink_to(ROOT / name, target_is_directory=True)
    shutil.copytree(ROOT / "notebooks", tmp / "notebooks", ignore=shutil.ignore_patterns("*.ipynb", ".*"))
    return tmp


def test_every_readme_command_is_known():
    """The parser finds the README's commands, and each propsim command names a real subcommand."""
    cmds = [c for _, c in commands()]
    assert any("propsim run scenarios/hub.yaml" in c for c in cmds)
    assert any(c.startswith("uv run pytest") for c in cmds)
    from simulator.cli.entry import build_parser

    subcommands = set(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    for line, cmd in commands():
        bare = _strip_uv(cmd)
        if bare.startswith("propsim "):
            assert bare.split()[1] in subcommands, f"README line {line}: unknown command in {cmd!r}"
        elif _skipped(cmd) is None:
            assert bare.split()[0] in ("jupytext",), f"README line {line}: {cmd!r} is neither run nor listed"


def test_readme_yaml_examples_validate(tmp_path):
    """The smallest useful file loads; the sweep section is a valid sweep of a bundled scenario."""
    import simulator
    from simulator.scenario.yaml_io import parse_yaml

    examples = blocks("yaml")
    assert len(examples) >= 3
    for line, text in examples:
        doc, _ = parse_yaml(text, f"README.md:{line}")
        if "sweep" in doc:
            path = tmp_path / "sweep.yaml"
            path.write_text(f"name: readme-sweep\ntopology: hub\n{text}", encoding="utf-8")
            res = subprocess.run(
                [str(BIN / "propsim"), "sweep", str(path), "--dry-run", "-o", str(tmp_path / "dry")],
                capture_output=True,
                text=True,
                env=_env(),
            )
            assert res.returncode == 0, res.stdout + res.stderr
            assert "10 replicates" in res.stdout, res.stdout
        else:
            path = tmp_path / f"example{line}.yaml"
            path.write_text(text, encoding="utf-8")
            simulator.load(path, scale=0.01)


@pytest.mark.slow
def test_readme_commands_run(tmp_path):
    """Every README command (shrunk where listed) exits 0 in README order; outputs land where it says."""
    work = _scratch(tmp_path)
    ran = []
    for line, cmd in commands():
        if _skipped(cmd):
            continue
        bare = _shrunk(cmd)
        res = _run(bare, work)
        assert res.returncode == 0, f"README line {line}: {bare}\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
        ran.append(bare)
    assert any(c.startswith("propsim run scenarios/hub.yaml") for c in ran)
    assert (work / "results" / "hub" / "summary.json").is_file()
    assert (work / "results" / "compare" / "deck.pptx").is_file()
    assert list((work / "results" / "hub" / "plots").glob("*matrix*.pdf"))
    assert list((work / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
def test_readme_python_examples_run(tmp_path):
    work = _scratch(tmp_path)
    for line, code in blocks("python"):
        res = subprocess.run(
            [sys.executable, "-c", code], cwd=work, env=_env(), capture_output=True, text=True, timeout=600
        )
        assert res.returncode == 0, f"README line {line}:\n{res.stdout[-2000:]}\n{res.stderr[-3000:]}"


def _compare_command() -> str:
    found = [c for _, c in commands() if _strip_uv(c).startswith("propsim compare ")]
    assert len(found) == 1
    return _strip_uv(found[0])


@pytest.mark.slow
def test_readme_compare_output_is_real(tmp_path):
    """The README's compare table is what the command prints, to the last digit."""
    work = _scratch(tmp_path)
    res = _run(_compare_command() + " -q", work)
    assert res.returncode == 0, res.stdout + res.stderr
    shown = next(text for _, text in blocks("text") if "your matrix against" in text)
    printed = res.stdout.splitlines()
    for want in shown.splitlines():
        if want.strip():
            assert want.rstrip() in (p.rstrip() for p in printed), f"README line not printed: {want!r}\n{res.stdout}"


def _matches(pattern: str, line: str) -> bool:
    parts = [re.escape(p) for p in pattern.split("...")]
    return re.fullmatch(".*".join(parts), line) is not None


def test_readme_validate_output_is_real(tmp_path):
    """The warnings example: the README's file gives (at least) the README's lines, located as shown."""
    example = next(text for _, text in blocks("yaml") if "my-twin-star" in text)
    (tmp_path / "my-twin-star.yaml").write_text(example, encoding="utf-8")
    console = next(text for _, text in blocks("console") if "propsim validate my-twin-star.yaml" in text)
    cmd, *shown = console.splitlines()
    res = _run(cmd.removeprefix("$ ").replace("propsim", str(BIN / "propsim"), 1), tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    printed = (res.stdout + res.stderr).splitlines()  # warnings go to stderr
    for want in filter(str.strip, shown):
        assert any(_matches(want, got) for got in printed), f"not printed: {want!r}\n{res.stdout}{res.stderr}"


def test_readme_budget_table_is_what_the_presets_build():
    """The README's table of the six presets at compare_topologies' budget, recomputed."""
    import collections

    import simulator

    text = README.read_text(encoding="utf-8")
    table = text[text.index("| preset | accounts (followers each) | relay edges |") :].split("\n\n")[0]
    rows = [r.split("|")[1:-1] for r in table.splitlines()[2:]]
    assert len(rows) == 6
    for name, accounts, edges in rows:
        preset = name.strip().strip("`")
        loaded = simulator.load(ROOT / "scenarios" / "compare_topologies.yaml", overrides=[f"topology.preset={preset}"])
        sizes = collections.Counter(round(a.followers.median) for a in loaded.matrix.accounts)
        shown = [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", accounts)]
        assert sum(round(a.followers.median) for a in loaded.matrix.accounts) == 200_000
        assert len(loaded.matrix.accounts) == 31
        assert int(edges) == len(loaded.matrix.relays), preset
        if preset == "organic":
            assert shown == [31, min(sizes), max(sizes)]
        else:
            assert set(shown) - {1} <= set(sizes) | set(sizes.values()), (preset, shown, sizes)
