// libFuzzer target for the header-value parsers of the message layer. The
// input is read several ways at once:
//  - as one header value: address list (and its format/parse round trip),
//    sort keys, base subject, Message-IDs, dates (format/parse round trips),
//    encoded words, Content-Type/Disposition/Language and their parameters;
//  - as a header block: the ENVELOPE built from it and its IMAP text.
//
// Checks: everything meant for people is valid UTF-8; a well-formed address
// list written out by format_address_list parses back to the same
// addresses; a parsed date prints (RFC 5322 and INTERNALDATE forms) and
// parses back to itself; ENVELOPE is one well-formed IMAP list, its sender
// and reply-to default to from (RFC 3501 §7.4.2); output sizes stay bounded
// by the input size.
#include "fuzz_check.hpp"
#include "imap_syntax.hpp"

#include <imapproto/fetch_writer.hpp>
#include <mailstore/mime/address.hpp>
#include <mailstore/mime/charset.hpp>
#include <mailstore/mime/content_type.hpp>
#include <mailstore/mime/date.hpp>
#include <mailstore/mime/encoded_word.hpp>
#include <mailstore/mime/envelope.hpp>
#include <mailstore/mime/header.hpp>
#include <mailstore/mime/sort_keys.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using mailstore::mime::Address;
using mailstore::mime::is_valid_utf8;

bool is_atext(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

// dot-atom (RFC 5322 §3.2.3): atoms separated by single dots.
bool is_dot_atom(std::string_view s) {
    if (s.empty() || s.front() == '.' || s.back() == '.')
        return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '.') {
            if (s[i + 1] == '.')
                return false;
        } else if (!is_atext(s[i])) {
            return false;
        }
    }
    return true;
}

// A quoted string of printable ASCII with its quotes, escapes only before " and \.
bool is_plain_quoted(std::string_view s) {
    if (s.size() < 2 || s.front() != '"' || s.back() != '"')
        return false;
    for (std::size_t i = 1; i + 1 < s.size(); ++i) {
        char c = s[i];
        if (c < 0x20 || c > 0x7e)
            return false;
        if (c == '"')
            return false;
        if (c == '\\') {
            if (i + 2 >= s.size() || (s[i + 1] != '"' && s[i + 1] != '\\'))
                return false;
            ++i;
        }
    }
    return true;
}

bool is_plain_domain_literal(std::string_view s) {
    if (s.size() < 2 || s.front() != '[' || s.back() != ']')
        return false;
    for (std::size_t i = 1; i + 1 < s.size(); ++i)
        if (s[i] <= 0x20 || s[i] > 0x7e || s[i] == '[' || s[i] == ']' || s[i] == '\\')
            return false;
    return true;
}

// Printable text without controls; whitespace only as single inner spaces
// (what the parser makes of names), no leading or trailing space.
bool is_plain_name(std::string_view s) {
    if (!s.empty() && (s.front() == ' ' || s.back() == ' '))
        return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7f)
            return false;
        if (c == ' ' && i + 1 < s.size() && s[i + 1] == ' ')
            return false;
    }
    return true;
}

bool is_ascii(std::string_view s) {
    for (char c : s)
        if (static_cast<unsigned char>(c) >= 0x80)
            return false;
    return true;
}

bool is_plain_route(std::string_view s) {
    // "@a,@b": domains after '@', separated by commas.
    std::size_t i = 0;
    while (i < s.size()) {
        if (s[i] != '@')
            return false;
        std::size_t end = s.find(',', i);
        if (end == std::string_view::npos)
            end = s.size();
        if (!is_dot_atom(s.substr(i + 1, end - i - 1)))
            return false;
        i = end + 1;
        if (end + 1 == s.size())
            return false;  // trailing comma
    }
    return true;
}

// The list is made only of addresses format_address_list can write without
// losing anything: valid mailboxes with dot-atom or plain quoted local parts
// and dot-atom or literal domains, plain names, and properly nested groups.
bool is_well_formed(const std::vector<Address>& list) {
    bool in_group = false;
    for (const auto& a : list) {
        switch (a.kind) {
        case Address::Kind::group_start:
            if (in_group || !is_plain_name(a.name) || a.name.empty())
                return false;
            in_group = true;
            break;
        case Address::Kind::group_end:
            if (!in_group)
                return false;
            in_group = false;
            break;
        case Address::Kind::mailbox:
            if (a.invalid || !is_plain_name(a.name) || !is_plain_route(a.route))
                return false;
            if (!is_dot_atom(a.local_part) && !is_plain_quoted(a.local_part))
                return false;
            if (!is_dot_atom(a.domain) && !is_plain_domain_literal(a.domain))
                return false;
            break;
        }
    }
    return !in_group;
}

void check_address_round_trip(const std::vector<Address>& list) {
    if (!is_well_formed(list))
        return;
    std::string formatted = mailstore::mime::format_address_list(list);
    auto again = mailstore::mime::parse_address_list(formatted);
    FUZZ_CHECK(again.size() == list.size());
    for (std::size_t i = 0; i < list.size(); ++i) {
        FUZZ_CHECK(again[i].kind == list[i].kind);
        FUZZ_CHECK(again[i].local_part == list[i].local_part);
        FUZZ_CHECK(again[i].domain == list[i].domain);
        FUZZ_CHECK(again[i].route == list[i].route);
        FUZZ_CHECK(!again[i].invalid);
        // An empty name may be written as nothing at all. A name with 8-bit
        // bytes is written as RFC 2047 encoded words: it comes back encoded,
        // and decodes to the original when that was UTF-8.
        const std::string& name = list[i].name;
        if (name.empty())
            FUZZ_CHECK(again[i].name.empty());
        else if (is_ascii(name))
            FUZZ_CHECK(again[i].name == name);
        else if (is_valid_utf8(name) && name.find("=?") == std::string::npos)
            FUZZ_CHECK(mailstore::mime::decoded_name(again[i]) == name);
    }
    // Formatting is stable: the second time gives the same text (names
    // written as encoded words are written again as they now read).
    bool ascii_names = true;
    for (const auto& a : list)
        ascii_names = ascii_names && is_ascii(a.name);
    if (ascii_names)
        FUZZ_CHECK(mailstore::mime::format_address_list(again) == formatted);
}

void check_date_round_trip(const mailstore::mime::DateTime& dt) {
    std::string header_form = mailstore::mime::format_message_date(dt);
    FUZZ_CHECK(mailstore::mime::parse_message_date(header_form) == dt);
    std::string imap_form = mailstore::mime::format_internaldate(dt);
    FUZZ_CHECK(imap_form.size() == 26);  // " 2-Dec-2026 16:35:54 +0000"
    FUZZ_CHECK(mailstore::mime::parse_internaldate(imap_form) == dt);
}

void check_envelope_list(const std::vector<mailstore::mime::EnvelopeAddress>& list) {
    for (const auto& a : list) {
        // A group end is all NIL; a group start has a mailbox but no host.
        if (!a.mailbox)
            FUZZ_CHECK(!a.host);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);

    // Addresses.
    auto list = mailstore::mime::parse_address_list(text);
    FUZZ_CHECK(list.size() <= 2 * size + 2);
    for (const auto& a : list) {
        FUZZ_CHECK(is_valid_utf8(mailstore::mime::decoded_name(a)));
        if (a.kind != Address::Kind::mailbox)
            FUZZ_CHECK(a.local_part.empty() && a.domain.empty());
        if (!a.has_name)
            FUZZ_CHECK(a.name.empty());
    }
    check_address_round_trip(list);
    (void)mailstore::mime::format_address_list(list);
    (void)mailstore::mime::sort_address_key(text);
    // The display key is a decoded name or, without one, the addr-spec as
    // written: valid UTF-8 whenever the input is (8-bit junk in an addr-spec
    // stays as it is; the comparator reads it as U+FFFD).
    const bool utf8_input = is_valid_utf8(text);
    if (utf8_input)
        FUZZ_CHECK(is_valid_utf8(mailstore::mime::sort_display_key(text)));

    // Subjects and Message-IDs.
    bool reply = false;
    std::string subject = mailstore::mime::base_subject(text, &reply);
    FUZZ_CHECK(is_valid_utf8(subject));
    auto ids = mailstore::mime::parse_message_ids(text);
    FUZZ_CHECK(ids.size() <= size + 1);
    if (auto id = mailstore::mime::parse_message_id(text))
        FUZZ_CHECK(id->size() <= size);

    // Dates.
    if (auto dt = mailstore::mime::parse_message_date(text))
        check_date_round_trip(*dt);
    if (auto dt = mailstore::mime::parse_internaldate(text))
        check_date_round_trip(*dt);
    (void)mailstore::mime::parse_search_date(text);

    // Encoded words and decoded values.
    std::string decoded = mailstore::mime::decode_encoded_words(text);
    FUZZ_CHECK(is_valid_utf8(decoded));
    FUZZ_CHECK(is_valid_utf8(mailstore::mime::decoded_value(text)));
    FUZZ_CHECK(is_valid_utf8(mailstore::mime::utf8_or_latin1(text)));

    // Content-* values.
    auto type = mailstore::mime::parse_content_type(text);
    if (type.valid()) {
        FUZZ_CHECK(type.type.find_first_of("/;\r\n") == std::string::npos);
        FUZZ_CHECK(type.subtype.find_first_of(";\r\n") == std::string::npos);
    }
    for (const auto& p : type.params) {
        FUZZ_CHECK(p.name.find_first_of("=;\r\n") == std::string::npos);
        if (auto v = mailstore::mime::decode_parameter(type.params, p.name))
            FUZZ_CHECK(is_valid_utf8(*v));
        FUZZ_CHECK(mailstore::mime::find_parameter(type.params, p.name) != nullptr);
    }
    auto disposition = mailstore::mime::parse_content_disposition(text);
    for (const auto& p : disposition.params)
        if (auto v = mailstore::mime::decode_parameter(disposition.params, p.name))
            FUZZ_CHECK(is_valid_utf8(*v));
    (void)mailstore::mime::parse_parameters(text);
    for (const auto& tag : mailstore::mime::parse_content_language(text))
        FUZZ_CHECK(!tag.empty());
    (void)mailstore::mime::parse_content_id(text);
    FUZZ_CHECK(mailstore::mime::parse_content_location(text).size() <= text.size());
    if (auto md5 = mailstore::mime::parse_content_md5(text))
        FUZZ_CHECK(md5->size() == 16);

    // The input as a header block.
    mailstore::mime::Header header(text);
    auto envelope = mailstore::mime::build_envelope(header);
    if (!envelope.from.empty()) {
        FUZZ_CHECK(!envelope.sender.empty());
        FUZZ_CHECK(!envelope.reply_to.empty());
    }
    for (const auto* l : {&envelope.from, &envelope.sender, &envelope.reply_to, &envelope.to,
                          &envelope.cc, &envelope.bcc})
        check_envelope_list(*l);
    std::string rendered;
    imapproto::write_envelope(rendered, envelope);
    FUZZ_CHECK(fuzz_imap::is_well_formed_list(rendered));
    (void)mailstore::mime::sent_date(header);
    for (const auto& field : header.fields()) {
        FUZZ_CHECK(field.offset <= size && field.raw.size() <= size - field.offset);
        FUZZ_CHECK(field.raw.data() == text.data() + field.offset);
        if (utf8_input && (mailstore::mime::field_name_equals(field.name, "From") ||
                           mailstore::mime::field_name_equals(field.name, "To")))
            FUZZ_CHECK(is_valid_utf8(mailstore::mime::sort_display_key(field.value)));
    }
    return 0;
}
