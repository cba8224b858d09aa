"""`propsim plot --deck`: a 16:9 PowerPoint that python-pptx can open, with the expected slides."""

from __future__ import annotations

import re
import sys
import warnings

import pytest
from pptx import Presentation
from pptx.oxml.ns import qn
from pptx.util import Inches

from simulator.plotting import render
from simulator.plotting.deck import DeckSlide, build_deck
from tests.test_plots import (
    _too_many_digits,
    build_results,  # the same small real sweep and runs (built once per session)
    log_sweep_runs,
)


@pytest.fixture(scope="session")
def results(tmp_path_factory):
    return build_results(tmp_path_factory.mktemp("deck_results"))


def _runs(slide):
    for shape in slide.shapes:
        frames = []
        if shape.has_text_frame:
            frames.append(shape.text_frame)
        if shape.has_table:
            frames += [cell.text_frame for row in shape.table.rows for cell in row.cells]
        for tf in frames:
            for para in tf.paragraphs:
                yield from para.runs


def _slide_text(slide) -> str:
    return " ".join(r.text for r in _runs(slide))


def _check_deck(path, charts, lang, recommendation=None):
    prs = Presentation(str(path))
    assert (prs.slide_width, prs.slide_height) == (Inches(13.333), Inches(7.5))
    slides = list(prs.slides)
    extra = recommendation is not None
    assert len(slides) == 1 + len(charts) + extra + 1  # title, one per chart, recommendation, summary
    for slide in slides:
        assert not list(slide.placeholders), "no template placeholders (4:3 layout) on our slides"
        for run in _runs(slide):
            rpr = run._r.find(qn("a:rPr"))
            ea = rpr.find(qn("a:ea"))
            assert ea is not None and ea.get("typeface"), f"run {run.text!r} has no East-Asian typeface"
            assert rpr.find(qn("a:latin")).get("typeface")
            # Schema order: a:latin before a:ea.
            tags = [c.tag for c in rpr]
            assert tags.index(qn("a:latin")) < tags.index(qn("a:ea"))
    chart_slides = [sl for sl in slides[1:-1] if any(s.shape_type == 13 for s in sl.shapes)]
    text_slides = [sl for sl in slides[1:-1] if sl not in chart_slides]
    assert len(chart_slides) == len(charts) and len(text_slides) == extra
    if recommendation is not None:
        body = _slide_text(text_slides[0])
        assert recommendation.headline in body and all(b in body for b in recommendation.bullets)
    for slide, chart in zip(chart_slides, charts):
        pictures = [s for s in slide.shapes if s.shape_type == 13]  # MSO_SHAPE_TYPE.PICTURE
        assert len(pictures) == 1
        pic = pictures[0]
        assert pic.left >= 0 and pic.top >= Inches(1.0)
        assert pic.left + pic.width <= prs.slide_width and pic.top + pic.height <= prs.slide_height
        assert pic.width / pic.height == pytest.approx(16 / 9, rel=0.01)
        assert _slide_text(slide) == chart.takeaway  # the headline is the computed takeaway
    tables = [s for s in slides[-1].shapes if s.has_table]
    assert len(tables) == 1
    if lang == "zh":
        assert re.search(r"[\u4e00-\u9fff]", _slide_text(slides[0]))
        assert all(r._r.find(qn("a:rPr")).get("lang") == "zh-CN" for r in _runs(slides[0]))
    return prs


def test_sweep_deck(results, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = render(results["sweep"], tmp_path / "plots", kinds=["reach", "tradeoff"], deck=tmp_path / "sweep.pptx")
    charts = list(report.charts)
    assert [c.kind for c in charts] == ["reach", "tradeoff"]
    prs = _check_deck(report.deck, charts, "en", report.charts.recommendation)
    table = next(s for s in list(prs.slides)[-1].shapes if s.has_table).table
    assert len(table.rows) == 1 + 3  # header + one row per topology
    header = [c.text for c in table.rows[0].cells]
    assert header[:2] == ["Matrix", "Reach"]
    assert "Exits caused by the campaign" in header and "Baseline churn" in header
    assert [table.cell(i, 0).text for i in (1, 2, 3)] == ["Hub", "Dandelion", "Honeycomb"]
    assert "At p0 = 0.004" in charts[0].takeaway


def test_run_deck_in_chinese(results, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = render(
            results["hub"],
            tmp_path / "plots",
            kinds=["accounts", "matrix"],
            formats=("svg",),
            lang="zh",
            deck=tmp_path / "run.pptx",
        )
    charts = list(report.charts)
    assert [c.kind for c in charts] == ["accounts", "matrix"]
    assert {p.suffix for p in report.files} == {".svg", ".png"}  # PNGs are made for the deck
    prs = _check_deck(report.deck, charts, "zh")
    table = next(s for s in list(prs.slides)[-1].shapes if s.has_table).table
    assert table.cell(0, 0).text == "指标" and table.cell(1, 0).text == "触达人数"


def test_cli_deck(results, tmp_path, capsys):
    from simulator.cli.entry import main

    deck = tmp_path / "d.pptx"
    code = main(["plot", str(results["twin_star"]), "-o", str(tmp_path / "p"), "--kind", "matrix", "--deck", str(deck)])
    assert code == 0
    assert f"deck       {deck} (3 slides)" in capsys.readouterr().out
    assert len(Presentation(str(deck)).slides) == 3
    assert main(["plot", str(results["twin_star"]), "--deck", str(tmp_path / "d.ppt")]) == 1
    assert ".pptx" in capsys.readouterr().err


def test_missing_python_pptx_is_a_clear_error(results, tmp_path, monkeypatch, capsys):
    from simulator.cli.entry import main

    monkeypatch.setitem(sys.modules, "pptx", None)  # import pptx -> ImportError
    with pytest.raises(RuntimeError, match=r"propsim\[deck\]"):
        build_deck([], tmp_path / "x.pptx", title="t")
    assert main(["plot", str(results["hub"]), "--deck", str(tmp_path / "x.pptx")]) == 1
    assert "python-pptx" in capsys.readouterr().err
    assert not (tmp_path / "x.pptx").exists()


def test_deck_slide_order_and_atomic_write(tmp_path):
    from PIL import Image

    images = []
    for i in range(2):
        images.append(tmp_path / f"chart{i}.png")
        Image.new("RGB", (320, 180), "white").save(images[-1])
    slides = [DeckSlide(p, f"headline {i}") for i, p in enumerate(images)]
    path = build_deck(slides, tmp_path / "deck.pptx", title="标题 Title", subtitle="副标题")
    prs = Presentation(str(path))
    assert [_slide_text(s) for s in prs.slides] == ["标题 Title 副标题", "headline 0", "headline 1"]
    assert not list(tmp_path.glob(".*.tmp"))


def test_deck_prints_swept_values_with_three_digits(tmp_path):
    """Log-spaced p0 (0.00316228...) reads "p0 = 0.00316" in headlines, subtitle and table caption."""
    from simulator.results.output import write_json, write_table

    folder = tmp_path / "logsweep"
    write_table(folder / "runs", log_sweep_runs(), "csv")
    write_json(folder / "manifest.json", {"scenario": "log sweep"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = render(
            folder, tmp_path / "plots", kinds=["reach", "fatigue", "tradeoff"], lang="zh", deck=tmp_path / "log.pptx"
        )
    texts = [_slide_text(s) for s in Presentation(str(report.deck)).slides]
    headlines = [c.takeaway for c in report.charts]
    assert "p0 = 0.00316" in texts[0] and "p0 = 0.00316" in texts[-1]
    assert all("p0 = 0.00316" in h for h in headlines) and set(headlines) <= set(texts)
    for t in texts:
        assert not _too_many_digits(t), t
