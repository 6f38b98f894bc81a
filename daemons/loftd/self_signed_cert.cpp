#include "self_signed_cert.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <unistd.h>

namespace loftd {

using mailstore::Status;

namespace {

template <auto Free>
struct Deleter {
    template <typename T>
    void operator()(T* p) const { Free(p); }
};
using PKey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509_free>>;
using Ext = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using Bignum = std::unique_ptr<BIGNUM, Deleter<BN_free>>;

Status openssl_error(const std::string& what) {
    unsigned long code = ERR_get_error();
    char buf[256] = "unknown error";
    if (code != 0)
        ERR_error_string_n(code, buf, sizeof buf);
    ERR_clear_error();
    return Status::error(Status::Code::internal, "creating the self-signed certificate: " + what + ": " + buf);
}

bool add_extension(X509* cert, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    Ext ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

// Write through `path.tmp` with `mode`, then rename over `path`.
template <typename WriteFn>
Status write_pem(const std::string& path, mode_t mode, WriteFn&& write) {
    std::string tmp = path + ".tmp";
    unlink(tmp.c_str());
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return Status::io("cannot create " + tmp + ": " + std::strerror(errno));
    FILE* f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return Status::io("cannot write " + tmp + ": " + std::strerror(errno));
    }
    bool ok = write(f);
    ok = fflush(f) == 0 && ok;
    ok = fsync(fileno(f)) == 0 && ok;
    ok = fclose(f) == 0 && ok;
    if (!ok) {
        unlink(tmp.c_str());
        return openssl_error("writing " + path);
    }
    if (rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        unlink(tmp.c_str());
        return Status::io("cannot rename " + tmp + " to " + path + ": " + std::strerror(err));
    }
    return Status::ok();
}

} // namespace

Status create_self_signed_certificate(const std::string& cert_path, const std::string& key_path) {
    PKey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (!key)
        return openssl_error("generating an EC P-256 key");

    Cert cert(X509_new());
    if (!cert)
        return openssl_error("X509_new");
    X509_set_version(cert.get(), X509_VERSION_3);

    // A random 128-bit serial (positive): clients remember certificates by
    // issuer and serial, and every first start makes a new one.
    unsigned char serial_bytes[16];
    if (RAND_bytes(serial_bytes, sizeof serial_bytes) != 1)
        return openssl_error("RAND_bytes");
    serial_bytes[0] &= 0x7f;
    Bignum serial(BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr));
    if (!serial || !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())))
        return openssl_error("setting the serial number");

    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60 * 60);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 60 * 60);
    X509_NAME* name = X509_get_subject_name(cert.get());
    if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("Loft built-in default"), -1, -1, 0) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0) != 1)
        return openssl_error("setting the subject");
    X509_set_issuer_name(cert.get(), name);
    if (X509_set_pubkey(cert.get(), key.get()) != 1)
        return openssl_error("setting the public key");

    if (!add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
        !add_extension(cert.get(), NID_key_usage, "critical,digitalSignature") ||
        !add_extension(cert.get(), NID_ext_key_usage, "serverAuth") ||
        !add_extension(cert.get(), NID_subject_key_identifier, "hash") ||
        !add_extension(cert.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1"))
        return openssl_error("adding extensions");

    if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0)
        return openssl_error("signing");

    // Key first: a certificate without its key would be useless.
    Status st = write_pem(key_path, 0600, [&](FILE* f) {
        return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
    });
    if (!st)
        return st;
    return write_pem(cert_path, 0644, [&](FILE* f) { return PEM_write_X509(f, cert.get()) == 1; });
}

} // namespace loftd
