"""The offline admission simulator behaves like the API server on the points tests rely on."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from mcp_registry_common.crdgen import build_crd
from mcp_registry_testing.crd_admission import AdmissionError, admit, unknown_fields

CRD = build_crd()

BASE: dict[str, Any] = {
    "apiVersion": "toolhive.stacklok.dev/v1alpha1",
    "kind": "MCPRegistry",
    "metadata": {"name": "r", "namespace": "ns", "labels": {"a": "b"}, "managedFields": []},
    "spec": {
        "sources": [{"name": "s", "api": {"endpoint": "https://r.example.com"}}],
        "registries": [{"name": "default", "sources": ["s"]}],
    },
}


def _with_spec(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    doc["spec"].update(changes)
    return doc


def _mini_crd(field: dict[str, Any]) -> dict[str, Any]:
    """A one-field CRD for semantics the MCPRegistry schema does not exercise."""
    return {
        "spec": {
            "group": "example.com",
            "names": {"kind": "Thing"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {"spec": {"type": "object", "properties": {"f": field}}},
                        }
                    },
                }
            ],
        }
    }


def _thing(value: Any) -> dict[str, Any]:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Thing",
        "metadata": {"name": "t"},
        "spec": {"f": value},
    }


def test_input_is_not_mutated_and_metadata_is_kept_verbatim() -> None:
    doc = _with_spec(unknown=1)
    before = copy.deepcopy(doc)
    stored = admit(CRD, doc, field_validation="Ignore")
    assert doc == before
    assert stored["metadata"] == BASE["metadata"]


def test_strict_rejects_unknown_fields_with_400_and_other_modes_prune() -> None:
    doc = _with_spec(unknown=1)
    doc["spec"]["sources"][0]["api"]["typo"] = True
    with pytest.raises(AdmissionError) as info:
        admit(CRD, doc)
    assert info.value.code == 400
    assert info.value.to_status()["reason"] == "BadRequest"
    assert unknown_fields(CRD, doc) == ["spec.sources[0].api.typo", "spec.unknown"]
    for mode in ("Warn", "Ignore"):
        stored = admit(CRD, doc, field_validation=mode)  # type: ignore[arg-type]
        assert "unknown" not in stored["spec"]
        assert stored["spec"]["sources"][0]["api"] == {"endpoint": "https://r.example.com"}


def test_preserve_unknown_subtrees_keep_unknown_keys_but_check_declared_ones() -> None:
    pod = {
        "metadata": {"labels": {"x": "y"}},
        "spec": {"nodeSelector": {"k": "v"}, "containers": [{"name": "c", "image": "i"}]},
    }
    assert admit(CRD, _with_spec(podTemplateSpec=pod))["spec"]["podTemplateSpec"] == pod
    pod["spec"]["containers"][0]["name"] = 5
    with pytest.raises(AdmissionError) as info:
        admit(CRD, _with_spec(podTemplateSpec=pod))
    assert info.value.causes[0][0] == "spec.podTemplateSpec.spec.containers[0].name"


@pytest.mark.parametrize("value", ["acme", "", ["a", "b"], []])
def test_claim_values_accept_strings_and_string_lists(value: Any) -> None:
    doc = _with_spec()
    doc["spec"]["sources"][0]["claims"] = {"org": value}
    assert admit(CRD, doc)["spec"]["sources"][0]["claims"] == {"org": value}


@pytest.mark.parametrize("value", [1, 1.5, True, {"a": "b"}, ["a", 1], [["a"]], [None]])
def test_claim_values_reject_everything_else(value: Any) -> None:
    doc = _with_spec()
    doc["spec"]["sources"][0]["claims"] = {"org": value}
    with pytest.raises(AdmissionError) as info:
        admit(CRD, doc)
    assert info.value.causes[0][0].startswith("spec.sources[0].claims.org")


def test_type_errors_block_cel_like_the_api_server() -> None:
    doc = _with_spec(registries=[{"name": "default", "sources": ["missing"]}], displayName=5)
    with pytest.raises(AdmissionError) as info:
        admit(CRD, doc)
    fields = [f for f, _ in info.value.causes]
    assert "spec.displayName" in fields
    assert "spec.registries" not in fields
    assert "some validation rules were not checked" in str(info.value)


def test_invalid_status_body_names_kind_object_and_causes() -> None:
    doc = _with_spec(registries=[{"name": "default", "sources": ["missing"]}])
    with pytest.raises(AdmissionError) as info:
        admit(CRD, doc)
    status = info.value.to_status()
    assert (status["code"], status["reason"]) == (422, "Invalid")
    assert status["message"].startswith('MCPRegistry "r" is invalid: [spec.registries: ')
    assert status["details"]["causes"][0]["field"] == "spec.registries"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "Other"}, "kind"),
        ({"apiVersion": "toolhive.stacklok.dev/v9"}, "apiVersion"),
        ({"metadata": {"namespace": "ns"}}, "metadata.name"),
    ],
)
def test_identity_and_name_are_checked(change: dict[str, Any], field: str) -> None:
    with pytest.raises(AdmissionError) as info:
        admit(CRD, {**BASE, **change})
    assert info.value.causes[0][0] == field


def test_old_self_rules_run_on_update_only() -> None:
    crd = _mini_crd(
        {
            "type": "string",
            "maxLength": 10,
            "x-kubernetes-validations": [{"rule": "self == oldSelf", "message": "f is immutable"}],
        }
    )
    admit(crd, _thing("a"))
    admit(crd, _thing("a"), old=_thing("a"))
    with pytest.raises(AdmissionError, match=r'spec\.f: Invalid value: "string": f is immutable'):
        admit(crd, _thing("b"), old=_thing("a"))


def test_old_self_correlates_list_map_items_by_key() -> None:
    item = {
        "type": "object",
        "required": ["k"],
        "properties": {
            "k": {"type": "string"},
            "v": {
                "type": "string",
                "x-kubernetes-validations": [
                    {"rule": "self == oldSelf", "message": "v is immutable"}
                ],
            },
        },
    }
    crd = _mini_crd(
        {
            "type": "array",
            "items": item,
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["k"],
        }
    )
    old = _thing([{"k": "a", "v": "1"}, {"k": "b", "v": "2"}])
    admit(crd, _thing([{"k": "b", "v": "2"}, {"k": "a", "v": "1"}, {"k": "c", "v": "3"}]), old=old)
    with pytest.raises(AdmissionError) as info:
        admit(crd, _thing([{"k": "b", "v": "9"}]), old=old)
    assert info.value.causes == [("spec.f[0].v", 'Invalid value: "string": v is immutable')]


def test_message_expression_reason_and_field_path() -> None:
    crd = _mini_crd(
        {
            "type": "object",
            "properties": {"n": {"type": "integer"}},
            "x-kubernetes-validations": [
                {
                    "rule": "self.n < 3",
                    "messageExpression": "'n is ' + string(self.n)",
                    "reason": "FieldValueForbidden",
                    "fieldPath": ".n",
                }
            ],
        }
    )
    with pytest.raises(AdmissionError) as info:
        admit(crd, _thing({"n": 5}))
    assert info.value.causes == [("spec.f.n", "Forbidden: n is 5")]


def test_list_type_set_rejects_duplicates() -> None:
    crd = _mini_crd({"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"})
    with pytest.raises(AdmissionError) as info:
        admit(crd, _thing(["a", "b", "a"]))
    assert info.value.causes == [("spec.f[2]", 'Duplicate value: "a"')]
