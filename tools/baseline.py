"""Regression baseline: summaries of every bundled scenario at a small scale, for fixed seeds.

``tests/test_baseline.py`` compares a fresh run with ``tests/baseline/summaries.json`` exactly,
so a change that alters any result fails until the baseline is refreshed on purpose::

    uv run python -m tools.baseline --write      # after a deliberate change of the model

The refresh belongs in the same commit as the change, with the reason in its message.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "tests" / "baseline" / "summaries.json"
SCALE = 0.02
SEEDS = (0, 1)
# Variants that exercise deep cascades and fatigue, which the defaults barely touch.
VARIANTS = {"": [], "+cascade": ["behaviour.p0=0.02"]}
# The platform-scale case (580M people, 150 originals) at a scale of its own, defaults only: at 0.02
# it is an 11.6M-person world, minutes per run (benchmarks/platform.py measures it at full size).
SCALES = {"platform_brand": 0.001}
ONLY_DEFAULTS = {"platform_brand"}


def _clean(v: Any) -> Any:
    if isinstance(v, float):
        return None if math.isnan(v) else float(repr(v)) if math.isfinite(v) else str(v)
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if hasattr(v, "item"):
        return _clean(v.item())
    return v


def compute() -> dict[str, Any]:
    """Summary of every bundled scenario at ``SCALE`` for each seed of ``SEEDS``."""
    import simulator

    out: dict[str, Any] = {}
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        for tag, overrides in VARIANTS.items():
            if tag and path.stem in ONLY_DEFAULTS:
                continue
            for seed in SEEDS:
                loaded = simulator.load(path, overrides=overrides, seed=seed, scale=SCALES.get(path.stem, SCALE))
                s = dict(simulator.run(loaded).summary)
                # diagnostics, not results (tested in tests/test_warnings.py and tests/test_explain.py)
                for key in ("propsim_version", "warnings", "overlaps"):
                    s.pop(key, None)
                out[f"{path.stem}{tag}/seed={seed}"] = _clean(s)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="rewrite the stored baseline")
    args = ap.parse_args(argv)
    got = compute()
    if args.write:
        BASELINE.parent.mkdir(parents=True, exist_ok=True)
        BASELINE.write_text(json.dumps(got, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {BASELINE} ({len(got)} runs)")
        return 0
    want = json.loads(BASELINE.read_text(encoding="utf-8"))
    bad = [k for k in sorted(set(want) | set(got)) if want.get(k) != got.get(k)]
    print("baseline unchanged" if not bad else f"changed: {bad}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
