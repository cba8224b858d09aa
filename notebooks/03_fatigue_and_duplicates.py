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
# # 3 · Fatigue and duplicates: the deck's warnings, quantified
#
# The source deck warns, for the dandelion pattern (sub-brand accounts that repost the core
# account and each other), that **duplicate content across accounts annoys users** and that
# **too-frequent reposting annoys**; for the twin-star pattern, that executives should **add their
# own opinion rather than plain reposts**. This notebook puts numbers on those warnings.
#
# We take the bundled dandelion scenario (an official account, 4 sub-brands that relay it and each
# other, 5 spokes per sub-brand, overlapping audiences) and vary two things:
#
# * **how the matrix relays**: not at all (the official account alone), *verbatim*
#   cross-reposting (the preset), *cosmetic* edits, or each relaying account adding its *own
#   commentary* (what the deck asks of executives);
# * **how often the official account posts**: 1, 2, 4 or 8 posts a day for 3 days.
#
# How the model turns this into fatigue (README, *The model*): every delivery from a brand account
# adds load `1 + w_dup·w_var·[already seen this item] + …` on that follower–account pair; the
# load decays with a 7-day half-life, and above the follower's tolerance θ it drives mutes and
# unfollows. A verbatim relay weighs w_var = 1, a cosmetic edit 0.7, own commentary 0.4 (and a
# commentary is twice as likely to be reposted).
#
# Every combination runs on the same follower worlds (one per replicate: common random numbers),
# so differences between strategies are paired, not noise between different populations.

# %% tags=["parameters"]
import os

SCALE = float(os.environ.get("PROPSIM_NB_SCALE", "1"))  # 1 = full size (500,000 followers)
REPLICATES = int(os.environ.get("PROPSIM_NB_REPLICATES", "5" if SCALE >= 0.5 else "3"))

# %%
import copy
import time
from pathlib import Path

# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

import simulator
from simulator.plotting import count_formatter, format_count, format_percent, use_style
from simulator.scenario.presets import expand
from simulator.scenario.yaml_io import parse_yaml
from simulator.world.build import build_world


def fc(x: float) -> str:
    """Compact count of a (mean) number of people: 12k, 1.2M."""
    return format_count(round(float(x)))


ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "scenarios").is_dir())
use_style("en")
plt.rcParams.update(
    {
        "figure.figsize": (12, 4.6),
        "font.size": 12,
        "axes.titlesize": 13,
        "axes.labelsize": 12,
        "xtick.labelsize": 11,
        "ytick.labelsize": 11,
        "legend.fontsize": 11,
        "lines.linewidth": 2,
    }
)

# %% [markdown]
# ## The experiment
#
# The scenario document is the bundled file; each strategy replaces the preset's relay edges (same
# sources, targets and probabilities; another `variation`, or probability 0) and each frequency
# replaces the campaign (the official post repeated every 24/f hours over the 72-hour horizon).

# %%
BASE = ROOT / "scenarios" / "dandelion.yaml"
base_doc, _ = parse_yaml(BASE.read_text(encoding="utf-8"), str(BASE))
topo = base_doc["topology"]
preset = expand(
    topo if isinstance(topo, str) else topo["preset"], {} if isinstance(topo, str) else topo.get("params", {})
)

STRATEGIES = {
    "official only": None,
    "verbatim cross-reposting": "verbatim",
    "cosmetic edits": "cosmetic",
    "own commentary": "commentary",
}
COLORS = {
    "official only": "#8C8C8C",
    "verbatim cross-reposting": "#D55E00",
    "cosmetic edits": "#E69F00",
    "own commentary": "#009E73",
}
FREQUENCIES = [1, 2, 4, 8]  # posts per day by the official account


def scenario(strategy: str, per_day: int, seed: int) -> simulator.LoadedScenario:
    """The dandelion scenario with one relay style and posting frequency."""
    doc = copy.deepcopy(base_doc)
    doc["seed"] = seed
    variation = STRATEGIES[strategy]
    if variation is None:
        doc["relays"] = [dict(r, probability=0.0, off_topic_probability=0.0) for r in preset["relays"]]
    else:
        doc["relays"] = [dict(r, variation=variation) for r in preset["relays"]]
    horizon = doc.get("time", {}).get("horizon", 72)
    doc["campaign"] = [
        dict(post, repeat=int(horizon * per_day // 24), every=24 / per_day) for post in preset["campaign"]
    ]
    return simulator.load_document(doc, source=str(BASE), scale=SCALE)


rows = []
started = time.perf_counter()
for rep in range(REPLICATES):
    seed = 100 + rep
    first = scenario("official only", 1, seed)
    # Relays and campaign do not enter the world (population, graph, audiences, tolerances):
    # build it once per replicate and reuse it for every strategy and frequency.
    world = build_world(first.scenario, first.matrix)
    for strategy in STRATEGIES:
        for per_day in FREQUENCIES:
            model = simulator.PropagationModel(scenario(strategy, per_day, seed), world=world).run()
            s = simulator.collect(model).summary
            rows.append(
                {
                    "strategy": strategy,
                    "posts_per_day": per_day,
                    "replicate": rep,
                    **{
                        k: s[k]
                        for k in (
                            "reach",
                            "impressions",
                            "duplicate_exposures",
                            "fatigued",
                            "mutes",
                            "unfollows",
                            "exits",
                            "account_relays",
                            "follower_reposts",
                            "population",
                        )
                    },
                }
            )
runs = pd.DataFrame(rows)
runs["duplicates_per_person"] = runs["duplicate_exposures"] / runs["reach"]
print(
    f"{len(runs)} runs of {runs['population'].iloc[0]:,} followers "
    f"({REPLICATES} replicates) in {time.perf_counter() - started:.0f} s"
)

# %%
METRICS = [
    "reach",
    "impressions",
    "duplicate_exposures",
    "duplicates_per_person",
    "fatigued",
    "mutes",
    "unfollows",
    "exits",
    "account_relays",
    "follower_reposts",
]


def summarise(df: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95% t-interval half-width over replicates, per strategy and frequency."""
    g = df.groupby(["strategy", "posts_per_day"], sort=False)[METRICS]
    mean, sd, n = g.mean(), g.std(ddof=1), g.size()
    half = sd.mul(stats.t.ppf(0.975, np.maximum(n - 1, 1)) / np.sqrt(n), axis=0)
    return mean.join(half.add_suffix("_ci"))


points = summarise(runs)
points[["reach", "duplicate_exposures", "fatigued", "mutes", "unfollows"]].round(0).astype(int)

# %% [markdown]
# ## Cross-reposting: more reach, many more duplicates
#
# At four posts a day. Bars are means over replicates with 95% intervals (few replicates give wide
# intervals: the relay decisions themselves are random).

# %%
FOCUS = 4
at = points.xs(FOCUS, level="posts_per_day").reindex(list(STRATEGIES))
panels = [
    ("reach", "people reached"),
    ("duplicate_exposures", "duplicate deliveries"),
    ("fatigued", "followers past tolerance"),
    ("exits", "mutes + unfollows"),
]
fig, axes = plt.subplots(1, 4, figsize=(15, 4.4))
for ax, (m, title) in zip(axes, panels):
    err = np.vstack([np.minimum(at[f"{m}_ci"].fillna(0), at[m]), at[f"{m}_ci"].fillna(0)])  # bars stay >= 0
    ax.bar(range(len(at)), at[m], yerr=err, color=[COLORS[s] for s in at.index], capsize=4)
    ax.set_xticks(range(len(at)), [s.replace(" ", "\n", 1) for s in at.index], fontsize=9)
    ax.set_title(title)
    ax.yaxis.set_major_formatter(count_formatter("en"))
fig.suptitle(f"Dandelion matrix, {FOCUS} posts a day for 3 days: what each relay style costs", fontsize=14)
plt.show()

# %%
alone, verb, comm = (at.loc[k] for k in ("official only", "verbatim cross-reposting", "own commentary"))
extra_reach = verb["reach"] - alone["reach"]
dup_factor = verb["duplicate_exposures"] / max(alone["duplicate_exposures"], 1)
exit_factor = verb["exits"] / max(alone["exits"], 1)
comm_exit_cut = 1 - comm["exits"] / verb["exits"] if verb["exits"] else float("nan")
fat_factor = verb["fatigued"] / max(alone["fatigued"], 1)
comm_fat_cut = 1 - comm["fatigued"] / verb["fatigued"] if verb["fatigued"] else float("nan")
print(
    f"At {FOCUS} posts/day, verbatim cross-reposting adds {fc(extra_reach)} people "
    f"(+{format_percent(extra_reach / alone['reach'])}) over the official account alone, with "
    f"{fc(verb['duplicate_exposures'])} duplicate deliveries ({verb['duplicates_per_person']:.1f} per "
    f"person reached, against {alone['duplicates_per_person']:.2f}), {fat_factor:.1f}x the followers past "
    f"their tolerance ({fc(verb['fatigued'])} vs {fc(alone['fatigued'])}) and "
    f"{exit_factor:.1f}x the mutes and unfollows ({fc(verb['exits'])} vs {fc(alone['exits'])})."
)
print(
    f"With their own commentary instead, the same relays reach {fc(comm['reach'])} people "
    f"({format_percent(comm['reach'] / verb['reach'] - 1)} vs verbatim), leave "
    f"{format_percent(comm_fat_cut)} fewer followers past their tolerance and cause "
    f"{format_percent(comm_exit_cut)} fewer exits ({fc(comm['exits'])})."
)

# %% [markdown]
# Duplicate *deliveries* do not depend on the wording: the same people still receive the item
# from several accounts. What changes is how much each one weighs on the follower (load) and
# therefore how many of them cross their tolerance and leave.

# %% [markdown]
# ## Posting frequency: reach grows slowly, fatigue and exits quickly

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4.8))
panels = [
    ("reach", "Reach", "linear"),
    ("fatigued", "Followers past tolerance (log)", "log"),
    ("exits", "Mutes + unfollows (log)", "symlog"),
]
for strategy in STRATEGIES:
    p = points.xs(strategy, level="strategy")
    x = p.index.to_numpy()
    for ax, (m, _, _) in zip(axes, panels):
        ax.plot(x, p[m], marker="o", color=COLORS[strategy], label=strategy)
        ci = p[f"{m}_ci"].fillna(0)
        ax.fill_between(x, np.maximum(p[m] - ci, 0.5), p[m] + ci, color=COLORS[strategy], alpha=0.12, lw=0)
for ax, (m, title, yscale) in zip(axes, panels):
    ax.set_xscale("log", base=2)
    ax.set_xticks(FREQUENCIES, [str(f) for f in FREQUENCIES])
    if yscale == "symlog":
        ax.set_yscale("symlog", linthresh=10)
    else:
        ax.set_yscale(yscale)
    ax.set_ylim(bottom=0 if yscale != "log" else 1)
    ax.set_xlabel("official posts per day")
    ax.yaxis.set_major_formatter(count_formatter("en"))
    ax.set_title(title)
axes[0].legend(loc="upper left", fontsize=10)
fig.suptitle("Dandelion matrix over 3 days: posting more often (95% bands over replicates)", fontsize=14)
plt.show()

# %%
lo, hi = FREQUENCIES[0], FREQUENCIES[-1]
v = points.xs("verbatim cross-reposting", level="strategy")
gain = v.loc[hi, "reach"] / v.loc[lo, "reach"] - 1
fat_gain = v.loc[hi, "fatigued"] / max(v.loc[lo, "fatigued"], 1)
per_person = (v.loc[hi, "exits"] - v.loc[lo, "exits"]) / max(v.loc[hi, "reach"] - v.loc[lo, "reach"], 1)
print(
    f"Verbatim cross-reposting, {lo} -> {hi} posts a day ({hi // lo}x the posts): reach +{format_percent(gain)}, "
    f"followers past tolerance x{fat_gain:.0f} ({fc(v.loc[lo, 'fatigued'])} -> "
    f"{fc(v.loc[hi, 'fatigued'])}), mutes and unfollows {fc(v.loc[lo, 'exits'])} -> "
    f"{fc(v.loc[hi, 'exits'])}: {per_person:.3f} lost followers for every additional person reached."
)

# %% [markdown]
# ## Who loses the followers
#
# Per-account exits of one run (verbatim cross-reposting at the highest frequency): the accounts
# whose audiences overlap most receive the same item several times.

# %%
loaded = scenario("verbatim cross-reposting", hi, 100)
one = simulator.collect(simulator.PropagationModel(loaded, world=build_world(loaded.scenario, loaded.matrix)).run())
acc = one.accounts.assign(
    exits=lambda d: d["mutes"] + d["unfollows"],
    exit_rate=lambda d: (d["mutes"] + d["unfollows"]) / d["followers_initial"].clip(lower=1),
)
by_kind = acc.groupby("kind")[["followers_initial", "deliveries", "exits"]].sum()
by_kind["exit_rate"] = by_kind["exits"] / by_kind["followers_initial"]
by_kind.sort_values("exit_rate", ascending=False)

# %% [markdown]
# ## What it means for a strategist
#
# The numbers above are computed in this notebook (they change with `SCALE`, `REPLICATES` and the
# scenario's assumptions, which are all sweepable):
#
# * **Cross-reposting buys reach with duplicates.** Sub-brands and spokes relaying the same item
#   verbatim reach extra people, but most of their deliveries land on people who already had it;
#   that duplicate load is what drives mutes and unfollows.
# * **Own commentary keeps the reach and cuts the cost.** The same relay edges with each account's
#   own take reach at least as many people (a commentary is more likely to be reposted) and leave
#   fewer followers fatigued and fewer exits: the deck's advice to executives holds for every
#   relaying account. The duplicate deliveries themselves remain: only choosing relays by audience
#   (less overlap) removes them.
# * **Frequency has steeply diminishing returns.** Each extra post reaches mostly people who have
#   seen the earlier ones; fatigue and exits grow much faster than reach, and in a cross-reposting
#   matrix every extra post is multiplied by the relays.

# %%
print(
    f"Takeaway (this run, {runs['population'].iloc[0]:,} followers, {REPLICATES} replicates): at {FOCUS} posts/day "
    f"verbatim relays add {format_percent(extra_reach / alone['reach'])} reach at {fat_factor:.1f}x the fatigued "
    f"followers; own commentary cuts the fatigued by {format_percent(comm_fat_cut)} and exits by "
    f"{format_percent(comm_exit_cut)}; {hi} instead of {lo} posts/day adds {format_percent(gain)} reach for "
    f"{fat_gain:.0f}x the fatigued followers."
)
