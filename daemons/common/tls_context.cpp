#include "tls_context.hpp"

#include "cidr.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

namespace loft {

using mailstore::Result;
using mailstore::Status;
using mailstore::config::Config;
using mailstore::config::LookupContext;

namespace {

std::string openssl_error() {
    std::string text;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!text.empty())
            text += "; ";
        text += buf;
    }
    return text.empty() ? "unknown OpenSSL error" : text;
}

// Settings given as `<file` are normally read by the config loader; accept
// a path that slipped through as well.
std::string contents(const std::string& value) {
    if (value.empty() || value[0] != '<')
        return value;
    std::ifstream in(value.substr(1));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

int protocol_version(const std::string& name) {
    if (name == "TLSv1")
        return TLS1_VERSION;
    if (name == "TLSv1.1")
        return TLS1_1_VERSION;
    if (name == "TLSv1.2" || name.empty())
        return TLS1_2_VERSION;
    if (name == "TLSv1.3" || name == "LATEST")
        return TLS1_3_VERSION;
    if (name == "ANY" || name == "SSLv3")
        return 0; // the lowest this OpenSSL allows
    return -1;
}

int accept_and_record_verify(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) {
    // A bad client certificate does not abort the handshake: the result is
    // kept (SSL_get_verify_result) and the protocol decides, the way
    // Dovecot's auth_ssl_require_client_cert does.
    return 1;
}

int handshake_state_index() {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

int sni_callback(SSL* ssl, int* /*alert*/, void* /*arg*/) {
    auto* state = static_cast<TlsHandshakeState*>(SSL_get_ex_data(ssl, handshake_state_index()));
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (!state || !name)
        return SSL_TLSEXT_ERR_OK;
    state->server_name = name;
    asio::ssl::context* ctx = state->set ? state->set->context_for(state->local_ip, state->server_name) : nullptr;
    if (ctx && ctx->native_handle() != SSL_get_SSL_CTX(ssl)) {
        SSL_set_SSL_CTX(ssl, ctx->native_handle());
        // SSL_set_SSL_CTX moves the certificate, not the verify setup.
        SSL_set_verify(ssl, SSL_CTX_get_verify_mode(ctx->native_handle()), accept_and_record_verify);
    }
    return SSL_TLSEXT_ERR_OK;
}

Status add_ca_certificates(SSL_CTX* ctx, const std::string& pem) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    if (!bio)
        return Status::io("ssl_ca: out of memory");
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    int added = 0;
    while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
        X509_STORE_add_cert(store, cert);
        SSL_CTX_add_client_CA(ctx, cert);
        X509_free(cert);
        ++added;
    }
    BIO_free(bio);
    ERR_clear_error(); // the loop ends on a "no start line" error
    if (added == 0)
        return Status::invalid("ssl_ca: no PEM certificate found");
    return Status::ok();
}

int password_callback(char* buf, int size, int, void* userdata) {
    const auto* password = static_cast<const std::string*>(userdata);
    if (password == nullptr || size <= 0)
        return -1;
    int n = static_cast<int>(std::min<std::size_t>(password->size(), static_cast<std::size_t>(size)));
    std::memcpy(buf, password->data(), static_cast<std::size_t>(n));
    return n;
}

bool pem_key_is_encrypted(const std::string& pem) {
    return pem.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string::npos ||
           pem.find("Proc-Type: 4,ENCRYPTED") != std::string::npos;
}

// "loft.conf:12: " or "".
std::string at(const std::string& where) { return where.empty() ? std::string() : where + ": "; }

// Load ssl_key into `c` (whose certificate chain is already set), telling
// apart an encrypted key without (or with a wrong) password, a key that is not
// a key, and a key that belongs to another certificate.
Status use_private_key(SSL_CTX* c, const TlsSettings& s) {
    ERR_clear_error();
    BIO* bio = BIO_new_mem_buf(s.key.data(), static_cast<int>(s.key.size()));
    if (bio == nullptr)
        return Status::io("ssl_key: out of memory");
    std::string password = s.key_password;
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, password_callback, &password);
    BIO_free(bio);
    if (key == nullptr) {
        std::string detail = openssl_error();
        if (pem_key_is_encrypted(s.key)) {
            if (s.key_password.empty())
                return Status::invalid(at(s.key_where) +
                                       "ssl_key: the private key is encrypted; set ssl_key_password");
            return Status::invalid(at(s.key_where) +
                                   "ssl_key: cannot decrypt the private key: is ssl_key_password right? (" +
                                   detail + ")");
        }
        return Status::invalid(at(s.key_where) + "ssl_key: cannot load private key: " + detail);
    }
    X509* leaf = SSL_CTX_get0_certificate(c);
    if (leaf != nullptr && X509_check_private_key(leaf, key) != 1) {
        EVP_PKEY_free(key);
        ERR_clear_error();
        std::string cert_at = s.cert_where.empty() ? std::string() : " (ssl_cert is set at " + s.cert_where + ")";
        return Status::invalid(at(s.key_where) +
                               "ssl_key does not match ssl_cert (is the leaf certificate first in ssl_cert?)" +
                               cert_at);
    }
    int ok = SSL_CTX_use_PrivateKey(c, key);
    EVP_PKEY_free(key);
    if (ok != 1)
        return Status::invalid(at(s.key_where) + "ssl_key: " + openssl_error());
    if (SSL_CTX_check_private_key(c) != 1)
        return Status::invalid(at(s.key_where) +
                               "ssl_key does not match ssl_cert (is the leaf certificate first in ssl_cert?)");
    return Status::ok();
}

} // namespace

std::string TlsSettings::cache_key() const {
    std::string out;
    for (const std::string* s : {&cert, &this->key, &key_password, &ca, &min_protocol, &cipher_list, &cipher_suites, &dh,
                                 &client_ca_file, &client_ca_dir}) {
        out += *s;
        out.push_back('\0');
    }
    out += prefer_server_ciphers ? '1' : '0';
    out += verify_client_cert ? '1' : '0';
    return out;
}

TlsSettings tls_settings_from(const Config& config, const LookupContext& ctx) {
    TlsSettings s;
    s.cert = contents(config.get("ssl_cert", ctx));
    s.key = contents(config.get("ssl_key", ctx));
    s.key_password = config.get("ssl_key_password", ctx);
    s.ca = contents(config.get("ssl_ca", ctx));
    s.min_protocol = config.get("ssl_min_protocol", ctx);
    s.cipher_list = config.get("ssl_cipher_list", ctx);
    s.cipher_suites = config.get("ssl_cipher_suites", ctx);
    s.dh = contents(config.get("ssl_dh", ctx));
    s.client_ca_file = config.get("ssl_client_ca_file", ctx);
    s.client_ca_dir = config.get("ssl_client_ca_dir", ctx);
    s.prefer_server_ciphers = config.get_bool("ssl_prefer_server_ciphers", ctx);
    s.verify_client_cert = config.get_bool("ssl_verify_client_cert", ctx);
    if (auto where = config.location_of("ssl_cert", ctx))
        s.cert_where = where->to_string();
    if (auto where = config.location_of("ssl_key", ctx))
        s.key_where = where->to_string();
    return s;
}

void set_handshake_state(SSL* ssl, TlsHandshakeState* state) {
    SSL_set_ex_data(ssl, handshake_state_index(), state);
}

void install_sni_callback(asio::ssl::context& ctx) {
    SSL_CTX_set_tlsext_servername_callback(ctx.native_handle(), sni_callback);
}

Result<std::shared_ptr<asio::ssl::context>> make_tls_context(const TlsSettings& s) {
    try {
        auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
        SSL_CTX* c = ctx->native_handle();
        ERR_clear_error();
        long options = SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION;
        if (s.prefer_server_ciphers)
            options |= SSL_OP_CIPHER_SERVER_PREFERENCE;
        SSL_CTX_set_options(c, options);
        // Idle TLS connections give their record buffers back to the heap.
        SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
        int min = protocol_version(s.min_protocol);
        if (min < 0)
            return Status::invalid("ssl_min_protocol: unknown protocol " + s.min_protocol);
        SSL_CTX_set_min_proto_version(c, min);
        if (!s.cipher_list.empty() && SSL_CTX_set_cipher_list(c, s.cipher_list.c_str()) != 1)
            return Status::invalid("ssl_cipher_list: " + openssl_error());
        if (!s.cipher_suites.empty() && SSL_CTX_set_ciphersuites(c, s.cipher_suites.c_str()) != 1)
            return Status::invalid("ssl_cipher_suites: " + openssl_error());
        if (!s.key_password.empty()) {
            std::string password = s.key_password;
            ctx->set_password_callback(
                [password](std::size_t, asio::ssl::context::password_purpose) { return password; });
        }
        std::error_code ec;
        ctx->use_certificate_chain(asio::buffer(s.cert), ec);
        if (ec)
            return Status::invalid(at(s.cert_where) + "ssl_cert: cannot load certificate chain: " + ec.message());
        Status key_status = use_private_key(c, s);
        if (!key_status)
            return key_status;
        if (!s.dh.empty()) {
            ctx->use_tmp_dh(asio::buffer(s.dh), ec);
            if (ec)
                return Status::invalid("ssl_dh: cannot load DH parameters: " + ec.message());
        } else {
            SSL_CTX_set_dh_auto(c, 1);
        }
        if (!s.ca.empty()) {
            Status st = add_ca_certificates(c, s.ca);
            if (!st)
                return st;
        }
        if (!s.client_ca_file.empty() || !s.client_ca_dir.empty()) {
            const char* file = s.client_ca_file.empty() ? nullptr : s.client_ca_file.c_str();
            const char* dir = s.client_ca_dir.empty() ? nullptr : s.client_ca_dir.c_str();
            if (SSL_CTX_load_verify_locations(c, file, dir) != 1)
                return Status::invalid("ssl_client_ca_file/ssl_client_ca_dir: " + openssl_error());
            if (file) {
                if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(file))
                    SSL_CTX_set_client_CA_list(c, names);
            }
        }
        if (s.verify_client_cert)
            SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, accept_and_record_verify);
        static const unsigned char kSessionContext[] = "loft";
        SSL_CTX_set_session_id_context(c, kSessionContext, sizeof kSessionContext - 1);
        install_sni_callback(*ctx);
        ERR_clear_error();
        return ctx;
    } catch (const std::exception& e) {
        return Status::error(Status::Code::internal, std::string("TLS context: ") + e.what());
    }
}

Result<std::shared_ptr<TlsContextSet>> TlsContextSet::build(const Config& config, std::string protocol) {
    std::shared_ptr<TlsContextSet> set(new TlsContextSet(config, protocol));
    LookupContext base;
    base.protocol = protocol;
    std::string mode = config.get("ssl", base);
    set->mode_ = mode == "no" ? SslMode::no : mode == "required" ? SslMode::required : SslMode::yes;
    if (set->mode_ == SslMode::no)
        return set;
    TlsSettings defaults = tls_settings_from(config, base);
    if (defaults.cert.empty())
        return set; // TLS unavailable; callers log it where it matters
    auto ctx = set->get_or_build(defaults);
    if (!ctx)
        return ctx.status();
    set->default_ = *ctx;
    set->available_ = true;
    // Build what the file names up front, so a bad certificate in any block
    // fails the (re)load instead of a handshake much later.
    for (const auto& section : config.sections("local")) {
        if (!parse_cidr(section.name()) || section.name().find('/') != std::string::npos)
            continue; // networks are resolved per connection
        LookupContext ctx_ip = base;
        ctx_ip.local_ip = section.name();
        auto r = set->get_or_build(tls_settings_from(config, ctx_ip));
        if (!r)
            return Status::invalid("local " + section.name() + " { }: " + r.status().message());
    }
    for (const auto& section : config.sections("local_name")) {
        LookupContext ctx_name = base;
        ctx_name.local_name = section.name();
        auto r = set->get_or_build(tls_settings_from(config, ctx_name));
        if (!r)
            return Status::invalid("local_name " + section.name() + " { }: " + r.status().message());
    }
    return set;
}

Result<asio::ssl::context*> TlsContextSet::get_or_build(const TlsSettings& settings) {
    std::string key = settings.cache_key();
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = contexts_.find(key); it != contexts_.end())
        return it->second.get();
    if (settings.cert.empty())
        return Status::invalid("ssl_cert is not set");
    auto ctx = make_tls_context(settings);
    if (!ctx)
        return ctx.status();
    asio::ssl::context* raw = ctx->get();
    contexts_.emplace(std::move(key), std::move(*ctx));
    return raw;
}

asio::ssl::context* TlsContextSet::context_for(const std::string& local_ip, const std::string& name) {
    if (!available_)
        return nullptr;
    if (local_ip.empty() && name.empty())
        return default_;
    try {
        LookupContext ctx;
        ctx.protocol = protocol_;
        ctx.local_ip = local_ip;
        ctx.local_name = name;
        auto r = get_or_build(tls_settings_from(config_, ctx));
        if (r)
            return *r;
        mailstore::log::Logger("tls").errorf("local {} / name {}: {}; using the default certificate", local_ip, name,
                                             r.status().message());
    } catch (...) {
    }
    return default_;
}

} // namespace loft
