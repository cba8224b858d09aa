"""The item table's cold storage and its maintenance: rehashing, the per-item archive, readers.

Pairs (item, person) that were not delivered since the last compaction and never reposted move out of the
hot hash table (16-byte slots at most 70% full: ~23 bytes a pair) into a compact archive per item
(10 bytes a pair): the people sorted, bucketed by their high bits (``person >> ARCH_SHIFT``) in a
directory, the low 16 bits in a uint16 array, and beside them the pair's two floats unchanged (the
log-form exposure memory and the threshold survival). A delivery that misses the hot table looks the
person up in the item's archive (one directory read and a binary search inside a bucket) and moves the
pair back with its floats (leaving a tombstone), so results are exactly those of a run without the
archive. Compaction runs between ticks (:meth:`simulator.engine.model.PropagationModel.step`), never inside
a delivery loop, and rewrites one item's archive at a time (the transient is one item, not the table).

Reposted pairs never leave the hot table (they are few, and readers count them there).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simulator import streams as S
from simulator.backend import numba as _numba
from simulator.engine.kernel import _item_slot, item_counts
from simulator.engine.state import (
    ARCH_BACK,
    ARCH_DEAD,
    ARCH_LIVE,
    ARCH_SHIFT,
    EMPTY,
    EXPOSURE_MASK,
    IT_USED,
    KEY_MASK,
    LOG_SIZE,
    REPOSTED,
    TOUCHED,
    Tables,
)

LOW_MASK = (1 << ARCH_SHIFT) - 1
__all__ = ["compact", "item_counts", "state_bytes"]  # item_counts lives in the kernel (older callers)
BATCH_PAIRS = 8_000_000  # pairs moved per table scan of a compaction (16 bytes each while in transit)

if _numba is not None:
    from numba import types
    from numba.typed import List

    _njit = _numba.njit(cache=True, nogil=True, error_model="numpy")
    _inline = _numba.njit(cache=True, inline="always", error_model="numpy")

    # --- growing the hash tables ---------------------------------------------------------------------

    @_njit
    def rehash_items(it, cap):  # pragma: no cover - compiled
        new = np.full((cap, 2), EMPTY, np.int64)
        for i in range(it.shape[0]):
            k = it[i, 0]
            if k != EMPTY:
                h = _item_slot(new, k & KEY_MASK)
                new[h, 0] = k
                new[h, 1] = it[i, 1]
        return new

    @_njit
    def rehash_people(pt, cap):  # pragma: no cover - compiled
        new = np.full(cap, EMPTY, np.int64)
        mask = cap - 1
        for i in range(pt.size):
            if pt[i] != EMPTY:
                h = np.int64(S.nb_mix(np.uint64(pt[i] >> 32)) & np.uint64(mask))
                while new[h] != EMPTY:
                    h = (h + 1) & mask
                new[h] = pt[i]
        return new

    # --- compaction -------------------------------------------------------------------------------------

    @_njit
    def cold_counts(it, n_items):  # pragma: no cover - compiled
        """Pairs of each item neither delivered since the last compaction nor reposted."""
        out = np.zeros(n_items, np.int64)
        for i in range(it.shape[0]):
            k = it[i, 0]
            if k != EMPTY and not (k & (REPOSTED | TOUCHED)):
                out[k >> 32] += 1
        return out

    @_inline
    def _delete(it, i, mask):  # pragma: no cover - compiled
        """Empty slot ``i`` of the item table, shifting later slots of its cluster back (linear probing
        without tombstones: every key stays reachable from its home slot)."""
        j = i
        while True:
            j = (j + 1) & mask
            k = it[j, 0]
            if k == EMPTY:
                break
            home = np.int64(S.nb_mix(np.uint64(k & KEY_MASK)) & np.uint64(mask))
            if ((j - home) & mask) >= ((j - i) & mask):  # the hole lies on k's probe path: k moves into it
                it[i, 0] = k
                it[i, 1] = it[j, 1]
                i = j
        it[i, 0] = EMPTY
        it[i, 1] = EMPTY

    @_njit
    def extract(it, itf, take, offsets, fill, person, lp, sizes, clear):  # pragma: no cover - compiled
        """Move the cold pairs of the items in ``take`` out of the table into ``person``/``lp`` (grouped by
        item from ``offsets``); ``clear``: also clear the delivered-since flag of every pair left. The scan
        starts after an empty slot, so no cluster straddles its start, a slot refilled by a deletion is
        looked at again before the scan moves on, and a slot the scan has passed never changes again."""
        mask = it.shape[0] - 1
        s0 = 0
        while it[s0, 0] != EMPTY:
            s0 += 1
        for step in range(1, it.shape[0] + 1):
            i = (s0 + step) & mask
            while True:
                k = it[i, 0]
                if k == EMPTY or (k & (REPOSTED | TOUCHED)) or not take[k >> 32]:
                    if clear and k != EMPTY:
                        it[i, 0] = k & ~TOUCHED
                    break
                c = k >> 32
                j = offsets[c] + fill[c]
                fill[c] += 1
                person[j] = k & 0xFFFFFFFF
                lp[j, 0] = itf[i, 2]
                lp[j, 1] = itf[i, 3]
                _delete(it, i, mask)
                sizes[IT_USED] -= 1

    @_njit
    def clear_touched(it):  # pragma: no cover - compiled
        for i in range(it.shape[0]):
            k = it[i, 0]
            if k != EMPTY:
                it[i, 0] = k & ~TOUCHED

    @_njit
    def empty_archive(n_items):  # pragma: no cover - compiled
        """Typed Lists of empty per-item archives (built in compiled code: cached, unlike Python's List())."""
        low = List.empty_list(types.uint16[::1])
        lp = List.empty_list(types.float32[:, ::1])
        dirs = List.empty_list(types.int64[::1])
        for _ in range(n_items):
            low.append(np.zeros(0, np.uint16))
            lp.append(np.zeros((0, 2), np.float32))
            dirs.append(np.zeros(0, np.int64))
        return low, lp, dirs

    @_njit
    def archive_sizes(t):  # pragma: no cover - compiled
        """(entries of each item's archive, tombstones included; bytes of the whole archive)."""
        n = len(t.arch_low)
        out = np.zeros(n, np.int64)
        nbytes = 0
        for c in range(n):
            out[c] = t.arch_low[c].size
            nbytes += t.arch_low[c].size * 2 + t.arch_lp[c].size * 4 + t.arch_dir[c].size * 8
        return out, nbytes

    @_njit
    def merge_item(arch_low, arch_lp, arch_dir, arch_dead, c, new_person, new_lp, n_buckets):  # noqa: C901
        # pragma: no cover - compiled
        """Item ``c``'s archive with ``new_person``/``new_lp`` added and its tombstones dropped: a two-pass
        radix sort (low bits, then bucket), which also yields the directory."""
        old_low, old_lp, old_dir = arch_low[c], arch_lp[c], arch_dir[c]
        m = new_person.size
        for j in range(old_low.size):
            if old_lp[j, 1] >= 0.0:
                m += 1
        cnt = np.zeros((1 << ARCH_SHIFT) + 1, np.int64)
        for b in range(old_dir.size - 1):
            for j in range(old_dir[b], old_dir[b + 1]):
                if old_lp[j, 1] >= 0.0:
                    cnt[np.int64(old_low[j]) + 1] += 1
        for j in range(new_person.size):
            cnt[(new_person[j] & LOW_MASK) + 1] += 1
        cnt = np.cumsum(cnt)
        tmp_p = np.empty(m, np.int64)
        tmp_lp = np.empty((m, 2), np.float32)
        for b in range(old_dir.size - 1):
            for j in range(old_dir[b], old_dir[b + 1]):
                if old_lp[j, 1] >= 0.0:
                    d = np.int64(old_low[j])
                    q = cnt[d]
                    cnt[d] += 1
                    tmp_p[q] = (np.int64(b) << ARCH_SHIFT) | d
                    tmp_lp[q, 0] = old_lp[j, 0]
                    tmp_lp[q, 1] = old_lp[j, 1]
        for j in range(new_person.size):
            d = new_person[j] & LOW_MASK
            q = cnt[d]
            cnt[d] += 1
            tmp_p[q] = new_person[j]
            tmp_lp[q, 0] = new_lp[j, 0]
            tmp_lp[q, 1] = new_lp[j, 1]
        dirs = np.zeros(n_buckets + 1, np.int64)
        for j in range(m):
            dirs[(tmp_p[j] >> ARCH_SHIFT) + 1] += 1
        dirs = np.cumsum(dirs)
        pos = dirs[:-1].copy()
        low = np.empty(m, np.uint16)
        lp = np.empty((m, 2), np.float32)
        for j in range(m):
            b = tmp_p[j] >> ARCH_SHIFT
            q = pos[b]
            pos[b] += 1
            low[q] = np.uint16(tmp_p[j] & LOW_MASK)
            lp[q, 0] = tmp_lp[j, 0]
            lp[q, 1] = tmp_lp[j, 1]
        arch_low[c] = low
        arch_lp[c] = lp
        arch_dir[c] = dirs
        arch_dead[c] = 0

    # --- readers and writers that must see the archive ---------------------------------------------------

    @_njit
    def mark_reposted(t, item, person):  # pragma: no cover - compiled
        """Mark (item, person) reposted (in the hot table; an archived pair moves back first)."""
        it, itf, sizes = t.it, t.itf, t.sizes
        key = (np.int64(item) << 32) | person
        h = _item_slot(it, key)
        if it[h, 0] == EMPTY:
            sizes[IT_USED] += 1
            itf[h, 2] = -np.inf  # never delivered (log-form exposure memory of 0)
            itf[h, 3] = 1.0
            a_low, a_lp, a_dir = t.arch_low[item], t.arch_lp[item], t.arch_dir[item]
            b = person >> ARCH_SHIFT
            if a_low.size and b + 1 < a_dir.size:
                for j in range(a_dir[b], a_dir[b + 1]):
                    if np.int64(a_low[j]) == (person & LOW_MASK) and a_lp[j, 1] >= 0.0:
                        itf[h, 2] = a_lp[j, 0]
                        itf[h, 3] = a_lp[j, 1]
                        a_lp[j, 1] = ARCH_DEAD
                        t.arch_dead[item] += 1
                        sizes[ARCH_LIVE] -= 1
            it[h, 0] = key | REPOSTED
        else:
            it[h, 0] |= REPOSTED

    @_njit
    def reposts_per_person(t, n_people):  # pragma: no cover - compiled
        """Items each person reposted (dense array over people; for small worlds and notebooks). Reposted
        pairs never leave the hot table."""
        out = np.zeros(n_people, np.int32)
        mask = np.int64(0xFFFFFFFF)
        it = t.it
        for i in range(it.shape[0]):
            k = it[i, 0]
            if k != EMPTY and (k & REPOSTED):
                out[k & mask] += 1
        return out

    @_njit
    def people_state(t, n_people):  # pragma: no cover - compiled
        """The state of every person as a dense int64 array (deliveries | flags)."""
        pt = t.pt
        if t.pt_dense:
            return pt.copy()
        out = np.zeros(n_people, np.int64)
        for i in range(pt.size):
            if pt[i] != EMPTY:
                out[pt[i] >> 32] = pt[i] & 0xFFFFFFFF
        return out

    @_njit
    def exposure_histogram(t):  # pragma: no cover - compiled
        """People by number of deliveries received (index k = received exactly k; index 0 left 0)."""
        pt = t.pt
        top = 0
        for i in range(pt.size):
            if pt[i] != EMPTY and (pt[i] & EXPOSURE_MASK) > top:
                top = pt[i] & EXPOSURE_MASK
        out = np.zeros(top + 1, np.int64)
        for i in range(pt.size):
            if pt[i] != EMPTY:
                e = pt[i] & EXPOSURE_MASK
                if e > 0:
                    out[e] += 1
        return out


def compact(t: Tables, n_people: int, min_share: float) -> tuple[Tables, int]:
    """Move the cold pairs of the hot table to the archive (between ticks; exact: see the module
    docstring); returns the number of pairs moved. An item's cold pairs move when they are at least
    ``min_share`` of its live archive (so an item's archive is rewritten O(log size) times, not at every
    compaction); the others stay hot until then. Every pair's delivered-since flag is cleared after.
    Returns the tables (the first compaction replaces the empty archive) and the pairs moved."""
    n_items = len(t.arch_dead)
    cold = cold_counts(t.it, n_items)
    if isinstance(t.arch_low, np.ndarray):  # the first compaction of the run: the archive's own lists
        low, lp, dirs = empty_archive(n_items)
        t = t._replace(arch_low=low, arch_lp=lp, arch_dir=dirs)
    live = archive_sizes(t)[0] - t.arch_dead
    take = np.flatnonzero((cold > 0) & (cold >= min_share * live))
    n_buckets = (max(1, n_people) - 1) // (1 << ARCH_SHIFT) + 1
    moved, group = 0, []
    for c in take:
        group.append(int(c))
        if int(cold[group].sum()) >= BATCH_PAIRS or c == take[-1]:
            moved += _move(t, cold, group, n_buckets, last=c == take[-1])  # the last scan clears the flags
            group = []
    if not len(take):
        clear_touched(t.it)
    return t, moved


def _move(t: Tables, cold: np.ndarray, group: list[int], n_buckets: int, last: bool) -> int:
    """Extract the cold pairs of ``group`` in one scan of the table and merge them into their archives."""
    n_items = len(cold)
    take = np.zeros(n_items, np.bool_)
    take[group] = True
    offsets = np.zeros(n_items, np.int64)
    offsets[group] = np.concatenate(([0], np.cumsum(cold[group])[:-1]))
    n = int(cold[group].sum())
    person = np.empty(n, np.int64)
    lp = np.empty((n, 2), np.float32)
    extract(t.it, t.itf, take, offsets, np.zeros(n_items, np.int64), person, lp, t.sizes, last)
    for c in group:
        sl = slice(int(offsets[c]), int(offsets[c] + cold[c]))
        merge_item(t.arch_low, t.arch_lp, t.arch_dir, t.arch_dead, c, person[sl], lp[sl], n_buckets)
    t.sizes[ARCH_LIVE] += n
    return n


def state_bytes(t: Tables) -> dict[str, Any]:
    """Sizes of a run's state tables (bytes, slots, pairs): the hot item table, the archive, the person
    table, the repost queue and log (for diagnostics and benchmarks)."""
    arch = archive_sizes(t)[1]
    heap = sum(a.nbytes for a in (t.heap_time, t.heap_person, t.heap_item, t.heap_depth, t.heap_origin))
    return {
        "item_slots": int(len(t.it)),
        "item_used": int(t.sizes[IT_USED]),
        "item_table_bytes": int(t.it.nbytes),
        "archive_pairs": int(t.sizes[ARCH_LIVE]),
        "archive_tombstones": int(t.arch_dead.sum()),
        "archive_moved_back": int(t.sizes[ARCH_BACK]),
        "archive_bytes": int(arch),
        "person_slots": int(len(t.pt)),
        "person_table_bytes": int(t.pt.nbytes),
        "queue_bytes": int(heap),
        "log_bytes": int(t.log_int.nbytes + t.log_time.nbytes),
        "log_rows": int(t.sizes[LOG_SIZE]),
    }
