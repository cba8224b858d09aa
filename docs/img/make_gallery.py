"""Render the README chart gallery (docs/img/*.png): every chart kind in English and Chinese,
plus two pages of a sweep deck.

    uv run python docs/img/make_gallery.py [--work /tmp/propsim-gallery] [--scale 0.1]

It runs the bundled ``compare_topologies`` sweep at a small scale (five repost probabilities from
below to above the weibo profile's plausible range, 8 replicates) and one run of the ``case_cinema_chain`` scenario
(Chinese handles), then draws them with ``simulator.plotting.render``. The manifest gets the
behaviour profile's plausible range, as the sweeps package records it. Pictures are written at
1,333 px wide (half the slide resolution) to keep the repository small. Deck pages need
LibreOffice and poppler (``libreoffice --headless``, ``pdftoppm``); they are skipped without them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from pathlib import Path

from PIL import Image

import simulator
from simulator.plotting import load_results, render
from simulator.results.output import write_run
from simulator.scenario.profiles import DEFAULT_PROFILE, plausible_ranges

OUT = Path(__file__).resolve().parent
ROOT = OUT.parents[1]
WIDTH = 1333


def _sweep(work: Path, scale: float) -> Path:
    folder = work / "compare"
    if not (folder / "runs.parquet").is_file():
        simulator.sweep(
            ROOT / "scenarios" / "compare_topologies.yaml",
            {"behaviour.p0": {"log": [0.0012, 0.008, 5]}},
            replicates=8,
            scale=scale,
            output=folder,
            progress=False,
        )
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    ranges = plausible_ranges(DEFAULT_PROFILE)
    manifest["plausible"] = {"profile": DEFAULT_PROFILE, "ranges": {k: list(v) for k, v in ranges.items()}}
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return folder


def _run(work: Path, scale: float) -> Path:
    folder = work / "cinema"
    if not (folder / "summary.json").is_file():
        loaded = simulator.load(ROOT / "scenarios" / "case_cinema_chain.yaml", scale=scale)
        write_run(simulator.run(loaded), folder, "csv")
    return folder


def _shrink(src: Path, dst: Path) -> None:
    with Image.open(src) as im:
        h = round(im.height * WIDTH / im.width)
        small = im.convert("RGB").resize((WIDTH, h), Image.LANCZOS)
        small.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(dst, optimize=True)


def _deck_pages(deck: Path, pages: dict[int, str]) -> list[Path]:
    if not (shutil.which("libreoffice") and shutil.which("pdftoppm")):
        return []
    tmp = deck.parent / "pages"
    tmp.mkdir(exist_ok=True)
    subprocess.run(
        ["libreoffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp), str(deck)],
        check=True,
        capture_output=True,
    )
    out = []
    for page, name in pages.items():
        prefix = tmp / f"p{page}"
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "100",
                "-f",
                str(page),
                "-l",
                str(page),
                "-singlefile",
                str(tmp / f"{deck.stem}.pdf"),
                str(prefix),
            ],
            check=True,
        )
        _shrink(prefix.with_suffix(".png"), OUT / name)
        out.append(OUT / name)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=Path("/tmp/propsim-gallery"))
    ap.add_argument("--scale", type=float, default=0.1)
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    sweep, run = _sweep(args.work, args.scale), _run(args.work, args.scale / 5)
    written: list[Path] = []
    for lang in ("en", "zh"):
        for folder, tag in ((sweep, "sweep"), (run, "run")):
            deck = args.work / f"{tag}_{lang}.pptx"
            report = render(folder, args.work / f"{tag}_{lang}", lang=lang, deck=deck)
            for f in report.files:
                both = tag == "run" and f.stem in ("04_timeline", "05_frequency")  # a run's and a sweep's
                dst = OUT / f"{f.stem}{'_run' if both else ''}_{lang}.png"
                _shrink(f, dst)
                written.append(dst)
            if tag == "sweep":
                written += _deck_pages(deck, {1: f"deck_title_{lang}.png", 3: f"deck_recommendation_{lang}.png"})
        # Chart 5 for a sweep that kept no frequency table (effective reach from the runs).
        no_freq = load_results(sweep)
        no_freq.frequency = None
        eff = render(no_freq, args.work / f"eff_{lang}", kinds=["frequency"], lang=lang)
        for f in eff.files:
            _shrink(f, OUT / f"05_effective_reach_{lang}.png")
            written.append(OUT / f"05_effective_reach_{lang}.png")
    for p in sorted(written):
        print(p.relative_to(ROOT))


if __name__ == "__main__":
    main()
