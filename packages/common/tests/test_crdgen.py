"""The generated CRD: checked in without drift, valid for Kubernetes 1.33, structural, with
bounded CEL inputs, and produced by a converter that refuses what a CRD cannot express."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import cel
import kubernetes_validate
import pytest
import yaml
from mcp_registry_common.crdgen import (
    CRD_FILE_NAME,
    CRDSchemaError,
    build_crd,
    iter_nodes,
    model_schema,
    render_crd_yaml,
    structural_violations,
    to_structural,
    unbounded_cel_inputs,
    write_crd,
)
from mcp_registry_common.mcpregistry import MCPRegistrySpec
from mcp_registry_testing.crd_admission import validate_value
from pydantic import BaseModel, Field

REPO = Path(__file__).resolve().parents[3]
CHECKED_IN = REPO / "crds" / CRD_FILE_NAME


def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = build_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def test_checked_in_crd_matches_the_models() -> None:
    assert CHECKED_IN.read_text(encoding="utf-8") == render_crd_yaml(), (
        f"{CHECKED_IN.relative_to(REPO)} is stale: run `hatch run gen-crd`"
    )


def test_rendering_is_deterministic_and_newline_terminated(tmp_path: Path) -> None:
    text = render_crd_yaml()
    assert text == render_crd_yaml()
    assert text.endswith("\n")
    assert not text.endswith("\n\n")
    assert "&id" not in text, "shared nodes must not render as YAML anchors"
    write_crd(tmp_path / "out" / CRD_FILE_NAME)
    assert (tmp_path / "out" / CRD_FILE_NAME).read_text(encoding="utf-8") == text
    assert yaml.safe_load(text) == build_crd()


def test_crd_is_valid_for_kubernetes_1_33() -> None:
    kubernetes_validate.validate(build_crd(), "1.33", strict=True)


def test_identity_printer_columns_and_subresources() -> None:
    crd = build_crd()
    assert crd["metadata"]["name"] == "mcpregistries.toolhive.stacklok.dev"
    assert crd["metadata"]["labels"] == {"app.kubernetes.io/part-of": "mcp-registry"}
    names = crd["spec"]["names"]
    assert names["shortNames"] == ["mcpreg", "registry"]
    assert names["categories"] == ["toolhive"]
    assert crd["spec"]["scope"] == "Namespaced"
    alpha, version = crd["spec"]["versions"]
    assert (alpha["name"], alpha["served"], alpha["storage"]) == ("v1alpha1", True, False)
    assert (version["name"], version["served"], version["storage"]) == ("v1beta1", True, True)
    assert crd["spec"]["conversion"] == {"strategy": "None"}
    assert version["subresources"] == {"status": {}}
    columns = [
        (c["name"], c["type"], c.get("priority", 0)) for c in version["additionalPrinterColumns"]
    ]
    assert columns == [
        ("Status", "string", 0),
        ("Ready", "string", 0),
        ("Replicas", "integer", 0),
        ("URL", "string", 0),
        ("Servers", "integer", 1),
        ("Last Sync", "date", 1),
        ("Age", "date", 0),
    ]


def test_generated_schema_is_structural_with_bounded_cel_inputs() -> None:
    assert structural_violations(_schema()) == []
    assert unbounded_cel_inputs(_schema()) == []


def test_every_node_is_described_or_a_list_item() -> None:
    undocumented = [
        path
        for path, node in iter_nodes(_schema()["properties"]["spec"])
        if "description" not in node and not path.endswith(("[*]", "{*}"))
    ]
    assert undocumented == []


def test_every_cel_rule_compiles_and_names_what_it_checks() -> None:
    rules = [r for _, n in iter_nodes(_schema()) for r in n.get("x-kubernetes-validations", [])]
    assert len(rules) >= 10
    for rule in rules:
        cel.compile(rule["rule"])
        assert len(rule["message"]) > 20


def test_schema_defaults_validate_against_their_own_nodes() -> None:
    defaulted = [(p, n) for p, n in iter_nodes(_schema()) if "default" in n]
    assert len(defaulted) >= 15
    for path, node in defaulted:
        assert validate_value(node, node["default"], path) == []


def test_list_maps_are_keyed_by_required_names() -> None:
    spec = _schema()["properties"]["spec"]["properties"]
    for field in ("sources", "registries"):
        assert spec[field]["x-kubernetes-list-type"] == "map"
        assert spec[field]["x-kubernetes-list-map-keys"] == ["name"]
        assert "name" in spec[field]["items"]["required"]


# --- the converter ----------------------------------------------------------------------------


class _Leaf(BaseModel):
    """A leaf."""

    value: int = Field(gt=0, description="Strictly positive.")


class _Sample(BaseModel):
    leaf: _Leaf | None = Field(default=None, description="Optional leaf.")
    tags: set[str] = Field(default_factory=set)
    extra: dict[str, Any] = Field(default_factory=dict)
    pinned: Literal["only"] = "only"
    port: int | str = 80
    names: list[str] = Field(default_factory=list)


def test_converter_translates_pydantic_constructs() -> None:
    schema = to_structural(model_schema(_Sample))
    props = schema["properties"]
    assert props["leaf"] == {
        "description": "Optional leaf.",
        "type": "object",
        "properties": {
            "value": {
                "description": "Strictly positive.",
                "type": "integer",
                "minimum": 0,
                "exclusiveMinimum": True,
            }
        },
        "required": ["value"],
    }
    assert props["tags"] == {
        "default": [],
        "type": "array",
        "items": {"type": "string"},
        "x-kubernetes-list-type": "set",
    }
    assert props["extra"] == {
        "default": {},
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
    }
    assert props["pinned"] == {"default": "only", "enum": ["only"], "type": "string"}
    assert props["port"] == {"default": 80, "x-kubernetes-int-or-string": True}
    assert props["names"]["default"] == []
    assert structural_violations(schema) == []


class _Node(BaseModel):
    children: list[_Node] = Field(default_factory=list)


class _Mixed(BaseModel):
    value: int | list[int]


class _Pair(BaseModel):
    pair: tuple[int, str]


class _KeyPattern(BaseModel):
    labels: dict[Annotated[str, Field(pattern="^[a-z]+$")], str]


@pytest.mark.parametrize(
    ("model", "complaint"),
    [
        (_Node, "recursive"),
        (_Mixed, "union"),
        (_Pair, "prefixItems"),
        (_KeyPattern, "patternProperties"),
    ],
)
def test_converter_refuses_what_a_crd_cannot_express(
    model: type[BaseModel], complaint: str
) -> None:
    with pytest.raises(CRDSchemaError, match=complaint):
        to_structural(model_schema(model))


def test_claim_values_become_untyped_nodes_with_a_not_guard() -> None:
    sources = _schema()["properties"]["spec"]["properties"]["sources"]
    claim = sources["items"]["properties"]["claims"]["additionalProperties"]
    assert "type" not in claim
    assert claim["x-kubernetes-preserve-unknown-fields"] is True
    assert claim["not"] == {"minLength": 2**31 - 1, "minItems": 2**31 - 1}
    assert claim["items"]["type"] == "string"


# --- the structural checker -------------------------------------------------------------------

_GOOD_ITEM = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}


@pytest.mark.parametrize(
    ("node", "complaint"),
    [
        ({"$ref": "#/$defs/X"}, "'$ref'"),
        ({"type": "string", "title": "X"}, "'title'"),
        ({"type": "array", "items": {"type": "string"}, "uniqueItems": True}, "uniqueItems"),
        ({"type": "object", "additionalProperties": False}, "additionalProperties: false"),
        ({"description": "untyped"}, "no type"),
        ({"type": "array"}, "without items"),
        ({"type": "string", "default": None}, "default null"),
        ({"x-kubernetes-preserve-unknown-fields": True, "anyOf": [{"type": "string"}]}, "'type'"),
        ({"x-kubernetes-preserve-unknown-fields": True, "not": {"type": "string"}}, "'type'"),
        (
            {
                "type": "array",
                "items": {**_GOOD_ITEM, "required": []},
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["name"],
            },
            "neither required nor defaulted",
        ),
        (
            {"type": "array", "items": _GOOD_ITEM, "x-kubernetes-list-type": "map"},
            "without list-map-keys",
        ),
    ],
)
def test_structural_checker_flags_bad_nodes(node: dict[str, Any], complaint: str) -> None:
    root = {"type": "object", "properties": {"field": node}}
    problems = structural_violations(root)
    assert any(complaint in p and p.startswith("field") for p in problems), problems


def test_cel_bound_checker_flags_unbounded_inputs() -> None:
    root = {
        "type": "object",
        "x-kubernetes-validations": [{"rule": "self.names.all(n, n.size() < 5)", "message": "m"}],
        "properties": {
            "names": {"type": "array", "items": {"type": "string"}},
            "other": {"type": "array", "items": {"type": "string"}},
        },
    }
    assert unbounded_cel_inputs(root) == [
        "names: list without maxItems under a CEL rule",
        "names[*]: string without maxLength under a CEL rule",
    ]


def test_the_spec_model_alone_converts_cleanly() -> None:
    spec = to_structural(model_schema(MCPRegistrySpec))
    assert structural_violations(spec) == []
    assert spec["x-kubernetes-validations"]


def test_checked_in_crd_reference_matches_the_models() -> None:
    from mcp_registry_common.crdgen import render_reference

    path = Path(__file__).resolve().parents[3] / "docs" / "crd-reference.md"
    assert path.read_text(encoding="utf-8") == render_reference(), (
        "docs/crd-reference.md is stale: run `hatch run gen-crd`"
    )


def test_crd_reference_documents_every_spec_field() -> None:
    from mcp_registry_common.crdgen import render_reference
    from mcp_registry_common.mcpregistry import MCPRegistrySpec

    text = render_reference()
    for field in MCPRegistrySpec.model_fields.values():
        assert f"| `{field.alias}` |" in text
