"""What a results folder gives: charts with their takeaways, what was skipped and why, and for a
sweep its comparisons and recommendation."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from matplotlib.figure import Figure

from simulator.plotting.data import RunData, Selection, SweepData
from simulator.plotting.recommend import Recommendation
from simulator.plotting.sweep_charts import SweepContext

__all__ = ["Chart", "ChartSet"]


@dataclass
class Chart:
    """One drawn chart and its one-line takeaway."""

    kind: str
    figure: Figure
    takeaway: str

    @property
    def title(self) -> str:
        return self.figure.get_suptitle() or self.kind  # set by every chart function


@dataclass
class ChartSet:
    """Charts drawn from one results folder, in slide order; ``skipped`` says why others are not."""

    data: RunData | SweepData
    lang: str
    charts: dict[str, Chart] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    selection: Selection | None = None
    context: SweepContext | None = None  # a sweep's comparisons (None for a run)
    recommendation: Recommendation | None = None
    title: str | None = None

    def __getitem__(self, kind: str) -> Chart:
        return self.charts[kind]

    def __iter__(self) -> Iterator[Chart]:
        return iter(self.charts.values())

    def __len__(self) -> int:
        return len(self.charts)
