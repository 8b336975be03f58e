"""The registry's errors: each carries a message fit to show a user as it is."""

from collections.abc import Mapping


class RegistryError(Exception):
    """Base of every error the domain raises on purpose."""


class PermissionDenied(RegistryError):
    """The acting user's role may not do this."""


class NotFound(RegistryError):
    pass


class ValidationError(RegistryError):
    """Bad input: `field_errors` maps a form field to the message to show next to it."""

    def __init__(self, field_errors: Mapping[str, str]) -> None:
        self.field_errors = dict(field_errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.field_errors.items()))


class ConflictError(RegistryError):
    """Someone else changed the record since it was read (optimistic concurrency)."""


class SignInRefused(RegistryError):
    pass
