"""`LoopHistogram` exposes exactly what prometheus-client's `Histogram` does for the same
observations: the series, `le` labels, cumulative counts and sums, in the text format."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mcp_registry_server.histogram import LoopHistogram
from mcp_registry_server.metrics import REQUEST_BUCKETS
from prometheus_client import CollectorRegistry, Histogram, disable_created_metrics, generate_latest

LABELS = ("route", "method", "status")
OBSERVATION = st.tuples(
    st.sampled_from([("/a", "GET", "200"), ("/a", "GET", "304"), ("/b/{x}", "PUT", "404")]),
    st.one_of(
        st.sampled_from([*REQUEST_BUCKETS, 0.0]),  # exactly on a bound: counted in that bucket
        st.floats(min_value=0, max_value=20, allow_nan=False),
    ),
)


def _exposition(observations: list[tuple[tuple[str, str, str], float]], *, loop: bool) -> str:
    disable_created_metrics()  # type: ignore[no-untyped-call]
    registry = CollectorRegistry()
    histogram: LoopHistogram | Histogram
    if loop:
        histogram = LoopHistogram("d_seconds", "Durations.", LABELS, buckets=REQUEST_BUCKETS)
        registry.register(histogram)
    else:
        histogram = Histogram(
            "d_seconds", "Durations.", LABELS, buckets=REQUEST_BUCKETS, registry=registry
        )
    for labels, value in observations:
        histogram.labels(*labels).observe(value)
    return generate_latest(registry).decode()


@given(st.lists(OBSERVATION, max_size=40))
def test_the_exposition_is_prometheus_clients(
    observations: list[tuple[tuple[str, str, str], float]],
) -> None:
    ours = _exposition(observations, loop=True)
    theirs = _exposition(observations, loop=False)
    # the same lines; the order of series across label sets is the registry's business
    assert sorted(ours.splitlines()) == sorted(theirs.splitlines())


def test_a_bound_is_inclusive_and_the_sum_adds_up() -> None:
    histogram = LoopHistogram("d", "D.", ("route",), buckets=(0.1, 1.0))
    series = histogram.labels("/a")
    for value in (0.1, 0.5, 1.0, 7.0):
        series.observe(value)
    (family,) = histogram.collect()
    values = {(s.name, s.labels.get("le")): s.value for s in family.samples}
    assert values[("d_bucket", "0.1")] == 1
    assert values[("d_bucket", "1.0")] == 3
    assert values[("d_bucket", "+Inf")] == 4
    assert values[("d_count", None)] == 4
    assert values[("d_sum", None)] == pytest.approx(8.6)


def test_labels_must_match_the_label_names() -> None:
    histogram = LoopHistogram("d", "D.", ("route", "method"), buckets=(1.0,))
    with pytest.raises(ValueError, match="expected labels"):
        histogram.labels("/a")
