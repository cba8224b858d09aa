"""Analytic results the engine is checked against (pure functions, ``docs/model.md#analytic-oracles``):
undirected configuration-model percolation (Newman 2002), directed branching on
follower graphs, the Borel law, and the repost probability after repeated exposures."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from simulator.world.graphs import CSR


def degree_pk(degrees: np.ndarray) -> np.ndarray:
    """Empirical degree distribution ``p_k`` (index k) of a degree sequence."""
    d = np.asarray(degrees, dtype=np.int64)
    return np.bincount(d) / len(d)


def moments(pk: np.ndarray) -> tuple[float, float]:
    """(<k>, <k^2>) of a degree distribution."""
    k = np.arange(len(pk), dtype=float)
    return float((k * pk).sum()), float((k * k * pk).sum())


def undirected_threshold(pk: np.ndarray) -> float:
    """Epidemic threshold ``T_c = <k>/(<k^2> - <k>)`` of the configuration model."""
    k1, k2 = moments(pk)
    return k1 / (k2 - k1)


def undirected_mean_outbreak(pk: np.ndarray, T: float) -> float:
    """Mean outbreak size from a random seed below threshold, seed included:
    ``1 + T<k>^2 / (<k> - T(<k^2> - <k>))``; ``inf`` at or above the threshold."""
    k1, k2 = moments(pk)
    den = k1 - T * (k2 - k1)
    return 1.0 + T * k1 * k1 / den if den > 0 else math.inf


def _g0(pk: np.ndarray, x: float) -> float:
    return float(np.polynomial.polynomial.polyval(x, pk))


def _g1(pk: np.ndarray, x: float) -> float:
    k = np.arange(len(pk), dtype=float)
    d = (k * pk)[1:]  # coefficients of G0'(x)
    return float(np.polynomial.polynomial.polyval(x, d) / d.sum())


def undirected_giant_size(pk: np.ndarray, T: float) -> float:
    """Giant outbreak share ``S = 1 - G0(1 - T + T u)`` with ``u = G1(1 - T + T u)`` the
    smallest root in [0, 1]; 0 at or below the threshold. For the undirected model this is
    also the probability that a random seed starts a large outbreak."""
    from scipy.optimize import brentq

    if undirected_threshold(pk) >= T:
        return 0.0

    def f(u: float) -> float:
        return _g1(pk, 1.0 - T + T * u) - u

    hi = None
    for e in range(1, 60):  # f < 0 just below the trivial root u = 1 above threshold
        u = 1.0 - 2.0**-e
        if f(u) < 0:
            hi = u
            break
    if hi is None:
        return 0.0
    u = brentq(f, 0.0, hi, xtol=1e-14) if f(0.0) > 0 else 0.0
    return 1.0 - _g0(pk, 1.0 - T + T * u)


def directed_moments(graph: CSR) -> tuple[float, float]:
    """(z, <jk>) of a follower graph: z = mean followers per node, j = followees, k = followers."""
    k = graph.degrees().astype(float)
    j = np.bincount(graph.indices, minlength=graph.n_rows).astype(float)
    return float(k.mean()), float((j * k).mean())


def directed_offspring(T: float, z: float, jk: float) -> float:
    """Mean offspring ``R = T <jk> / z`` of a reposter reached along an edge."""
    return T * jk / z


def directed_depth_mean(F: float, T: float, R: float, depth: int) -> float:
    """Expected reposters at depth ``d`` from an account with ``F`` followers: ``F T R^(d-1)``."""
    return F * T * R ** (depth - 1)


def directed_mean_size(F: float, T: float, R: float) -> float:
    """Expected cascade size from an account with ``F`` followers (account counted):
    ``1 + T F / (1 - R)``."""
    return 1.0 + T * F / (1.0 - R) if R < 1 else math.inf


def branching_mean_size(m: float) -> float:
    """Expected total progeny of a subcritical branching process (root counted): ``1/(1-m)``."""
    return 1.0 / (1.0 - m) if m < 1 else math.inf


def borel_pmf(n: int | np.ndarray, m: float) -> np.ndarray:
    """Borel law of the total progeny with Poisson(m) offspring:
    ``P(S=n) = e^(-mn) (mn)^(n-1) / n!``, computed in logs."""
    from scipy.special import gammaln

    n = np.asarray(n, dtype=float)
    return np.exp(-m * n + (n - 1) * np.log(m * n) - gammaln(n + 1))


def response(x: np.ndarray | float, alpha: float, beta: float) -> np.ndarray:
    """Exposure response ``r(x) = x^alpha e^(-beta (x - 1))`` (docs/model.md#exposure-response)."""
    x = np.asarray(x, dtype=float)
    return x**alpha * np.exp(-beta * (x - 1.0))


def repeated_exposure_probability(
    times: Sequence[float],
    p0: float,
    alpha: float,
    beta: float,
    half_life: float,
    weight: float = 1.0,
    mult: float = 1.0,
) -> float:
    """Probability that a follower reposts after deliveries at ``times`` (hours): memory
    ``x_j = sum_{i<=j} w 2^(-(t_j - t_i)/h_x)``, hazard ``h_j = min(1, p0 mult r(x_j))``,
    result ``1 - prod_j (1 - h_j)``."""
    t = np.asarray(times, dtype=float)
    p_none = 1.0
    for j in range(len(t)):
        x = float((weight * 2.0 ** (-(t[j] - t[: j + 1]) / half_life)).sum())
        p_none *= 1.0 - min(1.0, p0 * mult * float(response(x, alpha, beta)))
    return 1.0 - p_none
