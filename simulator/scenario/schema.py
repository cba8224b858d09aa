"""The scenario schema: validated, typed configuration objects (pydantic v2).

A scenario file is parsed by :mod:`simulator.scenario.loading`, a ``topology:`` preset is expanded
by :mod:`simulator.scenario.presets`, and the merged document is validated here. Every field has a
documented default (see :mod:`simulator.defaults` for their sources). Units: hours for time,
probabilities in [0, 1], follower counts in people.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from simulator import defaults as D
from simulator.scenario.errors import UNSAFE_CHARS
from simulator.scenario.profiles import DEFAULT_PROFILE, NO_PROFILE
from simulator.scenario.profiles import names as profile_names
from simulator.scenario.profiles import profile as get_profile

# --- reusable field types -------------------------------------------------------------------------
# Every number is finite (``Strict`` refuses .inf and .nan) and within a range the kernel computes
# without overflow, float32 state included: the limits are far beyond any meaningful value, so a
# value outside them is a typo or an attempt to break the run, refused with FILE:LINE:COL. There is
# no infinite "never decays" half-life: MAX_HOURS (114 years) already means that for any horizon.
MAX_HOURS = 1e6  # times, delays and half-lives (the horizon is at most a year)
MAX_MULTIPLIER = 1e3  # appeal multipliers
MAX_WEIGHT = 100.0  # fatigue load and exposure-memory weights per delivery
MAX_SHARE_WEIGHT = 1e9  # relative weights of regions and interests (normalised)
MAX_SIGMA = 10.0  # lognormal log-scale spread: exp(10 z) stays finite in float32
LOGNORMAL_MEDIAN = (1e-6, 1e9)  # follower counts, hours or load units
MIN_HALF_LIFE = 1e-3  # hours (3.6 s)
MIN_TICK = 1e-6  # hours; what limits a small tick is the number of ticks (see loading.MAX_TICKS)
MAX_TEXT = 200  # characters of a name, handle, label or reference
MAX_DESCRIPTION = 10_000


def _safe_text(value: str, allow: str = "") -> str:
    """Refuse control characters (NUL, BEL, ESC ...) and bidirectional-format characters
    (right-to-left override ...): they would reach terminals and CSV files and can make text
    display differently from what it is. ``allow`` lists permitted ones (newlines in descriptions)."""
    for m in UNSAFE_CHARS.finditer(value):
        if m.group() not in allow:
            raise ValueError(
                f"contains the control or bidirectional-format character U+{ord(m.group()):04X} "
                f"at character {m.start() + 1}; remove it"
            )
    return value


Probability = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegFloat = Annotated[float, Field(ge=0.0, le=MAX_HOURS)]  # hours unless said otherwise
PosFloat = Annotated[float, Field(gt=0.0, le=MAX_HOURS)]  # hours unless said otherwise
HalfLife = Annotated[float, Field(ge=MIN_HALF_LIFE, le=MAX_HOURS)]
Multiplier = Annotated[float, Field(gt=0.0, le=MAX_MULTIPLIER)]
Weight = Annotated[float, Field(ge=0.0, le=MAX_WEIGHT)]
ShareWeight = Annotated[float, Field(ge=0.0, le=MAX_SHARE_WEIGHT)]
Rate = Annotated[float, Field(ge=0.0, le=1e6)]  # a hazard slope (kappa): large is "always capped"
Text = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_safe_text)]
Description = Annotated[str, Field(max_length=MAX_DESCRIPTION), AfterValidator(lambda v: _safe_text(v, "\n\t\r"))]
Identifier = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[^\s.,:{}\[\]]+$"), AfterValidator(_safe_text)
]

ACCOUNT_KINDS = ("official", "sub_brand", "regional", "executive", "employee", "vertical", "other")
VARIATIONS = ("verbatim", "cosmetic", "commentary")
GENERAL_TOPIC = "general"  # a topic every follower and account counts as on-topic
NATIONAL_SCOPE = "national"


class Strict(BaseModel):
    """Base: unknown keys are errors, values are checked on assignment too."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class LogNormal(Strict):
    """A lognormal distribution given by its median and log-scale sigma (sigma 0 = constant)."""

    median: Annotated[float, Field(ge=LOGNORMAL_MEDIAN[0], le=LOGNORMAL_MEDIAN[1])]
    sigma: Annotated[float, Field(ge=0.0, le=MAX_SIGMA)] = 0.0


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
    """Model clock. ``tick`` is the resolution of the schedule, ``horizon`` the campaign length.
    ``until`` (hours, between one tick and the horizon; checked by the loader) runs only the start of
    the campaign: the run stops there and repeated posts keep the repeats before it (``--until`` on the
    command line; it can be swept)."""

    tick: Annotated[float, Field(ge=MIN_TICK, le=24.0)] = D.TICK_HOURS
    horizon: Annotated[float, Field(gt=0.0, le=24.0 * 365)] = D.HORIZON_HOURS
    until: Annotated[float, Field(gt=0.0, le=24.0 * 365)] | None = None

    @model_validator(mode="after")
    def _at_least_one_tick(self) -> TimeSpec:
        if self.horizon < self.tick:
            raise ValueError("horizon must be at least one tick long")
        return self


class PopulationSpec(Strict):
    """The follower population: size, regions and interest topics (weights are normalised)."""

    size: Annotated[int, Field(ge=1, le=D.MAX_POPULATION)] = D.POPULATION_SIZE
    regions: dict[Identifier, ShareWeight] = Field(default_factory=lambda: dict(D.REGIONS))
    interests: dict[Identifier, ShareWeight] = Field(default_factory=lambda: dict(D.INTERESTS))

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
    handle: Text | None = None
    kind: Literal[ACCOUNT_KINDS] = "other"  # type: ignore[valid-type]
    count: Annotated[int, Field(ge=1, le=100_000)] | None = None
    followers: LogNormal = Field(default_factory=lambda: LogNormal(median=D.ACCOUNT_FOLLOWERS))
    region: Text | list[Text] | None = None
    region_share: Probability = D.REGIONAL_SHARE
    interest: Identifier | None = None
    interest_share: Probability = D.INTEREST_SHARE
    topics: list[Identifier] | None = None
    overlap: dict[Text, Probability] = Field(default_factory=dict)

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

    source: Text
    target: Text
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

    account: Text
    at: NonNegFloat = 0.0
    topic: Identifier = GENERAL_TOPIC
    scope: Identifier = NATIONAL_SCOPE
    promotional: bool = False
    appeal: Multiplier | None = None
    repeat: Annotated[int, Field(ge=1, le=1000)] = 1
    every: PosFloat = 24.0
    label: Text | None = None


class BehaviourSpec(Strict):
    """Follower repost behaviour (``docs/model.md#one-delivery``, steps 1-2).

    ``profile`` names a calibrated behaviour profile (:mod:`simulator.scenario.profiles`: ``weibo``, the
    default, or ``twitter``) that supplies ``p0``, ``appeal_sigma`` and the organic ``latency`` a file does
    not set; ``none`` uses the plain defaults of :mod:`simulator.defaults`.
    """

    profile: str = DEFAULT_PROFILE
    p0: Probability = D.P0
    p0_promotional: Probability = D.P0_PROMOTIONAL
    appeal_sigma: Annotated[float, Field(ge=0.0, le=5.0)] = D.APPEAL_SIGMA
    off_topic_factor: Probability = D.OFF_TOPIC_FACTOR
    alpha: Annotated[float, Field(ge=0.0, le=10.0)] = D.ALPHA
    beta: Annotated[float, Field(ge=0.0, le=10.0)] = D.BETA
    exposure_half_life: HalfLife = D.EXPOSURE_HALF_LIFE_H
    latency: LogNormal = Field(default_factory=lambda: LogNormal(median=D.LATENCY_MEDIAN_H, sigma=D.LATENCY_SIGMA))
    variation_weights: dict[Literal[VARIATIONS], Weight] = Field(  # type: ignore[valid-type]
        default_factory=lambda: dict(D.VARIATION_WEIGHTS)
    )
    commentary_appeal: Multiplier = D.COMMENTARY_APPEAL

    @model_validator(mode="before")
    @classmethod
    def _from_profile(cls, data: Any) -> Any:
        """Fill what the file leaves unset from the named profile (before the fields are checked)."""
        if not isinstance(data, dict):
            return data
        name = data.get("profile", DEFAULT_PROFILE)
        if not isinstance(name, str) or name.strip().lower() not in profile_names():
            return data  # the profile field's own check reports it
        if name.strip().lower() == NO_PROFILE:
            return data
        values = get_profile(name).values
        out = dict(data)
        for field, key in (("p0", "behaviour.p0"), ("appeal_sigma", "behaviour.appeal_sigma")):
            if field not in out and key in values:
                out[field] = values[key]
        if "latency" not in out and "behaviour.latency.median" in values:
            out["latency"] = {
                "median": values["behaviour.latency.median"],
                "sigma": values.get("behaviour.latency.sigma", D.LATENCY_SIGMA),
            }
        return out

    @field_validator("latency", mode="before")
    @classmethod
    def _latency(cls, v: Any) -> Any:
        return _lognormal_or_number(v, "a latency in hours")

    @field_validator("variation_weights")
    @classmethod
    def _all_variations(cls, v: dict[str, float]) -> dict[str, float]:
        return {**D.VARIATION_WEIGHTS, **v}

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, v: str) -> str:
        key = v.strip().lower()
        if key not in profile_names():
            raise ValueError(f"unknown behaviour profile {v!r}; known: {', '.join(profile_names())}")
        return key


class FatigueSpec(Strict):
    """Load-driven exits (docs/model.md#load-and-exits) and baseline churn (docs/model.md#churn-clocks)."""

    enabled: bool = True
    load_half_life: HalfLife = D.LOAD_HALF_LIFE_H
    tolerance: LogNormal = Field(default_factory=lambda: LogNormal(median=D.TOLERANCE_MEDIAN, sigma=D.TOLERANCE_SIGMA))
    w_dup: Weight = D.W_DUP
    w_irr: Weight = D.W_IRR
    w_promo: Weight = D.W_PROMO
    kappa: Rate = D.KAPPA
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

    preset: Text
    params: dict[str, Any] = Field(default_factory=dict)


class Scenario(Strict):
    """A complete, validated scenario (after any ``topology`` preset has been expanded)."""

    name: Annotated[Text, Field(min_length=1)]
    description: Description = ""
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
