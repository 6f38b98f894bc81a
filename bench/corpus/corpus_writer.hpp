// Writes a generated corpus to disk: a Maildir as Dovecot's deliveries leave
// it (files in cur/ named <time>.M<usec>P<pid>.<host>,S=<size>,W=<vsize>:2,<flags>,
// mtime = delivery time, and a dovecot-uidlist so that every server numbers
// the messages alike), or an mbox. A fixture: nothing is fsynced.
#pragma once

#include "corpus/generator.hpp"

#include <cstdint>
#include <cstdio>
#include <string>

namespace corpus {

struct WriteOptions {
    std::uint64_t seed = 1;
    std::uint64_t count = 0;
    Options generator;
    // Fraction of messages flagged \Seen (":2,S"), drawn per message from
    // its own random sequence, so it does not change the messages' bytes.
    double seen_fraction = 0.7;
    std::string host = "corpus.bench";         // the host part of the file names
    std::uint32_t uidvalidity = 1735689600;
    // Optional: one tab-separated line per message (see write_manifest_header).
    std::FILE* manifest = nullptr;
};

struct WriteResult {
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
    std::string error;  // empty on success
};

// DIR/{cur,new,tmp} are created; DIR must not hold messages yet.
WriteResult write_maildir(const std::string& dir, const WriteOptions& options);
// One file, mboxrd ("From " lines in bodies quoted with ">"), LF line ends.
WriteResult write_mbox(const std::string& path, const WriteOptions& options);

// The manifest's columns: uid, file name (Maildir) or "-", size, vsize,
// received, date (Unix seconds), thread id, parts, attachments, has_needle,
// from_term, seen, from address, message-id.
void write_manifest_header(std::FILE* f);

} // namespace corpus
