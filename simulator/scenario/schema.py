"""The scenario schema: validated, typed configuration objects (pydantic v2).

A scenario file is parsed by :mod:`simulator.scenario.loading`, a ``topology:`` preset is expanded
by :mod:`simulator.scenario.presets`, and the merged document is validated here. Every field has a
documented default (see :mod:`simulator.defaults` for their sources). Units: hours for time,
probabilities in [0, 1], follower counts in people.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from simulator import defaults as D

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegFloat = Annotated[float, Field(ge=0.0)]
PosFloat = Annotated[float, Field(gt=0.0)]
Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\s.,:{}\[\]]+$")]

ACCOUNT_KINDS = ("official", "sub_brand", "regional", "executive", "employee", "vertical", "other")
VARIATIONS = ("verbatim", "cosmetic", "commentary")
GENERAL_TOPIC = "general"  # a topic every follower and account counts as on-topic
NATIONAL_SCOPE = "national"


class Strict(BaseModel):
    """Base: unknown keys are errors, values are checked on assignment too."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class LogNormal(Strict):
    """A lognormal distribution given by its median and log-scale sigma (sigma 0 = constant)."""

    median: PosFloat
    sigma: NonNegFloat = 0.0


def _lognormal_or_number(value: Any, what: str) -> Any:
    """Accept a plain number as a constant (sigma 0) to keep simple files simple."""
    if isinstance(value, bool):
        raise ValueError(f"expected {what} (a number or {{median, sigma}}), got a boolean")
    if isinstance(value, (int, float)):
        return {"median": value, "sigma": 0.0}
    if isinstance(value, dict):
        return value
    raise ValueError(f"expected {what} (a number or {{median, sigma}}), got {value!r}")


class TimeSpec(Strict):
    """Model clock. ``tick`` is the resolution of the schedule, ``horizon`` the campaign length."""

    tick: Annotated[float, Field(gt=0.0, le=24.0)] = D.TICK_HOURS
    horizon: Annotated[float, Field(gt=0.0, le=24.0 * 365)] = D.HORIZON_HOURS

    @model_validator(mode="after")
    def _at_least_one_tick(self) -> TimeSpec:
        if self.horizon < self.tick:
            raise ValueError("horizon must be at least one tick long")
        return self


class PopulationSpec(Strict):
    """The follower population: size, regions and interest topics (weights are normalised)."""

    size: Annotated[int, Field(ge=1, le=D.MAX_POPULATION)] = D.POPULATION_SIZE
    regions: dict[Identifier, NonNegFloat] = Field(default_factory=lambda: dict(D.REGIONS))
    interests: dict[Identifier, NonNegFloat] = Field(default_factory=lambda: dict(D.INTERESTS))

    @field_validator("regions", "interests")
    @classmethod
    def _positive_total(cls, v: dict[str, float]) -> dict[str, float]:
        if not v:
            raise ValueError("needs at least one entry")
        if sum(v.values()) <= 0:
            raise ValueError("weights must not all be zero")
        if len(v) > 250:
            raise ValueError("at most 250 entries")
        return v


class GraphSpec(Strict):
    """Follower-to-follower graph (an edge u -> v means v follows u).

    ``mean_followees`` is the mean number of followers each follower follows (0 disables
    second-level spread); ``tail_exponent`` is the power-law exponent of follower counts
    (None = light-tailed, Poisson); ``locality`` the share of followees chosen in one's region.
    """

    mean_followees: Annotated[float, Field(ge=0.0, le=5000.0)] = D.MEAN_FOLLOWEES
    tail_exponent: Annotated[float, Field(gt=2.0, le=10.0)] | None = D.TAIL_EXPONENT
    locality: Probability = D.GRAPH_LOCALITY
    world: Literal["auto", "explicit", "implicit"] = "auto"


class AccountSpec(Strict):
    """One matrix account, or a generated group of ``count`` similar accounts.

    Group members get ids ``ID.1 … ID.count``; ``handle`` may use ``{i}`` and ``{region}``.
    ``region`` targets the audience to a region (a list is cycled over group members,
    ``"*"`` cycles over all population regions); ``interest`` targets an interest topic.
    ``overlap`` maps another account (or group) id to the share of this account's followers
    drawn from that account's audience.
    """

    id: Identifier
    handle: str | None = None
    kind: Literal[ACCOUNT_KINDS] = "other"  # type: ignore[valid-type]
    count: Annotated[int, Field(ge=1, le=100_000)] | None = None
    followers: LogNormal = Field(default_factory=lambda: LogNormal(median=D.ACCOUNT_FOLLOWERS))
    region: str | list[str] | None = None
    region_share: Probability = D.REGIONAL_SHARE
    interest: Identifier | None = None
    interest_share: Probability = D.INTEREST_SHARE
    topics: list[Identifier] | None = None
    overlap: dict[str, Probability] = Field(default_factory=dict)

    @field_validator("followers", mode="before")
    @classmethod
    def _followers(cls, v: Any) -> Any:
        return _lognormal_or_number(v, "a follower count")

    @field_validator("overlap")
    @classmethod
    def _overlap_total(cls, v: dict[str, float]) -> dict[str, float]:
        if sum(v.values()) > 1.0 + 1e-9:
            raise ValueError("overlap shares add up to more than 1")
        return v


class RelaySpec(Strict):
    """Who relays whom among accounts: when ``source`` publishes an item, each ``target``
    relays it once with ``probability`` (``off_topic_probability`` when the item's topic is not
    one of the target's topics; default ``probability`` x behaviour.off_topic_factor) after a
    lognormal ``latency`` (hours). Group ids expand to every member; a group relaying to itself
    links ``pattern: all`` ordered pairs, or each member to its ``neighbours`` nearest (ring).
    """

    source: str
    target: str
    probability: Probability
    off_topic_probability: Probability | None = None
    latency: LogNormal = Field(
        default_factory=lambda: LogNormal(median=D.RELAY_LATENCY_MEDIAN_H, sigma=D.RELAY_LATENCY_SIGMA)
    )
    variation: Literal[VARIATIONS] = "verbatim"  # type: ignore[valid-type]
    pattern: Literal["all", "ring"] = "all"
    neighbours: Annotated[int, Field(ge=1, le=1000)] = 2

    @field_validator("latency", mode="before")
    @classmethod
    def _latency(cls, v: Any) -> Any:
        return _lognormal_or_number(v, "a latency in hours")


class PostSpec(Strict):
    """A campaign post: ``account`` publishes an original item at ``at`` hours (repeated
    ``repeat`` times every ``every`` hours). ``scope`` is ``national`` or a region name;
    ``appeal`` fixes the item's appeal multiplier (None = LogNormal(0, behaviour.appeal_sigma))."""

    account: str
    at: NonNegFloat = 0.0
    topic: Identifier = GENERAL_TOPIC
    scope: Identifier = NATIONAL_SCOPE
    promotional: bool = False
    appeal: PosFloat | None = None
    repeat: Annotated[int, Field(ge=1, le=1000)] = 1
    every: PosFloat = 24.0
    label: str | None = None


class BehaviourSpec(Strict):
    """Follower repost behaviour (MODEL-REFERENCE section 2, steps 1-2)."""

    p0: Probability = D.P0
    p0_promotional: Probability = D.P0_PROMOTIONAL
    appeal_sigma: Annotated[float, Field(ge=0.0, le=5.0)] = D.APPEAL_SIGMA
    off_topic_factor: Probability = D.OFF_TOPIC_FACTOR
    alpha: Annotated[float, Field(ge=0.0, le=10.0)] = D.ALPHA
    beta: Annotated[float, Field(ge=0.0, le=10.0)] = D.BETA
    exposure_half_life: PosFloat = D.EXPOSURE_HALF_LIFE_H
    latency: LogNormal = Field(default_factory=lambda: LogNormal(median=D.LATENCY_MEDIAN_H, sigma=D.LATENCY_SIGMA))
    variation_weights: dict[Literal[VARIATIONS], NonNegFloat] = Field(  # type: ignore[valid-type]
        default_factory=lambda: dict(D.VARIATION_WEIGHTS)
    )
    commentary_appeal: PosFloat = D.COMMENTARY_APPEAL

    @field_validator("latency", mode="before")
    @classmethod
    def _latency(cls, v: Any) -> Any:
        return _lognormal_or_number(v, "a latency in hours")

    @field_validator("variation_weights")
    @classmethod
    def _all_variations(cls, v: dict[str, float]) -> dict[str, float]:
        return {**D.VARIATION_WEIGHTS, **v}


class FatigueSpec(Strict):
    """Load-driven exits (MODEL-REFERENCE section 2, steps 3-4) and baseline churn."""

    enabled: bool = True
    load_half_life: PosFloat = D.LOAD_HALF_LIFE_H
    tolerance: LogNormal = Field(default_factory=lambda: LogNormal(median=D.TOLERANCE_MEDIAN, sigma=D.TOLERANCE_SIGMA))
    w_dup: NonNegFloat = D.W_DUP
    w_irr: NonNegFloat = D.W_IRR
    w_promo: NonNegFloat = D.W_PROMO
    kappa: NonNegFloat = D.KAPPA
    p_exit_max: Probability = D.P_EXIT_MAX
    q_mute: Probability = D.Q_MUTE
    churn_per_day: Probability = D.CHURN_PER_DAY

    @field_validator("tolerance", mode="before")
    @classmethod
    def _tolerance(cls, v: Any) -> Any:
        return _lognormal_or_number(v, "a tolerance")


class MetricsSpec(Strict):
    """Metric options."""

    effective_reach_threshold: Annotated[int, Field(ge=1, le=1000)] = D.EFFECTIVE_REACH_THRESHOLD


class TopologySpec(Strict):
    """A preset account matrix; ``params`` override the preset's own defaults."""

    preset: str
    params: dict[str, Any] = Field(default_factory=dict)


class Scenario(Strict):
    """A complete, validated scenario (after any ``topology`` preset has been expanded)."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    description: str = ""
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 0
    time: TimeSpec = Field(default_factory=TimeSpec)
    population: PopulationSpec = Field(default_factory=PopulationSpec)
    graph: GraphSpec = Field(default_factory=GraphSpec)
    topology: TopologySpec | None = None
    accounts: list[AccountSpec] = Field(default_factory=list)
    relays: list[RelaySpec] = Field(default_factory=list)
    campaign: list[PostSpec] = Field(default_factory=list)
    behaviour: BehaviourSpec = Field(default_factory=BehaviourSpec)
    fatigue: FatigueSpec = Field(default_factory=FatigueSpec)
    metrics: MetricsSpec = Field(default_factory=MetricsSpec)

    @field_validator("topology", mode="before")
    @classmethod
    def _topology_shorthand(cls, v: Any) -> Any:
        return {"preset": v} if isinstance(v, str) else v

    @field_validator("accounts")
    @classmethod
    def _some_accounts(cls, v: list[AccountSpec]) -> list[AccountSpec]:
        if not v:
            raise ValueError("a scenario needs at least one account (or a topology preset)")
        return v

    @field_validator("campaign")
    @classmethod
    def _some_posts(cls, v: list[PostSpec]) -> list[PostSpec]:
        if not v:
            raise ValueError("a scenario needs at least one campaign post")
        return v
