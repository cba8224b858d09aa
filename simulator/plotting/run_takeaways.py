"""One-line takeaways of a single run (slide headlines): values, not comparisons.

A single run has no replicates and so no intervals: its sentences state what happened, never
that one option is better than another. Followers lost are split into what the campaign caused
(mutes + unfollows) and baseline churn, which happens without any campaign.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from simulator.plotting.formatters import format_count, format_percent, format_sig
from simulator.plotting.lang import norm_lang
from simulator.plotting.names import value_label
from simulator.plotting.palette import KIND_COLORS

__all__ = ["takeaway_accounts", "takeaway_matrix", "takeaway_path", "takeaway_run_frequency", "takeaway_run_timeline"]


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def takeaway_run_timeline(summary: Mapping[str, Any], *, lang: str = "en") -> str:
    """How fast half of the reach came, and what followers' reposts added to direct reach."""
    return _timeline_run(summary, norm_lang(lang))


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


def takeaway_run_frequency(frequency: pd.DataFrame, threshold: int, *, lang: str = "en") -> str:
    """Share seen once, effective reach (people who saw it ``threshold``+ times), mean frequency."""
    lang = norm_lang(lang)
    f = frequency[frequency["exposures"] > 0]
    reached = float(f["followers"].sum())
    if reached <= 0:
        return "Nobody was reached" if lang == "en" else "没有触达任何人"
    once = float(f.loc[f["exposures"] == 1, "followers"].sum())
    eff = float(f.loc[f["exposures"] >= threshold, "followers"].sum())
    mean = float((f["exposures"] * f["followers"]).sum()) / reached
    n_eff = format_sig(eff, lang, integer=True)
    if lang == "en":
        return (
            f"{format_percent(once / reached, 0)} of the people reached saw it once; "
            f"{n_eff} ({format_percent(eff / reached, 0)}) saw it {threshold}+ times "
            f"(effective reach); {mean:.1f} times per person on average"
        )
    return (
        f"{format_percent(once / reached, 0)} 的触达人群只看到 1 次；{n_eff} 人"
        f"（{format_percent(eff / reached, 0)}）看到 {threshold} 次及以上（有效触达）；人均 {mean:.1f} 次"
    )


def takeaway_accounts(accounts: pd.DataFrame, *, lang: str = "en") -> str:
    """The top account's share of first exposures, the top five's, and the followers lost: to
    the campaign (mutes + unfollows) and, separately, to baseline churn."""
    lang = norm_lang(lang)
    total = float(accounts["first_exposures_total"].sum())
    if total <= 0:
        return "No account reached anyone" if lang == "en" else "没有账号触达任何人"
    ranked = accounts.sort_values("first_exposures_total", ascending=False, kind="stable")
    top = ranked.iloc[0]
    share1 = float(top["first_exposures_total"]) / total
    top5 = float(ranked["first_exposures_total"].head(5).sum()) / total
    campaign = sum(float(accounts[c].sum()) for c in ("mutes", "unfollows") if c in accounts)
    churn = float(accounts["churned"].sum()) if "churned" in accounts else float("nan")
    lost = _lost_phrase(campaign, churn, lang)
    if lang == "en":
        out = f"{top['handle']} caused {format_percent(share1, 0)} of first exposures"
        if len(accounts) > 5:
            out += f", the top 5 accounts {format_percent(top5, 0)}"
        return out + f"; {lost}"
    out = f"{top['handle']} 带来了 {format_percent(share1, 0)} 的首次曝光"
    if len(accounts) > 5:
        out += f"，前 5 个账号合计 {format_percent(top5, 0)}"
    return out + f"；{lost}"


def _lost_phrase(campaign: float, churn: float, lang: str) -> str:
    """ "the campaign caused 12 mutes and unfollows; baseline churn ... removed 424"."""
    c = format_sig(campaign, lang, integer=True)
    if lang == "en":
        out = f"the campaign caused {c} mutes and unfollows"
        if np.isfinite(churn):
            out += f"; baseline churn (with or without a campaign) removed {format_sig(churn, lang, integer=True)}"
        return out
    out = f"活动导致 {c} 次屏蔽和取关"
    if np.isfinite(churn):
        out += f"；另有 {format_sig(churn, lang, integer=True)} 人属于自然流失（有无活动都会发生）"
    return out


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
