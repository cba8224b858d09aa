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
    "custom": {"en": "Your matrix", "zh": "自有矩阵"},  # propsim compare: the user's own matrix
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
    # --- statistics: how claims are decided ---
    "method_paired": {
        "en": "differences paired by replicate ({n} replicates, same seeds)",
        "zh": "按重复配对比较（{n} 次重复，相同随机种子）",
    },
    "method_unpaired": {
        "en": "unpaired comparison (replicates were not run with the same seeds; {n} runs each)",
        "zh": "非配对比较（各重复的随机种子不同；每组 {n} 次运行）",
    },
    "method_single": {"en": "; 95% intervals", "zh": "；95% 置信区间"},
    "method_holm": {
        "en": "; 95% intervals and tests adjusted for {m} comparisons (Holm)",
        "zh": "；95% 置信区间与检验按 {m} 组比较校正（Holm 法）",
    },
    "no_effect_rule": {
        "en": "no measurable effect: every difference n.s. or below 1 person per 10,000",
        "zh": "无可测差异：所有差异均不显著或低于万分之一人口",
    },
    "no_effect_short": {"en": "no measurable effect", "zh": "无可测差异"},
    "negligible": {"en": "negligible", "zh": "可忽略"},
    "exits_short": {"en": "Exits caused by the campaign", "zh": "活动导致的流失"},
    "no_effect_panel": {
        "en": "No measurable effect\n(differences n.s. or below\n1 person per 10,000)",
        "zh": "无可测差异\n（差异均不显著或\n低于万分之一人口）",
    },
    "no_effect_sentence": {
        "en": "No measurable effect:\n{level} per run at every setting;\n"
        "every difference is n.s. or\nbelow 1 person per 10,000",
        "zh": "无可测差异：\n各设置下每次运行 {level} 人；\n所有差异均不显著\n或低于万分之一人口",
    },
    "exits_definition": {
        "en": "exits: mutes + unfollows caused by the campaign (baseline churn not included)",
        "zh": "流失：活动导致的屏蔽 + 取关（不含自然流失）",
    },
    "plausible_label": {"en": "plausible range", "zh": "合理取值区间"},
    "plausible_note": {
        "en": "grey area: plausible range of the calibrated {profile} profile",
        "zh": "灰色区域：{profile} 校准画像的合理取值区间",
    },
    # --- difference (forest) chart ---
    "title_differences": {"en": "Difference from {baseline}", "zh": "与{baseline}的差异"},
    "forest_note": {
        "en": "dot: mean difference; bar: 95% interval; grey, hollow: similar (n.s.)",
        "zh": "圆点：平均差异；横线：95% 置信区间；灰色空心：差异不显著",
    },
    # --- trade-off chart ---
    "no_verdict": {
        "en": "no frontier drawn: dominance needs the sweep's runs (paired comparisons)",
        "zh": "未绘制有效前沿：判断占优需要扫描的逐次运行数据（配对比较）",
    },
    "dominated_note": {
        "en": "faded: dominated (another option reaches significantly more people without significantly more exits)",
        "zh": "浅色：被占优（另一方案触达显著更多，且流失不显著更多）",
    },
    "none_dominated": {
        "en": "no option is dominated: differences are within the 95% intervals or are trade-offs",
        "zh": "没有方案被占优：差异在 95% 置信区间之内，或属于此消彼长的权衡",
    },
    "cost_no_effect": {"en": "exits: no measurable effect", "zh": "流失：无可测差异"},
    # --- takeaways ---
    "sep": {"en": "; ", "zh": "；"},
    "list_sep": {"en": ", ", "zh": "、"},
    "at_head": {"en": "At {x} = {v}, ", "zh": "{x} = {v} 时，"},
    "more_reach_reach": {
        "en": "{a} reaches {d} more people than {b} ({pair})",
        "zh": "{a}比{b}多触达 {d} 人（{pair}）",
    },
    "more_reach_effective_reach": {
        "en": "{a} reaches {d} more people effectively than {b} ({pair})",
        "zh": "{a}的有效触达比{b}多 {d} 人（{pair}）",
    },
    "more_metric": {"en": "{a}: {metric} higher than {b} by {d} ({pair})", "zh": "{a}的{metric}比{b}高 {d}（{pair}）"},
    "similar_metric": {
        "en": "{a} and {b} are similar in {metric} ({pair}, n.s.)",
        "zh": "{a}与{b}的{metric}相近（{pair}，差异不显著）",
    },
    "exits_clause_no_effect": {"en": "exits: no measurable effect", "zh": "流失无可测差异"},
    "exits_clause_similar": {"en": "with similar exits (n.s.)", "zh": "流失相近（差异不显著）"},
    "time_since_start": {"en": "Hours since the first post", "zh": "首次发布后的小时数"},
    "exits_clause_more": {"en": "at {d} more exits", "zh": "但多导致 {d} 人流失"},
    "exits_clause_fewer": {"en": "with {d} fewer exits", "zh": "且少导致 {d} 人流失"},
    "trend": {
        "en": "Reach goes from {lo} at {x} = {a} to {hi} at {x} = {b} ({d})",
        "zh": "{x} 从 {a} 增至 {b}，触达人数从 {lo} 变为 {hi}（{d}）",
    },
    "exits_no_effect": {
        "en": "no measurable effect on exits caused by the campaign ({level} per run; "
        "every difference n.s. or below 1 person per 10,000)",
        "zh": "活动导致的流失没有可测差异（每次运行 {level} 人；所有差异均不显著或低于万分之一人口）",
    },
    "exits_fewer": {
        "en": "{a} causes {d} fewer exits than {b} ({pair})",
        "zh": "{a}比{b}少导致 {d} 人流失（{pair}）",
    },
    "exits_similar": {
        "en": "exits caused by the campaign are similar ({a} vs {b}: {pair}, n.s.)",
        "zh": "活动导致的流失相近（{a}对比{b}：{pair}，差异不显著）",
    },
    "fatigued_share": {"en": "{share} of those reached are fatigued", "zh": "{share} 的触达人群出现疲劳"},
    "dominated": {
        "en": "{a} dominates {b}: {d} more people reached, {exits}",
        "zh": "{a}优于{b}：多触达 {d} 人，{exits}",
    },
    "also_dominated": {"en": "also dominated: {names}", "zh": "同样被占优：{names}"},
    "tradeoff_pair": {
        "en": "a real trade-off: {a} reaches {d} more people than {b}, {exits}",
        "zh": "存在权衡：{a}比{b}多触达 {d} 人，{exits}",
    },
    "no_dominance": {
        "en": "no option dominates another: reach and exit differences are within the 95% intervals (similar, n.s.)",
        "zh": "没有方案占优：触达与流失的差异都在 95% 置信区间之内（相近，差异不显著）",
    },
    "vs_base_none": {
        "en": "No option differs measurably from {base} in {metric} (all n.s.)",
        "zh": "各方案的{metric}与{base}相比均无可测差异（均不显著）",
    },
    "vs_base_gain": {
        "en": "{k} of {m} options differ from {base} in {metric}; the largest gain: {a}, {d} more",
        "zh": "{m} 个方案中有 {k} 个的{metric}与{base}存在显著差异；增幅最大的是{a}，多 {d}",
    },
    "vs_base_loss": {
        "en": "{k} of {m} options differ from {base} in {metric}; none gains: the smallest loss is {a}, {d} fewer",
        "zh": "{m} 个方案中有 {k} 个的{metric}与{base}存在显著差异；均为下降，降幅最小的是{a}，少 {d}",
    },
    "reposts_add_all": {
        "en": "followers' reposts add about {share} on top of direct reach for every option",
        "zh": "各方案中粉丝转发都在直接触达之外增加约 {share}",
    },
    "reposts_add": {
        "en": "followers' reposts add {share} on top of direct reach",
        "zh": "粉丝转发在直接触达之外增加 {share}",
    },
    "reposts_range": {
        "en": "followers' reposts add {sa} on top of direct reach for {a} and {sb} for {b} ({d} more people)",
        "zh": "粉丝转发在直接触达之外为{a}增加 {sa}，为{b}增加 {sb}（多 {d} 人）",
    },
    "reposts_similar": {
        "en": "followers' reposts add {sb} ({b}) to {sa} ({a}) on top of direct reach (similar, n.s.)",
        "zh": "粉丝转发在直接触达之外增加 {sb}（{b}）至 {sa}（{a}）（差异不显著）",
    },
    "effective_one": {
        "en": "{share} of the people reached saw it {k}+ times (effective reach)",
        "zh": "{share} 的触达人群看到 {k} 次及以上（有效触达）",
    },
    # --- recommendation slide ---
    "title_recommendation": {"en": "Recommendation", "zh": "建议"},
    "objective_reach_per_exit": {
        "en": "Reach per campaign-caused exit",
        "zh": "每个活动导致流失对应的触达人数",
    },
    "rec_best": {
        "en": "Recommended: {best}, the highest {objective}: {value}",
        "zh": "建议选择{best}：{objective}最高，{value}",
    },
    "rec_tied": {
        "en": "{names} are statistically tied on {objective}: choose among them on cost and fit",
        "zh": "{names}的{objective}在统计上不相上下：可按成本与适配度选择",
    },
    "rec_tied_detail": {
        "en": "{best} has the highest mean, but its lead over {names} is within the 95% intervals (n.s.)",
        "zh": "{best}的均值最高，但领先{names}的幅度在 95% 置信区间之内（差异不显著）",
    },
    "rec_more": {
        "en": "{a} has {d} more in {objective} than {b}",
        "zh": "{a}的{objective}比{b}多 {d}",
    },
    "rec_similar": {
        "en": "{a} and {b} are similar in {objective} ({d}, n.s.)",
        "zh": "{a}与{b}的{objective}相近（{d}，差异不显著）",
    },
    "rec_cost_more": {"en": " at {d} more exits caused by the campaign", "zh": "，但活动导致的流失多 {d} 人"},
    "rec_cost_fewer": {"en": " with {d} fewer exits caused by the campaign", "zh": "，且活动导致的流失少 {d} 人"},
    "rec_cost_similar": {
        "en": " with similar exits caused by the campaign ({d}, n.s.)",
        "zh": "，活动导致的流失相近（{d}，差异不显著）",
    },
    "rec_cost_no_effect": {
        "en": "; exits caused by the campaign show no measurable effect",
        "zh": "；活动导致的流失无可测差异",
    },
    "rec_method": {"en": "How this was decided: {method}", "zh": "判定方法：{method}"},
    "caveat_scale": {
        "en": "Caveat: simulated at --scale {scale} ({pop} followers); absolute numbers scale with audience size",
        "zh": "注意：按 --scale {scale} 缩放模拟（{pop} 名粉丝）；绝对数值随受众规模变化",
    },
    "caveat_pop": {
        "en": "Caveat: simulated with {pop} followers; absolute numbers scale with audience size",
        "zh": "注意：模拟受众为 {pop} 名粉丝；绝对数值随受众规模变化",
    },
    "caveat_inside": {
        "en": "Caveat: compared at {x} = {v}, inside the plausible range {lo}–{hi} of the {profile} behaviour profile "
        "(fitted to real cascades)",
        "zh": "注意：比较取 {x} = {v}，位于 {profile} 行为画像的合理区间 {lo}–{hi} 之内（按真实转发级联拟合）",
    },
    "caveat_outside": {
        "en": "Caveat: compared at {x} = {v}, outside the plausible range {lo}–{hi} of the {profile} behaviour "
        "profile: rerun with --at inside it",
        "zh": "注意：比较取 {x} = {v}，不在 {profile} 行为画像的合理区间 {lo}–{hi} 之内：请用 --at 选取区间内的值",
    },
    "caveat_profile": {
        "en": "Caveat: follower behaviour from the {profile} profile (fitted to real cascades)",
        "zh": "注意：粉丝行为取自 {profile} 画像（按真实转发级联拟合）",
    },
    "caveat_no_profile": {
        "en": "Caveat: follower behaviour is not tied to a calibrated profile in this sweep",
        "zh": "注意：本次扫描的粉丝行为未对应校准画像",
    },
    "rec_col_option": {"en": "Option", "zh": "方案"},
    "rec_col_vs_best": {"en": "vs. best (95% CI)", "zh": "与最优方案之差（95% 置信区间）"},
    "rec_best_cell": {"en": "best", "zh": "最优"},
    "rec_tied_cell": {"en": "tied (n.s.)", "zh": "不相上下（不显著）"},
    # --- summary table and title slide ---
    "summary_caption": {
        "en": "Means of {n} replicates at {at}, with 95% intervals (clipped to what is possible); exits are those "
        "caused by the campaign, baseline churn happens without it",
        "zh": "{at} 时 {n} 次重复的均值及 95% 置信区间（已限制在可能范围内）；流失为活动导致的部分，自然流失与活动无关",
    },
    "col_metric": {"en": "Metric", "zh": "指标"},
    "col_value": {"en": "Value", "zh": "数值"},
    "run_caption": {
        "en": "Summary of {name} {topology}: {pop} followers, {h} h, seed {seed}",
        "zh": "{name} {topology} 汇总：{pop} 名粉丝，{h} 小时，随机种子 {seed}",
    },
    "deck_title": {
        "en": "{name}: how the campaign spreads through the account matrix",
        "zh": "{name}：内容在账号矩阵中的传播",
    },
    "sweep_subtitle": {
        "en": "Sweep of {n} runs over {desc} ({reps} replicates per point)",
        "zh": "参数扫描：{desc}，共 {n} 次运行（每个参数点重复 {reps} 次）",
    },
    "sweep_subtitle_at": {"en": "; options compared at {at}", "zh": "；方案比较取 {at}"},
    "run_subtitle": {
        "en": "Single run, {topology} matrix: {accounts} accounts, {pop} followers, {h} h, seed {seed}. "
        "Simulated with propsim.",
        "zh": "单次运行，{topology}矩阵：{accounts} 个账号，{pop} 名粉丝，{h} 小时，随机种子 {seed}。由 propsim 模拟。",
    },
    # chart titles
    "title_reach": {"en": "Reach vs. {x}", "zh": "触达人数随{x}的变化"},
    "title_fatigue": {"en": "Fatigue and exits vs. {x}", "zh": "疲劳与流失随{x}的变化"},
    "title_tradeoff": {"en": "Reach vs. exits caused by the campaign", "zh": "触达与活动导致流失的权衡"},
    "title_timeline": {"en": "Cumulative reach over time", "zh": "累计触达人数随时间变化"},
    "title_frequency": {"en": "How often people saw the campaign", "zh": "受众看到内容的次数分布"},
    "title_accounts": {"en": "What each account contributed (top {n})", "zh": "各账号贡献（前 {n} 名）"},
    "title_matrix": {"en": "Account matrix: {name}", "zh": "账号矩阵：{name}"},
    "title_path": {"en": "Propagation path: {item}", "zh": "传播路径：{item}"},
    # panel titles / axis labels
    "fatigue_share_axis": {"en": "Fatigued (share of reached)", "zh": "疲劳人数占触达比例"},
    "exits_axis": {"en": "Exits caused by the campaign (mutes + unfollows)", "zh": "活动导致的流失（屏蔽 + 取关）"},
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
    "levels_note": {
        "en": "whether two options differ is decided by paired differences (difference chart), not by band overlap",
        "zh": "两方案是否有差异以配对差异判断（见差异图），而非看阴影是否重叠",
    },
    "ci_band": {
        "en": "bands: 95% confidence interval of the mean ({n} replicates)",
        "zh": "色带：均值的 95% 置信区间（{n} 次重复）",
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
    "lost_panel": {"en": "Followers lost", "zh": "流失粉丝"},
    "lost_note": {
        "en": "followers lost: solid = exits caused by the campaign (mutes + unfollows); hatched = baseline churn, "
        "which happens without any campaign",
        "zh": "流失粉丝：实心 = 活动导致的流失（屏蔽 + 取关）；斜线 = 自然流失（没有活动也会发生）",
    },
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
