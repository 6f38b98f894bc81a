/*
 * loft/mailstore.h — the C API of Loft's mail store (libmailstore-c).
 *
 * A thin C layer over libmailstore's public C++ API for programs written in
 * C and for other languages' foreign-function interfaces (the Python
 * package in bindings/python binds this header with ctypes). Reference:
 * docs/c-api.md.
 *
 * Conventions that hold for every function below:
 *
 * - Errors. A function that can fail returns a loft_status. LOFT_OK (0)
 *   is success; any other value is an error code, and loft_last_error()
 *   then returns a message for a human that names what failed. No C++
 *   exception ever leaves the library: an unexpected one becomes
 *   LOFT_EINTERNAL, an allocation failure LOFT_ENOMEM.
 * - Arguments. A NULL handle or NULL required pointer is LOFT_EINVAL, never
 *   a crash. Strings are NUL-terminated UTF-8. Output parameters are left
 *   untouched when a function fails, except that handle and buffer outputs
 *   are set to NULL.
 * - Ownership. Each function says who owns what it returns. "Owned by the
 *   caller, free with loft_free()" means a buffer from malloc() that the
 *   caller must release with loft_free(); "borrowed" means a pointer into a
 *   handle that stays valid as long as the handle (and as stated) and must
 *   not be freed. Handles are released with their own _close or _free
 *   function. Input buffers are only read during the call.
 * - Threads. A handle, and everything obtained from it (messages of a
 *   mailbox, mailboxes of a user), is used by one thread at a time: share
 *   it between threads only under a lock. Different handles may be used in
 *   different threads at once, also for the same user or mailbox (the
 *   store's locking makes that safe, in one process and across processes).
 *   loft_last_error() is per thread.
 * - Blocking. Calls do file I/O and may wait up to mail_max_lock_timeout
 *   (default 30 s) for a lock held by another process, then fail with
 *   LOFT_ETEMP.
 * - Durability. A call that stores mail (save, copy, move, deliver) returns
 *   LOFT_OK only after the message is durable on disk (per the mail_fsync
 *   setting, as for IMAP APPEND and LMTP).
 *
 * Mailbox names are UTF-8 names with the namespace's hierarchy separator
 * ("INBOX", "Archive/2024" or "Archive.2024" depending on the layout).
 */
#ifndef LOFT_MAILSTORE_H
#define LOFT_MAILSTORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(LOFT_C_BUILDING_LIBRARY)
#define LOFT_API __attribute__((visibility("default")))
#else
#define LOFT_API
#endif

/* ------------------------------------------------------------------------
 * Errors
 */

/* What a call returns. The numeric values are part of the ABI. */
typedef enum loft_status {
    LOFT_OK = 0,
    LOFT_EINVAL = 1,     /* bad argument: NULL handle, bad name, bad UID set, bad search syntax */
    LOFT_ENOTFOUND = 2,  /* the mailbox, message, user or part does not exist */
    LOFT_EEXIST = 3,     /* the mailbox already exists */
    LOFT_EPERM = 4,      /* not allowed: file permissions, a change through a read-only handle */
    LOFT_EQUOTA = 5,     /* over quota (delivery: x.2.2) */
    LOFT_ETEMP = 6,      /* temporary failure: a lock timeout, an unreachable backend; retry later */
    LOFT_ENOMEM = 7,     /* out of memory */
    LOFT_EIO = 8,        /* a system call failed (disk full, unreadable file) */
    LOFT_ENOTSUP = 9,    /* valid but not supported (an unknown SEARCH CHARSET) */
    LOFT_EAUTH = 10,     /* password verification failed (wrong password or unknown user) */
    LOFT_EREJECTED = 11, /* delivery refused the message permanently (5.x.x other than quota/user) */
    LOFT_EINTERNAL = 12  /* a bug or an unexpected state in the library */
} loft_status;

/* The message of the last failed loft_* call on this thread ("" when the
 * last call succeeded). Every function that returns a loft_status sets it
 * (to "" on success); the others leave it alone. Borrowed: valid until the
 * next loft_* call on this thread; never NULL. */
LOFT_API const char *loft_last_error(void);

/* A short fixed description of a status code ("mailbox or message not
 * found", ...). Static storage, never NULL (an unknown code gives
 * "unknown error"). */
LOFT_API const char *loft_strerror(loft_status status);

/* The version of libmailstore the C API runs over, "MAJOR.MINOR.PATCH".
 * Static storage, never NULL. */
LOFT_API const char *loft_version(void);

/* Releases a buffer the library allocated for the caller (message bytes,
 * header values, UID arrays). NULL is allowed and does nothing. */
LOFT_API void loft_free(void *buffer);

/* Where libmailstore's log lines go. They are process-wide: until this is
 * called, lines of level info and above go to stderr (a line per opened
 * mailbox, per delivery, ...). With a config file, the log settings in it
 * (log_path, info_log_path, debug_log_path, mail_debug, ...) as the
 * daemons apply them, with the `protocol NAME { }` overrides of `service`
 * (NULL: none; "lda" for a delivery tool). With NULL config_path: warnings
 * and errors to stderr, nothing else. Call it once, early, before other
 * threads use the library. Errors: LOFT_ENOTFOUND/LOFT_EINVAL (config),
 * LOFT_EIO (a log file that cannot be opened; the previous destination
 * stays). */
LOFT_API loft_status loft_log_configure(const char *config_path, const char *service);

/* ------------------------------------------------------------------------
 * Message flags (the IMAP system flags). The values are part of the ABI.
 */
enum {
    LOFT_FLAG_ANSWERED = 0x01,
    LOFT_FLAG_FLAGGED = 0x02,
    LOFT_FLAG_DELETED = 0x04,
    LOFT_FLAG_SEEN = 0x08,
    LOFT_FLAG_DRAFT = 0x10,
    LOFT_FLAG_ALL = 0x1f
};

/* Mailbox attributes of a list entry (IMAP LIST attributes). */
enum {
    LOFT_MAILBOX_NOSELECT = 0x001,     /* a name that cannot be opened (a parent only) */
    LOFT_MAILBOX_NOINFERIORS = 0x002,
    LOFT_MAILBOX_NONEXISTENT = 0x004,
    LOFT_MAILBOX_HAS_CHILDREN = 0x008,
    LOFT_MAILBOX_HAS_NO_CHILDREN = 0x010,
    LOFT_MAILBOX_SUBSCRIBED = 0x020
};

/* Special-use flags (RFC 6154) of a list entry or for loft_mailbox_create. */
enum {
    LOFT_SPECIAL_ALL = 0x01,
    LOFT_SPECIAL_ARCHIVE = 0x02,
    LOFT_SPECIAL_DRAFTS = 0x04,
    LOFT_SPECIAL_FLAGGED = 0x08,
    LOFT_SPECIAL_JUNK = 0x10,
    LOFT_SPECIAL_SENT = 0x20,
    LOFT_SPECIAL_TRASH = 0x40
};

/* ------------------------------------------------------------------------
 * Handles (opaque)
 */
typedef struct loft_user loft_user;                 /* a mail user: namespaces and mailboxes */
typedef struct loft_mailbox loft_mailbox;           /* an open mailbox and its view of the messages */
typedef struct loft_message loft_message;           /* one message of an open mailbox */
typedef struct loft_mailbox_list loft_mailbox_list; /* the result of listing a user's mailboxes */

/* ------------------------------------------------------------------------
 * Users
 */

/* Opens a user the way the daemons do: loads the config file
 * `config_path` (Loft/Dovecot syntax), looks `username` up in its userdb
 * blocks (in this process: a passwd-file, passwd, static ...) and builds
 * the user's namespaces from the config and the userdb fields (home, mail,
 * uid, gid, ...). The user's uid/gid are not switched to: the calling
 * process must be allowed to read and write the user's mail.
 * Errors: LOFT_EINVAL (a bad config: the message names file:line),
 * LOFT_ENOTFOUND (config file missing, or no such user), LOFT_ETEMP (the
 * userdb failed). On success *user is owned by the caller: close it with
 * loft_user_close(). */
LOFT_API loft_status loft_user_open_config(const char *config_path, const char *username, loft_user **user);

/* Opens the mail of one user without a config file or userdb: `home` is
 * the home directory ("~" in the location) and `mail_location` a Dovecot
 * mail_location ("maildir:~/Maildir", "maildir:/srv/mail/alice:LAYOUT=fs").
 * NULL or "" as mail_location detects the format in the home directory
 * (~/Maildir). The user name (%u in locations) is the last component of
 * `home`. All other settings are the defaults.
 * Errors: LOFT_EINVAL (a bad location, NULL home), LOFT_ENOTFOUND (nothing
 * to detect). On success *user is owned by the caller: loft_user_close(). */
LOFT_API loft_status loft_user_open(const char *home, const char *mail_location, loft_user **user);

/* Releases a user. Close every mailbox opened from it first. NULL is
 * allowed. */
LOFT_API void loft_user_close(loft_user *user);

/* The user's name and home directory ("" when none). Borrowed: valid until
 * loft_user_close(); NULL for a NULL user. */
LOFT_API const char *loft_user_name(const loft_user *user);
LOFT_API const char *loft_user_home(const loft_user *user);

/* ------------------------------------------------------------------------
 * Mailboxes of a user
 */

/* Lists the user's mailboxes whose names match `pattern` (IMAP LIST
 * wildcards: '*' matches anything, '%' anything but the hierarchy
 * separator; NULL means "*"), in a stable order (namespace, then name).
 * Parents that exist only as names are included with LOFT_MAILBOX_NOSELECT.
 * Errors: LOFT_EINVAL, LOFT_EIO. On success *list is owned by the caller:
 * free it with loft_mailbox_list_free(). */
LOFT_API loft_status loft_mailbox_list_open(loft_user *user, const char *pattern, loft_mailbox_list **list);

/* Number of entries (0 for NULL). */
LOFT_API size_t loft_mailbox_list_count(const loft_mailbox_list *list);

/* Entry `index` (0-based): its name, LOFT_MAILBOX_* attributes and
 * LOFT_SPECIAL_* flags. The name is borrowed (valid until
 * loft_mailbox_list_free()); NULL / 0 when `index` is out of range. */
LOFT_API const char *loft_mailbox_list_name(const loft_mailbox_list *list, size_t index);
LOFT_API uint32_t loft_mailbox_list_attributes(const loft_mailbox_list *list, size_t index);
LOFT_API uint32_t loft_mailbox_list_special_use(const loft_mailbox_list *list, size_t index);

/* Releases a list. NULL is allowed. */
LOFT_API void loft_mailbox_list_free(loft_mailbox_list *list);

/* Creates mailbox `name` (and missing parents). `special_use` is a set of
 * LOFT_SPECIAL_* flags (0 for none). Errors: LOFT_EEXIST, LOFT_EINVAL (a
 * bad name), LOFT_EPERM, LOFT_EIO. */
LOFT_API loft_status loft_mailbox_create(loft_user *user, const char *name, uint32_t special_use);

/* Deletes mailbox `name` and its messages (children survive). Errors:
 * LOFT_ENOTFOUND, LOFT_EINVAL (a bad name; INBOX, which cannot be
 * deleted), LOFT_EPERM, LOFT_ETEMP, LOFT_EIO. */
LOFT_API loft_status loft_mailbox_delete(loft_user *user, const char *name);

/* Renames mailbox `from` (and its children) to `to`. Errors: LOFT_ENOTFOUND,
 * LOFT_EEXIST, LOFT_EINVAL, LOFT_EIO. */
LOFT_API loft_status loft_mailbox_rename(loft_user *user, const char *from, const char *to);

/* ------------------------------------------------------------------------
 * Open mailboxes
 */

/* The status of a mailbox (IMAP STATUS). A plain struct: the caller owns
 * it (usually on its stack). Its layout is part of the ABI. */
typedef struct loft_mailbox_status {
    uint32_t messages;       /* number of messages */
    uint32_t recent;         /* messages with \Recent */
    uint32_t uidnext;        /* the UID the next saved message gets (at least) */
    uint32_t uidvalidity;    /* changes when UIDs are no longer valid */
    uint32_t unseen;         /* messages without \Seen */
    uint32_t deleted;        /* messages with \Deleted */
    uint64_t highest_modseq; /* RFC 7162 HIGHESTMODSEQ */
    uint64_t size;           /* sum of the messages' sizes (RFC822.SIZE) */
} loft_mailbox_status;

/* The status of mailbox `name` without opening it for the caller (read
 * only: \Recent is not claimed). Errors: LOFT_ENOTFOUND, LOFT_EINVAL,
 * LOFT_ETEMP, LOFT_EIO. *status is filled on success. */
LOFT_API loft_status loft_mailbox_status_get(loft_user *user, const char *name, loft_mailbox_status *status);

/* Flags for loft_mailbox_open. */
enum {
    LOFT_OPEN_READWRITE = 0,
    LOFT_OPEN_READONLY = 1 /* no changes allowed (IMAP EXAMINE) */
};
/* In either mode the handle does not claim \Recent: messages stay recent
 * for the next IMAP session, as after a delivery. */

/* Opens mailbox `name` of `user` (LOFT_OPEN_* flags) and reads its current
 * state: the mailbox's view, whose sequence numbers 1..count name its
 * messages, and which stays as it is until loft_mailbox_sync() or a change
 * made through this handle. Errors: LOFT_ENOTFOUND, LOFT_EINVAL (a bad or
 * \Noselect name), LOFT_ETEMP, LOFT_EIO. On success *mailbox is owned by
 * the caller: loft_mailbox_close(). It must be closed before its user. */
LOFT_API loft_status loft_mailbox_open(loft_user *user, const char *name, uint32_t flags, loft_mailbox **mailbox);

/* Releases a mailbox. Free its messages first. NULL is allowed. */
LOFT_API void loft_mailbox_close(loft_mailbox *mailbox);

/* The mailbox's name as opened. Borrowed: valid until loft_mailbox_close();
 * NULL for NULL. */
LOFT_API const char *loft_mailbox_name(const loft_mailbox *mailbox);

/* The status of the current view. Errors: LOFT_EINVAL. */
LOFT_API loft_status loft_mailbox_get_status(loft_mailbox *mailbox, loft_mailbox_status *status);

/* Number of messages in the current view (0 for NULL); sequence numbers
 * run from 1 to this. */
LOFT_API uint32_t loft_mailbox_message_count(const loft_mailbox *mailbox);

/* Brings the view up to date with changes other handles and processes
 * committed (new mail, flag changes, expunges). Sequence numbers may
 * change; loft_message handles obtained before stay readable by UID.
 * Errors: LOFT_ETEMP, LOFT_EIO. */
LOFT_API loft_status loft_mailbox_sync(loft_mailbox *mailbox);

/* ------------------------------------------------------------------------
 * Messages: iterate with `for (seq = 1; seq <= loft_mailbox_message_count(mb); seq++)`
 * and loft_message_get(mb, seq, &msg), or go to a UID.
 */

/* The message with sequence number `seq` (1-based) of the current view.
 * The handle is a snapshot of its UID, flags, keywords, sizes and dates at
 * this moment (later flag changes are not reflected: get it again). Errors:
 * LOFT_EINVAL (seq 0 or beyond the count). On success *message is owned by
 * the caller: loft_message_free(); it must be freed before its mailbox is
 * closed. */
LOFT_API loft_status loft_message_get(loft_mailbox *mailbox, uint32_t seq, loft_message **message);

/* The same for the message with UID `uid`. Errors: LOFT_ENOTFOUND (no such
 * UID in the view), LOFT_EINVAL. */
LOFT_API loft_status loft_message_get_uid(loft_mailbox *mailbox, uint32_t uid, loft_message **message);

/* Releases a message handle. NULL is allowed. */
LOFT_API void loft_message_free(loft_message *message);

/* Snapshot accessors (0 for a NULL message). seq is the sequence number
 * when the handle was made. flags: LOFT_FLAG_* bits. size: RFC822.SIZE
 * (the message with CRLF line ends); physical_size: bytes as stored.
 * Dates are Unix seconds (0 when unknown): internal_date is IMAP's
 * INTERNALDATE (usually when the message was received), save_date when it
 * was saved into this mailbox. */
LOFT_API uint32_t loft_message_seq(const loft_message *message);
LOFT_API uint32_t loft_message_uid(const loft_message *message);
LOFT_API uint32_t loft_message_flags(const loft_message *message);
LOFT_API uint64_t loft_message_size(const loft_message *message);
LOFT_API uint64_t loft_message_physical_size(const loft_message *message);
LOFT_API int64_t loft_message_internal_date(const loft_message *message);
LOFT_API int64_t loft_message_save_date(const loft_message *message);

/* The message's keywords (user flags such as "$Forwarded", "Work"): their
 * number, and keyword `index` (0-based). Borrowed: valid until
 * loft_message_free(); NULL when out of range. */
LOFT_API size_t loft_message_keyword_count(const loft_message *message);
LOFT_API const char *loft_message_keyword(const loft_message *message, size_t index);

/* The whole message, exactly as stored (line ends as stored: LF or CRLF).
 * *data receives a buffer owned by the caller (free with loft_free()),
 * NUL-terminated for convenience (the message itself may contain NULs:
 * use *size, which does not count the terminator). Errors: LOFT_ENOTFOUND
 * (expunged meanwhile), LOFT_EIO, LOFT_ENOMEM. */
LOFT_API loft_status loft_message_read(loft_message *message, char **data, size_t *size);

/* Reads up to `length` bytes of the stored message starting at `offset`
 * into the caller's `buffer` (for large messages, a piece at a time).
 * *read_size receives the number of bytes copied: less than `length` only
 * at the end of the message, 0 when `offset` is at or past the end. The
 * caller owns `buffer`. Errors: LOFT_ENOTFOUND, LOFT_EIO, LOFT_EINVAL. */
LOFT_API loft_status loft_message_read_at(loft_message *message, uint64_t offset, void *buffer, size_t length,
                                          size_t *read_size);

/* Flags for loft_message_header and loft_message_part. */
enum {
    LOFT_DECODED = 0, /* header: unfolded, trimmed, RFC 2047 words decoded, UTF-8.
                         part: Content-Transfer-Encoding undone (IMAP BINARY[part]) */
    LOFT_RAW = 1      /* header: the value as written (after the colon, folding kept).
                         part: IMAP BODY[section] bytes */
};

/* The value of the `index`-th (0-based) header field named `name`
 * (case-insensitive) of the message's top-level header; LOFT_DECODED or
 * LOFT_RAW (see above). *value receives a NUL-terminated string owned by
 * the caller (free with loft_free()). Errors: LOFT_ENOTFOUND (no such
 * field, or fewer than index+1 of them; or the message was expunged),
 * LOFT_EINVAL, LOFT_EIO. */
LOFT_API loft_status loft_message_header(loft_message *message, const char *name, size_t index, uint32_t flags,
                                         char **value);

/* A MIME part or section of the message.
 * LOFT_DECODED: `section` is an IMAP part number ("1", "1.2"; "" is the
 *   whole message) and the result is IMAP BINARY[section] (RFC 3516): the
 *   part's body with its Content-Transfer-Encoding (base64,
 *   quoted-printable) undone and CRLF line ends; the charset is not
 *   converted. Errors: LOFT_ENOTFOUND (no such part), LOFT_ENOTSUP (an
 *   unknown transfer encoding), LOFT_EINVAL (damaged base64/QP data, a bad
 *   part number).
 * LOFT_RAW: `section` is any IMAP BODY[] section-spec ("1.2", "TEXT",
 *   "HEADER", "1.MIME", "HEADER.FIELDS (From To)") and the result is what
 *   IMAP FETCH BODY[section] returns: the bytes as encoded, CRLF line ends.
 *   Errors: LOFT_ENOTFOUND (no such part), LOFT_EINVAL (a bad spec).
 * *data receives a buffer owned by the caller (free with loft_free()),
 * NUL-terminated; *size is its length without the terminator. */
LOFT_API loft_status loft_message_part(loft_message *message, const char *section, uint32_t flags, char **data,
                                       size_t *size);

/* ------------------------------------------------------------------------
 * Searching
 */

/* Runs `query`, a search in IMAP SEARCH syntax (RFC 3501 6.4.4: "UNSEEN
 * FROM alice SINCE 1-Jan-2026", "OR SEEN FLAGGED", "LARGER 10000",
 * "HEADER X-Spam yes", "UID 1:100"; "quoted strings" with backslash
 * escapes, parentheses, no literals; string keys match case-insensitive
 * substrings of the decoded text) over the current view. *uids receives
 * the matching UIDs in ascending order, in an array owned by the caller
 * (free with loft_free(); NULL when there are none), *count their number.
 * Errors: LOFT_EINVAL (bad syntax: the message says what, e.g. "Unknown
 * search key: FOO"), LOFT_ENOTSUP (an unknown CHARSET), LOFT_EIO. */
LOFT_API loft_status loft_mailbox_search(loft_mailbox *mailbox, const char *query, uint32_t **uids, size_t *count);

/* ------------------------------------------------------------------------
 * Changing a mailbox. Each call is one atomic transaction: all of it or
 * nothing is stored, and it is durable when the call returns. Afterwards
 * the handle's view is synced (sequence numbers may change). A mailbox
 * opened LOFT_OPEN_READONLY refuses them with LOFT_EPERM.
 *
 * UID sets are IMAP text: "1:4,7,10:*" ('*' is the highest UID in the
 * view); UIDs not in the view are ignored.
 */

/* Value of `internal_date` meaning "now". */
#define LOFT_DATE_NOW ((int64_t)-1)

/* Saves a message: `size` bytes at `data` (LF or CRLF line ends), with
 * LOFT_FLAG_* `flags`, `keywords` (a NULL-terminated array of keyword
 * names, or NULL for none) and `internal_date` (Unix seconds, or
 * LOFT_DATE_NOW). *uid (may be NULL) receives the new message's UID.
 * Errors: LOFT_EINVAL (empty message, bad keyword, bad flags), LOFT_EPERM,
 * LOFT_EQUOTA, LOFT_ETEMP, LOFT_EIO. */
LOFT_API loft_status loft_mailbox_save(loft_mailbox *mailbox, const void *data, size_t size, uint32_t flags,
                                       const char *const *keywords, int64_t internal_date, uint32_t *uid);

/* How loft_mailbox_set_flags changes flags. */
typedef enum loft_flag_mode {
    LOFT_FLAGS_ADD = 0,    /* IMAP STORE +FLAGS */
    LOFT_FLAGS_REMOVE = 1, /* STORE -FLAGS */
    LOFT_FLAGS_REPLACE = 2 /* STORE FLAGS: exactly these flags and keywords */
} loft_flag_mode;

/* Changes the flags (LOFT_FLAG_* bits) and keywords (NULL-terminated
 * array, or NULL) of the messages in `uid_set`. Errors: LOFT_EINVAL (bad
 * set, bad mode, bad keyword), LOFT_EPERM, LOFT_ETEMP, LOFT_EIO. */
LOFT_API loft_status loft_mailbox_set_flags(loft_mailbox *mailbox, const char *uid_set, loft_flag_mode mode,
                                            uint32_t flags, const char *const *keywords);

/* Removes the messages in `uid_set` permanently, whatever their flags.
 * Errors: LOFT_EINVAL, LOFT_EPERM, LOFT_ETEMP, LOFT_EIO. */
LOFT_API loft_status loft_mailbox_expunge(loft_mailbox *mailbox, const char *uid_set);

/* Removes every message flagged \Deleted (IMAP EXPUNGE). Errors: as above. */
LOFT_API loft_status loft_mailbox_expunge_deleted(loft_mailbox *mailbox);

/* Copies the messages in `uid_set` of `source` into `destination` (both
 * open, of the same or different users; `destination` read-write), keeping
 * flags, keywords and internal dates. `move` nonzero then expunges them
 * from `source` in the same step (IMAP MOVE; `source` must be read-write).
 * Errors: LOFT_EINVAL, LOFT_EPERM, LOFT_EQUOTA, LOFT_ETEMP, LOFT_EIO. */
LOFT_API loft_status loft_mailbox_copy(loft_mailbox *source, const char *uid_set, loft_mailbox *destination,
                                       int move);

/* ------------------------------------------------------------------------
 * Delivery and authentication (through a config file, as the daemons)
 */

/* Delivers a message to `recipient` the way loft-lda does: loads the
 * config file, looks the user up in its userdb blocks (a recipient
 * "user+detail@domain" is split at recipient_delimiter), adds the trace
 * headers (Return-Path from `sender`, Delivered-To, ...), runs the
 * delivery pipeline (filters, quota, lda_mailbox_autocreate) and saves the
 * message durably (mail_fsync). `mailbox` (NULL: INBOX, or the detail
 * mailbox with lmtp_save_to_detail_mailbox) is the destination; a mailbox
 * that does not exist and is not autocreated means INBOX. `sender` is the
 * envelope sender (NULL or "": the null sender <>).
 * The message is `size` bytes at `data`; loft_deliver_fd reads it from the
 * file descriptor `fd` up to end of file instead (a pipe works; the fd is
 * not closed), without holding it in memory.
 * *smtp_code (may be NULL) receives the LMTP reply code the pipeline chose
 * (250 delivered, 451/452 temporary, 550/552/554 permanent), or 0 when no
 * delivery was attempted (bad config, unknown user).
 * Returns LOFT_OK when delivered; LOFT_ENOTFOUND for an unknown user (an
 * MTA bounces: EX_NOUSER); LOFT_EQUOTA over quota (check *smtp_code: 4xx
 * temporary, 5xx permanent); LOFT_EREJECTED for another permanent refusal,
 * an empty or oversized message included (EX_NOPERM); LOFT_ETEMP for
 * anything that may work later (EX_TEMPFAIL); LOFT_EINVAL for a missing or
 * bad config file (never LOFT_ENOTFOUND, which means the user) or bad
 * arguments; LOFT_EIO when the message cannot be read from `fd`.
 * loft_last_error() holds the reason ("5.2.2 Quota exceeded", "User alice
 * doesn't exist"). */
LOFT_API loft_status loft_deliver(const char *config_path, const char *recipient, const char *mailbox,
                                  const char *sender, const void *data, size_t size, int *smtp_code);
LOFT_API loft_status loft_deliver_fd(const char *config_path, const char *recipient, const char *mailbox,
                                     const char *sender, int fd, int *smtp_code);

/* Checks `password` for `username` against the config file's passdb
 * blocks (as IMAP LOGIN does, service "imap", from a local client).
 * Returns LOFT_OK when it is right, LOFT_EAUTH when it is wrong or the user
 * is unknown (the two are not told apart), LOFT_ETEMP when a backend
 * failed, LOFT_EINVAL/LOFT_ENOTFOUND for a bad or missing config. */
LOFT_API loft_status loft_verify_password(const char *config_path, const char *username, const char *password);

#ifdef __cplusplus
}
#endif

#endif /* LOFT_MAILSTORE_H */
