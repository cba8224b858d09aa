"""Typed containers of a run's state, passed to the compiled kernels (:mod:`simulator.engine.kernel`).

Only people a run has touched have state, packed so that one delivery touches two cache lines:

* per (item, person), in an open-addressing hash table of 16-byte slots: the key ``item << 32 | person``
  (bit 62 set once the person reposted the item, bit 61 when it was delivered since the last
  compaction) and, in the same slot, the exposure memory in log form
  ``ln x + t ln2 / h_x`` (one float for the memory and the hour it was last updated; -inf: never
  delivered) and the survival of the person's repost threshold (float32 each, through a float32 view);
* per person, one int64: the number of deliveries received and two flags in the low 32 bits, the person
  in the high 32 bits (a hash table in implicit worlds; an array indexed by person in explicit worlds).

Pairs not delivered for a while (and not reposted) move to a compact per-item archive between ticks
(:mod:`simulator.engine.archive`): person ids sorted by bucket (the high bits of the person: a directory
per item; the low 16 bits in a uint16) and the same two floats, 10 bytes a pair instead of ~23; a delivery
that misses the hot table finds the pair there and moves it back, so every reader sees the same state.

Follower reposts waiting to be published sit in a binary heap ordered by (hour, person, item), so
deliveries happen in exact time order whatever the processing order inside the kernel. Every table grows
on demand (:func:`grow`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from simulator import streams as S

if TYPE_CHECKING:
    from simulator.world.build import World

EMPTY = -1  # an unused hash-table slot
MAX_LOAD = 0.7  # hash tables are grown before they are fuller than this

# Counters (int64 array ``counters``): cumulative totals read by the model and the results.
REACH, DIRECT, IMPRESSIONS, DUPLICATES, EFFECTIVE, FOLLOWER_REPOSTS, DECISIONS, PENDING, FATIGUED, MUTES, UNFOLLOWS = (
    range(11)
)
N_COUNTERS = 11
# Per-account statistics (int64 array ``account_stats[account, stat]``).
DELIVERIES, IN_REGION, FIRST_DIRECT, FIRST_TOTAL, ACC_MUTES, ACC_UNFOLLOWS = range(6)
N_ACCOUNT_STATS = 6
# Scalars (int64 array ``sizes``): used slots and fill levels of the growable tables.
IT_USED, PT_USED, HEAP_SIZE, LOG_SIZE, ARCH_LIVE, ARCH_BACK = range(6)  # ARCH_BACK: pairs moved back, cumulative
# Edge status of an audience edge.
ACTIVE, MUTED, UNFOLLOWED = 0, 1, 2
# Person state (low 32 bits of a person slot): deliveries received, and two flags.
EXPOSURE_MASK = (1 << 28) - 1
FLAG_DIRECT, FLAG_FATIGUED = 1 << 28, 1 << 29
STATE_MASK = (1 << 32) - 1
REPOSTED = 1 << 62  # set in an item slot's key once the person reposted the item
TOUCHED = 1 << 61  # set in an item slot's key by every delivery; cleared when the archive is compacted
KEY_MASK = ~(REPOSTED | TOUCHED)  # the key (item << 32 | person) of an item slot
ARCH_SHIFT = 16  # archive buckets: person >> ARCH_SHIFT in the directory, the low bits in a uint16
ARCH_DEAD = -1.0  # threshold survival of an archived pair moved back to the hot table (a tombstone)
MAX_DEPTH = 255  # repost generations deeper than this are counted in the last bin


class Params(NamedTuple):
    """Scalars of the follower model for one run (hours, probabilities, load units)."""

    horizon: float
    alpha: float
    beta: float
    lam_x: float  # exposure decay rate ln2 / half-life, per hour (0: no decay)
    s_off: float
    fatigue: bool
    h_l: float  # load half-life, hours (inf: no decay)
    w_dup: float
    w_irr: float
    w_promo: float
    kappa: float
    p_exit_max: float
    q_mute: float
    eff_threshold: int
    lat_median: float  # organic repost latency, hours
    lat_sigma: float
    hist_per_hour: float  # first-exposure histogram bins per hour
    record: bool  # keep the per-repost log


class Items(NamedTuple):
    """Per content item (index = item)."""

    p0: np.ndarray  # float64: base repost probability
    appeal: np.ndarray  # float64
    topic: np.ndarray  # int64: interest index, -1 = general
    scope: np.ndarray  # int64: region index, -1 = national
    promotional: np.ndarray  # bool


class Keys(NamedTuple):
    """Stream keys of the run's decisions (uint64, see :mod:`simulator.streams`)."""

    repost: np.uint64
    repost_latency: np.uint64
    exit: np.uint64
    mute: np.uint64


class WorldArrays(NamedTuple):
    """The world as the kernels see it (arrays of :class:`~simulator.world.build.World`)."""

    explicit: bool
    g_indptr: np.ndarray  # follower CSR (explicit worlds; size 1 otherwise)
    g_indices: np.ndarray
    gen: tuple  # the graph generator (GraphModel.arrays()) for implicit rows
    cell_starts: np.ndarray
    n_interests: int
    region: np.ndarray  # per person (explicit) or size 0
    interest: np.ndarray
    tolerance: np.ndarray
    tol_key: np.uint64
    tol_median: float
    tol_sigma: float
    aud_indptr: np.ndarray
    aud_indices: np.ndarray
    churn_time: np.ndarray


class Tables(NamedTuple):
    """Growable state: hash tables, the repost heap, the repost log and the row buffer."""

    it: np.ndarray  # int64 [cap, 2]: key (item << 32 | person, | REPOSTED), EMPTY = unused; packed floats
    itf: np.ndarray  # float32 [cap, 4] view of ``it``: [h, 2] log-form exposure memory, [h, 3] threshold survival
    pt_dense: bool
    pt: np.ndarray  # int64 person slots: (person << 32 in sparse mode) | deliveries | flags
    heap_time: np.ndarray  # float64 publication hour of a pending follower repost
    heap_person: np.ndarray  # int64
    heap_item: np.ndarray  # int32
    heap_depth: np.ndarray  # int32 generation (1 = reposted a matrix account's delivery)
    heap_origin: np.ndarray  # int32 account at the root of the chain
    log_int: np.ndarray  # repost log (record_reposts): int64 [n, 4] person, item, depth, origin
    log_time: np.ndarray  # float64 [n, 2] hour of the triggering delivery, hour it is published
    row_buf: np.ndarray  # int64 scratch for generated follower rows
    row_seen: np.ndarray  # int64 scratch of the repeated-draw check (all -1 between rows)
    sizes: np.ndarray  # int64 [IT_USED, PT_USED, HEAP_SIZE, LOG_SIZE, ARCH_LIVE, ARCH_BACK]
    # The archive, per item c: ``arch_low[c]`` uint16 [m] low bits of the archived people, sorted within
    # each bucket; ``arch_lp[c]`` float32 [m, 2] exposure memory and threshold survival (ARCH_DEAD: moved
    # back); ``arch_dir[c]`` int64 [buckets + 1] start of each bucket (size 0: nothing archived). Until a
    # run first archives, empty 2-D/3-D arrays (indexing them gives the same types as the typed Lists the
    # first compaction makes: building typed Lists costs ~2 s in a fresh process, which small runs skip).
    arch_low: Any
    arch_lp: Any
    arch_dir: Any
    arch_dead: np.ndarray  # int64 [items] tombstones in each item's archive


class Edges(NamedTuple):
    """Per audience edge (follower of an account)."""

    status: np.ndarray  # int8 ACTIVE / MUTED / UNFOLLOWED
    load: np.ndarray  # float32 fatigue load L
    load_time: np.ndarray  # float32 hour of the last load update (-inf: never)


class Stats(NamedTuple):
    """Counters and histograms."""

    counters: np.ndarray  # int64 [N_COUNTERS]
    account_stats: np.ndarray  # int64 [accounts, N_ACCOUNT_STATS]
    depth: np.ndarray  # int64 executed follower reposts per generation [MAX_DEPTH + 1]
    first_hist: np.ndarray  # int64 people first reached per bin of 1/hist_per_hour hours
    account_region: np.ndarray  # int64 region index of each account (-1: none)


def _pow2(n: int) -> int:
    return 1 << max(4, int(n - 1).bit_length())


def new_tables(n_people: int, dense_people: bool, expected_people: int, record: bool, n_items: int = 0) -> Tables:
    """Empty tables sized for about ``expected_people`` touched people (and an empty archive of ``n_items``)."""
    cap = _pow2(int(expected_people / MAX_LOAD) + 16)
    it = np.full((cap, 2), EMPTY, np.int64)
    lcap = 1024 if record else 0
    return Tables(
        it,
        it.view(np.float32),
        dense_people,
        np.zeros(n_people, np.int64) if dense_people else np.full(cap, EMPTY, np.int64),
        np.zeros(1024, np.float64),
        np.zeros(1024, np.int64),
        np.zeros(1024, np.int32),
        np.zeros(1024, np.int32),
        np.zeros(1024, np.int32),
        np.zeros((lcap, 4), np.int64),
        np.zeros((lcap, 2), np.float64),
        np.zeros(4096, np.int64),
        np.full(8192, EMPTY, np.int64),
        np.zeros(6, np.int64),
        np.zeros((max(1, n_items), 0), np.uint16),
        np.zeros((max(1, n_items), 0, 2), np.float32),
        np.zeros((max(1, n_items), 0), np.int64),
        np.zeros(max(1, n_items), np.int64),
    )


def _resized(a: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((n,) + a.shape[1:], dtype=a.dtype)
    out[: min(len(a), n)] = a[: min(len(a), n)]
    return out


def grow(t: Tables, need_rows: int, rehash_items, rehash_people) -> Tables:
    """Tables with room for ``need_rows`` more deliveries (hash tables at most MAX_LOAD full, the heap
    and the log with that many free entries, the row buffer that long)."""
    used_it, used_pt, heap, logn = (int(x) for x in t.sizes[:4])
    # Hash tables grow to the next power of two above MAX_LOAD (at least doubling, so amortised): not to
    # twice that, which left them 18-35% full and doubled the largest state of platform-scale runs.
    if used_it + need_rows > MAX_LOAD * len(t.it):
        it = rehash_items(t.it, _pow2(int((used_it + need_rows) / MAX_LOAD) + 1))
        t = t._replace(it=it, itf=it.view(np.float32))
    if not t.pt_dense and used_pt + need_rows > MAX_LOAD * len(t.pt):
        t = t._replace(pt=rehash_people(t.pt, _pow2(int((used_pt + need_rows) / MAX_LOAD) + 1)))
    if heap + need_rows > len(t.heap_time):
        n = _pow2((heap + need_rows) * 2)
        t = t._replace(
            heap_time=_resized(t.heap_time, n),
            heap_person=_resized(t.heap_person, n),
            heap_item=_resized(t.heap_item, n),
            heap_depth=_resized(t.heap_depth, n),
            heap_origin=_resized(t.heap_origin, n),
        )
    if len(t.log_int) and logn + need_rows > len(t.log_int):
        n = _pow2((logn + need_rows) * 2)
        t = t._replace(log_int=_resized(t.log_int, n), log_time=_resized(t.log_time, n))
    if need_rows > len(t.row_buf):
        t = t._replace(
            row_buf=np.zeros(_pow2(need_rows), np.int64), row_seen=np.full(2 * _pow2(need_rows), EMPTY, np.int64)
        )
    return t


# --- building the kernel's inputs from a scenario and a world ---------------------------------------


def params_for(sc: Any, horizon: float, record: bool) -> Params:
    """The kernel's parameters from a validated scenario (hours; the histogram has 64 bins a tick)."""
    b, f = sc.behaviour, sc.fatigue
    return Params(
        horizon,
        b.alpha,
        b.beta,
        math.log(2.0) / b.exposure_half_life,
        b.off_topic_factor,
        f.enabled,
        f.load_half_life,
        f.w_dup,
        f.w_irr,
        f.w_promo,
        f.kappa,
        f.p_exit_max,
        f.q_mute,
        sc.metrics.effective_reach_threshold,
        b.latency.median,
        b.latency.sigma,
        64.0 / sc.time.tick,
        record,
    )


def items_for(items: Any) -> Items:
    """Per-item arrays (repost probability, appeal, topic and scope codes, promotional flag)."""
    return Items(
        np.array([i.p0 for i in items], np.float64),
        np.array([i.appeal for i in items], np.float64),
        np.array([i.topic for i in items], np.int64),
        np.array([i.scope for i in items], np.int64),
        np.array([i.promotional for i in items], np.bool_),
    )


def keys_for(seed: int) -> Keys:
    """The stream keys of the engine's decisions for a scenario seed (see :mod:`simulator.streams`)."""
    kinds = (S.REPOST, S.REPOST_LATENCY, S.EXIT, S.MUTE)
    return Keys(*(np.uint64(S.kind_key(seed, k)) for k in kinds))


def world_arrays_for(w: World) -> WorldArrays:
    """The world as the kernel reads it: the explicit graph (or empty arrays for an implicit one), the
    generator's arrays, cells, per-person attributes where materialised, audiences and churn clocks."""
    pop, graph = w.population, w.graph
    empty = np.zeros(0, np.uint16)
    return WorldArrays(
        graph is not None,
        graph.indptr if graph is not None else np.zeros(1, np.int64),
        graph.indices if graph is not None else np.zeros(0, np.int32),
        w.graph_model.arrays(),
        pop.cell_starts,
        pop.n_interests,
        w.region if w.region is not None else empty,
        w.interest if w.interest is not None else empty,
        w.tolerance if w.tolerance is not None else np.zeros(0, np.float32),
        np.uint64(pop.tol_key),
        pop.tol_median,
        pop.tol_sigma,
        w.audience.indptr,
        w.audience.indices,
        w.churn_time,
    )
