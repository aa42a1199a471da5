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


class Refused(DomainError):
    """A refusal that must itself be written to the audit log, even though nothing changes.

    `audit` holds the arguments for `pb.services.audit.record` (actor, action, target, details);
    `pb.forms.attempt` writes it after rolling the attempted change back.
    """

    def __init__(self, message: str, field: str | None = None, audit: tuple | None = None):
        super().__init__(message, field)
        self.audit = audit


class Problems(DomainError):
    """Several problems at once, so a person sees every field to fix in one go."""

    def __init__(self, problems: list[DomainError]):
        super().__init__(problems[0].message, problems[0].field)
        self.problems = problems
