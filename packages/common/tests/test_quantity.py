"""Quantities in the API server's canonical form. Each expected string is what a real
kube-apiserver v1.37 stored for the same input (e2e/realcluster's conformance case
`quantity_canonical_forms` checks the ResourceList ones against it on every run)."""

from __future__ import annotations

import pytest
from mcp_registry_common.quantity import (
    QuantityError,
    canonical_quantity,
    canonical_resources,
    parse_quantity,
)

STORED = [
    (0.5, "500m"),
    ("0.5", "500m"),
    ("1000m", "1"),
    ("100m", "100m"),
    ("0.1", "100m"),
    (1, "1"),
    ("1.5", "1500m"),
    ("1e3", "1e3"),
    ("1.5e3", "1500"),
    ("0m", "0"),
    (2.25, "2250m"),
    ("1G", "1G"),
    ("1Gi", "1Gi"),
    ("1.5Gi", "1536Mi"),
    ("512Mi", "512Mi"),
    ("0.5Ki", "512"),
    ("1024", "1024"),
    ("250M", "250M"),
    ("1Ti", "1Ti"),
    ("1000Ki", "1000Ki"),
    ("1e9", "1e9"),
    ("129e6", "129e6"),
]


@pytest.mark.parametrize(("written", "stored"), STORED)
def test_canonical_form_is_what_the_api_server_stores(written: str | float, stored: str) -> None:
    assert canonical_quantity(written) == stored
    assert canonical_quantity(stored) == stored  # canonical forms are fixed points


def test_values_round_up_to_nano_or_to_milli_in_a_resource_list() -> None:
    assert canonical_quantity("0.0000000001") == "1n"
    assert canonical_quantity("-0.5") == "-500m"
    assert canonical_resources({"requests": {"cpu": "0.0000000001"}}) == {"requests": {"cpu": "1m"}}


def test_a_binary_value_that_is_not_whole_bytes_turns_decimal() -> None:
    assert canonical_quantity("0.3Ki") == "307200m"
    assert parse_quantity("1Ki")[1] == "BinarySI"


def test_resources_keep_what_is_not_a_quantity_for_the_server_to_refuse() -> None:
    resources = {"requests": {"cpu": "lots", "memory": "1.5Gi"}, "claims": [{"name": "x"}]}
    assert canonical_resources(resources) == {
        "requests": {"cpu": "lots", "memory": "1536Mi"},
        "claims": [{"name": "x"}],
    }


@pytest.mark.parametrize("bad", ["", "1.2.3", "1Kib", "abc", "1 Gi", True])
def test_malformed_quantities_are_refused(bad: object) -> None:
    with pytest.raises(QuantityError):
        canonical_quantity(bad)  # type: ignore[arg-type]
