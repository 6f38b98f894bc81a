// Placeholder until the LMTP engine lands.
#include "lmtp_session.hpp"

namespace lmtpd {

class Session::Impl {
public:
    std::string out;
    std::size_t pos = 0;
};
Session::Session(SessionOptions) : impl_(std::make_unique<Impl>()) {}
Session::~Session() = default;
void Session::start() { impl_->out = "421 4.3.2 LMTP not available\r\n"; }
void Session::feed(std::string_view) {}
Step Session::run() { return Step{Step::Kind::close, "not available"}; }
bool Session::has_output() const { return impl_->pos < impl_->out.size(); }
std::string_view Session::output_front() const { return std::string_view(impl_->out).substr(impl_->pos); }
void Session::output_consume(std::size_t n) { impl_->pos += n; }
std::size_t Session::output_pending() const { return impl_->out.size() - impl_->pos; }
void Session::tls_started() {}
void Session::shutdown(std::string_view) {}

} // namespace lmtpd
