// CAPA (RFC 2449 §5) and STLS (RFC 2595 §4).
#include "session/session_impl.hpp"

namespace pop3proto::detail {

void cmd_capa(Session::Impl& s) {
    s.ok("");
    s.reply("CAPA");
    s.reply("TOP");
    s.reply("UIDL");
    s.reply("RESP-CODES");
    s.reply("PIPELINING");
    s.reply("AUTH-RESP-CODE"); // RFC 3206 §6
    if (s.state_ == SessionState::authorization) {
        // Dovecot lists STLS, USER and SASL only before login.
        if (s.options_.stls_available && !s.options_.tls_active)
            s.reply("STLS");
        if (s.plaintext_allowed())
            s.reply("USER");
        if (s.options_.login) {
            std::string sasl = "SASL";
            for (const auto& m : s.options_.login->mechanisms()) {
                if (m.private_ || (m.plaintext && !s.plaintext_allowed()))
                    continue;
                sasl += " " + m.name;
            }
            // RFC 2449 §6.3: the SASL capability names mechanisms; with
            // none usable here (plaintext ones refused before TLS) the
            // line is left out rather than sent bare.
            if (sasl.size() > 4)
                s.reply(sasl);
        }
    }
    s.reply("IMPLEMENTATION Loft");
    s.reply(".");
}

void cmd_stls(Session::Impl& s) {
    if (s.options_.tls_active) {
        s.err("TLS is already active.");
        return;
    }
    if (!s.options_.stls_available) {
        s.err("TLS support isn't enabled.");
        return;
    }
    s.ok("Begin TLS negotiation now.");
    s.starttls_requested_ = true;
}

} // namespace pop3proto::detail
