"""Calibration: fit follower behaviour so that simulated organic cascades match a real profile.

An *organic cascade* is what the Weibo / Twitter datasets record: one account posts, its
followers repost, their followers repost them, and so on. The calibration reproduces that in the
scenario's own world (population, follower graph, account audiences): the seed account posts
``cascades`` independent items at t = 0, account relays are switched off, and so are fatigue and
churn (one post per cascade never builds load; switching them off makes the items independent so
one run holds many cascades). Reposts are recorded per cascade with their depth and exact delay
(``PropagationModel(record_reposts=True)``).

Fitted parameters and the statistics that identify them:

* ``behaviour.p0`` <- the typical (per-cascade median) share of reposters at depth 1. In a
  branching process that share is ``1 - R`` with ``R = p0 <jk>/z x response``; the share is
  monotone in p0, so p0 is found by a safeguarded secant search in log p0 with common random
  numbers (the same world, appeals and seeds for every candidate).
* ``behaviour.latency`` (median, sigma) <- quantiles of the delay from the post to a *direct*
  (depth-1) repost, which in the engine is exactly the organic latency: a least-squares line
  through the target's log-quantiles against normal scores, then corrected with the simulated
  quantiles.
* ``behaviour.alpha`` / ``beta`` (the exposure response) only when the target gives an exposure
  curve (relative repost probability after 1, 2, 3 ... exposures): depth and latency profiles do
  not identify it (see README).
* relay probabilities of account edges from observed relay counts
  (``relays: {count, days, accounts, source_posts}``): ``E[relays] = accounts x posts x p``.

Targets: ``weibo``, ``twitter`` (pooled Twitter15/16), ``twitter15``, ``twitter16`` from
:func:`tools.realdata.load_profiles`, or a YAML/JSON file of the user's own numbers
(:func:`load_target`). The result can be written as a scenario file that keeps the user's file
(comments included) and adds a header describing the fit (:func:`write_calibrated`).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulator.calibration.cascades import MIN_REPOSTERS, VIRAL_REACH_SHARE, CascadeStats, OrganicCascades
from simulator.calibration.targets import QUANT_PROBS, RelayTarget, Target, norm_ppf
from simulator.scenario.errors import Problem, ScenarioError
from simulator.scenario.loading import LoadedScenario

# Closed-form pieces
# ==============================================================================================


def fit_lognormal(points: list[tuple[float, float]], sigma_default: float) -> tuple[float, float, bool]:
    """(median, sigma, sigma_fitted) of a lognormal through (probability, value) points: least
    squares of ``ln value = ln median + sigma z_p``. With points at one probability only, sigma
    stays ``sigma_default`` and only the median is fitted."""
    pts = [(p, h) for p, h in points if 0 < p < 1 and h > 0]
    if not pts:
        raise ValueError("no latency points")
    z = np.array([norm_ppf(p) for p, _ in pts])
    y = np.log([h for _, h in pts])
    if np.ptp(z) < 1e-9:
        return float(np.exp((y - sigma_default * z).mean())), sigma_default, False
    a = np.vstack([np.ones_like(z), z]).T
    (mu, sigma), *_ = np.linalg.lstsq(a, y, rcond=None)
    return float(np.exp(mu)), float(max(sigma, 1e-3)), True


def fit_response(curve: dict[int, float]) -> tuple[float, float]:
    """(alpha, beta) of ``r(k) = k^alpha e^(-beta (k-1))`` through relative repost probabilities
    by exposure count (least squares on ``ln r = alpha ln k - beta (k-1)``, clipped to >= 0)."""
    ks = np.array(sorted(curve), dtype=float)
    y = np.log([curve[int(k)] for k in ks])
    a = np.vstack([np.log(ks), -(ks - 1)]).T
    (alpha, beta), *_ = np.linalg.lstsq(a, y, rcond=None)
    return float(max(alpha, 0.0)), float(max(beta, 0.0))


DEPTH1_TOL = 0.01  # stop the p0 search when the depth-1 share is this close (absolute)


# ==============================================================================================
# ==============================================================================================
# The fit
# ==============================================================================================


@dataclass
class Calibration:
    """A finished fit: parameter values, statistics before/after, and the path to them."""

    target: Target
    scenario: str
    account: str
    followers: int
    population: int
    cascades: int
    before: dict[str, Any]  # behaviour values of the scenario
    fitted: dict[str, Any]  # fitted values by scenario path, e.g. "behaviour.p0"
    stats_before: CascadeStats | None
    stats_after: CascadeStats | None
    history: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    relay_edges: list[dict[str, Any]] = field(default_factory=list)

    def errors(self) -> dict[str, dict[str, float]]:
        """Fit error per targeted statistic: target, simulated, error (absolute for shares,
        relative for hours) and whether it is within the acceptance tolerance."""
        out: dict[str, dict[str, float]] = {}
        s, t = self.stats_after, self.target
        if s is None:
            return out
        if t.depth1_share is not None:
            err = s.depth1_share - t.depth1_share
            out["depth1_share"] = {
                "target": t.depth1_share,
                "simulated": s.depth1_share,
                "error": err,
                "se": s.depth1_share_se,
                "ok": abs(err) <= 0.10,
            }
        for p, h in t.latency_points:
            key = next((k for k, q in QUANT_PROBS.items() if abs(q - p) < 1e-9), None)
            if key is not None:
                sim = s.latency[key]
                out[f"latency_{key}_h"] = {
                    "target": h,
                    "simulated": sim,
                    "error": sim / h - 1,
                    "ok": abs(sim / h - 1) <= 0.20,
                }
            elif h in (1.0, 24.0):
                sim = s.latency["share_lt_1h" if h == 1.0 else "share_lt_24h"]
                out[f"latency_share_lt_{h:g}h"] = {
                    "target": p,
                    "simulated": sim,
                    "error": sim - p,
                    "ok": abs(sim - p) <= 0.10,
                }
        return out

    @property
    def ok(self) -> bool:
        return all(e["ok"] for e in self.errors().values())


def _safeguarded_step(p0: float, share: float, target: float, lo: float | None, hi: float | None) -> float:
    """Next p0: R = 1 - share is proportional to p0 in a branching process, so scale p0 by the
    ratio of target to simulated R; fall back to bisection (in log p0) inside the bracket."""
    r_sim, r_tgt = max(1.0 - share, 1e-4), 1.0 - target
    new = p0 * r_tgt / r_sim
    new = min(max(new, p0 / 8), p0 * 8, 1.0)
    if lo is not None and hi is not None and not (lo < new < hi):
        new = math.sqrt(lo * hi)
    return new


def search_p0(
    runner: OrganicCascades,
    behaviour: dict[str, Any],
    target_share: float,
    p0: float,
    max_iter: int,
    history: list[dict[str, Any]],
    say: Callable[[str], None],
) -> tuple[float, float, CascadeStats]:
    """(p0, error, statistics) of the candidate whose per-cascade median depth-1 share is closest to
    ``target_share``, by a safeguarded secant search in log p0 from ``p0`` (common random numbers:
    every candidate runs the same world, appeals and seeds). Stops within the simulation's own noise
    (``DEPTH1_TOL`` or 1.5 bootstrap standard errors). Each candidate is appended to ``history``."""
    lo = hi = None
    best: tuple[float, float, CascadeStats] | None = None
    for it in range(max(1, max_iter)):
        st = runner.run({**behaviour, "p0": p0})
        history.append(
            {
                **{k: v for k, v in behaviour.items() if k != "latency"},
                **{f"latency_{k}": v for k, v in behaviour.get("latency", {}).items()},
                "p0": p0,
                "depth1_share": st.depth1_share,
                "depth1_p25": st.depth1_share_iqr[0],
                "depth1_p75": st.depth1_share_iqr[1],
                "viral": st.viral,
                "latency_median_sim": st.latency["median"],
            }
        )
        say(f"candidate {it + 1}: p0 {p0:.5g} -> {brief(st)}")
        err = st.depth1_share - target_share
        if not math.isfinite(err):
            # Fewer than MIN_REPOSTERS reposters in every cascade: no share to measure yet.
            if best is None:
                best = (p0, math.inf, st)
            lo = p0 if lo is None else max(lo, p0)
            p0 = min(1.0, p0 * 4) if hi is None else math.sqrt(p0 * hi)
            continue
        if best is None or abs(err) < abs(best[1]):
            best = (p0, err, st)
        if abs(err) <= max(DEPTH1_TOL, 1.5 * st.depth1_share_se):
            break  # within the simulation's own noise: more candidates would fit noise
        if err > 0:  # too many direct reposts: R too small, p0 too small
            lo = p0 if lo is None else max(lo, p0)
        else:
            hi = p0 if hi is None else min(hi, p0)
        p0 = _safeguarded_step(p0, st.depth1_share, target_share, lo, hi)
    assert best is not None
    return best


def calibrate(
    loaded: LoadedScenario,
    target: Target,
    *,
    account: str | None = None,
    cascades: int = 200,
    seed: int | None = None,
    max_iter: int = 10,
    scenario_name: str = "",
    progress: Callable[[str], None] | None = None,
) -> Calibration:
    """Fit the behaviour (and relay) parameters of ``loaded`` to ``target``.

    Args:
        loaded: the scenario (possibly scaled down with ``--scale``: shares and delays do not
            depend on the population size, only cascade sizes do).
        target: from :func:`resolve_target`.
        account: the seed account id (default: the account of the first campaign post).
        cascades: simulated cascades per candidate.
        seed: seed of the calibration runs (default: the scenario's).
        max_iter: maximum number of p0 candidates.
    """
    say = progress or (lambda _m: None)
    sc = loaded.scenario
    b = sc.behaviour
    lat = b.latency
    assert lat is not None and b.p0 is not None  # filled from the profile by the schema
    before = {
        "behaviour.p0": b.p0,
        "behaviour.latency.median": lat.median,
        "behaviour.latency.sigma": lat.sigma,
        "behaviour.alpha": b.alpha,
        "behaviour.beta": b.beta,
    }
    fitted: dict[str, Any] = {}
    notes: list[str] = []
    behaviour: dict[str, Any] = {}
    needs_sim = target.depth1_share is not None or bool(target.latency_points)
    _fit_closed_form(target, lat.sigma, needs_sim, fitted, behaviour, notes)
    relay_edges: list[dict[str, Any]] = []
    if target.relays is not None:
        relay_edges = _fit_relays(loaded, target.relays, fitted, notes)
    history: list[dict[str, Any]] = []
    if not needs_sim:
        return Calibration(
            target,
            scenario_name or sc.name,
            "",
            0,
            sc.population.size,
            0,
            before,
            fitted,
            None,
            None,
            history,
            notes,
            relay_edges,
        )
    runner = OrganicCascades(loaded, account, cascades, seed)
    say(
        f"seed account {runner.account} ({runner.followers:,} followers), {runner.cascades} cascades per "
        f"candidate, population {runner.population:,}"
    )
    stats_before = runner.run({})
    say(f"scenario as given: {brief(stats_before)}")
    stats_after = _simulated_fit(runner, target, b.p0, max_iter, behaviour, fitted, history, notes, say)
    _horizon_note(target, behaviour, sc.time.horizon, notes)
    if stats_after.viral > 0:
        notes.append(
            f"{stats_after.viral:.0%} of the simulated cascades reach more than {VIRAL_REACH_SHARE:.0%} of the "
            f"population through follower reposts (appeal_sigma {b.appeal_sigma:g}: posts with high appeal "
            "spread far beyond the account)"
        )
    return Calibration(
        target,
        scenario_name or sc.name,
        runner.account,
        runner.followers,
        runner.population,
        runner.cascades,
        before,
        fitted,
        stats_before,
        stats_after,
        history,
        notes,
        relay_edges,
    )


def _fit_closed_form(
    target: Target,
    sigma_default: float,
    needs_sim: bool,
    fitted: dict[str, Any],
    behaviour: dict[str, Any],
    notes: list[str],
) -> None:
    """The exposure response (from an exposure curve) and the latency's starting point (lognormal
    through the target's delay quantiles)."""
    if target.exposure_response is not None:
        alpha, beta = fit_response(target.exposure_response)
        fitted["behaviour.alpha"], fitted["behaviour.beta"] = round(alpha, 4), round(beta, 4)
        behaviour.update(alpha=alpha, beta=beta)
        peak = alpha / beta if beta > 0 else math.inf
        notes.append(
            f"exposure response fitted to {len(target.exposure_response)} points: alpha {alpha:.3f}, "
            f"beta {beta:.3f} (peak at {peak:.2f} exposures)"
        )
    elif needs_sim:
        notes.append(
            "exposure response (alpha, beta) kept: depth and latency profiles do not identify it; "
            "give exposure_response in a target file to fit it"
        )
    if target.latency_points:
        median, sigma, sigma_fitted = fit_lognormal(target.latency_points, sigma_default)
        if not sigma_fitted:
            notes.append(f"one latency number only: sigma kept at {sigma_default:g}, median fitted")
        behaviour["latency"] = {"median": median, "sigma": sigma, "sigma_fitted": sigma_fitted}


def _simulated_fit(
    runner: OrganicCascades,
    target: Target,
    p0: float,
    max_iter: int,
    behaviour: dict[str, Any],
    fitted: dict[str, Any],
    history: list[dict[str, Any]],
    notes: list[str],
    say: Callable[[str], None],
) -> CascadeStats:
    """p0 (depth-1 share) then the latency correction by the simulated quantiles (same seeds)."""
    sigma_fitted = behaviour.get("latency", {}).pop("sigma_fitted", False)
    if target.depth1_share is not None:
        # Start from the branching-process guess R = 1 - share, R = p0 <jk>/z.
        guess = (1.0 - target.depth1_share) * runner.z / runner.jk
        p0 = min(1.0, guess) if guess > 0 else p0
        p0, best_err, stats = search_p0(runner, behaviour, target.depth1_share, p0, max_iter, history, say)
        fitted["behaviour.p0"] = round_sig(p0)
        _share_notes(runner, stats, best_err, p0, notes)
    else:
        stats = runner.run({**behaviour, "p0": p0})
        history.append({"p0": p0, "depth1_share": stats.depth1_share, "latency_median_sim": stats.latency["median"]})
    if target.latency_points:
        lat = behaviour["latency"]
        corr = latency_correction(target, stats, lat["sigma"])
        if corr is not None and (abs(corr[0]) > 0.05 or abs(corr[1]) > 0.05):
            lat["median"] *= math.exp(corr[0])
            if sigma_fitted:
                lat["sigma"] = max(1e-3, lat["sigma"] + corr[1])
            stats = runner.run({**behaviour, "p0": p0})
            say(f"latency corrected: median {lat['median']:.3g} h, sigma {lat['sigma']:.3g} -> {brief(stats)}")
        fitted["behaviour.latency.median"] = round_sig(lat["median"])
        if sigma_fitted:
            fitted["behaviour.latency.sigma"] = round_sig(lat["sigma"])
    return stats


def _share_notes(runner: OrganicCascades, st: CascadeStats, err: float, p0: float, notes: list[str]) -> None:
    if math.isfinite(err) and st.used < 20:
        notes.append(
            f"only {st.used} of {st.cascades} cascades reached {MIN_REPOSTERS} "
            f"reposters: the depth-1 share is poorly measured; use --account with a larger audience, "
            "a larger --scale or more --cascades"
        )
    if not math.isfinite(err):
        notes.append(
            f"no cascade from {runner.account} reached {MIN_REPOSTERS} reposters even at p0 {p0:.3g}: "
            "the account's audience is too small to measure a depth profile; use --account "
            "or a larger --scale"
        )


def _horizon_note(target: Target, behaviour: dict[str, Any], horizon: float, notes: list[str]) -> None:
    lat = behaviour.get("latency")
    if target.latency_points and lat and lat["sigma"] > 0:
        beyond = 1 - statistics.NormalDist().cdf(math.log(horizon / lat["median"]) / lat["sigma"])
        notes.append(
            f"with the scenario's {horizon:g} h horizon, {beyond:.1%} of direct reposts would come "
            "after the horizon (calibration runs use a long horizon so cascades finish)"
        )


def latency_correction(target: Target, st: CascadeStats, sigma: float) -> tuple[float, float] | None:
    """(d ln median, d sigma) that moves the simulated depth-1 quantiles onto the target's."""
    z, err = [], []
    for p, h in target.latency_points:
        key = next((k for k, q in QUANT_PROBS.items() if abs(q - p) < 1e-9), None)
        if key is None or not math.isfinite(st.latency[key]) or st.latency[key] <= 0:
            continue
        z.append(norm_ppf(p))
        err.append(math.log(h) - math.log(st.latency[key]))
    if not z:
        return None
    if len(z) == 1 or np.ptp(z) < 1e-9:
        return float(np.mean(err)), 0.0
    a = np.vstack([np.ones(len(z)), z]).T
    (d_mu, d_sigma), *_ = np.linalg.lstsq(a, np.array(err), rcond=None)
    return float(d_mu), float(d_sigma)


def _fit_relays(
    loaded: LoadedScenario, rt: RelayTarget, fitted: dict[str, Any], notes: list[str]
) -> list[dict[str, Any]]:
    """Match the observed relays to the scenario's relay edges and set their probability."""
    m = loaded.matrix
    sc = loaded.scenario
    groups = {a.group or a.id for a in m.accounts}
    for what, ref in (("source", rt.source), ("target", rt.target)):
        if ref is not None and ref not in groups:
            raise ScenarioError(
                [
                    Problem(
                        rt.origin,
                        None,
                        None,
                        f"relays.{what}",
                        f"unknown account {ref!r}; scenario accounts/groups: {sorted(groups)[:20]}",
                    )
                ]
            )

    def gid(i: int) -> str:
        a = m.accounts[i]
        return a.group or a.id

    pairs: dict[tuple[str, str], list] = {}
    for e in m.relays:
        pairs.setdefault((gid(e.source), gid(e.target)), []).append(e)
    cand = [k for k in pairs if (rt.source is None or k[0] == rt.source) and (rt.target is None or k[1] == rt.target)]
    if not cand:
        existing = ", ".join(f"{s}->{t}" for s, t in pairs) or "none"
        raise ScenarioError(
            [
                Problem(
                    rt.origin,
                    None,
                    None,
                    "relays",
                    "no relay edges in the scenario match the observed relays "
                    f"(source {rt.source or 'any'}, target {rt.target or 'any'}); "
                    f"relay edges of the scenario: {existing}",
                )
            ]
        )
    if len(cand) > 1:
        # Most edges first: the observed count is about a group of relaying accounts.
        cand.sort(key=lambda k: -len(pairs[k]))
        if rt.source is None or rt.target is None:
            notes.append(
                f"observed relays matched to {cand[0][0]} -> {cand[0][1]} (most relay edges); "
                "set relays.source / relays.target to choose another pair"
            )
    src, tgt = cand[0]
    edges = pairs[(src, tgt)]
    p = rt.probability
    n_targets = len({e.target for e in edges})
    if n_targets != rt.accounts:
        notes.append(
            f"the observation counts {rt.accounts} relaying accounts, the scenario has {n_targets} in "
            f"{tgt}: the fitted probability is per account, so expected relays scale to {n_targets}"
        )
    e0 = edges[0]
    spec = next((r for r in sc.relays if r.source == src and r.target == tgt), None)
    entry: dict[str, Any] = {
        "source": src,
        "target": tgt,
        "probability": round_sig(p),
        "latency": {"median": e0.latency.median, "sigma": e0.latency.sigma},
        "variation": e0.variation,
    }
    if spec is not None and spec.off_topic_probability is not None:
        # keep the edge's off-topic / on-topic ratio
        ratio = spec.off_topic_probability / max(e0.probability, 1e-12)
        entry["off_topic_probability"] = min(1.0, round_sig(ratio * p))
    if spec is not None and spec.pattern != "all":
        entry.update(pattern=spec.pattern, neighbours=spec.neighbours)
    fitted[f"relays[{src}->{tgt}].probability"] = entry["probability"]
    notes.append(
        f"relay probability {src} -> {tgt}: {rt.count:,.0f} relays / ({rt.accounts} accounts x "
        f"{rt.source_posts:g} posts) = {p:.4f} (was {e0.probability:g}); expected relays in "
        f"{rt.days:g} days = {n_targets * rt.source_posts * p:,.0f}"
    )
    return [entry]


def round_sig(x: float, digits: int = 4) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


def brief(st: CascadeStats) -> str:
    return (
        f"depth-1 share {st.depth1_share:.3f} (pooled {st.pooled['1']:.3f}), direct-repost delay median "
        f"{st.latency['median']:.2f} h, mean {st.mean_reposters:,.0f} reposters"
    )
