"""The account matrix: groups expanded into accounts, relay edges and content items.

Turns a validated :class:`~simulator.scenario.schema.Scenario` into flat, index-based plain objects
(the few accounts stay Python objects; followers are arrays, see :mod:`simulator.world.build`) and
checks everything a schema cannot: references between accounts, regions, topics, times.
Problems are returned as ``(path, message)`` pairs so the caller can point at file lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.scenario.schema import GENERAL_TOPIC, NATIONAL_SCOPE, LogNormal, Scenario

Path = tuple  # a path into the scenario document, e.g. ("relays", 2, "target")


@dataclass
class Account:
    """One resolved matrix account (plain data; the Mesa agent wraps it)."""

    index: int
    id: str
    handle: str
    kind: str
    group: str | None
    followers: LogNormal
    region: str | None
    region_share: float
    interest: str | None
    interest_share: float
    topics: frozenset[str]
    overlap: dict[int, float] = field(default_factory=dict)  # account index -> share
    spec_path: Path = ()


@dataclass
class RelayEdge:
    """Account ``source`` relays items it publishes to ``target``'s decision."""

    source: int
    target: int
    probability: float
    off_topic_probability: float
    latency: LogNormal
    variation: str


@dataclass
class Item:
    """A content item: one original campaign post by one account."""

    index: int
    account: int
    at: float  # hours
    topic: str
    scope: str
    promotional: bool
    appeal: float | None
    label: str


@dataclass
class Matrix:
    accounts: list[Account]
    relays: list[RelayEdge]
    items: list[Item]
    groups: dict[str, list[int]]
    by_id: dict[str, int]
    build_order: list[int]  # accounts ordered so that overlap sources come first

    def members(self, ref: str) -> list[int]:
        """Account indices named by an account id or a group id."""
        if ref in self.groups:
            return self.groups[ref]
        return [self.by_id[ref]]

    def out_edges(self, account: int) -> list[RelayEdge]:
        return [e for e in self.relays if e.source == account]


def build_matrix(sc: Scenario) -> tuple[Matrix | None, list[tuple[Path, str]]]:
    """Expand groups and check references. Returns (matrix or None, problems)."""
    problems: list[tuple[Path, str]] = []
    regions = list(sc.population.regions)
    interests = set(sc.population.interests)
    accounts: list[Account] = []
    groups: dict[str, list[int]] = {}
    by_id: dict[str, int] = {}
    seen_ids: dict[str, Path] = {}

    for k, a in enumerate(sc.accounts):
        path = ("accounts", k)
        if a.id in seen_ids:
            problems.append((path + ("id",), f"duplicate account id {a.id!r}"))
            continue
        seen_ids[a.id] = path
        region_list = _region_list(a.region, regions)
        for r in region_list:
            if r is not None and r not in sc.population.regions:
                problems.append((path + ("region",), f"unknown region {r!r}; population regions are {regions}"))
        if a.interest is not None and a.interest not in interests:
            problems.append(
                (path + ("interest",), f"unknown interest {a.interest!r}; population interests are {sorted(interests)}")
            )
        if a.followers.median > sc.population.size:
            problems.append(
                (
                    path + ("followers",),
                    f"median {a.followers.median:g} followers exceeds the population size {sc.population.size}",
                )
            )
        for t in a.topics or []:
            if t != GENERAL_TOPIC and t not in interests:
                problems.append(
                    (path + ("topics",), f"unknown topic {t!r}; population interests are {sorted(interests)}")
                )
        topics = set(a.topics) if a.topics is not None else {GENERAL_TOPIC} | ({a.interest} if a.interest else set())
        n = a.count or 1
        members = []
        for i in range(1, n + 1):
            region = region_list[(i - 1) % len(region_list)]
            ident = f"{a.id}.{i}" if a.count else a.id
            handle = (a.handle or f"@{a.id}" + (f"_{i}" if a.count else "")).format_map(
                _Fmt(i=i, region=region or "", id=a.id)
            )
            acc = Account(
                len(accounts),
                ident,
                handle,
                a.kind,
                a.id if a.count else None,
                a.followers,
                region,
                a.region_share,
                a.interest,
                a.interest_share,
                frozenset(topics),
                spec_path=path,
            )
            by_id[ident] = acc.index
            accounts.append(acc)
            members.append(acc.index)
        if a.count:
            groups[a.id] = members

    def resolve(ref: str, path: Path) -> list[int] | None:
        if ref in groups:
            return groups[ref]
        if ref in by_id:
            return [by_id[ref]]
        known = sorted(set(groups) | {x for x in by_id if "." not in x})
        problems.append((path, f"unknown account {ref!r}; defined accounts and groups: {known[:20]}"))
        return None

    # Overlaps: share split evenly across a group's members.
    for k, a in enumerate(sc.accounts):
        if a.id not in seen_ids or seen_ids[a.id] != ("accounts", k):
            continue
        for ref, share in a.overlap.items():
            targets = resolve(ref, ("accounts", k, "overlap", ref))
            if targets is None:
                continue
            for m in groups.get(a.id) or [by_id[a.id]]:
                others = [t for t in targets if t != m]
                if not others:
                    problems.append((("accounts", k, "overlap", ref), "an account cannot overlap with itself"))
                    break
                for t in others:
                    accounts[m].overlap[t] = accounts[m].overlap.get(t, 0.0) + share / len(others)
    order = _overlap_order(accounts, problems)

    relays: list[RelayEdge] = []
    for k, r in enumerate(sc.relays):
        path = ("relays", k)
        src = resolve(r.source, path + ("source",))
        dst = resolve(r.target, path + ("target",))
        if src is None or dst is None:
            continue
        off = r.off_topic_probability
        if off is None:
            off = r.probability * sc.behaviour.off_topic_factor
        if r.pattern == "ring":
            if r.source != r.target or r.source not in groups:
                problems.append(
                    (
                        path + ("pattern",),
                        "pattern 'ring' links a group to itself: source and target must be the same group",
                    )
                )
                continue
            n = len(src)
            pairs = {(src[i], src[(i + d) % n]) for i in range(n) for d in range(-r.neighbours, r.neighbours + 1) if d}
        else:
            pairs = {(s, t) for s in src for t in dst if s != t}
            if not pairs:
                problems.append((path + ("target",), "an account cannot relay itself"))
        for s, t in sorted(pairs):
            relays.append(RelayEdge(s, t, r.probability, off, r.latency, r.variation))
    # Later entries win for a repeated (source, target) pair, as in the preset merge.
    dedup: dict[tuple[int, int], RelayEdge] = {(e.source, e.target): e for e in relays}
    relays = list(dedup.values())

    items: list[Item] = []
    horizon = sc.time.horizon
    for k, p in enumerate(sc.campaign):
        path = ("campaign", k)
        who = resolve(p.account, path + ("account",))
        if p.scope != NATIONAL_SCOPE and p.scope not in sc.population.regions:
            problems.append((path + ("scope",), f"unknown scope {p.scope!r}: use 'national' or a region of {regions}"))
        if p.topic != GENERAL_TOPIC and p.topic not in interests:
            problems.append(
                (
                    path + ("topic",),
                    f"unknown topic {p.topic!r}; use 'general' or a population interest {sorted(interests)}",
                )
            )
        if p.at >= horizon:
            problems.append((path + ("at",), f"post at {p.at:g} h is not before the horizon ({horizon:g} h)"))
        elif p.at + (p.repeat - 1) * p.every >= horizon:
            problems.append(
                (
                    path + ("repeat",),
                    f"the last repeat (at {p.at + (p.repeat - 1) * p.every:g} h) is not before the horizon ({horizon:g} h)",
                )
            )
        if who is None:
            continue
        for rep in range(p.repeat):
            for acc in who:
                label = p.label or f"{accounts[acc].id}@{p.at + rep * p.every:g}h"
                items.append(
                    Item(len(items), acc, p.at + rep * p.every, p.topic, p.scope, p.promotional, p.appeal, label)
                )
    if len(items) > 1000:
        problems.append((("campaign",), f"{len(items)} content items; at most 1000 are supported"))
    if problems:
        return None, problems
    return Matrix(accounts, relays, items, groups, by_id, order), problems


class _Fmt(dict):
    """format_map helper that leaves unknown placeholders visible instead of raising."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _region_list(region: str | list[str] | None, regions: list[str]) -> list[str | None]:
    if region is None:
        return [None]
    if region == "*":
        return list(regions)
    if isinstance(region, str):
        return [region]
    return list(region) or [None]


def _overlap_order(accounts: list[Account], problems: list[tuple[Path, str]]) -> list[int]:
    """Topological order of audience building: an account after those it overlaps with."""
    order: list[int] = []
    state = [0] * len(accounts)  # 0 new, 1 on stack, 2 done

    for start in range(len(accounts)):
        if state[start]:
            continue
        stack = [(start, iter(sorted(accounts[start].overlap)))]
        state[start] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                state[node] = 2
                order.append(node)
            elif state[nxt] == 0:
                state[nxt] = 1
                stack.append((nxt, iter(sorted(accounts[nxt].overlap))))
            elif state[nxt] == 1:
                problems.append(
                    (
                        accounts[node].spec_path + ("overlap",),
                        f"overlap references form a cycle through {accounts[nxt].id!r}",
                    )
                )
                return list(range(len(accounts)))
    return order
