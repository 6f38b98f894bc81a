"""An open mailbox: its messages, searching, saving, flags and expunging."""
from __future__ import annotations

import ctypes
import dataclasses
import datetime
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Union

from . import flags as _flags
from ._library import MailboxHandle, MailboxStatusStruct, MessageHandle, lib
from .errors import InvalidArgument, check
from .message import Message
from ._owner import HandleOwner

if TYPE_CHECKING:
    from .user import User

LOFT_DATE_NOW = -1
LOFT_FLAGS_ADD, LOFT_FLAGS_REMOVE, LOFT_FLAGS_REPLACE = 0, 1, 2

#: UIDs as the methods take them: one UID, an iterable of UIDs (empty: the
#: call does nothing), or IMAP UID-set text ("1:4,7,10:*"; '*' is the
#: highest UID in the view).
UidSet = Union[int, Iterable[int], str]
#: Flags as the methods take them: one flag name or an iterable of them.
Flags = Union[str, Iterable[str]]


@dataclasses.dataclass(frozen=True)
class MailboxStatus:
    """IMAP STATUS of a mailbox."""
    messages: int
    recent: int
    uidnext: int
    uidvalidity: int
    unseen: int
    deleted: int
    highest_modseq: int
    size: int  # sum of RFC822.SIZEs

    @classmethod
    def _from(cls, s: MailboxStatusStruct) -> MailboxStatus:
        return cls(s.messages, s.recent, s.uidnext, s.uidvalidity, s.unseen, s.deleted, s.highest_modseq, s.size)


def uid_set_text(uids: UidSet) -> bytes | None:
    """IMAP UID-set text for `uids` (consecutive UIDs merged into ranges);
    None for an empty iterable (the caller then has nothing to do)."""
    if isinstance(uids, str):
        return uids.encode("ascii")
    if isinstance(uids, int):
        uids = [uids]
    values = sorted(set(uids))
    if not values:
        return None
    if values[0] < 1 or values[-1] > 0xFFFFFFFF:
        raise InvalidArgument(f"not a UID: {values[0] if values[0] < 1 else values[-1]}")
    ranges = []
    first = last = values[0]
    for uid in values[1:]:
        if uid == last + 1:
            last = uid
            continue
        ranges.append(f"{first}:{last}" if first != last else str(first))
        first = last = uid
    ranges.append(f"{first}:{last}" if first != last else str(first))
    return ",".join(ranges).encode("ascii")


def unix_time(when: datetime.datetime | int | float | None) -> int:
    """Unix seconds of `when` (a naive datetime is local time); None = now."""
    if when is None:
        return LOFT_DATE_NOW
    if isinstance(when, datetime.datetime):
        return int(when.timestamp())
    return int(when)


class Mailbox(HandleOwner):
    """A mailbox opened with :meth:`User.open_mailbox`; close it with
    :meth:`close` or use it as a context manager.

    The messages are those of the mailbox's *view*: it stays as it is (same
    sequence numbers) until :meth:`sync`, or until a change made through
    this object (save, store, expunge, copy), after which it is synced.
    Iterating yields :class:`Message` objects in sequence (= UID) order.

    Every change is one atomic, durable transaction: when the call returns,
    the change is on disk (per the config's mail_fsync).
    """

    def __init__(self, user: User, handle: MailboxHandle, name: str):
        self._user = user
        self._handle: MailboxHandle | None = handle
        self.name = name

    # -- lifetime --

    def close(self) -> None:
        """Releases the mailbox. Closing twice is fine; anything else after
        it raises :class:`loft.Closed`."""
        if self._handle is not None:
            lib().loft_mailbox_close(self._handle)
            self._handle = None

    def __repr__(self) -> str:
        return f"<loft.Mailbox {self.name!r}{' closed' if self.closed else ''}>"

    def _closed_message(self) -> str:
        return f"mailbox {self.name} is closed"

    @property
    def user(self) -> User:
        return self._user

    # -- the view --

    def __len__(self) -> int:
        return lib().loft_mailbox_message_count(self._live())

    def __iter__(self) -> Iterator[Message]:
        seq = 1
        while seq <= len(self):
            yield self.message_at(seq)
            seq += 1

    def message_at(self, seq: int) -> Message:
        """The message with sequence number `seq` (1..len(self))."""
        library = lib()
        handle = MessageHandle()
        check(library.loft_message_get(self._live(), seq, ctypes.byref(handle)))
        try:
            return Message(self, handle)
        finally:
            library.loft_message_free(handle)

    def message(self, uid: int) -> Message:
        """The message with UID `uid`; NotFound when it is not in the view."""
        library = lib()
        handle = self._message_handle_by_uid(uid)
        try:
            return Message(self, handle)
        finally:
            library.loft_message_free(handle)

    def _message_handle_by_uid(self, uid: int) -> MessageHandle:
        """A C message handle the caller frees with loft_message_free()."""
        handle = MessageHandle()
        check(lib().loft_message_get_uid(self._live(), uid, ctypes.byref(handle)))
        return handle

    def status(self) -> MailboxStatus:
        """STATUS of the current view."""
        status = MailboxStatusStruct()
        check(lib().loft_mailbox_get_status(self._live(), ctypes.byref(status)))
        return MailboxStatus._from(status)

    def sync(self) -> None:
        """Brings the view up to date with what other handles and processes
        changed (new mail, flags, expunges). Sequence numbers may change."""
        check(lib().loft_mailbox_sync(self._live()))

    def search(self, query: str) -> list[int]:
        """The UIDs (ascending) of the messages matching `query`, IMAP SEARCH
        syntax: "UNSEEN FROM alice", "OR SEEN FLAGGED", "SINCE 1-Jan-2026",
        "LARGER 10000", "HEADER X-Spam yes". Bad syntax raises InvalidArgument."""
        library = lib()
        uids = ctypes.POINTER(ctypes.c_uint32)()
        count = ctypes.c_size_t()
        check(library.loft_mailbox_search(self._live(), query.encode("utf-8"), ctypes.byref(uids),
                                          ctypes.byref(count)))
        try:
            return [uids[i] for i in range(count.value)]
        finally:
            library.loft_free(uids)

    # -- changes --

    def save(self, data: bytes, flags: Flags = (), internal_date: datetime.datetime | int | float | None = None
             ) -> int:
        """Stores a message (LF or CRLF line ends) with `flags` ("\\Seen",
        keywords) and `internal_date` (default: now); returns its UID. The
        message is durable when this returns."""
        bits, keywords = _flags.split_flags(flags)
        keyword_array = _flags.KeywordArray(keywords)
        uid = ctypes.c_uint32()
        check(lib().loft_mailbox_save(self._live(), bytes(data), len(data), bits, keyword_array.pointer,
                                      unix_time(internal_date), ctypes.byref(uid)))
        return uid.value

    def store(self, uids: UidSet, add: Flags | None = None, remove: Flags | None = None,
              replace: Flags | None = None) -> None:
        """Changes the flags of the messages `uids`: `add` and/or `remove`
        flags (IMAP STORE +FLAGS/-FLAGS), or `replace` them with exactly the
        given ones (STORE FLAGS). Keywords are flags without a backslash.
        `add` and `remove` together are two transactions (add first)."""
        if replace is not None and (add is not None or remove is not None):
            raise InvalidArgument("store(): replace= cannot be combined with add= or remove=")
        if add is None and remove is None and replace is None:
            raise InvalidArgument("store(): give add=, remove= or replace=")
        uid_text = uid_set_text(uids)
        if uid_text is None:
            return
        changes = [(LOFT_FLAGS_REPLACE, replace)] if replace is not None else []
        changes += [(mode, f) for mode, f in ((LOFT_FLAGS_ADD, add), (LOFT_FLAGS_REMOVE, remove)) if f is not None]
        for mode, given in changes:
            bits, keywords = _flags.split_flags(given)
            keyword_array = _flags.KeywordArray(keywords)
            check(lib().loft_mailbox_set_flags(self._live(), uid_text, mode, bits, keyword_array.pointer))

    def expunge(self, uids: UidSet | None = None) -> None:
        """Without `uids`: removes every message flagged \\Deleted (IMAP
        EXPUNGE). With `uids`: removes those messages, whatever their flags."""
        if uids is None:
            check(lib().loft_mailbox_expunge_deleted(self._live()))
        elif (uid_text := uid_set_text(uids)) is not None:
            check(lib().loft_mailbox_expunge(self._live(), uid_text))

    def copy(self, uids: UidSet, destination: Mailbox) -> None:
        """Copies the messages `uids` into `destination` (open read-write),
        keeping flags, keywords and internal dates."""
        self._copy(uids, destination, 0)

    def move(self, uids: UidSet, destination: Mailbox) -> None:
        """Moves the messages `uids` into `destination` (IMAP MOVE): they are
        durable there before they are expunged here."""
        self._copy(uids, destination, 1)

    def _copy(self, uids: UidSet, destination: Mailbox, move: int) -> None:
        source, target = self._live(), destination._live()
        uid_text = uid_set_text(uids)
        if uid_text is not None:
            check(lib().loft_mailbox_copy(source, uid_text, target, move))
