"""Seeds and counter-based random numbers shared by every stage.

* :func:`stream_key` normalises what users pass as ``rng`` / ``seed`` (a numpy Generator, an int,
  None) to one 64-bit key: the single seed normaliser of the package.
* :func:`hash_uniforms` is a counter-based generator: the uniform of stream ``key`` at counter
  ``c`` is SplitMix64's output ``mix(key + (c + 1) * GOLDEN)`` (Steele, Lea & Flood 2014),
  indexed instead of stepped, so a draw does not depend on the order in which draws are made.
"""

from __future__ import annotations

import numpy as np

# SplitMix64 constants (Steele, Lea & Flood 2014); the stream of key k at counter c is
# mix(k + (c + 1) * GOLDEN), the same generator SplitMix64 uses, indexed instead of stepped.
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)
U24 = np.float32(2.0**-24)


def stream_key(rng: np.random.Generator | int | None) -> int:
    """The 64-bit key of a cascade's hash uniforms.

    A Generator is advanced by one draw (successive calls give independent cascades); an int
    is a seed (equal ints give equal cascades: common random numbers); None draws fresh entropy.
    """
    if isinstance(rng, np.random.Generator):
        if isinstance(rng.bit_generator, RAW64_BITGENS):  # ~5x cheaper than integers(); same quality
            return int(rng.bit_generator.random_raw())
        return int(rng.integers(0, 2**64, dtype=np.uint64))
    if rng is None:
        return int(np.random.default_rng().integers(0, 2**64, dtype=np.uint64))
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return splitmix64(int(rng))
    raise TypeError(f"rng must be a numpy Generator, an int seed or None, not {type(rng).__name__}")


RAW64_BITGENS = (np.random.PCG64, np.random.PCG64DXSM, np.random.SFC64, np.random.Philox)


def splitmix64(x: int) -> int:
    """SplitMix64 finaliser of ``x + GOLDEN`` (an int seed -> a well-mixed 64-bit key)."""
    mask = (1 << 64) - 1
    z = (x + 0x9E3779B97F4A7C15) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return z ^ (z >> 31)


def hash_uniforms(key: int, counters: np.ndarray) -> np.ndarray:
    """The float32 uniforms in (0, 1] of stream ``key`` at the given counters (edge indices).

    Trial ``e`` of a cascade with key ``k`` uses ``hash_uniforms(k, [e])``; the audience trial
    ``i`` uses counter ``n_edges + i``.

    >>> u = hash_uniforms(1, np.arange(100_000))
    >>> bool(u.min() > 0 and u.max() <= 1 and abs(u.mean() - 0.5) < 0.005)
    True
    """
    with np.errstate(over="ignore"):
        z = np.uint64(key) + (np.asarray(counters).astype(np.uint64) + np.uint64(1)) * GOLDEN
        z = (z ^ (z >> np.uint64(30))) * MIX1
        z = (z ^ (z >> np.uint64(27))) * MIX2
        z ^= z >> np.uint64(31)
    return ((z >> np.uint64(40)) + np.uint64(1)).astype(np.float32) * U24


# Named streams of one scenario seed: their positions are fixed, so adding a stream at the end never
# changes the others.
STREAMS = ("population", "graph", "audiences", "churn", "content", "dynamics")


def streams(seed: int) -> dict[str, np.random.Generator]:
    """Independent named generators spawned from one ``SeedSequence(seed)``."""
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return {name: np.random.default_rng(ss) for name, ss in zip(STREAMS, children)}
