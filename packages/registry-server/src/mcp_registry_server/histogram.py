"""A Prometheus histogram for the event loop's thread: cheap to observe, rendered at scrape time."""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence

from prometheus_client.core import HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString


class LoopSeries:
    """One labelled series of a `LoopHistogram`: a count per bucket (not cumulative) and
    the sum."""

    __slots__ = ("_bounds", "counts", "total")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self._bounds = bounds
        self.counts = [0] * (len(bounds) + 1)  # the last one is +Inf's
        self.total = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self._bounds, value)] += 1  # `le`: value <= bound
        self.total += value


class LoopHistogram(Collector):
    """A labelled histogram observed from the event loop's thread only, and rendered at
    scrape time (`/metrics` is served on that loop too) as the same series as
    prometheus-client's `Histogram`.

    That one takes a lock for each of its two increments (it may be observed from any
    thread): 1.6 us a sample on this machine, a thirtieth of a kept read's whole cost
    (`bench/server_list.py`). Here a sample is a bisect and two additions.
    """

    def __init__(
        self, name: str, documentation: str, labelnames: Sequence[str], *, buckets: Sequence[float]
    ) -> None:
        self._name = name
        self._documentation = documentation
        self._labelnames = tuple(labelnames)
        self._bounds = tuple(sorted(buckets))
        # the `le` labels as prometheus-client writes them (untyped there)
        les = [floatToGoString(bound) for bound in self._bounds]  # type: ignore[no-untyped-call]
        self._les: list[str] = [*les, "+Inf"]
        self._series: dict[tuple[str, ...], LoopSeries] = {}

    def labels(self, *values: str) -> LoopSeries:
        """The series of these label values (created on first use)."""
        if len(values) != len(self._labelnames):
            raise ValueError(f"expected labels {self._labelnames}, got {values}")
        series = self._series.get(values)
        if series is None:
            series = self._series[values] = LoopSeries(self._bounds)
        return series

    def collect(self) -> Iterator[Metric]:
        family = HistogramMetricFamily(self._name, self._documentation, labels=self._labelnames)
        for values, series in self._series.items():
            cumulative, buckets = 0, []
            for le, count in zip(self._les, series.counts, strict=True):
                cumulative += count
                buckets.append((le, float(cumulative)))
            family.add_metric(values, buckets, series.total)
        yield family
