"""Finding libmailstore-c and declaring the C functions of loft/mailstore.h.

Where the library is looked for, first hit wins:

1. the environment variable ``LOFT_LIBRARY``: a path to the shared object
   (``.../bindings/c/libmailstore-c.so`` in a build tree) or a name the
   dynamic loader resolves; when it is set, nothing else is tried;
2. the library directory of the prefix this package was installed into
   (``_install_paths.LIBDIR``, written by meson at install time), so a
   package installed under ``--prefix=/opt/loft`` uses the library installed
   beside it;
3. ``ctypes.util.find_library("mailstore-c")`` (the ldconfig cache);
4. the SONAME ``libmailstore-c.so.0`` through the dynamic loader, which honours
   ``LD_LIBRARY_PATH``.

Every prototype below mirrors the header exactly: argument and result types
are declared, so ctypes converts and checks them instead of guessing.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from ctypes import (POINTER, c_char, c_char_p, c_int, c_int64, c_size_t, c_uint32, c_uint64, c_void_p)

SONAME = "libmailstore-c.so.0"

# Opaque handles: pointers the library owns, never looked into.
UserHandle = c_void_p
MailboxHandle = c_void_p
MessageHandle = c_void_p
ListHandle = c_void_p


class MailboxStatusStruct(ctypes.Structure):
    """struct loft_mailbox_status (its layout is part of the C ABI)."""
    _fields_ = [
        ("messages", c_uint32),
        ("recent", c_uint32),
        ("uidnext", c_uint32),
        ("uidvalidity", c_uint32),
        ("unseen", c_uint32),
        ("deleted", c_uint32),
        ("highest_modseq", c_uint64),
        ("size", c_uint64),
    ]


_status = c_int  # enum loft_status
_buffer = POINTER(c_char)  # a malloc()ed buffer the caller frees with loft_free()

# name: (result type, argument types)
_PROTOTYPES: dict[str, tuple[object, list[object]]] = {
    "loft_last_error": (c_char_p, []),
    "loft_strerror": (c_char_p, [_status]),
    "loft_version": (c_char_p, []),
    "loft_free": (None, [c_void_p]),
    "loft_log_configure": (_status, [c_char_p, c_char_p]),

    "loft_user_open_config": (_status, [c_char_p, c_char_p, POINTER(UserHandle)]),
    "loft_user_open": (_status, [c_char_p, c_char_p, POINTER(UserHandle)]),
    "loft_user_close": (None, [UserHandle]),
    "loft_user_name": (c_char_p, [UserHandle]),
    "loft_user_home": (c_char_p, [UserHandle]),

    "loft_mailbox_list_open": (_status, [UserHandle, c_char_p, POINTER(ListHandle)]),
    "loft_mailbox_list_count": (c_size_t, [ListHandle]),
    "loft_mailbox_list_name": (c_char_p, [ListHandle, c_size_t]),
    "loft_mailbox_list_attributes": (c_uint32, [ListHandle, c_size_t]),
    "loft_mailbox_list_special_use": (c_uint32, [ListHandle, c_size_t]),
    "loft_mailbox_list_free": (None, [ListHandle]),
    "loft_mailbox_create": (_status, [UserHandle, c_char_p, c_uint32]),
    "loft_mailbox_delete": (_status, [UserHandle, c_char_p]),
    "loft_mailbox_rename": (_status, [UserHandle, c_char_p, c_char_p]),
    "loft_mailbox_status_get": (_status, [UserHandle, c_char_p, POINTER(MailboxStatusStruct)]),

    "loft_mailbox_open": (_status, [UserHandle, c_char_p, c_uint32, POINTER(MailboxHandle)]),
    "loft_mailbox_close": (None, [MailboxHandle]),
    "loft_mailbox_name": (c_char_p, [MailboxHandle]),
    "loft_mailbox_get_status": (_status, [MailboxHandle, POINTER(MailboxStatusStruct)]),
    "loft_mailbox_message_count": (c_uint32, [MailboxHandle]),
    "loft_mailbox_sync": (_status, [MailboxHandle]),

    "loft_message_get": (_status, [MailboxHandle, c_uint32, POINTER(MessageHandle)]),
    "loft_message_get_uid": (_status, [MailboxHandle, c_uint32, POINTER(MessageHandle)]),
    "loft_message_free": (None, [MessageHandle]),
    "loft_message_seq": (c_uint32, [MessageHandle]),
    "loft_message_uid": (c_uint32, [MessageHandle]),
    "loft_message_flags": (c_uint32, [MessageHandle]),
    "loft_message_size": (c_uint64, [MessageHandle]),
    "loft_message_physical_size": (c_uint64, [MessageHandle]),
    "loft_message_internal_date": (c_int64, [MessageHandle]),
    "loft_message_save_date": (c_int64, [MessageHandle]),
    "loft_message_keyword_count": (c_size_t, [MessageHandle]),
    "loft_message_keyword": (c_char_p, [MessageHandle, c_size_t]),
    "loft_message_read": (_status, [MessageHandle, POINTER(_buffer), POINTER(c_size_t)]),
    "loft_message_read_at": (_status, [MessageHandle, c_uint64, c_void_p, c_size_t, POINTER(c_size_t)]),
    "loft_message_header": (_status, [MessageHandle, c_char_p, c_size_t, c_uint32, POINTER(_buffer)]),
    "loft_message_part": (_status, [MessageHandle, c_char_p, c_uint32, POINTER(_buffer), POINTER(c_size_t)]),

    "loft_mailbox_search": (_status, [MailboxHandle, c_char_p, POINTER(POINTER(c_uint32)), POINTER(c_size_t)]),
    "loft_mailbox_save": (_status, [MailboxHandle, c_char_p, c_size_t, c_uint32, POINTER(c_char_p), c_int64,
                                    POINTER(c_uint32)]),
    "loft_mailbox_set_flags": (_status, [MailboxHandle, c_char_p, c_int, c_uint32, POINTER(c_char_p)]),
    "loft_mailbox_expunge": (_status, [MailboxHandle, c_char_p]),
    "loft_mailbox_expunge_deleted": (_status, [MailboxHandle]),
    "loft_mailbox_copy": (_status, [MailboxHandle, c_char_p, MailboxHandle, c_int]),

    "loft_deliver": (_status, [c_char_p, c_char_p, c_char_p, c_char_p, c_char_p, c_size_t, POINTER(c_int)]),
    "loft_deliver_fd": (_status, [c_char_p, c_char_p, c_char_p, c_char_p, c_int, POINTER(c_int)]),
    "loft_verify_password": (_status, [c_char_p, c_char_p, c_char_p]),
}


def _candidates() -> list[str]:
    env = os.environ.get("LOFT_LIBRARY")
    if env:
        return [env]  # asked for explicitly: never another one instead
    found = []
    try:
        from . import _install_paths  # generated by meson install
        found.append(os.path.join(_install_paths.LIBDIR, SONAME))
    except ImportError:
        pass
    name = ctypes.util.find_library("mailstore-c")
    if name:
        found.append(name)
    found.append(SONAME)
    return found


def _load() -> ctypes.CDLL:
    errors = []
    for candidate in _candidates():
        if os.sep in candidate and not os.path.exists(candidate):
            errors.append(f"{candidate}: no such file")
            continue
        try:
            lib = ctypes.CDLL(candidate)
        except OSError as e:
            errors.append(str(e))
            continue
        for name, (restype, argtypes) in _PROTOTYPES.items():
            function = getattr(lib, name)
            function.restype = restype
            function.argtypes = argtypes
        # A library used as a module: warnings and errors on stderr, not an
        # info line per opened mailbox. loft.configure_logging() changes it.
        lib.loft_log_configure(None, None)
        return lib
    raise ImportError("cannot load libmailstore-c (set LOFT_LIBRARY to its path): " + "; ".join(errors))


_lock = threading.Lock()
_lib: ctypes.CDLL | None = None


def lib() -> ctypes.CDLL:
    """The loaded library; loaded on first use, so ``import loft`` works
    (and its documentation can be read) without it."""
    global _lib
    if _lib is None:
        with _lock:
            if _lib is None:
                _lib = _load()
    return _lib
