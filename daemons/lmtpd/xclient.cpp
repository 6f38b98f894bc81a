// XCLIENT (Postfix's XCLIENT_README; Dovecot's LMTP takes it too): a trusted
// client, typically Postfix or a proxy in front of Loft, tells the server who
// the real client is. The address, port, HELO name and reverse name go into
// the Received header and the logs; LOGIN is kept for the logs. Only
// clients in login_trusted_networks (and unix-socket clients) may use it:
// SessionOptions::xclient_allowed.
#include "lmtp_session_impl.hpp"
#include "smtp_path.hpp"

#include <arpa/inet.h>

namespace lmtpd {

namespace {

// "[UNAVAILABLE]" and "[TEMPUNAVAIL]" say the value is unknown.
bool unavailable(std::string_view value) { return value == "[UNAVAILABLE]" || value == "[TEMPUNAVAIL]"; }

// ADDR: an IPv4 address or "IPV6:" and an IPv6 address; the address is
// returned in its canonical text form.
std::optional<std::string> parse_addr(std::string_view value) {
    std::string text(value);
    int family = AF_INET;
    if (istarts_with_ascii(value, "IPV6:")) {
        text = std::string(value.substr(5));
        family = AF_INET6;
    } else if (value.find(':') != std::string_view::npos) {
        family = AF_INET6; // Dovecot accepts a bare IPv6 address too
    }
    unsigned char buf[16];
    if (::inet_pton(family, text.c_str(), buf) != 1)
        return std::nullopt;
    char canonical[INET6_ADDRSTRLEN];
    if (::inet_ntop(family, buf, canonical, sizeof canonical) == nullptr)
        return std::nullopt;
    return std::string(canonical);
}

} // namespace

void Session::Impl::cmd_xclient(std::string_view args) {
    if (!o.xclient_allowed) {
        // RFC 3463 X.7.14 (trust relationship required) with Dovecot's
        // text for TCP clients; X.7.0 for an untrusted local uid.
        reply(550, o.xclient_refusal);
        return;
    }
    if (mail_given) {
        reply(503, "5.5.0 XCLIENT not permitted during a mail transaction");
        return;
    }
    // Parse everything before changing anything: one bad attribute refuses
    // the whole command.
    std::optional<std::string> addr, helo_name, name, login;
    std::optional<unsigned> port;
    bool clear_addr = false, clear_helo = false, clear_name = false, clear_login = false;
    std::size_t pos = 0;
    while (pos < args.size()) {
        std::size_t end = args.find(' ', pos);
        if (end == std::string_view::npos)
            end = args.size();
        const std::string_view item = args.substr(pos, end - pos);
        pos = end + 1;
        if (item.empty())
            continue;
        const std::size_t eq = item.find('=');
        if (eq == std::string_view::npos || eq == 0) {
            bad_command(501, "5.5.4 Invalid parameters");
            return;
        }
        std::string key(item.substr(0, eq));
        for (char& c : key)
            if (c >= 'a' && c <= 'z')
                c = char(c - 'a' + 'A');
        // Values are xtext (RFC 3461 §4), as Postfix sends them.
        const std::optional<std::string> value = decode_xtext(item.substr(eq + 1));
        if (!value) {
            bad_command(501, "5.5.4 Invalid " + key + " parameter");
            return;
        }
        if (key == "ADDR") {
            if (unavailable(*value)) {
                clear_addr = true;
                addr.reset();
                continue;
            }
            addr = parse_addr(*value);
            if (!addr) {
                bad_command(501, "5.5.4 Invalid ADDR parameter");
                return;
            }
            clear_addr = false;
        } else if (key == "PORT") {
            if (unavailable(*value)) {
                port = 0u;
                continue;
            }
            const std::optional<std::uint64_t> n = parse_decimal_saturating(*value);
            if (!n || *n > 65535) {
                bad_command(501, "5.5.4 Invalid PORT parameter");
                return;
            }
            port = static_cast<unsigned>(*n);
        } else if (key == "HELO") {
            if (unavailable(*value) || value->empty()) {
                clear_helo = true;
                helo_name.reset();
            } else {
                helo_name = *value;
                clear_helo = false;
            }
        } else if (key == "NAME") {
            if (unavailable(*value) || value->empty()) {
                clear_name = true;
                name.reset();
            } else {
                name = *value;
                clear_name = false;
            }
        } else if (key == "LOGIN") {
            if (unavailable(*value) || value->empty()) {
                clear_login = true;
                login.reset();
            } else {
                login = *value;
                clear_login = false;
            }
        } else if (key == "PROTO") {
            // Postfix sends SMTP or ESMTP. The Received header keeps "with
            // LMTP", the protocol of this hop, as Dovecot's does.
            if (!(*value == "SMTP" || *value == "ESMTP" || *value == "LMTP")) {
                bad_command(501, "5.5.4 Invalid PROTO parameter");
                return;
            }
        }
        // Other attributes (REVERSE_NAME, DESTADDR, DESTPORT, SESSION, TTL,
        // TIMEOUT) are ignored, as Dovecot ignores them.
    }
    // Values from the wire must not break a header or a log line.
    auto printable = [](const std::optional<std::string>& v) {
        if (!v)
            return true;
        for (unsigned char c : *v)
            if (c < 33 || c == 127)
                return false;
        return true;
    };
    if (!printable(helo_name) || !printable(name) || !printable(login)) {
        bad_command(501, "5.5.4 Invalid parameters");
        return;
    }
    if (addr)
        remote_ip = *addr;
    else if (clear_addr)
        remote_ip.clear();
    if (port)
        remote_port = *port;
    if (name)
        remote_host = *name;
    else if (clear_name)
        remote_host.clear();
    if (login)
        xclient_login = *login;
    else if (clear_login)
        xclient_login.clear();
    // Postfix's XCLIENT: the server starts over and greets again; the
    // client then sends LHLO. HELO= is the name to use until it does.
    reset_session_state();
    if (helo_name)
        helo = *helo_name;
    else if (clear_helo)
        helo.clear();
    reply(220, hostname + " " + greeting);
}

} // namespace lmtpd
