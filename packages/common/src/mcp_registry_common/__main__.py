"""`python -m mcp_registry_common` (console script `mcp-registry-common`): validate, gen-crd."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from mcp_registry_common.validate import DocumentKind, FileReport, expand_paths, validate_file

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the command (exposed for docs and tests)."""
    parser = argparse.ArgumentParser(
        prog="mcp-registry-common",
        description="Tools for MCPRegistry manifests, registry-server configs and registry data.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validate = commands.add_parser(
        "validate",
        help="check MCPRegistry manifests, server configs and registry data files",
        description="Check each FILE (a directory means its *.yaml, *.yml and *.json files). "
        "Multi-document YAML is fine; Kubernetes objects other than MCPRegistry are ignored. "
        "Prints `FILE: path: problem` and `FILE: warning: ...` lines; exits 1 on any problem.",
    )
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE")
    gen_crd = commands.add_parser(
        "gen-crd",
        help="write the MCPRegistry CustomResourceDefinition",
        description="Generate the MCPRegistry CRD YAML from the models.",
    )
    gen_crd.add_argument("--output", "-o", required=True, type=Path, metavar="PATH")
    gen_crd.add_argument(
        "--reference",
        type=Path,
        metavar="PATH",
        help="also write the Markdown field reference generated from the same schema",
    )
    return parser


def run_validate(files: Sequence[Path], *, out: TextIO) -> int:
    """Validate `files`, print one line per problem and warning and a summary; exit code."""
    reports = [validate_file(path) for path in expand_paths(files)]
    for report in reports:
        for problem in report.problems:
            print(f"{report.path}: {problem}", file=out)
        for warning in report.warnings:
            print(f"{report.path}: warning: {warning}", file=out)
    print(summary(reports), file=out)
    return EXIT_PROBLEMS if any(report.problems for report in reports) else EXIT_OK


def summary(reports: Sequence[FileReport]) -> str:
    """One line: verdict, files, documents by kind, ignored documents, warnings."""
    kinds: Counter[DocumentKind] = Counter()
    for report in reports:
        kinds.update(report.checked)
    problems = sum(len(report.problems) for report in reports)
    warnings = sum(len(report.warnings) for report in reports)
    ignored = sum(report.ignored for report in reports)
    checked = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items())) or "nothing"
    verdict = f"FAILED: {_plural(problems, 'problem')}" if problems else "OK"
    return (
        f"{verdict}: {_plural(len(reports), 'file')} checked ({checked}); "
        f"{_plural(ignored, 'other document')} ignored; {_plural(warnings, 'warning')}"
    )


def run_gen_crd(output: Path, *, out: TextIO, reference: Path | None = None) -> int:
    """Write the CRD to `output`, and the field reference to `reference` when given (the
    generator is imported only when asked for)."""
    from mcp_registry_common.crdgen import write_crd, write_reference  # lazy: not for validate

    for path, write in ((output, write_crd), (reference, write_reference)):
        if path is None:
            continue
        try:
            write(path)
        except OSError as exc:
            print(f"gen-crd: cannot write {path}: {exc.strerror or exc}", file=out)
            return EXIT_PROBLEMS
        print(f"wrote {path}", file=out)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (0 fine, 1 problems found, 2 bad usage)."""
    args = build_parser().parse_args(argv)
    if args.command == "validate":
        return run_validate(args.files, out=sys.stdout)
    return run_gen_crd(args.output, out=sys.stdout, reference=args.reference)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


if __name__ == "__main__":
    sys.exit(main())
