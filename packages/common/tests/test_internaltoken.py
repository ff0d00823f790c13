"""The internal port's token contract: fresh tokens are usable, odd ones are not."""

from __future__ import annotations

import pytest
from mcp_registry_common.internaltoken import (
    MAX_LENGTH,
    MIN_LENGTH,
    authorization,
    is_usable,
    new_token,
)


def test_new_tokens_are_usable_and_never_repeat() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(is_usable(token) for token in tokens)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "a" * (MIN_LENGTH - 1),
        "a" * (MAX_LENGTH + 1),
        "a" * MIN_LENGTH + " ",  # whitespace would not survive a header
        "a" * MIN_LENGTH + "\n",
        "a" * MIN_LENGTH + ",b",
        "=" + "a" * MIN_LENGTH,  # padding only at the end
        "é" * MIN_LENGTH,
    ],
)
def test_odd_tokens_are_not_usable(token: str) -> None:
    assert not is_usable(token)


@pytest.mark.parametrize("token", ["a" * MIN_LENGTH, "A0-._~+/" * 4 + "==", "z" * MAX_LENGTH])
def test_b64tokens_of_a_sound_length_are_usable(token: str) -> None:
    assert is_usable(token)


def test_the_token_is_presented_as_a_bearer() -> None:
    assert authorization("t" * 40) == "Bearer " + "t" * 40
