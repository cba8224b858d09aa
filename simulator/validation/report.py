"""The oracle report as a table (markdown / CSV), a one-line summary and a figure."""

from __future__ import annotations

import math
from pathlib import Path

from simulator.validation.oracles import Z_TOL, Report

# ==============================================================================================
# Output
# ==============================================================================================


def _fmt(x: float | str | None) -> str:
    if isinstance(x, str):
        return x
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    ax = abs(x)
    if ax != 0 and (ax < 1e-3 or ax >= 1e5):
        return f"{x:.3g}"
    return f"{x:.4f}" if ax < 10 else f"{x:.2f}"


def format_table(report: Report, markdown: bool = True) -> str:
    """The report as a markdown table (or aligned plain text)."""
    head = ["family", "oracle", "param", "theory", "simulated", "se", "z", "n", "ok"]
    lines = []
    for r in report.rows:
        lines.append(
            [
                r.family,
                r.oracle,
                f"{r.param}={_fmt(r.value)}",
                _fmt(r.theory),
                _fmt(r.simulated),
                _fmt(r.se),
                f"{r.z:+.2f}",
                f"{r.n:,}",
                "yes" if r.ok else "NO",
            ]
        )
    if markdown:
        out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
        out += ["| " + " | ".join(cells) + " |" for cells in lines]
        return "\n".join(out)
    widths = [max(len(h), *(len(c[i]) for c in lines)) for i, h in enumerate(head)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([fmt.format(*head)] + [fmt.format(*c) for c in lines])


def summary_line(report: Report) -> str:
    bad = [r for r in report.rows if not r.ok]
    worst = max(report.rows, key=lambda r: abs(r.z))
    return (
        f"{len(report.rows) - len(bad)}/{len(report.rows)} oracles within |z| < {Z_TOL:g} "
        f"(worst: {worst.family} {worst.oracle} {worst.param}={_fmt(worst.value)}, z = {worst.z:+.2f})"
    )


def write_report(report: Report, outdir: str | Path) -> list[Path]:
    """Write ``oracles.csv``, ``oracles.md`` (table + summary) and ``report.json`` (the figure is
    :func:`simulator.plotting.oracles.plot_report`)."""
    from simulator.results.output import atomic_write, write_json, write_table

    out = Path(outdir)
    written = [write_table(out / "oracles", report.table(), "csv")]
    text = (
        f"# propsim oracle report ({report.size}, seed {report.seed})\n\n{summary_line(report)}\n\n"
        f"{format_table(report)}\n"
    )
    written.append(atomic_write(out / "oracles.md", lambda f: f.write(text.encode("utf-8"))))
    written.append(
        write_json(
            out / "report.json",
            {"size": report.size, "seed": report.seed, "ok": report.ok, "meta": report.meta, "curves": report.curves},
        )
    )
    return written
