"""Execute the notebooks (jupytext percent-format sources in notebooks/) so a broken one fails CI.

Each notebook is converted in memory and run top to bottom by nbclient in a kernel of *this*
interpreter (a kernelspec written to a temporary JUPYTER_PATH, so a system-wide "python3"
kernelspec cannot pick another Python). ``PROPSIM_NB_SCALE`` makes them small; the notebooks'
own default is the full-size scenarios.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # statistical / subprocess tests: full suite only (CI)

jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
KERNEL = "propsim-test"
#: Sweep folders a notebook writes under PROPSIM_NB_OUT/<notebook>/.
SWEEP_FOLDERS = {"02_compare_topologies": ["sweep", "compare"], "04_case_study": ["sweep_relay_probability"]}

#: What CI runs: 1/20 of the bundled scenarios' populations (25,000-50,000 followers).
CI_ENV = {"PROPSIM_NB_SCALE": "0.05", "MPLBACKEND": "module://matplotlib_inline.backend_inline"}


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory):
    """A kernelspec for the running interpreter in a private JUPYTER_PATH, the CI size and a
    temporary output folder (notebook 4 writes result folders, charts and decks)."""
    home = tmp_path_factory.mktemp("jupyter")
    spec = home / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "propsim tests",
                "language": "python",
            }
        )
    )
    env = {"JUPYTER_PATH": str(home), "PROPSIM_NB_OUT": str(tmp_path_factory.mktemp("nb_out")), **CI_ENV}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    yield env
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def execute(path: Path, timeout: int = 600):
    """Run a notebook source in a fresh kernel (cwd = notebooks/) and return the executed notebook."""
    nb = jupytext.read(path)
    client = nbclient.NotebookClient(
        nb, kernel_name=KERNEL, timeout=timeout, allow_errors=False, resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    return nb


def test_there_are_the_four_story_notebooks():
    names = [p.stem for p in NOTEBOOKS]
    assert [n[:3] for n in names][:4] == ["01_", "02_", "03_", "04_"], names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, kernel_env):
    nb = execute(path)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    # Every notebook tells its story with figures: at least one image came out.
    assert any("image/png" in o.get("data", {}) for o in outputs), "no figure was displayed"
    # Result folders go under PROPSIM_NB_OUT/<notebook>/ and are complete sweep folders (plot- and deck-ready).
    for folder in SWEEP_FOLDERS.get(path.stem, []):
        written = Path(kernel_env["PROPSIM_NB_OUT"]) / path.stem / folder
        for table in ("manifest.json", "runs.*", "points.*", "differences.*"):
            assert any(written.glob(table)), f"{written}: no {table}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_source_is_clean(path):
    """Percent-format source (paired with a git-ignored .ipynb) with one size parameter cell."""
    text = path.read_text(encoding="utf-8")
    assert "format_name: percent" in text
    nb = jupytext.reads(text, fmt="py:percent")
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and "PROPSIM_NB_SCALE" in params[0].source
