"""The account matrix: groups expanded into accounts, relay edges and content items.

Turns a validated :class:`~simulator.scenario.schema.Scenario` into flat, index-based plain objects
(the few accounts stay Python objects; followers are arrays, see :mod:`simulator.world.build`) and
checks everything a schema cannot: references between accounts, regions, topics, times.
Problems are returned as ``(path, message)`` pairs so the caller can point at file lines.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from simulator.scenario.errors import shown
from simulator.scenario.schema import (
    GENERAL_TOPIC,
    MAX_TEXT,
    NATIONAL_SCOPE,
    AccountSpec,
    LogNormal,
    PostSpec,
    RelaySpec,
    Scenario,
)

Path = tuple  # a path into the scenario document, e.g. ("relays", 2, "target")

# Hard limits, checked from the counts *before* anything is built (whatever the memory).
MAX_ITEMS = 1000  # content items (posts x repeats x posting accounts)
MAX_ACCOUNTS = 1_000_000  # matrix accounts after group expansion
MAX_RELAY_EDGES = 10_000_000  # account -> account relay links after group expansion


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
    """Expand groups and check references. Returns (matrix or None, problems).

    The hard limits (:func:`limit_problems`) are checked first, so nothing huge is ever built."""
    problems = limit_problems(sc, count_matrix(sc))
    if problems:
        return None, problems
    b = _Builder(sc)
    b.expand_accounts()
    b.add_overlaps()
    order = _overlap_order(b.accounts, b.problems)
    relays = b.relay_edges()
    items = b.expand_items()
    if b.problems:
        return None, b.problems
    return Matrix(b.accounts, relays, items, b.groups, b.by_id, order), b.problems


class _Builder:
    """The steps of :func:`build_matrix`, sharing the accounts built so far and the problems."""

    def __init__(self, sc: Scenario):
        self.sc = sc
        self.problems: list[tuple[Path, str]] = []
        self.regions = list(sc.population.regions)
        self.interests = set(sc.population.interests)
        self.accounts: list[Account] = []
        self.groups: dict[str, list[int]] = {}
        self.by_id: dict[str, int] = {}
        self.seen_ids: dict[str, Path] = {}

    def check_account(self, k: int, a: AccountSpec, region_list: list[str | None]) -> None:
        path = ("accounts", k)
        for r in region_list:
            if r is not None and r not in self.sc.population.regions:
                self.problems.append(
                    (path + ("region",), f"unknown region {shown(r)}; population regions are {self.regions}")
                )
        if a.interest is not None and a.interest not in self.interests:
            self.problems.append(
                (
                    path + ("interest",),
                    f"unknown interest {shown(a.interest)}; population interests are {sorted(self.interests)}",
                )
            )
        if a.followers.median > self.sc.population.size:
            self.problems.append(
                (
                    path + ("followers",),
                    f"median {a.followers.median:g} followers exceeds the population size {self.sc.population.size}",
                )
            )
        for t in a.topics or []:
            if t != GENERAL_TOPIC and t not in self.interests:
                self.problems.append(
                    (path + ("topics",), f"unknown topic {shown(t)}; population interests are {sorted(self.interests)}")
                )

    def expand_accounts(self) -> None:
        for k, a in enumerate(self.sc.accounts):
            path = ("accounts", k)
            if a.id in self.seen_ids:
                self.problems.append((path + ("id",), f"duplicate account id {shown(a.id)}"))
                continue
            self.seen_ids[a.id] = path
            region_list = _region_list(a.region, self.regions)
            self.check_account(k, a, region_list)
            topics = (
                set(a.topics) if a.topics is not None else {GENERAL_TOPIC} | ({a.interest} if a.interest else set())
            )
            members = []
            for i in range(1, (a.count or 1) + 1):
                region = region_list[(i - 1) % len(region_list)]
                ident = f"{a.id}.{i}" if a.count else a.id
                handle = _handle(a.handle or f"@{a.id}" + (f"_{i}" if a.count else ""), i, region or "", a.id)
                if len(handle) > 2 * MAX_TEXT and i == 1:
                    self.problems.append(
                        (path + ("handle",), f"expands to {len(handle):,} characters; at most {2 * MAX_TEXT}")
                    )
                acc = Account(
                    len(self.accounts),
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
                self.by_id[ident] = acc.index
                self.accounts.append(acc)
                members.append(acc.index)
            if a.count:
                self.groups[a.id] = members

    def resolve(self, ref: str, path: Path) -> list[int] | None:
        if ref in self.groups:
            return self.groups[ref]
        if ref in self.by_id:
            return [self.by_id[ref]]
        known = sorted(set(self.groups) | {x for x in self.by_id if "." not in x})
        self.problems.append((path, f"unknown account {shown(ref)}; defined accounts and groups: {known[:20]}"))
        return None

    def add_overlaps(self) -> None:
        """Overlaps: a share is split evenly across a group's members."""
        for k, a in enumerate(self.sc.accounts):
            if self.seen_ids.get(a.id) != ("accounts", k):
                continue
            for ref, share in a.overlap.items():
                targets = self.resolve(ref, ("accounts", k, "overlap", ref))
                if targets is None:
                    continue
                for m in self.groups.get(a.id) or [self.by_id[a.id]]:
                    others = [t for t in targets if t != m]
                    if not others:
                        self.problems.append((("accounts", k, "overlap", ref), "an account cannot overlap with itself"))
                        break
                    for t in others:
                        self.accounts[m].overlap[t] = self.accounts[m].overlap.get(t, 0.0) + share / len(others)

    def relay_pairs(self, k: int, r: RelaySpec, src: list[int], dst: list[int]) -> set[tuple[int, int]]:
        path = ("relays", k)
        if r.pattern == "ring":
            if r.source != r.target or r.source not in self.groups:
                msg = "pattern 'ring' links a group to itself: source and target must be the same group"
                self.problems.append((path + ("pattern",), msg))
                return set()
            n = len(src)
            return {(src[i], src[(i + d) % n]) for i in range(n) for d in range(-r.neighbours, r.neighbours + 1) if d}
        pairs = {(s, t) for s in src for t in dst if s != t}
        if not pairs:
            self.problems.append((path + ("target",), "an account cannot relay itself"))
        return pairs

    def relay_edges(self) -> list[RelayEdge]:
        relays: list[RelayEdge] = []
        for k, r in enumerate(self.sc.relays):
            src = self.resolve(r.source, ("relays", k, "source"))
            dst = self.resolve(r.target, ("relays", k, "target"))
            if src is None or dst is None:
                continue
            off = r.off_topic_probability
            if off is None:
                off = r.probability * self.sc.behaviour.off_topic_factor
            for s, t in sorted(self.relay_pairs(k, r, src, dst)):
                relays.append(RelayEdge(s, t, r.probability, off, r.latency, r.variation))
        # Later entries win for a repeated (source, target) pair, as in the preset merge.
        dedup: dict[tuple[int, int], RelayEdge] = {(e.source, e.target): e for e in relays}
        return list(dedup.values())

    def check_post(self, k: int, p: PostSpec) -> None:
        path, horizon = ("campaign", k), self.sc.time.horizon
        if p.scope != NATIONAL_SCOPE and p.scope not in self.sc.population.regions:
            msg = f"unknown scope {shown(p.scope)}: use 'national' or a region of {self.regions}"
            self.problems.append((path + ("scope",), msg))
        if p.topic != GENERAL_TOPIC and p.topic not in self.interests:
            msg = f"unknown topic {shown(p.topic)}; use 'general' or a population interest {sorted(self.interests)}"
            self.problems.append((path + ("topic",), msg))
        last = p.at + (p.repeat - 1) * p.every
        if p.at >= horizon:
            self.problems.append((path + ("at",), f"post at {p.at:g} h is not before the horizon ({horizon:g} h)"))
        elif last >= horizon:
            msg = (
                f"the last repeat (at {last:g} h) is not before the horizon ({horizon:g} h); to run only the "
                "first hours of a longer campaign, keep the file's horizon and use --until HOURS"
            )
            self.problems.append((path + ("repeat",), msg))

    def expand_items(self) -> list[Item]:
        items: list[Item] = []
        for k, p in enumerate(self.sc.campaign):
            who = self.resolve(p.account, ("campaign", k, "account"))
            self.check_post(k, p)
            if who is None:
                continue
            for rep in range(p.repeat):
                for acc in who:
                    label = p.label or f"{self.accounts[acc].id}@{p.at + rep * p.every:g}h"
                    items.append(
                        Item(len(items), acc, p.at + rep * p.every, p.topic, p.scope, p.promotional, p.appeal, label)
                    )
        return items


_PLACEHOLDER = re.compile(r"\{(i|region|id)(?::([<>^]?0?[1-9]?d?))?\}")


def _handle(template: str, i: int, region: str, ident: str) -> str:
    """Fill ``{i}``, ``{region}``, ``{id}`` (and simple formats such as ``{i:03d}``) in a handle
    template. Anything else stays as written: ``str.format`` would let a scenario file reach
    attributes (``{i.__class__}``) or ask for a 1 GB padding (``{i:999999999}``)."""
    values: dict[str, object] = {"i": i, "region": region, "id": ident}

    def fill(m: re.Match[str]) -> str:
        value = values[m.group(1)]
        spec = m.group(2) or ""
        if spec.endswith("d") and not isinstance(value, int):
            return m.group(0)
        return format(value, spec)

    return _PLACEHOLDER.sub(fill, template)


@dataclass(frozen=True)
class Counts:
    """What a scenario expands to, counted from the schema alone (nothing is built)."""

    accounts: int
    relay_edges: int  # before de-duplication of repeated (source, target) pairs: an upper bound
    items: int
    audience_links: float  # expected account -> follower links (mean follower counts, capped)
    relay_edges_by_entry: tuple[int, ...]  # per ``relays`` entry, to name the one to change


def count_matrix(sc: Scenario) -> Counts:
    """Count accounts, relay edges and items of ``sc`` without expanding anything (unknown
    references count 0: :func:`build_matrix` reports them)."""
    n = sc.population.size
    sizes: dict[str, int] = {}
    links = 0.0
    for a in sc.accounts:
        sizes.setdefault(a.id, a.count or 1)
        mean = a.followers.median * math.exp(a.followers.sigma**2 / 2)
        links += (a.count or 1) * min(n, mean)

    def size(ref: str) -> int:
        if ref in sizes:
            return sizes[ref]
        head, _, tail = ref.rpartition(".")
        return 1 if tail.isdigit() and 1 <= int(tail) <= sizes.get(head, 0) else 0

    per_entry = []
    for r in sc.relays:
        s, t = size(r.source), size(r.target)
        if r.pattern == "ring":
            per_entry.append(s * min(2 * r.neighbours, s - 1) if r.source == r.target else 0)
        else:
            per_entry.append(max(0, s * t - (s if r.source == r.target else 0)))
    items = sum(p.repeat * size(p.account) for p in sc.campaign)
    return Counts(sum(a.count or 1 for a in sc.accounts), sum(per_entry), items, links, tuple(per_entry))


def limit_problems(sc: Scenario, counts: Counts) -> list[tuple[Path, str]]:
    """The hard limits on what a scenario may expand to (checked before building)."""
    problems: list[tuple[Path, str]] = []
    if counts.accounts > MAX_ACCOUNTS:
        problems.append(
            (("accounts",), f"{counts.accounts:,} accounts after expanding groups; at most {MAX_ACCOUNTS:,}")
        )
    if counts.relay_edges > MAX_RELAY_EDGES:
        k = max(range(len(counts.relay_edges_by_entry)), key=counts.relay_edges_by_entry.__getitem__)
        problems.append(
            (
                ("relays", k),
                f"{counts.relay_edges:,} relay edges after expanding groups (this entry: "
                f"{counts.relay_edges_by_entry[k]:,}); at most {MAX_RELAY_EDGES:,}: relay to a smaller group, "
                "or use pattern: ring with a few neighbours",
            )
        )
    if counts.items > MAX_ITEMS:
        problems.append((("campaign",), f"{counts.items:,} content items; at most {MAX_ITEMS} are supported"))
    return problems


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
                        f"overlap references form a cycle through {shown(accounts[nxt].id)}",
                    )
                )
                return list(range(len(accounts)))
    return order
