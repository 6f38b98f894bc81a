"""Delivering mail and checking passwords, through a config file as the
daemons do (its userdb and passdb blocks, its delivery settings)."""
from __future__ import annotations

import ctypes
import os
from typing import BinaryIO, Union

from ._library import lib
from .errors import AuthenticationFailed, Error, error_for

#: A file path as the functions take it.
PathLike = Union[str, "os.PathLike[str]"]


def _opt(text: str | None) -> bytes | None:
    return text.encode("utf-8") if text else None


def _fileno(message: object) -> int | None:
    """The file descriptor of a real file or pipe; None for bytes and for
    file-like objects without one (io.BytesIO)."""
    try:
        return message.fileno()  # type: ignore[attr-defined,no-any-return]
    except (AttributeError, OSError, ValueError):
        return None


def _sync_position(message: object, fd: int) -> None:
    """Moves the descriptor to the file object's position: a buffered
    reader may have read ahead (or not at all) at the OS level."""
    try:
        if message.seekable():  # type: ignore[attr-defined]
            os.lseek(fd, message.tell(), os.SEEK_SET)  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        pass


def deliver(config: PathLike, recipient: str, message: bytes | BinaryIO, mailbox: str | None = None,
            sender: str | None = None) -> int:
    """Delivers `message` to `recipient` the way loft-lda does: userdb lookup
    (a "user+detail" recipient is split at recipient_delimiter), filters,
    quota, and a durable save. Like loft-lda (and Dovecot's LDA) it adds no
    Return-Path or Delivered-To header: the MTA that pipes the mail does.

    `message` is bytes or a binary file: one with a file descriptor (a file,
    a pipe) is read from its current position to its end and never held in
    memory; others (io.BytesIO) are read() whole. `mailbox` is the
    destination folder (default INBOX; one that does not exist and is not
    autocreated means INBOX); `sender` the envelope sender (None: the null
    sender <>).

    Returns the LMTP reply code (250). Failures raise: NotFound for an
    unknown user, QuotaExceeded, Rejected (permanent), TemporaryFailure,
    InvalidArgument (a bad config); the exception's ``smtp_code`` holds
    the reply code the pipeline chose (0 when it never got that far).
    """
    library = lib()
    code = ctypes.c_int(0)
    args = (os.fsencode(config), recipient.encode("utf-8"), _opt(mailbox), _opt(sender))
    fd = _fileno(message)
    if fd is not None:
        _sync_position(message, fd)
        status = library.loft_deliver_fd(*args, fd, ctypes.byref(code))
    else:
        data = bytes(message) if isinstance(message, (bytes, bytearray, memoryview)) else message.read()
        status = library.loft_deliver(*args, data, len(data), ctypes.byref(code))
    if status != 0:
        error: Error = error_for(status)
        error.smtp_code = code.value  # type: ignore[attr-defined]
        raise error
    return code.value


def verify_password(config: PathLike, username: str, password: str) -> bool:
    """Whether `password` is right for `username` by the config's passdb
    blocks (as IMAP LOGIN checks it). False for a wrong password or an
    unknown user (not told apart); TemporaryFailure when a backend failed."""
    status = lib().loft_verify_password(os.fsencode(config), username.encode("utf-8"), password.encode("utf-8"))
    if status == 0:
        return True
    if status == AuthenticationFailed.status:
        return False
    raise error_for(status)


def configure_logging(config: PathLike | None = None, service: str | None = None) -> None:
    """Where libmailstore's (process-wide) log lines go. The package starts
    with warnings and errors on stderr. With `config`, its log settings
    (log_path, info_log_path, mail_debug, ...) with the `protocol NAME { }`
    overrides of `service`."""
    status = lib().loft_log_configure(os.fsencode(config) if config is not None else None, _opt(service))
    if status != 0:
        raise error_for(status)


def library_version() -> str:
    """The version of libmailstore under the C API ("0.1.0")."""
    return lib().loft_version().decode("ascii")
