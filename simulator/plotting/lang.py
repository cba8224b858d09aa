"""Chart languages: every text of a chart or deck is English (``"en"``) or Simplified Chinese (``"zh"``)."""

from __future__ import annotations

__all__ = ["LANGS", "norm_lang"]

LANGS = ("en", "zh")


def norm_lang(lang: str) -> str:
    """Map 'en', 'EN', 'zh', 'zh-CN', 'zh_Hans', 'cn' to 'en' / 'zh'; ValueError otherwise."""
    key = str(lang).strip().lower().replace("_", "-")
    if key == "en" or key.startswith("en-"):
        return "en"
    if key in ("zh", "cn") or key.startswith("zh-"):
        return "zh"
    raise ValueError(f"unsupported lang {lang!r}; use 'en' or 'zh'")
