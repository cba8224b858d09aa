"""Every default value of the model, in one place, each with its basis.

Units: time in hours, probabilities in [0, 1], rates per the unit named.
"sourced" = a citation, "measured" = derived from the public cascade data in
``shared/research-data``, "assumption" = a modelling choice meant to be swept.
See README "Citations" for the full references.
"""

from __future__ import annotations

# --- time -----------------------------------------------------------------------------------
TICK_HOURS = 1.0  # assumption: feeds are checked hourly; the model clock resolution
HORIZON_HOURS = 72.0  # measured: 85-90% of reposts happen within 24 h (Weibo CED, Twitter15/16)

# --- follower behaviour (docs/model.md#one-delivery) -----------------------------------------
# Follower behaviour defaults below apply with `behaviour.profile: none`; by default the calibrated
# profile (simulator/data/behaviour_profiles.json, `propsim calibrate --profile`) supplies p0,
# appeal_sigma and the organic latency. p0 is a per-exposure hazard: R = p0 <followees> ~ 0.38 fits
# Weibo's depth-1 share (docs/model.md#behaviour-profiles).
P0 = 3e-3
P0_PROMOTIONAL = 2e-4  # sourced order: Rival IQ, Twitter brand engagement 0.035-0.045%/follower/post
APPEAL_SIGMA = 1.0  # assumption (Bakshy et al. 2011: large unpredictable variance): LogNormal(0, s)
ALPHA = 1.0  # sourced shape: Bao et al. 2013, Romero et al. 2011, Cacioppo & Petty 1979
BETA = 0.5  # with ALPHA gives the peak of r(k) = k^a e^(-b(k-1)) at k* = a/b = 2 (Bao 2013)
EXPOSURE_HALF_LIFE_H = 48.0  # assumption: feed lifetime (85-90% of reposts within 24 h, measured)
OFF_TOPIC_FACTOR = 0.1  # assumption: s_off; deck (verticals), Goel et al. 2015
LATENCY_MEDIAN_H = 2.0  # measured: organic repost delay median (Weibo CED 2.2 h, Twitter 1.1 h)
LATENCY_SIGMA = 2.5  # measured: lognormal sigma fitted to the same delay distributions
# assumption: the deck says an executive's own opinion is more credible than a plain repost; 2.0
# makes a commentary at least as persuasive on first sight as a verbatim post despite its lower
# exposure weight (r(0.4) x 2.0 = 1.08 vs r(1) = 1), and more persuasive on repeated sight.
COMMENTARY_APPEAL = 2.0
# Exposure-memory weight w_var of one delivery, by how the relayed content was varied.
VARIATION_WEIGHTS = {"verbatim": 1.0, "cosmetic": 0.7, "commentary": 0.4}  # assumption
# (Schumann, Petty & Clemons 1990: varying the message delays wear-out)

# --- fatigue (docs/model.md#load-and-exits) --------------------------------------------------
LOAD_HALF_LIFE_H = 7 * 24.0  # assumption
TOLERANCE_MEDIAN = 20.0  # assumption: ~2 deliveries/day from one account over the load half-life
TOLERANCE_SIGMA = 0.7  # assumption
W_DUP = 1.0  # assumption, ordering from Sprout Social 2016 (duplicates/too much > irrelevant)
W_IRR = 0.5  # assumption, Sprout Social 2016: irrelevant content 41% of unfollow reasons
W_PROMO = 0.5  # assumption, Sprout Social 2016: too many promotions 46%
KAPPA = 0.003  # assumption: exit hazard slope per unit of relative overload
P_EXIT_MAX = 0.05  # cap on the exit probability of one delivery
Q_MUTE = 0.3  # assumption: share of exits that are mutes rather than unfollows
CHURN_PER_DAY = 1e-3  # assumption anchored on Kwak, Chun & Moon 2011 (43% unfollowed in 51 days)

# --- follower-to-follower graph ---------------------------------------------------------------
# measured: Weibo's follow graph had 27 billion links among 222 million users in 2013 (Han, Zhu, Zhu, Chen,
# Zheng & Lu 2016, Tsinghua Science and Technology 21(1)): 122 followees per user on average.
MEAN_FOLLOWEES = 120.0
TAIL_EXPONENT = 2.2  # measured: Weibo reposter offspring tail P(k) ~ k^-2.2 (used for followers)
GRAPH_LOCALITY = 0.5  # assumption: share of followees chosen inside one's own region

# --- population ---------------------------------------------------------------------------------
POPULATION_SIZE = 100_000
# Seven Chinese macro-regions with rough population weights (assumption from census shares).
REGIONS = {
    "华北": 0.12,
    "东北": 0.07,
    "华东": 0.30,
    "华中": 0.16,
    "华南": 0.14,
    "西南": 0.14,
    "西北": 0.07,
}
INTERESTS = {"general": 1.0}

# --- accounts -----------------------------------------------------------------------------------
ACCOUNT_FOLLOWERS = 10_000
REGIONAL_SHARE = 0.9  # assumption: share of a regional account's followers living in its region
INTEREST_SHARE = 0.8  # assumption: share of a vertical account's followers holding its interest
RELAY_LATENCY_MEDIAN_H = 1.0  # assumption (docs/model.md#presets: hub/honeycomb/twin-star)
RELAY_LATENCY_SIGMA = 1.0  # assumption (docs/model.md#presets)

# --- metrics --------------------------------------------------------------------------------------
EFFECTIVE_REACH_THRESHOLD = 3  # sourced: Krugman 1972 ("three exposures")

# --- safety -------------------------------------------------------------------------------------
# hard schema limit: person ids must fit the engine's 31-bit person slots (implicit worlds hold nothing per
# person, so a platform of hundreds of millions is fine); memory is checked separately before building
MAX_POPULATION = 2_000_000_000
MEMORY_FRACTION = 0.8  # refuse a scenario whose estimated footprint exceeds this share of RAM
