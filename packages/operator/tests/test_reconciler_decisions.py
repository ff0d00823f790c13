"""The reconciler's pure decisions: readiness, sync judgement, conditions, status rendering and
diffing, events, drift, recent writes, the sync trigger, references and the reverse index."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest
from mcp_registry_common.mcpregistry import MCPRegistryStatus, parse_mcpregistry
from mcp_registry_operator.reconcile.conditions import ConditionSpec, merge_conditions
from mcp_registry_operator.reconcile.drift import covers, needs_apply, with_digest
from mcp_registry_operator.reconcile.events import status_events
from mcp_registry_operator.reconcile.index import ReferenceIndex
from mcp_registry_operator.reconcile.recent import RecentWrites, WriteRef, caught_up
from mcp_registry_operator.reconcile.references import (
    MissingReferenceError,
    resolve_references,
)
from mcp_registry_operator.reconcile.serverstatus import (
    ServerStatusError,
    parse_report,
)
from mcp_registry_operator.reconcile.status import Change, Observed, merge_diff, render_status
from mcp_registry_operator.reconcile.syncstate import judge_report
from mcp_registry_operator.reconcile.trigger import pending_trigger
from mcp_registry_operator.reconcile.validation import InvalidSpecError, parse_cached
from mcp_registry_operator.reconcile.verdicts import (
    Phase,
    Verdict,
    deployment_state,
    invalid_spec,
)
from mcp_registry_operator.runtime.keys import Key

from .operator_harness import complete, seed, seed_secrets

T1 = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
T2 = datetime(2026, 2, 1, 13, 0, tzinfo=UTC)
READY = Verdict(Phase.READY, "Ready", "serving")
PENDING = Verdict(Phase.PENDING, "NotReady", "waiting")


def dep(*, generation: int = 2, observed: int = 2, **status: int) -> dict[str, Any]:
    return {"metadata": {"generation": generation}, "spec": {},
            "status": {"observedGeneration": observed, **status}}  # fmt: skip


@pytest.mark.parametrize(
    ("deployment", "ready", "detail"),
    [
        (None, False, "does not exist"),
        (dep(observed=1, replicas=1, updatedReplicas=1, readyReplicas=1), False, "not seen"),
        (dep(replicas=2, updatedReplicas=1, readyReplicas=1), False, "rollout in progress"),
        (dep(replicas=1, updatedReplicas=0, readyReplicas=1), False, "rollout in progress"),
        (dep(replicas=1, updatedReplicas=1, readyReplicas=0), False, "0 of 1 pods ready"),
        (dep(replicas=1, updatedReplicas=1, readyReplicas=1), True, "1 of 1 pods ready"),
    ],
    ids=["missing", "unobserved", "old-pod-left", "not-updated", "none-ready", "ready"],
)
def test_deployment_readiness_needs_a_finished_rollout(
    deployment: dict[str, Any] | None, ready: bool, detail: str
) -> None:
    state = deployment_state(deployment)
    assert state.ready is ready
    assert detail in state.detail


def report(*sources: dict[str, Any], ready: bool = True, waiting: list[str] | None = None) -> Any:
    names = [s["name"] for s in sources]
    registry = {"name": "default", "sources": names, "ready": ready,
                "waitingFor": waiting or [], "serverCount": 5}  # fmt: skip
    return parse_report({"sources": list(sources), "registries": [registry]})


def test_all_registries_ready_and_synced_is_ready_and_steady() -> None:
    judged = judge_report(report(complete("a"), complete("b", count=2)))
    assert judged.verdict.phase is Phase.READY
    assert judged.synced == ConditionSpec("True", "Synced", "Every source has synced")
    assert judged.sync_status["phase"] == "Complete"
    assert judged.sync_status["serverCount"] == 5
    assert [s["serverCount"] for s in judged.sync_status["sources"]] == [3, 2]
    assert not judged.busy


def test_a_failed_source_with_data_is_ready_but_not_synced() -> None:
    bad = {**complete("a"), "phase": "Failed", "message": "Fetch failed: boom", "attemptCount": 3}
    judged = judge_report(report(bad, complete("b")))
    assert judged.verdict.phase is Phase.READY
    assert "last good data is still served" in judged.verdict.message
    assert (judged.synced.status, judged.synced.reason) == ("False", "SyncFailed")
    assert judged.sync_status["phase"] == "Failed"
    assert judged.sync_status["attemptCount"] == 3


def test_a_failed_first_sync_fails_and_a_running_one_is_syncing() -> None:
    failed = {"name": "a", "phase": "Failed", "message": "Parse failed: x"}
    judged = judge_report(report(failed, ready=False, waiting=["a"]))
    assert (judged.verdict.phase, judged.verdict.reason) == (Phase.FAILED, "SyncFailed")
    running = {"name": "a", "phase": "Syncing", "message": "Waiting for the first sync"}
    judged = judge_report(report(running, ready=False, waiting=["a"]))
    assert (judged.verdict.phase, judged.synced.reason) == (Phase.SYNCING, "Syncing")
    assert judged.busy


def test_a_re_sync_of_served_data_stays_ready() -> None:
    resync = {**complete("a"), "phase": "Syncing", "message": "Sync in progress (interval)"}
    judged = judge_report(report(resync))
    assert judged.verdict.phase is Phase.READY
    assert judged.synced.status == "True"
    assert judged.sync_status["phase"] == "Syncing"


def test_a_first_sync_being_retried_stays_failed_with_the_stored_error() -> None:
    """The server reports each retry as Syncing with attemptCount + 1 (reset to 0 only on
    success): attemptCount >= 2 means an earlier attempt of the streak failed."""
    error = "Fetch failed: git: path 'x' not found"
    failed = {"name": "a", "phase": "Failed", "message": error, "attemptCount": 1}
    stored = judge_report(report(failed, ready=False, waiting=["a"])).sync_status
    retry = {"name": "a", "phase": "Syncing", "message": "Sync in progress (retry)",
             "attemptCount": 2}  # fmt: skip
    judged = judge_report(report(retry, ready=False, waiting=["a"]), previous=stored)
    assert (judged.verdict.phase, judged.verdict.reason) == (Phase.FAILED, "SyncFailed")
    assert error in judged.verdict.message
    expected = ConditionSpec("False", "SyncFailed", f"sync of source 'a' failed: {error}")
    assert judged.synced == expected
    assert judged.busy
    assert judged.sync_status["sources"][0]["phase"] == "Syncing"  # the mirror stays true
    assert judged.sync_status["sources"][0]["message"] == error  # and keeps the error
    again = judge_report(report(retry, ready=False, waiting=["a"]), previous=judged.sync_status)
    assert again == judged  # looking twice at one retry changes nothing
    unknown = judge_report(report(retry, ready=False, waiting=["a"]))
    assert unknown.verdict.phase is Phase.FAILED
    assert "retrying after a failed attempt" in unknown.verdict.message
    first = {**retry, "attemptCount": 1}  # a first attempt is not a retry
    assert judge_report(report(first, ready=False, waiting=["a"])).verdict.phase is Phase.SYNCING


def test_a_source_with_data_being_retried_stays_not_synced() -> None:
    bad = {**complete("a"), "phase": "Failed", "message": "Fetch failed: boom", "attemptCount": 1}
    stored = judge_report(report(bad)).sync_status
    retry = {**bad, "phase": "Syncing", "message": "Sync in progress (retry)", "attemptCount": 2}
    judged = judge_report(report(retry), previous=stored)
    assert judged.verdict.phase is Phase.READY
    assert judged.synced == judge_report(report(bad)).synced
    periodic = {**complete("a"), "phase": "Syncing", "attemptCount": 1}
    assert judge_report(report(periodic), previous=stored).synced.status == "True"


def test_a_malformed_report_names_the_field() -> None:
    with pytest.raises(ServerStatusError, match=r"sources\.0\.phase"):
        parse_report({"sources": [{"name": "a", "phase": "Done"}], "registries": []})


def test_transition_time_moves_only_when_the_status_flips() -> None:
    first = merge_conditions(None, {"Ready": ConditionSpec("False", "NotReady", "x")},
                             generation=1, now=T1)  # fmt: skip
    same = merge_conditions(first, {"Ready": ConditionSpec("False", "Other", "y")},
                            generation=2, now=T2)  # fmt: skip
    flipped = merge_conditions(same, {"Ready": ConditionSpec("True", "Ready", "z")},
                               generation=2, now=T2)  # fmt: skip
    assert first[0]["lastTransitionTime"] == "2026-02-01T12:00:00Z"
    assert same[0]["lastTransitionTime"] == "2026-02-01T12:00:00Z"
    assert (same[0]["reason"], same[0]["observedGeneration"]) == ("Other", 2)
    assert flipped[0]["lastTransitionTime"] == "2026-02-01T13:00:00Z"


def test_conditions_are_set_kept_or_removed_and_foreign_ones_survive() -> None:
    old = [
        {"type": "example.com/Foreign", "status": "True", "reason": "X", "message": "",
         "lastTransitionTime": "2026-01-01T00:00:00Z"},
        {"type": "PodTemplateValid", "status": "True", "reason": "ValidPodTemplateSpec",
         "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z"},
    ]  # fmt: skip
    merged = merge_conditions(
        old, {"Ready": ConditionSpec("True", "Ready", "ok"), "PodTemplateValid": None},
        generation=3, now=T1,
    )  # fmt: skip
    assert [c["type"] for c in merged] == ["Ready", "example.com/Foreign"]


def observed(verdict: Verdict, **kwargs: Any) -> Observed:
    return Observed(verdict=verdict, generation=4, ready_replicas=1, url="http://u", **kwargs)


def test_rendered_status_validates_and_sets_the_url_only_when_ready() -> None:
    sync = {"phase": "Complete", "serverCount": 3}
    ready = render_status(observed(READY, sync_status=sync, sync_trigger="t1"), old=None, now=T1)
    MCPRegistryStatus.model_validate(ready)
    assert (ready["url"], ready["observedGeneration"]) == ("http://u", 4)
    pending = render_status(observed(PENDING), old=ready, now=T2)
    MCPRegistryStatus.model_validate(pending)
    assert "url" not in pending
    assert pending["syncStatus"] == sync  # kept while the pods roll
    assert pending["lastManualSyncTrigger"] == "t1"
    assert merge_diff(ready, pending)["url"] is None


def test_an_unchanged_observation_renders_an_empty_patch() -> None:
    template = ConditionSpec("True", "ValidPodTemplateSpec", "PodTemplateSpec is valid")
    first = render_status(observed(READY, pod_template=template), old=None, now=T1)
    again = render_status(observed(READY, pod_template=template), old=first, now=T2)
    assert merge_diff(first, again) == {}
    removed = render_status(observed(READY, pod_template=Change.REMOVE), old=first, now=T2)
    assert [c["type"] for c in removed["conditions"]] == ["Ready"]


def test_merge_diff_nulls_removed_keys_at_every_depth() -> None:
    old = {"a": 1, "b": {"c": 1, "d": 2}, "e": [1]}
    new = {"a": 1, "b": {"c": 2}, "e": [1, 2]}
    assert merge_diff(old, new) == {"b": {"c": 2, "d": None}, "e": [1, 2]}


def status_of(phase: str, **conditions: str) -> dict[str, Any]:
    conds = [{"type": "Ready", "status": "True" if phase == "Ready" else "False",
              "reason": phase, "message": ""}]  # fmt: skip
    conds += [{"type": t, "status": s, "reason": f"{t}{s}", "message": "m"}
              for t, s in conditions.items()]  # fmt: skip
    return {"phase": phase, "message": f"now {phase}", "conditions": conds}


def stuck(phase: str, reason: str, message: str) -> dict[str, Any]:
    """A status whose Ready condition says why the registry waits (the message names what)."""
    ready = {"type": "Ready", "status": "False", "reason": reason, "message": message}
    return {"phase": phase, "message": message, "conditions": [ready]}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (None, status_of("Pending"), []),
        (None, status_of("Failed"), [("Failed", "Warning")]),
        (status_of("Pending"), status_of("Ready", Synced="True"), [("Ready", "Normal")]),
        (status_of("Ready", Synced="True"), status_of("Ready", Synced="True"), []),
        (status_of("Ready", Synced="True"), status_of("Ready", Synced="False"),
         [("SyncedFalse", "Warning")]),
        (status_of("Ready"), status_of("Ready", Synced="Unknown"), [("SyncedUnknown", "Warning")]),
        (status_of("Ready", PodTemplateValid="False"), status_of("Ready", PodTemplateValid="True"),
         [("PodTemplateValidTrue", "Normal")]),
        ({**status_of("Ready")}, {**status_of("Terminating")}, [("Terminating", "Normal")]),
        (None, stuck("Pending", "ReferenceNotFound", "ConfigMap 'a'"),
         [("ReferenceNotFound", "Warning")]),
        (stuck("Pending", "ReferenceNotFound", "ConfigMap 'a'"),
         stuck("Pending", "ReferenceNotFound", "ConfigMap 'a'"), []),
        (stuck("Pending", "ReferenceNotFound", "ConfigMap 'a'"),
         stuck("Pending", "ReferenceNotFound", "Secret 'b'"), [("ReferenceNotFound", "Warning")]),
        (status_of("Ready"), stuck("Pending", "ReferenceNotFound", "Secret 'b'"),
         [("ReferenceNotFound", "Warning")]),
        (stuck("Failed", "ValidationFailed", "Spec validation failed: x"),
         stuck("Failed", "ValidationFailed", "Invalid PodTemplateSpec: y"),
         [("ValidationFailed", "Warning")]),
    ],
    ids=["created", "created-invalid", "ready", "steady", "sync-failed", "status-unknown",
         "template-fixed", "terminating", "created-missing-reference", "still-missing",
         "another-missing", "reference-deleted", "another-invalid"],
)  # fmt: skip
def test_events_follow_changes(
    old: dict[str, Any] | None, new: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert [(e.reason, e.event_type) for e in status_events(old, new)] == expected


def test_drift_ignores_server_defaults_but_sees_edits_and_intent_changes() -> None:
    intent = with_digest({"kind": "Service", "metadata": {"name": "s"},
                          "spec": {"ports": [{"port": 80}], "type": "ClusterIP"}})  # fmt: skip
    stored = {**intent, "spec": {"ports": [{"port": 80, "protocol": "TCP"}], "type": "ClusterIP",
                                 "clusterIP": "10.0.0.1"}}  # fmt: skip
    assert not needs_apply(intent, stored)
    assert needs_apply(intent, None)
    assert needs_apply(intent, {**stored, "spec": {**stored["spec"], "type": "NodePort"}})
    changed = with_digest({"kind": "Service", "metadata": {"name": "s"},
                           "spec": {"ports": [{"port": 80}]}})  # fmt: skip
    assert needs_apply(changed, stored)  # a field we stopped setting must be removed


@pytest.mark.parametrize(
    ("actual", "wanted", "result"),
    [([1, 2], [1, 2], True), ([1, 2], [1], False), ({"a": True}, {"a": 1}, False),
     (1.0, 1, True), ({"a": {"b": 1, "c": 2}}, {"a": {"b": 1}}, True)],
)  # fmt: skip
def test_covers(actual: Any, wanted: Any, result: bool) -> None:
    assert covers(actual, wanted) is result


def test_recent_writes_stand_in_until_the_cache_catches_up_or_expire() -> None:
    now = [0.0]
    writes = RecentWrites(ttl=10.0, clock=lambda: now[0])
    ref = WriteRef("ConfigMap", "ns", "a")
    writes.record(ref, "digest", "15")
    assert writes.lookup(ref, {"metadata": {"resourceVersion": "14"}}) == "digest"
    assert writes.lookup(ref, None) == "digest"
    assert writes.lookup(ref, {"metadata": {"resourceVersion": "15"}}) is None
    writes.record(ref, "digest", "20")
    now[0] = 11.0
    assert writes.lookup(ref, None) is None
    writes.record(ref, "digest", "30")
    writes.forget("ConfigMap", "ns", "a")
    assert len(writes) == 0
    assert caught_up("abc", "abc")
    assert not caught_up("abd", "abc")


@pytest.mark.parametrize(
    ("annotations", "last", "expected"),
    [({}, None, None), ({"toolhive.stacklok.dev/sync-trigger": ""}, None, None),
     ({"toolhive.stacklok.dev/sync-trigger": "1"}, None, "1"),
     ({"toolhive.stacklok.dev/sync-trigger": "1"}, "1", None),
     ({"toolhive.stacklok.dev/sync-trigger": "2"}, "1", "2")],
)  # fmt: skip
def test_pending_trigger(
    annotations: dict[str, str], last: str | None, expected: str | None
) -> None:
    assert pending_trigger(annotations, last) == expected


def lookup_in(objects: list[dict[str, Any]]) -> Any:
    by = {(o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]): o for o in objects}
    return lambda kind, ns, name: by.get((kind, ns, name))


def test_references_digest_the_data_and_read_the_passwords() -> None:
    registry = parse_mcpregistry({**seed("08-database"), "status": None})
    secrets = seed_secrets("08-database")
    resolved = resolve_references(registry, lookup_in(secrets))
    assert resolved.passwords is not None
    assert resolved.passwords.app == "app_password"
    assert "app_password" not in repr(resolved.passwords)
    secrets[0]["data"]["db-password"] = base64.b64encode(b"rotated").decode()
    assert resolve_references(registry, lookup_in(secrets)).digest != resolved.digest
    del secrets[0]["data"]["migration-password"]
    with pytest.raises(MissingReferenceError, match="no key 'migration-password'"):
        resolve_references(registry, lookup_in(secrets))
    with pytest.raises(MissingReferenceError, match=r"'registry-api-db-passwords'.*does not exist"):
        resolve_references(registry, lookup_in([]))


def test_the_reverse_index_follows_spec_changes_and_deletions() -> None:
    index = ReferenceIndex()
    key = Key("default/reg")
    obj = {**seed("03-private-git"), "metadata": {"name": "reg", "namespace": "default",
                                                  "generation": 1, "uid": "u"}}  # fmt: skip
    index.update(key, obj)
    assert index.registries("Secret", "default", "git-credentials") == [key]
    other = {**obj, "spec": seed("01-minimal")["spec"],
             "metadata": {**obj["metadata"], "generation": 2}}  # fmt: skip
    index.update(key, other)
    assert index.registries("Secret", "default", "git-credentials") == []
    index.update(key, obj | {"metadata": {**obj["metadata"], "generation": 3}})
    mapper = index.mapper("Secret", owners=lambda o: [])
    secret = {"metadata": {"name": "git-credentials", "namespace": "default"}}
    assert list(mapper(secret)) == [key]
    index.update(key, None)
    assert list(mapper(secret)) == []


def test_validation_names_every_bad_field_and_the_verdict_says_so() -> None:
    doc = seed("01-minimal")
    doc["spec"]["sources"][0]["syncPolicy"]["interval"] = "soon"
    doc["spec"]["registries"][0]["sources"] = ["nope"]
    with pytest.raises(InvalidSpecError) as caught:
        parse_cached(doc)
    assert any("spec.sources[0].syncPolicy.interval" in p for p in caught.value.problems)
    verdict = invalid_spec(str(caught.value))
    assert (verdict.phase, verdict.reason) == (Phase.FAILED, "ValidationFailed")
    assert verdict.message.startswith("Spec validation failed: spec.")
