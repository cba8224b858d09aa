"""The CJK font that propsim's own dependencies bring (mpl-font: Noto Sans CJK SC Regular + Bold).

These tests hide the system's fonts from the style (as on a fresh machine without
fonts-noto-cjk) and check that Chinese charts still render with a real CJK font and a real bold;
and that the bundled font never outranks ``$PROPSIM_CJK_FONT`` or a system font.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pytest
from matplotlib import font_manager, ft2font

from simulator.plotting import CJK_FONT_ENV, cjk_font_family, find_cjk_font, fonts_bundled, save_figure, slide_style
from simulator.plotting import fonts as fonts_mod


@pytest.fixture(autouse=True)
def fresh_font_cache():
    """Resolve afresh, and afterwards forget the fonts registered here: the bundled font has the
    same family name as Debian's ("Noto Sans CJK SC"), so left registered it could answer
    findfont() in later tests that expect the system file."""
    fm = font_manager.fontManager
    before = list(fm.ttflist)
    find_cjk_font.cache_clear()
    yield
    fm.ttflist[:] = before
    fm._findfont_cached.cache_clear()
    find_cjk_font.cache_clear()


@pytest.fixture
def no_system_fonts(monkeypatch):
    """Only the bundled font is left: no env var, no system candidates, and no system CJK font an
    earlier test registered with matplotlib (same family name: findfont() would answer with it)."""
    monkeypatch.delenv(CJK_FONT_ENV, raising=False)
    monkeypatch.setattr(fonts_mod, "_candidate_font_files", list)
    fm = font_manager.fontManager
    fm.ttflist[:] = [f for f in fm.ttflist if "CJK" not in f.name or fonts_bundled.is_bundled(f.fname)]
    fm._findfont_cached.cache_clear()


def _bundled() -> Path:
    fonts = fonts_bundled.bundled_cjk_fonts()
    assert fonts, "mpl-font is a dependency of propsim: `uv sync` installs it"
    return Path(fonts[0])


def test_the_dependency_ships_a_static_sc_font_with_bold():
    regular = _bundled()
    bold = fonts_mod._bold_sibling(regular)
    assert bold is not None and bold.name == "NotoSansCJKsc-Bold.otf"
    for path, weight in ((regular, "Regular"), (bold, "Bold")):
        font = ft2font.FT2Font(os.fspath(path))
        assert (font.family_name, font.style_name) == ("Noto Sans CJK SC", weight)
        assert fonts_mod._has_cjk_glyphs(path)
        # Static, not a variable font (those draw in their Thin default instance in matplotlib).
        assert not font.face_flags & ft2font.FaceFlags.MULTIPLE_MASTERS
        assert fonts_mod._is_cff_font(os.fspath(path))  # CFF outlines: Type 3 in PDFs
        # The OFL is stated in the font itself (name ID 13, license description).
        license_text = font.get_sfnt().get((3, 1, 0x409, 13), b"").decode("utf-16-be")
        assert "SIL Open Font License" in license_text
        assert fonts_bundled.is_bundled(path)
    assert fonts_mod._font_rank(os.fspath(regular)) == (0, 0)  # the preferred file name
    assert not fonts_bundled.is_bundled(matplotlib.get_data_path())


def test_bundled_font_is_used_when_the_system_has_none(no_system_fonts, tmp_path):
    regular = _bundled()
    assert find_cjk_font() == regular
    assert cjk_font_family() == "Noto Sans CJK SC"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing" or "no CJK font" would fail here
        with slide_style("zh"):
            families = list(matplotlib.rcParams["font.family"])
            bold = font_manager.findfont(font_manager.FontProperties(family=families, weight="bold"))
            assert matplotlib.rcParams["pdf.fonttype"] == 3  # CFF font: Type 3, never mislabelled Type 42
            fig, ax = plt.subplots()
            ax.bar(["@万达电影生活", "@官方旗舰号"], [1.2e6, 3.4e5])
            ax.set_title("各账号触达人数")  # bold (axes.titleweight)
            paths = save_figure(fig, tmp_path / "zh", formats=("png", "pdf"))
            plt.close(fig)
    assert families[0] == "Noto Sans CJK SC"
    assert Path(bold) == fonts_mod._bold_sibling(regular)
    pdf = paths[1].read_bytes()
    names = set(re.findall(rb"/BaseFont\s*/([^\s/<>\[\]]+)", pdf))
    assert any(b"NotoSansCJKsc-Regular" in n for n in names), names
    assert any(b"NotoSansCJKsc-Bold" in n for n in names), names
    assert b"/FontFile2" not in pdf


def test_system_fonts_and_env_var_rank_before_the_bundled_one(monkeypatch):
    regular = _bundled()
    fonts_mod._register(regular)  # even once matplotlib knows the file...
    candidates = fonts_mod._candidate_font_files()
    assert not any(fonts_bundled.is_bundled(f) for f in candidates)  # ...it is not a system candidate
    monkeypatch.delenv(CJK_FONT_ENV, raising=False)
    if any(fonts_mod._font_rank(f) is not None and fonts_mod._has_cjk_glyphs(Path(f)) for f in candidates):
        assert not fonts_bundled.is_bundled(find_cjk_font())  # a system CJK font wins
    find_cjk_font.cache_clear()
    bold = fonts_mod._bold_sibling(regular)
    monkeypatch.setenv(CJK_FONT_ENV, os.fspath(bold))
    assert find_cjk_font() == bold.resolve()  # the env var wins over everything
