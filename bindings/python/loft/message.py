"""One message of an open mailbox."""
from __future__ import annotations

import ctypes
import datetime
from collections.abc import Iterator
from typing import TYPE_CHECKING

from . import flags as _flags
from ._library import MessageHandle, lib
from .errors import InvalidArgument, NotFound, check

if TYPE_CHECKING:
    from .mailbox import Mailbox

LOFT_DECODED = 0
LOFT_RAW = 1


def to_datetime(seconds: int) -> datetime.datetime | None:
    """A C API date (Unix seconds, 0 = unknown) as an aware UTC datetime."""
    if seconds == 0:
        return None
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)


class Message:
    """A message as the mailbox's view showed it when this object was made:
    sequence number, UID, flags (system flags such as "\\Seen" and keywords,
    one frozenset), sizes and dates. They are not updated: after
    :meth:`Mailbox.store` get the message again.

    The content (:meth:`read`, :meth:`header`, :meth:`part`) is read from the
    mailbox when asked for, by UID: a message expunged meanwhile (and synced
    away) raises :class:`loft.NotFound`. The mailbox must still be open.
    """

    __slots__ = ("_mailbox", "seq", "uid", "flags", "keywords", "size", "physical_size", "internal_date",
                 "save_date")

    def __init__(self, mailbox: Mailbox, handle: MessageHandle):
        library = lib()
        self._mailbox = mailbox
        self.seq: int = library.loft_message_seq(handle)
        self.uid: int = library.loft_message_uid(handle)
        keywords = [library.loft_message_keyword(handle, i).decode("utf-8", "replace")
                    for i in range(library.loft_message_keyword_count(handle))]
        self.keywords: frozenset[str] = frozenset(keywords)
        self.flags: frozenset[str] = (_flags.names_of(library.loft_message_flags(handle), _flags.SYSTEM_FLAGS)
                                      | self.keywords)
        #: RFC822.SIZE: the size with CRLF line ends, what IMAP clients see.
        self.size: int = library.loft_message_size(handle)
        #: The bytes as stored (LF line ends possible).
        self.physical_size: int = library.loft_message_physical_size(handle)
        #: INTERNALDATE (usually when the message arrived), None when unknown.
        self.internal_date: datetime.datetime | None = to_datetime(library.loft_message_internal_date(handle))
        #: When the message was saved into this mailbox, None when unknown.
        self.save_date: datetime.datetime | None = to_datetime(library.loft_message_save_date(handle))

    def __repr__(self) -> str:
        return f"<loft.Message uid={self.uid} seq={self.seq} size={self.size} flags={sorted(self.flags)}>"

    @property
    def mailbox(self) -> Mailbox:
        return self._mailbox

    def _handle(self) -> MessageHandle:
        return self._mailbox._message_handle_by_uid(self.uid)

    def read(self) -> bytes:
        """The whole message, exactly as stored (LF or CRLF line ends)."""
        library = lib()
        handle = self._handle()
        try:
            data = ctypes.POINTER(ctypes.c_char)()
            size = ctypes.c_size_t()
            check(library.loft_message_read(handle, ctypes.byref(data), ctypes.byref(size)))
            try:
                return ctypes.string_at(data, size.value)
            finally:
                library.loft_free(data)
        finally:
            library.loft_message_free(handle)

    def iter_bytes(self, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """The stored message in pieces of up to `chunk_size` bytes, for
        messages too large to hold in memory at once (read() gives it whole)."""
        if chunk_size <= 0:
            raise InvalidArgument("chunk_size must be positive")
        library = lib()
        handle = self._handle()
        try:
            buffer = ctypes.create_string_buffer(chunk_size)
            got = ctypes.c_size_t()
            offset = 0
            while True:
                check(library.loft_message_read_at(handle, offset, buffer, chunk_size, ctypes.byref(got)))
                if got.value == 0:
                    return
                yield buffer.raw[:got.value]
                offset += got.value
        finally:
            library.loft_message_free(handle)

    def headers(self, name: str, raw: bool = False) -> list[str]:
        """The values of every header field `name` (case-insensitive) of the
        top-level header, in order; [] when there is none. Decoded (unfolded,
        trimmed, RFC 2047 words decoded, UTF-8) unless `raw` (the value as
        written after the colon, folding kept)."""
        return self._header_values(name, raw, None)

    def header(self, name: str, raw: bool = False) -> str | None:
        """The value of the first header field `name`, or None when the
        message has none (see :meth:`headers`)."""
        values = self._header_values(name, raw, 1)
        return values[0] if values else None

    def _header_values(self, name: str, raw: bool, limit: int | None) -> list[str]:
        library = lib()
        handle = self._handle()  # NotFound here: the message is gone
        values: list[str] = []
        try:
            while limit is None or len(values) < limit:
                value = ctypes.POINTER(ctypes.c_char)()
                status = library.loft_message_header(handle, name.encode("utf-8"), len(values),
                                                     LOFT_RAW if raw else LOFT_DECODED, ctypes.byref(value))
                if status == NotFound.status:
                    break  # no (further) field of that name
                check(status)
                try:
                    values.append(ctypes.string_at(value).decode("utf-8", "replace"))
                finally:
                    library.loft_free(value)
            return values
        finally:
            library.loft_message_free(handle)

    def part(self, section: str, raw: bool = False) -> bytes:
        """A MIME part. By default `section` is an IMAP part number ("1",
        "1.2"; "" the whole message) and the result the part's body with its
        transfer encoding undone (IMAP BINARY[section]); with `raw` any IMAP
        section-spec ("1.2", "TEXT", "HEADER", "1.MIME") and the bytes as
        FETCH BODY[section] gives them. NotFound when there is no such part."""
        library = lib()
        handle = self._handle()
        try:
            data = ctypes.POINTER(ctypes.c_char)()
            size = ctypes.c_size_t()
            status = library.loft_message_part(handle, section.encode("utf-8"), LOFT_RAW if raw else LOFT_DECODED,
                                               ctypes.byref(data), ctypes.byref(size))
            check(status)
            try:
                return ctypes.string_at(data, size.value)
            finally:
                library.loft_free(data)
        finally:
            library.loft_message_free(handle)
