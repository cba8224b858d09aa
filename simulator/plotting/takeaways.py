"""One-line takeaways computed from the same tables as the charts (slide headlines).

Comparisons are honest: two means count as different only when their 95% confidence intervals
do not overlap (a conservative check); otherwise the sentence says "similar" and "n.s." (not
significant). Single runs have no intervals, so their sentences state values, not differences.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from simulator.plotting.data import filter_where, group_values
from simulator.plotting.formatters import format_count, format_percent, format_value
from simulator.plotting.lang import norm_lang
from simulator.plotting.names import group_label, param_short, value_label
from simulator.plotting.palette import KIND_COLORS

__all__ = [
    "takeaway_accounts",
    "takeaway_fatigue",
    "takeaway_frequency",
    "takeaway_matrix",
    "takeaway_path",
    "takeaway_reach",
    "takeaway_timeline",
    "takeaway_tradeoff",
]


def _at_text(x: str | None, at: float | None, lang: str, points: pd.DataFrame | None = None) -> str:
    if x is None or at is None:
        return ""
    v = _xv(at, points, x)
    return f"At {param_short(x)} = {v}, " if lang == "en" else f"{param_short(x)} = {v} 时，"


def _xv(value: Any, points: pd.DataFrame | None, x: str | None) -> str:
    """A swept value with 3 significant digits, told apart from the other swept values."""
    among = list(pd.unique(points[x])) if points is not None and x is not None and x in points.columns else None
    return format_value(value, among)


def _among(points: pd.DataFrame | None, by: str | None) -> list[Any] | None:
    return list(pd.unique(points[by])) if points is not None and by is not None and by in points.columns else None


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def _pct(a: float, b: float) -> str:
    """Relative difference |a - b| / b as "18%" (b > 0)."""
    return format_percent(abs(a - b) / b, 0)


def _row(pts: pd.DataFrame, by: str | None, value: Any) -> pd.Series | None:
    sub = pts if by is None else pts[pts[by] == value]
    return None if sub.empty else sub.iloc[0]


def _separated(r1: pd.Series, r2: pd.Series, metric: str) -> bool:
    """True when the two 95% CIs of ``metric`` do not overlap (NaN intervals: not separated)."""
    lo1, hi1 = r1.get(f"{metric}_ci_low", np.nan), r1.get(f"{metric}_ci_high", np.nan)
    lo2, hi2 = r2.get(f"{metric}_ci_low", np.nan), r2.get(f"{metric}_ci_high", np.nan)
    if not np.isfinite([lo1, hi1, lo2, hi2]).all():
        return False
    return bool(lo1 > hi2 or lo2 > hi1)


def _point_rows(
    points: pd.DataFrame, *, x: str | None, by: str | None, where: Mapping[str, Any] | None, at: float | None
) -> list[tuple[Any, pd.Series]]:
    sel = dict(where or {})
    if x is not None and at is not None:
        sel[x] = at
    pts = filter_where(points, sel)
    rows = []
    for v in group_values(pts, by):
        r = _row(pts, by, v)
        if r is not None:
            rows.append((v, r))
    return rows


# ---------------------------------------------------------------------------
# Sweep charts (1-5)
# ---------------------------------------------------------------------------


def takeaway_reach(
    points: pd.DataFrame,
    *,
    x: str | None,
    by: str | None = None,
    where: Mapping[str, Any] | None = None,
    at: float | None = None,
    lang: str = "en",
) -> str:
    """Best vs runner-up in reach at ``x = at`` (and their exits), or the trend for one line.

    e.g. "At p0 = 0.003, Hub reaches 15% more people than Dandelion (17.9k vs 15.5k) with 20%
    fewer exits (56 vs 70)".
    """
    lang = norm_lang(lang)
    rows = _point_rows(points, x=x, by=by, where=where, at=at)
    if by is None or len(rows) < 2:
        return _trend(points, x=x, where=where, lang=lang)
    rows.sort(key=lambda vr: -float(vr[1]["reach_mean"]))
    (va, a), (vb, b) = rows[0], rows[1]
    na, nb = group_label(by, va, lang, _among(points, by)), group_label(by, vb, lang, _among(points, by))
    ra, rb = float(a["reach_mean"]), float(b["reach_mean"])
    head = _at_text(x, at, lang, points)
    vals = f"{format_count(ra, lang)} vs {format_count(rb, lang)}"
    if not _separated(a, b, "reach") or rb <= 0:
        if lang == "en":
            return _cap(f"{head}{na} and {nb} reach similar numbers of people ({vals}, n.s.)")
        return f"{head}{na}与{nb}的触达人数相近（{vals}，差异不显著）"
    out = (
        f"{head}{na} reaches {_pct(ra, rb)} more people than {nb} ({vals})"
        if lang == "en"
        else f"{head}{na}比{nb}多触达 {_pct(ra, rb)} 的人（{vals}）"
    )
    if "exits_mean" in a:
        ea, eb = float(a["exits_mean"]), float(b["exits_mean"])
        evals = f"{format_count(ea, lang)} vs {format_count(eb, lang)}"
        if not _separated(a, b, "exits") or eb <= 0:
            out += f" with similar exits ({evals}, n.s.)" if lang == "en" else f"，流失人数相近（{evals}，差异不显著）"
        elif ea < eb:
            out += (
                f" with {_pct(ea, eb)} fewer exits ({evals})" if lang == "en" else f"，流失少 {_pct(ea, eb)}（{evals}）"
            )
        else:
            out += (
                f" but {_pct(ea, eb)} more exits ({evals})" if lang == "en" else f"，但流失多 {_pct(ea, eb)}（{evals}）"
            )
    return _cap(out)


def _trend(points: pd.DataFrame, *, x: str | None, where: Mapping[str, Any] | None, lang: str) -> str:
    pts = filter_where(points, where or {})
    if x is None or pts.empty:
        r = float(pts["reach_mean"].iloc[0]) if not pts.empty else 0.0
        return f"Reach {format_count(r, lang)}" if lang == "en" else f"触达 {format_count(r, lang)} 人"
    pts = pts.sort_values(x, key=lambda s: pd.to_numeric(s))
    lo, hi = pts.iloc[0], pts.iloc[-1]
    r0, r1 = float(lo["reach_mean"]), float(hi["reach_mean"])
    sx = param_short(x)
    change = format_percent((r1 - r0) / r0, 0) if r0 > 0 else "–"
    sig = "" if _separated(lo, hi, "reach") else (", n.s." if lang == "en" else "，差异不显著")
    if lang == "en":
        return (
            f"Reach goes from {format_count(r0, lang)} at {sx} = {_xv(lo[x], pts, x)} to {format_count(r1, lang)} "
            f"at {sx} = {_xv(hi[x], pts, x)} ({'+' if r1 >= r0 else ''}{change}{sig})"
        )
    return (
        f"{sx} 从 {_xv(lo[x], pts, x)} 增至 {_xv(hi[x], pts, x)}，触达人数从 {format_count(r0, lang)} 变为 "
        f"{format_count(r1, lang)}（{'+' if r1 >= r0 else ''}{change}{sig}）"
    )


def takeaway_fatigue(
    points: pd.DataFrame,
    *,
    x: str | None,
    by: str | None = None,
    where: Mapping[str, Any] | None = None,
    at: float | None = None,
    lang: str = "en",
) -> str:
    """Fewest vs most exits at ``x = at`` and the range of the fatigued share."""
    lang = norm_lang(lang)
    rows = _point_rows(points, x=x, by=by, where=where, at=at)
    if not rows:
        return ""
    head = _at_text(x, at, lang, points)
    shares = [float(r["fatigue_share_mean"]) for _, r in rows]
    share_range = (
        format_percent(min(shares), 0)
        if len(rows) == 1 or min(shares) == max(shares)
        else f"{format_percent(min(shares), 0)}–{format_percent(max(shares), 0)}"
    )
    if by is None or len(rows) < 2:
        e = float(rows[0][1]["exits_mean"])
        if lang == "en":
            return _cap(
                f"{head}{format_count(e, lang)} people mute or unfollow; {share_range} of those reached are fatigued"
            )
        return f"{head}{format_count(e, lang)} 人屏蔽或取关；{share_range} 的触达人群出现疲劳"
    if all(float(r["exits_mean"]) == 0 for _, r in rows):
        if lang == "en":
            return _cap(f"{head}nobody muted or unfollowed; {share_range} of those reached are fatigued")
        return f"{head}没有人屏蔽或取关；{share_range} 的触达人群出现疲劳"
    rows.sort(key=lambda vr: float(vr[1]["exits_mean"]))
    (va, a), (vb, b) = rows[0], rows[-1]
    na, nb = group_label(by, va, lang, _among(points, by)), group_label(by, vb, lang, _among(points, by))
    ea, eb = float(a["exits_mean"]), float(b["exits_mean"])
    vals = f"{format_count(ea, lang)} vs {format_count(eb, lang)}"
    if not _separated(a, b, "exits") or eb <= 0:
        if lang == "en":
            return _cap(
                f"{head}mutes and unfollows are similar ({na} {format_count(ea, lang)}, "
                f"{nb} {format_count(eb, lang)}, n.s.); {share_range} of those reached are fatigued"
            )
        return (
            f"{head}各方案的流失人数相近（{na} {format_count(ea, lang)}，{nb} {format_count(eb, lang)}，"
            f"差异不显著）；{share_range} 的触达人群出现疲劳"
        )
    if lang == "en":
        return _cap(
            f"{head}{na} loses {_pct(ea, eb)} fewer people to mutes and unfollows than {nb} ({vals}); "
            f"{share_range} of those reached are fatigued"
        )
    return f"{head}{na}的屏蔽和取关人数比{nb}少 {_pct(ea, eb)}（{vals}）；{share_range} 的触达人群出现疲劳"


def takeaway_tradeoff(
    points: pd.DataFrame,
    *,
    x: str | None,
    by: str | None = None,
    where: Mapping[str, Any] | None = None,
    cost: str = "exits",
    lang: str = "en",
) -> str:
    """Which groups have points on the efficient frontier, and which are dominated everywhere."""
    from simulator.plotting.tradeoff import efficient_frontier

    lang = norm_lang(lang)
    pts = filter_where(points, where or {}).reset_index(drop=True)
    if pts.empty:
        return ""
    front = efficient_frontier(pts[f"{cost}_mean"], pts["reach_mean"])
    on = pts.loc[front]
    if by is None:
        xs = ", ".join(_xv(v, pts, x) for v in on[x]) if x else ""
        return (
            (
                f"Efficient points: {param_short(x)} = {xs}"
                if lang == "en"
                else f"有效前沿上的点：{param_short(x)} = {xs}"
            )
            if x
            else ""
        )
    parts = []
    for v in group_values(on, by):
        xv = sorted(float(u) for u in on.loc[on[by] == v, x]) if x else []
        where_x = ""
        if xv and x is not None:
            rng = _xv(xv[0], pts, x) if len(xv) == 1 else f"{_xv(xv[0], pts, x)}–{_xv(xv[-1], pts, x)}"
            where_x = f" ({param_short(x)} = {rng})" if lang == "en" else f"（{param_short(x)} = {rng}）"
        parts.append(group_label(by, v, lang, _among(points, by)) + where_x)
    dominated = [group_label(by, v, lang, _among(points, by)) for v in group_values(pts, by) if v not in set(on[by])]
    sep = ", " if lang == "en" else "、"
    if lang == "en":
        out = f"On the efficient frontier: {sep.join(parts)}"
        if dominated:
            verb = "is" if len(dominated) == 1 else "are"
            names = dominated[0] if len(dominated) == 1 else f"{', '.join(dominated[:-1])} and {dominated[-1]}"
            out += f"; {names} {verb} dominated (another point reaches more people with no more exits)"
        return out
    out = f"处于有效前沿的方案：{sep.join(parts)}"
    if dominated:
        out += f"；{sep.join(dominated)}总有其他方案触达更多且流失不更多"
    return out


def takeaway_timeline(
    *,
    summary: Mapping[str, Any] | None = None,
    points: pd.DataFrame | None = None,
    x: str | None = None,
    by: str | None = None,
    where: Mapping[str, Any] | None = None,
    at: float | None = None,
    lang: str = "en",
) -> str:
    """Speed (t50) and the share added by followers' reposts, for one run or per group."""
    lang = norm_lang(lang)
    if summary is not None:
        return _timeline_run(summary, lang)
    return _timeline_sweep(points, x=x, by=by, where=where, at=at, lang=lang)


def _timeline_run(summary: Mapping[str, Any], lang: str) -> str:
    direct, second = float(summary["direct_reach"]), float(summary["second_level_reach"])
    t50 = summary.get("t50_h")
    add = format_percent(second / direct, 0) if direct > 0 else "–"
    total = format_count(summary["reach"], lang)
    if t50 is None:
        speed = ""
    elif float(t50) < 0.05:  # the original posts' own deliveries already make half the reach
        speed = (
            f"Half of the final reach ({total}) comes with the first posts; "
            if lang == "en"
            else f"一半的最终触达（共 {total} 人）来自首次发布；"
        )
    else:
        speed = (
            f"Half of the final reach ({total}) arrives within {float(t50):.1f} h; "
            if lang == "en"
            else f"一半的最终触达（共 {total} 人）在 {float(t50):.1f} 小时内完成；"
        )
    if lang == "en":
        return _cap(f"{speed}followers' reposts add {add} on top of direct reach")
    return f"{speed}粉丝转发在直接触达之外又增加 {add}"


def _timeline_sweep(
    points: pd.DataFrame | None,
    *,
    x: str | None,
    by: str | None,
    where: Mapping[str, Any] | None,
    at: float | None,
    lang: str,
) -> str:
    rows = _point_rows(points, x=x, by=by, where=where, at=at) if points is not None else []
    if not rows:
        return ""
    shares = [
        (v, float(r["second_level_reach_mean"]) / float(r["direct_reach_mean"]))
        for v, r in rows
        if float(r["direct_reach_mean"]) > 0
    ]
    t50 = [float(r["t50_h_mean"]) for _, r in rows if "t50_h_mean" in r and np.isfinite(r["t50_h_mean"])]
    head = _at_text(x, at, lang, points)
    if not shares:
        return ""
    shares.sort(key=lambda vs: vs[1])
    (v0, s0), (v1, s1) = shares[0], shares[-1]
    if not t50:
        speed = ""
    elif max(t50) < 0.05:  # the original posts' own deliveries already make half the reach
        speed = "; half of the reach comes with the first posts" if lang == "en" else "；一半的触达来自首次发布"
    else:
        rng = (
            f"{min(t50):.1f}–{max(t50):.1f}"
            if len(t50) > 1 and f"{min(t50):.1f}" != f"{max(t50):.1f}"
            else f"{max(t50):.1f}"
        )
        speed = f"; half of the reach arrives within {rng} h" if lang == "en" else f"；一半的触达在 {rng} 小时内完成"
    p0_, p1_ = format_percent(s0, 0), format_percent(s1, 0)
    if len(shares) == 1 or by is None or p0_ == p1_:
        if lang == "en":
            return _cap(
                f"{head}followers' reposts add {'about ' if len(shares) > 1 else ''}{p1_} on top of direct reach{speed}"
            )
        return f"{head}粉丝转发在直接触达之外{'约' if len(shares) > 1 else ''}增加 {p1_}{speed}"
    n0, n1 = group_label(by, v0, lang, _among(points, by)), group_label(by, v1, lang, _among(points, by))
    if lang == "en":
        return _cap(f"{head}followers' reposts add {p0_} ({n0}) to {p1_} ({n1}) on top of direct reach{speed}")
    return f"{head}粉丝转发在直接触达之外增加 {p0_}（{n0}）至 {p1_}（{n1}）{speed}"


def takeaway_frequency(
    *,
    frequency: pd.DataFrame | None = None,
    threshold: int,
    points: pd.DataFrame | None = None,
    x: str | None = None,
    by: str | None = None,
    where: Mapping[str, Any] | None = None,
    at: float | None = None,
    lang: str = "en",
) -> str:
    """Share seen once and effective reach (single run), or the effective-reach share per group."""
    lang = norm_lang(lang)
    if frequency is not None and "run_id" not in frequency.columns:
        f = frequency[frequency["exposures"] > 0]
        reached = float(f["followers"].sum())
        if reached <= 0:
            return "Nobody was reached" if lang == "en" else "没有触达任何人"
        once = float(f.loc[f["exposures"] == 1, "followers"].sum())
        eff = float(f.loc[f["exposures"] >= threshold, "followers"].sum())
        mean = float((f["exposures"] * f["followers"]).sum()) / reached
        if lang == "en":
            return (
                f"{format_percent(once / reached, 0)} of the people reached saw it once; "
                f"{format_count(eff, lang)} ({format_percent(eff / reached, 0)}) saw it {threshold}+ times "
                f"(effective reach); {mean:.1f} times per person on average"
            )
        return (
            f"{format_percent(once / reached, 0)} 的触达人群只看到 1 次；{format_count(eff, lang)} 人"
            f"（{format_percent(eff / reached, 0)}）看到 {threshold} 次及以上（有效触达）；人均 {mean:.1f} 次"
        )
    rows = _point_rows(points, x=x, by=by, where=where, at=at) if points is not None else []
    shares = [
        (v, float(r["effective_reach_mean"]) / float(r["reach_mean"])) for v, r in rows if float(r["reach_mean"]) > 0
    ]
    if not shares:
        return ""
    shares.sort(key=lambda vs: vs[1])
    head = _at_text(x, at, lang, points)
    (v0, s0), (v1, s1) = shares[0], shares[-1]
    if len(shares) == 1 or by is None:
        return (
            _cap(f"{head}{format_percent(s0, 0)} of the people reached saw it {threshold}+ times")
            if lang == "en"
            else f"{head}{format_percent(s0, 0)} 的触达人群看到 {threshold} 次及以上"
        )
    n0, n1 = group_label(by, v0, lang, _among(points, by)), group_label(by, v1, lang, _among(points, by))
    if lang == "en":
        return _cap(
            f"{head}effective reach ({threshold}+ times) is {format_percent(s0, 0)} of people reached "
            f"for {n0} and {format_percent(s1, 0)} for {n1}"
        )
    return (
        f"{head}有效触达（{threshold} 次及以上）占触达人数的比例："
        f"{n0} {format_percent(s0, 0)}，{n1} {format_percent(s1, 0)}"
    )


# ---------------------------------------------------------------------------
# Single-run charts (6-8)
# ---------------------------------------------------------------------------


def takeaway_accounts(accounts: pd.DataFrame, *, lang: str = "en") -> str:
    """The top account's share of first exposures, the top five's, and the audience lost."""
    lang = norm_lang(lang)
    total = float(accounts["first_exposures_total"].sum())
    if total <= 0:
        return "No account reached anyone" if lang == "en" else "没有账号触达任何人"
    ranked = accounts.sort_values("first_exposures_total", ascending=False, kind="stable")
    top = ranked.iloc[0]
    share1 = float(top["first_exposures_total"]) / total
    top5 = float(ranked["first_exposures_total"].head(5).sum()) / total
    lost = -float(accounts["net_audience_change"].sum())
    if lang == "en":
        out = f"{top['handle']} caused {format_percent(share1, 0)} of first exposures"
        if len(accounts) > 5:
            out += f", the top 5 accounts {format_percent(top5, 0)}"
        return out + f"; the matrix lost {format_count(lost, lang)} followers (unfollows + churn)"
    out = f"{top['handle']} 带来了 {format_percent(share1, 0)} 的首次曝光"
    if len(accounts) > 5:
        out += f"，前 5 个账号合计 {format_percent(top5, 0)}"
    return out + f"；矩阵共流失 {format_count(lost, lang)} 名粉丝（取关 + 自然流失）"


def takeaway_matrix(scenario: Any, accounts: pd.DataFrame | None = None, *, lang: str = "en") -> str:
    """Accounts by kind, relay edges and their mean probability, combined followers."""
    from simulator.plotting.matrix_graph import account_graph

    lang = norm_lang(lang)
    ag = account_graph(scenario, accounts)
    g = ag.graph
    counts = pd.Series([g.nodes[v]["kind"] for v in g.nodes]).value_counts()
    order = [k for k in KIND_COLORS if k in counts.index] + sorted(set(counts.index) - set(KIND_COLORS))
    kinds = counts[order]
    sep = ", " if lang == "en" else "、"
    kinds_txt = sep.join(
        f"{n} {value_label(k, lang).lower()}" if lang == "en" else f"{n} 个{value_label(k, lang)}"
        for k, n in kinds.items()
    )
    probs = [p for _, _, p in g.edges(data="probability")]
    followers = sum(g.nodes[v]["followers"] for v in g.nodes)
    if lang == "en":
        edges = (
            f"{len(probs)} relay edges (mean probability {np.mean(probs):.2f})"
            if probs
            else "no relays between accounts"
        )
        return f"{len(g)} accounts ({kinds_txt}), {edges}; {format_count(followers, lang)} followers before overlap"
    edges = f"{len(probs)} 条接力转发关系（平均概率 {np.mean(probs):.2f}）" if probs else "账号之间没有接力转发"
    return f"{len(g)} 个账号（{kinds_txt}），{edges}；去重前粉丝合计 {format_count(followers, lang)}"


def takeaway_path(
    relays: pd.DataFrame, accounts: pd.DataFrame | None = None, *, item: Any = None, lang: str = "en"
) -> str:
    """Relays of the drawn item, their added reach, and the biggest single step."""
    from simulator.plotting.path_diagram import path_tree

    lang = norm_lang(lang)
    if relays.empty:
        return "No account relayed the campaign" if lang == "en" else "没有账号接力转发本次内容"
    _, info = path_tree(relays, item)
    allrows = info["all_rows"]
    handles = {}
    if accounts is not None and {"account", "handle"} <= set(accounts.columns):
        handles = dict(zip(accounts["account"].astype(str), accounts["handle"].astype(str)))
    best = allrows.loc[allrows["reach_added"].idxmax()]
    span = float(allrows["relayed_h"].max()) - info["post_h"]
    src, dst = handles.get(str(best["source"]), best["source"]), handles.get(str(best["target"]), best["target"])
    t = float(best["relayed_h"]) - info["post_h"]
    if lang == "en":
        return (
            f"{info['n_relays']} relays within {span:.0f} h reached {format_count(info['reach_added'], lang)} "
            f"more people; the biggest step: {src} → {dst} (+{format_count(best['reach_added'], lang)} "
            f"at {t:.1f} h)"
        )
    return (
        f"{span:.0f} 小时内 {info['n_relays']} 次接力转发新增触达 {format_count(info['reach_added'], lang)} 人；"
        f"最大的一步：{src} → {dst}（{t:.1f} 小时，+{format_count(best['reach_added'], lang)}）"
    )
