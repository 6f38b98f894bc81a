// i;unicode-casemap (RFC 5051): the comparator IMAP SEARCH, SORT and Sieve
// use for case-insensitive matching of Unicode text.
#pragma once

#include <mailstore/export.hpp>

#include <string>
#include <string_view>

namespace mailstore::mime {

// The RFC 5051 canonical form: each character titlecased (simple mapping)
// and then fully decomposed (NFKD). Invalid UTF-8 becomes U+FFFD first.
// As RFC 5051 §2 step (2) says, and as Dovecot does, this is done character
// by character: combining marks are not put in canonical order afterwards.
// Not idempotent: "ﬁ" (no simple titlecase) decomposes to lower-case "fi".
// Two strings match case-insensitively when their casemaps are equal.
MAILSTORE_API std::string casemap(std::string_view utf8);

// Compares casemap(a) with casemap(b) octet by octet (RFC 5051 §2): -1, 0, 1.
MAILSTORE_API int casemap_compare(std::string_view a, std::string_view b);

// Whether `needle` occurs in `haystack` under i;unicode-casemap. Both are
// UTF-8; an empty needle matches.
// The haystack is casemapped in pieces of about 64 KiB, never whole, so a
// 10 MB body costs one pass and bounded memory; invalid UTF-8 in either is
// U+FFFD (so it matches only U+FFFD).
MAILSTORE_API bool casemap_contains(std::string_view haystack, std::string_view needle);

// A needle casemapped once, for matching it against many haystacks (every
// part of a message, every message of a SEARCH). found_in(h) is
// casemap_contains(h, needle).
class MAILSTORE_API CasemapMatcher {
public:
    explicit CasemapMatcher(std::string_view needle);
    bool found_in(std::string_view haystack) const;
    // casemap(needle).
    const std::string& folded_needle() const { return needle_; }
private:
    std::string needle_;
};

// found_in() over a haystack that arrives in pieces, cut anywhere (even
// inside a UTF-8 character): feed() the pieces in order, then finish().
// A match across piece boundaries counts; reset() (or finish()) starts a new
// haystack, and no match spans two haystacks. Memory stays about 64 KiB plus
// the needle's length, whatever the size of the pieces or the haystack.
// The matcher must outlive the search.
class MAILSTORE_API CasemapSearch {
public:
    explicit CasemapSearch(const CasemapMatcher& matcher) : needle_(&matcher.folded_needle()) {}
    // Returns found().
    bool feed(std::string_view utf8);
    // Ends the haystack (an incomplete character at its end is U+FFFD, as
    // found_in reads it); returns whether the needle occurred in it, then
    // resets.
    bool finish();
    // Whether the needle occurred in what was fed since the last reset.
    bool found() const { return found_; }
    void reset();
private:
    void scan(std::string_view complete_utf8);
    const std::string* needle_;
    std::string window_;  // casemapped text: the last needle-1 bytes plus the newest piece
    std::string carry_;   // an incomplete character held back for the next piece
    bool found_ = false;
    bool started_ = false;
};

} // namespace mailstore::mime
