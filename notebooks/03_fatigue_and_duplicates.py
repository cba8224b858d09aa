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
# own opinion rather than plain reposts**. This notebook puts numbers on those warnings, and says
# which of them the simulation can actually separate from noise.
#
# We take the bundled dandelion scenario (an official account, 4 sub-brands that relay it and each
# other, 5 spokes per sub-brand, overlapping audiences) and vary two things:
#
# * **how the matrix relays**: not at all (the official account alone), *verbatim*
#   cross-reposting (the preset), *cosmetic* edits, or each relaying account adding its *own
#   commentary* (what the deck asks of executives);
# * **how often the official account posts**: 1, 2, 4 or 8 posts a day for 3 days.
#
# How the model turns this into fatigue (`docs/model.md`, *Load and exits*): every delivery from a
# brand account adds load on that follower–account pair, more for an item the follower already
# has (a duplicate) and for off-topic or promotional items, weighted by how the item was varied
# (verbatim 1, cosmetic edit 0.7, own commentary 0.4). Load decays with a 7-day half-life; above
# the follower's tolerance it drives **mutes and unfollows: exits caused by the campaign**.
# **Baseline churn** (people who drift away whatever the campaign does) is simulated too, and kept
# apart: it is never a cost of the campaign. The same variation weights also lower a relay's pull
# on reposts; own commentary doubles it only for personal voices (executives, employees), not for
# brand accounts, which is what the dandelion's relaying accounts are.
#
# **The rule for every claim**: all 16 combinations run on the same replicate worlds (common random
# numbers), and each option is compared with a baseline replicate by replicate. A difference counts
# when its paired 95% interval, adjusted for the number of options compared (Holm), excludes 0;
# otherwise it is *similar (n.s.)*. The charts and sentences come from `simulator.plotting`, which
# applies that rule.
#
# **Size.** `SCALE` (1 = the scenario's 2 million people; about five minutes on one core),
# `REPLICATES` per combination (5 at full size). The test suite uses `PROPSIM_NB_SCALE=0.05` and
# 3 replicates, where many differences are n.s.: few replicates of a small world are weak
# evidence, and the sentences say so.

# %% tags=["parameters"]
import os

SCALE = float(os.environ.get("PROPSIM_NB_SCALE", "1"))  # 1 = full size (2,000,000 people)
REPLICATES = int(os.environ.get("PROPSIM_NB_REPLICATES", "5" if SCALE >= 0.5 else "3"))

# %%
import copy
import time
from pathlib import Path

# %matplotlib inline
import matplotlib.pyplot as plt  # noqa: F401
import pandas as pd
from IPython.display import Markdown, display

import simulator
from simulator.plotting import (
    SweepData,
    compute_points,
    difference_table,
    format_count,
    label,
    make_charts,
    parameter_labels,
    plot_differences,
    plot_reach,
)
from simulator.scenario.loading import read_scenario
from simulator.scenario.presets import expand

ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "scenarios").is_dir())
pd.set_option("display.width", 160)
STYLE, PER_DAY = "relay style", "posts per day"
LABELS = {STYLE: {"en": "Relay style", "zh": "转发方式"}, PER_DAY: {"en": "Posts per day", "zh": "每日发帖数"}}


def show(chart) -> None:
    """A chart under its computed takeaway."""
    display(Markdown(f"**{chart.title}**: {chart.takeaway}"))
    display(chart.figure)


def cut(runs: pd.DataFrame, param: str, baseline) -> SweepData:
    """The runs of one comparison as sweep tables for the charts: one swept ``param``, its
    ``baseline`` value the option every other is compared with (paired by replicate)."""
    runs = runs.drop(columns=[c for c in (STYLE, PER_DAY) if c != param])
    manifest = {
        "differences": {"baseline": {param: baseline}},
        "parameter_labels": LABELS,
        "scenario": {"scale": SCALE},
    }
    return SweepData(runs=runs, points=compute_points(runs, [param]), params=[param], manifest=manifest)


def said(table: pd.DataFrame, option: str, metric: str) -> str:
    """One cell of a difference table in words: "+8.1k (±1.2k)", "similar (n.s.)" or "no measurable effect"."""
    row = table[(table["option"] == option) & (table["metric"] == metric)].iloc[0]
    if not row["measurable"]:
        return "no measurable effect"
    return row["text"] if row["significant"] else "similar (n.s.)"


# %% [markdown]
# ## The experiment
#
# The scenario document is the bundled file; each relay style replaces the preset's relay edges
# (same sources, targets and probabilities; another `variation`, or probability 0), and each
# frequency replaces the campaign (the official post repeated every 24/f hours over the 72-hour
# horizon). One `simulator.sweep` per relay style sweeps the four frequencies; all four sweeps
# share the root seed, so replicate *k* of every combination runs in the same world with the same
# per-decision random draws (relays do not change who follows whom).

# %%
BASE = ROOT / "scenarios" / "dandelion.yaml"
base_doc, _, _, _ = read_scenario(BASE)
topo = base_doc["topology"]
preset = expand(*([topo] if isinstance(topo, str) else [topo["preset"], topo.get("params", {})]))
STYLES = {
    "official only": None,
    "verbatim cross-reposting": "verbatim",
    "cosmetic edits": "cosmetic",
    "own commentary": "commentary",
}
FREQUENCIES = [1, 2, 4, 8]  # official posts per day
HORIZON = float(base_doc.get("time", {}).get("horizon", 72))


def document(style: str) -> dict:
    """The dandelion scenario with every relay edge in one style (None: no relays)."""
    doc = copy.deepcopy(base_doc)
    variation = STYLES[style]
    if variation is None:
        doc["relays"] = [dict(r, probability=0.0, off_topic_probability=0.0) for r in preset["relays"]]
    else:
        doc["relays"] = [dict(r, variation=variation) for r in preset["relays"]]
    doc["campaign"] = [dict(post, repeat=1, every=24.0) for post in preset["campaign"]]
    return doc


frequency_sweep = {
    "campaign.0.repeat": [int(HORIZON * f // 24) for f in FREQUENCIES],
    "campaign.0.every": [24 / f for f in FREQUENCIES],
}
started = time.perf_counter()
frames = []
for style in STYLES:
    res = simulator.sweep(
        document(style),
        frequency_sweep,
        mode="zip",  # the i-th repeat with the i-th interval
        replicates=REPLICATES,
        scale=SCALE,
        overrides=["graph.world=implicit"],  # the follower graph generated on demand: same results, no build
        progress=False,
    )
    assert res.failed.empty, res.failed[["run_id", "error"]]
    frames.append(res.runs.assign(**{STYLE: style, PER_DAY: 24 / res.runs["campaign.0.every"]}))
runs = pd.concat(frames, ignore_index=True).drop(columns=list(frequency_sweep))
crn = bool(runs.groupby("replicate")["seed"].nunique().eq(1).all())
print(
    f"{len(runs)} runs ({len(STYLES)} relay styles x {len(FREQUENCIES)} frequencies x {REPLICATES} replicates) of "
    f"{int(runs['population'].iloc[0]):,} people in {time.perf_counter() - started:.0f} s; "
    f"replicate k of every combination ran with one seed: {crn}."
)

# %% [markdown]
# Means over replicates (descriptive: which differences are real is decided below).

# %%
METRICS = ["reach", "effective_reach", "duplicate_exposures", "fatigued", "exits", "churned"]
means = runs.groupby([STYLE, PER_DAY], sort=False)[METRICS].mean()
means.round(0).astype(int)

# %% [markdown]
# ## Relay style: what cross-reposting buys and what it costs
#
# At four posts a day, every style against **verbatim cross-reposting** (what the dandelion preset
# does). Each point is the mean paired difference, the bar its 95% interval (Holm over the three
# comparisons); grey and hollow: similar (n.s.).

# %%
FOCUS = 4
styles = cut(runs[runs[PER_DAY] == FOCUS], STYLE, "verbatim cross-reposting")
by_style = make_charts(styles, kinds=["differences"], lang="en")
show(by_style["differences"])
comps = by_style.context.decision
cost = difference_table(comps, metrics=["duplicate_exposures", "fatigued", "exits"])
method = comps.method("en", m=len(comps.options) - 1)
display(
    plot_differences(
        cost, baseline=by_style.context.baseline_name(), method=method, title="Costs against verbatim cross-reposting"
    )
)

# %%
gains = difference_table(comps, metrics=["reach", "effective_reach"])
table = pd.concat([gains, cost])
churn = runs.pivot_table(index="replicate", columns=STYLE, values="churned", aggfunc="mean")
print(
    f"At {FOCUS} posts/day, against verbatim cross-reposting ({method}):\n"
    + "\n".join(
        f"  • {opt}: reach {said(table, opt, 'reach')}, "
        f"duplicate deliveries {said(table, opt, 'duplicate_exposures')}, "
        f"followers past tolerance {said(table, opt, 'fatigued')}, "
        f"exits caused by the campaign {said(table, opt, 'exits')}"
        for opt in [o for o in STYLES if o != "verbatim cross-reposting"]
    )
)
print(
    "Baseline churn per run, by style (not a campaign cost): "
    + ", ".join(f"{s} {format_count(round(v))}" for s, v in churn.mean().items())
    + (
        "; identical in every replicate whatever the style."
        if (churn.nunique(axis=1) == 1).all()
        else "; it differs slightly between styles only because a follow ended by a campaign exit can no longer churn."
    )
)

# %% [markdown]
# Duplicate *deliveries* barely depend on the wording: the same people still receive the item from
# several accounts. What the wording changes is how much each delivery weighs on the follower
# (load), and therefore how many cross their tolerance and leave.

# %% [markdown]
# ## Posting frequency: reach against exits
#
# The same runs, as lines over the official account's posting frequency: reach, and exits caused
# by the campaign (means with 95% bands; descriptive: bands of means do not decide a comparison).
# Then, for verbatim cross-reposting, each frequency against one post a day, paired.

# %%
points = compute_points(runs, [STYLE, PER_DAY])
with parameter_labels(LABELS):
    for m in ("reach", "exits"):
        display(plot_reach(points, x=PER_DAY, by=STYLE, metric=m, lang="en", title=f"{label(m)} vs. posts per day"))

# %%
freq = make_charts(cut(runs[runs[STYLE] == "verbatim cross-reposting"], PER_DAY, 1.0), kinds=["differences"], lang="en")
show(freq["differences"])
rec = freq.recommendation
print(rec.headline)
for bullet in rec.bullets[:2]:
    print("  •", bullet)
display(rec.table)

# %% [markdown]
# ## Who loses the followers
#
# One run (verbatim cross-reposting at the highest frequency), per account kind: exits caused by the
# campaign against each kind's audience, and baseline churn beside them. This is one random world,
# a description of where exits happen, not a comparison.

# %%
busiest = document("verbatim cross-reposting")
busiest["campaign"][0].update(
    repeat=frequency_sweep["campaign.0.repeat"][-1], every=frequency_sweep["campaign.0.every"][-1]
)
busiest.setdefault("graph", {})["world"] = "implicit"
loaded = simulator.load_document(busiest, str(BASE), scale=SCALE)
one = simulator.run(loaded)
acc = one.accounts.assign(exits=lambda d: d["mutes"] + d["unfollows"])
by_kind = acc.groupby("kind")[["followers_initial", "deliveries", "exits", "churned"]].sum()
by_kind["exits per 1,000 followers"] = (1000 * by_kind["exits"] / by_kind["followers_initial"]).round(2)
by_kind["deliveries per follower"] = (by_kind["deliveries"] / by_kind["followers_initial"]).round(2)
by_kind.sort_values("exits per 1,000 followers", ascending=False)

# %% [markdown]
# ## What it means for a strategist
#
# Computed from the comparisons above (they change with `SCALE`, `REPLICATES` and the scenario's
# assumptions, which are all sweepable). Where a comparison is n.s., the simulation at this size
# does not tell the options apart; run it larger or with more replicates before acting on it.

# %%
per_day = difference_table(freq.context.decision, metrics=["reach", "exits"])
verdicts = [
    f"Relays (verbatim) against the official account alone, at {FOCUS} posts/day: the official account alone has reach "
    f"{said(table, 'official only', 'reach')}, "
    f"duplicate deliveries {said(table, 'official only', 'duplicate_exposures')} "
    f"and exits {said(table, 'official only', 'exits')}.",
    f"Own commentary instead of verbatim relays: reach {said(table, 'own commentary', 'reach')}, followers past "
    f"tolerance {said(table, 'own commentary', 'fatigued')}, exits {said(table, 'own commentary', 'exits')}.",
    "Posting frequency with verbatim relays, against one post a day: "
    + "; ".join(
        f"{opt}: reach {said(per_day, opt, 'reach')}, exits {said(per_day, opt, 'exits')}"
        for opt in per_day["option"].unique()
    )
    + ".",
    f"Between the two highest-scoring frequencies: {rec.bullets[1] if rec.tied else rec.bullets[0]}.",
]
for v in verdicts:
    print("•", v)

# %% [markdown]
# **How to read this.** In the model, cross-reposting buys reach with duplicates: relaying accounts
# deliver the same item to people who already had it, and that repeated load is what drives exits.
# Varying the wording lowers the load of each duplicate, but brand accounts' commentary is also
# less likely to be reposted than a verbatim post (the doubled pull of own commentary is reserved
# for personal voices), so it trades some reach for fewer exits. Posting more often reaches more
# people with each extra post, while load and exits grow with every post on the same audiences.
# The sentences above say how much of each the simulation can actually separate at this size.
