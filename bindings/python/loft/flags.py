"""Flags as Python sees them: IMAP flag names in a frozenset ("\\Seen",
"\\Flagged", and keywords such as "$Forwarded"), converted to and from the
C API's bit masks and keyword arrays."""
from __future__ import annotations

import ctypes
from collections.abc import Iterable

from .errors import InvalidArgument

SEEN = "\\Seen"
ANSWERED = "\\Answered"
FLAGGED = "\\Flagged"
DELETED = "\\Deleted"
DRAFT = "\\Draft"

# LOFT_FLAG_* bits.
SYSTEM_FLAGS: dict[str, int] = {
    ANSWERED: 0x01,
    FLAGGED: 0x02,
    DELETED: 0x04,
    SEEN: 0x08,
    DRAFT: 0x10,
}

# LOFT_MAILBOX_* list attributes, as IMAP LIST names them.
MAILBOX_ATTRIBUTES: dict[str, int] = {
    "\\Noselect": 0x001,
    "\\Noinferiors": 0x002,
    "\\NonExistent": 0x004,
    "\\HasChildren": 0x008,
    "\\HasNoChildren": 0x010,
    "\\Subscribed": 0x020,
}

# LOFT_SPECIAL_* special-use flags (RFC 6154).
SPECIAL_USE: dict[str, int] = {
    "\\All": 0x01,
    "\\Archive": 0x02,
    "\\Drafts": 0x04,
    "\\Flagged": 0x08,
    "\\Junk": 0x10,
    "\\Sent": 0x20,
    "\\Trash": 0x40,
}


def names_of(bits: int, table: dict[str, int]) -> frozenset[str]:
    return frozenset(name for name, bit in table.items() if bits & bit)


def bits_of(names: Iterable[str], table: dict[str, int], what: str) -> int:
    """The bits of `names`, all of which must be in `table` (case-insensitive)."""
    lower = {name.lower(): bit for name, bit in table.items()}
    bits = 0
    for name in names:
        bit = lower.get(name.lower())
        if bit is None:
            raise InvalidArgument(f"not a {what}: {name!r}")
        bits |= bit
    return bits


def split_flags(flags: Iterable[str] | str) -> tuple[int, list[str]]:
    """System flag bits and keywords of `flags` (a string is one flag).
    "\\Recent" cannot be set, and any other name starting with a backslash
    is not a flag either."""
    if isinstance(flags, str):
        flags = [flags]
    bits = 0
    keywords: list[str] = []
    lower = {name.lower(): bit for name, bit in SYSTEM_FLAGS.items()}
    for flag in flags:
        if flag.startswith("\\"):
            bit = lower.get(flag.lower())
            if bit is None:
                raise InvalidArgument(f"not a flag that can be stored: {flag!r}")
            bits |= bit
        else:
            keywords.append(flag)
    return bits, keywords


class KeywordArray:
    """A NULL-terminated `const char *const *` for the C API, kept alive as
    long as this object (pass `.pointer`); None when there are no keywords."""

    def __init__(self, keywords: list[str]):
        self._encoded = [k.encode("utf-8") for k in keywords]
        if keywords:
            array = (ctypes.c_char_p * (len(keywords) + 1))(*self._encoded, None)
            self.pointer = ctypes.cast(array, ctypes.POINTER(ctypes.c_char_p))
            self._array = array
        else:
            self.pointer = None
