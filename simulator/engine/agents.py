"""Matrix accounts as Mesa agents: one class per account kind.

Accounts are few (1 - a few hundred), so they are ordinary Python objects; their audiences are
slices of the model's account->follower CSR, and publishing delegates to the model's vectorised
delivery. Followers are *not* agents (see :mod:`simulator.engine.followers`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mesa import Agent

from simulator.scenario.matrix import Account as AccountData

if TYPE_CHECKING:
    from simulator.engine.model import PropagationModel


class Account(Agent):
    """A matrix account: posts its campaign items and relays others' items by its relay policy.

    Attributes:
        data: the resolved matrix entry (id, handle, kind, region, topics, overlaps).
        relays_out: the relay edges this account's publications trigger.
        published: item indices this account has published (original or relay).
    """

    kind = "other"

    def __init__(self, model: PropagationModel, data: AccountData):
        super().__init__(model)
        self.data = data
        self.index = data.index
        self.relays_out = model.matrix.out_edges(data.index)
        self.published: set[int] = set()

    @property
    def schedule(self) -> list[tuple[float, int, str]]:
        """This account's own campaign posts: (hour, item index, label), in time order."""
        return sorted((it.at, it.index, it.label) for it in self.model.matrix.items if it.account == self.index)

    @property
    def handle(self) -> str:
        return self.data.handle

    @property
    def account_id(self) -> str:
        return self.data.id

    def audience(self, active_only: bool = True) -> np.ndarray:
        """Follower indices who currently receive this account's posts (or all initial ones)."""
        return self.model.account_audience(self.index, active_only=active_only)

    def publish(
        self,
        item: int,
        time: float,
        variation: str = "verbatim",
        depth: int = 0,
        via: int | None = None,
        triggered: float | None = None,
    ) -> int:
        """Deliver ``item`` to the current audience at ``time`` (hours); returns new people reached.

        ``via`` is the account whose publication this relays (None for an original post) and
        ``triggered`` the hour that publication happened.
        Publishing an item twice is a no-op: each account publishes each item at most once.
        """
        if item in self.published:
            return 0
        self.published.add(item)
        return self.model.deliver_from_account(self, item, time, variation, depth, via, triggered)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.data.id} {self.data.handle!r}>"


class OfficialAccount(Account):
    """The company's main (core) account."""

    kind = "official"


class SubBrandAccount(Account):
    """A sub-brand or controlled account (dandelion hubs, centralized sub-accounts)."""

    kind = "sub_brand"


class RegionalAccount(Account):
    """A regional / local account with a mostly local audience (HUB spokes)."""

    kind = "regional"


class ExecutiveAccount(Account):
    """An executive's personal account: partly separate, more credible audience (twin-star)."""

    kind = "executive"


class EmployeeAccount(Account):
    """An empowered employee's personal account (honeycomb)."""

    kind = "employee"


class VerticalAccount(Account):
    """A business-line account whose fans care about one interest (twin-star verticals)."""

    kind = "vertical"


class OtherAccount(Account):
    """Any other account (organic units)."""

    kind = "other"


ACCOUNT_CLASSES: dict[str, type[Account]] = {
    cls.kind: cls
    for cls in (
        OfficialAccount,
        SubBrandAccount,
        RegionalAccount,
        ExecutiveAccount,
        EmployeeAccount,
        VerticalAccount,
        OtherAccount,
    )
}
