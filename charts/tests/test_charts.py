"""Chart checks without a cluster: render with several value sets (Helm's own engine through
helm-python-sdk), validate every rendered object against the official Kubernetes schemas, and
keep the CRD chart byte-identical to crds/."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import helm_python as helm
import jsonschema
import kubernetes_validate
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHARTS = REPO / "charts"
OPERATOR = CHARTS / "mcp-registry-operator"
CRDS_CHART = CHARTS / "mcp-registry-crds"
CRD_FILE = "toolhive.stacklok.dev_mcpregistries.yaml"
K8S_VERSION = "1.33"


def render(chart: Path, values: dict[str, Any]) -> list[dict[str, Any]]:
    with helm.Chart.load(chart) as loaded:
        out = loaded.render(values=values, name="mcpreg", namespace="mcp-system")
    docs: list[dict[str, Any]] = []
    for template, text in sorted(out.items()):
        if template.endswith(".yaml"):
            docs.extend(d for d in yaml.safe_load_all(text) if d)
    return docs


def ci_values(chart: Path) -> list[tuple[str, dict[str, Any]]]:
    return [
        (p.name, yaml.safe_load(p.read_text()) or {}) for p in sorted((chart / "ci").glob("*.yaml"))
    ]


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


@pytest.mark.parametrize("chart", [OPERATOR, CRDS_CHART], ids=lambda p: p.name)
def test_lint_has_no_errors(chart: Path) -> None:
    result = helm.lint(chart)
    assert result["errors"] == []
    assert [m for m in result["messages"] if m["severity"] > 1] == []


@pytest.mark.parametrize("chart", [OPERATOR, CRDS_CHART], ids=lambda p: p.name)
def test_values_files_match_the_values_schema(chart: Path) -> None:
    schema = json.loads((chart / "values.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    for path in [chart / "values.yaml", *sorted((chart / "ci").glob("*.yaml"))]:
        jsonschema.validate(yaml.safe_load(path.read_text()) or {}, schema)


@pytest.mark.parametrize(("name", "values"), ci_values(OPERATOR))
def test_operator_renders_valid_kubernetes_objects(name: str, values: dict[str, Any]) -> None:
    docs = render(OPERATOR, values)
    assert {d["kind"] for d in docs} >= {"Deployment", "ServiceAccount", "ClusterRole"}
    for doc in docs:
        if doc["apiVersion"] == "monitoring.coreos.com/v1":
            continue  # not a Kubernetes kind: checked against its Service below
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_default_values_watch_every_namespace_with_leader_election() -> None:
    docs = render(OPERATOR, {})
    (deployment,) = by_kind(docs, "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    assert "WATCH_NAMESPACE" not in env
    assert (
        env["MCP_REGISTRY_SERVER_IMAGE"]["value"]
        == "ghcr.io/mcp-registry/mcp-registry-server:0.1.0"
    )
    assert "--leader-elect" in container["args"]
    assert len(by_kind(docs, "ClusterRoleBinding")) == 1
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == 65532


def test_namespace_scope_binds_only_the_allowed_namespaces() -> None:
    docs = render(
        OPERATOR, {"rbac": {"scope": "namespace", "allowedNamespaces": ["team-a", "team-b"]}}
    )
    assert by_kind(docs, "ClusterRoleBinding") == []
    bindings = {
        d["metadata"]["namespace"]
        for d in by_kind(docs, "RoleBinding")
        if d["roleRef"]["kind"] == "ClusterRole"
    }
    assert bindings == {"team-a", "team-b"}
    (deployment,) = by_kind(docs, "Deployment")
    env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["WATCH_NAMESPACE"]["value"] == "team-a,team-b"


def test_custom_image_and_resources_are_rendered() -> None:
    values = dict(ci_values(OPERATOR))["custom-image-values.yaml"]
    (deployment,) = by_kind(render(OPERATOR, values), "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"] == "registry.example.com/platform/mcp-registry-operator:1.2.3"
    assert container["imagePullPolicy"] == "Always"
    assert container["resources"] == values["resources"]
    assert pod["imagePullSecrets"] == [{"name": "regcred"}]
    env = {e["name"]: e for e in container["env"]}
    assert env["MCP_REGISTRY_SERVER_IMAGE"]["value"] == (
        "registry.example.com/platform/mcp-registry-server:1.2.3"
    )


def test_namespace_scope_without_namespaces_fails_the_render() -> None:
    with pytest.raises(helm.HelmRenderError, match="allowedNamespaces"):
        render(OPERATOR, {"rbac": {"scope": "namespace"}})


def test_wrong_scope_is_rejected_by_the_values_schema() -> None:
    with pytest.raises(helm.HelmValuesError, match="scope"):
        render(OPERATOR, {"rbac": {"scope": "everywhere"}})


def test_crd_chart_file_is_byte_identical_to_crds_dir() -> None:
    assert (CRDS_CHART / "files" / "crds" / CRD_FILE).read_bytes() == (
        REPO / "crds" / CRD_FILE
    ).read_bytes()


@pytest.mark.parametrize("keep", [True, False])
def test_crd_chart_renders_the_generated_crd(keep: bool) -> None:
    (crd,) = render(CRDS_CHART, {"crds": {"install": True, "keep": keep}})
    source = yaml.safe_load((REPO / "crds" / CRD_FILE).read_text())
    assert crd["spec"] == source["spec"]
    assert crd["metadata"]["name"] == source["metadata"]["name"]
    annotations = crd["metadata"].get("annotations", {})
    assert (annotations.get("helm.sh/resource-policy") == "keep") is keep
    kubernetes_validate.validate(crd, K8S_VERSION, strict=True)


def test_crd_chart_can_be_turned_off() -> None:
    assert render(CRDS_CHART, {"crds": {"install": False}}) == []


def granted(rules: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {
        (group, resource, verb)
        for rule in rules
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


@pytest.mark.parametrize(("name", "values"), ci_values(OPERATOR))
def test_operator_holds_every_verb_it_grants_to_servers(name: str, values: dict[str, Any]) -> None:
    """RBAC escalation prevention rejects a Role granting more than its creator holds
    (ToolHive #5339): the chart's ClusterRole must cover the server Role the operator builds."""
    from mcp_registry_operator.resources.rbac import SERVER_ROLE_RULES

    (cluster_role,) = by_kind(render(OPERATOR, values), "ClusterRole")
    missing = granted(SERVER_ROLE_RULES) - granted(cluster_role["rules"])
    assert missing == set()


@pytest.mark.parametrize(("name", "values"), ci_values(OPERATOR))
def test_operator_may_list_but_never_change_pods(name: str, values: dict[str, Any]) -> None:
    """The operator lists a registry's pods to ask one on its IP for its sync status (the
    internal port is on no Service); it never gets or watches one."""
    (cluster_role,) = by_kind(render(OPERATOR, values), "ClusterRole")
    pods = {verb for group, resource, verb in granted(cluster_role["rules"]) if resource == "pods"}
    assert pods == {"list"}


@pytest.mark.parametrize(("name", "values"), ci_values(OPERATOR))
def test_operator_may_create_read_and_replace_the_internal_token_secret(
    name: str, values: dict[str, Any]
) -> None:
    """Secret `<n>-internal-token`: created once (create), read back after a 409 (get),
    replaced when unusable (update), and seen through the cache (list, watch)."""
    (cluster_role,) = by_kind(render(OPERATOR, values), "ClusterRole")
    secrets = {v for group, resource, v in granted(cluster_role["rules"]) if resource == "secrets"}
    assert {"create", "get", "update", "list", "watch"} <= secrets


ALL_OPTIONS = "all-options-values.yaml"


def operator_container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    (deployment,) = by_kind(docs, "Deployment")
    return dict(deployment["spec"]["template"]["spec"]["containers"][0])


def test_every_new_option_reaches_the_rendered_objects() -> None:
    values = dict(ci_values(OPERATOR))[ALL_OPTIONS]
    docs = render(OPERATOR, values)
    (deployment,) = by_kind(docs, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    container = operator_container(docs)
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["MCP_REGISTRY_DEFAULT_PULL_SECRETS"] == "regcred,mirror-cred"
    args = container["args"]
    assert {"--workers=16", "--poll-interval=2.5", "--steady-interval=120"} <= set(args)
    assert args[-1] == "--lease-name=custom-lease"  # extra args come last
    assert "--health-address=:9090" in args
    assert container["ports"] == [{"name": "metrics", "containerPort": 9090, "protocol": "TCP"}]
    assert container["livenessProbe"] == {
        "httpGet": {"path": "/healthz", "port": "metrics"},
        "initialDelaySeconds": 30,
        "periodSeconds": 15,
        "timeoutSeconds": 3,
        "failureThreshold": 5,
    }
    assert "readinessProbe" not in container
    assert container["volumeMounts"] == values["extraVolumeMounts"]
    assert pod["volumes"] == values["extraVolumes"]
    assert pod["automountServiceAccountToken"] is False
    (account,) = by_kind(docs, "ServiceAccount")
    assert account["metadata"]["labels"]["team"] == "platform"
    assert account["automountServiceAccountToken"] is False
    (service,) = by_kind(docs, "Service")
    assert service["spec"]["ports"] == [
        {"name": "metrics", "port": 9090, "targetPort": "metrics", "protocol": "TCP"}
    ]
    assert service["spec"]["selector"].items() <= pod_labels(deployment).items()
    (monitor,) = by_kind(docs, "ServiceMonitor")
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["mcp-system"]}
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint == {
        "port": "metrics",
        "path": "/metrics",
        "interval": "15s",
        "scrapeTimeout": "5s",
    }
    # The python the operator runs accepts exactly these arguments.
    from mcp_registry_operator.cli import build_parser, settings_from

    parsed = build_parser().parse_args(args)
    settings = settings_from(
        parsed,
        {"MCP_REGISTRY_DEFAULT_PULL_SECRETS": env["MCP_REGISTRY_DEFAULT_PULL_SECRETS"] or ""},
    )
    assert settings.controller.workers == 16
    assert settings.reconciler.default_pull_secrets == ("regcred", "mirror-cred")
    assert settings.health_port == 9090


def pod_labels(deployment: dict[str, Any]) -> dict[str, str]:
    return dict(deployment["spec"]["template"]["metadata"]["labels"])


def test_defaults_make_no_metrics_service_and_keep_the_token_mounted() -> None:
    docs = render(OPERATOR, {})
    assert by_kind(docs, "Service") == []
    assert by_kind(docs, "ServiceMonitor") == []
    container = operator_container(docs)
    assert "MCP_REGISTRY_DEFAULT_PULL_SECRETS" not in {e["name"] for e in container["env"]}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
    (deployment,) = by_kind(docs, "Deployment")
    assert deployment["spec"]["template"]["spec"]["automountServiceAccountToken"] is True


def test_a_bad_option_is_rejected_by_the_values_schema() -> None:
    with pytest.raises(helm.HelmValuesError, match="workers"):
        render(OPERATOR, {"operator": {"workers": 0}})
    with pytest.raises(helm.HelmValuesError, match="interval"):
        render(OPERATOR, {"metrics": {"serviceMonitor": {"enabled": True, "interval": "soon"}}})


def test_the_chart_readme_is_generated_from_the_values_schema() -> None:
    """`hatch run gen-chart-readme` writes it; every key the schema allows has a row."""
    generator = runpy.run_path(str(CHARTS / "gen_readme.py"))
    text = (OPERATOR / "README.md").read_text()
    assert text == generator["render_readme"](OPERATOR), "run: hatch run gen-chart-readme"
    for key in (
        "serverDefaults.imagePullSecrets",
        "operator.extraArgs",
        "metrics.serviceMonitor.enabled",
        "serviceAccount.automountServiceAccountToken",
        "extraVolumeMounts",
        "livenessProbe.periodSeconds",
    ):
        assert f"| `{key}` |" in text
