// Placeholder until the POP3 engine lands: every session says it is not
// available.
#include <pop3proto/session.hpp>

namespace pop3proto {

class Session::Impl {
public:
    SessionOptions options;
    std::string out;
    std::size_t out_pos = 0;
    SessionStats stats;
    std::string user;
    bool closed = false;
};

Session::Session(SessionOptions options) : impl_(std::make_unique<Impl>()) { impl_->options = std::move(options); }
Session::~Session() = default;
void Session::start() { impl_->out += "-ERR [SYS/PERM] POP3 not available\r\n"; }
void Session::feed(std::string_view) {}
Step Session::run() {
    Step s;
    s.kind = Step::Kind::close;
    s.reason = "not available";
    return s;
}
bool Session::has_output() const { return impl_->out_pos < impl_->out.size(); }
std::string_view Session::output_front() const { return std::string_view(impl_->out).substr(impl_->out_pos); }
void Session::output_consume(std::size_t n) { impl_->out_pos += n; }
std::size_t Session::output_pending() const { return impl_->out.size() - impl_->out_pos; }
void Session::tls_started() {}
void Session::shutdown(std::string_view) {}
SessionState Session::state() const { return SessionState::closed; }
const std::string& Session::username() const { return impl_->user; }
const SessionStats& Session::stats() const { return impl_->stats; }
std::string Session::logout_line() const { return {}; }

} // namespace pop3proto
