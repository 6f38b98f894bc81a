"""Loft's mail store from Python: users, mailboxes, messages, search,
delivery and password checks, over the C API (libmailstore-c) with ctypes.

    import loft

    with loft.User.open(home="/home/alice", mail_location="maildir:~/Maildir") as user:
        with user.open_mailbox("INBOX") as inbox:
            for message in inbox:
                print(message.uid, message.header("Subject"), sorted(message.flags))
            unseen = inbox.search("UNSEEN FROM bob")
            inbox.store(unseen, add={"\\\\Seen"})

The shared library is $LOFT_LIBRARY when that is set; otherwise the library
in the prefix this package was installed into, then
ctypes.util.find_library("mailstore-c"), then the SONAME libmailstore-c.so.0
(LD_LIBRARY_PATH). See docs/embedding.md.
"""
from __future__ import annotations

from .delivery import configure_logging, deliver, library_version, verify_password
from .errors import (AuthenticationFailed, Closed, Error, Exists, InternalError, InvalidArgument, IOFailure,
                     NotFound, NotSupported, OutOfMemory, PermissionDenied, QuotaExceeded, Rejected,
                     TemporaryFailure)
from .flags import ANSWERED, DELETED, DRAFT, FLAGGED, SEEN
from .mailbox import Mailbox, MailboxStatus
from .message import Message
from .user import MailboxInfo, User

__all__ = [
    "User", "MailboxInfo", "Mailbox", "MailboxStatus", "Message",
    "deliver", "verify_password", "configure_logging", "library_version",
    "SEEN", "ANSWERED", "FLAGGED", "DELETED", "DRAFT",
    "Error", "InvalidArgument", "NotFound", "Exists", "PermissionDenied", "QuotaExceeded", "TemporaryFailure",
    "OutOfMemory", "IOFailure", "NotSupported", "AuthenticationFailed", "Rejected", "InternalError", "Closed",
]
