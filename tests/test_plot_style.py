"""Slide style: CJK rendering without warnings, 16:9 output, formatters, palettes, labels."""

from __future__ import annotations

import logging
import os
import re
import warnings
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pytest
from matplotlib import font_manager
from PIL import Image

from simulator.plotting import (
    CJK_FONT_ENV,
    KIND_COLORS,
    LABELS,
    NEUTRAL_COLOR,
    TOPOLOGY_COLORS,
    cjk_font_family,
    color_for_kind,
    color_for_topology,
    count_formatter,
    find_cjk_font,
    format_count,
    format_percent,
    label,
    save_figure,
    slide_style,
    use_style,
)
from simulator.plotting import fonts as fonts_mod

TOPOLOGIES = ("centralized", "organic", "hub", "dandelion", "honeycomb", "twin_star")
KINDS = ("official", "sub_brand", "regional", "executive", "employee", "vertical", "other")
INSTALL_HINT = (
    "No CJK font found, Chinese account names would render as boxes. "
    "The project's dependencies bring one (`uv sync`: mpl-font, Noto Sans CJK SC); or install "
    "one with `apt-get install -y fonts-noto-cjk` (Debian/Ubuntu) "
    f"or point {CJK_FONT_ENV} at a .otf/.ttf/.ttc font file."
)


@pytest.fixture
def fresh_font_cache(monkeypatch):
    """Resolve the font again for this test and once more afterwards (env var may change)."""
    find_cjk_font.cache_clear()
    yield
    find_cjk_font.cache_clear()


def _require_cjk_font() -> Path:
    font = find_cjk_font()
    if font is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    return font


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------


def _zh_bar_chart():
    fig, ax = plt.subplots()
    names = ["@万达电影生活", "@阿迪达斯跑步", "@官方旗舰号"]
    reach = [1_234_000, 356_000, 98_000_000]
    colors = [color_for_kind(k) for k in ("official", "vertical", "sub_brand")]
    bars = ax.bar(names, reach, color=colors)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(count_formatter("zh"))
    ax.bar_label(bars, labels=[format_count(v, "zh") for v in reach], padding=4)
    ax.set_title("各账号触达人数（蜂巢式，模拟 72 小时）")
    ax.set_ylabel(label("reach", "zh"))
    ax.set_xlabel("账号")
    fig.suptitle("双子星式 vs 集权式 —— 触达对比")
    return fig


def test_cjk_chart_renders_without_warnings(tmp_path, caplog):
    font = _require_cjk_font()
    caplog.set_level(logging.DEBUG, logger="matplotlib.font_manager")
    with warnings.catch_warnings():
        # Any warning ("Glyph 19975 ... missing from font(s) DejaVu Sans") fails the test.
        warnings.simplefilter("error")
        with slide_style("zh"):
            families = list(matplotlib.rcParams["font.family"])
            fig = _zh_bar_chart()
            try:
                paths = save_figure(fig, tmp_path / "reach_zh", formats=("png", "svg", "pdf"))
            finally:
                plt.close(fig)

    # Only installed families are listed, the CJK one first.
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    assert families[0] == cjk_font_family()
    missing = set(families) - installed
    assert not missing, f"font.family lists fonts that are not installed: {missing}"
    # ...and matplotlib resolved it to the file we found (no "findfont: Font family ... not found").
    resolved = font_manager.findfont(font_manager.FontProperties(family=families))
    assert os.path.samefile(resolved, font)
    not_found = [r.getMessage() for r in caplog.records if "not found" in r.getMessage()]
    assert not not_found, not_found

    assert [p.name for p in paths] == ["reach_zh.png", "reach_zh.svg", "reach_zh.pdf"]
    for p in paths:
        assert p.is_file() and p.stat().st_size > 0
    assert not list(tmp_path.glob(".*.tmp")), "temporary files left behind"

    with Image.open(tmp_path / "reach_zh.png") as img:
        width, height = img.size
        dpi_x, dpi_y = img.info["dpi"]
    assert dpi_x >= 199.5 and dpi_y >= 199.5, img.info
    assert height >= 1500, (width, height)
    assert width / height == pytest.approx(16 / 9, rel=2e-3), (width, height)

    svg = (tmp_path / "reach_zh.svg").read_text(encoding="utf-8")
    assert "<text" not in svg, "SVG text should be outlined (svg.fonttype=path)"
    assert "<path" in svg
    _assert_pdf_fonts_embedded((tmp_path / "reach_zh.pdf").read_bytes(), font)


def _pdf_dicts(pdf: bytes, type_name: bytes) -> list[bytes]:
    """Object dictionaries of one /Type (matplotlib writes them uncompressed)."""
    starts = [m.start() for m in re.finditer(rb"<< /Type /" + type_name + rb"\s", pdf)]
    return [pdf[start : pdf.find(b"endobj", start)] for start in starts]


def _pdf_name(obj: bytes, key: bytes) -> bytes:
    match = re.search(rb"/" + key + rb" /([\w+-]+)", obj)
    assert match, f"no /{key.decode()} in {obj[:120]!r}"
    return match.group(1)


def _assert_pdf_fonts_embedded(pdf: bytes, cjk_font: Path) -> None:
    """Every font is embedded; CFF fonts (Noto Sans CJK) as Type 3, never as mislabelled Type 42."""
    fonts = {_pdf_name(obj, b"BaseFont"): obj for obj in _pdf_dicts(pdf, b"Font")}
    assert fonts, "no fonts in the PDF"
    type3 = {name for name, obj in fonts.items() if _pdf_name(obj, b"Subtype") == b"Type3"}
    for name in type3:
        assert b"/CharProcs" in fonts[name], f"Type 3 font {name!r} has no glyph procedures"
    for descriptor in _pdf_dicts(pdf, b"FontDescriptor"):
        name = _pdf_name(descriptor, b"FontName")
        if name not in type3:
            assert b"/FontFile" in descriptor, f"font {name!r} is not embedded"

    cjk = {name for name in fonts if b"CJK" in name or b"SourceHan" in name}
    assert cjk, f"the CJK font is not used in the PDF: {sorted(fonts)}"
    if fonts_mod._is_cff_font(str(cjk_font)):
        # matplotlib's Type 42 would write CFF data as TrueType (FontFile2): invalid PDF.
        assert cjk <= type3, f"CFF font not embedded as Type 3: {sorted(cjk - type3)}"
        assert b"/FontFile2" not in pdf


def test_bold_title_uses_cjk_bold_when_available():
    font = _require_cjk_font()
    with slide_style("zh"):
        prop = font_manager.FontProperties(family=matplotlib.rcParams["font.family"], weight="bold")
        resolved = Path(font_manager.findfont(prop))
    bold = fonts_mod._bold_sibling(font)
    if bold is not None:
        assert resolved.resolve() == bold.resolve()


def test_style_params():
    before = dict(matplotlib.rcParams)
    with slide_style("en"):
        rc = matplotlib.rcParams
        w, h = rc["figure.figsize"]
        assert w / h == pytest.approx(16 / 9, rel=1e-3)
        assert (w, h) == pytest.approx((13.333, 7.5))
        assert rc["savefig.dpi"] >= 200
        assert not rc["axes.spines.top"] and not rc["axes.spines.right"]
        assert rc["svg.fonttype"] == "path"
        assert rc["font.size"] >= 16
        # Type 42 for TrueType fonts, Type 3 for CFF ones (Noto Sans CJK); ps must match
        # or matplotlib 3.11 fails on CJK text in PDFs.
        assert rc["pdf.fonttype"] in (3, 42)
        assert rc["ps.fonttype"] == rc["pdf.fonttype"]
        font = find_cjk_font()
        if font is not None:
            assert rc["pdf.fonttype"] == (3 if fonts_mod._is_cff_font(str(font)) else 42)
    assert dict(matplotlib.rcParams) == before, "slide_style must restore rcParams on exit"


def test_save_figure_outside_style_context_still_embeds_correctly(tmp_path):
    font = _require_cjk_font()
    with slide_style("zh"):
        fig = _zh_bar_chart()
    try:
        (pdf,) = save_figure(fig, tmp_path / "later.pdf", formats=("pdf",))
    finally:
        plt.close(fig)
    _assert_pdf_fonts_embedded(pdf.read_bytes(), font)


def test_save_figure_suffix_handling_and_dpi_floor(tmp_path):
    fig, ax = plt.subplots(figsize=(4, 2.25), dpi=50)
    ax.plot([0, 1], [0, 1])
    try:
        paths = save_figure(fig, tmp_path / "sub" / "chart.png", formats=("png", ".pdf", "png"), dpi=72)
    finally:
        plt.close(fig)
    assert paths == [tmp_path / "sub" / "chart.png", tmp_path / "sub" / "chart.pdf"]
    with Image.open(paths[0]) as img:
        assert img.info["dpi"][0] >= 199.5
        assert img.size == (800, 450)
    with pytest.raises(ValueError):
        save_figure(plt.figure(), tmp_path / "x", formats=("gif",))
    plt.close("all")


def test_missing_font_warns_once_with_fix(monkeypatch, fresh_font_cache):
    monkeypatch.delenv(CJK_FONT_ENV, raising=False)
    monkeypatch.setattr(fonts_mod, "_candidate_font_files", list)
    monkeypatch.setattr(fonts_mod, "bundled_cjk_fonts", list)  # as if mpl-font were not installed
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with slide_style("zh"):
            families = list(matplotlib.rcParams["font.family"])
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert len(messages) == 1, messages
    assert "fonts-noto-cjk" in messages[0] and CJK_FONT_ENV in messages[0]
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    assert set(families) <= installed
    assert find_cjk_font() is None


def test_env_var_is_honoured(monkeypatch, fresh_font_cache):
    font = _require_cjk_font()
    bold = fonts_mod._bold_sibling(font) or font
    monkeypatch.setenv(CJK_FONT_ENV, str(bold))
    assert find_cjk_font() == bold.resolve()


def test_bad_env_var_warns_and_falls_back(monkeypatch, fresh_font_cache, tmp_path):
    _require_cjk_font()
    bogus = tmp_path / "nope.otf"
    monkeypatch.setenv(CJK_FONT_ENV, str(bogus))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with slide_style("zh"):
            pass
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1 and str(bogus) in messages[0], messages
    assert find_cjk_font() is not None


def test_use_style_rejects_unknown_lang():
    with pytest.raises(ValueError):
        use_style("fr")


# ---------------------------------------------------------------------------
# Formatters
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "en", "zh"),
    [
        (0, "0", "0"),
        (950, "950", "950"),
        (0.5, "0.5", "0.5"),
        (1_200, "1.2k", "1200"),
        (9_500, "9.5k", "9500"),
        (12_000, "12k", "1.2万"),
        (12_345, "12.3k", "1.2万"),
        (123_456, "123k", "12.3万"),
        (999_960, "1M", "100万"),
        (1_200_000, "1.2M", "120万"),
        (120_000_000, "120M", "1.2亿"),
        (1_200_000_000, "1.2B", "12亿"),
        (-12_000, "-12k", "-1.2万"),
    ],
)
def test_format_count(value, en, zh):
    assert format_count(value, "en") == en
    assert format_count(value, "zh") == zh


def test_format_count_edge_cases():
    import numpy as np

    assert format_count(np.int64(12_000), "zh-CN") == "1.2万"
    assert format_count(99_996_000, "zh") == "1亿"
    assert format_count(float("nan")) == "–"
    assert format_count(float("inf")) == "∞"
    with pytest.raises(ValueError):
        format_count(1, "fr")


def test_count_formatter_uses_unicode_minus():
    fmt = count_formatter("zh")
    with matplotlib.rc_context({"axes.unicode_minus": True}):
        assert fmt(-12_000, 0) == "\u22121.2万"
    with matplotlib.rc_context({"axes.unicode_minus": False}):
        assert fmt(-12_000, 0) == "-1.2万"
    assert count_formatter("en")(1_200_000, 0) == "1.2M"


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0%"), (0.1, "10%"), (0.123, "12.3%"), (1, "100%"), (0.0025, "0.25%"), (-0.05, "-5%")],
)
def test_format_percent(value, text):
    assert format_percent(value) == text


def test_format_percent_decimals():
    assert format_percent(0.12345, decimals=2) in ("12.35%", "12.34%")  # binary rounding
    assert format_percent(0.5, decimals=0) == "50%"


# ---------------------------------------------------------------------------
# Palettes and labels
# ---------------------------------------------------------------------------


def test_palettes_complete_and_distinct():
    assert set(TOPOLOGY_COLORS) == set(TOPOLOGIES)
    assert set(KIND_COLORS) == set(KINDS)
    assert len(set(TOPOLOGY_COLORS.values())) == len(TOPOLOGIES)
    assert len(set(KIND_COLORS.values())) == len(KINDS)
    for color in [*TOPOLOGY_COLORS.values(), *KIND_COLORS.values()]:
        assert matplotlib.colors.is_color_like(color)


def test_color_lookup_normalises_and_falls_back():
    twin = color_for_topology("twin_star")
    assert twin == color_for_topology("Twin-Star") == color_for_topology("双子星式")
    assert color_for_kind("sub-brand") == KIND_COLORS["sub_brand"]
    assert color_for_topology("unknown") == NEUTRAL_COLOR
    assert color_for_kind("bot") == NEUTRAL_COLOR


def test_labels_cover_metrics_topologies_and_kinds():
    metrics = (
        "reach", "direct_reach", "second_level_reach", "impressions", "repost_probability",
        "fatigue_share", "mutes", "unfollows", "exits", "time_hours", "followers",
        "exposures_per_person", "effective_reach", "relays", "first_exposures",
        "net_audience_change",
    )  # fmt: skip
    for key in (*metrics, *TOPOLOGIES, *KINDS):
        assert set(LABELS[key]) == {"en", "zh"}, key
        assert label(key, "en") and label(key, "zh")
    assert label("reach", "zh") == "触达人数"
    assert label("reach") == "Reach"
    zh_topologies = {label(t, "zh") for t in TOPOLOGIES}
    assert zh_topologies == {"集权式", "分布式", "HUB式", "蒲公英式", "蜂巢式", "双子星式"}
    assert label("Direct reach", "en") == "Direct reach"
    with pytest.raises(KeyError, match="reach"):
        label("reech")


def test_truetype_only_figure_gets_type42_pdf(tmp_path):
    """Without CFF fonts the PDF keeps embedded TrueType (selectable text)."""
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        fig, ax = plt.subplots()
        ax.set_title("Reach 1.2M")
        try:
            (pdf,) = save_figure(fig, tmp_path / "latin", formats=("pdf",))
        finally:
            plt.close(fig)
    data = pdf.read_bytes()
    assert b"/FontFile2" in data
    assert b"/Subtype /Type3" not in data


def test_save_figure_is_reproducible(tmp_path):
    digests = []
    for run in range(2):
        with slide_style("en"):
            fig, ax = plt.subplots()
            ax.bar(["a", "b"], [1_200, 12_000])
            ax.set_title("Reach")
            try:
                paths = save_figure(fig, tmp_path / f"run{run}", formats=("png", "svg", "pdf"))
            finally:
                plt.close(fig)
        digests.append([p.read_bytes() for p in paths])
    assert digests[0] == digests[1]


# ---------------------------------------------------------------------------
# Contrast, one label table, slide-ready names, consistent rounding
# ---------------------------------------------------------------------------


def test_every_meaningful_colour_passes_wcag_aa_on_white():
    from simulator.plotting._figure import CYCLE
    from simulator.plotting.palette import (
        AA_CONTRAST,
        NS_COLOR,
        OKABE_ITO,
        SEQUENTIAL,
        SIGNIFICANT_COLOR,
        contrast_ratio,
        sequential_color,
    )

    assert contrast_ratio("#000000") == pytest.approx(21.0) and contrast_ratio("#FFFFFF") == pytest.approx(1.0)
    assert contrast_ratio(OKABE_ITO["orange"]) < AA_CONTRAST  # why the palette darkens it
    colours = [*TOPOLOGY_COLORS.values(), *KIND_COLORS.values(), NEUTRAL_COLOR, NS_COLOR, SIGNIFICANT_COLOR]
    colours += [*SEQUENTIAL, *CYCLE] + [sequential_color(i, n) for n in range(1, 12) for i in range(n)]
    for c in colours:
        assert contrast_ratio(c) >= AA_CONTRAST, (c, contrast_ratio(c))


def test_one_label_table_with_metric_names_from_results_metrics():
    from simulator.results.metrics import METRICS

    for name, m in METRICS.items():
        assert label(name, "en") == m.en and label(name, "zh") == m.zh
    assert label("exits") == "Exits caused by the campaign" and label("churned") == "Baseline churn"
    # Every text a chart asks for exists in both languages with the same fields.
    src = "\n".join(p.read_text(encoding="utf-8") for p in Path("simulator/plotting").glob("*.py"))
    keys = set(re.findall(r'\btext\(\s*"([a-z_0-9]+)"', src))
    assert len(keys) > 60
    for key in keys:
        assert key in LABELS, key
        en, zh = LABELS[key]["en"], LABELS[key]["zh"]
        assert set(re.findall(r"{(\w+)", en)) == set(re.findall(r"{(\w+)", zh)), key


def test_swept_fields_get_human_names_never_dotted_paths():
    from simulator.plotting.names import param_label, parameter_labels, readable_path, relay_labels

    assert param_label("topology.preset") == "Matrix" and param_label("topology.preset", "zh") == "矩阵结构"
    assert param_label("behaviour.p0") == "repost probability p0"
    for path in ("relays.3.probability", "fatigue.tolerance.sigma", "topology.params.core_overlap", "accounts.2.x_y"):
        for lang in ("en", "zh"):
            assert not re.search(r"\w\.\w", param_label(path, lang)), param_label(path, lang)
    assert readable_path("relays.3.probability") == "relay 4 probability"
    scenario = {"relays": [{"source": "official", "target": "city", "probability": 0.5}]}
    assert relay_labels(scenario)["relays.0.probability"]["en"] == "official → city relay probability"
    with parameter_labels(relay_labels(scenario)), parameter_labels({"behaviour.p0": {"en": "virality"}}):
        assert param_label("relays.0.probability") == "official → city relay probability"
        assert param_label("behaviour.p0") == "virality" and param_label("behaviour.p0", "zh") == "virality"
    assert param_label("behaviour.p0") == "repost probability p0"  # the context is gone


def test_numbers_compared_side_by_side_carry_the_same_digits():
    from simulator.plotting.formatters import format_same_unit, format_sig

    assert (format_sig(92_100, "zh"), format_sig(89_700, "zh")) == ("9.21万", "8.97万")
    assert (format_sig(92_100), format_sig(89_700), format_sig(9_000)) == ("92.1k", "89.7k", "9.00k")
    assert format_sig(999_960) == "1.00M" and format_sig(99_996_000, "zh") == "1.00亿"
    assert format_sig(1.25, integer=True) == "1" and format_sig(424, integer=True) == "424"
    assert format_same_unit([8_100, 1_230]) == ["8.1k", "1.2k"] and format_same_unit([1_700, 582]) == ["1.7k", "0.6k"]
    assert format_same_unit([701, 338], integer=True) == ["701", "338"]
    assert format_same_unit([-4_900, 2_300], "zh") == ["-4900", "2300"]


def test_labels_move_only_as_far_as_overlap_requires():
    import numpy as np

    from simulator.plotting._figure import spread_positions

    np.testing.assert_allclose(spread_positions([0.2, 0.5, 0.8], 0.1), [0.2, 0.5, 0.8])  # no overlap: untouched
    np.testing.assert_allclose(spread_positions([0.5, 0.5, 0.5], 0.1), [0.4, 0.5, 0.6])  # centred on the target
    y = spread_positions([0.98, 0.99, 0.97, 0.1], 0.1, lo=0.05, hi=0.95)
    assert y.max() <= 0.95 + 1e-12 and y[3] == pytest.approx(0.1)
    order = np.sort(y[:3])
    assert np.all(np.diff(order) >= 0.1 - 1e-12)
