// The LMTP engine's core (lmtp_session.hpp): input and output buffers, the
// run loop and command dispatch. The commands are in lmtp_commands.cpp,
// lmtp_data.cpp and xclient.cpp; replies follow Dovecot 2.3's LMTP word for
// word where an RFC leaves the text open (docs/lmtp.md).
#include "lmtp_session_impl.hpp"

#include <mailstore/config.hpp>

#include <array>
#include <random>
#include <unistd.h>

namespace lmtpd {

namespace {

std::string system_hostname() {
    std::array<char, 256> buf{};
    if (::gethostname(buf.data(), buf.size() - 1) != 0 || buf[0] == '\0')
        return "localhost";
    return std::string(buf.data());
}

// Dovecot's session ids: 16 random bytes in base64 without padding
// (22 characters), e.g. "wH19Db3VC2urMwAAg+zDdQ".
std::string new_session_id() {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::random_device rd;
    std::array<unsigned char, 18> bytes{};
    for (std::size_t i = 0; i < 16; i += 4) {
        const unsigned v = rd();
        for (std::size_t k = 0; k < 4; ++k)
            bytes[i + k] = static_cast<unsigned char>(v >> (8 * k));
    }
    std::string id;
    for (std::size_t i = 0; i < 16; i += 3) {
        const unsigned v = (unsigned(bytes[i]) << 16) | (unsigned(bytes[i + 1]) << 8) | unsigned(bytes[i + 2]);
        id.push_back(kAlphabet[(v >> 18) & 63]);
        id.push_back(kAlphabet[(v >> 12) & 63]);
        id.push_back(kAlphabet[(v >> 6) & 63]);
        id.push_back(kAlphabet[v & 63]);
    }
    id.resize(22);
    return id;
}

bool is_verb_char(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'a' && c <= 'z')
            c = char(c - 'a' + 'A');
    return out;
}

// A Loft-only setting read only when this build registers it, so the
// engine works with a settings table that does not list it yet.
std::uint64_t registered_uint(const mailstore::config::Config& config, std::string_view name,
                              const mailstore::config::LookupContext& ctx, bool size) {
    if (mailstore::config::find_setting(name) == nullptr)
        return 0;
    return size ? config.get_size(name, ctx) : config.get_uint(name, ctx);
}

} // namespace

Session::Impl::Impl(SessionOptions options) : o(std::move(options)) {
    mailstore::config::LookupContext ctx;
    ctx.protocol = "lmtp";
    ctx.local_ip = o.client.local_ip;
    ctx.remote_ip = o.client.remote_ip;
    if (o.config) {
        hostname = o.config->get("hostname", ctx);
        greeting = o.config->get("login_greeting", ctx);
        temp_dir = o.config->get("mail_temp_dir", ctx);
        if (o.max_message_size == 0)
            o.max_message_size = registered_uint(*o.config, "lmtp_max_mail_size", ctx, true);
        if (o.max_recipients == 0)
            o.max_recipients = static_cast<std::size_t>(registered_uint(*o.config, "lmtp_max_recipients", ctx, false));
    }
    if (hostname.empty())
        hostname = system_hostname();
    if (greeting.empty())
        greeting = "Loft ready.";
    if (temp_dir.empty())
        temp_dir = "/tmp";
    max_message_size = o.max_message_size;
    spool_limit = max_message_size != 0 ? max_message_size : o.storage_max_message_size;
    if (spool_limit == 0)
        spool_limit = mailstore::storage::max_saved_message_size;
    // Without a configured bound the recipients of one transaction are
    // still bounded (RFC 5321 §4.5.3.1.8 asks for at least 100).
    max_recipients = o.max_recipients != 0 ? o.max_recipients : 1000;
    session_id = o.client.session_id.empty() ? new_session_id() : o.client.session_id;
    o.client.service = "lmtp";
    remote_ip = o.client.remote_ip;
    remote_port = o.client.remote_port;
    tls_active = o.tls_active;
}

void Session::Impl::reply(int code, std::string_view text) {
    out += std::to_string(code);
    out.push_back(' ');
    out.append(text);
    out += "\r\n";
}

void Session::Impl::bad_command(int code, std::string_view text) {
    if (++bad_commands > kMaxBadCommands) {
        // Dovecot: "421 4.7.0 <host> Too many invalid commands."
        reply(421, "4.7.0 " + hostname + " Too many invalid commands.");
        close("Too many invalid commands.");
        return;
    }
    reply(code, text);
}

std::string Session::Impl::state_name() const {
    if (mode == Mode::data || mode == Mode::chunk || bdat_started)
        return "DATA";
    if (!recipients.empty())
        return "RCPT TO";
    if (mail_given)
        return "MAIL FROM";
    return helo.empty() ? "GREETING" : "READY";
}

void Session::Impl::close(std::string_view reason) {
    if (mode != Mode::closed) {
        closed_state = state_name();
        closed_mode = mode;
    }
    mode = Mode::closed;
    close_reason = std::string(reason);
    in.clear();
    in_pos = 0;
    spool.reset();
}

void Session::Impl::consume_input(std::size_t n) {
    in_pos += n;
    if (in_pos >= in.size()) {
        in.clear();
        in_pos = 0;
    } else if (in_pos > 64 * 1024 && in_pos > in.size() / 2) {
        in.erase(0, in_pos);
        in_pos = 0;
    }
}

bool Session::Impl::process_command_line() {
    const std::string_view pending = pending_input();
    const std::size_t lf = pending.find('\n');
    if (discarding_long_line) {
        // The rest of a line that was too long: dropped up to its end.
        if (lf == std::string_view::npos) {
            consume_input(pending.size());
            return false;
        }
        consume_input(lf + 1);
        discarding_long_line = false;
        return true;
    }
    if (lf == std::string_view::npos) {
        if (pending.size() > o.max_line_length) {
            consume_input(pending.size());
            discarding_long_line = true;
            bad_command(500, "5.5.2 Line too long");
        }
        return false;
    }
    std::string_view line = pending.substr(0, lf);
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    if (line.size() > o.max_line_length) {
        consume_input(lf + 1);
        bad_command(500, "5.5.2 Line too long");
        return true;
    }
    // The line is copied out: a command may switch to the data phase and
    // consume more input.
    const std::string copy(line);
    consume_input(lf + 1);
    dispatch(copy);
    return true;
}

void Session::Impl::dispatch(std::string_view line) {
    std::size_t verb_end = 0;
    while (verb_end < line.size() && is_verb_char(line[verb_end]))
        ++verb_end;
    // RFC 5321 §4.1.1: verb [SP argument]. A control character anywhere
    // (NUL included), a verb of something other than letters, or two spaces
    // after it is a syntax error (Dovecot: "Invalid command syntax").
    bool syntax_ok = verb_end > 0 && verb_end <= kMaxVerbLength &&
                     (verb_end == line.size() || (line[verb_end] == ' ' && verb_end + 1 < line.size() &&
                                                  line[verb_end + 1] != ' '));
    for (char c : line)
        if (static_cast<unsigned char>(c) < 32 || c == 127)
            syntax_ok = false;
    // "VERB " with nothing after it reads as "VERB".
    if (!syntax_ok && verb_end > 0 && verb_end + 1 == line.size() && line[verb_end] == ' ')
        syntax_ok = true;
    if (!syntax_ok) {
        bad_command(500, "5.5.2 Invalid command syntax");
        return;
    }
    const std::string verb = upper(line.substr(0, verb_end));
    const std::string_view args = verb_end < line.size() ? line.substr(verb_end + 1) : std::string_view();
    if (verb == "LHLO")
        cmd_lhlo(args);
    else if (verb == "MAIL")
        cmd_mail(args);
    else if (verb == "RCPT")
        cmd_rcpt(args);
    else if (verb == "DATA")
        cmd_data(args);
    else if (verb == "BDAT")
        cmd_bdat(args);
    else if (verb == "RSET")
        cmd_rset(args);
    else if (verb == "NOOP")
        cmd_noop(args);
    else if (verb == "QUIT")
        cmd_quit(args);
    else if (verb == "VRFY")
        cmd_vrfy(args);
    else if (verb == "HELP")
        cmd_help(args);
    else if (verb == "STARTTLS")
        cmd_starttls(args);
    else if (verb == "XCLIENT")
        cmd_xclient(args);
    else
        // HELO and EHLO included: RFC 2033 §4.1 says an LMTP server must
        // not answer them as SMTP would (Dovecot: 500 5.5.1).
        bad_command(500, "5.5.1 Unknown command");
}

mailstore::auth::ClientInfo Session::Impl::lookup_client() const {
    mailstore::auth::ClientInfo ci = o.client;
    ci.service = "lmtp";
    ci.remote_ip = remote_ip;
    ci.remote_port = remote_port;
    ci.session_id = envelope.session_id.empty() ? session_id : envelope.session_id;
    ci.secured = ci.secured || tls_active;
    return ci;
}

// --- Session ---

Session::Session(SessionOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Session::~Session() = default;

void Session::start() {
    // Dovecot: "220 <hostname> <login_greeting>".
    impl_->reply(220, impl_->hostname + " " + impl_->greeting);
}

void Session::feed(std::string_view bytes) {
    if (impl_->mode == Impl::Mode::closed)
        return;
    impl_->in.append(bytes);
}

Step Session::run() {
    Impl& s = *impl_;
    for (;;) {
        if (s.mode == Impl::Mode::closed)
            return Step{Step::Kind::close, s.close_reason};
        if (s.starttls_requested) {
            s.starttls_requested = false;
            // RFC 3207 §4.2: bytes the client sent behind STARTTLS are not
            // trusted and are discarded.
            s.in.clear();
            s.in_pos = 0;
            return Step{Step::Kind::starttls, {}};
        }
        if (s.out.size() - s.out_pos > s.o.output_high_water)
            return Step{Step::Kind::flush, {}};
        bool progressed = false;
        switch (s.mode) {
        case Impl::Mode::command:
            progressed = s.process_command_line();
            break;
        case Impl::Mode::data:
            progressed = s.process_data();
            break;
        case Impl::Mode::chunk:
            progressed = s.process_chunk();
            break;
        case Impl::Mode::closed:
            break;
        }
        if (!progressed && s.mode != Impl::Mode::closed && !s.starttls_requested)
            return Step{Step::Kind::read, {}};
    }
}

bool Session::has_output() const { return impl_->out_pos < impl_->out.size(); }

std::string_view Session::output_front() const { return std::string_view(impl_->out).substr(impl_->out_pos); }

void Session::output_consume(std::size_t n) {
    Impl& s = *impl_;
    s.out_pos += std::min(n, s.out.size() - s.out_pos);
    if (s.out_pos == s.out.size()) {
        s.out.clear();
        s.out_pos = 0;
    }
}

std::size_t Session::output_pending() const { return impl_->out.size() - impl_->out_pos; }

void Session::tls_started() {
    impl_->tls_active = true;
    impl_->reset_session_state();
}

std::string Session::disconnect_text(std::string_view reason) const {
    const Impl& s = *impl_;
    const bool closed = s.mode == Impl::Mode::closed;
    const Impl::Mode mode = closed ? s.closed_mode : s.mode;
    std::string out(reason);
    if (mode == Impl::Mode::data)
        out += " (unfinished DATA command)";
    else if (mode == Impl::Mode::chunk)
        out += " (unfinished BDAT command)";
    out += " (state=" + (closed ? s.closed_state : s.state_name()) + ")";
    return out;
}

void Session::shutdown(std::string_view text) {
    Impl& s = *impl_;
    if (s.mode == Impl::Mode::closed)
        return;
    s.reply(421, "4.3.2 " + std::string(text));
    s.close(text);
}

} // namespace lmtpd
