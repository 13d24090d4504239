"""The error tree. Each class says when it is raised; messages name where the problem comes from."""

from __future__ import annotations


class VeilleuseError(Exception):
    """Base of every error Veilleuse raises on purpose."""


class ConfigError(VeilleuseError):
    """A setting or a configuration file is missing or invalid (the message names which)."""


class SourceError(VeilleuseError):
    """A source could not be fetched or read as a whole (network, HTTP status, unknown format)."""


class ParseError(SourceError):
    """One record (or a whole file) could not be parsed; names the origin and the record."""

    def __init__(self, origin: str, reason: str, record: str | None = None) -> None:
        self.origin = origin
        self.record = record
        self.reason = reason
        where = f"{origin} [{record}]" if record else origin
        super().__init__(f"{where}: {reason}")


class StoreError(VeilleuseError):
    """The notice store refused an operation."""


class StoreUnavailableError(StoreError):
    """The store's server cannot be reached; the message names the URL and what to check."""


class DuplicateNoticeError(StoreError):
    """A write with the FAIL duplicate policy met a notice that is already stored."""


class RecordsError(VeilleuseError):
    """The records database (actors, send log, grouped bids, source reports) refused an operation."""


class ValidationError(VeilleuseError):
    """User-supplied data (an actor file, a filter) is invalid; names the file, line and field."""


class MailError(VeilleuseError):
    """A digest could not be delivered by the configured mailer."""


class NotFoundError(VeilleuseError):
    """A record asked for by its identifier (an actor, a notice, a grouped bid) does not exist."""


class TransitionError(ValidationError):
    """A grouped bid was asked to move to a status its current status does not allow.

    Raised by `core.grouped_bids.check_transition` (and so by the records layer before it changes
    anything); the message, in French, names the refused change and the ones allowed instead.
    """

    def __init__(self, current: str, new: str, allowed: tuple[str, ...], message: str) -> None:
        self.current = current
        self.new = new
        self.allowed = allowed
        super().__init__(message)


class AuthenticationError(VeilleuseError):
    """A login (e-mail and password, or an API token) was refused: unknown, wrong or disabled.

    The message is safe to show: it never says which of the e-mail or the password was wrong.
    """


class ThrottledError(AuthenticationError):
    """Too many failed logins recently for an e-mail or a client address; try again later.

    `retry_after` is the number of seconds before a new attempt is accepted.
    """

    def __init__(self, message: str, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class PermissionDeniedError(VeilleuseError):
    """A signed-in user asked for something their role or territory does not allow."""


class ConcurrentRunError(VeilleuseError):
    """Another run of the same job (a flow for a territory) is in progress: this one did nothing."""
