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
# We load the bundled **hub-and-spoke** scenario (HUB式: a core account with 200k followers and 30
# regional accounts with local audiences that relay it), run it for 72 hours, read the summary,
# then look inside the model: the accounts are Mesa agents, the followers are numpy arrays, and
# the relay log is the propagation path among accounts. We finish with reach over time.
#
# **Size.** `SCALE` multiplies the population and every follower count. The default, 1, is the
# scenario as written (500,000 followers; a few seconds). The test suite runs this notebook with
# `PROPSIM_NB_SCALE=0.05`.

# %% tags=["parameters"]
import os

SCALE = float(os.environ.get("PROPSIM_NB_SCALE", "1"))  # 1 = full size (500,000 followers)

# %%
from pathlib import Path

# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import simulator
from simulator.plotting import count_formatter, format_count, format_percent, use_style

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
# the `topology` preset into accounts, relay edges and a campaign, and returns a `LoadedScenario`.
# `--set`-style overrides go in `overrides=[...]`.

# %%
loaded = simulator.load(ROOT / "scenarios" / "hub.yaml", scale=SCALE)
sc = loaded.scenario
print(sc.description)
print(
    f"{sc.population.size:,} followers, {len(loaded.matrix.accounts)} accounts, "
    f"{len(loaded.matrix.relays)} relay edges, {len(loaded.matrix.items)} campaign post(s), "
    f"horizon {sc.time.horizon:g} h, seed {sc.seed}"
)

# %%
model = simulator.PropagationModel(loaded)
model.run()
result = simulator.collect(model)
result

# %% [markdown]
# ## The summary
#
# Every scalar metric of the run (definitions in the README's *Metrics* table).

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
    "max_depth",
    "t50_h",
    "t90_h",
    "fatigued",
    "mutes",
    "unfollows",
    "churned",
]
pd.Series({k: s[k] for k in keys}, name="value").to_frame()

# %% [markdown]
# ## Inside the model
#
# **Accounts are Mesa agents**, one class per account kind, registered with the model
# (`model.agents` is Mesa's `AgentSet`). Each has its relay edges, the items it published and its
# audience (a slice of a compressed account → follower array).

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
# **Followers are arrays**, not Python objects (a million agents would cost seconds per tick).
# `model.followers` is an agent-like view: index it for one follower's state, or summarise by
# region. The regional accounts' audiences are 90% local, so reach is spread over the 30 cities.

# %%
reached = model.followers.select(reached=True)
print(f"{len(model.followers):,} followers, {len(reached):,} reached")
model.followers[int(reached[0])]

# %%
by_region = model.followers.groupby("region")
by_region.sort_values("followers", ascending=False).head(8)

# %% [markdown]
# ## The relay path
#
# The `relays` table is the propagation path among accounts: who relayed whom, when, and how
# many people each relay reached *first*. Regional accounts relay the core post with probability
# 0.6 after about an hour.

# %%
relays = result.relays
print(
    f"{len(relays)} of {len(model.accounts) - 1} regional accounts relayed the post; "
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
# ## Reach over time
#
# Cumulative reach per hour, split into people reached directly by an account's post and people
# reached only through followers' reposts (second level).

# %%
ts = result.timeseries
final = ts["reach"].iloc[-1]
settled = float(ts.loc[ts["reach"] >= 0.999 * final, "time_h"].iloc[0])  # 99.9% of the final reach
fig, ax = plt.subplots()
ax.plot(ts["time_h"], ts["reach"], label="reach", color="#0072B2", drawstyle="steps-pre")
ax.plot(ts["time_h"], ts["direct_reach"], label="direct reach", color="#56B4E9", ls="--", drawstyle="steps-pre")
ax.plot(ts["time_h"], ts["second_level_reach"], label="second-level reach", color="#E69F00", drawstyle="steps-pre")
for key, height in (("t50_h", 0.35), ("t90_h", 0.2)):
    if s[key] is not None:
        ax.axvline(s[key], color="#8C8C8C", ls=":", lw=1.2)
        ax.annotate(
            f"{key[:3]} = {s[key]:.1f} h",
            (s[key], final * height),
            xytext=(5, 0),
            textcoords="offset points",
            fontsize=10,
            color="#555555",
        )
ax.set_xlabel("hours after the post (the rest of the 72 h horizon is flat)")
ax.set_ylabel("people")
ax.yaxis.set_major_formatter(count_formatter("en"))
ax.set_xlim(0, max(12.0, 1.5 * settled))
ax.set_title("Hub scenario: cumulative reach (each point is the end of an hour)")
ax.legend(loc="center right")
plt.show()

# %%
direct_share = s["direct_reach"] / s["reach"]
at_once = float(np.mean(model.followers.first_exposure_h[model.followers.reached] == 0.0))
print(
    f"Reach: {format_count(s['reach'])} people ({format_percent(s['reach_share'])} of the population), "
    f"{format_percent(direct_share)} of them reached directly by the matrix accounts. "
    f"{format_percent(at_once)} of the final reach came with the core post itself (hour 0), "
    f"90% within {s['t90_h']:.1f} h, and 99.9% by hour {settled:g}."
)

# %% [markdown]
# **Reading it.** In a hub matrix almost all reach is *direct*: the core post and the regional
# relays land in the first hours, and followers' reposts (second level) add a thin tail at the
# default repost probability `p0 = 0.001`. Notebook 2 sweeps that probability across the six
# presets; notebook 3 looks at what repeated posting costs in fatigue.
#
# ## Interactive
#
# The same model, step by step, with sliders for the preset, repost probability, relay
# probability, fatigue tolerance and posting frequency (Mesa SolaraViz). In a browser:
# `uv run --extra viz solara run simulator/app/viz.py`; here, evaluate `page`:

# %%
from simulator.app.viz import page  # noqa: E402

page
