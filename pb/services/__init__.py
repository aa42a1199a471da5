"""Use cases in verbs. They check invariants and raise DomainError; they never read `request`."""
