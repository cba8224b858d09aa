"""Tests of the empirical cascade profiles (tools.realdata + committed JSON).

Three groups:
* pure functions on synthetic trees (no data needed);
* the committed ``simulator/data/empirical_profiles.json``: shape, internal consistency,
  and agreement with MODEL-REFERENCE section 3;
* re-derivation from the raw archives in ``../shared/research-data`` (skipped when absent).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tools import realdata
from tools.realdata import (
    LATENCY_BIN_EDGES_H,
    depth_profile,
    latency_profile,
    load_profiles,
    max_depth_distribution,
    offspring_distribution,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
RESEARCH = SHARED / "research-data"
DATASETS = ("weibo", "twitter15", "twitter16", "twitter")
QKEYS = ("p10", "p25", "median", "p75", "p90")

needs_raw = pytest.mark.skipif(
    not (RESEARCH / "ced_weibo_rumor").is_dir() or not (RESEARCH / "twitter15_16_trees").is_dir(),
    reason=f"raw research data not found at {RESEARCH}",
)


# --------------------------------------------------------------------------------------
# Synthetic trees
# --------------------------------------------------------------------------------------


def test_build_cascade_depths_offspring_and_unreachable() -> None:
    # 0,1 direct; 2 <- 0; 3 <- 2; 4 orphan; 5 <- 4 (descendant of orphan); 6 <-> 7 cycle
    parents = [-1, -1, 0, 2, -2, 4, 7, 6]
    delays = [0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    c = realdata._build_cascade(parents, delays, n_rows=9, dropped={"x": 1})
    assert c.depths.tolist() == [1, 1, 2, 3]
    assert c.offspring.tolist() == [1, 0, 1, 0]
    assert c.delays_h.tolist() == [0.5, 1.0, 2.0, 3.0]
    assert c.dropped == {"x": 1, "unreachable": 4}
    assert c.size == 4 and c.max_depth == 3


def test_build_cascade_out_of_order_parents() -> None:
    # child listed before its parent, deep chain
    parents = [1, 2, 3, -1]
    c = realdata._build_cascade(parents, [0.0] * 4, n_rows=4, dropped={})
    assert c.depths.tolist() == [4, 3, 2, 1]
    assert c.offspring.tolist() == [0, 1, 1, 1]


def test_parse_twitter_tree_rules() -> None:
    # synthetic ids only
    lines = [
        "['a', '9', '0.0']->['b', '5', '3.0']",  # before the ROOT line: parent unknown yet
        "['ROOT', 'ROOT', '0.0']->['a', '9', '0.0']",
        "['a', '9', '0.0']->['c', '9', '6.0']",  # retweet: carries the source tweet id
        "['c', '9', '6.0']->['d', '9', '12.0']",
        "['c', '9', '6.0']->['d', '9', '30.0']",  # duplicate child: first parent kept
        "['d', '9', '12.0']->['d', '9', '12.0']",  # self edge
        "['d', '9', '12.0']->['a', '9', '0.0']",  # edge back to the source
        "['a', '9', '0.0']->['c', '7', '-1.0']",  # same user, other tweet = other node
    ]
    c, bad = realdata._parse_twitter_tree("\n".join(lines) + "\n")
    assert bad == 0
    assert sorted(c.depths.tolist()) == [1, 1, 1, 2]
    assert c.n_rows == 8
    assert c.dropped == {
        "bad_line": 0,
        "duplicate_child": 1,
        "edge_to_source": 1,
        "self_edge": 1,
        "unreachable": 0,
    }
    assert sorted(c.delays_h.tolist()) == [-1 / 60, 0.05, 0.1, 0.2]
    lat = latency_profile(c.delays_h)
    assert lat["n_negative"] == 1 and lat["n"] == 3


def test_latency_profile_known_values() -> None:
    d = np.array([0.0, 0.005, 0.5, 0.99, 1.0, 2.0, 23.9, 24.0, 1e4, 2e4, np.nan, -1.0])
    lat = latency_profile(d)
    assert lat["n"] == 10 and lat["n_missing"] == 1 and lat["n_negative"] == 1
    assert lat["share_lt_1h"] == pytest.approx(0.4)
    assert lat["share_lt_24h"] == pytest.approx(0.7)
    h = lat["histogram"]
    assert h["n_below"] == 2 and h["n_above"] == 2  # 1e4 sits on the last edge -> above
    assert sum(h["counts"]) + h["n_below"] + h["n_above"] == lat["n"]
    assert len(h["edges_h"]) == len(h["counts"]) + 1
    assert lat["median"] == pytest.approx(float(np.median(d[np.isfinite(d) & (d >= 0)])))


def test_profile_functions_on_tiny_cascades() -> None:
    cs = [
        realdata._build_cascade([-1, -1, 0], [1.0, 2.0, 3.0], 3, {}),
        realdata._build_cascade([-1], [1.0], 1, {}),
        realdata._build_cascade([], [], 0, {}),
    ]
    dp = depth_profile(cs)
    assert dp["counts"] == {"1": 3, "2": 1}
    assert dp["shares"]["1"] == pytest.approx(0.75)
    assert dp["per_cascade_depth1_share"]["n_cascades"] == 2
    md = max_depth_distribution(cs)
    assert md["counts"] == {"0": 1, "1": 1, "2": 1} and md["max"] == 2
    off = offspring_distribution(cs)
    assert off["counts"] == {"0": 3, "1": 1}
    assert off["mean"] == pytest.approx(dp["effective_r"])


def test_powerlaw_alpha_recovers_zipf_exponent() -> None:
    rng = np.random.default_rng(7)
    k = rng.zipf(2.5, size=200_000)
    for kmin in (1, 2, 5):
        assert realdata._powerlaw_alpha_discrete(k, kmin) == pytest.approx(2.5, abs=0.03)


def test_write_json_atomic(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "p.json"
    realdata._write_json_atomic({"a": 1}, out)
    realdata._write_json_atomic({"a": 2}, out)
    assert json.loads(out.read_text()) == {"a": 2}
    assert [p.name for p in out.parent.iterdir()] == ["p.json"]  # no temp files left


# --------------------------------------------------------------------------------------
# Committed JSON
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def profiles() -> dict[str, Any]:
    return load_profiles()


def test_load_profiles_shape(profiles: dict[str, Any]) -> None:
    assert profiles["schema_version"] == realdata.SCHEMA_VERSION
    assert set(profiles) == {"schema_version", "provenance", *DATASETS}
    for ds in DATASETS:
        p = profiles[ds]
        for key in (
            "n_cascades",
            "n_rows",
            "n_participants",
            "dropped",
            "cascade_size",
            "depth",
            "max_depth",
            "offspring",
            "latency_h",
        ):
            assert key in p, (ds, key)
        assert set(p["latency_h"]) == {"all", "depth1"}
    prov = profiles["provenance"]
    assert prov["partial"] is False
    assert {"weibo", "twitter"} <= set(prov["datasets"])
    assert all("citation" in v and "upstream" in v for v in prov["datasets"].values())
    assert load_profiles() is not profiles  # fresh copy per call


def test_profiles_contain_only_aggregates(profiles: dict[str, Any]) -> None:
    """No identifiers or text: keys are metric names or small integers, leaves are numbers
    (or short labels), and no integer is large enough to be a user/post id."""
    key_ok = re.compile(r"^(\d{1,4}|[a-z][a-z0-9_\-]*)$")

    def walk(obj: Any, path: str) -> None:
        if isinstance(obj, dict):
            for k, v in obj.items():
                assert key_ok.match(k), f"{path}: suspicious key {k!r}"
                walk(v, f"{path}.{k}")
        elif isinstance(obj, list):
            for i, v in enumerate(obj):
                walk(v, f"{path}[{i}]")
        elif isinstance(obj, bool) or obj is None:
            pass
        elif isinstance(obj, (int, float)):
            assert abs(obj) < 1e8, f"{path}: {obj} looks like an id"
        else:
            pytest.fail(f"{path}: non-numeric leaf {obj!r}")

    for ds in DATASETS:
        block = dict(profiles[ds])
        block.pop("labels", None)  # veracity label names ("false", "true", ...) -> counts
        walk(block, ds)
    text = json.dumps(profiles)
    # no long digit runs (tweet ids are 18 digits, uids 6-10) outside sha256/commit hashes
    stripped = re.sub(r"[0-9a-f]{40,64}", "", text)
    assert not re.search(r"\d{9,}", stripped)


@pytest.mark.parametrize("ds", DATASETS)
def test_internal_consistency(profiles: dict[str, Any], ds: str) -> None:
    p = profiles[ds]
    depth, off, md = p["depth"], p["offspring"], p["max_depth"]
    # depth shares
    assert sum(depth["counts"].values()) == depth["n"] == p["n_participants"]
    assert all(0.0 <= s <= 1.0 for s in depth["shares"].values())
    assert sum(depth["shares"].values()) == pytest.approx(1.0, abs=1e-5)
    shares = [depth["shares"][str(d)] for d in range(1, 6)]
    assert shares == sorted(shares, reverse=True)  # decreasing with depth
    pc = depth["per_cascade_depth1_share"]
    assert [pc[k] for k in QKEYS] == sorted(pc[k] for k in QKEYS)
    assert pc["p10"] >= 0.0 and pc["p90"] <= 1.0
    # max depth
    assert sum(md["counts"].values()) == md["n_cascades"] == p["n_cascades"]
    assert max(int(k) for k in md["counts"]) == md["max"]
    assert 1 <= md["median"] <= md["p90"] <= md["max"]
    # offspring: counts, mean, and the tree identity mean offspring = 1 - depth-1 share
    assert sum(off["counts"].values()) == off["n"] == p["n_participants"]
    mean = sum(int(k) * v for k, v in off["counts"].items()) / off["n"]
    assert off["mean"] == pytest.approx(mean, abs=1e-6)
    assert off["share_zero"] == pytest.approx(off["counts"]["0"] / off["n"], abs=1e-6)
    if p["dropped"].get("unreachable", 0) == 0:
        assert off["mean"] == pytest.approx(depth["effective_r"], abs=1e-5)
    # latency
    for view in ("all", "depth1"):
        lat = p["latency_h"][view]
        assert [lat[k] for k in QKEYS] == sorted(lat[k] for k in QKEYS)
        assert 0.0 <= lat["share_lt_1h"] <= lat["share_lt_24h"] <= 1.0
        h = lat["histogram"]
        assert h["edges_h"] == pytest.approx(LATENCY_BIN_EDGES_H.tolist())
        assert sum(h["counts"]) + h["n_below"] + h["n_above"] == lat["n"]
        assert lat["n"] + lat["n_missing"] + lat["n_negative"] == (
            p["n_participants"] if view == "all" else depth["counts"]["1"]
        )
        # the histogram agrees with the reported share below 1 h (1 h is a bin edge)
        i1 = h["edges_h"].index(1.0)
        assert (h["n_below"] + sum(h["counts"][:i1])) / lat["n"] == pytest.approx(lat["share_lt_1h"], abs=1e-6)
    # sizes
    cs = p["cascade_size"]
    assert [cs[k] for k in QKEYS] == sorted(cs[k] for k in QKEYS)


def test_pooled_twitter_counts_each_source_once(profiles: dict[str, Any]) -> None:
    t15, t16, tw = profiles["twitter15"], profiles["twitter16"], profiles["twitter"]
    assert t15["n_cascades"] == 1490 and t16["n_cascades"] == 818
    assert tw["n_sources_in_both_subsets"] == 169
    assert tw["n_cascades"] == 1490 + 818 - 169
    assert tw["n_participants"] < t15["n_participants"] + t16["n_participants"]


# MODEL-REFERENCE section 3 and the dataset READMEs: (path, expected, absolute tolerance)
REFERENCE: dict[str, list[tuple[str, float, float]]] = {
    "weibo": [
        ("n_cascades", 3387, 0),
        ("n_rows", 1_275_180, 0),
        ("depth.shares.1", 0.616, 0.003),
        ("depth.shares.2", 0.224, 0.004),
        ("depth.shares.3", 0.077, 0.002),
        ("depth.shares.4", 0.035, 0.002),
        ("depth.per_cascade_depth1_share.median", 0.64, 0.005),
        ("depth.per_cascade_depth1_share.p10", 0.28, 0.01),
        ("depth.per_cascade_depth1_share.p90", 0.89, 0.01),
        ("depth.effective_r", 0.39, 0.015),
        ("max_depth.median", 5, 0),
        ("max_depth.p90", 10, 0),
        ("max_depth.max", 59, 1),
        ("offspring.share_zero", 0.836, 0.002),
        ("offspring.mean_rows_incl_duplicate_mids", 0.40, 0.005),
        ("offspring.tail_alpha_by_kmin.5", 2.25, 0.06),
        ("latency_h.depth1.median", 2.2, 0.1),
        ("latency_h.depth1.share_lt_1h", 0.38, 0.01),
        ("latency_h.depth1.share_lt_24h", 0.85, 0.01),
        ("source_posts.followers.median", 219_000, 1_000),
        ("source_posts.reported_reposts.max", 999, 0),
        ("source_posts.reposts_per_follower.median", 0.0014, 0.0001),
        ("source_posts.reposts_per_follower.p25", 0.00018, 0.00001),
        ("source_posts.reposts_per_follower.p75", 0.018, 0.001),
    ],
    "twitter15": [
        ("depth.shares.1", 0.76, 0.005),
        ("depth.shares.2", 0.175, 0.003),
        ("depth.shares.3", 0.042, 0.002),
        ("max_depth.median", 3, 0),
        ("max_depth.p90", 6, 0),
        ("max_depth.max", 12, 0),
        ("cascade_size.median", 260, 2),
        ("cascade_size.p90", 829, 10),
        ("latency_h.all.median", 1.15, 0.06),
        ("latency_h.all.share_lt_1h", 0.47, 0.012),
        ("latency_h.all.share_lt_24h", 0.895, 0.01),
    ],
    "twitter16": [
        ("depth.shares.1", 0.72, 0.005),
        ("depth.shares.2", 0.198, 0.003),
        ("depth.shares.3", 0.051, 0.002),
        ("max_depth.median", 3, 0),
        ("max_depth.p90", 6, 0),
        ("max_depth.max", 16, 0),
        ("cascade_size.median", 271, 2),
        ("cascade_size.p90", 944, 10),
        ("latency_h.all.median", 1.15, 0.11),
        ("latency_h.all.share_lt_1h", 0.47, 0.012),
        ("latency_h.all.share_lt_24h", 0.895, 0.01),
    ],
    "twitter": [
        ("depth.effective_r", 0.26, 0.02),
        ("max_depth.median", 3, 0),
        ("max_depth.p90", 6, 0),
        ("latency_h.all.median", 1.15, 0.06),
        ("latency_h.all.share_lt_1h", 0.47, 0.015),
        ("latency_h.all.share_lt_24h", 0.895, 0.01),
    ],
}


def _get(d: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        d = d[part]
    return d


@pytest.mark.parametrize(
    ("ds", "path", "expected", "tol"),
    [(ds, *row) for ds, rows in REFERENCE.items() for row in rows],
    ids=[f"{ds}:{row[0]}" for ds, rows in REFERENCE.items() for row in rows],
)
def test_matches_model_reference(profiles: dict[str, Any], ds: str, path: str, expected: float, tol: float) -> None:
    value = _get(profiles[ds], path)
    assert value == pytest.approx(expected, abs=tol), f"{ds}.{path} = {value}"


# --------------------------------------------------------------------------------------
# Re-derivation from the raw archives
# --------------------------------------------------------------------------------------


def _assert_close(a: Any, b: Any, path: str = "") -> None:
    """Recursive equality with a tolerance for floats (rounding / numpy version noise)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), f"{path}: keys differ"
        for k in a:
            _assert_close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{path}: length differs"
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_close(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, (int, float)):
        assert math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6), f"{path}: {a} != {b}"
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


@pytest.fixture(scope="module")
def rederived_twitter() -> dict[str, Any]:
    return realdata.derive_profiles(SHARED, datasets=("twitter",))


@pytest.mark.slow
@needs_raw
@pytest.mark.parametrize("ds", ("twitter15", "twitter16", "twitter"))
def test_rederived_twitter_matches_committed(
    profiles: dict[str, Any], rederived_twitter: dict[str, Any], ds: str
) -> None:
    """Full re-derivation of the Twitter trees (~4 s) reproduces the committed numbers."""
    _assert_close(rederived_twitter[ds], profiles[ds], ds)


@needs_raw
def test_rederived_weibo_subset_is_consistent(profiles: dict[str, Any]) -> None:
    """The first 150 Weibo cascades (cheap) give the same kind of profile and sit within
    the committed distribution (the full pass is in the next test)."""
    sub = realdata.derive_profiles(SHARED, datasets=("weibo",), weibo_limit=150)
    assert sub["provenance"]["partial"] is True
    w, full = sub["weibo"], profiles["weibo"]
    assert w["n_cascades"] == 150
    assert set(w) == set(full)
    assert 0 < w["n_participants"] < full["n_participants"]
    pc = full["depth"]["per_cascade_depth1_share"]
    assert pc["p10"] <= w["depth"]["per_cascade_depth1_share"]["median"] <= pc["p90"]
    assert w["depth"]["shares"]["1"] == pytest.approx(full["depth"]["shares"]["1"], abs=0.15)
    assert w["max_depth"]["max"] <= full["max_depth"]["max"]
    assert w["latency_h"]["depth1"]["median"] == pytest.approx(full["latency_h"]["depth1"]["median"], rel=1.0)
    assert w["source_posts"] == full["source_posts"]  # the source scan always reads all posts
    # the weibo archive digests recorded in the committed provenance are those of the files
    committed = {a["path"]: a["sha256"] for a in profiles["provenance"]["archives"]}
    for a in sub["provenance"]["archives"]:
        assert committed[a["path"]] == a["sha256"], f"{a['path']} changed since derivation"


@needs_raw
@pytest.mark.slow
def test_rederived_weibo_matches_committed(profiles: dict[str, Any]) -> None:
    """Full Weibo re-derivation (~6-7 s: 35 MB xz, 1.27 M JSON rows) reproduces the JSON."""
    full = realdata.derive_profiles(SHARED, datasets=("weibo",))
    _assert_close(full["weibo"], profiles["weibo"], "weibo")


@needs_raw
def test_main_writes_json_atomically(tmp_path: Path) -> None:
    out = tmp_path / "profiles.json"
    rc = realdata.main(["--shared", str(SHARED), "--output", str(out), "--weibo-limit", "5", "--twitter-limit", "5"])
    assert rc == 0
    data = json.loads(out.read_text())
    assert data["weibo"]["n_cascades"] == 5
    assert data["twitter15"]["n_cascades"] == 5 and data["twitter16"]["n_cascades"] == 5
    assert data["provenance"]["partial"] is True
    assert sorted(p.name for p in tmp_path.iterdir()) == ["profiles.json"]


def test_derive_profiles_missing_data(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        realdata.derive_profiles(tmp_path)
