"""Who is calling: the identity the auth middleware attaches to every request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mcp_registry_common.claims import ALL_ROLES, Role


@dataclass(frozen=True, slots=True)
class Identity:
    """An authenticated caller, the anonymous-mode caller, or an unauthenticated public-path caller.

    ``claims`` is the full verified claim map of the token (``None`` without a token).
    ``enforce_claims`` is true only when ``auth.authz`` is configured: then claim gates and
    entry filtering apply to this caller; otherwise they are bypassed (ToolHive's matrix).
    """

    subject: str
    user: str | None
    provider: str
    claims: Mapping[str, object] | None
    roles: frozenset[Role]
    enforce_claims: bool = False
    authenticated: bool = field(default=True)

    def has_role(self, role: Role) -> bool:
        """Whether the caller holds ``role``; superAdmin satisfies every role."""
        return role in self.roles or Role.SUPER_ADMIN in self.roles

    @property
    def is_super_admin(self) -> bool:
        """Whether claim gates are bypassed because the caller is a superAdmin."""
        return Role.SUPER_ADMIN in self.roles

    @property
    def gate_claims(self) -> Mapping[str, object] | None:
        """The claims to pass to claim gates (``claims_visible`` etc.); ``None`` means bypass."""
        return self.claims if self.enforce_claims else None


ANONYMOUS = Identity(
    subject="anonymous",
    user=None,
    provider="",
    claims=None,
    roles=ALL_ROLES,
    enforce_claims=False,
    authenticated=False,
)
"""The caller in ``auth.mode: anonymous``: every role, no claims, claim gates bypassed."""

PUBLIC = Identity(
    subject="anonymous",
    user=None,
    provider="",
    claims=None,
    roles=frozenset(),
    enforce_claims=False,
    authenticated=False,
)
"""A caller on a public path in oauth mode: no roles (so no admin writes), claim gates bypassed
because the operator declared the path public (ToolHive: no claims in context)."""
