"""The fenced blocks of the project's Markdown, and what the doc tests do with each.

A block's disposition is an HTML comment on the line right before its fence (blank lines
between are allowed), read by the tests and invisible on a rendered page:

- no comment: a command block (`sh`, `bash`, `shell`, `console`) is run as written, in order,
  in a scratch directory that sees the repository (`e2e/test_doc_blocks.py`);
- `<!-- doc-test: file NAME -->`: the block's text is written to NAME first (a config file
  the next commands read);
- `<!-- doc-test: background READY_URL -->`: a command that serves until stopped: started,
  then READY_URL must answer 200 before the next block runs; stopped (SIGTERM, exit 0) at the
  end of the file;
- `<!-- doc-test: covered-by PATH::NAME (reason) -->`: another test runs or checks it (the
  test reads PATH and requires `def NAME`);
- `<!-- doc-test: manual (reason) -->`: not run anywhere, for the reason given.

Every command block must be run or carry one of the last two: none is left untested silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

COMMAND_LANGUAGES = frozenset({"sh", "bash", "shell", "console"})
_FENCE = re.compile(r"^(```+)\s*([\w+-]*)\s*$")
_DIRECTIVE = re.compile(r"^<!--\s*doc-test:\s*(\S+)\s*(.*?)\s*-->\s*$")
DIRECTIVES = frozenset({"file", "background", "covered-by", "manual"})


@dataclass(frozen=True)
class Block:
    """One fenced block: where it is, its language, its text and its directive (if any)."""

    path: Path
    line: int
    language: str
    text: str
    directive: str | None = None
    argument: str = ""

    @property
    def is_command(self) -> bool:
        return self.language in COMMAND_LANGUAGES

    def __str__(self) -> str:
        return f"{self.path.name}:{self.line}"


def read_blocks(path: Path) -> list[Block]:
    """Every fenced block of the Markdown file `path`, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    directive: tuple[str, str] | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        found = _DIRECTIVE.match(line.strip())
        fence = _FENCE.match(line)
        if found:
            directive = (found[1], found[2])
        elif fence:
            end = index + 1
            while end < len(lines) and lines[end].rstrip() != fence[1]:
                end += 1
            name, argument = directive if directive else (None, "")
            text = "\n".join(lines[index + 1 : end]) + "\n"
            blocks.append(Block(path, index + 1, fence[2].lower(), text, name, argument))
            directive = None
            index = end
        elif line.strip():
            directive = None  # a directive applies only to the fence right after it
        index += 1
    return blocks


def covering_test(repo: Path, argument: str) -> tuple[Path, str]:
    """The (file, test name) a `covered-by` argument names; ValueError when it names none."""
    target = argument.split()[0] if argument else ""
    file_part, _, name = target.partition("::")
    path = repo / file_part
    if not name or not path.is_file():
        raise ValueError(f"covered-by {argument!r}: no such test file {file_part!r}")
    if not re.search(rf"^\s*(async )?def {re.escape(name)}\(", path.read_text(), re.M):
        raise ValueError(f"covered-by {argument!r}: {file_part} defines no {name}")
    return path, name
