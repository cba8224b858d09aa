"""Equal-budget matrices: how each preset spends one budget of audience, accounts and posts.

A budget (``topology.params.budget``) fixes what a company spends on its matrix, so that presets
compared at one budget differ only in structure (who relays whom, overlaps, latency, variation):

- ``audience``: the total matrix audience, the sum of every account's follower count (people; a
  person who follows three of the accounts counts three times);
- ``accounts``: how many accounts the matrix has (the official account included);
- ``posts_per_week``: original campaign posts per week, for the whole matrix (relays and follower
  reposts are not originals); posts start at the preset's ``post_at`` and repeat every
  ``168 / posts_per_week`` hours while they fall before the scenario's horizon;
- ``official_share``: the share of ``audience`` the official account holds (default 0.4).

Under a budget every follower count is fixed (lognormal sigma 0), so every replicate has exactly
the budget's audience and no preset wins by a lucky draw of account sizes. The official account
gets ``official_share`` of the audience (minus the rounding remainder of the other accounts, so
the total is exact); the other accounts share the rest in proportion to a fixed weight per kind of
account, taken from the preset's default follower medians (see :data:`WEIGHTS`). How many
accounts of each kind a preset has at ``accounts = n``:

========== ===================================================================================
centralized official + ``n - 1`` controlled sub-accounts (equal)
organic     ``n`` independent units, no official; sizes are the lognormal quantiles
            ``exp(sigma * z_i)``, ``z_i = Phi^-1((i - 0.5) / n)``, sigma = ``followers.sigma``
            (1.5), scaled to the audience; originals rotate over the units, largest first
hub         official + ``n - 1`` regional accounts (equal)
dandelion   official + ``s = min(len(sub_brands), n - 1)`` sub-brands; the ``n - 1 - s`` spokes
            are split evenly over the sub-brands (earlier ones get one more); a sub-brand
            weighs 10 spokes (30k : 3k)
honeycomb   official + ``n - 1`` employees (equal)
twin_star   official + ``e = min(executives, n - 1)`` executives + ``n - 1 - e`` verticals
            (named after ``verticals``, then ``line04``, ...); an executive weighs 10/3
            verticals (50k : 15k)
========== ===================================================================================
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

HOURS_PER_WEEK = 168.0
# Assumption: the bundled presets' official accounts hold 33-50% of their matrix's followers at
# their default parameters (hub 37%, dandelion 33%, twin_star 41%, centralized 50%, honeycomb
# 50%; scenarios/hub.yaml 44%); 0.4 sits in that range. Swept as budget.official_share.
OFFICIAL_SHARE = 0.4
# Relative follower weight of one account of each kind inside a preset (default medians).
WEIGHTS = {
    ("dandelion", "sub_brand"): 30_000.0,
    ("dandelion", "spoke"): 3_000.0,
    ("twin_star", "executive"): 50_000.0,
    ("twin_star", "vertical"): 15_000.0,
}
# Fewest accounts each preset can be built with (official + one sub-account; organic: one unit).
MIN_ACCOUNTS = {"centralized": 1, "organic": 1, "hub": 2, "dandelion": 2, "honeycomb": 2, "twin_star": 2}


class Budget(BaseModel):
    """What a matrix spends: total audience (people), number of accounts, original posts per week."""

    model_config = ConfigDict(extra="forbid")

    audience: Annotated[int, Field(ge=1, le=10_000_000_000)]
    accounts: Annotated[int, Field(ge=1, le=100_000)]
    posts_per_week: Annotated[float, Field(gt=0.0, le=10_000.0)]
    official_share: Annotated[float, Field(gt=0.0, lt=1.0)] = OFFICIAL_SHARE

    @model_validator(mode="after")
    def _one_follower_each(self) -> Budget:
        if self.audience < self.accounts:
            raise ValueError(
                f"an audience of {self.audience} cannot give each of {self.accounts} accounts a follower; "
                "raise audience or lower accounts"
            )
        return self

    @property
    def every_h(self) -> float:
        """Hours between two original posts."""
        return HOURS_PER_WEEK / self.posts_per_week


class BudgetError(ValueError):
    """A budget a preset cannot spend; ``field`` is the budget field to change."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


def post_times(start: float, every: float, horizon: float) -> list[float]:
    """Hours of the originals: ``start, start + every, ...`` before ``horizon`` (at least one)."""
    count = max(1, math.ceil((horizon - start) / every)) if horizon > start else 1
    return [round(start + k * every, 9) for k in range(count)]


def split(total: int, weights: Sequence[float]) -> list[int]:
    """Integers proportional to ``weights`` that add up to ``total`` exactly (largest remainder)."""
    w = sum(weights)
    raw = [total * x / w for x in weights]
    out = [math.floor(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def quantile_weights(n: int, sigma: float) -> list[float]:
    """Lognormal quantiles ``exp(sigma * Phi^-1((i - 0.5) / n))``, largest first: uneven sizes
    that are the same in every replicate."""
    nd = NormalDist()
    return sorted((math.exp(sigma * nd.inv_cdf((i - 0.5) / n)) for i in range(1, n + 1)), reverse=True)


def official_and_groups(budget: Budget, groups: Sequence[tuple[int, float]]) -> tuple[int, list[int]]:
    """Follower counts: ``(official, [per-account count of each group])``.

    ``groups`` are ``(number of accounts, weight of one account)``; the official account takes
    ``official_share`` of the audience plus the rounding remainder, so the total is exact.
    Raises :class:`BudgetError` when an account would get no follower."""
    a = budget.audience
    members = sum(k for k, _ in groups)
    if members == 0:
        return a, []
    rest = a - round(a * budget.official_share)
    mass = sum(k * w for k, w in groups)
    sizes = [round(rest * w / mass) if k else 0 for k, w in groups]
    official = a - sum(k * s for (k, _), s in zip(groups, sizes))
    if official < 1 or any(s < 1 for (k, _), s in zip(groups, sizes) if k):
        raise BudgetError(
            "audience",
            f"an audience of {a:,} is too small to give each of {budget.accounts} accounts at least one "
            f"follower with the official account holding {budget.official_share:g} of it",
        )
    return official, sizes


def check_accounts(preset: str, budget: Budget) -> None:
    """Raise :class:`BudgetError` when the preset needs more accounts than the budget has."""
    need = MIN_ACCOUNTS[preset]
    if budget.accounts < need:
        raise BudgetError(
            "accounts",
            f"{preset} needs at least {need} accounts (the official account and one "
            f"{'sub-account' if need > 1 else 'unit'}), the budget has {budget.accounts}",
        )
