"""Chart titles, axis texts and parameter names in English and Chinese.

Metric, topology and account-kind names live in :data:`simulator.plotting.style.LABELS`
(:func:`~simulator.plotting.style.label`); this module holds the longer chart texts, which take
``str.format`` fields, and the display names of swept parameters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from simulator.plotting.style import LABELS, _norm_lang, format_value, label

TEXTS: dict[str, dict[str, str]] = {
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
    "mean_frequency": {"en": "{f:.1f} times per person", "zh": "人均 {f:.1f} 次"},
    "total_reach": {"en": "Total reach", "zh": "总触达人数"},
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

# Display names of swept parameters (scenario paths). Regexes, first match wins.
_PARAM_NAMES: tuple[tuple[str, dict[str, str]], ...] = (
    (r"behaviour\.p0", {"en": "repost probability p0", "zh": "转发概率 p0"}),
    (r"behaviour\.p0_promotional", {"en": "repost probability (promotions)", "zh": "推广内容转发概率"}),
    (
        r"relays\.\d+\.probability|topology\.params\.(relay|on_topic|spoke|official_to_\w+)_probability",
        {"en": "relay probability", "zh": "接力转发概率"},
    ),
    (r"topology\.params\.(\w+_)?probability", {"en": "relay probability", "zh": "接力转发概率"}),
    (r"topology(\.preset)?", {"en": "topology", "zh": "矩阵结构"}),
    (r"fatigue\.kappa", {"en": "exit rate κ", "zh": "流失系数 κ"}),
    (r"fatigue\.tolerance(\.median)?", {"en": "fatigue tolerance", "zh": "疲劳容忍度"}),
    (r"population\.size", {"en": "population", "zh": "人群规模"}),
)

_SHORT_NAMES = {"behaviour.p0": "p0"}


def text(key: str, lang: str = "en", **fields: Any) -> str:
    """Chart text ``key`` in ``lang`` with ``fields`` filled in."""
    return TEXTS[key][_norm_lang(lang)].format(**fields)


def param_label(path: str, lang: str = "en") -> str:
    """Display name of a swept parameter (``behaviour.p0`` -> "repost probability p0")."""
    lang = _norm_lang(lang)
    for pattern, names in _PARAM_NAMES:
        if re.fullmatch(pattern, path):
            return names[lang]
    return path


def param_short(path: str) -> str:
    """Short symbol for a parameter in running text: ``behaviour.p0`` -> ``p0``."""
    return _SHORT_NAMES.get(path, path.rsplit(".", 1)[-1] if "." in path else path)


def value_label(value: Any, lang: str = "en", among: Iterable[Any] | None = None) -> str:
    """A group value for legends: topology and kind names are translated, numbers with 3
    significant digits (:func:`~simulator.plotting.style.format_value`; ``among``: the other
    values shown with it, so that no two print alike)."""
    if isinstance(value, str):
        key = re.sub(r"[\s\-]+", "_", value.strip().lower())
        if key in LABELS:
            return label(key, lang)
        return value
    return format_value(value, among)


def group_label(by: str | None, value: Any, lang: str = "en", among: Iterable[Any] | None = None) -> str:
    """Legend entry of one line: ``Hub`` for topologies, ``p0 = 0.00316`` for numbers."""
    if by is None:
        return ""
    shown = value_label(value, lang, among)
    if isinstance(value, str):
        return shown
    name = param_label(by, lang)
    name = param_short(by) if name == by else name  # unknown paths: the last part only
    return f"{name} = {shown}"


def param_value(path: str, value: Any, among: Iterable[Any] | None = None) -> str:
    """``p0 = 0.00316`` for running text and footers (``among``: the other swept values)."""
    return f"{param_short(path)} = {format_value(value, among)}"
