"""Domain errors raised by services and mapped onto form fields by views."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain was broken; `field` names the form field it concerns, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    """The current user may not do this."""
