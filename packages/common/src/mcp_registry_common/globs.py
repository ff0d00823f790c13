"""Glob patterns as ToolHive's name filter reads them: Go `filepath.Match` syntax check, then
gobwas/glob compiled without separators (so `*` also matches `/`), turned into a regex."""

from __future__ import annotations

import functools
import itertools
import re

_ANY = "*"
_SINGLE = "?"
_ESCAPE = "\\"
_CLASS_OPEN, _CLASS_CLOSE, _CLASS_NOT, _CLASS_RANGE = "[", "]", "!", "-"
_TERMS_OPEN, _TERMS_CLOSE, _TERMS_SEP = "{", "}", ","
_TEXT_BREAKERS = frozenset((_SINGLE, _ANY, _CLASS_OPEN, _TERMS_OPEN))
_TERMS_BREAKERS = _TEXT_BREAKERS | {_TERMS_CLOSE, _TERMS_SEP}


class GlobError(ValueError):
    """A malformed glob pattern; the message names the pattern and the defect."""


def compile_glob(pattern: str) -> re.Pattern[str]:
    """Compile `pattern` to a regex to use with `fullmatch`. Cached.

    Syntax (gobwas/glob): `*` any run of characters including `/`; `?` one character;
    `[abc]`, `[a-z]`, `[!abc]`, `[!a-z]` one class each (a class holds either a list or a
    single range, as in gobwas); `{a,b}` alternatives, nested allowed; `\\` escapes the next
    character. The pattern must also pass Go's `filepath.Match` syntax check, as ToolHive
    requires, so `[-a]`, `[a-]`, `[]` and a trailing `\\` are errors. Like gobwas, an unclosed
    `{` is accepted as if closed at the end. Raises GlobError.
    """
    compiled = _compile_cached(pattern)
    if isinstance(compiled, str):
        raise GlobError(f"invalid glob pattern {pattern!r}: {compiled}")
    return compiled


@functools.lru_cache(maxsize=1024)
def _compile_cached(pattern: str) -> re.Pattern[str] | str:
    """The regex, or the defect as text (so invalid patterns are cached too)."""
    problem = _filepath_syntax_error(pattern)
    if problem:
        return problem
    try:
        return re.compile(_GobwasTranslator(pattern).translate(), re.DOTALL)
    except _SyntaxProblem as exc:
        return str(exc)


class _SyntaxProblem(Exception):
    pass


_STAR = "*"
"""Piece standing for a run of `*` (a bare `*` is never a translated piece, it would be `\\*`)."""


def _join_without_backtracking(pieces: list[str]) -> str:
    """Join brace-free pieces like fnmatch does: every star but the last becomes an atomic
    shortest match up to the fixed-width text after it, so `*a*a*a*b` cannot backtrack
    exponentially. Exact, because each piece between stars matches a fixed number of chars."""
    stars = [i for i, piece in enumerate(pieces) if piece == _STAR]
    if len(stars) < 2:
        return "".join(".*" if piece == _STAR else piece for piece in pieces)
    out = pieces[: stars[0]]
    for start, end in itertools.pairwise(stars):
        out.append(f"(?>.*?{''.join(pieces[start + 1 : end])})")
    out.append(".*")
    out.extend(pieces[stars[-1] + 1 :])
    return "".join(out)


def _filepath_syntax_error(pattern: str) -> str:
    """The error Go's `filepath.Match(pattern, "test")` would report (Unix), or ""."""
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == _ESCAPE:
            if i + 1 >= n:
                return "trailing backslash"
            i += 2
        elif char == _CLASS_OPEN:
            i = _filepath_class_end(pattern, i + 1)
            if i < 0:
                return "malformed character class"
        else:
            i += 1
    return ""


def _filepath_class_end(pattern: str, i: int) -> int:
    """Index after the class whose body starts at `i`, or -1 when Go calls it a bad pattern."""
    if pattern.startswith("^", i):
        i += 1
    ranges = 0
    while True:
        if pattern.startswith(_CLASS_CLOSE, i) and ranges > 0:
            return i + 1
        i = _filepath_class_char(pattern, i)
        if i < 0:
            return -1
        if pattern[i] == _CLASS_RANGE:
            i = _filepath_class_char(pattern, i + 1)
            if i < 0:
                return -1
        ranges += 1


def _filepath_class_char(pattern: str, i: int) -> int:
    """Go's `getEsc`: index after one class character, or -1 (also when nothing follows it)."""
    if i >= len(pattern) or pattern[i] in (_CLASS_RANGE, _CLASS_CLOSE):
        return -1
    if pattern[i] == _ESCAPE:
        i += 1
        if i >= len(pattern):
            return -1
    i += 1
    return i if i < len(pattern) else -1


class _GobwasTranslator:
    """gobwas/glob's lexer and parser, emitting a Python regex instead of matchers."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.pos = 0
        self.depth = 0  # open `{` not yet closed
        self.braces = False

    def translate(self) -> str:
        """The regex (for `fullmatch` with DOTALL)."""
        pieces = self._pieces()
        if self.braces:
            return "".join(".*" if piece == _STAR else piece for piece in pieces)
        return _join_without_backtracking(pieces)

    def _pieces(self) -> list[str]:
        """Regex pieces in order; `_STAR` stands for a run of `*`. Each open `{` is a group of
        alternatives and `,` starts the next alternative at that level."""
        out: list[str] = []
        while self.pos < len(self.pattern):
            char = self.pattern[self.pos]
            if char == _TERMS_OPEN:
                self.pos += 1
                self.depth += 1
                self.braces = True
                out.append("(?:")
            elif char == _TERMS_SEP and self.depth:
                self.pos += 1
                out.append("|")
            elif char == _TERMS_CLOSE and self.depth:
                self.pos += 1
                self.depth -= 1
                out.append(")")
            elif char == _CLASS_OPEN:
                self.pos += 1
                out.append(self._class())
            elif char == _SINGLE:
                self.pos += 1
                out.append(".")
            elif char == _ANY:
                self.pos += 1
                if not out or out[-1] != _STAR:
                    out.append(_STAR)
            else:
                out.append(re.escape(self._text(_TERMS_BREAKERS if self.depth else _TEXT_BREAKERS)))
        if self.depth:
            out.append(")" * self.depth)  # gobwas accepts an unclosed `{` at the end
        return out

    def _text(self, breakers: frozenset[str]) -> str:
        """Literal text up to the next unescaped breaker; `\\` drops and keeps the next char."""
        chars: list[str] = []
        escaped = False
        while self.pos < len(self.pattern):
            char = self.pattern[self.pos]
            if not escaped:
                if char == _ESCAPE:
                    escaped = True
                    self.pos += 1
                    continue
                if char in breakers:
                    break
            escaped = False
            chars.append(char)
            self.pos += 1
        return "".join(chars)

    def _class(self) -> str:
        """A class after `[`: optional `!`, then `lo-hi` or a list of characters, then `]`."""
        negate = False
        if self.pattern.startswith(_CLASS_NOT, self.pos):
            negate = True
            self.pos += 1
        if self.pos >= len(self.pattern):
            raise _SyntaxProblem("unexpected end of input")
        if self.pattern.startswith(_CLASS_RANGE, self.pos + 1):
            low = self.pattern[self.pos]
            if self.pos + 2 >= len(self.pattern):
                raise _SyntaxProblem("unexpected end of input")
            high = self.pattern[self.pos + 2]
            self.pos += 3
            if high < low:
                raise _SyntaxProblem(f"hi character {high!r} should be greater than lo {low!r}")
            if "\x00" in (low, high):
                raise _SyntaxProblem("could not parse range")
            body = f"{re.escape(low)}-{re.escape(high)}"
        else:
            chars = self._text(frozenset(_CLASS_CLOSE))
            if not chars:
                raise _SyntaxProblem("could not parse range")
            body = "".join(re.escape(c) for c in chars)
        if not self.pattern.startswith(_CLASS_CLOSE, self.pos):
            problem = "unexpected end of input" if self.pos >= len(self.pattern) else "expected ']'"
            raise _SyntaxProblem(problem)
        self.pos += 1
        return f"[{'^' if negate else ''}{body}]"
