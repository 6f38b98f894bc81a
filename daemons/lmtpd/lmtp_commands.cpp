// LHLO, MAIL, RCPT, RSET, NOOP, QUIT, VRFY, HELP and STARTTLS (RFC 2033
// §4.1, RFC 5321 §4.1.1). Reply texts are Dovecot 2.3.19's where it has the
// command (docs/lmtp.md lists them).
#include "lmtp_session_impl.hpp"
#include "smtp_path.hpp"

namespace lmtpd {

std::string Session::Impl::capabilities() const {
    // Dovecot's order (alphabetical after the host name), with the
    // extensions Loft adds in their places. RFC 2034 ENHANCEDSTATUSCODES,
    // RFC 2920 PIPELINING, RFC 3030 CHUNKING and BINARYMIME, RFC 1870 SIZE,
    // RFC 6152 8BITMIME, RFC 6531 SMTPUTF8, RFC 3207 STARTTLS.
    std::vector<std::string> lines;
    lines.push_back(hostname);
    lines.push_back("8BITMIME");
    lines.push_back("BINARYMIME");
    lines.push_back("CHUNKING");
    lines.push_back("ENHANCEDSTATUSCODES");
    lines.push_back("PIPELINING");
    lines.push_back(max_message_size != 0 ? "SIZE " + std::to_string(max_message_size) : std::string("SIZE"));
    lines.push_back("SMTPUTF8");
    if (o.starttls_available && !tls_active)
        lines.push_back("STARTTLS");
    if (o.xclient_allowed)
        lines.push_back("XCLIENT ADDR PORT PROTO HELO LOGIN NAME");
    std::string text;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        text += i + 1 < lines.size() ? "250-" : "250 ";
        text += lines[i];
        text += "\r\n";
    }
    return text;
}

void Session::Impl::cmd_lhlo(std::string_view args) {
    // RFC 2033 §4.1: LHLO SP Domain. Dovecot takes any word here (a
    // client's idea of its name is only ever shown in Received).
    std::string_view name = args.substr(0, args.find(' '));
    if (name.empty()) {
        bad_command(501, "5.5.4 Missing hostname");
        return;
    }
    // RFC 5321 §4.1.4: EHLO (here LHLO) resets the transaction.
    reset_transaction();
    helo = std::string(name);
    out += capabilities();
}

void Session::Impl::cmd_mail(std::string_view args) {
    if (mail_given) {
        reply(503, "5.5.0 MAIL already given");
        return;
    }
    PathArgument path;
    if (auto err = parse_path_argument(args, "FROM", "MAIL", path)) {
        bad_command(err->code, err->text);
        return;
    }
    std::optional<std::uint64_t> size;
    std::optional<std::string> body;
    bool smtputf8 = false;
    bool have_ret = false;
    bool have_envid = false;
    for (const Parameter& p : path.parameters) {
        if (p.keyword == "SIZE") {
            // RFC 1870 §6: SIZE=size-value, 1*20DIGIT.
            if (size) {
                bad_command(501, "5.5.4 Duplicate SIZE= parameter");
                return;
            }
            size = p.value ? parse_decimal_saturating(*p.value) : std::nullopt;
            if (!size) {
                bad_command(501, "5.5.4 Invalid SIZE parameter");
                return;
            }
        } else if (p.keyword == "BODY") {
            if (body) {
                bad_command(501, "5.5.4 Duplicate BODY= parameter");
                return;
            }
            if (!p.value) {
                bad_command(501, "5.5.4 Invalid BODY parameter");
                return;
            }
            if (iequals_ascii(*p.value, "7BIT"))
                body = "7BIT";
            else if (iequals_ascii(*p.value, "8BITMIME"))
                body = "8BITMIME";
            else if (iequals_ascii(*p.value, "BINARYMIME"))
                body = "BINARYMIME";
            else {
                reply(555, "5.5.4 Unsupported mail BODY type");
                return;
            }
        } else if (p.keyword == "SMTPUTF8") {
            // RFC 6531 §3.4: a keyword without a value.
            if (p.value || smtputf8) {
                bad_command(501, "5.5.4 Invalid SMTPUTF8 parameter");
                return;
            }
            smtputf8 = true;
        } else if (p.keyword == "RET") {
            // RFC 3461 §4.3; accepted for Postfix's DSN-aware clients.
            // Loft's LMTP does not advertise DSN and sends no DSNs itself.
            if (have_ret || !p.value || !(iequals_ascii(*p.value, "FULL") || iequals_ascii(*p.value, "HDRS"))) {
                bad_command(501, "5.5.4 Invalid RET parameter");
                return;
            }
            have_ret = true;
        } else if (p.keyword == "ENVID") {
            // RFC 3461 §4.4: xtext, at most 100 characters.
            std::optional<std::string> decoded = p.value ? decode_xtext(*p.value) : std::nullopt;
            if (have_envid || !decoded || decoded->empty() || decoded->size() > kMaxEnvidLength) {
                bad_command(501, "5.5.4 Invalid ENVID parameter");
                return;
            }
            have_envid = true;
        } else {
            reply(555, "5.5.4 Unsupported parameters");
            return;
        }
    }
    // RFC 1870 §6.1: a declared size over the fixed maximum
    // (lmtp_max_mail_size, else the storage's largest message) is refused
    // at MAIL time. The grammar is 1*20DIGIT: a longer SIZE is a syntax error
    // (501 above, from parse_decimal_saturating), a 20-digit one past 2^64
    // saturates and is refused here as too big.
    if (size && *size > spool_limit) {
        reply(552, "5.3.4 Message size exceeds fixed maximum message size");
        return;
    }
    // RFC 6531 §3.5: a non-ASCII address needs SMTPUTF8 on MAIL.
    if (path.non_ascii && !smtputf8) {
        reply(553, "5.6.7 Non-ASCII addresses not permitted for that sender");
        return;
    }
    mail_given = true;
    ++transactions;
    envelope = mailstore::delivery::Envelope{};
    envelope.mail_from = path.null_path ? std::string() : path.address;
    envelope.helo = helo;
    envelope.remote_ip = remote_ip;
    envelope.remote_host = remote_host;
    envelope.protocol = "LMTP";
    // Dovecot: the first transaction has the session id, later ones
    // "<session>:T<n>".
    envelope.session_id = transactions == 1 ? session_id : session_id + ":T" + std::to_string(transactions);
    envelope.body_8bitmime = body && *body == "8BITMIME";
    envelope.body_binarymime = body && *body == "BINARYMIME";
    envelope.smtputf8 = smtputf8;
    reply(250, "2.1.0 OK");
}

void Session::Impl::cmd_rcpt(std::string_view args) {
    if (!mail_given) {
        reply(503, "5.5.0 MAIL needed first");
        return;
    }
    if (bdat_started) {
        // RFC 3030 §2: after the first BDAT only BDAT (or RSET) may follow.
        reply(503, "5.5.0 Bad sequence of commands");
        return;
    }
    PathArgument path;
    if (auto err = parse_path_argument(args, "TO", "RCPT", path)) {
        bad_command(err->code, err->text);
        return;
    }
    if (path.null_path) {
        bad_command(501, "5.5.4 Invalid TO: Null path not allowed");
        return;
    }
    std::string original;
    bool have_orcpt = false;
    for (const Parameter& p : path.parameters) {
        if (p.keyword == "ORCPT") {
            // RFC 3461 §4.2: ORCPT=addr-type ";" xtext.
            const std::string_view value = p.value ? std::string_view(*p.value) : std::string_view();
            const std::size_t semi = value.find(';');
            std::optional<std::string> decoded =
                semi == std::string_view::npos ? std::nullopt : decode_xtext(value.substr(semi + 1));
            if (have_orcpt || semi == 0 || !decoded || decoded->empty()) {
                bad_command(501, "5.5.4 Invalid ORCPT parameter");
                return;
            }
            have_orcpt = true;
            // Only an RFC 822 address means anything to delivery
            // (Delivered-To with lmtp_hdr_delivery_address = original).
            if (iequals_ascii(value.substr(0, semi), "rfc822"))
                original = std::move(*decoded);
        } else {
            reply(555, "5.5.4 Unsupported parameters");
            return;
        }
    }
    const std::string& address = path.address;
    if (path.non_ascii && !envelope.smtputf8) {
        reply(553, "5.6.7 Non-ASCII addresses not permitted for that recipient");
        return;
    }
    if (recipients.size() >= max_recipients) {
        // RFC 5321 §4.5.3.1.10: the client sends the rest in a later
        // transaction.
        reply(452, "4.5.3 Too many recipients");
        return;
    }
    const mailstore::delivery::AddressParts parts =
        o.deliverer ? o.deliverer->split_address(address) : mailstore::delivery::AddressParts{address, {}};
    mailstore::auth::LookupResult found;
    if (o.userdb) {
        found = o.userdb->lookup_user(parts.user, lookup_client());
    } else {
        found.kind = mailstore::auth::LookupResult::Kind::temporary_failure;
        found.error = "no userdb";
    }
    switch (found.kind) {
    case mailstore::auth::LookupResult::Kind::found:
        break;
    case mailstore::auth::LookupResult::Kind::not_found:
        reply(550, "5.1.1 <" + address + "> User doesn't exist: " + address);
        return;
    case mailstore::auth::LookupResult::Kind::temporary_failure:
        o.log.error(envelope.session_id + ": Failed to lookup user " + parts.user + ": " + found.error);
        reply(451, "4.3.0 <" + address + "> Temporary user lookup failure");
        return;
    }
    Accepted acc;
    acc.recipient.address = address;
    acc.recipient.original_address = original;
    acc.recipient.user = found.user.empty() ? parts.user : found.user;
    acc.recipient.detail = parts.detail;
    acc.recipient.userdb_fields = std::move(found.fields);
    recipients.push_back(std::move(acc));
    reply(250, "2.1.5 OK");
}

void Session::Impl::cmd_rset(std::string_view args) {
    if (!args.empty()) {
        bad_command(501, "5.5.4 Invalid parameters");
        return;
    }
    reset_transaction();
    reply(250, "2.0.0 OK");
}

void Session::Impl::cmd_noop(std::string_view) {
    // RFC 5321 §4.1.1.9: NOOP may carry a string, which is ignored.
    reply(250, "2.0.0 OK");
}

void Session::Impl::cmd_quit(std::string_view args) {
    if (!args.empty()) {
        bad_command(501, "5.5.4 Invalid parameters");
        return;
    }
    reply(221, "2.0.0 Bye");
    close("Logged out");
}

void Session::Impl::cmd_vrfy(std::string_view args) {
    if (args.empty()) {
        bad_command(501, "5.5.4 Invalid parameters");
        return;
    }
    if (!is_smtp_string(args)) {
        bad_command(501, "5.5.4 Invalid string parameter");
        return;
    }
    // RFC 5321 §3.5.3: 252 when the server will not verify but will
    // accept mail for the address. The real check is RCPT TO's.
    reply(252, "2.3.3 Try RCPT instead");
}

void Session::Impl::cmd_help(std::string_view) {
    // RFC 5321 §4.5.1 lists HELP in the minimum implementation.
    reply(214, "2.0.0 Commands: LHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY");
}

void Session::Impl::cmd_starttls(std::string_view args) {
    if (!args.empty()) {
        bad_command(501, "5.5.4 Invalid parameters");
        return;
    }
    if (tls_active) {
        reply(502, "5.5.1 TLS is already active.");
        return;
    }
    if (!o.starttls_available) {
        reply(502, "5.5.1 TLS support is not enabled.");
        return;
    }
    reply(220, "2.0.0 Begin TLS negotiation now.");
    starttls_requested = true;
}

void Session::Impl::reset_transaction() {
    mail_given = false;
    envelope = mailstore::delivery::Envelope{};
    recipients.clear();
    bdat_started = false;
    spool.reset();
    spool_failed = false;
    dot.reset();
}

void Session::Impl::reset_session_state() {
    // RFC 3207 §4.2: after TLS the server forgets what the client said
    // before it, LHLO included.
    reset_transaction();
    helo.clear();
}

} // namespace lmtpd
