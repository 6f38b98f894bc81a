/*
 * The C API (bindings/c, loft/mailstore.h) from a C11 program, over a real
 * Maildir user in a temporary directory: mailboxes, saving, iterating,
 * searching, reading headers and parts, flags, expunge, copy/move,
 * delivery and password checks through a config file with a passwd-file,
 * and the error codes of bad input.
 *
 * Plain C on purpose: it proves the header is C and the library needs no
 * C++ from its caller. Each failed check prints file:line and the last
 * error; the exit status is 1 when any check failed.
 */
#define _XOPEN_SOURCE 700

#include <loft/mailstore.h>

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <threads.h>
#include <unistd.h>

static int failures = 0;

#define CHECK(cond)                                                                              \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "%s:%d: CHECK(%s) failed (last error: %s)\n", __FILE__, __LINE__, #cond, \
                    loft_last_error());                                                          \
            failures++;                                                                          \
        }                                                                                        \
    } while (0)

#define CHECK_STATUS(call, expected)                                                             \
    do {                                                                                         \
        loft_status got_ = (call);                                                               \
        if (got_ != (expected)) {                                                                \
            fprintf(stderr, "%s:%d: %s returned %d (%s), expected %d; last error: %s\n", __FILE__, \
                    __LINE__, #call, (int)got_, loft_strerror(got_), (int)(expected),            \
                    loft_last_error());                                                          \
            failures++;                                                                          \
        }                                                                                        \
    } while (0)

#define CHECK_OK(call) CHECK_STATUS(call, LOFT_OK)

static char tmpdir[256];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        exit(99);
    }
    fputs(text, f);
    fclose(f);
}

/* Whether `uids[0..count)` is exactly `expected` (a 0-terminated list). */
static int uids_are(const uint32_t *uids, size_t count, const uint32_t *expected) {
    size_t n = 0;
    while (expected[n] != 0)
        n++;
    if (n != count)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (uids[i] != expected[i])
            return 0;
    return 1;
}

static int search_is(loft_mailbox *mb, const char *query, const uint32_t *expected) {
    uint32_t *uids = NULL;
    size_t count = 0;
    loft_status st = loft_mailbox_search(mb, query, &uids, &count);
    if (st != LOFT_OK) {
        fprintf(stderr, "search \"%s\": %s: %s\n", query, loft_strerror(st), loft_last_error());
        return 0;
    }
    int same = uids_are(uids, count, expected);
    if (!same) {
        fprintf(stderr, "search \"%s\" gave", query);
        for (size_t i = 0; i < count; i++)
            fprintf(stderr, " %u", uids[i]);
        fprintf(stderr, "\n");
    }
    loft_free(uids);
    return same;
}

static int list_has(loft_user *user, const char *name) {
    loft_mailbox_list *list = NULL;
    if (loft_mailbox_list_open(user, NULL, &list) != LOFT_OK)
        return -1;
    int found = 0;
    for (size_t i = 0; i < loft_mailbox_list_count(list); i++)
        if (strcmp(loft_mailbox_list_name(list, i), name) == 0)
            found = 1;
    loft_mailbox_list_free(list);
    return found;
}

static const char plain_message[] =
    "From: Alice <alice@example.org>\n"
    "To: bob@example.com\n"
    "Subject: =?UTF-8?Q?caf=C3=A9?= plans\n"
    "Received: from a by b; Mon, 5 Jan 2026 10:00:00 +0000\n"
    "Received: from c by d; Mon, 5 Jan 2026 09:00:00 +0000\n"
    "Date: Mon, 5 Jan 2026 10:00:00 +0000\n"
    "\n"
    "Lunch at noon?\n";

static const char multipart_message[] =
    "From: alice@example.org\n"
    "To: bob@example.com\n"
    "Subject: report\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\n"
    "\n"
    "--b1\n"
    "Content-Type: text/plain\n"
    "\n"
    "See the attachment.\n"
    "--b1\n"
    "Content-Type: application/octet-stream\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "aGVsbG8gYmluYXJ5IHdvcmxk\n"
    "--b1--\n";

static const char bob_message[] =
    "From: Bob <bob@example.com>\n"
    "To: alice@example.org\n"
    "Subject: old news\n"
    "\n"
    "From last year.\n";

static void test_errors_without_handles(void) {
    loft_user *user = (loft_user *)1;
    CHECK_STATUS(loft_user_open(NULL, NULL, &user), LOFT_EINVAL);
    CHECK(user == NULL);
    CHECK(strlen(loft_last_error()) > 0);
    CHECK_STATUS(loft_mailbox_open(NULL, "INBOX", 0, NULL), LOFT_EINVAL);
    CHECK_STATUS(loft_mailbox_create(NULL, "x", 0), LOFT_EINVAL);
    CHECK_STATUS(loft_mailbox_search(NULL, "ALL", NULL, NULL), LOFT_EINVAL);
    CHECK_STATUS(loft_message_read(NULL, NULL, NULL), LOFT_EINVAL);
    CHECK_STATUS(loft_mailbox_save(NULL, "x", 1, 0, NULL, LOFT_DATE_NOW, NULL), LOFT_EINVAL);
    CHECK_STATUS(loft_mailbox_set_flags(NULL, "1", LOFT_FLAGS_ADD, 0, NULL), LOFT_EINVAL);
    CHECK_STATUS(loft_deliver(NULL, "alice", NULL, NULL, "x", 1, NULL), LOFT_EINVAL);
    CHECK_STATUS(loft_verify_password(NULL, "a", "b"), LOFT_EINVAL);
    CHECK_STATUS(loft_user_open_config("/nonexistent/loft.conf", "alice", &user), LOFT_ENOTFOUND);
    CHECK(user == NULL);
    /* Accessors of NULL handles answer 0/NULL instead of crashing. */
    CHECK(loft_message_uid(NULL) == 0);
    CHECK(loft_mailbox_message_count(NULL) == 0);
    CHECK(loft_mailbox_list_name(NULL, 0) == NULL);
    CHECK(loft_user_name(NULL) == NULL);
    loft_free(NULL);
    loft_user_close(NULL);
    loft_mailbox_close(NULL);
    loft_message_free(NULL);
    loft_mailbox_list_free(NULL);
    CHECK(strcmp(loft_strerror(LOFT_ENOTFOUND), "not found") == 0);
    CHECK(loft_version() != NULL && strchr(loft_version(), '.') != NULL);
}

static void test_mailboxes(loft_user *user) {
    CHECK_OK(loft_mailbox_create(user, "Work", 0));
    CHECK(strcmp(loft_last_error(), "") == 0);
    CHECK_OK(loft_mailbox_create(user, "Archive", LOFT_SPECIAL_ARCHIVE));
    CHECK_OK(loft_mailbox_create(user, "Archive.2025", 0));
    CHECK_STATUS(loft_mailbox_create(user, "Work", 0), LOFT_EEXIST);
    CHECK_STATUS(loft_mailbox_create(user, "", 0), LOFT_EINVAL);

    loft_mailbox_list *list = NULL;
    CHECK_OK(loft_mailbox_list_open(user, "*", &list));
    size_t n = loft_mailbox_list_count(list);
    CHECK(n == 4);
    int seen_inbox = 0, seen_archive = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = loft_mailbox_list_name(list, i);
        if (strcmp(name, "INBOX") == 0)
            seen_inbox = 1;
        if (strcmp(name, "Archive") == 0) {
            seen_archive = 1;
            CHECK(loft_mailbox_list_special_use(list, i) == LOFT_SPECIAL_ARCHIVE);
            CHECK(loft_mailbox_list_attributes(list, i) & LOFT_MAILBOX_HAS_CHILDREN);
        }
    }
    CHECK(seen_inbox && seen_archive);
    CHECK(loft_mailbox_list_name(list, n) == NULL);
    loft_mailbox_list_free(list);

    CHECK_OK(loft_mailbox_list_open(user, "Archive%", &list));
    CHECK(loft_mailbox_list_count(list) == 1);
    loft_mailbox_list_free(list);

    CHECK_OK(loft_mailbox_rename(user, "Work", "Projects"));
    CHECK(list_has(user, "Projects") == 1);
    CHECK_OK(loft_mailbox_delete(user, "Projects"));
    CHECK(list_has(user, "Projects") == 0);
    CHECK_STATUS(loft_mailbox_delete(user, "Projects"), LOFT_ENOTFOUND);
    CHECK(strlen(loft_last_error()) > 0);
    CHECK_STATUS(loft_mailbox_delete(user, "INBOX"), LOFT_EINVAL);
    CHECK(list_has(user, "INBOX") == 1);

    loft_mailbox *mb = (loft_mailbox *)1;
    CHECK_STATUS(loft_mailbox_open(user, "Missing", 0, &mb), LOFT_ENOTFOUND);
    CHECK(mb == NULL);
    CHECK_STATUS(loft_mailbox_open(user, "INBOX", 0x80, &mb), LOFT_EINVAL);
}

/* Saves the three test messages into INBOX; returns their UIDs in uids[]. */
static void save_messages(loft_mailbox *inbox, uint32_t uids[3]) {
    const char *keywords[] = {"Work", "$Forwarded", NULL};
    CHECK_OK(loft_mailbox_save(inbox, plain_message, strlen(plain_message), LOFT_FLAG_FLAGGED, NULL,
                               1767610800 /* 5 Jan 2026 11:00 UTC */, &uids[0]));
    CHECK_OK(loft_mailbox_save(inbox, multipart_message, strlen(multipart_message), 0, keywords,
                               1767697200 /* 6 Jan 2026 */, &uids[1]));
    CHECK_OK(loft_mailbox_save(inbox, bob_message, strlen(bob_message), LOFT_FLAG_SEEN, NULL,
                               1735732800 /* 1 Jan 2025 */, &uids[2]));
    CHECK(uids[0] == 1 && uids[1] == 2 && uids[2] == 3);
    CHECK_STATUS(loft_mailbox_save(inbox, "", 0, 0, NULL, LOFT_DATE_NOW, NULL), LOFT_EINVAL);
    CHECK_STATUS(loft_mailbox_save(inbox, "x", 1, 0x100, NULL, LOFT_DATE_NOW, NULL), LOFT_EINVAL);
}

static void test_iterate(loft_mailbox *inbox) {
    CHECK(loft_mailbox_message_count(inbox) == 3);
    const char *bodies[] = {plain_message, multipart_message, bob_message};
    for (uint32_t seq = 1; seq <= loft_mailbox_message_count(inbox); seq++) {
        loft_message *msg = NULL;
        CHECK_OK(loft_message_get(inbox, seq, &msg));
        if (msg == NULL)
            continue;
        size_t len = strlen(bodies[seq - 1]);
        size_t lines = 0;
        for (size_t i = 0; i < len; i++)
            lines += bodies[seq - 1][i] == '\n';
        CHECK(loft_message_seq(msg) == seq);
        CHECK(loft_message_uid(msg) == seq);
        CHECK(loft_message_physical_size(msg) == len);
        CHECK(loft_message_size(msg) == len + lines); /* RFC822.SIZE counts CRLF */
        CHECK(loft_message_save_date(msg) > 1767000000);
        char *data = NULL;
        size_t size = 0;
        CHECK_OK(loft_message_read(msg, &data, &size));
        CHECK(size == len && data != NULL && memcmp(data, bodies[seq - 1], len) == 0 && data[size] == '\0');
        loft_free(data);

        /* Piecewise reads give the same bytes. */
        char whole[1024];
        size_t got = 0, total = 0;
        char piece[7];
        do {
            CHECK_OK(loft_message_read_at(msg, total, piece, sizeof piece, &got));
            memcpy(whole + total, piece, got);
            total += got;
        } while (got == sizeof piece && total + sizeof piece < sizeof whole);
        CHECK(total == len && memcmp(whole, bodies[seq - 1], len) == 0);
        CHECK_OK(loft_message_read_at(msg, 100000, piece, sizeof piece, &got));
        CHECK(got == 0);
        loft_message_free(msg);
    }

    loft_message *msg = NULL;
    CHECK_STATUS(loft_message_get(inbox, 0, &msg), LOFT_EINVAL);
    CHECK_STATUS(loft_message_get(inbox, 4, &msg), LOFT_EINVAL);
    CHECK_STATUS(loft_message_get_uid(inbox, 99, &msg), LOFT_ENOTFOUND);
    CHECK(msg == NULL);

    CHECK_OK(loft_message_get_uid(inbox, 1, &msg));
    CHECK(loft_message_flags(msg) == LOFT_FLAG_FLAGGED);
    CHECK(loft_message_internal_date(msg) == 1767610800);
    CHECK(loft_message_keyword_count(msg) == 0);
    loft_message_free(msg);
    CHECK_OK(loft_message_get_uid(inbox, 2, &msg));
    CHECK(loft_message_flags(msg) == 0);
    CHECK(loft_message_keyword_count(msg) == 2);
    int work = 0, fwd = 0;
    for (size_t i = 0; i < loft_message_keyword_count(msg); i++) {
        work |= strcmp(loft_message_keyword(msg, i), "Work") == 0;
        fwd |= strcmp(loft_message_keyword(msg, i), "$Forwarded") == 0;
    }
    CHECK(work && fwd);
    CHECK(loft_message_keyword(msg, 2) == NULL);
    loft_message_free(msg);

    loft_mailbox_status st;
    CHECK_OK(loft_mailbox_get_status(inbox, &st));
    CHECK(st.messages == 3 && st.uidnext == 4 && st.unseen == 2 && st.uidvalidity != 0);
}

static void test_search(loft_mailbox *inbox) {
    CHECK(search_is(inbox, "ALL", (const uint32_t[]){1, 2, 3, 0}));
    CHECK(search_is(inbox, "FROM alice", (const uint32_t[]){1, 2, 0}));
    CHECK(search_is(inbox, "UNSEEN FROM alice SINCE 1-Jan-2026", (const uint32_t[]){1, 2, 0}));
    CHECK(search_is(inbox, "BEFORE 1-Jan-2026", (const uint32_t[]){3, 0}));
    CHECK(search_is(inbox, "OR SEEN FLAGGED", (const uint32_t[]){1, 3, 0}));
    CHECK(search_is(inbox, "KEYWORD Work", (const uint32_t[]){2, 0}));
    CHECK(search_is(inbox, "SUBJECT \"café\"", (const uint32_t[]){1, 0}));
    CHECK(search_is(inbox, "BODY attachment", (const uint32_t[]){2, 0}));
    CHECK(search_is(inbox, "TEXT \"lunch AT noon\"", (const uint32_t[]){1, 0}));
    CHECK(search_is(inbox, "UID 2:*", (const uint32_t[]){2, 3, 0}));
    CHECK(search_is(inbox, "FROM nobody", (const uint32_t[]){0}));

    uint32_t *uids = (uint32_t *)1;
    size_t count = 7;
    CHECK_STATUS(loft_mailbox_search(inbox, "FOO bar", &uids, &count), LOFT_EINVAL);
    CHECK(uids == NULL);
    CHECK(strstr(loft_last_error(), "FOO") != NULL);
    CHECK_STATUS(loft_mailbox_search(inbox, "(SEEN", &uids, &count), LOFT_EINVAL);
    CHECK_STATUS(loft_mailbox_search(inbox, "SINCE yesterday", &uids, &count), LOFT_EINVAL);
    CHECK_STATUS(loft_mailbox_search(inbox, "CHARSET X-NO-SUCH-CHARSET ALL", &uids, &count), LOFT_ENOTSUP);
    CHECK_STATUS(loft_mailbox_search(inbox, NULL, &uids, &count), LOFT_EINVAL);
}

static void test_read_parts(loft_mailbox *inbox) {
    loft_message *msg = NULL;
    char *value = NULL;
    size_t size = 0;
    CHECK_OK(loft_message_get_uid(inbox, 1, &msg));
    CHECK_OK(loft_message_header(msg, "subject", 0, LOFT_DECODED, &value));
    CHECK(value != NULL && strcmp(value, "café plans") == 0);
    loft_free(value);
    CHECK_OK(loft_message_header(msg, "Subject", 0, LOFT_RAW, &value));
    CHECK(value != NULL && strcmp(value, " =?UTF-8?Q?caf=C3=A9?= plans") == 0);
    loft_free(value);
    CHECK_OK(loft_message_header(msg, "Received", 1, LOFT_DECODED, &value));
    CHECK(value != NULL && strncmp(value, "from c by d", 11) == 0);
    loft_free(value);
    value = (char *)1;
    CHECK_STATUS(loft_message_header(msg, "Received", 2, LOFT_DECODED, &value), LOFT_ENOTFOUND);
    CHECK(value == NULL);
    CHECK_STATUS(loft_message_header(msg, "X-Missing", 0, LOFT_DECODED, &value), LOFT_ENOTFOUND);
    CHECK_STATUS(loft_message_header(msg, "", 0, LOFT_DECODED, &value), LOFT_EINVAL);
    /* A single-part message's body is part 1. */
    CHECK_OK(loft_message_part(msg, "1", LOFT_DECODED, &value, &size));
    CHECK(value != NULL && strcmp(value, "Lunch at noon?\r\n") == 0 && size == 16);
    loft_free(value);
    loft_message_free(msg);

    CHECK_OK(loft_message_get_uid(inbox, 2, &msg));
    CHECK_OK(loft_message_part(msg, "2", LOFT_DECODED, &value, &size));
    CHECK(value != NULL && size == 18 && memcmp(value, "hello binary world", 18) == 0);
    loft_free(value);
    CHECK_OK(loft_message_part(msg, "2", LOFT_RAW, &value, &size));
    CHECK(value != NULL && strcmp(value, "aGVsbG8gYmluYXJ5IHdvcmxk") == 0);
    loft_free(value);
    CHECK_OK(loft_message_part(msg, "1", LOFT_RAW, &value, &size));
    CHECK(value != NULL && strcmp(value, "See the attachment.") == 0);
    loft_free(value);
    CHECK_OK(loft_message_part(msg, "2.MIME", LOFT_RAW, &value, &size));
    CHECK(value != NULL && strstr(value, "Content-Transfer-Encoding: base64\r\n") != NULL);
    loft_free(value);
    CHECK_OK(loft_message_part(msg, "HEADER.FIELDS (Subject)", LOFT_RAW, &value, &size));
    CHECK(value != NULL && strcmp(value, "Subject: report\r\n\r\n") == 0);
    loft_free(value);
    CHECK_STATUS(loft_message_part(msg, "3", LOFT_DECODED, &value, &size), LOFT_ENOTFOUND);
    CHECK_STATUS(loft_message_part(msg, "1.x", LOFT_DECODED, &value, &size), LOFT_EINVAL);
    CHECK_STATUS(loft_message_part(msg, "0", LOFT_DECODED, &value, &size), LOFT_EINVAL);
    CHECK_STATUS(loft_message_part(msg, "NOT A SECTION", LOFT_RAW, &value, &size), LOFT_EINVAL);
    CHECK_STATUS(loft_message_part(msg, "1", 7, &value, &size), LOFT_EINVAL);
    loft_message_free(msg);
}

static void test_changes(loft_user *user, loft_mailbox *inbox) {
    CHECK_OK(loft_mailbox_set_flags(inbox, "1:2", LOFT_FLAGS_ADD, LOFT_FLAG_SEEN, NULL));
    CHECK(search_is(inbox, "UNSEEN", (const uint32_t[]){0}));
    CHECK_OK(loft_mailbox_set_flags(inbox, "2", LOFT_FLAGS_REMOVE, LOFT_FLAG_SEEN, NULL));
    CHECK(search_is(inbox, "UNSEEN", (const uint32_t[]){2, 0}));
    const char *todo[] = {"Todo", NULL};
    CHECK_OK(loft_mailbox_set_flags(inbox, "3", LOFT_FLAGS_REPLACE, LOFT_FLAG_ANSWERED, todo));
    loft_message *msg = NULL;
    CHECK_OK(loft_message_get_uid(inbox, 3, &msg));
    CHECK(loft_message_flags(msg) == LOFT_FLAG_ANSWERED);
    CHECK(loft_message_keyword_count(msg) == 1 && strcmp(loft_message_keyword(msg, 0), "Todo") == 0);
    loft_message_free(msg);
    CHECK_STATUS(loft_mailbox_set_flags(inbox, "abc", LOFT_FLAGS_ADD, LOFT_FLAG_SEEN, NULL), LOFT_EINVAL);
    CHECK_STATUS(loft_mailbox_set_flags(inbox, "1", (loft_flag_mode)9, LOFT_FLAG_SEEN, NULL), LOFT_EINVAL);
    CHECK_STATUS(loft_mailbox_set_flags(inbox, "1", LOFT_FLAGS_ADD, 0x40, NULL), LOFT_EINVAL);

    /* A read-only handle refuses changes, and sees others' changes after a sync. */
    loft_mailbox *ro = NULL;
    CHECK_OK(loft_mailbox_open(user, "INBOX", LOFT_OPEN_READONLY, &ro));
    CHECK_STATUS(loft_mailbox_save(ro, "x\n", 2, 0, NULL, LOFT_DATE_NOW, NULL), LOFT_EPERM);
    CHECK_STATUS(loft_mailbox_expunge(ro, "1"), LOFT_EPERM);
    CHECK(loft_mailbox_message_count(ro) == 3);

    /* A message handle taken before an expunge: gone by UID afterwards. */
    loft_message *doomed = NULL;
    CHECK_OK(loft_message_get_uid(inbox, 2, &doomed));
    CHECK_OK(loft_mailbox_expunge(inbox, "2"));
    CHECK(loft_mailbox_message_count(inbox) == 2);
    CHECK_STATUS(loft_message_get_uid(inbox, 2, &msg), LOFT_ENOTFOUND);
    char *data = NULL;
    size_t size = 0;
    CHECK_STATUS(loft_message_read(doomed, &data, &size), LOFT_ENOTFOUND);
    loft_message_free(doomed);

    CHECK_OK(loft_mailbox_set_flags(inbox, "3", LOFT_FLAGS_ADD, LOFT_FLAG_DELETED, NULL));
    CHECK_OK(loft_mailbox_expunge_deleted(inbox));
    CHECK(loft_mailbox_message_count(inbox) == 1);
    CHECK(search_is(inbox, "ALL", (const uint32_t[]){1, 0}));

    CHECK_OK(loft_mailbox_sync(ro));
    CHECK(loft_mailbox_message_count(ro) == 1);
    loft_mailbox_close(ro);

    /* Move the last message to Archive. */
    loft_mailbox *archive = NULL;
    CHECK_OK(loft_mailbox_open(user, "Archive", 0, &archive));
    CHECK_OK(loft_mailbox_copy(inbox, "1", archive, 0));
    CHECK(loft_mailbox_message_count(archive) == 1);
    CHECK(loft_mailbox_message_count(inbox) == 1);
    CHECK_OK(loft_mailbox_copy(inbox, "1:*", archive, 1));
    CHECK(loft_mailbox_message_count(archive) == 2);
    CHECK(loft_mailbox_message_count(inbox) == 0);
    CHECK_OK(loft_message_get(archive, 2, &msg));
    CHECK(loft_message_internal_date(msg) == 1767610800);
    CHECK(loft_message_flags(msg) == (LOFT_FLAG_FLAGGED | LOFT_FLAG_SEEN));
    loft_message_free(msg);
    CHECK_STATUS(loft_mailbox_copy(archive, "1", archive, 0), LOFT_EINVAL);
    loft_mailbox_close(archive);

    loft_mailbox_status st;
    CHECK_OK(loft_mailbox_status_get(user, "Archive", &st));
    CHECK(st.messages == 2 && st.uidnext == 3);
    CHECK_STATUS(loft_mailbox_status_get(user, "Nope", &st), LOFT_ENOTFOUND);
}

/* Handles of their own in each thread: four threads save into one INBOX
 * at once, each through its own user and mailbox handles; every message
 * gets its own UID and none is lost. */
enum { SAVE_THREADS = 4, SAVES_PER_THREAD = 15 };

static int save_worker(void *arg) {
    const char *home = arg;
    loft_user *user = NULL;
    loft_mailbox *mb = NULL;
    int saved = 0;
    if (loft_user_open(home, "maildir:~/Maildir", &user) != LOFT_OK)
        return 0;
    if (loft_mailbox_open(user, "Threads", 0, &mb) == LOFT_OK) {
        for (int i = 0; i < SAVES_PER_THREAD; i++) {
            char text[128];
            int n = snprintf(text, sizeof text, "Subject: thread message %d\n\nbody\n", i);
            uint32_t uid = 0;
            if (loft_mailbox_save(mb, text, (size_t)n, 0, NULL, LOFT_DATE_NOW, &uid) == LOFT_OK && uid != 0)
                saved++;
            else
                fprintf(stderr, "thread save failed: %s\n", loft_last_error());
        }
        loft_mailbox_close(mb);
    }
    loft_user_close(user);
    return saved;
}

static void test_threads(const char *home) {
    loft_user *user = NULL;
    CHECK_OK(loft_user_open(home, "maildir:~/Maildir", &user));
    CHECK_OK(loft_mailbox_create(user, "Threads", 0));
    thrd_t threads[SAVE_THREADS];
    for (int i = 0; i < SAVE_THREADS; i++)
        CHECK(thrd_create(&threads[i], save_worker, (void *)home) == thrd_success);
    int total = 0;
    for (int i = 0; i < SAVE_THREADS; i++) {
        int saved = 0;
        CHECK(thrd_join(threads[i], &saved) == thrd_success);
        total += saved;
    }
    CHECK(total == SAVE_THREADS * SAVES_PER_THREAD);
    loft_mailbox *mb = NULL;
    CHECK_OK(loft_mailbox_open(user, "Threads", LOFT_OPEN_READONLY, &mb));
    CHECK(loft_mailbox_message_count(mb) == SAVE_THREADS * SAVES_PER_THREAD);
    loft_mailbox_status st;
    CHECK_OK(loft_mailbox_get_status(mb, &st));
    CHECK(st.uidnext == SAVE_THREADS * SAVES_PER_THREAD + 1);
    loft_mailbox_close(mb);
    loft_user_close(user);
}

/* A config with a passwd-file passdb/userdb for alice (password "secret")
 * and mail under tmpdir/mail/%u. */
static void write_config(char *config_path, size_t size) {
    char passwd[512], text[2048];
    snprintf(passwd, sizeof passwd, "%s/passwd", tmpdir);
    snprintf(text, sizeof text, "alice:{PLAIN}secret::::%s/mail/alice::\n", tmpdir);
    write_file(passwd, text);
    snprintf(config_path, size, "%s/loft.conf", tmpdir);
    snprintf(text, sizeof text,
             "base_dir = %s/run\n"
             "log_path = %s/loft.log\n"
             "mail_location = maildir:~/Maildir\n"
             "recipient_delimiter = +\n"
             "lda_mailbox_autocreate = yes\n"
             "passdb {\n  driver = passwd-file\n  args = %s\n}\n"
             "userdb {\n  driver = passwd-file\n  args = %s\n}\n",
             tmpdir, tmpdir, passwd, passwd);
    write_file(config_path, text);
}

static void test_config_user(const char *config) {
    loft_user *user = NULL;
    CHECK_OK(loft_user_open_config(config, "alice", &user));
    if (user == NULL)
        return;
    CHECK(strcmp(loft_user_name(user), "alice") == 0);
    char home[512];
    snprintf(home, sizeof home, "%s/mail/alice", tmpdir);
    CHECK(strcmp(loft_user_home(user), home) == 0);
    CHECK(list_has(user, "INBOX") == 1);
    loft_user_close(user);
    CHECK_STATUS(loft_user_open_config(config, "mallory", &user), LOFT_ENOTFOUND);
    CHECK(user == NULL);
    CHECK_STATUS(loft_user_open_config(config, "", &user), LOFT_EINVAL);
}

static void test_passwords(const char *config) {
    CHECK_OK(loft_verify_password(config, "alice", "secret"));
    CHECK_STATUS(loft_verify_password(config, "alice", "wrong"), LOFT_EAUTH);
    CHECK_STATUS(loft_verify_password(config, "mallory", "secret"), LOFT_EAUTH);
    char bad[512];
    snprintf(bad, sizeof bad, "%s/bad.conf", tmpdir);
    write_file(bad, "no_such_setting = 1\n");
    CHECK_STATUS(loft_verify_password(bad, "alice", "secret"), LOFT_EINVAL);
    CHECK(strstr(loft_last_error(), "bad.conf:1") != NULL);
}

static void test_delivery(const char *config) {
    static const char message[] = "From: carol@example.net\nSubject: delivered\n\nHi Alice.\n";
    int code = -1;
    CHECK_OK(loft_deliver(config, "alice", NULL, "carol@example.net", message, strlen(message), &code));
    CHECK(code == 250);
    CHECK_OK(loft_deliver(config, "alice+lists", "Lists", NULL, message, strlen(message), &code));

    /* From a pipe, as a delivery agent reads stdin. */
    int fds[2];
    CHECK(pipe(fds) == 0);
    CHECK(write(fds[1], message, strlen(message)) == (ssize_t)strlen(message));
    close(fds[1]);
    CHECK_OK(loft_deliver_fd(config, "alice", NULL, NULL, fds[0], &code));
    close(fds[0]);

    CHECK_STATUS(loft_deliver(config, "mallory", NULL, NULL, message, strlen(message), &code), LOFT_ENOTFOUND);
    CHECK(code == 0);
    CHECK_STATUS(loft_deliver(config, "alice", NULL, NULL, "", 0, &code), LOFT_EREJECTED);
    CHECK(code == 554);
    /* A missing config is not an unknown user: an MTA must not bounce. */
    CHECK_STATUS(loft_deliver("/nonexistent/loft.conf", "alice", NULL, NULL, message, strlen(message), &code),
                 LOFT_EINVAL);
    CHECK_STATUS(loft_deliver_fd(config, "alice", NULL, NULL, -1, &code), LOFT_EINVAL);

    loft_user *user = NULL;
    CHECK_OK(loft_user_open_config(config, "alice", &user));
    loft_mailbox *inbox = NULL;
    CHECK_OK(loft_mailbox_open(user, "INBOX", LOFT_OPEN_READONLY, &inbox));
    CHECK(loft_mailbox_message_count(inbox) == 2);
    loft_message *msg = NULL;
    char *value = NULL;
    CHECK_OK(loft_message_get(inbox, 1, &msg));
    CHECK_OK(loft_message_header(msg, "Subject", 0, LOFT_DECODED, &value));
    CHECK(value != NULL && strcmp(value, "delivered") == 0);
    loft_free(value);
    /* As loft-lda (and Dovecot 2.3's LDA): the message is stored as given. */
    char *data = NULL;
    size_t size = 0;
    CHECK_OK(loft_message_read(msg, &data, &size));
    CHECK(size == strlen(message) && data != NULL && memcmp(data, message, size) == 0);
    loft_free(data);
    loft_message_free(msg);
    loft_mailbox_close(inbox);
    loft_mailbox *lists = NULL;
    CHECK_OK(loft_mailbox_open(user, "Lists", LOFT_OPEN_READONLY, &lists));
    CHECK(loft_mailbox_message_count(lists) == 1);
    loft_mailbox_close(lists);
    loft_user_close(user);
}

int main(void) {
    /* The library's info lines (one per opened mailbox) would clutter the
     * test log: warnings and errors only. */
    CHECK_OK(loft_log_configure(NULL, NULL));
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/loft-capi-XXXXXX", base && *base ? base : "/tmp");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 99;
    }

    test_errors_without_handles();

    char home[512];
    snprintf(home, sizeof home, "%s/home/alice", tmpdir);
    loft_user *user = NULL;
    CHECK_OK(loft_user_open(home, "maildir:~/Maildir", &user));
    if (user != NULL) {
        CHECK(strcmp(loft_user_name(user), "alice") == 0);
        CHECK(strcmp(loft_user_home(user), home) == 0);
        test_mailboxes(user);
        loft_mailbox *inbox = NULL;
        CHECK_OK(loft_mailbox_open(user, "INBOX", LOFT_OPEN_READWRITE, &inbox));
        if (inbox != NULL) {
            CHECK(strcmp(loft_mailbox_name(inbox), "INBOX") == 0);
            uint32_t uids[3] = {0, 0, 0};
            save_messages(inbox, uids);
            test_iterate(inbox);
            test_search(inbox);
            test_read_parts(inbox);
            test_changes(user, inbox);
            loft_mailbox_close(inbox);
        }
        loft_user_close(user);
        test_threads(home);
    }

    char config[512];
    write_config(config, sizeof config);
    test_config_user(config);
    test_passwords(config);
    test_delivery(config);

    nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    else
        printf("all C API checks passed\n");
    return failures ? 1 : 0;
}
