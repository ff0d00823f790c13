"""The kubernetes source's inventory: lists and watch events change what is exported, skipped
objects become status notes, and an unchanged result keeps its hash."""

from __future__ import annotations

from typing import Any

from mcp_registry_common.kubeexport import DESCRIPTION, EXPORT, TOOLS, URL
from mcp_registry_server.sources.kubernetes.inventory import Inventory


def obj(name: str, namespace: str = "a", **annotations: str) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "namespace": namespace,
            "annotations": {EXPORT: "true", DESCRIPTION: name, URL: "http://x/mcp", **annotations},
        }
    }


def names(inventory: Inventory) -> list[str]:
    return [s["name"] for s in inventory.result(origin="t").servers]


def test_a_list_replaces_one_kind_in_one_namespace_only() -> None:
    inventory = Inventory()
    assert inventory.replace("MCPServer", "a", [obj("x"), obj("y")])
    assert inventory.replace("MCPRemoteProxy", "a", [obj("p")])
    assert not inventory.replace("MCPServer", "a", [obj("x"), obj("y")])  # no change
    assert inventory.replace("MCPServer", "a", [obj("y")])
    assert names(inventory) == ["com.toolhive.k8s.a/p", "com.toolhive.k8s.a/y"]


def test_events_add_change_and_remove_entries() -> None:
    inventory = Inventory()
    before = inventory.result(origin="t").content_hash
    assert inventory.apply("MCPServer", "ADDED", obj("x"))
    assert not inventory.apply("MCPServer", "MODIFIED", obj("x"))  # same export
    unexported = obj("x")
    unexported["metadata"]["annotations"][EXPORT] = "false"
    assert inventory.apply("MCPServer", "MODIFIED", unexported)
    assert names(inventory) == []
    assert inventory.result(origin="t").content_hash == before
    assert not inventory.apply("MCPServer", "DELETED", obj("x"))


def test_skipped_objects_are_notes_not_entries() -> None:
    inventory = Inventory()
    inventory.replace("MCPServer", "a", [obj("bad", **{TOOLS: "nope"}), obj("ok")])
    result = inventory.result(origin="t")
    assert [s["name"] for s in result.servers] == ["com.toolhive.k8s.a/ok"]
    (note,) = result.skipped
    assert note.startswith(f"MCPServer a/bad: annotation {TOOLS}: not valid JSON")
