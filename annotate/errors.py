"""Every failure the library reports. The CLI turns these into one `Error: ...` line and an exit code."""

from __future__ import annotations


class AnnotateError(Exception):
    """Base class: a failure the user can act on (exit code 1)."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(AnnotateError):
    """The command was called wrongly: a missing, conflicting or unknown option value (exit code 2)."""

    exit_code = 2


class InputError(AnnotateError):
    """An input file is missing, unreadable or holds invalid data."""


def unreadable(path: object, exc: OSError, *, expected: str) -> InputError:
    """The InputError for a file that could not be opened or read."""
    if isinstance(exc, FileNotFoundError):
        return InputError(f"{path}: no such file")
    if isinstance(exc, IsADirectoryError):
        return InputError(f"{path}: is a directory, expected {expected}")
    return InputError(f"{path}: cannot read: {exc.strerror}")


class ConfigError(AnnotateError):
    """A project folder, label config or settings file is wrong."""


class ServerError(AnnotateError):
    """The local Label Studio process could not be started, found or stopped."""


class ServerUnreachable(AnnotateError):
    """No Label Studio answers at the URL we were given."""


class AuthError(AnnotateError):
    """Label Studio refused the API key."""


class LabelStudioAPIError(AnnotateError):
    """Label Studio answered a request with an error: `status` is its HTTP status (None when the
    answer was not an HTTP error, e.g. an export that did not complete); `detail` what it said."""

    def __init__(self, message: str, *, hint: str | None = None, status: int | None = None, detail: str = "") -> None:
        super().__init__(message, hint=hint)
        self.status, self.detail = status, detail


class ProjectNotFound(AnnotateError):
    """The named project does not exist (locally or on the server)."""


class UnknownProjectName(ProjectNotFound, UsageError):
    """A --project (or --to) that names no project folder: a usage error (exit 2)."""

    exit_code = 2
