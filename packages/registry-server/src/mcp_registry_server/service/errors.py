"""Errors the admin and read services raise; the API maps each to one HTTP status."""

from __future__ import annotations


class ServiceError(Exception):
    """A request the services refused; the message is safe to show to the caller."""


class InvalidRequestError(ServiceError):
    """The request is well-formed but asks for something the rules forbid (400)."""


class ForbiddenError(ServiceError):
    """The caller's claims do not cover the object, or the object is read-only (403)."""


class ObjectNotFoundError(ServiceError):
    """No such source, registry or entry, or one the caller may not see (404)."""


class ConflictError(ServiceError):
    """The request clashes with the current state: a duplicate, a link, a second managed (409)."""


class RuntimeUnavailableError(ServiceError):
    """The server is starting or its store cannot be written right now (503)."""


REGISTRY_FORBIDDEN = "forbidden: insufficient claims for registry"
"""ToolHive's text for a caller whose claims do not cover a registry's."""


class RegistryForbiddenError(ForbiddenError):
    """The caller's claims do not cover the registry's claims (consumer API gate)."""

    def __init__(self) -> None:
        super().__init__(REGISTRY_FORBIDDEN)
