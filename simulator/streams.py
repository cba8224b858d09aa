"""Counter-based random streams: every random decision has its own uniform, keyed by what it is about.

A decision's uniform is a pure function of ``(scenario seed, decision kind, entities...)``: SplitMix64's
mixing function (Steele, Lea & Flood 2014) applied to the key chain

    k0 = mix(seed_key + (kind + 1) * GOLDEN)         # one stream per decision kind
    k1 = mix(k0 + (a + 1) * GOLDEN)                  # e.g. the content item
    k2 = mix(k1 + (b + 1) * GOLDEN)                  # e.g. the poster (account or follower)
    u  = top 53 bits of mix(k2 + (c + 1) * GOLDEN)   # e.g. the follower receiving it

so a draw does not depend on how many draws were made before it, nor on the order in which a kernel
visits deliveries. Consequences: results do not depend on worker count or processing order; changing a
parameter changes only the decisions whose threshold it crosses; two matrices that share an account
(same id) share its audience draws and its followers' decisions (common random numbers). At a fixed seed,
reach, follower reposts and account relays never fall as p0 or a relay probability rises in the bundled
hub and sports-brand scenarios (``tests/test_monotone.py``); exact monotonicity can fail in general
through the inverted-U exposure response, fatigue feedback, or a faster relay edge changing the variation
of a relay (``docs/model.md#randomness``).

The keying scheme (``docs/model.md`` has the full table):

====================  =========================================  =====================================
kind                  keyed by                                   used for
====================  =========================================  =====================================
``TOLERANCE``         person                                     fatigue tolerance theta_i (lognormal)
``WEIGHT``            person                                     follower-count weight of a person (Pareto)
``DEGREE``            person                                     follower draws of a person (Poisson)
``EDGE_LOCAL/POS``    person, j                                  the j-th follower draw of a person (graph)
``AUD_COUNT``         account                                    follower count of an account
``AUD_PICK``          account, overlap account, person           priority of a person among declared overlaps
``AUD_PICK``          account, j                                 the j-th draw of the rest of an audience
``APPEAL``            item                                       content appeal (lognormal)
``REPOST``            item, person                               repost threshold (every delivery of the item)
``REPOST_LATENCY``    item, follower                             organic repost delay (lognormal)
``RELAY``             item, source account, target account       relay decision of a relay edge
``RELAY_LATENCY``     item, source account, target account       relay delay (lognormal)
``EXIT``, ``MUTE``    item, account, follower                    exit on a delivery; mute vs unfollow
``CHURN``             account, follower                          baseline unfollow time (exponential)
====================  =========================================  =====================================

Accounts enter keys through :func:`account_key` (a 64-bit hash of the account id), so the same id in two
scenarios draws the same numbers. Every function exists as a compiled (numba) kernel helper and as a
plain-Python twin that returns bit-identical values (tested).
"""

from __future__ import annotations

import math

import numpy as np

from simulator.backend import numba as _numba

MASK64 = (1 << 64) - 1
GOLDEN_INT = 0x9E3779B97F4A7C15
MIX1_INT = 0xBF58476D1CE4E5B9
MIX2_INT = 0x94D049BB133111EB
TWO_PI = 2.0 * math.pi

# Decision kinds. Their values are part of the keying scheme: never renumber, only append.
TOLERANCE = 1
DEGREE = 2
EDGE_LOCAL = 3
EDGE_POS = 4
AUD_COUNT = 5
AUD_PICK = 6
APPEAL = 7
# 8 was REPOST_ACCOUNT (a uniform per account delivery), retired when every delivery of an item to a person
# came to share one threshold; 9 keeps the stream of REPOST_FOLLOWER.
REPOST = 9
REPOST_LATENCY = 10
RELAY = 11
RELAY_LATENCY = 12
EXIT = 13
MUTE = 14
CHURN = 15
WEIGHT = 16  # a person's follower-count weight (graph); DEGREE draws the count given it
NORMAL_PAIR = 1 << 40  # counter offset of the second uniform of a Box-Muller pair


# --- plain-Python twins (exact 64-bit arithmetic) --------------------------------------------------


def mix(z: int) -> int:
    """SplitMix64's output function (a bijection of 64-bit integers)."""
    z &= MASK64
    z = ((z ^ (z >> 30)) * MIX1_INT) & MASK64
    z = ((z ^ (z >> 27)) * MIX2_INT) & MASK64
    return z ^ (z >> 31)


def derive(key: int, x: int) -> int:
    """The key of entity ``x`` in the stream ``key``: ``mix(key + (x + 1) * GOLDEN)``."""
    return mix((key + (int(x) + 1) * GOLDEN_INT) & MASK64)


def seed_key(seed: int) -> int:
    """The 64-bit root key of a scenario seed."""
    return mix((int(seed) + GOLDEN_INT) & MASK64)


def kind_key(seed: int, kind: int) -> int:
    """The root of one decision kind's stream for a scenario seed."""
    return derive(seed_key(seed), kind)


def to_uniform(z: int) -> float:
    """A 64-bit hash -> a uniform in the open interval (0, 1) (53 bits)."""
    return ((z >> 11) + 0.5) * 2.0**-53


def uniform(key: int, x: int) -> float:
    """The uniform of entity ``x`` in stream ``key``."""
    return to_uniform(derive(key, x))


def normal(key: int, x: int) -> float:
    """A standard normal for entity ``x`` (Box-Muller on two uniforms of the stream)."""
    u1 = uniform(key, x)
    u2 = uniform(key, x + NORMAL_PAIR)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(TWO_PI * u2)


def account_key(account_id: str) -> int:
    """A 64-bit key of an account id (FNV-1a of its UTF-8 bytes, then mixed)."""
    h = 0xCBF29CE484222325
    for b in account_id.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & MASK64
    return mix(h)


def as_signed(key: int) -> int:
    """A 64-bit key as a signed int64 (how numpy/numba arrays store it)."""
    return key - (1 << 64) if key >= 1 << 63 else key


# --- compiled helpers (identical arithmetic on uint64) ---------------------------------------------

if _numba is not None:
    _inline = _numba.njit(cache=True, inline="always")
    _G = np.uint64(GOLDEN_INT)
    _M1 = np.uint64(MIX1_INT)
    _M2 = np.uint64(MIX2_INT)
    _S30 = np.uint64(30)
    _S27 = np.uint64(27)
    _S31 = np.uint64(31)
    _S11 = np.uint64(11)
    _ONE = np.uint64(1)
    _PAIR = np.uint64(NORMAL_PAIR)

    @_inline
    def nb_mix(z):  # pragma: no cover - compiled
        z = (z ^ (z >> _S30)) * _M1
        z = (z ^ (z >> _S27)) * _M2
        return z ^ (z >> _S31)

    @_inline
    def nb_derive(key, x):  # pragma: no cover - compiled
        return nb_mix(np.uint64(key) + (np.uint64(x) + _ONE) * _G)

    @_inline
    def nb_to_uniform(z):  # pragma: no cover - compiled
        return (np.float64(z >> _S11) + 0.5) * 1.1102230246251565e-16

    @_inline
    def nb_uniform(key, x):  # pragma: no cover - compiled
        return nb_to_uniform(nb_derive(key, x))

    @_inline
    def nb_normal(key, x):  # pragma: no cover - compiled
        u1 = nb_uniform(key, x)
        u2 = nb_to_uniform(nb_derive(key, np.uint64(x) + _PAIR))
        return np.sqrt(-2.0 * np.log(u1)) * np.cos(6.283185307179586 * u2)

    @_numba.njit(cache=True)
    def _uniforms_nb(key, xs):  # pragma: no cover - compiled
        out = np.empty(xs.size, np.float64)
        k = np.uint64(key)
        for i in range(xs.size):
            out[i] = nb_uniform(k, xs[i])
        return out

    @_numba.njit(cache=True)
    def _normals_nb(key, xs):  # pragma: no cover - compiled
        out = np.empty(xs.size, np.float64)
        k = np.uint64(key)
        for i in range(xs.size):
            out[i] = nb_normal(k, xs[i])
        return out


def uniforms(key: int, xs: np.ndarray) -> np.ndarray:
    """Uniforms of entities ``xs`` (int64) in stream ``key``, vectorised (identical to :func:`uniform`)."""
    xs = np.ascontiguousarray(xs, dtype=np.int64)
    if _numba is not None:
        return _uniforms_nb(np.uint64(key), xs)
    return np.array([uniform(key, int(x)) for x in xs], dtype=np.float64)


def normals(key: int, xs: np.ndarray) -> np.ndarray:
    """Standard normals of entities ``xs`` in stream ``key`` (identical to :func:`normal`)."""
    xs = np.ascontiguousarray(xs, dtype=np.int64)
    if _numba is not None:
        return _normals_nb(np.uint64(key), xs)
    return np.array([normal(key, int(x)) for x in xs], dtype=np.float64)
