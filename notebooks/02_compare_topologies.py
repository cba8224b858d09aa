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
# # 2 · Which account matrix? Six presets at one budget
#
# The strategist's question: *which account matrix should we run, how much does it buy over the
# others, and is that difference real?* Two things make the answer trustworthy:
#
# * **Equal budget.** Every preset (centralized, organic, hub, dandelion, honeycomb, twin star;
#   README *Preset parameters*) is built with the same number of accounts, the same total follower
#   audience (the official account holding the same share of it) and the same original posts
#   (`scenarios/compare_topologies.yaml`, `topology.params.budget`). What differs is structure:
#   who relays whom, audience overlaps, relay latency and content variation. Without this, a
#   comparison mostly measures which preset happens to have more followers.
# * **One sweep, common random numbers.** All six presets and every repost probability `p0` run in
#   *one* sweep; replicate *k* of every point uses the same seed, so the same people, follower graph
#   and per-decision random draws. Each option is then compared with a baseline **replicate by
#   replicate** (paired differences), which removes the noise the options share.
#
# **The rule for every claim below**: a difference counts only when its 95% interval, paired by
# replicate, excludes 0; when several options are ranked at once the tests are adjusted for
# multiplicity (Holm) so that one lucky option out of six does not look like a winner. Everything
# else is *similar (n.s.)*. The claims are not written here by hand: they come from
# `simulator.plotting` (the same engine as `propsim plot` and its deck), which applies that rule.
#
# `p0` (how likely a follower is to repost a delivery) is not a strategic choice: it describes the
# audience and the content. The presets are therefore compared *at one value of p0*, inside the
# plausible band of the calibrated `weibo` behaviour profile, and the sweep over `p0` shows whether
# the answer changes across that band.
#
# **Size.** `SCALE` multiplies the population and follower counts (1 = the scenario as written:
# 2 million people, 200,000 followers across the 31 accounts; about three minutes on one core),
# `REPLICATES` the random worlds per point (0 = the scenario's own, 5), `WORKERS` the
# processes, `OUT` the parent folder of the result folders (default `results/notebooks/`; this
# notebook writes `OUT/02_compare_topologies/`). The test suite uses `PROPSIM_NB_SCALE=0.05` and
# 3 replicates: expect most differences to be n.s. there, which is the honest answer at that size.

# %% tags=["parameters"]
import os

SCALE = float(os.environ.get("PROPSIM_NB_SCALE", "1"))  # 1 = full size (2,000,000 people)
REPLICATES = int(os.environ.get("PROPSIM_NB_REPLICATES", "0" if SCALE >= 0.5 else "3"))  # 0 = the scenario's
WORKERS = int(os.environ.get("PROPSIM_NB_WORKERS", str(min(2, os.cpu_count() or 1)) if SCALE >= 0.5 else "1"))
OUT = os.environ.get("PROPSIM_NB_OUT", "")  # "" = results/notebooks under the repository

# %%
import time
from pathlib import Path

# %matplotlib inline
import matplotlib.pyplot as plt  # noqa: F401
import pandas as pd
from IPython.display import Markdown, display

import simulator
from simulator.plotting import difference_table, format_count, label, load_results, make_charts
from simulator.plotting.sweep_charts import sweep_context, sweep_recommendation
from simulator.scenario.loading import read_scenario
from simulator.sweeps.compare import budget_table

ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "scenarios").is_dir())
OUT = (Path(OUT) if OUT else ROOT / "results" / "notebooks") / "02_compare_topologies"
SCENARIO = ROOT / "scenarios" / "compare_topologies.yaml"
MATRIX, P0 = "topology.preset", "behaviour.p0"
# The follower graph is a pure function of (seed, person): generated on demand ("implicit") it gives
# results identical to a stored one, and no world has to build it. At full size "auto" picks it anyway.
FAST = ["graph.world=implicit"]
pd.set_option("display.width", 160)


def show(chart) -> None:
    """A chart under its computed takeaway."""
    display(Markdown(f"**{chart.title}**: {chart.takeaway}"))
    display(chart.figure)


# %% [markdown]
# ## The budget
#
# `budget_table` builds each preset exactly as the sweep will and reports what it spends.

# %%
doc, _, _, _ = read_scenario(SCENARIO)
budgets = budget_table(doc, simulator.PRESETS, SCALE).set_index(MATRIX)
same = {c: budgets[c].nunique() == 1 for c in ("accounts", "audience", "originals")}
print(doc["description"])
print(
    "Same for all six presets: "
    + ", ".join(f"{c} ({format_count(budgets[c].iloc[0])})" for c, ok in same.items() if ok)
    + (f"; differs: {', '.join(c for c, ok in same.items() if not ok)}" if not all(same.values()) else "")
    + ". What differs is structure: account kinds, relay edges, largest and smallest audience."
)
display(budgets)

# %% [markdown]
# ## The sweep
#
# One sweep: the scenario's `sweep:` section crosses the six presets with five values of `p0`
# (the same command as `propsim sweep scenarios/compare_topologies.yaml`). The folder it writes
# holds `runs` (one row per run), `points` (means and 95% intervals), `differences` (each point's
# paired difference from the baseline, which is the first preset, centralized, at the same `p0`)
# and a manifest with the plausible `p0` band of the behaviour profile.

# %%
started = time.perf_counter()
res = simulator.sweep(
    SCENARIO,
    replicates=REPLICATES or None,
    scale=SCALE,
    overrides=FAST,
    workers=WORKERS,
    output=OUT / "sweep",
    resume=False,
    progress=False,
)
assert res.failed.empty, res.failed[["run_id", "error"]]
runs = res.runs
crn = bool(runs.groupby("replicate")["seed"].nunique().eq(1).all())
n_rep = runs["replicate"].nunique()
print(
    f"{len(runs)} runs = {runs[MATRIX].nunique()} presets x {runs[P0].nunique()} values of p0 x {n_rep} replicates, "
    f"{int(runs['population'].iloc[0]):,} people, in {time.perf_counter() - started:.0f} s. "
    f"Replicate k of every point ran with one seed (common random numbers): {crn}."
)
profile = res.manifest.get("plausible", {}).get("profile")
band = res.manifest.get("plausible", {}).get("ranges", {}).get(P0)
inside = sorted(v for v in runs[P0].unique() if band and band[0] <= v <= band[1])
print(
    f"Behaviour profile {profile!r}: plausible p0 {band[0]:g}-{band[1]:g}; swept values inside it: "
    + ", ".join(f"{v:.3g}" for v in inside)
    if band
    else "The sweep's metadata gives no plausible p0 band."
)

# %% [markdown]
# ## The answer: differences from the baseline, and the recommendation
#
# `make_charts` reads the folder and decides every comparison once. The presets are compared at the
# swept `p0` closest to the middle of the plausible band. The **difference chart** shows each
# preset's paired difference from the baseline with its interval (Holm-adjusted over the five
# comparisons); grey, hollow points are similar (n.s.). A panel where nothing differs measurably
# says "no measurable effect" instead of drawing noise.

# %%
charts = make_charts(OUT / "sweep", kinds=["differences", "reach", "fatigue", "tradeoff"], lang="en")
ctx = charts.context
AT = ctx.sel.at
print(f"Options compared at p0 = {AT:.3g}; {ctx.decision.method('en', m=len(ctx.decision.options) - 1)}")
show(charts["differences"])

# %% [markdown]
# The **recommendation** picks the best option on the objective (default: effective reach, the
# people who saw the campaign at least the effective-reach threshold of times), names the options
# statistically tied with it, states the trade-off with the runner-up, and lists its caveats.

# %%
rec = charts.recommendation
print(rec.headline)
for bullet in rec.bullets:
    print("  •", bullet)
display(rec.table)

# %% [markdown]
# ### What pairing and the multiple-comparison correction change
#
# The sweep's own `differences` table (`res.differences`) holds each point's paired difference
# from the baseline with a *per-comparison* 95% interval, and the interval an unpaired (Welch)
# comparison of the two means would give. The chart above applies Holm's correction on top, so a
# row that looks significant on its own may still be n.s. when six options are ranked together.

# %%
d = res.differences
d = d[(d[P0].round(12) == round(AT, 12)) & d["metric"].isin(["reach", "effective_reach"])]
holm = difference_table(ctx.decision, metrics=["reach", "effective_reach"])
table = d[[MATRIX, "metric", "n_pairs", "diff_mean", "diff_ci_low", "diff_ci_high", "significant"]].assign(
    option=d[MATRIX].map(label),
    unpaired_width=(d["unpaired_ci_high"] - d["unpaired_ci_low"]).round(),
    paired_width=(d["diff_ci_high"] - d["diff_ci_low"]).round(),
)
table = table.merge(
    holm[["option", "metric", "significant"]].rename(columns={"significant": "significant_after_holm"}),
    on=["option", "metric"],
)
lost = table[table["significant"] & ~table["significant_after_holm"]]
ratio = res.manifest["differences"]["ci_width_ratio"]
print(
    f"{int(table['significant'].sum())} of {len(table)} differences exclude 0 on their own, "
    f"{int(table['significant_after_holm'].sum())} after Holm"
    + (
        f"; not surviving it: {', '.join(f'{r.option} on {r.metric}' for r in lost.itertuples())}."
        if len(lost)
        else "."
    )
)
print(
    "Paired / unpaired interval width (median over the sweep's points): "
    + ", ".join(f"{m} {ratio[m]:.2f}" for m in ("reach", "effective_reach", "direct_reach") if ratio.get(m))
    + ". (A ratio below 1: pairing removed noise the options share. Near or above 1: they share little of it, "
    "and with few replicates the paired interval's n - 1 degrees of freedom, against about 2n - 2 unpaired, "
    "cost more than pairing gains.)"
)
table.drop(columns=[MATRIX]).set_index(["option", "metric"]).round(1)

# %% [markdown]
# ## Reach across repost probabilities, with the plausible band
#
# Lines are the mean over replicates with 95% bands; the grey area is the plausible `p0` range of
# the behaviour profile. Overlapping bands do not decide anything here: the paired differences do.

# %%
show(charts["reach"])

# %% [markdown]
# Does the recommendation depend on where in the band the audience really is? The same rule, at
# every swept `p0` (values outside the band are shown for context).

# %%
data = load_results(OUT / "sweep")
rows = []
for p0 in sorted(runs[P0].unique()):
    c = sweep_context(data, lang="en", x=P0, by=MATRIX, where=None, at=float(p0))
    r = sweep_recommendation(c, "effective_reach")
    below = [o for o in c.decision.options if o.key != r.best.key and o not in r.tied]
    rows.append(
        {
            "p0": f"{p0:.3g}",
            "in plausible band": bool(band and band[0] <= p0 <= band[1]),
            "highest mean": r.names[r.best.key],
            "tied with it (n.s.)": ", ".join(r.names[o.key] for o in r.tied) or "none",
            "significantly below it": ", ".join(r.names[o.key] for o in below) or "none",
        }
    )
across = pd.DataFrame(rows).set_index("p0")
display(across)

# %% [markdown]
# ## Fatigue, and the reach-exits trade-off
#
# Exits are mutes and unfollows *caused by the campaign's load*; baseline churn (people who would
# have unfollowed anyway) is kept apart and never counted as a campaign cost. A panel with no
# measurable effect says so instead of drawing noise. When exits do differ measurably, the
# trade-off chart follows: it marks an option *dominated* only when another has significantly
# more reach without significantly more exits (Holm over every pair); similar options get no
# frontier segment. When they do not, there is no trade-off to draw, only the reach comparison above.

# %%
show(charts["fatigue"])
if ctx.verdict.cost_measurable:
    show(charts["tradeoff"])
names = {o.key: o.name("en") for o in ctx.decision.options}
dominated = {names[k]: w.name("en") for k, w in ctx.verdict.dominated_by.items()}
print(
    f"Dominated at p0 = {AT:.3g}: "
    + (", ".join(f"{a} (by {b})" for a, b in dominated.items()) if dominated else "none (no option is separated)")
    + "; exits "
    + ("differ measurably." if ctx.verdict.cost_measurable else "show no measurable effect.")
)
churn = runs[runs[P0] == AT].groupby(MATRIX)[["exits", "churned"]].mean().rename(index=label)
churn.columns = ["exits caused by the campaign (mean)", "baseline churn (mean, not the campaign)"]
churn.round(1)

# %% [markdown]
# ## Your own matrix against the presets: `simulator.compare`
#
# A strategist's real question is *our* matrix against the alternatives. `simulator.compare` (the
# `propsim compare` command) takes a scenario with your own accounts and relays, builds each named
# preset **at your budget** (same total audience, same number of accounts, same official share and
# the same original posts), runs them all on the same replicate worlds, and ranks them by paired
# differences against your matrix (`custom` in its tables and charts), with simultaneous intervals
# (Bonferroni over every pair) and "similar (n.s.)" where an interval covers 0. Here a small
# regional company: the official account, seven city accounts, one sub-brand and the CEO, who
# comments on the official posts.

# %%
MY_MATRIX = """
name: my-company
description: "Our matrix: the official account, 7 city accounts, a sub-brand and the CEO"
seed: 7
population:
  size: 2000000
  regions: {华北: 0.12, 东北: 0.07, 华东: 0.30, 华中: 0.16, 华南: 0.14, 西南: 0.14, 西北: 0.07}
accounts:
  - {id: official, kind: official, handle: "@Us", followers: 60000}
  - {id: city, kind: regional, count: 7, followers: {median: 6000, sigma: 0.4}, region: "*"}
  - {id: brand, kind: sub_brand, handle: "@UsOutdoor", followers: 25000, overlap: {official: 0.3}}
  - {id: ceo, kind: executive, handle: "@OurCEO", followers: 20000}
relays:
  - {source: official, target: city, probability: 0.6}
  - {source: official, target: brand, probability: 0.8}
  - {source: official, target: ceo, probability: 0.5, variation: commentary}
campaign:
  - {account: official, at: 0, repeat: 3, every: 24}
time: {horizon: 72}
"""
OUT.mkdir(parents=True, exist_ok=True)
(OUT / "my_matrix.yaml").write_text(MY_MATRIX, encoding="utf-8")
started = time.perf_counter()
mine = simulator.compare(
    OUT / "my_matrix.yaml",
    against="hub,dandelion,twin_star",
    replicates=REPLICATES or 5,
    scale=SCALE,
    overrides=FAST,
    workers=WORKERS,
    output=OUT / "compare",
    resume=False,
    progress=False,
)
print(f"({time.perf_counter() - started:.0f} s)")
print(mine)

# %% [markdown]
# The comparison folder has the sweep format, so the same charts and deck work on it
# (`propsim plot OUT/02_compare_topologies/compare --deck deck.pptx`); its difference chart:

# %%
mine_charts = make_charts(OUT / "compare", kinds=["differences"], lang="en")
show(mine_charts["differences"])
mine.budgets.set_index(MATRIX)

# %% [markdown]
# ## What it means for a strategist
#
# The sentences below are the computed ones from above, gathered in one place; they change with
# the scale, the number of replicates and the scenario's assumptions. At small scale and with few
# replicates most differences are n.s.: that is a statement about the evidence, not a tie between
# the matrices. Run the notebook at `SCALE = 1` (or `propsim sweep` with more replicates) before
# deciding.

# %%
lines = [
    f"Equal-budget presets at p0 = {AT:.3g} ({profile} profile): {rec.headline}.",
    *rec.bullets[:2],
    "Across the swept p0 values, significantly below the highest mean: "
    + "; ".join(f"p0 = {p}: {row['significantly below it']}" for p, row in across.iterrows())
    + ".",
    "Your matrix against hub, dandelion and twin star at its budget: ranked by "
    f"{mine.info['rank_by'].replace('_', ' ')}, "
    + ", ".join(
        f"{'yours' if m == 'custom' else label(m)} rank {int(r)}"
        for m, r in mine.comparison.drop_duplicates(MATRIX)[[MATRIX, "rank"]].itertuples(index=False)
    )
    + " (equal ranks: not separated by the intervals).",
]
for line in lines:
    print("•", line)

# %% [markdown]
# **How to read this.** A matrix is a bet on *whose audiences* carry a post and how often the same
# people receive it. In the model, relays that bring *new* audiences (regional accounts with local
# followers, executives with partly separate ones) add reach, while accounts that repeat the same
# post to overlapping audiences add duplicate deliveries and fatigue load before they add reach.
# Whether those mechanisms separate the presets *for your audience and budget* is what the paired
# differences answer; where they say n.s., choose on cost, fit with the organisation and what the
# teams can sustain, not on the order of the means.
