"""Check files by what they hold (MCPRegistry manifests, server configs, registry data) and
report each problem and warning with the key path it concerns."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from mcp_registry_common.config.loading import (
    ConfigError,
    load_server_config_data,
    yaml_error_text,
)
from mcp_registry_common.errorpaths import validation_problems
from mcp_registry_common.formats import RegistryFormatError, parse_registry
from mcp_registry_common.formats.errors import ROOT
from mcp_registry_common.mcpregistry import parse_mcpregistry

DocumentKind = Literal["MCPRegistry", "server config", "registry data"]
SUFFIXES = (".yaml", ".yml", ".json")
REGISTRY_KEYS = ("data", "servers", "remote_servers")
UNRECOGNISED = (
    "not an MCPRegistry manifest, a server config (top-level sources/registries) "
    "or registry data (top-level data, or servers/remote_servers)"
)
_PATHED = re.compile(r"(\S+?): (.*)", re.DOTALL)


@dataclass
class FileReport:
    """What validating one file found. Problems and warnings read `path: message`."""

    path: Path
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checked: Counter[DocumentKind] = field(default_factory=Counter)
    ignored: int = 0


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; a directory stands for its *.yaml, *.yml and *.json files, sorted."""
    out: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            out.extend(sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file()))
        else:
            out.append(path)
    return out


def classify(doc: object) -> DocumentKind | None:
    """The kind of a decoded document, or None for another Kubernetes object (a Secret, say),
    which is ignored. Raises ValueError for a document that is none of these."""
    if not isinstance(doc, Mapping):
        raise ValueError(UNRECOGNISED)
    if doc.get("kind") == "MCPRegistry":
        return "MCPRegistry"
    if "kind" in doc and "apiVersion" in doc:
        return None
    if "sources" in doc or "registries" in doc:
        return "server config"
    if any(key in doc for key in REGISTRY_KEYS):
        return "registry data"
    raise ValueError(UNRECOGNISED)


def validate_file(path: str | Path) -> FileReport:
    """Read, decode and check every document in `path`. In a file with several documents
    that matter, paths start with `documents[i]`."""
    path = Path(path)
    report = FileReport(path=path)
    try:
        raw = path.read_bytes()
        docs = decode_documents(raw, json_file=path.suffix == ".json")
    except OSError as exc:
        report.problems.append(f"cannot read: {exc.strerror or exc}")
        return report
    except ValueError as exc:
        report.problems.append(str(exc))
        return report
    if not docs:
        report.problems.append("the file holds no document")
        return report
    results: list[tuple[int, list[str], list[str]]] = []
    for index, doc in enumerate(docs):
        try:
            kind = classify(doc)
        except ValueError as exc:
            results.append((index, [str(exc)], []))
            continue
        if kind is None:
            report.ignored += 1
            continue
        report.checked[kind] += 1
        raw_json = raw if path.suffix == ".json" else None
        results.append((index, *check_document(kind, doc, raw_json=raw_json)))
    several = len(results) > 1
    for index, problems, warnings in results:
        prefix = f"documents[{index}]" if several else ""
        report.problems.extend(_prefixed(prefix, line) for line in problems)
        report.warnings.extend(_prefixed(prefix, line) for line in warnings)
    return report


def check_document(
    kind: DocumentKind, doc: Any, *, raw_json: bytes | None = None
) -> tuple[list[str], list[str]]:
    """(problems, warnings) of one decoded document of a known kind. `raw_json` holds the
    bytes of a JSON registry file, checked as they are rather than re-encoded."""
    if kind == "MCPRegistry":
        try:
            parse_mcpregistry(doc)
        except ValidationError as exc:
            return validation_problems(exc), []
        return [], []
    if kind == "server config":
        try:
            return [], load_server_config_data(doc).warnings
        except ConfigError as exc:
            return exc.problems, exc.warnings
    try:
        parse_registry(raw_json if raw_json is not None else json.dumps(doc).encode())
    except RegistryFormatError as exc:
        return [exc.problem if exc.path == ROOT else f"{exc.path}: {exc.problem}"], []
    return [], []


def decode_documents(raw: bytes, *, json_file: bool) -> list[object]:
    """The non-empty documents of a JSON file or of a (multi-document) YAML file; ValueError
    naming line and column when the text does not parse."""
    if json_file:
        try:
            return [json.loads(raw)]
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"invalid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from None
        except UnicodeDecodeError as exc:
            raise ValueError(f"invalid JSON: not valid UTF-8 at byte {exc.start}") from None
    try:
        return [doc for doc in yaml.safe_load_all(raw) if doc is not None]
    except yaml.YAMLError as exc:
        raise ValueError(f"invalid YAML: {yaml_error_text(exc)}") from None


def _prefixed(prefix: str, line: str) -> str:
    """Put `documents[i]` in front of a `path: message` line (or a bare message)."""
    if not prefix:
        return line
    match = _PATHED.fullmatch(line)
    if match is None:
        return f"{prefix}: {line}"
    path, message = match.groups()
    joiner = "" if path.startswith("[") else "."
    return f"{prefix}{joiner}{path}: {message}"
