// Keys for SORT and THREAD (RFC 5256) and SORT=DISPLAY (RFC 5957).
#include <mailstore/mime/sort_keys.hpp>

#include <mailstore/mime/encoded_word.hpp>

#include "addr_parse.hpp"
#include "text_util.hpp"

namespace mailstore::mime {
namespace {

using detail::is_wsp;
using detail::istarts_with;

// subj-blob = "[" *BLOBCHAR "]" *WSP at `pos`: the offset after it, or npos.
// Stops at the first bracket, so a failed attempt costs only up to there.
std::size_t match_blob(std::string_view s, std::size_t pos)
{
    if (pos >= s.size() || s[pos] != '[') return std::string_view::npos;
    std::size_t i = pos + 1;
    while (i < s.size() && s[i] != '[' && s[i] != ']') ++i;
    if (i >= s.size() || s[i] != ']') return std::string_view::npos;
    ++i;
    while (i < s.size() && is_wsp(s[i])) ++i;
    return i;
}

// subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"
std::size_t match_refwd(std::string_view s, std::size_t pos)
{
    std::string_view r = s.substr(pos);
    std::size_t i;
    if (istarts_with(r, "re"))
        i = 2;
    else if (istarts_with(r, "fwd"))
        i = 3;
    else if (istarts_with(r, "fw"))
        i = 2;
    else
        return std::string_view::npos;
    i += pos;
    while (i < s.size() && is_wsp(s[i])) ++i;
    std::size_t after_blob = match_blob(s, i);
    if (after_blob != std::string_view::npos) i = after_blob;
    if (i >= s.size() || s[i] != ':') return std::string_view::npos;
    return i + 1;
}

} // namespace

std::string base_subject(std::string_view raw_subject, bool* is_reply_or_forward)
{
    // (1) Decode, tabs and continuations to spaces, runs of spaces to one.
    std::string decoded = decode_encoded_words(raw_subject);
    std::string text;
    text.reserve(decoded.size());
    for (char c : decoded) {
        if (c == '\t' || c == '\r' || c == '\n') c = ' ';
        if (c == ' ' && !text.empty() && text.back() == ' ') continue;
        text.push_back(c);
    }
    std::string_view s = text;
    bool refwd = false;
    for (;;) {
        // (2) Trailing subj-trailer: "(fwd)" or WSP, repeatedly.
        for (;;) {
            if (!s.empty() && is_wsp(s.back())) {
                s.remove_suffix(1);
            } else if (s.size() >= 5 && istarts_with(s.substr(s.size() - 5), "(fwd)")) {
                s.remove_suffix(5);
                refwd = true;
            } else {
                break;
            }
        }
        // (3)-(5) Leading subj-leader, then a subj-blob that is not all
        // that is left, until neither matches.
        for (;;) {
            if (!s.empty() && is_wsp(s.front())) {
                s.remove_prefix(1);
                continue;
            }
            std::size_t pos = 0;
            std::size_t last_blob = std::string_view::npos;
            for (;;) {
                std::size_t next = match_blob(s, pos);
                if (next == std::string_view::npos) break;
                last_blob = pos;
                pos = next;
            }
            std::size_t end = match_refwd(s, pos);
            if (end != std::string_view::npos) {
                s.remove_prefix(end);
                refwd = true;
                continue;
            }
            if (last_blob == std::string_view::npos) break;
            // (4) repeated: the blobs go one by one, (3) failing the same way
            // after each, and the last stays only when nothing follows it.
            if (pos < s.size())
                s.remove_prefix(pos);
            else if (last_blob > 0)
                s.remove_prefix(last_blob);
            else
                break;
        }
        // (6) "[fwd: ... ]" wrapper.
        if (s.size() >= 6 && istarts_with(s, "[fwd:") && s.back() == ']') {
            s = s.substr(5, s.size() - 6);
            refwd = true;
            continue;
        }
        break;
    }
    if (is_reply_or_forward) *is_reply_or_forward = refwd;
    return std::string(s);
}

namespace {

// One msg-id (RFC 5322 §3.6.4 with the obsolete forms of §4.5.4) starting
// at or after `pos`: the text between '<' and '>' with CFWS removed and
// quoted strings unquoted. Junk before it is skipped; `pos` moves past it.
// Unlike Dovecot, a '<' inside a comment does not start a msg-id (RFC 5322
// §3.2.2: a comment is CFWS), and "<junk <a@b>" yields a@b.
std::optional<std::string> next_message_id(std::string_view s, std::size_t& pos)
{
    while (pos < s.size()) {
        // Find '<', skipping comments (which may hold '<').
        while (pos < s.size() && s[pos] != '<') {
            pos = s[pos] == '(' ? detail::comment_end(s, pos) : pos + 1;
        }
        if (pos >= s.size()) return std::nullopt;
        ++pos;
        std::string id;
        bool restart = false;
        while (pos < s.size() && s[pos] != '>') {
            char c = s[pos];
            if (c == '<') {  // "<junk <real@id>": start over at this '<'
                restart = true;
                break;
            }
            if (detail::is_lwsp(c)) {
                ++pos;
            } else if (c == '(') {
                pos = detail::comment_end(s, pos);
            } else if (c == '"') {
                // A quoted local part is compared unquoted: <"a"@b> is
                // <a@b> (Dovecot threads them together).
                ++pos;
                while (pos < s.size() && s[pos] != '"') {
                    if (s[pos] == '\\' && pos + 1 < s.size()) ++pos;
                    id.push_back(s[pos]);
                    ++pos;
                }
                if (pos < s.size()) ++pos;
            } else {
                id.push_back(c);
                ++pos;
            }
        }
        if (restart) continue;
        if (pos >= s.size()) return std::nullopt;  // no closing '>'
        ++pos;
        // msg-id = "<" id-left "@" id-right ">" (RFC 5322 §3.6.4): without
        // both sides it is junk ("<1234>"; Dovecot skips it too).
        std::size_t at = id.find('@');
        if (at != std::string::npos && at > 0 && at + 1 < id.size()) return id;
    }
    return std::nullopt;
}

} // namespace

std::optional<std::string> parse_message_id(std::string_view value)
{
    std::size_t pos = 0;
    return next_message_id(value, pos);
}

std::vector<std::string> parse_message_ids(std::string_view value)
{
    std::vector<std::string> ids;
    std::size_t pos = 0;
    while (auto id = next_message_id(value, pos)) ids.push_back(std::move(*id));
    return ids;
}

// Both keys come from the first address as ENVELOPE shows it, placeholders
// included: Dovecot sorts "Name <>" under "MISSING_MAILBOX" and shows
// "userwithoutat" as "userwithoutat@MISSING_DOMAIN" (checked with its SORT).
std::string sort_address_key(std::string_view raw_value)
{
    // RFC 5256 §3: addr-mailbox of the first address; for a group that is
    // the group start, whose addr-mailbox is the group name (RFC 3501 §7.4.2).
    auto list = detail::parse_raw_addresses(raw_value);
    if (list.empty()) return {};
    return detail::envelope_address(list.front()).mailbox.value_or("");
}

std::string sort_display_key(std::string_view raw_value)
{
    auto list = detail::parse_raw_addresses(raw_value);
    if (list.empty()) return {};
    // RFC 5957 §3: the display name, RFC 2047-decoded (as written otherwise:
    // Dovecot keeps its spaces); else the addr-spec. A group shows its name.
    EnvelopeAddress first = detail::envelope_address(list.front());
    if (first.name && !first.name->empty()) return decode_encoded_words(*first.name);
    if (!first.host) return decode_encoded_words(first.mailbox.value_or(""));
    return first.mailbox.value_or("") + "@" + *first.host;
}

std::optional<DateTime> sent_date(const Header& header)
{
    const HeaderField* date = header.first("Date");
    if (!date) return std::nullopt;
    return parse_message_date(date->value);
}

} // namespace mailstore::mime
