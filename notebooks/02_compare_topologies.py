# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 2 · Which account matrix? Six topologies across repost probabilities
#
# The strategist's question: *which account matrix reaches the most people, at what repost
# probability, at what fatigue cost?* We run the six organisation presets (centralized, organic,
# hub, dandelion, honeycomb, twin star; README *Preset parameters*) on the same 500,000-follower
# population, each running the same busy campaign (its posting account(s) post 3 times a day for
# 3 days), and sweep the follower repost probability `p0` over a log range with replicates.
#
# The sweep runner (`simulator.sweep`) gives one row per run and one row per parameter point
# with the mean and 95% t-interval of every metric; the charts (`simulator.plotting.charts`) take
# those tables directly. Replicate *k* of every point sees the same follower world (common random
# numbers), so the curves are paired comparisons.
#
# **Size.** `SCALE` multiplies the population and follower counts (1 = full size), `REPLICATES`
# is the number of random worlds per point, `WORKERS` the processes running them. The test suite
# uses `PROPSIM_NB_SCALE=0.05` and 3 replicates.

# %% tags=["parameters"]
import os

SCALE = float(os.environ.get("PROPSIM_NB_SCALE", "1"))  # 1 = full size (500,000 followers)
REPLICATES = int(os.environ.get("PROPSIM_NB_REPLICATES", "6" if SCALE >= 0.5 else "3"))
WORKERS = int(os.environ.get("PROPSIM_NB_WORKERS", str(min(4, os.cpu_count() or 1)) if SCALE >= 0.5 else "1"))

# %%
import time

# %matplotlib inline
import matplotlib.pyplot as plt  # noqa: F401
import numpy as np
import pandas as pd
from IPython.display import display

from simulator.plotting import format_count, format_percent, label
from simulator.plotting.charts import efficient_frontier, plot_fatigue, plot_reach, plot_tradeoff
from simulator.scenario.presets import PRESETS, expand
from simulator.sweeps.runner import sweep

P0 = {"log": [0.0005, 0.008, 5]}  # 0.05% ... 0.8% per delivery (README: p0 sweep range 1e-4 - 1e-2)
POSTS_PER_DAY, DAYS = 3, 3
pd.set_option("display.width", 140)


def fc(x: float) -> str:
    """Compact count of a (mean) number of people: 12k, 1.2M."""
    return format_count(round(float(x)))


def scenario(preset: str) -> dict:
    """One preset on the common population, its default campaign repeated POSTS_PER_DAY a day."""
    campaign = [
        dict(post, repeat=POSTS_PER_DAY * DAYS, every=24 / POSTS_PER_DAY) for post in expand(preset)["campaign"]
    ]
    return {
        "name": f"compare-{preset}",
        "seed": 2024,
        "topology": preset,
        "population": {"size": 500_000},
        "time": {"horizon": 24 * DAYS},
        "campaign": campaign,
    }


# %% [markdown]
# ## The sweep
#
# One sweep per preset (each preset's campaign names its own posting accounts), concatenated into
# one tidy table with a `topology` column.

# %%
started = time.perf_counter()
results = {
    p: sweep(scenario(p), {"behaviour.p0": P0}, replicates=REPLICATES, scale=SCALE, workers=WORKERS, progress=False)
    for p in PRESETS
}
points = pd.concat([r.points.assign(topology=p) for p, r in results.items()], ignore_index=True)
runs = pd.concat([r.runs.assign(topology=p) for p, r in results.items()], ignore_index=True)
failed = runs[runs["status"] != "ok"]
assert failed.empty, failed[["run_id", "error"]]
print(
    f"{len(runs)} runs ({len(PRESETS)} presets x {points['behaviour.p0'].nunique()} repost probabilities x "
    f"{REPLICATES} replicates) of {int(runs['population'].iloc[0]):,} followers in "
    f"{time.perf_counter() - started:.0f} s"
)
cols = [
    "topology",
    "behaviour.p0",
    "n",
    "reach_mean",
    "reach_ci_low",
    "reach_ci_high",
    "fatigue_share_mean",
    "exits_mean",
]
points[cols].round(4)

# %% [markdown]
# ## Reach against repost probability
#
# At low `p0` reach is almost all *direct* (the matrix accounts' own audiences), so the matrix
# that covers the most distinct followers wins. As `p0` rises, followers' reposts carry the posts
# further and the curves bend upward; bands are 95% confidence intervals of the mean.

# %%
display(plot_reach(points, x="behaviour.p0", by="topology"))

# %% [markdown]
# ## Fatigue and exits
#
# Fatigue is the share of reached people whose load on some brand account went past their
# tolerance; exits are mutes + unfollows. Load comes from the brand accounts' deliveries, so it
# depends on how many accounts push the same items to overlapping audiences, and hardly on `p0`.

# %%
display(plot_fatigue(points, x="behaviour.p0", by="topology"))

# %% [markdown]
# ## The reach-fatigue frontier
#
# Every (topology, `p0`) point as mean fatigued followers against mean reach; the dashed line joins
# the points no other point beats on both (more reach for no more fatigue). Higher `p0` always
# helps, but it is content quality, not a choice of matrix: the second chart holds `p0` at the
# model's default and compares the matrices alone.

# %%
p0_values = np.sort(points["behaviour.p0"].unique())
default_p0 = float(p0_values[np.argmin(np.abs(np.log(p0_values / 0.001)))])  # nearest to the default 0.001
display(plot_tradeoff(points, x="behaviour.p0", by="topology", cost="fatigued", benefit="reach"))
display(plot_tradeoff(points, by="topology", cost="fatigued", benefit="reach", where={"behaviour.p0": default_p0}))

# %% [markdown]
# ## What it means for a strategist
#
# The statements below are computed from the tables above (they change with the scale, the number
# of replicates and the scenario assumptions).

# %%
at = points[points["behaviour.p0"] == default_p0].set_index("topology")
ranking = at.sort_values("reach_mean", ascending=False)
best, runner_up = ranking.index[0], ranking.index[1]
overlap = ranking.loc[best, "reach_ci_low"] <= ranking.loc[runner_up, "reach_ci_high"]
lines = [
    f"At p0 = {default_p0:g}: {label(best)} reaches the most people "
    f"({fc(ranking.loc[best, 'reach_mean'])}, {format_percent(ranking.loc[best, 'reach_share_mean'])} "
    f"of the population), then {label(runner_up)} ({fc(ranking.loc[runner_up, 'reach_mean'])})"
    + ("; their 95% intervals overlap." if overlap else "; the difference is outside the 95% intervals.")
]
lo, hi = p0_values[0], p0_values[-1]
growth = (
    points[points["behaviour.p0"] == hi].set_index("topology")["reach_mean"]
    / points[points["behaviour.p0"] == lo].set_index("topology")["reach_mean"]
).sort_values(ascending=False)
lines.append(
    f"From p0 = {lo:g} to {hi:g}, reach grows most for {label(growth.index[0])} (x{growth.iloc[0]:.2f}) and "
    f"least for {label(growth.index[-1])} (x{growth.iloc[-1]:.2f}): the more the matrix relies on "
    "followers' reposts, the more content quality (p0) pays."
)
cheap = (at["fatigued_mean"] / at["reach_mean"]).sort_values()
lines.append(
    f"Fatigue per person reached at p0 = {default_p0:g}: lowest for {label(cheap.index[0])} "
    f"({format_percent(cheap.iloc[0])}), highest for {label(cheap.index[-1])} ({format_percent(cheap.iloc[-1])})."
)
front = at.iloc[efficient_frontier(at["fatigued_mean"], at["reach_mean"])]
dominated = [t for t in at.index if t not in front.index]
lines.append(
    f"Reach-fatigue frontier at p0 = {default_p0:g}: "
    + " -> ".join(
        f"{label(t)} ({fc(r)} reached, {fc(f)} fatigued)"
        for t, r, f in zip(front.index, front["reach_mean"], front["fatigued_mean"])
    )
    + (f"; dominated: {', '.join(label(t) for t in dominated)}." if dominated else ".")
)
for line in lines:
    print("•", line)

# %% [markdown]
# **How to read this.** A matrix is a bet on *whose audiences* carry a post. Matrices whose extra
# accounts bring *new* audiences (regional spokes with local followers, executives with partly
# separate ones) add reach at little fatigue cost; matrices whose accounts repeat the same post to
# the same people add load before they add reach. Repost probability is the lever content quality
# controls: it multiplies every matrix, but most those with many small, independent audiences.
# Use the frontier, not the reach ranking alone: a point off the frontier is dominated by another
# matrix or probability that reaches more people for no more fatigue.
