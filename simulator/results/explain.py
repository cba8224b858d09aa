"""``propsim run --explain``: the expanded matrix of a scenario, without running its campaign.

Builds the population and the account audiences (an implicit world: the follower graph is never
materialised, so this costs what the audiences cost) and reports:

* every account: kind, handle, declared and realised follower count, region / interest targeting, topics;
* the audiences: people following at least one account (the union) and follower links;
* realised pairwise overlaps (``world.overlaps``) beside the declared ones;
* the campaign items, and every relay edge group with its on- and off-topic probability and, per item,
  how many of its edges decide on it on-topic, off-topic, or never see it;
* the warnings a run would print before its run-level ones.

:func:`explain` returns plain data (``--json``); :func:`format_explain` renders it as text.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from simulator.results.diagnostics import overlap_rows, union_audience, world_warnings
from simulator.scenario.estimates import RelayReach, unit_of
from simulator.scenario.matrix import Account, Matrix
from simulator.scenario.warnings import located, scenario_warnings

if TYPE_CHECKING:
    from simulator.scenario.loading import LoadedScenario

MAX_UNIT_VALUES = 4  # distinct regions / handles shown per unit in the text view


def explain(loaded: LoadedScenario) -> dict[str, Any]:
    """The expanded matrix of a loaded scenario as plain data (builds its audiences, runs nothing)."""
    from simulator.world.build import build_world, choose_mode

    sc, m = loaded.scenario, loaded.matrix
    world = build_world(sc, m, mode="implicit")
    realised = world.audience.degrees()
    union = union_audience(world)
    found = scenario_warnings(sc, m, estimates=False) + world_warnings(sc, m, world)
    return {
        "scenario": sc.name,
        "source": loaded.source,
        "topology": sc.topology.preset if sc.topology else None,
        "seed": sc.seed,
        "population": sc.population.size,
        "scale": loaded.scale if loaded.scale is not None else 1.0,
        "population_full": loaded.population_full or sc.population.size,
        "world_for_run": choose_mode(sc),
        "graph": {"mean_followees": sc.graph.mean_followees, "tail_exponent": sc.graph.tail_exponent},
        "behaviour": {"profile": sc.behaviour.profile, "p0": sc.behaviour.p0},
        "accounts": [_account_row(a, m, int(realised[a.index])) for a in m.accounts],
        "audience": {
            "union": union,
            "union_share": union / max(1, sc.population.size),
            "follower_links": int(realised.sum()),
        },
        "overlaps": overlap_rows(world),
        "items": [
            {
                "index": it.index,
                "label": it.label,
                "account": m.accounts[it.account].id,
                "at_h": it.at,
                "topic": it.topic,
                "scope": it.scope,
                "promotional": it.promotional,
                "appeal": it.appeal,
            }
            for it in m.items
        ],
        "relays": relay_groups(m),
        "warnings": [w.as_dict() for w in located(found, loaded.locate)],
    }


def _account_row(a: Account, m: Matrix, followers: int) -> dict[str, Any]:
    return {
        "id": a.id,
        "handle": a.handle,
        "kind": a.kind,
        "group": a.group,
        "followers_declared": {"median": a.followers.median, "sigma": a.followers.sigma},
        "followers": followers,
        "region": a.region,
        "region_share": a.region_share if a.region is not None else None,
        "interest": a.interest,
        "interest_share": a.interest_share if a.interest is not None else None,
        "topics": sorted(a.topics),
        "overlap_declared": {m.accounts[b].id: share for b, share in sorted(a.overlap.items())},
    }


def relay_groups(m: Matrix) -> list[dict[str, Any]]:
    """Relay edges grouped by (source unit, target unit, probabilities, latency, variation), each with, per
    campaign item, how many edges decide on it ``on`` topic, ``off`` topic, or ``never`` (their source never
    publishes it, or their target posted it: an account publishes an item once)."""
    if not m.relays:
        return []
    reach = RelayReach(m)
    statuses = [reach.edge_status(it.topic, [it.account]) for it in m.items]
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, e in enumerate(reach.edges):
        key = (
            unit_of(m.accounts[e.source]),
            unit_of(m.accounts[e.target]),
            e.probability,
            e.off_topic_probability,
            e.latency.median,
            e.latency.sigma,
            e.variation,
        )
        groups[key].append(i)
    out = []
    for (src, dst, p_on, p_off, med, sig, var), idx in groups.items():
        per_item = []
        own = reach.dst[idx]
        for it, (reached, on) in zip(m.items, statuses):
            decides = reached[idx] & (own != it.account)
            n_on = int((decides & on[idx]).sum())
            n_off = int((decides & ~on[idx]).sum())
            per_item.append({"item": it.label, "on": n_on, "off": n_off, "never": len(idx) - n_on - n_off})
        out.append(
            {
                "source": src,
                "target": dst,
                "edges": len(idx),
                "probability": p_on,
                "off_topic_probability": p_off,
                "latency": {"median": med, "sigma": sig},
                "variation": var,
                "target_kind": m.accounts[reach.edges[idx[0]].target].kind,
                "items": per_item,
            }
        )
    return out


# --- text ---------------------------------------------------------------------------------------------------
def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _count(x: float) -> str:
    return f"{x:,.0f}"


def _unit_rows(d: dict[str, Any]) -> list[list[str]]:
    units: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in d["accounts"]:
        units[a["group"] or a["id"]].append(a)
    rows = []
    for unit, accs in units.items():
        a = accs[0]
        fd = a["followers_declared"]
        declared = _count(fd["median"]) + (f" s{fd['sigma']:g}" if fd["sigma"] else "")
        counts = sorted(x["followers"] for x in accs)
        realised = _count(counts[0]) if len(counts) == 1 else f"{_count(counts[0])}-{_count(counts[-1])}"
        regions = sorted({x["region"] for x in accs if x["region"]})
        target = []
        if regions:
            shown = ",".join(regions[:MAX_UNIT_VALUES]) + ("..." if len(regions) > MAX_UNIT_VALUES else "")
            target.append(f"region {shown} {a['region_share']:.0%}")
        if a["interest"]:
            target.append(f"interest {a['interest']} {a['interest_share']:.0%}")
        handle = a["handle"] + (" ..." if len(accs) > 1 else "")
        overlap = ", ".join(f"{k} {v:g}" for k, v in a["overlap_declared"].items())
        rows.append([
            unit, a["kind"], str(len(accs)), handle, declared, realised, "; ".join(target) or "-",
            ",".join(a["topics"]), overlap or "-",
        ])  # fmt: skip
    return rows


def _spread(o: dict[str, Any]) -> str:
    lo, hi = f"{o['realised_min']:.3f}", f"{o['realised_max']:.3f}"
    return "" if lo == hi else f"{lo}-{hi}"


def _width(text: str) -> int:
    """Terminal columns of ``text`` (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(header: list[str], rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [max(_width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return indent + "  ".join(c + " " * (w - _width(c)) for c, w in zip(map(str, cells), widths)).rstrip()

    return [line(header)] + [line(r) for r in rows]


def _relay_lines(d: dict[str, Any]) -> list[str]:
    lines = []
    for g in d["relays"]:
        lat = g["latency"]
        lines.append(
            f"  {g['source']} -> {g['target']} ({_plural(g['edges'], 'edge')}, {g['variation']}, latency median "
            f"{lat['median']:g} h s{lat['sigma']:g}): on-topic {g['probability']:g}, off-topic "
            f"{g['off_topic_probability']:g}"
        )
        for s in g["items"]:
            parts = [f"{name} x{s[name]}" for name in ("on", "off", "never") if s[name]]
            lines.append(f"      {s['item']}: {', '.join(parts)}")
    return lines or ["  (none)"]


def format_explain(d: dict[str, Any]) -> str:
    """:func:`explain`'s data as text."""
    scale = "" if d["scale"] == 1.0 else f" (scale {d['scale']:g} of {d['population_full']:,})"
    aud = d["audience"]
    lines = [
        f"scenario  {d['scenario']} from {d['source']} (topology {d['topology'] or 'custom'}, seed {d['seed']})",
        f"world     {d['population']:,} people{scale}; {d['graph']['mean_followees']:g} followees each; "
        f"behaviour profile {d['behaviour']['profile']}, p0 {d['behaviour']['p0']:g}; a run builds it "
        f"{d['world_for_run']} (this view never builds the follower graph)",
        "",
        f"accounts ({len(d['accounts'])})",
        *_table(
            ["unit", "kind", "n", "handle", "followers", "realised", "targeting", "topics", "declared overlap"],
            _unit_rows(d),
        ),
        "",
        f"audience  {aud['union']:,} people follow at least one account ({aud['union_share']:.1%} of the "
        f"population); {aud['follower_links']:,} follower links",
        "",
        "overlaps  (share of the first unit's followers who also follow the second)",
    ]
    rows = [
        [
            o["account"], o["other"],
            f"{o['declared']:.3f}" if o["declared"] is not None else ("reverse" if o["reverse_declared"] else "-"),
            f"{o['realised']:.3f}",
            _spread(o),
        ]
        for o in d["overlaps"]
    ]  # fmt: skip
    lines += _table(["unit", "also follows", "declared", "realised", "members"], rows) if rows else ["  (none)"]
    lines += ["", "items"]
    lines += [
        f"  #{it['index']} {it['label']}: {it['account']} at {it['at_h']:g} h, topic {it['topic']}, {it['scope']}"
        + (", promotional" if it["promotional"] else "")
        for it in d["items"]
    ]
    lines += ["", "relay edges  (per item: edges deciding on-topic (on), off-topic (off), or never deciding on it)"]
    lines += _relay_lines(d)
    if d["warnings"]:
        lines += ["", "warnings"]
        lines += [f"  {w['where'] or w['field'] or ''}: {w['message']} [{w['code']}]" for w in d["warnings"]]
    return "\n".join(lines)
