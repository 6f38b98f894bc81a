"""A mail user: its mailboxes (list, create, delete, rename, status, open)."""
from __future__ import annotations

import ctypes
import dataclasses
import os
import weakref
from collections.abc import Iterable

from . import flags as _flags
from ._library import ListHandle, MailboxHandle, MailboxStatusStruct, UserHandle, lib
from .errors import check
from ._owner import HandleOwner
from .mailbox import Mailbox, MailboxStatus

LOFT_OPEN_READWRITE = 0
LOFT_OPEN_READONLY = 1


@dataclasses.dataclass(frozen=True)
class MailboxInfo:
    """One entry of :meth:`User.mailboxes`: the name, its IMAP LIST
    attributes ("\\Noselect", "\\HasChildren", "\\Subscribed", ...) and its
    special-use flags ("\\Sent", "\\Trash", ...)."""
    name: str
    attributes: frozenset[str]
    special_use: frozenset[str]

    @property
    def selectable(self) -> bool:
        """Whether it holds messages (a \\Noselect name is only a parent)."""
        return not self.attributes & {"\\Noselect", "\\NonExistent"}


def _path(value: str | os.PathLike[str]) -> bytes:
    return os.fsencode(value)


class User(HandleOwner):
    """A mail user. Open one with :meth:`User.open` (a home directory and a
    mail_location, no config) or :meth:`User.from_config` (a config file and a
    userdb lookup, as the daemons do); close it with :meth:`close` or use it
    as a context manager. Closing a user closes the mailboxes opened from it.

    The calling process must be allowed to read and write the user's mail:
    the library never switches to the user's uid.
    """

    def __init__(self, handle: UserHandle):
        self._handle: UserHandle | None = handle
        self._mailboxes: weakref.WeakSet[Mailbox] = weakref.WeakSet()

    @classmethod
    def open(cls, home: str | os.PathLike[str], mail_location: str | None = None) -> User:
        """The mail under `home` ("~" in the location) at `mail_location`
        ("maildir:~/Maildir", "maildir:/srv/mail/alice:LAYOUT=fs"); None
        detects the format in `home`. The user name is the last component of
        `home`; every other setting is the default."""
        handle = UserHandle()
        check(lib().loft_user_open(_path(home), mail_location.encode("utf-8") if mail_location else None,
                                   ctypes.byref(handle)))
        return cls(handle)

    @classmethod
    def from_config(cls, config: str | os.PathLike[str], username: str) -> User:
        """Loads `config` (Loft/Dovecot syntax), looks `username` up in its
        userdb and opens the user's mail as the daemons would. NotFound for
        an unknown user or a missing config file, InvalidArgument for a bad
        config (the message names file:line)."""
        handle = UserHandle()
        check(lib().loft_user_open_config(_path(config), username.encode("utf-8"), ctypes.byref(handle)))
        return cls(handle)

    # -- lifetime --

    def close(self) -> None:
        """Closes the mailboxes opened from this user, then the user.
        Closing twice is fine; anything else after it raises loft.Closed."""
        if self._handle is None:
            return
        for mailbox in list(self._mailboxes):
            mailbox.close()
        lib().loft_user_close(self._handle)
        self._handle = None

    def _closed_message(self) -> str:
        return "the user is closed"

    def __repr__(self) -> str:
        return f"<loft.User {self.name!r}>" if not self.closed else "<loft.User closed>"

    @property
    def name(self) -> str:
        return lib().loft_user_name(self._live()).decode("utf-8", "replace")

    @property
    def home(self) -> str:
        return os.fsdecode(lib().loft_user_home(self._live()))

    # -- mailboxes --

    def mailboxes(self, pattern: str = "*") -> list[MailboxInfo]:
        """The mailboxes whose names match `pattern` (IMAP LIST wildcards:
        '*' anything, '%' anything but the hierarchy separator), in a stable
        order. Parents that exist only as names have "\\Noselect"."""
        library = lib()
        handle = ListHandle()
        check(library.loft_mailbox_list_open(self._live(), pattern.encode("utf-8"), ctypes.byref(handle)))
        try:
            return [MailboxInfo(
                library.loft_mailbox_list_name(handle, i).decode("utf-8", "replace"),
                _flags.names_of(library.loft_mailbox_list_attributes(handle, i), _flags.MAILBOX_ATTRIBUTES),
                _flags.names_of(library.loft_mailbox_list_special_use(handle, i), _flags.SPECIAL_USE))
                for i in range(library.loft_mailbox_list_count(handle))]
        finally:
            library.loft_mailbox_list_free(handle)

    def create_mailbox(self, name: str, special_use: Iterable[str] = ()) -> None:
        """Creates `name` (and missing parents); `special_use` such as
        {"\\Archive"}. Exists when it exists, InvalidArgument for a bad name."""
        bits = _flags.bits_of([special_use] if isinstance(special_use, str) else special_use,
                              _flags.SPECIAL_USE, "special-use flag")
        check(lib().loft_mailbox_create(self._live(), name.encode("utf-8"), bits))

    def delete_mailbox(self, name: str) -> None:
        """Deletes `name` and its messages (children survive). NotFound when
        it does not exist; INBOX cannot be deleted (InvalidArgument)."""
        check(lib().loft_mailbox_delete(self._live(), name.encode("utf-8")))

    def rename_mailbox(self, old: str, new: str) -> None:
        """Renames `old` and its children to `new`."""
        check(lib().loft_mailbox_rename(self._live(), old.encode("utf-8"), new.encode("utf-8")))

    def status(self, name: str) -> MailboxStatus:
        """IMAP STATUS of `name`, without opening it (\\Recent is not claimed)."""
        status = MailboxStatusStruct()
        check(lib().loft_mailbox_status_get(self._live(), name.encode("utf-8"), ctypes.byref(status)))
        return MailboxStatus._from(status)

    def open_mailbox(self, name: str = "INBOX", readonly: bool = False) -> Mailbox:
        """Opens `name`; `readonly` allows no changes (IMAP EXAMINE). NotFound
        when it does not exist. Use the result as a context manager, or
        close() it; it is closed with the user at the latest."""
        handle = MailboxHandle()
        check(lib().loft_mailbox_open(self._live(), name.encode("utf-8"),
                                      LOFT_OPEN_READONLY if readonly else LOFT_OPEN_READWRITE,
                                      ctypes.byref(handle)))
        mailbox = Mailbox(self, handle, lib().loft_mailbox_name(handle).decode("utf-8", "replace"))
        self._mailboxes.add(mailbox)
        return mailbox
