"""gc_paused: the cyclic collector is off inside, and left as it was found afterwards, whatever
the nesting, the threads or the errors (parse_registry pauses it while converting)."""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Iterator

import pytest
from mcp_registry_common.formats import RegistryFormatError, parse_registry
from mcp_registry_common.gcpause import gc_paused

LEGACY = {"servers": {"fetch": {"description": "Fetches", "image": "ghcr.io/example/fetch:1"}}}


@pytest.fixture(autouse=True)
def collector_restored() -> Iterator[None]:
    """Whatever a test does, the collector is enabled again for the next one."""
    yield
    gc.enable()


def test_paused_inside_and_enabled_after() -> None:
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_enabled_again_after_an_error() -> None:
    with pytest.raises(ValueError, match="boom"), gc_paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    with gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_nested_blocks_enable_it_when_the_outer_one_leaves() -> None:
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_overlapping_threads_enable_it_when_the_last_one_leaves() -> None:
    entered, release = threading.Event(), threading.Event()
    seen_after_first: list[bool] = []

    def hold() -> None:
        with gc_paused():
            entered.set()
            assert release.wait(timeout=10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert entered.wait(timeout=10)
    with gc_paused():
        pass
    seen_after_first.append(gc.isenabled())
    release.set()
    holder.join(timeout=10)
    assert not holder.is_alive()
    assert seen_after_first == [False]
    assert gc.isenabled()


def test_parse_registry_leaves_the_collector_as_it_found_it() -> None:
    assert parse_registry(json.dumps(LEGACY).encode()).servers
    assert gc.isenabled()
    broken = {"servers": {"fetch": {"description": 5, "image": "ghcr.io/example/fetch:1"}}}
    with pytest.raises(RegistryFormatError, match=r"^servers\.fetch\.description"):
        parse_registry(json.dumps(broken).encode())
    assert gc.isenabled()
    gc.disable()
    parse_registry(json.dumps(LEGACY).encode())
    assert not gc.isenabled()
