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
# # 1 · Quickstart: one scenario, run and opened up
#
# We load the bundled **hub-and-spoke** scenario (HUB式: a core account and 30 regional accounts
# with local audiences that relay it), run it for 72 hours, read the summary, then look inside the
# model: the accounts are Mesa agents, the followers live in compiled tables with an agent-like
# view, the relay log is the propagation path among accounts, and followers' reposts form cascades
# several generations deep through the follower graph. We finish with reach over time.
#
# **Defaults.** Unless a scenario says otherwise, every person follows about 120 others (the
# follower graph's `graph.mean_followees`, from Weibo's 27 billion links among 222 million users)
# and followers behave by the calibrated `weibo` **behaviour profile** (repost probability `p0`,
# item appeal spread and repost latency; provisional values until the calibration fit lands).
# The cells below print the values this run used.
#
# **Size.** `SCALE` multiplies the population and every follower count. The default, 1, is the
# scenario as written (4 million people; an implicit follower graph built on demand, under a
# minute). The test suite runs this notebook with `PROPSIM_NB_SCALE=0.05`.

# %% tags=["parameters"]
import os

SCALE = float(os.environ.get("PROPSIM_NB_SCALE", "1"))  # 1 = full size (4,000,000 people)

# %%
from pathlib import Path

# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

import simulator
from simulator.plotting import count_formatter, format_count, format_percent, use_style
from simulator.results.metrics import metric
from simulator.scenario.profiles import plausible_ranges

ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "scenarios").is_dir())
use_style("en")  # CJK-capable font (Chinese handles), colour-blind-safe palette
plt.rcParams.update(
    {
        "figure.figsize": (10, 4.8),
        "font.size": 12,
        "axes.titlesize": 14,
        "axes.labelsize": 12,
        "xtick.labelsize": 11,
        "ytick.labelsize": 11,
        "legend.fontsize": 11,
        "lines.linewidth": 2,
    }
)
pd.set_option("display.width", 140)

# %% [markdown]
# ## Load and run
#
# `simulator.load` reads and validates a YAML scenario (errors point at `file:line:col`), expands
# the `topology` preset into accounts, relay edges and a campaign, fills in the behaviour profile,
# and returns a `LoadedScenario`. `--set`-style overrides go in `overrides=[...]`.

# %%
loaded = simulator.load(ROOT / "scenarios" / "hub.yaml", scale=SCALE)
sc, matrix = loaded.scenario, loaded.matrix
b = sc.behaviour
p0_band = plausible_ranges(b.profile).get("behaviour.p0") if b.profile else None
print(sc.description)
print(
    f"{sc.population.size:,} people, {len(matrix.accounts)} accounts, {len(matrix.relays)} relay edges, "
    f"{len(matrix.items)} campaign post(s), horizon {sc.time.horizon:g} h, seed {sc.seed}"
)
print(
    f"Follower graph: {sc.graph.mean_followees:g} followees per person on average (world: {sc.graph.world}). "
    f"Behaviour profile {b.profile!r}: p0 = {b.p0:g}"
    + (f" (plausible {p0_band[0]:g}-{p0_band[1]:g})" if p0_band else "")
    + f", item appeal spread sigma = {b.appeal_sigma:g}, repost latency median {b.latency.median:g} h "
    f"(lognormal sigma {b.latency.sigma:g})."
)

# %% [markdown]
# `record_reposts=True` keeps every follower's repost decision (who, which generation, from which
# account's post), which we use below to look at the cascades.

# %%
model = simulator.PropagationModel(loaded, record_reposts=True)
model.run()
result = simulator.collect(model)
display(result)

# %% [markdown]
# ## The summary
#
# Every scalar metric of the run (definitions in the README's *Metrics* table). The `cause` column
# comes from the project's metric table: **exits** (mutes + unfollows) are caused by the campaign's
# load on followers, while **baseline churn** would have happened without any campaign. They are
# reported apart so that no one reads the churn as a cost of the campaign.

# %%
s = result.summary
keys = [
    "reach",
    "reach_share",
    "direct_reach",
    "second_level_reach",
    "impressions",
    "mean_frequency",
    "effective_reach",
    "duplicate_exposures",
    "account_relays",
    "follower_reposts",
    "pending_at_horizon",
    "max_depth",
    "t50_h",
    "t90_h",
    "fatigued",
    "exits",
    "churned",
    "net_audience_change",
]
pd.DataFrame(
    {
        "metric": [metric(k).en for k in keys],
        "value": [s[k] for k in keys],
        "unit": [metric(k).unit for k in keys],
        "cause": [metric(k).cause for k in keys],
    },
    index=keys,
)

# %% [markdown]
# ## Inside the model
#
# **Accounts are Mesa agents**, one class per account kind, registered with the model
# (`model.agents` is Mesa's `AgentSet`). Each has its relay edges, the items it published and its
# audience (the followers it delivers to).

# %%
print(model.agents.groupby(type).count())
core = model.accounts[0]
spoke = model.accounts[1]
for acc in (core, spoke):
    print(
        f"{acc!r}: kind {acc.kind}, {len(acc.audience(active_only=False)):,} followers at the start, "
        f"{len(acc.relays_out)} relay edge(s) out, published items {sorted(acc.published)}"
    )

# %% [markdown]
# **Followers are table rows**, not Python objects (millions of agents would cost seconds per
# delivery round). `model.followers` is an agent-like view: index it for one follower's state,
# select by region or interest, or summarise by region. The regional accounts' audiences are mostly
# local, so their relays spread reach over the cities.

# %%
reached = model.followers.select(reached=True)
print(f"{len(model.followers):,} people, {len(reached):,} reached")
model.followers[int(reached[0])]

# %%
by_region = model.followers.groupby("region")
by_region.sort_values("reach_share", ascending=False).head(8)

# %% [markdown]
# ## The relay path
#
# The `relays` table is the propagation path among accounts: who relayed whom, when, and how
# many people each relay reached *first*.

# %%
relays = result.relays
edge = matrix.relays[0]
print(
    f"Relay edges official -> regional: probability {edge.probability:g}, latency median {edge.latency.median:g} h. "
    f"In this run {len(relays)} of {len(model.accounts) - 1} regional accounts relayed the post; "
    f"median delay {relays['relayed_h'].sub(relays['triggered_h']).median():.1f} h"
)
relays.sort_values("relayed_h").head(8)

# %% [markdown]
# The same path drawn on the account matrix (the drawing the interactive app uses): accounts
# coloured by kind and sized by audience, relays that fired in black.

# %%
from simulator.app.viz import draw_account_matrix  # noqa: E402

fired = [(model.matrix.by_id[a], model.matrix.by_id[b]) for a, b in zip(relays["source"], relays["target"])]
fig, (ax_m, ax_r) = plt.subplots(1, 2, figsize=(13, 6), gridspec_kw={"width_ratios": [1, 1.1]})
draw_account_matrix(model, ax=ax_m, active=[], fired=fired, title="Hub: relays that fired (black)")
acc = result.accounts.set_index("account")
gain = relays.groupby("target")["reach_added"].sum().reindex(acc.index[1:], fill_value=0)
gain = gain.sort_values(ascending=True)
ax_r.barh([acc.loc[a, "handle"] for a in gain.index[-15:]], gain.iloc[-15:], color="#009E73")
ax_r.set_title("People reached first by each regional relay (top 15)")
ax_r.xaxis.set_major_formatter(count_formatter("en"))
ax_r.grid(axis="x")
ax_r.tick_params(axis="y", labelsize=9)
plt.show()

# %% [markdown]
# ## Second-level cascades
#
# A follower who reposts delivers the item to *their own* followers in the follower graph, some of
# whom repost in turn: generation 1 reposted a matrix account's post, generation 2 a generation-1
# repost, and so on. People reached only this way are the **second-level reach**. Each repost
# reaches on average as many people as a reposter has followers (a heavy-tailed count: most people
# have a few dozen followers, a few have thousands), so a handful of reposts can matter.

# %%
log = model.repost_table()
log["audience"] = [len(model.followers.followers_of(int(f))) for f in log["follower"]]
gen = log.groupby("depth").agg(
    decided=("executed", "size"),
    published=("executed", "sum"),
    deliveries=("audience", lambda a: int(a[log.loc[a.index, "executed"]].sum())),
)
gen = gen.rename_axis("generation").astype(int)
per_repost = gen["deliveries"].sum() / max(gen["published"].sum(), 1)
print(
    f"{int(gen['published'].sum())} follower reposts in {len(gen)} generation(s) "
    f"({s['pending_at_horizon']} more decided but due after the {sc.time.horizon:g} h horizon). They reached "
    f"{format_count(s['second_level_reach'])} people the matrix accounts did not reach "
    f"({format_percent(s['second_level_reach'] / s['reach'])} of the reach)."
)
print(
    f"A repost was delivered to {per_repost:.0f} followers on average in this run (the graph's mean is "
    f"{sc.graph.mean_followees:g}; the typical person has far fewer). Each delivery is a repost chance of about "
    f"p0 = {b.p0:g} (times the item's appeal), so a repost begets about {b.p0 * per_repost:.2f} reposts"
    + (
        ": below 1, so each cascade dies out after a few generations unless it hits a reposter with a large following."
        if b.p0 * per_repost < 1
        else ": 1 or more, so cascades can keep growing until they run out of fresh people."
    )
)
display(gen)

# %% [markdown]
# ## Reach over time
#
# The engine keeps a **first-exposure histogram** (people first reached per 1/64 hour,
# `model.first_exposure_times()`); the summary's `t50_h` and `t90_h` are read from it. Left: the
# cumulative reach it gives, on a log time axis so the first minutes are visible. Right: people
# reached per hour, directly by an account's post or relay, or only through followers' reposts.

# %%
hist, width = model.first_exposure_times()
cum = np.cumsum(hist)
t_end = (np.arange(len(hist)) + 1) * width  # end of each histogram bin, hours
settled = float(t_end[np.searchsorted(cum, 0.999 * cum[-1])])  # hours to 99.9% of the final reach
ts = result.timeseries
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(14, 4.8))
ax.plot(np.r_[width / 2, t_end], np.r_[0, cum], color="#0072B2", drawstyle="steps-post", label="reach")
for key, share in (("t50_h", 0.5), ("t90_h", 0.9)):
    if s[key] is not None:
        ax.axvline(s[key], color="#8C8C8C", ls=":", lw=1.2)
        when = f"{s[key] * 60:.0f} min" if s[key] < 1 else f"{s[key]:.1f} h"
        ax.annotate(
            f"{int(share * 100)}% by {when}",
            (s[key], cum[-1] * share),
            xytext=(6, -4),
            textcoords="offset points",
            fontsize=10,
            color="#555555",
            va="top",
        )
ax.set_xscale("log")
ax.set_xlim(width / 2, sc.time.horizon)
ticks = [1 / 60, 0.25, 1, 6, 24, sc.time.horizon]
ax.set_xticks(ticks, ["1 min", "15 min", "1 h", "6 h", "24 h", f"{sc.time.horizon:g} h"])
ax.set_xlabel("time after the post (log scale)")
ax.set_ylabel("people reached")
ax.set_ylim(0, cum[-1] * 1.05)
ax.yaxis.set_major_formatter(count_formatter("en"))
ax.set_title("Cumulative reach (first-exposure histogram)")
new_direct = ts["direct_reach"].diff().fillna(0).clip(lower=0)
new_second = ts["second_level_reach"].diff().fillna(0).clip(lower=0)
hours = ts["time_h"]
shown = (hours >= 1) & (hours <= np.ceil(settled) + 1)
ax2.bar(hours[shown] - 0.7, new_direct[shown], width=0.4, color="#56B4E9", label="direct (account posts and relays)")
ax2.bar(hours[shown] - 0.3, new_second[shown], width=0.4, color="#E69F00", label="second level (followers' reposts)")
ax2.set_yscale("symlog", linthresh=10)
ax2.set_xlabel("hour after the post")
ax2.set_ylabel("people first reached (symlog)")
ax2.yaxis.set_major_formatter(count_formatter("en"))
ax2.set_title("New reach in each hour, until 99.9% of the final reach")
ax2.legend(loc="upper right", fontsize=10)
plt.show()

# %%
at_once = hist[0] / max(cum[-1], 1)
print(
    f"Reach: {format_count(s['reach'])} people ({format_percent(s['reach_share'])} of the population), "
    f"{format_percent(s['direct_reach'] / s['reach'])} of them reached directly by the matrix accounts. "
    f"{format_percent(at_once)} of the final reach came at once (the core post itself, within {width * 60:.1f} min), "
    f"90% within {s['t90_h']:.1f} h and 99.9% by hour {settled:.0f}: followers' reposts keep adding "
    f"people long after the accounts have posted (repost latency median {b.latency.median:g} h, heavy-tailed)."
)

# %% [markdown]
# **Reading it.** In a hub matrix the core post and the regional relays land in the first hours
# and carry most of the reach; followers' reposts add a second level, a few generations deep, that
# keeps growing for a day or more. How large that second level is depends on `p0`, which the
# `weibo` profile puts in the plausible band printed above: notebook 2 sweeps it across the six
# presets at an equal budget, and notebook 3 looks at what repeated posting costs in fatigue.
# One run is one random world: for any comparison, use replicates (notebooks 2-4).
#
# ## Interactive
#
# The same model, step by step, with sliders for the preset, repost probability, relay
# probability, fatigue tolerance and posting frequency (Mesa SolaraViz). In a browser:
# `uv run --extra viz solara run simulator/app/viz.py`; here, evaluate `page`:

# %%
from simulator.app.viz import page  # noqa: E402

page  # noqa: B018  (a Solara component renders as the cell's value)
