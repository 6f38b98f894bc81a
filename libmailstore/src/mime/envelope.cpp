// IMAP ENVELOPE (RFC 3501 §7.4.2) from a header, matching what Dovecot 2.3
// sends (each rule below was checked against Dovecot's FETCH ENVELOPE).
#include <mailstore/mime/envelope.hpp>

#include "addr_parse.hpp"
#include "text_util.hpp"

#include <string_view>

namespace mailstore::mime {
namespace {

// The field value as ENVELOPE takes it: whitespace after the colon skipped
// (only on the first line), the rest kept, folding, bare CRs and NULs
// included; the IMAP writer cleans them as Dovecot does.
//
// Except on a first line of 8190 bytes or more (invalid anyway: RFC 5322
// §2.1.1 allows 998): Dovecot's header parser reads such a line in pieces
// and keeps the whitespace, so "Subject:" + 8181 bytes is sent as a literal
// and "In-Reply-To: <8178 bytes>" with its leading space.
constexpr std::size_t dovecot_long_line = 8190;

std::string_view skip_leading_wsp(const HeaderField& field)
{
    std::string_view v = field.value;
    std::size_t first_line = field.raw.find_first_of("\r\n");
    if (first_line == std::string_view::npos) first_line = field.raw.size();
    if (first_line >= dovecot_long_line) return v;
    std::size_t i = 0;
    while (i < v.size() && detail::is_wsp(v[i])) ++i;
    return v.substr(i);
}

void add_addresses(std::vector<EnvelopeAddress>& list, std::string_view value)
{
    for (const auto& raw : detail::parse_raw_addresses(value)) list.push_back(detail::envelope_address(raw));
}

} // namespace

EnvelopeAddress detail::envelope_address(const detail::RawAddress& raw)
{
    using Kind = detail::RawAddress::Kind;
    EnvelopeAddress e;
    switch (raw.kind) {
    case Kind::group_start:
        e.mailbox = raw.name.value_or("");
        break;
    case Kind::group_end:
        break;
    case Kind::mailbox:
        if (raw.name) e.name = *raw.name;
        if (raw.invalid_route)
            e.adl = "INVALID_ROUTE";
        else if (raw.route)
            e.adl = *raw.route;
        // Dovecot fills what is missing with placeholders rather than NIL,
        // which RFC 3501 reserves for group markers.
        // An empty quoted local part ("" @b) stays "": only an absent one
        // is filled in. An empty domain is always filled in.
        e.mailbox = raw.mailbox ? *raw.mailbox : std::string("MISSING_MAILBOX");
        if (raw.syntax_error)
            e.host = "SYNTAX_ERROR";
        else
            e.host = raw.domain && !raw.domain->empty() ? *raw.domain : std::string("MISSING_DOMAIN");
        break;
    }
    return e;
}

Envelope build_envelope(const Header& header)
{
    Envelope env;
    for (const auto& field : header.fields()) {
        if (field.name.empty()) continue;
        std::string_view v = skip_leading_wsp(field);
        const auto& name = field.name;
        // A repeated single-valued field: the last one counts. Address
        // fields given more than once are joined in order.
        if (field_name_equals(name, "Date"))
            env.date = std::string(v);
        else if (field_name_equals(name, "Subject"))
            env.subject = std::string(v);
        else if (field_name_equals(name, "Message-ID"))
            env.message_id = std::string(v);
        else if (field_name_equals(name, "In-Reply-To"))
            env.in_reply_to = std::string(v);
        else if (field_name_equals(name, "From"))
            add_addresses(env.from, v);
        else if (field_name_equals(name, "Sender"))
            add_addresses(env.sender, v);
        else if (field_name_equals(name, "Reply-To"))
            add_addresses(env.reply_to, v);
        else if (field_name_equals(name, "To"))
            add_addresses(env.to, v);
        else if (field_name_equals(name, "Cc"))
            add_addresses(env.cc, v);
        else if (field_name_equals(name, "Bcc"))
            add_addresses(env.bcc, v);
    }
    // RFC 3501 §7.4.2: an absent or empty Sender / Reply-To is the From.
    if (env.sender.empty()) env.sender = env.from;
    if (env.reply_to.empty()) env.reply_to = env.from;
    return env;
}

} // namespace mailstore::mime
