#include "session/context.hpp"

namespace imapproto {

struct Session::Impl {
    SessionOptions options;
    detail::Output output;
    SessionStats stats;
    std::string empty;
};

Session::Session(SessionOptions options) : impl_(std::make_unique<Impl>()) { impl_->options = std::move(options); }
Session::~Session() = default;
void Session::start() { impl_->output.append("* BYE not implemented\r\n"); }
void Session::feed(std::string_view) {}
Step Session::run() {
    Step s;
    s.kind = Step::Kind::close;
    s.reason = "not implemented";
    return s;
}
bool Session::has_output() const { return !impl_->output.empty(); }
std::string_view Session::output_front() const { return impl_->output.front(); }
void Session::output_consume(std::size_t n) { impl_->output.consume(n); }
std::size_t Session::output_pending() const { return impl_->output.pending(); }
void Session::tls_started() {}
void Session::wake() {}
void Session::tick() {}
void Session::shutdown(std::string_view) {}
SessionState Session::state() const { return SessionState::not_authenticated; }
const std::string& Session::username() const { return impl_->empty; }
const mailstore::storage::Mailbox* Session::selected_mailbox() const { return nullptr; }
std::uint64_t Session::selection_generation() const { return 0; }
bool Session::idling() const { return false; }
std::chrono::milliseconds Session::idle_notify_interval() const { return std::chrono::minutes(2); }
const SessionStats& Session::stats() const { return impl_->stats; }
std::string Session::logout_stats() const { return ""; }
const std::string& Session::login_mechanism() const { return impl_->empty; }

} // namespace imapproto
