"""Who is calling, as the services see it: the claims gates apply to and the superAdmin bypass."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mcp_registry_common.claims import claims_subset, claims_visible

SUBSET_FORBIDDEN = "forbidden: claims must be a subset of the caller's claims"
"""Why a write that would grant claims the caller does not hold is refused."""


@dataclass(frozen=True, slots=True)
class Caller:
    """The claims gates apply to (None = bypassed: anonymous, or no `authz` configured) and
    whether the caller is superAdmin (bypasses every gate)."""

    claims: Mapping[str, object] | None
    super_admin: bool = False

    def sees(self, claims: Mapping[str, object] | None) -> bool:
        """The read (visibility) rule: any value in common per key; unclaimed = hidden."""
        return claims_visible(claims, self.claims, super_admin=self.super_admin)

    def may_grant(self, claims: Mapping[str, object] | None) -> bool:
        """The write (subset) rule: the caller holds every value of every key of `claims`."""
        return claims_subset(claims, self.claims, super_admin=self.super_admin)


BYPASS = Caller(claims=None)
"""A caller no claim gate applies to."""
