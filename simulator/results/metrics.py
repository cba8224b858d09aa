"""What every run metric means: label (English and Chinese), unit, feasible range and cause.

Charts, decks, tables and confidence intervals read this table instead of guessing from names:
intervals are clipped to ``[lower, upper]`` (``upper="population"`` means the run's population),
counts of people are whole numbers, and ``cause`` separates what the campaign did from what would
have happened anyway (baseline churn), so no takeaway attributes baseline churn to the campaign.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Unit = Literal["people", "deliveries", "posts", "share", "ratio", "hours", "generations", "count"]
Cause = Literal["campaign", "baseline", "total", "descriptive"]


@dataclass(frozen=True)
class Metric:
    """One summary metric of a run (a column of the sweep ``runs`` table)."""

    name: str
    en: str
    zh: str
    unit: Unit
    lower: float | None = 0.0
    upper: float | Literal["population"] | None = None  # None: unbounded above
    integer: bool = False  # a count: shown and rounded as a whole number
    cause: Cause = "campaign"
    higher_is_better: bool | None = None  # for recommendations; None: neither

    def label(self, lang: str = "en") -> str:
        return self.zh if lang.startswith("zh") else self.en

    def bounds(self, population: float | None = None) -> tuple[float | None, float | None]:
        """The feasible range of this metric in a run of ``population`` people."""
        upper = population if self.upper == "population" else self.upper
        return self.lower, (None if isinstance(upper, str) else upper)


_M = Metric
METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        _M("reach", "Reach", "触达人数", "people", upper="population", integer=True, higher_is_better=True),
        _M("reach_share", "Reach (share of population)", "触达比例", "share", upper=1.0, higher_is_better=True),
        _M(
            "direct_reach",
            "Direct reach",
            "直接触达人数",
            "people",
            upper="population",
            integer=True,
            higher_is_better=True,
        ),
        _M(
            "second_level_reach",
            "Second-level reach",
            "二级触达人数",
            "people",
            upper="population",
            integer=True,
            higher_is_better=True,
        ),
        _M("impressions", "Impressions", "曝光量", "deliveries", integer=True),
        _M("mean_frequency", "Mean frequency", "平均曝光频次", "ratio"),
        _M(
            "effective_reach",
            "Effective reach",
            "有效触达人数",
            "people",
            upper="population",
            integer=True,
            higher_is_better=True,
        ),
        _M(
            "duplicate_exposures",
            "Duplicate exposures",
            "重复曝光量",
            "deliveries",
            integer=True,
            higher_is_better=False,
        ),
        _M("account_posts", "Account posts", "账号原创发布数", "posts", integer=True, cause="descriptive"),
        _M("account_relays", "Account relays", "账号接力转发数", "posts", integer=True),
        _M("follower_reposts", "Follower reposts", "粉丝转发数", "posts", integer=True, higher_is_better=True),
        _M("repost_decisions", "Repost decisions", "转发决定数", "posts", integer=True),
        _M("pending_at_horizon", "Pending at the horizon", "期末未发布", "posts", integer=True, cause="descriptive"),
        _M("max_depth", "Deepest repost generation", "最大转发层级", "generations", integer=True),
        _M("t50_h", "Hours to 50% of reach", "达到50%触达的小时数", "hours"),
        _M("t90_h", "Hours to 90% of reach", "达到90%触达的小时数", "hours"),
        _M("fatigued", "Fatigued", "疲劳人数", "people", upper="population", integer=True, higher_is_better=False),
        _M("fatigue_share", "Fatigue share", "疲劳占比", "share", upper=1.0, higher_is_better=False),
        # mutes, unfollows, exits and churn count ended follows: one person leaving two accounts counts twice
        _M("mutes", "Mutes", "屏蔽数", "people", upper="population", integer=True, higher_is_better=False),
        _M("unfollows", "Unfollows", "取关数", "people", upper="population", integer=True, higher_is_better=False),
        _M(
            "exits",
            "Exits caused by the campaign",
            "活动导致的流失人数",
            "people",
            upper="population",
            integer=True,
            higher_is_better=False,
        ),
        _M("churned", "Baseline churn", "自然流失人数", "people", upper="population", integer=True, cause="baseline"),
        _M(
            "net_audience_change",
            "Net audience change",
            "受众净变化",
            "people",
            lower=None,
            integer=True,
            cause="total",
            higher_is_better=True,
        ),
        _M("population", "Population", "人口规模", "people", integer=True, cause="descriptive"),
        _M("accounts", "Accounts", "账号数", "count", integer=True, cause="descriptive"),
        _M("items", "Content items", "内容条数", "count", integer=True, cause="descriptive"),
        _M("horizon_h", "Horizon (hours)", "模拟时长（小时）", "hours", cause="descriptive"),
        _M(
            "effective_reach_threshold",
            "Effective-reach threshold",
            "有效触达阈值",
            "count",
            integer=True,
            cause="descriptive",
        ),
    )
}


def metric(name: str) -> Metric | None:
    """The metadata of a metric, or None for a user-defined one."""
    return METRICS.get(name)
