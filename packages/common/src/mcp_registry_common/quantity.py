"""Kubernetes resource quantities in the API server's canonical form (pure).

The API server stores `cpu: 0.5` as `"500m"`, `memory: 1.5Gi` as `"1536Mi"` and `cpu: 1` as
`"1"` (k8s.io/apimachinery `resource.Quantity`, CanonicalizeBytes). Anything that compares what
it asked for with what the server stored (the operator's drift check, the API double) must
compare canonical forms, or it sees a difference on every read.

The rules, as in apimachinery:
- a quantity keeps its format: binary SI (`Ki`…`Ei`), decimal SI (`n`, `u`, `m`, ``, `k`, `M`,
  `G`, `T`, `P`, `E`) or decimal exponent (`e3`, `E-6`);
- the value is rounded up (away from zero) to a nano unit, 10^-9 (a milli unit in a
  ResourceList, such as a container's requests and limits);
- decimal forms use the largest power of 1000 (or 10^3k exponent) that keeps an integer mantissa;
- a binary value below 1024 or not a whole number of bytes is written in decimal SI instead;
  otherwise with the largest power of 1024 that keeps an integer mantissa;
- zero is `"0"`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_BY_EXPONENT = {exponent: suffix for suffix, exponent in _DECIMAL.items()}
_BINARY_BY_POWER = {power: suffix for suffix, power in _BINARY.items()}
_SYNTAX = re.compile(
    r"^(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
    r"(?:(?P<binary>Ki|Mi|Gi|Ti|Pi|Ei)|(?P<exponent>[eE][+-]?\d+)|(?P<decimal>[numkMGTPE]?))$"
)
_NANO = Fraction(1, 10**9)


class QuantityError(ValueError):
    """Not a Kubernetes quantity (the API server would refuse it)."""


def parse_quantity(value: str | int | float) -> tuple[Fraction, str]:
    """(exact value, format) where format is "BinarySI", "DecimalSI" or "DecimalExponent"."""
    text = _text(value)
    match = _SYNTAX.match(text)
    if match is None:
        raise QuantityError(f"quantities must match the regular expression of Kubernetes: {text!r}")
    try:
        number = Fraction(Decimal(match["number"]))
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only decimals
        raise QuantityError(f"not a number: {text!r}") from exc
    if match["binary"]:
        return number * 1024 ** _BINARY[match["binary"]], "BinarySI"
    if match["exponent"]:
        return number * Fraction(10) ** int(match["exponent"][1:]), "DecimalExponent"
    return number * Fraction(10) ** _DECIMAL[match["decimal"] or ""], "DecimalSI"


def canonical_quantity(value: str | int | float, *, scale: int = -9) -> str:
    """The string the API server stores for `value` (e.g. 0.5 -> "500m", "1.5Gi" -> "1536Mi"),
    rounded up to 10^`scale` first (-9 for any quantity; -3 in a ResourceList)."""
    amount, form = parse_quantity(value)
    amount = _round_up(amount, Fraction(10) ** scale)
    if amount == 0:
        return "0"
    sign = "-" if amount < 0 else ""
    magnitude = abs(amount)
    if form == "BinarySI":
        binary = _binary(magnitude)
        if binary is not None:
            return sign + binary
        form = "DecimalSI"
    mantissa, exponent = _decimal(magnitude)
    if form == "DecimalExponent":
        return f"{sign}{mantissa}" + (f"e{exponent}" if exponent else "")
    return f"{sign}{mantissa}{_DECIMAL_BY_EXPONENT[exponent]}"


def canonical_resources(resources: Mapping[str, Any]) -> dict[str, Any]:
    """A container's `resources` with every request and limit in canonical form, rounded up to
    milli units as the API server's ResourceList defaulting does; values that are not
    quantities are left for the API server to refuse."""
    out = dict(resources)
    for key in ("requests", "limits"):
        amounts = resources.get(key)
        if isinstance(amounts, Mapping):
            out[key] = {name: _canonical_or_same(amount) for name, amount in amounts.items()}
    return out


def _canonical_or_same(amount: Any) -> Any:
    if isinstance(amount, bool) or not isinstance(amount, str | int | float):
        return amount
    try:
        return canonical_quantity(amount, scale=-3)
    except QuantityError:
        return amount


def _text(value: str | int | float) -> str:
    if isinstance(value, bool):
        raise QuantityError(f"not a quantity: {value!r}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return value.strip()


def _round_up(amount: Fraction, unit: Fraction) -> Fraction:
    """Away from zero to a whole number of `unit`s, as Quantity.RoundUp does."""
    scaled = amount / unit
    if scaled.denominator == 1:
        return amount
    magnitude = -(-abs(scaled.numerator) // scaled.denominator)  # ceiling of |scaled|
    return Fraction(magnitude if amount > 0 else -magnitude) * unit


def _binary(magnitude: Fraction) -> str | None:
    """Largest power of 1024 keeping an integer mantissa; None when decimal SI must be used."""
    if magnitude.denominator != 1:
        return None
    whole = int(magnitude)
    if whole < 1024:
        return None
    power = 0
    while power < 6 and whole % 1024 == 0:
        whole //= 1024
        power += 1
    return f"{whole}{_BINARY_BY_POWER.get(power, '')}" if power else str(whole)


def _decimal(magnitude: Fraction) -> tuple[int, int]:
    """(mantissa, exponent): exponent a multiple of 3 in [-9, 18], mantissa an integer."""
    exponent = -9
    mantissa = magnitude / _NANO  # an integer after rounding to nano
    while exponent < 18 and mantissa % 1000 == 0:
        mantissa /= 1000
        exponent += 3
    return int(mantissa), exponent
