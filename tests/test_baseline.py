"""Regression baseline: bundled scenarios give exactly the stored summaries.

A deliberate change of the model refreshes the baseline (``uv run python -m tools.baseline --write``)
in the same commit; any other change of a result is a bug this test catches.
"""

from __future__ import annotations

import json

from tools.baseline import BASELINE, compute


def test_bundled_scenarios_reproduce_the_stored_summaries():
    want = json.loads(BASELINE.read_text(encoding="utf-8"))
    got = compute()
    assert sorted(got) == sorted(want)
    changed = {
        k: {m: (want[k].get(m), got[k].get(m)) for m in set(want[k]) | set(got[k]) if want[k].get(m) != got[k].get(m)}
        for k in want
        if want[k] != got[k]
    }
    assert not changed, changed
