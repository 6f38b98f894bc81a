// IMAP URL parsing.
