"""Tests of the plain independent-cascade kernel and the whole-curve fast path (simulator.ic.cascade).

Oracles: a plain-Python breadth-first IC on the same trial uniforms (obviously correct, small
graphs), exact identities between backends / between the curve and step-by-step runs on shared
uniforms, cynetdiff on the same uniforms, and the branching-process mean size of
MODEL-REFERENCE section 4 on a light-tailed graph.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import pytest

from simulator import ic
from simulator.engine import reduction
from simulator.world.graphs import CSR, csr_from_edges, follower_graph

BACKENDS = ic.available_backends()


def small_graph(n: int = 3000, seed: int = 7, mean: float = 6.0, tail: float | None = 2.5) -> CSR:
    """A directed heavy-tailed follower graph with two regions (as the model builds it)."""
    return follower_graph(n, mean, tail, 0.5, np.array([0, n // 3, n]), np.random.default_rng(seed))


def reference_ic(g: CSR, seeds, p: float, u: np.ndarray, audience=(), au=None, weights=None):
    """Plain-Python IC: returns ({node: depth}, exposed set). Trial e succeeds iff u_e / w_v <= p."""
    p32 = np.float32(p)

    def ok(x, v):
        if weights is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                x = np.float32(np.float64(x) / np.float64(weights[v]))
        return x <= p32

    depth = {int(s): 0 for s in seeds}
    exposed = set()
    q = deque(depth)
    first = []
    for i, v in enumerate(audience):
        exposed.add(int(v))
        if ok(au[i], v) and int(v) not in depth:
            depth[int(v)] = 1
            first.append(int(v))
    q = deque(list(q) + first)
    while q:
        x = q.popleft()
        for e in range(g.indptr[x], g.indptr[x + 1]):
            v = int(g.indices[e])
            exposed.add(v)
            if ok(u[e], v) and v not in depth:
                depth[v] = depth[x] + 1
                q.append(v)
    return depth, exposed


def by_depth(res: ic.CascadeResult) -> list[list[int]]:
    return [sorted(res.activated[a:b].tolist()) for a, b in zip(res.level_starts[:-1], res.level_starts[1:])]


# --- the follower graph the kernels run on (simulator.world.graphs, built slice by slice) ---------------
# (edges, checksum, indptr sum, next draw of the stream), from the original one-shot generator
GRAPH_CASES = [
    ((3000, 6.0, 2.5, 0.5, np.array([0, 1000, 3000])), (17811, 105540202, 27581709, 0.8921339971455642)),
    ((3000, 4.0, None, 0.0, np.array([0, 3000])), (11846, 71809798, 17669403, 0.6892979743992008)),
]


@pytest.mark.parametrize("args, fingerprint", GRAPH_CASES)
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("chunk", [997, 1 << 21])
def test_follower_graph_is_unchanged_by_the_fast_build(monkeypatch, args, fingerprint, backend, chunk):
    """Slice-by-slice builds (numba or numpy, any slice size) give the graph the original
    one-shot generator gave for the same seed (fingerprints taken from it), rows sorted,
    without self-loops or repeated pairs, and leave the stream where it left it."""
    from simulator.world import graphs

    monkeypatch.setattr(graphs, "_DRAW_CHUNK", chunk)
    monkeypatch.setenv("PROPSIM_BACKEND", backend)
    rng = np.random.default_rng(3)
    g = follower_graph(*args, rng)
    m = g.n_edges
    checksum = int((g.indices.astype(np.int64) * (np.arange(m) % 7 + 1)).sum())
    assert (m, checksum, int(g.indptr.sum())) == fingerprint[:3]
    assert len(g.indices) == m and g.indices.dtype == np.int32 and g.indptr.dtype == np.int64
    rows = np.repeat(np.arange(g.n_rows), g.degrees())
    assert not (rows == g.indices).any()
    assert (np.diff(rows * g.n_rows + g.indices) > 0).all()  # sorted within rows, no repeats
    assert rng.random() == fingerprint[3]  # the stream advanced exactly as before


# --- hash uniforms ------------------------------------------------------------------------------
def test_hash_uniforms_are_uniform_and_uncorrelated():
    u = ic.hash_uniforms(ic.stream_key(3), np.arange(1_000_000, dtype=np.int64)).astype(np.float64)
    assert u.min() > 0 and u.max() <= 1
    counts = np.histogram(u, bins=100, range=(0, 1))[0]
    chi2 = ((counts - 10_000) ** 2 / 10_000).sum()
    assert chi2 < 99 + 4 * math.sqrt(2 * 99)  # chi-square(99): mean 99, sd 14
    lag1 = np.corrcoef(u[:-1], u[1:])[0, 1]
    assert abs(lag1) < 4 / math.sqrt(len(u))
    other = ic.hash_uniforms(ic.stream_key(4), np.arange(1_000_000, dtype=np.int64)).astype(np.float64)
    assert abs(np.corrcoef(u, other)[0, 1]) < 4 / math.sqrt(len(u))


def test_stream_key_rules():
    assert ic.stream_key(5) == ic.stream_key(5) != ic.stream_key(6)
    g1, g2 = np.random.default_rng(1), np.random.default_rng(1)
    assert [ic.stream_key(g1) for _ in range(3)] == [ic.stream_key(g2) for _ in range(3)]
    with pytest.raises(TypeError):
        ic.stream_key("seed")


def test_edge_uniforms_equal_rng_cascade():
    g = small_graph()
    for backend in BACKENDS:
        a = ic.independent_cascade(g, [1, 2, 3], 0.3, rng=11, backend=backend)
        b = ic.independent_cascade(g, [1, 2, 3], 0.3, edge_uniforms=ic.edge_uniforms(g, 11), backend=backend)
        assert by_depth(a) == by_depth(b)


# --- against the plain-Python reference ----------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("p", [0.0, 0.05, 0.2, 0.35, 1.0])
def test_matches_reference_bfs(backend, p):
    g = small_graph(800, seed=3)
    u = ic.edge_uniforms(g, 99)
    seeds = [0, 5, 5, 17]  # a repeated seed counts once
    res = ic.independent_cascade(g, seeds, p, edge_uniforms=u, backend=backend, count_exposed=True)
    depth, exposed = reference_ic(g, seeds, p, u)
    assert sorted(res.activated.tolist()) == sorted(depth)
    assert dict(zip(res.activated.tolist(), res.depth.tolist())) == depth
    assert res.n_exposed == len(exposed)
    assert res.n_reached == len(exposed | set(depth))
    assert res.edges_examined == int(sum(g.indptr[v + 1] - g.indptr[v] for v in depth))


@pytest.mark.parametrize("backend", BACKENDS)
def test_audience_and_weights_match_reference(backend):
    g = small_graph(800, seed=4)
    rng = np.random.default_rng(2)
    u = ic.edge_uniforms(g, 5)
    audience = rng.choice(800, 60, replace=False)
    au = rng.random(60).astype(np.float32)
    w = rng.choice([1.0, 0.5, 0.1, 0.0], size=800)
    res = ic.independent_cascade(
        g,
        [3],
        0.4,
        edge_uniforms=u,
        backend=backend,
        audience=audience,
        audience_uniforms=au,
        node_weights=w,
        count_exposed=True,
    )
    depth, exposed = reference_ic(g, [3], 0.4, u, audience, au, w)
    assert dict(zip(res.activated.tolist(), res.depth.tolist())) == depth
    assert res.n_exposed == len(exposed)
    assert res.n_reached == len(exposed | set(depth))
    assert not (set(res.activated.tolist()) - {3}) & set(np.flatnonzero(w == 0).tolist())


def test_model_semantics_on_a_star():
    """An account posts to its audience; audience reposters expose their followers."""
    # 0 -> 1..4 (node 0's followers); audience = {0, 5}
    g = csr_from_edges(6, np.array([0, 0, 0, 0]), np.array([1, 2, 3, 4]))
    for backend in BACKENDS:
        res = ic.independent_cascade(g, [], 1.0, audience=[0, 5], rng=1, backend=backend, count_exposed=True)
        assert by_depth(res) == [[], [0, 5], [1, 2, 3, 4]]
        assert (res.n_activated, res.n_exposed, res.n_reached) == (6, 6, 6)
        none = ic.independent_cascade(g, [], 0.0, audience=[0, 5], rng=1, backend=backend, count_exposed=True)
        assert (none.n_activated, none.n_exposed, none.n_reached) == (0, 2, 2)
        seeded = ic.independent_cascade(g, [0], 0.0, rng=1, backend=backend, count_exposed=True)
        assert (seeded.n_activated, seeded.n_exposed, seeded.n_reached) == (1, 4, 5)


# --- numba == numpy -----------------------------------------------------------------------------
@pytest.mark.skipif("numba" not in BACKENDS, reason="numba not installed")
@pytest.mark.parametrize("p", [0.01, 0.12, 0.3, 0.6])
@pytest.mark.parametrize("extras", ["plain", "exposed", "audience", "weights"])
def test_backends_identical(p, extras):
    g = small_graph(4000, seed=9)  # levels above n/64 exercise the sorted-level path
    rng = np.random.default_rng(int(p * 100))
    kw: dict = {}
    if extras == "exposed":
        kw["count_exposed"] = True
    if extras == "audience":
        kw.update(audience=rng.choice(4000, 200, replace=False), count_exposed=True)
    if extras == "weights":
        kw.update(node_weights=rng.uniform(0, 2, 4000), audience=rng.choice(4000, 50, replace=False))
    seeds = rng.choice(4000, 5, replace=False)
    a = ic.Cascader(g, "numba").run(seeds, p, rng=42, **kw)
    b = ic.Cascader(g, "numpy").run(seeds, p, rng=42, **kw)
    assert by_depth(a) == by_depth(b)
    assert (a.n_exposed, a.n_reached, a.edges_examined) == (b.n_exposed, b.n_reached, b.edges_examined)


@pytest.mark.parametrize("backend", BACKENDS)
def test_scratch_is_clean_after_each_call(backend):
    g = small_graph(2000)
    c = ic.Cascader(g, backend)
    c.curve([1, 2], [0.1, 0.3], rng=3, audience=[7, 8])  # curve first: the fast path allocates later
    plain = c.run([1, 2], 0.3, rng=3)
    first = c.run([1, 2], 0.3, rng=3, count_exposed=True)
    assert by_depth(plain) == by_depth(first)
    c.run_many([[1], [2, 3]], 0.5, rng=1, count_exposed=True)
    again = c.run([1, 2], 0.3, rng=3, count_exposed=True)
    assert by_depth(first) == by_depth(again) and first.n_reached == again.n_reached
    for name, arr in c._scratch.items():
        if name in ("active", "exposed", "mark"):
            assert not arr.any(), name
        if name in ("level", "exposed_level"):
            assert (arr == 255).all(), name


@pytest.mark.parametrize("backend", BACKENDS)
def test_run_many_equals_successive_runs(backend):
    g = small_graph(2000)
    c = ic.Cascader(g, backend)
    sets = np.random.default_rng(0).choice(2000, (6, 3))
    batch = c.run_many(sets, 0.25, rng=np.random.default_rng(8), count_exposed=True)
    gen = np.random.default_rng(8)
    single = [c.run(s, 0.25, rng=gen, count_exposed=True) for s in sets]
    assert batch.n_activated.tolist() == [r.n_activated for r in single]
    assert batch.n_exposed.tolist() == [r.n_exposed for r in single]
    assert batch.n_reached.tolist() == [r.n_reached for r in single]
    assert batch.edges_examined.tolist() == [r.edges_examined for r in single]


@pytest.mark.parametrize("exact_refcounts", [True, False])
def test_lazy_results_survive_later_calls(monkeypatch, exact_refcounts):
    """The fast path leaves a result's node list in the scratch until it is read or the next
    call needs the scratch: results kept across calls, read late, equal eager ones (with
    reference counts, and with the weak references used where counts are not exact)."""
    from simulator.ic import cascade

    monkeypatch.setattr(cascade, "_EXACT_REFCOUNTS", exact_refcounts and cascade._EXACT_REFCOUNTS)
    g = small_graph(3000, seed=6)
    c = ic.Cascader(g)
    seeds = [np.array([i, i + 100], dtype=np.int32) for i in range(8)]
    kept = [c.run(s, 0.3, rng=i) for i, s in enumerate(seeds)]  # none read yet
    c.curve(seeds[0], [0.1, 0.3], rng=1)  # other kernels reuse the same scratch
    public = [ic.independent_cascade(g, s, 0.3, rng=i) for i, s in enumerate(seeds)]
    for i, s in enumerate(seeds):
        eager = ic.Cascader(g, "numpy").run(s, 0.3, rng=i)
        assert by_depth(kept[i]) == by_depth(eager) == by_depth(public[i])
        assert kept[i].n_activated == eager.n_activated and kept[i].edges_examined == eager.edges_examined
    assert sum(r.n_activated for r in kept) > 100  # the cascades did spread
    # the usual loop (the previous result is rebound after the next call), with some kept
    holder: dict = {}
    res = None
    for i, s in enumerate(seeds * 3):
        res = c.run(s, 0.3, rng=i)
        if i % 5 == 0:
            holder[i] = res
    for i, r in holder.items():
        assert by_depth(r) == by_depth(ic.Cascader(g, "numpy").run(seeds[i % len(seeds)], 0.3, rng=i))


@pytest.mark.parametrize("bitgen", [np.random.PCG64, np.random.PCG64DXSM, np.random.SFC64, np.random.Philox])
def test_generator_draws_match_stream_key(bitgen):
    """The fast path draws each key inside the kernel from the Generator's C interface: the same
    keys as stream_key (so run == run_many == numpy backend), and the Generator advanced by
    exactly one draw per cascade, also when other code draws from it in between."""
    g = small_graph(2000, seed=2)
    sets = np.random.default_rng(0).choice(2000, (6, 3)).astype(np.int32)
    batch = ic.Cascader(g).run_many(sets, 0.3, rng=np.random.Generator(bitgen(9)))
    for backend in BACKENDS:
        c = ic.Cascader(g, backend)
        gen, twin = np.random.Generator(bitgen(9)), np.random.Generator(bitgen(9))
        sizes = [c.run(s, 0.3, rng=gen).n_activated for s in sets]
        assert sizes == batch.n_activated.tolist()
        twin.bit_generator.random_raw(len(sets))
        assert gen.random() == twin.random()  # one draw per cascade, no more
        other = np.random.Generator(bitgen(9))
        for s in sets[:3]:
            c.run(s, 0.3, rng=gen)
            gen.integers(10)  # the user's own draws in between
            c.run(s, 0.3, rng=other)  # another generator: the kernel switches to it
        twin.bit_generator.random_raw(3)
        for _ in range(3):
            twin.integers(10)
        assert gen.random() == twin.random()


@pytest.mark.parametrize("backend", BACKENDS)
def test_huge_rows_and_dense_resets(backend):
    """A hub whose fired edges overflow one block of the two-pass expansion, and a cascade that
    covers most of the graph (scratch reset by a whole-array fill): same as the reference."""
    n = 12_000
    hub = np.zeros(n - 1, dtype=np.int64)
    leaves = np.arange(1, n)
    chain = np.arange(1, n - 1)
    g = csr_from_edges(n, np.concatenate([hub, chain]), np.concatenate([leaves, chain + 1]))
    u = ic.edge_uniforms(g, 4)
    c = ic.Cascader(g, backend)
    for p in (1.0, 0.9, 0.5):
        res = c.run([0], p, rng=4)
        depth, _ = reference_ic(g, [0], p, u)
        assert dict(zip(res.activated.tolist(), res.depth.tolist())) == depth
        assert res.n_activated > n // 4
        assert not c._scratch["active"].any()


@pytest.mark.parametrize(
    "seeds",
    [
        [5, 9, 5],
        (5, 9),
        np.array([5, 9], dtype=np.int64),
        np.array([[5, 0], [9, 0]], dtype=np.int32)[:, 0],  # not contiguous
        np.frombuffer(np.array([5, 9], dtype=np.int32).tobytes(), dtype=np.int32),  # read-only
        np.array([5, 9], dtype=np.uint16),
    ],
)
def test_seed_forms_give_the_same_cascade(seeds):
    g = small_graph(800, seed=3)
    ref = ic.independent_cascade(g, np.array([5, 9], dtype=np.int32), 0.3, rng=2)
    for backend in BACKENDS:
        res = ic.independent_cascade(g, seeds, np.float64(0.3), rng=2, backend=backend)
        assert by_depth(res) == by_depth(ref)


# --- the whole-curve fast path -------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("shared", ["rng", "uniforms"])
def test_curve_equals_step_by_step_runs(backend, shared):
    g = small_graph(3000, seed=12)
    ps = [0.3, 0.01, 0.08, 0.12, 0.12, 0.2, 0.5, 0.0, 1.0]  # unsorted, repeated, endpoints
    rng = np.random.default_rng(1)
    w = rng.uniform(0.2, 1.5, 3000)
    audience = rng.choice(3000, 40, replace=False)
    src = (
        {"rng": 21}
        if shared == "rng"
        else {"edge_uniforms": ic.edge_uniforms(g, 21), "audience_uniforms": rng.random(40).astype(np.float32)}
    )
    for kw in ({}, {"node_weights": w, "audience": audience}):
        c = ic.Cascader(g, backend)
        opts = dict(src) if "audience" in kw else {k: v for k, v in src.items() if k != "audience_uniforms"}
        curve = c.curve([4, 9], ps, **opts, **kw)
        for k, p in enumerate(ps):
            if "rng" in opts:
                r = c.run([4, 9], p, rng=opts["rng"], count_exposed=True, **kw)
            else:
                r = c.run([4, 9], p, count_exposed=True, **{**opts, **kw})
            assert curve.activated[k] == r.n_activated, (p, kw.keys())
            assert curve.exposed[k] == r.n_exposed
            assert curve.reached[k] == r.n_reached


@pytest.mark.skipif("numba" not in BACKENDS, reason="numba not installed")
def test_curve_backends_identical_and_monotone():
    g = small_graph(5000, seed=2)
    ps = np.linspace(0.0, 0.4, 20)
    a = ic.Cascader(g, "numba").curve(np.arange(10), ps, rng=5, audience=np.arange(100, 300))
    b = ic.Cascader(g, "numpy").curve(np.arange(10), ps, rng=5, audience=np.arange(100, 300))
    assert a.activated.tolist() == b.activated.tolist()
    assert a.exposed.tolist() == b.exposed.tolist() and a.reached.tolist() == b.reached.tolist()
    assert a.edges_examined == b.edges_examined
    assert (np.diff(a.activated) >= 0).all() and (np.diff(a.reached) >= 0).all()
    assert a.activated[0] == 10  # p = 0: seeds only


def test_curve_mean_matches_independent_runs():
    """Curves from independent keys estimate the same mean as independent runs at each p."""
    g = small_graph(3000, seed=5, tail=None)
    ps = [0.05, 0.15, 0.25]
    c = ic.Cascader(g)
    curves = np.array([c.curve([0], ps, rng=1000 + r, count_exposed=False).activated for r in range(300)])
    runs = c.run_many(np.zeros((300, 1), dtype=np.int32), 0.15, rng=77).n_activated
    m1, m2 = curves[:, 1].mean(), runs.mean()
    se = math.sqrt(curves[:, 1].var(ddof=1) / 300 + runs.var(ddof=1) / 300)
    assert abs(m1 - m2) < 4 * se


# --- theory and cynetdiff -----------------------------------------------------------------------
@pytest.mark.slow
def test_mean_size_matches_branching_theory():
    """MODEL-REFERENCE 4: mean size from a random seed 1 + T z / (1 - T <jk>/z), exact on
    light-tailed graphs (measured moments of the built graph)."""
    n, T = 50_000, 0.1
    g = follower_graph(n, 5.0, None, 0.0, np.array([0, n]), np.random.default_rng(1))
    k = g.degrees().astype(float)
    j = np.bincount(g.indices, minlength=n).astype(float)
    z = k.mean()
    theory = 1 + T * z / (1 - T * (j * k).mean() / z)
    reps = 20_000
    seeds = np.random.default_rng(2).integers(0, n, size=(reps, 1))
    sizes = ic.Cascader(g).run_many(seeds, T, rng=3).n_activated
    se = sizes.std(ddof=1) / math.sqrt(reps)
    assert abs(sizes.mean() - theory) < 4 * se + 0.002 * theory  # 0.2%: finite-size allowance


def test_identical_to_cynetdiff_on_shared_uniforms():
    cm = pytest.importorskip("cynetdiff.models")
    g = small_graph(5000, seed=8)
    u = ic.edge_uniforms(g, 3)
    starts, edges = g.indptr[:-1].astype(np.uint32), g.indices.astype(np.uint32)
    for p in (0.02, 0.1, 0.3):
        model = cm.IndependentCascadeModel(starts, edges, activation_prob=p, _edge_probabilities=u)
        for seeds in ([0], [10, 20, 30], list(range(100, 150))):
            model.set_seeds(seeds)
            model.reset_model()
            model.advance_until_completion()
            ours = ic.independent_cascade(g, seeds, p, edge_uniforms=u)
            assert ours.n_activated == model.get_num_activated_nodes()
            assert set(ours.activated.tolist()) == set(model.get_activated_nodes())


# --- arguments ------------------------------------------------------------------------------------
def test_bad_arguments_raise():
    g = small_graph(500)
    c = ic.Cascader(g)
    with pytest.raises(ValueError):
        c.run([500], 0.1)
    with pytest.raises(ValueError):
        c.run([-1], 0.1, count_exposed=True)
    with pytest.raises(ValueError):
        c.run([2**32 + 1], 0.1)  # would wrap to 1 as int32
    with pytest.raises(ValueError):
        c.run([1], 1.5)
    with pytest.raises(ValueError):
        c.run(np.array([1], dtype=np.int32), -0.1)
    with pytest.raises(ValueError):
        c.run(np.array([1, 500], dtype=np.int32), 0.1)
    with pytest.raises(ValueError):
        ic.independent_cascade(g, [1], float("nan"))
    with pytest.raises(ValueError):
        c.run([1.5], 0.1)
    with pytest.raises(ValueError):
        c.run([1], 0.1, edge_uniforms=np.zeros(3, dtype=np.float32))
    with pytest.raises(ValueError):
        c.run([1], 0.1, node_weights=-np.ones(500))
    with pytest.raises(ValueError):
        c.curve([1], [])
    with pytest.raises(ValueError):
        c.curve([1], np.linspace(0, 1, 300))
    with pytest.raises(ValueError):
        ic.resolve_backend("cuda")


def test_backend_env_override(monkeypatch):
    monkeypatch.setenv("PROPSIM_BACKEND", "numpy")
    assert ic.resolve_backend() == "numpy"
    assert ic.Cascader(small_graph(300)).backend == "numpy"
    monkeypatch.delenv("PROPSIM_BACKEND")
    assert ic.resolve_backend() == BACKENDS[0]


# --- where the full model reduces to plain IC ----------------------------------------------------
REDUCIBLE = """
name: ic_reduction
seed: 1
time: {tick: 1, horizon: 72}
population: {size: 20000}
graph: {mean_followees: 8, tail_exponent: null, locality: 0.5}
accounts:
  - {id: brand, kind: official, followers: 1500}
campaign:
  - {account: brand, at: 0, appeal: 1.0, topic: TOPIC}
behaviour: {p0: 0.06, alpha: 0, beta: 0, appeal_sigma: 0, latency: {median: 1, sigma: 0}}
fatigue: {enabled: false, churn_per_day: 0}
"""


def _model(seed: int, world=None, topic: str = "general"):
    """A model of REDUCIBLE; with a topic, half the followers hold it (the rest get s_off)."""
    import simulator
    from simulator.engine.model import PropagationModel

    text = REDUCIBLE.replace("TOPIC", topic)
    if topic != "general":
        text = text.replace(
            "population: {size: 20000}", f"population: {{size: 20000, interests: {{general: 1, {topic}: 1}}}}"
        )
    return PropagationModel(simulator.load_text(text, seed=seed), world=world)


def test_reduction_refuses_the_full_model():
    import simulator
    from simulator.engine.model import PropagationModel

    model = PropagationModel(simulator.load("scenarios/hub.yaml", scale=0.02))
    problems = reduction.reduction_problems(model)
    assert any("fatigue" in p for p in problems) and any("r(x)" in p for p in problems)
    with pytest.raises(ValueError, match="does not reduce"):
        reduction.reduce_model(model)


@pytest.mark.slow
@pytest.mark.parametrize("topic", ["general", "sports"])
def test_reduced_model_matches_model_runs(topic):
    """Model replicates (own random numbers, one world) and IC replicates of the reduction
    agree on mean reach and mean follower reposts within 4 standard errors."""
    base = _model(1, topic=topic)
    problem = reduction.reduce_model(base)
    assert (problem.suitability is None) == (topic == "general")
    reach, reposts = [], []
    for seed in range(2, 42):
        m = _model(seed, world=base.world, topic=topic).run()
        assert m.counters["pending_at_horizon"] == 0  # the cascade finished inside the horizon
        reach.append(m.counters["reach"])
        reposts.append(m.counters["follower_reposts"])
    gen = np.random.default_rng(5)
    runs = [problem.run(0.06, rng=gen) for _ in range(400)]
    for model_vals, ic_vals in ((reach, [r.n_exposed for r in runs]), (reposts, [r.n_activated for r in runs])):
        a, b = np.asarray(model_vals, float), np.asarray(ic_vals, float)
        se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
        assert abs(a.mean() - b.mean()) < 4 * se, (a.mean(), b.mean(), se)
    curve = problem.curve([0.0, 0.03, 0.06], rng=9)
    single = problem.run(0.06, rng=9)
    assert curve.exposed[0] == len(np.unique(problem.audience)) and curve.activated[0] == 0
    assert (curve.activated[-1], curve.exposed[-1]) == (single.n_activated, single.n_exposed)
