"""Glob semantics of ToolHive's name filter (filepath.Match syntax check + gobwas/glob)."""

from __future__ import annotations

import fnmatch
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mcp_registry_common.globs import GlobError, compile_glob


def matches(pattern: str, name: str) -> bool:
    return compile_glob(pattern).fullmatch(name) is not None


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        # `*` crosses `/`, unlike filepath.Match
        ("official/*", "official/acme-search", True),
        ("official/*", "official/a/b", True),
        ("official/*", "xofficial/a", False),
        ("*-prod", "io.github.acme/api-prod", True),
        ("io.github.*/*", "io.github.stacklok/fetch", True),
        ("*/deprecated", "official/acme-search", False),
        ("*", "", True),
        ("**", "a/b/c", True),
        ("a*b*c", "a/x/b/y/c", True),
        ("a*b*c", "a/x/c", False),
        # whole-string match, case-sensitive
        ("fetch", "io.github.stacklok/fetch", False),
        ("Official/*", "official/x", False),
        # `?` is exactly one character, `/` included
        ("a?c", "a/c", True),
        ("a?c", "ac", False),
        ("a?c", "abbc", False),
        ("a?", "aé", True),
        # classes
        ("[abc]x", "bx", True),
        ("[abc]x", "dx", False),
        ("[a-c]x", "cx", True),
        ("[a-c]x", "dx", False),
        ("[!x]y", "ay", True),
        ("[!x]y", "xy", False),
        ("[!a-c]", "d", True),
        ("[!a-c]", "b", False),
        ("[^x]", "^", True),  # gobwas negates with `!` only
        ("[^x]", "y", False),
        ("[ab-c]", "-", True),  # a list, not a range, once the class has started as a list
        ("[ab-c]", "x", False),
        ("[*?]", "*", True),
        ("[*?]", "a", False),
        ("[\\]]", "]", True),
        ("[\\-a]", "]", True),  # gobwas reads `\-a` as the range `\`..`a`
        # alternatives, nested, empty alternative
        ("{a,b}/x", "b/x", True),
        ("{a,b}/x", "c/x", False),
        ("official/{acme-*,metrics-sandbox}", "official/acme-docs", True),
        ("official/{acme-*,metrics-sandbox}", "official/metrics-sandbox", True),
        ("official/{acme-*,metrics-sandbox}", "official/metrics", False),
        ("{a,b{c,d}}", "bd", True),
        ("{a,b{c,d}}", "b", False),
        ("x{,y}", "x", True),
        ("x{,y}", "xy", True),
        ("{}x", "x", True),
        ("{a,b", "b", True),  # gobwas closes an unclosed `{` at the end
        # `,` and `}` outside braces, `]` outside a class: literal
        ("a,b}", "a,b}", True),
        ("a]", "a]", True),
        # escapes
        ("a\\*", "a*", True),
        ("a\\*", "ab", False),
        ("\\{a,b\\}", "{a,b}", True),
        ("\\?", "?", True),
        ("\\a", "a", True),
        # regex metacharacters are literal
        ("a.b", "axb", False),
        ("a.b", "a.b", True),
        ("(a)+$", "(a)+$", True),
        ("a|b", "a", False),
    ],
)
def test_glob_semantics(pattern: str, name: str, expected: bool) -> None:
    assert matches(pattern, name) is expected


@pytest.mark.parametrize(
    ("pattern", "defect"),
    [
        ("[", "malformed character class"),
        ("official/[abc", "malformed character class"),
        ("[]", "malformed character class"),
        ("[]a]", "malformed character class"),
        ("[-a]", "malformed character class"),  # filepath.Match rejects, gobwas would not
        ("[a-]", "malformed character class"),
        ("[!]", "could not parse range"),
        ("[z-a]", "hi character 'a' should be greater than lo 'z'"),
        ("[a-z0-9]", "expected ']'"),  # gobwas allows one range per class
        ("a\\", "trailing backslash"),
    ],
)
def test_malformed_patterns_raise_glob_error(pattern: str, defect: str) -> None:
    with pytest.raises(GlobError) as info:
        compile_glob(pattern)
    assert str(info.value) == f"invalid glob pattern {pattern!r}: {defect}"
    assert isinstance(info.value, ValueError)


def test_many_stars_do_not_backtrack_exponentially() -> None:
    # Finishes well inside the suite's timeout only because stars become atomic groups.
    assert not matches("*a" * 30 + "*b", "a" * 200)
    assert matches("*a" * 30 + "*b", "a" * 200 + "b")
    assert not matches("*a*a*a*a*a*a*a*a*a?b", "a" * 100)
    assert matches("*a*a*a*a*a*a*a*a*a?b", "a" * 100 + "xb")


def test_compiled_patterns_are_cached() -> None:
    assert compile_glob("cache/*") is compile_glob("cache/*")
    for _ in range(2):  # invalid ones too, and they keep raising
        with pytest.raises(GlobError):
            compile_glob("[cache")


# Property: on patterns without escapes or odd classes, gobwas semantics equal brace expansion
# followed by fnmatch (whose `*` also crosses `/`).

_ATOMS = st.sampled_from(["a", "b", "/", ".", "-", "*", "?", "[ab]", "[!a]", "[a-b]", "**"])


def _sequence(depth: int) -> st.SearchStrategy[list[object]]:
    item: st.SearchStrategy[object] = _ATOMS
    if depth:
        alternatives = st.lists(_sequence(depth - 1), min_size=1, max_size=3)
        item = st.one_of(_ATOMS, alternatives.map(tuple))
    return st.lists(item, max_size=4)


def _render(sequence: list[object]) -> str:
    return "".join(
        "{" + ",".join(_render(list(alt)) for alt in item) + "}"  # type: ignore[call-overload]
        if isinstance(item, tuple)
        else str(item)
        for item in sequence
    )


def _expand(sequence: list[object]) -> set[str]:
    parts: list[set[str]] = []
    for item in sequence:
        if isinstance(item, tuple):
            parts.append(set().union(*(_expand(list(alt)) for alt in item)))
        else:
            parts.append({str(item)})
    return {"".join(combo) for combo in itertools.product(*parts)}


@settings(max_examples=300, deadline=None)
@given(_sequence(2), st.text("ab/.-", max_size=8))
def test_glob_agrees_with_brace_expansion_and_fnmatch(sequence: list[object], name: str) -> None:
    reference = any(fnmatch.fnmatchcase(name, alt) for alt in _expand(sequence))
    assert matches(_render(sequence), name) is reference
