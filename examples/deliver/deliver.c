/*
 * loft-deliver: delivers the message on stdin to one user, through Loft's
 * delivery pipeline, with the C API (loft/mailstore.h). A small
 * sendmail-style delivery agent: an MTA pipes the message in and reads the
 * exit status (sysexits.h values, as loft-lda and dovecot-lda use them).
 *
 *   loft-deliver -c /etc/loft/loft.conf [-m MAILBOX] [-f SENDER] RECIPIENT < message
 *
 * Build: cc deliver.c $(pkg-config --cflags --libs mailstore) -o loft-deliver
 */
#define _POSIX_C_SOURCE 200809L

#include <loft/mailstore.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* sysexits.h: what MTAs (Postfix pipe(8), sendmail) understand. */
enum {
    EXIT_DELIVERED = 0,
    EXIT_USAGE = 64,    /* EX_USAGE: bad command line */
    EXIT_NOUSER = 67,   /* EX_NOUSER: unknown recipient (bounce) */
    EXIT_TEMPFAIL = 75, /* EX_TEMPFAIL: try again later (the MTA keeps the message) */
    EXIT_NOPERM = 77    /* EX_NOPERM: refused for good (bounce) */
};

static int usage(void) {
    fputs("usage: loft-deliver -c CONFIG [-m MAILBOX] [-f SENDER] RECIPIENT < message\n", stderr);
    return EXIT_USAGE;
}

/* The exit status for a delivery result. A quota failure is temporary or
 * permanent depending on the reply code the pipeline chose
 * (quota_full_tempfail). Anything unexpected is temporary: the MTA keeps the
 * message and retries, which never loses mail. */
static int exit_status(loft_status status, int smtp_code) {
    switch (status) {
    case LOFT_OK:
        return EXIT_DELIVERED;
    case LOFT_ENOTFOUND:
        return EXIT_NOUSER;
    case LOFT_EREJECTED:
        return EXIT_NOPERM;
    case LOFT_EQUOTA:
        return smtp_code >= 500 ? EXIT_NOPERM : EXIT_TEMPFAIL;
    default:
        return EXIT_TEMPFAIL;
    }
}

int main(int argc, char **argv) {
    const char *config = NULL;
    const char *mailbox = NULL;
    const char *sender = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "c:m:f:")) != -1) {
        switch (opt) {
        case 'c':
            config = optarg;
            break;
        case 'm':
            mailbox = optarg;
            break;
        case 'f':
            sender = optarg;
            break;
        default:
            return usage();
        }
    }
    if (config == NULL || optind != argc - 1)
        return usage();
    const char *recipient = argv[optind];

    /* Log where the config says (log_path ...), as loft-lda does. */
    if (loft_log_configure(config, "lda") != LOFT_OK)
        fprintf(stderr, "loft-deliver: warning: %s\n", loft_last_error());

    /* The message is streamed from stdin into a temporary file, never held
     * whole in memory; LOFT_OK means it is on disk (mail_fsync). */
    int smtp_code = 0;
    loft_status status = loft_deliver_fd(config, recipient, mailbox, sender, STDIN_FILENO, &smtp_code);
    if (status != LOFT_OK)
        fprintf(stderr, "loft-deliver: %s: %s\n", loft_strerror(status), loft_last_error());
    return exit_status(status, smtp_code);
}
