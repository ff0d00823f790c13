"""Every invalid manifest in data/mcpregistry_invalid.yaml is rejected by the model and by the
generated CRD (schema + CEL), and both errors name the offending field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from mcp_registry_common.crdgen import build_crd
from mcp_registry_common.mcpregistry import parse_mcpregistry
from mcp_registry_testing.crd_admission import AdmissionError, admit
from mcp_registry_testing.manifests import names_field, patched, pydantic_causes
from pydantic import ValidationError

REPO = Path(__file__).resolve().parents[3]
SEEDS = REPO / "examples"
TABLE = yaml.safe_load((Path(__file__).parent / "data" / "mcpregistry_invalid.yaml").read_text())
CASES: list[dict[str, Any]] = TABLE["cases"]
CRD = build_crd()


def _registry_doc(name: str) -> dict[str, Any]:
    if name in TABLE["bases"]:
        doc: dict[str, Any] = TABLE["bases"][name]
        return doc
    docs = yaml.safe_load_all((SEEDS / name).read_text())
    return next(d for d in docs if d["kind"] == "MCPRegistry")


def _case_doc(case: dict[str, Any]) -> dict[str, Any]:
    return patched(_registry_doc(case["base"]), case)


def test_the_table_is_large_and_has_one_named_field_per_case() -> None:
    assert len(CASES) >= 45
    assert len({c["name"] for c in CASES}) == len(CASES)
    assert all(c["field"] and c["base"] for c in CASES)


@pytest.mark.parametrize("base", sorted(TABLE["bases"]))
def test_the_extra_bases_are_valid(base: str) -> None:
    doc = _registry_doc(base)
    parse_mcpregistry(doc)
    admit(CRD, doc)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_model_rejects_and_names_the_field(case: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as info:
        parse_mcpregistry(_case_doc(case))
    causes = pydantic_causes(info.value)
    assert names_field(causes, case["field"]), f"{case['field']} not named in {causes}"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_crd_rejects_and_names_the_field(case: dict[str, Any]) -> None:
    with pytest.raises(AdmissionError) as info:
        admit(CRD, _case_doc(case))
    causes = info.value.causes
    assert names_field(causes, case["field"]), f"{case['field']} not named in {causes}"
    assert case["field"].split("[")[0].split(".")[-1] in str(info.value)
