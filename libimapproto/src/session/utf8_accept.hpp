// UTF8=ACCEPT (RFC 9755, which obsoletes RFC 6855) for IMAP4rev1 sessions
// that sent ENABLE UTF8=ACCEPT. IMAP4rev2 (RFC 9051) has all of it in its
// base, so the mailbox-name rules ask utf8_names(), which is true for both;
// the rules that exist only in RFC 9755 (the UTF8 APPEND data item, no
// CHARSET after enabling) ask utf8_accept(). What a client sees is in
// docs/imap.md ("UTF8=ACCEPT").
//
// Quoted strings: a server that offers UTF8=ACCEPT takes UTF-8 in quoted
// strings (RFC 9755 §3, uQUOTED-CHAR) and answers BAD to 8-bit octets that
// are not UTF-8; the parser checks that for every session after login
// (parser/segment_parser.cpp), since it knows no other session state.
#pragma once

#include "session/context.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace imapproto::detail {

// ENABLE UTF8=ACCEPT succeeded in this session.
inline bool utf8_accept(Context& ctx) {
    return ctx.enabled().utf8_accept;
}

// Mailbox names are UTF-8 both ways, not modified UTF-7: after ENABLE
// UTF8=ACCEPT (RFC 9755 §3) and in IMAP4rev2 (RFC 9051 §5.1).
inline bool utf8_names(Context& ctx) {
    return ctx.enabled().utf8_accept || ctx.enabled().imap4rev2;
}

// APPEND's `UTF8 (literal8)` data item at args[i] ("UTF8"); on success
// returns the literal and moves `i` past the item. nullptr with the BAD
// text in `error` when the session has not enabled UTF8=ACCEPT (the item
// is that extension's syntax) or the item is malformed.
const Arg* utf8_append_data(Context& ctx, const std::vector<Arg>& args, std::size_t& i, std::string& error);

// RFC 9755 §3 (RFC 6855 erratum 4029): once UTF8=ACCEPT is enabled the
// client must not name a charset in SEARCH, and SORT and THREAD take only
// UTF-8. True (and the command answered BAD) when `charset` breaks that.
// `mandatory` is true for SORT and THREAD, whose charset argument is
// required; SEARCH passes the argument after its CHARSET keyword.
bool refuse_charset_after_utf8_accept(Context& ctx, const std::string& charset, bool mandatory);

// RFC 9755 §4: a server that offers UTF8=ACCEPT MUST refuse with NO an
// APPEND from a client that has not enabled it whose message has 8-bit
// octets in its header fields. True (and the command answered "NO
// [CANNOT]") when `data` (the message literal) is such a message in such a
// session. Sessions that enabled UTF8=ACCEPT or IMAP4rev2 (whose base
// allows UTF-8 headers, RFC 9051 Appendix E item 16) may append it, and so
// may every session when an imap_capability list leaves UTF8=ACCEPT out.
bool refuse_8bit_header_append(Context& ctx, const Arg& data);

// Whether the header section of `data` (up to the first empty line, or all
// of it when there is none) has an octet with the high bit set. Reads a
// spooled literal from its file.
bool header_has_8bit(const Arg& data);

// What a session that has not enabled UTF-8 (neither UTF8=ACCEPT nor
// IMAP4rev2) gets of an ENVELOPE, BODY or BODYSTRUCTURE text whose strings
// hold 8-bit octets (a message/global message, or raw UTF-8 in a header):
// RFC 9755 leaves such a client the IMAP4rev1 and RFC 5322 rules, so
// every such string becomes a quoted run of RFC 2047 encoded-words
// ("=?utf-8?b?...?=", "unknown-8bit" when the octets are not UTF-8), as
// RFC 6857 §3 downgrades header fields. Texts without 8-bit octets (the
// common case), and every text for a UTF-8 session, are returned as they
// are. `text` is what fetch_writer.hpp writes (also as cached).
std::string downgrade_shape_for_session(Context& ctx, std::string text);

// The same rewrite without the session check (unit tests, the fuzzer).
std::string downgrade_shape(std::string_view text);

} // namespace imapproto::detail
