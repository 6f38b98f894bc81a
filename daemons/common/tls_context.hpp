// TLS server contexts built from the ssl_* settings. One TlsContextSet is made
// per config (re)load: a default context plus one per distinct certificate
// setup of `local IP { }` and `local_name NAME { }` blocks. The SNI callback
// switches a handshake to the context of the name the client asked for.
// Connections hold the set they started with (shared_ptr), so a reload never
// pulls a context from under a running session.
#pragma once

#include <mailstore/config.hpp>
#include <mailstore/log.hpp>
#include <mailstore/status.hpp>

#include <asio/ssl/context.hpp>
#include <openssl/ssl.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace loft {

enum class SslMode { no, yes, required };

// The ssl_* values that make up one context (file contents, not paths).
struct TlsSettings {
    std::string cert, key, key_password, ca, min_protocol, cipher_list, cipher_suites, dh;
    std::string client_ca_file, client_ca_dir;
    bool prefer_server_ciphers = false;
    bool verify_client_cert = false;
    // Where ssl_cert / ssl_key were set ("loft.conf:12"), for error messages;
    // empty when unknown (defaults, built-in config).
    std::string cert_where, key_where;
    std::string cache_key() const;
};

TlsSettings tls_settings_from(const mailstore::config::Config& config,
                              const mailstore::config::LookupContext& ctx);

// Build one context. Errors name the setting at fault ("ssl_key: ...").
mailstore::Result<std::shared_ptr<asio::ssl::context>> make_tls_context(const TlsSettings& settings);

class TlsContextSet {
public:
    // Build every context `config` describes for `protocol`. Fails when a
    // certificate, key or option is unusable. With ssl = no, or no ssl_cert,
    // the set is empty and TLS is unavailable (implicit-TLS listeners refuse
    // connections, STARTTLS is not offered).
    static mailstore::Result<std::shared_ptr<TlsContextSet>> build(const mailstore::config::Config& config,
                                                                   std::string protocol);

    SslMode mode() const { return mode_; }
    bool available() const { return available_; }

    // The context for a connection to `local_ip` asking for SNI `name`
    // ("" = none). nullptr when TLS is unavailable. Contexts for unforeseen
    // combinations are built on first use; if that fails, the default is used.
    asio::ssl::context* context_for(const std::string& local_ip, const std::string& name = {});

private:
    TlsContextSet(mailstore::config::Config config, std::string protocol)
        : config_(std::move(config)), protocol_(std::move(protocol)) {}
    mailstore::Result<asio::ssl::context*> get_or_build(const TlsSettings& settings);

    mailstore::config::Config config_;
    std::string protocol_;
    SslMode mode_ = SslMode::yes;
    bool available_ = false;
    asio::ssl::context* default_ = nullptr;
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<asio::ssl::context>> contexts_; // by TlsSettings::cache_key
};

// Per-handshake data the SNI callback needs; the connection owns it and
// points the SSL object's app data at it.
struct TlsHandshakeState {
    std::shared_ptr<TlsContextSet> set;
    std::string local_ip;
    std::string server_name; // filled in by the SNI callback
};

// Attach `state` to an SSL object for the SNI callback. (Not SSL app data:
// asio keeps its verify callback there and deletes it with the stream.)
void set_handshake_state(SSL* ssl, TlsHandshakeState* state);

// Install the SNI callback on `ctx` (done by make_tls_context).
void install_sni_callback(asio::ssl::context& ctx);

// What the handshake agreed on, for logs and handlers.
struct TlsInfo {
    std::string protocol;     // "TLSv1.3"
    std::string cipher;       // "TLS_AES_256_GCM_SHA384"
    std::string server_name;  // SNI, or ""
    std::string peer_subject; // client certificate subject, or ""
    bool peer_verified = false;
};

} // namespace loft
