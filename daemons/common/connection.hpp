// One client connection as protocol handlers see it: bounded line reads,
// counted reads for literals, buffered writes with backpressure, STARTTLS,
// timeouts, and cooperative shutdown. Every method must be called from the
// connection's strand (the coroutine the Server spawned for it).
#pragma once

#include "blocking_pool.hpp"
#include "line_buffer.hpp"
#include "tls_context.hpp"

#include <mailstore/log.hpp>

#include <asio/awaitable.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/io_context.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <sys/types.h>

namespace loft {

class Server;

enum class ReadStatus {
    ok,
    eof,      // the client closed the connection
    too_long, // a line longer than max_line_length (the caller answers and closes)
    timeout,  // nothing arrived within the idle timeout
    shutdown, // the server is stopping: say goodbye and return
    kicked,   // an admin asked for this connection to go (KICK)
    error,    // the connection failed (reset, TLS error)
    woken,    // read_some() only: wake() was called (IMAP IDLE: a mailbox changed)
};

const char* to_string(ReadStatus status);

// read_proxy_header()'s error when the peer closed or reset the connection.
inline constexpr const char* kProxyClosedEarly = "connection closed before the PROXY header";

struct ConnectionLimits {
    std::size_t max_line_length = 65536;
    // Before login (login_inactivity_timeout) ...
    std::chrono::milliseconds idle_timeout{std::chrono::minutes(3)};
    // ... and once set_user() was called (imap_inactivity_timeout, ...);
    // zero: idle_timeout throughout.
    std::chrono::milliseconds logged_in_idle_timeout{0};
    std::chrono::milliseconds handshake_timeout{std::chrono::seconds(30)};
    std::size_t write_buffer_limit = 64 * 1024; // write() flushes beyond this
};

class Connection : public std::enable_shared_from_this<Connection> {
public:
    using Socket = asio::generic::stream_protocol::socket;
    using Executor = asio::strand<asio::io_context::executor_type>;

    Connection(Socket socket, Executor strand, std::uint64_t id, std::string protocol, ConnectionLimits limits,
               std::shared_ptr<TlsContextSet> tls, BlockingPool& pool, Server* server);
    ~Connection();

    // --- reading ---
    // The next line, without its CRLF. Memory stays bounded by max_line_length.
    asio::awaitable<ReadStatus> read_line(std::string& line);
    // Exactly `n` bytes appended to `out` (a literal). Not interrupted by
    // shutdown: an in-flight command completes.
    asio::awaitable<ReadStatus> read_exact(std::size_t n, std::string& out);
    // Whatever bytes arrive next (at most `max`), appended to `out`: for
    // protocols that parse the stream themselves (IMAP's sans-I/O session).
    // Same timeout, shutdown and kick semantics as read_line(); with
    // `use_timeout` false the idle timeout does not apply (IMAP IDLE).
    // Returns `woken` when wake() was called since the last read_some() (at
    // once if it already was), without reading anything. While it waits, an
    // idle connection holds no input buffer, plaintext or TLS.
    asio::awaitable<ReadStatus> read_some(std::string& out, std::size_t max, bool use_timeout = true);
    // Makes a pending (or the next) read_some() return `woken`.
    // Thread-safe: posts to the strand.
    void wake();
    // Frees the output buffer's memory between commands (a connection that
    // once sent a big answer and then idles for hours).
    void release_buffers();
    // Bytes the output buffer holds allocated (tests of release_buffers()).
    std::size_t output_capacity() const { return out_.capacity(); }

    // --- writing ---
    // Queue bytes; flushes (and waits for the client) when the buffer is full.
    asio::awaitable<bool> write(std::string_view data);
    // Send everything queued; false when the connection failed.
    asio::awaitable<bool> flush();
    // Queue a line and append CRLF.
    asio::awaitable<bool> write_line(std::string_view line);

    // --- TLS ---
    // Whether STARTTLS can be offered: TLS is configured and not active yet.
    bool starttls_available() const;
    // Upgrade to TLS. Input the client pipelined after the STARTTLS command
    // is discarded first (never read as if it came through TLS), then the
    // handshake runs. Flushes pending output before. false: the handshake
    // failed and the connection is unusable.
    asio::awaitable<bool> starttls();
    bool tls_active() const { return tls_done_.load(); }
    const TlsInfo& tls_info() const { return tls_info_; }
    // `ssl = required`: plaintext authentication must be refused.
    bool ssl_required() const;
    // TLS, or a loopback client: Dovecot treats both as secure.
    bool secured() const;
    // Bytes dropped by the last starttls() (for tests and logs).
    std::size_t discarded_after_starttls() const { return discarded_; }

    // --- identity ---
    std::uint64_t id() const { return id_; }
    const std::string& session_id() const { return session_id_; }
    const std::string& remote_ip() const { return remote_ip_; }
    // remote_ip() for other threads (the admin socket): a PROXY header may
    // still be replacing it.
    std::string remote_ip_shared() const;
    unsigned remote_port() const { return remote_port_; }
    const std::string& local_ip() const { return local_ip_; }
    unsigned local_port() const { return local_port_; }
    bool proxied() const { return proxied_; }
    // A unix-socket client's uid (SO_PEERCRED); nullopt for TCP clients or
    // when the kernel does not say.
    std::optional<uid_t> peer_uid();
    const std::string& listener_name() const { return listener_; }
    // The user once logged in (shown by WHO, matched by KICK, in log prefixes).
    void set_user(const std::string& user);
    std::string user() const;
    // Free-form state for WHO ("pre-login", "IDLE", ...).
    void set_state(const std::string& state);
    std::string state() const;
    std::time_t since() const { return since_; }
    const mailstore::log::Logger& log() const { return logger_; }

    BlockingPool& pool() { return pool_; }
    Executor executor() const { return strand_; }

    // Lends the plaintext socket's descriptor to a blocking-pool job that
    // reads and writes it itself while the coroutine awaits the job
    // (loft-pop3d: no thread hop per command). The I/O thread stops watching
    // the socket meanwhile, so the client's bytes wake only the thread that
    // waits for them. -1 (nothing lent) with TLS, once closed, while bytes
    // read here wait to be taken, or when the reactor refuses. Strand only;
    // every lent descriptor comes back through return_fd(), also when the
    // job failed. Reads and writes made that way bypass the idle timeout:
    // the job keeps them short. Also -1 while output is buffered or a write
    // is in flight here: releasing the socket would abort that write, and
    // the job's own sends would overtake its bytes.
    int lend_fd();
    bool is_lent() const { return lent_family_ >= 0; }
    // Takes a lent descriptor back (strand only). If close() ran meanwhile
    // (force_close, shutdown), the descriptor is closed here instead.
    void return_fd(int fd);

    // Close now; pending reads and writes fail.
    void close();
    // Lent (lend_fd()) counts as open: the job is using the socket.
    bool is_open() const;

    // --- used by Server (thread-safe: they post to the strand) ---
    void request_shutdown();
    void kick();
    void force_close();
    bool shutting_down() const { return shutdown_.load(); }
    // kick() was called. Thread-safe: a job holding the lent socket checks
    // it between answers and pieces of one.
    bool kicked() const { return kicked_.load(); }

    // Internal to Server: setup before the handler runs.
    void set_addresses(std::string remote_ip, unsigned remote_port, std::string local_ip, unsigned local_port,
                       bool proxied);
    void set_listener(std::string name) { listener_ = std::move(name); }
    asio::awaitable<bool> read_proxy_header(std::chrono::milliseconds timeout, std::string& error);
    asio::awaitable<bool> start_implicit_tls();
    void start_watchdog();

private:
    enum class Interrupt { none, timeout, shutdown, kicked };
    asio::awaitable<std::size_t> read_some(asio::mutable_buffer buffer, std::error_code& ec);
    asio::awaitable<bool> handshake();
    ReadStatus status_for(const std::error_code& ec) const;
    void arm(std::chrono::milliseconds timeout);
    void disarm();
    void interrupt(Interrupt why);
    void watch_timer(); // start_watchdog(): waits on timer_ until close()
    void update_logger();

    Socket socket_;
    Executor strand_;
    std::unique_ptr<asio::ssl::stream<Socket&>> tls_;
    std::atomic<bool> tls_done_{false}; // read by the admin socket too
    TlsHandshakeState tls_state_;
    TlsInfo tls_info_;
    std::shared_ptr<TlsContextSet> tls_set_;
    asio::steady_timer timer_;
    LineBuffer in_;
    std::string out_;
    ConnectionLimits limits_;
    bool logged_in_ = false; // set_user() was called: logged_in_idle_timeout applies
    std::chrono::milliseconds idle_timeout() const {
        return logged_in_ && limits_.logged_in_idle_timeout.count() > 0 ? limits_.logged_in_idle_timeout
                                                                        : limits_.idle_timeout;
    }
    BlockingPool& pool_;
    Server* server_;

    std::uint64_t id_;
    std::string session_id_;
    std::string protocol_;
    std::string listener_;
    std::string remote_ip_, local_ip_;
    unsigned remote_port_ = 0, local_port_ = 0;
    bool proxied_ = false;
    std::time_t since_;
    std::size_t discarded_ = 0;

    mutable std::mutex info_mutex_; // user_/state_ are read by the admin socket
    std::string user_;
    std::string state_ = "pre-login";
    mailstore::log::Logger logger_;

    bool reading_ = false;
    bool writing_ = false; // flush() waits for the client: kick() cancels it
    bool closed_ = false;
    int lent_family_ = -1; // lend_fd(): the socket's address family, to take it back
    bool woken_ = false;         // wake() was called; read_some() reports it
    bool wakeable_wait_ = false; // read_some() is waiting for readability: wake() cancels it
    Interrupt interrupt_ = Interrupt::none;
    std::atomic<bool> shutdown_{false};
    std::atomic<bool> kicked_{false};
};

} // namespace loft
