"""CJK fonts that arrive with propsim's own Python dependencies (no system font needed).

Chinese account names must render on a fresh machine where nothing was installed by hand, so
propsim depends on a font package from the Python package index. :mod:`simulator.plotting.fonts`
asks this module last: ``$PROPSIM_CJK_FONT`` first, then fonts installed on the system (e.g.
Debian's ``fonts-noto-cjk``, Noto Sans CJK 2.004), then the files listed here.

The package: ``mpl-font`` 1.1.0 ships Noto Sans CJK SC (Simplified-Chinese forms), Regular and
Bold, as static OpenType files (``NotoSansCJKsc-Regular.otf`` / ``-Bold.otf``, font version
1.004). The fonts are Google/Adobe's Noto Sans CJK under the SIL Open Font License 1.1 (stated in
each font's name table; the package's own code is BSD, and it bundles no proprietary font). They
have CFF (PostScript) outlines, so the slide style embeds them in PDFs as Type 3 (glyph outlines;
the text is not selectable), not Type 42. Of the index packages looked at, none ships a static
TrueType-outline Noto Sans CJK / Source Han Sans; the TrueType ones seen are variable fonts, which
matplotlib draws in their Thin default instance. The package also holds WenQuanYi Micro Hei,
which is not used here.

Nothing here imports the font package (importing ``mpl_font`` imports pyplot, and its submodules
change rcParams): the files are located through its import spec only.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path

__all__ = ["BUNDLED_FONTS", "bundled_cjk_fonts", "is_bundled"]

#: (importable package, regular-weight font file inside it), preferred first. A ``-Bold`` sibling
#: next to the file is registered too (``fonts._bold_sibling``).
BUNDLED_FONTS: tuple[tuple[str, str], ...] = (("mpl_font", "fonts/noto/NotoSansCJKsc-Regular.otf"),)


@functools.cache
def _package_dirs(package: str) -> tuple[Path, ...]:
    try:
        spec = importlib.util.find_spec(package)  # finds, does not import
    except (ImportError, ValueError):
        return ()
    if spec is None or not spec.submodule_search_locations:
        return ()
    return tuple(Path(p).resolve() for p in spec.submodule_search_locations)


def bundled_cjk_fonts() -> list[str]:
    """Paths of the regular-weight CJK fonts shipped by installed packages, preferred first."""
    found: list[str] = []
    for package, relative in BUNDLED_FONTS:
        for base in _package_dirs(package):
            path = base / relative
            if path.is_file():
                found.append(os.fspath(path))
                break
    return found


def is_bundled(fname: str | os.PathLike[str]) -> bool:
    """True if ``fname`` lies inside one of the font packages (so it ranks after system fonts)."""
    try:
        path = Path(fname).resolve()
    except OSError:
        return False
    return any(path.is_relative_to(base) for package, _ in BUNDLED_FONTS for base in _package_dirs(package))
