"""The one bilingual label table: every word a chart, takeaway or deck shows, in English and Chinese.

:data:`LABELS` maps a key to ``{"en": ..., "zh": ...}``. It holds three kinds of entries:

- run metrics (``reach``, ``exits``, ``churned``...), taken from :mod:`simulator.results.metrics`, the
  single source of metric names, units, bounds and causes;
- terms: topology presets, account kinds and axis words (``hub`` -> "Hub" / "HUB式");
- chart texts: titles, notes and sentences with ``str.format`` fields (``title_reach`` ->
  "Reach vs. {x}").

:func:`label` returns a term or metric name, :func:`text` fills in a chart text. Unknown keys raise
``KeyError`` with close matches, so a typo never reaches a slide.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from simulator.plotting.lang import norm_lang
from simulator.results.metrics import METRICS

__all__ = ["LABELS", "label", "norm_key", "text"]

_TERMS: dict[str, dict[str, str]] = {
    # axis words and quantities that are not run metrics
    "repost_probability": {"en": "Repost probability", "zh": "转发概率"},
    "time_hours": {"en": "Time (hours)", "zh": "时间（小时）"},
    "followers": {"en": "Followers", "zh": "粉丝数"},
    "exposures_per_person": {"en": "Exposures per person", "zh": "人均曝光次数"},
    "relays": {"en": "Relays", "zh": "接力转发数"},
    "first_exposures": {"en": "First exposures", "zh": "首次曝光人数"},
    "topology": {"en": "Topology", "zh": "矩阵结构"},
    # topology presets
    "centralized": {"en": "Centralized", "zh": "集权式"},
    "organic": {"en": "Organic", "zh": "分布式"},
    "hub": {"en": "Hub", "zh": "HUB式"},
    "dandelion": {"en": "Dandelion", "zh": "蒲公英式"},
    "honeycomb": {"en": "Honeycomb", "zh": "蜂巢式"},
    "twin_star": {"en": "Twin star", "zh": "双子星式"},
    # account kinds
    "official": {"en": "Official", "zh": "官方号"},
    "sub_brand": {"en": "Sub-brand", "zh": "子品牌号"},
    "regional": {"en": "Regional", "zh": "地区号"},
    "executive": {"en": "Executive", "zh": "高管号"},
    "employee": {"en": "Employee", "zh": "员工号"},
    "vertical": {"en": "Vertical", "zh": "垂类号"},
    "other": {"en": "Other", "zh": "其他"},
}

_TEXTS: dict[str, dict[str, str]] = {
    # chart titles
    "title_reach": {"en": "Reach vs. {x}", "zh": "触达人数随{x}的变化"},
    "title_fatigue": {"en": "Fatigue and exits vs. {x}", "zh": "疲劳与流失随{x}的变化"},
    "title_tradeoff": {"en": "Reach–fatigue trade-off", "zh": "触达与疲劳的权衡"},
    "title_timeline": {"en": "Cumulative reach over time", "zh": "累计触达人数随时间变化"},
    "title_frequency": {"en": "How often people saw the campaign", "zh": "受众看到内容的次数分布"},
    "title_accounts": {"en": "What each account contributed (top {n})", "zh": "各账号贡献（前 {n} 名）"},
    "title_matrix": {"en": "Account matrix: {name}", "zh": "账号矩阵：{name}"},
    "title_path": {"en": "Propagation path: {item}", "zh": "传播路径：{item}"},
    # panel titles / axis labels
    "fatigue_share_axis": {"en": "Fatigued (share of reached)", "zh": "疲劳人数占触达比例"},
    "exits_axis": {"en": "Exits (mutes + unfollows)", "zh": "流失人数（屏蔽 + 取关）"},
    "people": {"en": "People", "zh": "人数"},
    "times_seen": {"en": "Times seen (deliveries per person)", "zh": "看到次数（每人收到的推送数）"},
    "effective_line": {
        "en": "effective reach (seen {k}+ times): {n} people, {share} of reached",
        "zh": "有效触达（看到 {k} 次及以上）：{n} 人，占触达人数 {share}",
    },
    "below_threshold": {"en": "seen fewer than {k} times", "zh": "看到不足 {k} 次"},
    "at_or_above": {"en": "seen {k}+ times (effective reach)", "zh": "看到 {k} 次及以上（有效触达）"},
    "mean_frequency_note": {"en": "{f:.1f} times per person", "zh": "人均 {f:.1f} 次"},
    "total_reach": {"en": "Total reach", "zh": "总触达人数"},
    "post_time": {"en": "post published", "zh": "内容发布"},
    "post_markers": {"en": "▲ on the time axis: original posts", "zh": "时间轴上的 ▲：原创内容发布时间"},
    "median_band": {
        "en": "lines: median of {n} replicates; bands: 10–90%",
        "zh": "线：{n} 次重复的中位数；带：10%–90%",
    },
    "ci_band": {
        "en": "bands: 95% confidence interval of the mean ({n} replicates)",
        "zh": "阴影：均值的 95% 置信区间（{n} 次重复）",
    },
    "frontier": {"en": "Efficient frontier", "zh": "有效前沿"},
    "few_exits": {
        "en": "few exits at this size (at most 1 per run on average): exit differences are noise",
        "zh": "该规模下流失极少（平均每次运行不超过 1 人），流失差异属随机波动",
    },
    "dodged": {"en": "points set side by side by {by}", "zh": "不同{by}的点左右错开显示"},
    "no_exits": {"en": "no exits at this size", "zh": "该规模下无人流失"},
    "ci_whiskers": {
        "en": "whiskers: 95% confidence interval of the mean ({n} replicates)",
        "zh": "误差线：均值的 95% 置信区间（{n} 次重复）",
    },
    "reach_whiskers": {
        "en": "vertical whiskers: 95% confidence interval of mean reach ({n} replicates)",
        "zh": "竖线：触达人数均值的 95% 置信区间（{n} 次重复）",
    },
    "size_note": {"en": "larger marker = higher {x} ({lo} to {hi})", "zh": "点越大 {x} 越高（{lo} 至 {hi}）"},
    "median_bars": {"en": "bars: median of {n} replicates", "zh": "柱：{n} 次重复的中位数"},
    "frontier_note": {
        "en": "up and to the left is better: more reach, fewer exits",
        "zh": "越靠左上越好：触达更多、流失更少",
    },
    "first_exposures_panel": {"en": "First exposures caused", "zh": "带来的首次曝光人数"},
    "direct_part": {"en": "by its own posts", "zh": "其自身发布"},
    "via_reposts_part": {"en": "via followers' reposts", "zh": "经粉丝转发"},
    "relays_panel": {"en": "Relays published", "zh": "接力转发次数"},
    "net_change_panel": {"en": "Net audience change", "zh": "受众净变化"},
    "matrix_sizes": {"en": "followers", "zh": "粉丝数"},
    "matrix_edges": {"en": "relay probability", "zh": "接力转发概率"},
    "matrix_kinds": {"en": "account kind", "zh": "账号类型"},
    "matrix_note": {
        "en": "{accounts} accounts, {edges} relay edges; labels: {labelled}",
        "zh": "{accounts} 个账号，{edges} 条接力转发关系；标注：{labelled}",
    },
    "labels_all": {"en": "all accounts", "zh": "全部账号"},
    "labels_top": {
        "en": "the largest accounts and groups (overlapping labels dropped)",
        "zh": "粉丝数最多的账号和账号组（重叠的标注已省略）",
    },
    "path_time": {"en": "Hours after the post", "zh": "发布后的小时数"},
    "path_cum": {"en": "Reach added by relays", "zh": "接力转发新增触达"},
    "path_more": {"en": "+{k} smaller relays not shown (+{n} people)", "zh": "另有 {k} 次较小的接力未显示（+{n} 人）"},
    "path_total": {
        "en": "{n} account relays of this post; together they reached {r} people first",
        "zh": "该内容共被账号接力转发 {n} 次，合计首次触达 {r} 人",
    },
    "path_none": {"en": "No account relayed this item", "zh": "该内容没有账号接力转发"},
    "original_post": {"en": "original post", "zh": "原始发布"},
    "single_value": {"en": "single run", "zh": "单次运行"},
    "held_at": {"en": "at {desc}", "zh": "条件：{desc}"},
    "at_x": {"en": "at {x} = {v}", "zh": "{x} = {v} 时"},
}


def _merge(*tables: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for table in tables:
        for key, texts in table.items():
            if key in out:  # one meaning per key, or a chart would show the wrong words
                raise KeyError(f"label {key!r} defined twice")
            out[key] = texts
    return out


#: Every label: metrics (from simulator.results.metrics), terms, then chart texts.
LABELS: dict[str, dict[str, str]] = _merge(
    {name: {"en": m.en, "zh": m.zh} for name, m in METRICS.items()}, _TERMS, _TEXTS
)

_ZH_TO_KEY = {texts["zh"]: key for key, texts in {**_TERMS}.items()}

#: Extra spellings accepted by :func:`label`.
_LABEL_ALIASES = {
    "time": "time_hours",
    "hours": "time_hours",
    "second_reach": "second_level_reach",
    "indirect_reach": "second_level_reach",
    "net_change": "net_audience_change",
    "twinstar": "twin_star",
    "subbrand": "sub_brand",
}


def norm_key(name: str) -> str:
    """'Twin-Star', 'twin star', 'TWIN_STAR' -> 'twin_star'; Chinese names map back to their keys."""
    s = str(name).strip()
    if s in _ZH_TO_KEY:
        return _ZH_TO_KEY[s]
    return re.sub(r"[\s\-]+", "_", s.lower())


def label(key: str, lang: str = "en") -> str:
    """Display name of a metric or term in ``lang`` (``label("reach", "zh") == "触达人数"``).

    Keys are case/space/hyphen-insensitive (``"Twin-star"``, ``"direct reach"``). Unknown keys
    raise ``KeyError`` with close matches.
    """
    lang = norm_lang(lang)
    norm = norm_key(key)
    norm = _LABEL_ALIASES.get(norm, norm)
    try:
        return LABELS[norm][lang]
    except KeyError:
        close = difflib.get_close_matches(norm, LABELS, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"no label for {key!r}{hint}") from None


def text(key: str, lang: str = "en", **fields: Any) -> str:
    """Chart text ``key`` in ``lang`` with ``fields`` filled in (``text("title_reach", x="p0")``)."""
    return LABELS[key][norm_lang(lang)].format(**fields)
