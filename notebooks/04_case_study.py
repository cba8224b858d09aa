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
# # 4 · Case study: a cinema chain's HUB matrix, end to end
#
# The bundled `case_cinema_chain` scenario is modelled on the source deck's Wanda cinemas example:
# the core account `@万达电影生活` broadcasts to 30 city cinema accounts (`@武汉万达影城` …) that
# relay it with local edits and never relay each other; city audiences are 92% local. The campaign
# has a national film premiere at hour 0 and a promotional member-day post at hour 24.
#
# End to end: the scenario and its matrix → one run with its result folder → the run's charts and
# takeaways → a what-if sweep (how much should the city accounts relay?) → a 16:9 PowerPoint deck
# for each, in Chinese (the charts use a CJK font; the deck sets the East-Asian typeface).
#
# Every comparison follows the project's one statistical rule: the what-if sweep runs each option on
# the same replicate worlds (common random numbers) and compares it with **current practice**
# replicate by replicate; a difference counts when its paired 95% interval, adjusted for the number
# of options (Holm), excludes 0, and is *similar (n.s.)* otherwise. Exits caused by the campaign
# (load-driven mutes and unfollows) are kept apart from baseline churn, which would happen anyway.
#
# **Size.** `SCALE` (1 = the scenario's 8 million people, the follower graph generated on demand;
# about four minutes on one core), `REPLICATES` per sweep point, and `OUT`, the parent folder of
# the result folders, charts and decks (default `results/notebooks/`, ignored by git; this
# notebook writes `OUT/04_case_study/`), and `PLATFORM_SCALE` for the last section (the platform-scale
# case study). The test suite uses `PROPSIM_NB_SCALE=0.05` and a temporary `OUT`.

# %% tags=["parameters"]
import os

SCALE = float(os.environ.get("PROPSIM_NB_SCALE", "1"))  # 1 = full size (8,000,000 people)
REPLICATES = int(os.environ.get("PROPSIM_NB_REPLICATES", "6" if SCALE >= 0.5 else "3"))
OUT = os.environ.get("PROPSIM_NB_OUT", "")  # "" = results/notebooks under the repository
# The platform section's size: 1 = the scenario's 580M-person platform and 2M-follower official account
# (its month takes about 4 minutes and 5 GB: see the README's "Performance"), so the default is 1/20 of
# it (29M people, 100k followers, seconds); 1/1000 of it under the test suite.
PLATFORM_SCALE = float(os.environ.get("PROPSIM_NB_PLATFORM_SCALE", str(0.05 * min(SCALE, 1.0))))

# %%
# %matplotlib inline
import time
from pathlib import Path

import matplotlib.pyplot as plt  # noqa: F401
import pandas as pd
from IPython.display import Markdown, display

import simulator
from simulator.plotting import (
    difference_table,
    format_count,
    format_percent,
    load_results,
    make_charts,
    plot_account_matrix,
    render,
)
from simulator.plotting.sweep_charts import sweep_context, sweep_recommendation
from simulator.results.output import write_run

ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "scenarios").is_dir())
OUT = (Path(OUT) if OUT else ROOT / "results" / "notebooks") / "04_case_study"
SCENARIO = ROOT / "scenarios" / "case_cinema_chain.yaml"
LANG = "zh"  # chart and deck language ("en" works too)
pd.set_option("display.width", 140)
RELAY = "topology.params.relay_probability"


def said(table: pd.DataFrame, option: str, metric: str) -> str:
    """One cell of a difference table in words: "+8.1k (±1.2k)", "similar (n.s.)" or "no measurable effect"."""
    row = table[(table["option"] == option) & (table["metric"] == metric)].iloc[0]
    if not row["measurable"]:
        return "no measurable effect"
    return row["text"] if row["significant"] else "similar (n.s.)"


# %% [markdown]
# ## The scenario

# %%
loaded = simulator.load(SCENARIO, scale=SCALE)
sc, matrix = loaded.scenario, loaded.matrix
print(sc.description)
P_NOW = matrix.relays[0].probability  # current practice: how reliably city accounts relay the core post
print(
    f"{sc.population.size:,} people in {len(sc.population.regions)} cities; {len(matrix.accounts)} accounts; "
    f"{len(matrix.relays)} relay edges (probability {P_NOW:g}); horizon {sc.time.horizon:g} h; "
    f"behaviour profile {sc.behaviour.profile!r} (p0 = {sc.behaviour.p0:g}), "
    f"{sc.graph.mean_followees:g} followees per person"
)
pd.DataFrame(
    [
        {
            "hour": it.at,
            "account": matrix.accounts[it.account].handle,
            "label": it.label,
            "topic": it.topic,
            "promotional": it.promotional,
        }
        for it in matrix.items
    ]
)

# %%
display(plot_account_matrix(loaded, lang=LANG))

# %% [markdown]
# ## One run, written as a result folder
#
# `write_run` writes the same folder as `propsim run`: `summary.json`, `timeseries`, `accounts`,
# `relays` (the propagation path), `frequency` and `scenario.json`.

# %%
result = simulator.run(loaded)
run_dir = OUT / "run"
write_run(result, run_dir)
s = result.summary
print(result)
pd.Series(
    {
        k: s[k]
        for k in (
            "reach",
            "reach_share",
            "direct_reach",
            "second_level_reach",
            "mean_frequency",
            "effective_reach",
            "duplicate_exposures",
            "account_relays",
            "follower_reposts",
            "t50_h",
            "t90_h",
            "fatigued",
            "exits",
            "churned",
        )
    },
    name=sc.name,
).to_frame()

# %% [markdown]
# ## The run's charts and takeaways
#
# `make_charts` draws every chart that applies to a single run (cumulative reach, exposure
# frequency, account contributions, the matrix, the propagation path) with a one-line takeaway
# computed from the tables; the same engine writes the deck below. One run is one random world: it
# describes what happens, it does not compare options (the sweep below does).

# %%
charts = make_charts(run_dir, lang=LANG)
for chart in charts:
    display(Markdown(f"**{chart.kind}**: {chart.takeaway}"))
    display(chart.figure)

# %% [markdown]
# ## What if the city accounts relayed more, or less?
#
# The regional relay probability is an operating choice: how reliably do city teams pick up the
# core post? We sweep it with replicates on the same follower worlds, and compare every value with
# the scenario's current practice (the sweep's `baseline`), replicate by replicate.

# %%
started = time.perf_counter()
sweep_dir = OUT / "sweep_relay_probability"
res = simulator.sweep(
    SCENARIO,
    {RELAY: sorted({0.2, 0.4, 0.6, 0.8, 1.0, P_NOW})},
    replicates=REPLICATES,
    scale=SCALE,
    baseline={RELAY: P_NOW},
    output=sweep_dir,
    resume=False,
    progress=False,
)
assert res.failed.empty, res.failed[["run_id", "error"]]
print(f"{res} in {time.perf_counter() - started:.0f} s")
res.points.set_index(RELAY)[["n", "reach_mean", "effective_reach_mean", "fatigued_mean", "exits_mean", "churned_mean"]]

# %% [markdown]
# The difference chart leads: each relay probability against current practice, with its paired
# interval (grey: similar, n.s.). Then the recommendation, computed from the same comparisons, and
# the descriptive charts.

# %%
what_if = make_charts(sweep_dir, kinds=["differences", "reach", "fatigue", "tradeoff"], lang=LANG, x=RELAY)
ctx = what_if.context
for chart in what_if:
    if chart.kind == "tradeoff" and not ctx.verdict.cost_measurable:
        continue  # no measurable difference in exits: nothing to trade off against reach
    display(Markdown(f"**{chart.kind}**: {chart.takeaway}"))
    display(chart.figure)
rec = what_if.recommendation
display(Markdown(f"**{rec.headline}**\n\n" + "\n".join(f"* {b}" for b in rec.bullets)))
display(rec.table)

# %% [markdown]
# ## The decks
#
# `render` saves every chart (PNG) and builds a 16:9 deck: a title slide, one chart per slide under
# its takeaway, and a summary table (the same as `propsim plot RESULTS --deck FILE`).

# %%
decks = {
    "run": render(run_dir, OUT / "plots_run", lang=LANG, deck=OUT / "case_cinema_chain_run.pptx"),
    "what-if": render(
        sweep_dir,
        OUT / "plots_sweep",
        lang=LANG,
        deck=OUT / "case_cinema_chain_what_if.pptx",
        x="topology.params.relay_probability",
    ),
}
from pptx import Presentation  # noqa: E402  (the 'deck' extra)

for name, report in decks.items():
    prs = Presentation(str(report.deck))
    print(f"{name}: {report.deck} ({len(prs.slides)} slides, {len(report.files)} chart files)")
    for i, slide in enumerate(prs.slides, 1):
        texts = [sh.text_frame.text for sh in slide.shapes if sh.has_text_frame and sh.text_frame.text.strip()]
        print(f"  {i:2d}. {texts[0][:90] if texts else '(picture)'}")

# %% [markdown]
# ## What it means for the cinema chain
#
# Computed from the run and the sweep above:

# %%
rec_en = sweep_recommendation(
    sweep_context(load_results(sweep_dir), lang="en", x=RELAY, by=None, where=None, at=None), "effective_reach"
)
diffs = difference_table(ctx.decision, metrics=["reach", "effective_reach", "fatigued", "exits"], lang="en")
names = {float(o.point[RELAY]): o.name("en") for o in ctx.decision.options}
acc = result.accounts
cities = acc[acc["kind"] == "regional"]
city_first = cities["first_exposures_direct"].sum()
lines = [
    f"In one run, the city accounts reached {format_count(city_first)} people first "
    f"({format_percent(city_first / s['reach'])} of the campaign's reach), and "
    f"{format_percent(cities['locality'].mean())} of their deliveries stayed in their own city: they are the local "
    "channel the core account does not have.",
    *(
        f"Relay probability {p:g} instead of {P_NOW:g} ({ctx.decision.method('en', m=len(names) - 1)}): "
        f"reach {said(diffs, names[p], 'reach')}, effective reach {said(diffs, names[p], 'effective_reach')}, "
        f"followers past tolerance {said(diffs, names[p], 'fatigued')}, "
        f"exits caused by the campaign {said(diffs, names[p], 'exits')}."
        for p in (min(names), max(names))
        if p != P_NOW
    ),
    f"In the run, {format_percent(s['direct_reach'] / s['reach'])} of the reach is direct and "
    f"{format_percent(s['second_level_reach'] / s['reach'])} came through followers' reposts "
    f"(p0 = {sc.behaviour.p0:g}, {sc.behaviour.profile} profile); exits caused by the campaign: {s['exits']}, "
    f"baseline churn (not caused by it): {s['churned']}.",
    f"Recommendation (objective: effective reach): {rec_en.headline}.",
]
for line in lines:
    print("•", line)

# %% [markdown]
# ## The same HUB pattern at platform scale: a month inside a 580M-user platform
#
# The bundled `platform_brand` scenario puts a large cinema brand inside a Weibo-sized platform
# (580 million monthly users): the official account (2M followers) posts three times a day for 30 days,
# four sub-brands post every other day and relay the official's posts on their topic, and 32 city
# accounts relay the official's posts with probability 0.6, the volume of the deck's Wanda example
# (about 1,735 city relays a month). Fatigue and baseline churn are on. The platform is held
# *implicitly*: nobody has state until a delivery reaches them, and a follower's followers are generated
# when they repost, so cost follows the cascade, not the population.
#
# `PLATFORM_SCALE` shrinks the platform and every follower count together (the campaign, the relays
# and the shares stay as they are).

# %%
PLATFORM = ROOT / "scenarios" / "platform_brand.yaml"
platform = simulator.load(PLATFORM, scale=PLATFORM_SCALE)
psc, pm = platform.scenario, platform.matrix
print(psc.description)
print(
    f"{psc.population.size:,} people (graph.world: {psc.graph.world}); {len(pm.accounts)} accounts; "
    f"{len(pm.relays)} relay edges; {len(pm.items)} original posts over {psc.time.horizon / 24:g} days"
)
started = time.perf_counter()
month = simulator.run(platform)
print(f"{month} in {time.perf_counter() - started:.0f} s")

# %% [markdown]
# Reach, second-level reach and fatigue day by day (the run's time series, one row per hour):

# %%
from simulator.plotting import count_formatter, use_style  # noqa: E402

ts = month.timeseries
daily = ts[ts["time_h"] % 24 == 0].copy()
daily["day"] = daily["time_h"] / 24
daily["exits"] = daily["mutes"] + daily["unfollows"]
use_style(LANG)
fig, (left, right) = plt.subplots(1, 2, figsize=(13.3, 5.0))
left.stackplot(
    daily["day"],
    daily["direct_reach"],
    daily["second_level_reach"],
    labels=["direct (followers of the matrix)", "second level (through reposts)"],
    alpha=0.85,
)
left.set(title="Cumulative reach", xlabel="day of the campaign", ylabel="people reached")
left.yaxis.set_major_formatter(count_formatter("en"))
left.legend(loc="upper left", fontsize=11)
for col, label in (
    ("fatigued", "fatigued (load above tolerance)"),
    ("exits", "campaign exits (mutes + unfollows)"),
    ("churned", "baseline churn"),
):
    right.plot(daily["day"], daily[col], label=label, lw=2.5)
right.set(title="Fatigue over the month", xlabel="day of the campaign", ylabel="people (cumulative)")
right.yaxis.set_major_formatter(count_formatter("en"))
right.legend(loc="upper left", fontsize=11)
fig.suptitle(f"{psc.population.size:,}-person platform, {len(pm.items)} originals in 30 days", fontsize=14)
plt.show()

# %%
ms = month.summary
week = daily.set_index("day")
first_week = week.loc[7.0, "reach"] if 7.0 in week.index else float("nan")
for line in [
    f"Over 30 days the campaign reached {format_count(ms['reach'])} people "
    f"({format_percent(ms['reach_share'])} of the platform); {format_percent(ms['second_level_reach'] / ms['reach'])} "
    f"of them only through followers' reposts (second level).",
    f"{format_percent(first_week / ms['reach'])} of the month's reach came in the first week: later posts mostly "
    "reach people the campaign has already reached.",
    f"{format_count(ms['account_relays'])} account relays and {format_count(ms['follower_reposts'])} follower reposts; "
    f"{format_count(ms['fatigued'])} people were pushed above their tolerance, {format_count(ms['exits'])} muted or "
    f"unfollowed a matrix account, and baseline churn ended {format_count(ms['churned'])} follows.",
]:
    print("•", line)
