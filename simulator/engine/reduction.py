"""Where the full model reduces to plain independent cascade (IC): the adapter between
:class:`~simulator.engine.model.PropagationModel` and the IC kernels of :mod:`simulator.ic`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.ic.cascade import independent_cascade, reach_curve
from simulator.ic.results import CascadeResult, ReachCurve
from simulator.world.build import choose_mode
from simulator.world.graphs import CSR


@dataclass
class ICProblem:
    """The plain-IC problem a one-post scenario reduces to (see :func:`reduce_model`).

    A delivery to follower v succeeds with probability ``min(1, p0 * scale * s_v)`` where
    ``scale`` = item appeal x variation multiplier and ``s_v`` the suitability s(i, c); the
    model's reach is the IC *exposed* count from ``audience``, its follower reposts the
    *activated* count (no seeds).
    """

    graph: CSR
    audience: np.ndarray  # the posting account's followers (int32)
    scale: float
    suitability: np.ndarray | None  # s(i, c) per follower, None when it is 1 for everyone

    def _args(self, p0s: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        p0s = np.asarray(p0s, dtype=np.float64)
        if self.suitability is None:  # min(1, p0 scale) is exact without weights
            return np.minimum(p0s * self.scale, 1.0), None
        return p0s, self.suitability * self.scale  # u / (scale s) <= p0  <=>  u <= p0 scale s

    def curve(self, p0s: Any, rng: np.random.Generator | int | None = None, backend: str = "auto") -> ReachCurve:
        """Reach (``exposed``) and reposts (``activated``) at every p0, one pass, same uniforms."""
        ps, w = self._args(np.atleast_1d(p0s))
        out = reach_curve(self.graph, [], ps, rng=rng, backend=backend, audience=self.audience, node_weights=w)
        out.ps = np.asarray(p0s, dtype=np.float64)
        return out

    def run(self, p0: float, rng: np.random.Generator | int | None = None, backend: str = "auto") -> CascadeResult:
        """One cascade at base repost probability ``p0`` (exposures counted)."""
        ps, w = self._args(np.array([p0]))
        return independent_cascade(
            self.graph,
            [],
            float(ps[0]),
            rng=rng,
            backend=backend,
            audience=self.audience,
            node_weights=w,
            count_exposed=True,
        )


def reduction_problems(model: Any) -> list[str]:
    """Why a built :class:`~simulator.engine.model.PropagationModel` does not reduce to plain IC
    (empty list: it does)."""
    sc = model.config
    problems = []
    if sc.fatigue.enabled:
        problems.append("fatigue is on (fatigue.enabled: false)")
    if sc.fatigue.churn_per_day > 0:
        problems.append("baseline churn is on (fatigue.churn_per_day: 0)")
    if sc.behaviour.alpha != 0 or sc.behaviour.beta != 0:
        problems.append("the exposure response r(x) is not constant (behaviour.alpha: 0, behaviour.beta: 0)")
    world = getattr(model, "world", None)
    if (world.graph is None) if world is not None else choose_mode(sc) == "implicit":
        problems.append("the world is implicit (graph.world: explicit materialises the follower graph)")
    if len(model.matrix.items) != 1:
        problems.append(f"the campaign has {len(model.matrix.items)} posts (the reduction covers one)")
    elif model.matrix.out_edges(model.matrix.items[0].account):
        problems.append("the posting account has relay edges (relay decisions are not IC trials)")
    return problems


def reduce_model(model: Any) -> ICProblem:
    """The plain-IC problem of a one-post scenario with fatigue, churn and the exposure response
    off: final (horizon -> infinity) reach and reposts, the whole p0 curve in one pass.

    Raises ValueError listing what prevents the reduction. Latency only delays deliveries, so
    the model agrees when its horizon is long enough for the cascade to finish.
    """
    problems = reduction_problems(model)
    if problems:
        raise ValueError("the model does not reduce to plain independent cascade: " + "; ".join(problems))
    item = model.items[0]
    account = model.matrix.items[0].account
    world = model.world
    audience = world.audience.indices[world.audience.indptr[account] : world.audience.indptr[account + 1]]
    s = None
    if item.topic >= 0 or item.scope >= 0:
        s_off = model.config.behaviour.off_topic_factor
        s = np.ones(world.n, dtype=np.float64)
        if item.topic >= 0:
            s[world.interest != item.topic] *= s_off
        if item.scope >= 0:
            s[world.region != item.scope] *= s_off
    return ICProblem(world.graph, np.ascontiguousarray(audience, dtype=np.int32), float(item.appeal), s)
