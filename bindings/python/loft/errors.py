"""Exceptions: one class per loft_status code of the C API, all derived from
:class:`loft.Error`. The message is the library's (``loft_last_error()``),
which names what failed."""
from __future__ import annotations

from ._library import lib


class Error(Exception):
    """Any failure reported by libmailstore-c. ``status`` is the C API's
    loft_status code (an int), ``message`` the library's explanation."""

    status: int = -1

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class InvalidArgument(Error, ValueError):
    """LOFT_EINVAL: a bad name, UID set, search query, config file, ..."""
    status = 1


class NotFound(Error, LookupError):
    """LOFT_ENOTFOUND: no such mailbox, message, MIME part, user or file."""
    status = 2


class Exists(Error):
    """LOFT_EEXIST: the mailbox already exists."""
    status = 3


class PermissionDenied(Error):
    """LOFT_EPERM: file permissions, a read-only mailbox, deleting INBOX."""
    status = 4


class QuotaExceeded(Error):
    """LOFT_EQUOTA: over quota. For a delivery, ``smtp_code`` tells whether
    it is temporary (452) or permanent (552)."""
    status = 5


class TemporaryFailure(Error):
    """LOFT_ETEMP: a lock timeout or an unreachable backend: try again later."""
    status = 6


class OutOfMemory(Error, MemoryError):
    """LOFT_ENOMEM."""
    status = 7


class IOFailure(Error):
    """LOFT_EIO: a system call failed (disk full, an unreadable file)."""
    status = 8


class NotSupported(Error):
    """LOFT_ENOTSUP: valid but not supported (an unknown SEARCH CHARSET, an
    unknown Content-Transfer-Encoding)."""
    status = 9


class AuthenticationFailed(Error):
    """LOFT_EAUTH: wrong password or unknown user (not told apart)."""
    status = 10


class Rejected(Error):
    """LOFT_EREJECTED: a delivery was refused permanently."""
    status = 11


class InternalError(Error):
    """LOFT_EINTERNAL: a bug or an unexpected state in the library."""
    status = 12


class Closed(Error, ValueError):
    """The User, Mailbox or message was used after it was closed (raised by
    the Python package itself; the C handle is gone)."""


_BY_STATUS: dict[int, type[Error]] = {
    cls.status: cls
    for cls in (InvalidArgument, NotFound, Exists, PermissionDenied, QuotaExceeded, TemporaryFailure,
                OutOfMemory, IOFailure, NotSupported, AuthenticationFailed, Rejected, InternalError)
}


def error_for(status: int) -> Error:
    """The exception for a failed call's status, with loft_last_error()'s
    message (read at once: it belongs to the last call on this thread)."""
    library = lib()
    message = (library.loft_last_error() or b"").decode("utf-8", "replace")
    if not message:
        message = (library.loft_strerror(status) or b"").decode("utf-8", "replace")
    cls = _BY_STATUS.get(status, Error)
    return cls(message, status)


def check(status: int) -> None:
    """Raises the exception for a status other than LOFT_OK (0)."""
    if status != 0:
        raise error_for(status)
