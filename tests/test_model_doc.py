"""The model reference (docs/model.md) and the code that cites it stay in step.

Every ``docs/model.md#anchor`` cited in ``simulator/`` and every internal link of the page must name a
heading of the page (GitHub's anchor rule), and no module may cite the out-of-repository
"MODEL-REFERENCE" any more.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "model.md"


def _slug(heading: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(text: str) -> set[str]:
    seen: dict[str, int] = {}
    out: set[str] = set()
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        m = re.match(r"^(#{1,6}) (.+)", line)
        if m and not in_code:
            s = _slug(m.group(2))
            n = seen.get(s, -1) + 1
            seen[s] = n
            out.add(s if n == 0 else f"{s}-{n}")
    return out


def test_cited_anchors_exist():
    anchors = _anchors(DOC.read_text(encoding="utf-8"))
    assert {"one-delivery", "randomness", "analytic-oracles", "defaults-and-their-sources"} <= anchors
    missing = []
    for path in sorted((ROOT / "simulator").rglob("*.py")):
        for a in re.findall(r"docs/model\.md#([A-Za-z0-9_\-]+)", path.read_text(encoding="utf-8")):
            if a not in anchors:
                missing.append(f"{path.relative_to(ROOT)}: #{a}")
    for a in re.findall(r"\]\(#([A-Za-z0-9_\-]+)\)", DOC.read_text(encoding="utf-8")):
        if a not in anchors:
            missing.append(f"docs/model.md: #{a}")
    assert not missing, missing


def test_no_module_cites_the_external_reference():
    cites = [
        f"{p.relative_to(ROOT)}:{i}"
        for p in sorted((ROOT / "simulator").rglob("*.py"))
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if "MODEL-REFERENCE" in line
    ]
    assert not cites, cites
