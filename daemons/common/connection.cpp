#include "connection.hpp"

#include "cidr.hpp"
#include "proxy_protocol.hpp"
#include "server.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/dispatch.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/redirect_error.hpp>
#include <asio/ssl/error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>
#include <netinet/in.h>

namespace loft {

namespace {

std::string make_session_id() {
    // Dovecot-style short base64 session ids: unique enough to grep a log by.
    static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char raw[9];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return "unknown";
    std::string out;
    for (size_t i = 0; i < sizeof raw; i += 3) {
        unsigned v = (raw[i] << 16) | (raw[i + 1] << 8) | raw[i + 2];
        for (int k = 3; k >= 0; --k)
            out.push_back(kAlphabet[(v >> (6 * k)) & 63]);
    }
    return out;
}

bool is_loopback(const std::string& ip) {
    static const NetworkList loopback({"127.0.0.0/8", "::1"});
    return loopback.contains(ip);
}

} // namespace

const char* to_string(ReadStatus status) {
    switch (status) {
    case ReadStatus::ok: return "ok";
    case ReadStatus::eof: return "connection closed";
    case ReadStatus::too_long: return "line too long";
    case ReadStatus::timeout: return "idle timeout";
    case ReadStatus::shutdown: return "server shutting down";
    case ReadStatus::kicked: return "kicked";
    case ReadStatus::error: return "connection error";
    case ReadStatus::woken: return "woken";
    }
    return "?";
}

Connection::Connection(Socket socket, Executor strand, std::uint64_t id, std::string protocol, ConnectionLimits limits,
                       std::shared_ptr<TlsContextSet> tls, BlockingPool& pool, Server* server)
    : socket_(std::move(socket)),
      strand_(std::move(strand)),
      tls_set_(std::move(tls)),
      timer_(strand_),
      in_(limits.max_line_length),
      limits_(limits),
      pool_(pool),
      server_(server),
      id_(id),
      session_id_(make_session_id()),
      protocol_(std::move(protocol)),
      since_(std::time(nullptr)) {
    timer_.expires_at(asio::steady_timer::time_point::max());
    update_logger();
}

Connection::~Connection() = default;

void Connection::update_logger() {
    std::string user;
    {
        std::lock_guard<std::mutex> lock(info_mutex_);
        user = user_;
    }
    logger_ = mailstore::log::Logger::session(protocol_, user, session_id_);
}

void Connection::set_addresses(std::string remote_ip, unsigned remote_port, std::string local_ip,
                               unsigned local_port, bool proxied) {
    remote_ip_ = std::move(remote_ip);
    remote_port_ = remote_port;
    local_ip_ = std::move(local_ip);
    local_port_ = local_port;
    proxied_ = proxied;
}

void Connection::set_user(const std::string& user) {
    {
        std::lock_guard<std::mutex> lock(info_mutex_);
        user_ = user;
    }
    logged_in_ = !user.empty();
    update_logger();
}

std::optional<uid_t> Connection::peer_uid() {
    ucred cred{};
    socklen_t len = sizeof cred;
    const int fd = socket_.native_handle();
    sockaddr_storage addr{};
    socklen_t addr_len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &addr_len) != 0 || addr.ss_family != AF_UNIX)
        return std::nullopt;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred)
        return std::nullopt;
    return cred.uid;
}

std::string Connection::remote_ip_shared() const {
    std::lock_guard<std::mutex> lock(info_mutex_);
    return remote_ip_;
}

std::string Connection::user() const {
    std::lock_guard<std::mutex> lock(info_mutex_);
    return user_;
}

void Connection::set_state(const std::string& state) {
    std::lock_guard<std::mutex> lock(info_mutex_);
    state_ = state;
}

std::string Connection::state() const {
    std::lock_guard<std::mutex> lock(info_mutex_);
    return state_;
}

bool Connection::ssl_required() const { return tls_set_ && tls_set_->mode() == SslMode::required; }

bool Connection::secured() const { return tls_active() || is_loopback(remote_ip_); }

bool Connection::starttls_available() const { return !tls_ && tls_set_ && tls_set_->available(); }

bool Connection::is_open() const { return !closed_ && (socket_.is_open() || lent_family_ >= 0); }

int Connection::lend_fd() {
    if (tls_ || closed_ || !in_.empty() || !out_.empty() || writing_ || !socket_.is_open() || lent_family_ >= 0)
        return -1;
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(socket_.native_handle(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        return -1;
    std::error_code ec;
    const int fd = socket_.release(ec); // leaves the reactor (epoll): no wake-ups meanwhile
    if (ec)
        return -1;
    lent_family_ = addr.ss_family;
    return fd;
}

void Connection::return_fd(int fd) {
    const int family = lent_family_;
    lent_family_ = -1;
    if (fd < 0)
        return;
    if (closed_) {
        ::shutdown(fd, SHUT_RDWR);
        ::close(fd);
        return;
    }
    std::error_code ec;
    socket_.assign(asio::generic::stream_protocol(family, family == AF_UNIX ? 0 : IPPROTO_TCP), fd, ec);
    if (ec) {
        ::close(fd);
        close();
    }
}

// --- timeouts and interruption ---

void Connection::start_watchdog() { watch_timer(); }

// A completion handler, not a coroutine: one pending timer operation per
// connection instead of a coroutine frame plus its co_spawn state (about
// 1 kB a connection, which tens of thousands of IDLE clients multiply).
// arm() and disarm() move the expiry, which completes the pending wait as
// aborted; the handler then waits again for the new expiry. The wait runs
// on the strand (timer_'s executor) and holds the connection until close().
void Connection::watch_timer() {
    timer_.async_wait([self = shared_from_this()](const std::error_code&) {
        if (self->closed_)
            return;
        if (self->timer_.expiry() <= asio::steady_timer::clock_type::now()) {
            self->timer_.expires_at(asio::steady_timer::time_point::max());
            self->interrupt(Interrupt::timeout);
        }
        self->watch_timer();
    });
}

void Connection::arm(std::chrono::milliseconds timeout) {
    if (timeout.count() > 0)
        timer_.expires_after(timeout);
}

void Connection::disarm() { timer_.expires_at(asio::steady_timer::time_point::max()); }

void Connection::interrupt(Interrupt why) {
    if (interrupt_ == Interrupt::none || why == Interrupt::kicked)
        interrupt_ = why;
    std::error_code ec;
    socket_.cancel(ec);
}

void Connection::request_shutdown() {
    shutdown_ = true;
    asio::dispatch(strand_, [self = shared_from_this()] {
        if (self->reading_)
            self->interrupt(Interrupt::shutdown);
    });
}

void Connection::kick() {
    kicked_ = true;
    asio::dispatch(strand_, [self = shared_from_this()] {
        self->interrupt_ = Interrupt::kicked;
        // A client that reads a long answer slowly (or not at all) would
        // keep a kicked connection until the idle timeout: the write is
        // cancelled too, and the handler sees the failed flush.
        if (self->reading_ || self->writing_) {
            std::error_code ec;
            self->socket_.cancel(ec);
        }
    });
}

void Connection::force_close() {
    asio::dispatch(strand_, [self = shared_from_this()] { self->close(); });
}

void Connection::close() {
    if (closed_)
        return;
    closed_ = true;
    std::error_code ec;
    timer_.cancel();
    socket_.shutdown(asio::socket_base::shutdown_both, ec);
    socket_.close(ec);
}

ReadStatus Connection::status_for(const std::error_code& ec) const {
    switch (interrupt_) {
    case Interrupt::timeout: return ReadStatus::timeout;
    case Interrupt::shutdown: return ReadStatus::shutdown;
    case Interrupt::kicked: return ReadStatus::kicked;
    case Interrupt::none: break;
    }
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated)
        return ReadStatus::eof;
    return ReadStatus::error;
}

// --- reading ---

asio::awaitable<std::size_t> Connection::read_some(asio::mutable_buffer buffer, std::error_code& ec) {
    if (closed_) {
        ec = asio::error::bad_descriptor;
        co_return 0;
    }
    reading_ = true;
    std::size_t n;
    if (tls_)
        n = co_await tls_->async_read_some(buffer, asio::redirect_error(asio::use_awaitable, ec));
    else
        n = co_await socket_.async_read_some(buffer, asio::redirect_error(asio::use_awaitable, ec));
    reading_ = false;
    co_return n;
}

asio::awaitable<ReadStatus> Connection::read_line(std::string& line) {
    for (;;) {
        if (interrupt_ == Interrupt::kicked)
            co_return ReadStatus::kicked;
        if (shutdown_)
            co_return ReadStatus::shutdown;
        switch (in_.take_line(line)) {
        case LineBuffer::LineState::complete: co_return ReadStatus::ok;
        case LineBuffer::LineState::too_long: co_return ReadStatus::too_long;
        case LineBuffer::LineState::need_more: break;
        }
        std::error_code ec;
        arm(idle_timeout());
        if (!tls_ && in_.empty()) {
            // An idle plaintext connection holds no input buffer at all while
            // it waits: tens of thousands of IDLE clients must stay cheap.
            reading_ = true;
            co_await socket_.async_wait(asio::socket_base::wait_read, asio::redirect_error(asio::use_awaitable, ec));
            reading_ = false;
            if (ec) {
                disarm();
                ReadStatus st = status_for(ec);
                if (interrupt_ == Interrupt::timeout)
                    interrupt_ = Interrupt::none;
                co_return st;
            }
        }
        // Start small; long lines grow the buffer up to the line limit.
        auto space = in_.prepare(std::max<std::size_t>(4096, in_.size()));
        std::size_t n = co_await read_some(asio::buffer(space.data(), space.size()), ec);
        disarm();
        if (ec) {
            ReadStatus st = status_for(ec);
            if (interrupt_ == Interrupt::timeout)
                interrupt_ = Interrupt::none;
            co_return st;
        }
        in_.commit(n);
    }
}

asio::awaitable<ReadStatus> Connection::read_exact(std::size_t n, std::string& out) {
    std::size_t need = n - in_.take(n, out);
    while (need > 0) {
        if (interrupt_ == Interrupt::kicked)
            co_return ReadStatus::kicked;
        std::size_t chunk = std::min<std::size_t>(need, 64 * 1024);
        std::size_t old = out.size();
        out.resize(old + chunk);
        std::error_code ec;
        arm(idle_timeout());
        std::size_t got = co_await read_some(asio::buffer(out.data() + old, chunk), ec);
        disarm();
        out.resize(old + got);
        if (ec) {
            if (interrupt_ == Interrupt::shutdown) {
                // Shutdown does not stop a literal in flight; keep reading.
                interrupt_ = Interrupt::none;
                continue;
            }
            co_return status_for(ec);
        }
        need -= got;
    }
    co_return ReadStatus::ok;
}

asio::awaitable<ReadStatus> Connection::read_some(std::string& out, std::size_t max, bool use_timeout) {
    if (max == 0)
        max = 1;
    for (;;) {
        if (interrupt_ == Interrupt::kicked)
            co_return ReadStatus::kicked;
        if (shutdown_)
            co_return ReadStatus::shutdown;
        if (!in_.empty()) {
            // Left over from a PROXY header read.
            in_.take(std::min(max, in_.size()), out);
            co_return ReadStatus::ok;
        }
        if (woken_) {
            woken_ = false;
            co_return ReadStatus::woken;
        }
        if (closed_)
            co_return ReadStatus::error;
        std::error_code ec;
        if (use_timeout)
            arm(idle_timeout());
        // Wait for readability without a buffer (TLS: unless OpenSSL already
        // holds input), so idle connections cost no read buffer; wake()
        // cancels only this wait, never a TLS read half way through a record.
        bool tls_buffered = false;
        if (tls_) {
            SSL* ssl = tls_->native_handle();
            BIO* rbio = SSL_get_rbio(ssl);
            tls_buffered = SSL_has_pending(ssl) || (rbio && BIO_ctrl_pending(rbio) > 0);
        }
        if (!tls_buffered) {
            reading_ = true;
            wakeable_wait_ = true;
            co_await socket_.async_wait(asio::socket_base::wait_read, asio::redirect_error(asio::use_awaitable, ec));
            wakeable_wait_ = false;
            reading_ = false;
            if (ec) {
                disarm();
                if (interrupt_ == Interrupt::none && woken_) {
                    woken_ = false;
                    co_return ReadStatus::woken;
                }
                ReadStatus st = status_for(ec);
                if (interrupt_ == Interrupt::timeout || interrupt_ == Interrupt::shutdown)
                    interrupt_ = Interrupt::none;
                co_return st;
            }
        }
        std::size_t chunk = std::min<std::size_t>(max, 16 * 1024);
        std::size_t old = out.size();
        out.resize(old + chunk);
        std::size_t n = co_await read_some(asio::buffer(out.data() + old, chunk), ec);
        disarm();
        out.resize(old + n);
        if (ec) {
            if (interrupt_ == Interrupt::none && woken_ && ec == asio::error::operation_aborted) {
                woken_ = false;
                co_return ReadStatus::woken;
            }
            ReadStatus st = status_for(ec);
            if (interrupt_ == Interrupt::timeout || interrupt_ == Interrupt::shutdown)
                interrupt_ = Interrupt::none;
            co_return st;
        }
        if (n > 0)
            co_return ReadStatus::ok;
    }
}

void Connection::wake() {
    asio::dispatch(strand_, [self = shared_from_this()] {
        self->woken_ = true;
        if (self->wakeable_wait_) {
            std::error_code ec;
            self->socket_.cancel(ec);
        }
    });
}

void Connection::release_buffers() {
    if (out_.empty())
        std::string().swap(out_);
}

// --- writing ---

asio::awaitable<bool> Connection::write(std::string_view data) {
    out_.append(data);
    if (out_.size() >= limits_.write_buffer_limit) {
        bool ok = co_await flush();
        co_return ok;
    }
    co_return !closed_;
}

asio::awaitable<bool> Connection::write_line(std::string_view line) {
    out_.append(line);
    out_.append("\r\n");
    if (out_.size() >= limits_.write_buffer_limit) {
        bool ok = co_await flush();
        co_return ok;
    }
    co_return !closed_;
}

asio::awaitable<bool> Connection::flush() {
    if (out_.empty())
        co_return !closed_;
    if (closed_)
        co_return false;
    std::error_code ec;
    // A client that stops reading is dropped after the idle timeout rather
    // than holding its output (and us) forever.
    arm(idle_timeout());
    writing_ = true;
    if (tls_)
        co_await asio::async_write(*tls_, asio::buffer(out_), asio::redirect_error(asio::use_awaitable, ec));
    else
        co_await asio::async_write(socket_, asio::buffer(out_), asio::redirect_error(asio::use_awaitable, ec));
    writing_ = false;
    disarm();
    out_.clear();
    if (out_.capacity() > limits_.write_buffer_limit * 2)
        std::string().swap(out_);
    if (ec) {
        close();
        co_return false;
    }
    co_return true;
}

// --- TLS ---

asio::awaitable<bool> Connection::handshake() {
    asio::ssl::context* ctx = tls_set_ ? tls_set_->context_for(local_ip_) : nullptr;
    if (!ctx) {
        logger_.error("TLS requested but no certificate is configured (ssl_cert)");
        close();
        co_return false;
    }
    tls_ = std::make_unique<asio::ssl::stream<Socket&>>(socket_, *ctx);
    tls_state_.set = tls_set_;
    tls_state_.local_ip = local_ip_;
    set_handshake_state(tls_->native_handle(), &tls_state_);
    std::error_code ec;
    arm(limits_.handshake_timeout);
    // Bytes already read (after a PROXY header on an implicit-TLS port) are
    // the start of the ClientHello and go to the handshake.
    std::string initial(in_.data());
    in_.discard_all();
    reading_ = true;
    if (initial.empty())
        co_await tls_->async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
    else
        co_await tls_->async_handshake(asio::ssl::stream_base::server, asio::buffer(initial),
                                       asio::redirect_error(asio::use_awaitable, ec));
    reading_ = false;
    disarm();
    if (ec) {
        if (interrupt_ == Interrupt::timeout)
            logger_.info("TLS handshake timed out");
        else
            logger_.infof("TLS handshake failed: {}", ec.message());
        close();
        co_return false;
    }
    tls_done_ = true;
    SSL* ssl = tls_->native_handle();
    tls_info_.protocol = SSL_get_version(ssl);
    tls_info_.cipher = SSL_get_cipher_name(ssl);
    tls_info_.server_name = tls_state_.server_name;
    if (X509* peer = SSL_get0_peer_certificate(ssl)) {
        char buf[512];
        X509_NAME_oneline(X509_get_subject_name(peer), buf, sizeof buf);
        tls_info_.peer_subject = buf;
        tls_info_.peer_verified = SSL_get_verify_result(ssl) == X509_V_OK;
    }
    co_return true;
}

// (GCC 12 miscompiles `co_return co_await` and co_await inside conditions,
// hence the named temporaries throughout.)
asio::awaitable<bool> Connection::start_implicit_tls() {
    bool ok = co_await handshake();
    co_return ok;
}

asio::awaitable<bool> Connection::starttls() {
    if (!starttls_available())
        co_return false;
    bool flushed = co_await flush();
    if (!flushed)
        co_return false;
    // CVE-2011-0411 class: whatever the client sent after STARTTLS in the
    // same packet arrived unencrypted and must not be executed as if it came
    // through TLS.
    discarded_ = in_.discard_all();
    if (discarded_ > 0)
        logger_.infof("Discarded {} bytes sent after STARTTLS before the TLS handshake", discarded_);
    bool ok = co_await handshake();
    co_return ok;
}

// --- PROXY protocol ---

asio::awaitable<bool> Connection::read_proxy_header(std::chrono::milliseconds timeout, std::string& error) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto result = parse_proxy_header(in_.data());
        if (result.state == ProxyParseResult::State::invalid) {
            error = result.error;
            co_return false;
        }
        if (result.state == ProxyParseResult::State::done) {
            in_.consume(result.consumed);
            if (result.header.has_address) {
                std::lock_guard<std::mutex> lock(info_mutex_);
                remote_ip_ = result.header.source_ip;
                remote_port_ = result.header.source_port;
                local_ip_ = result.header.dest_ip;
                local_port_ = result.header.dest_port;
                proxied_ = true;
            }
            co_return true;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            error = "timed out waiting for the PROXY header";
            co_return false;
        }
        // Read no further than a header could reach, so the client's own
        // first bytes stay in the buffer for whoever comes next.
        auto space = in_.prepare(kMaxProxyHeader - std::min(in_.size(), kMaxProxyHeader - 1));
        std::error_code ec;
        arm(left);
        std::size_t n = co_await read_some(asio::buffer(space.data(), space.size()), ec);
        disarm();
        if (ec) {
            error = interrupt_ == Interrupt::timeout ? "timed out waiting for the PROXY header"
                                                     : kProxyClosedEarly;
            co_return false;
        }
        in_.commit(n);
    }
}

} // namespace loft
