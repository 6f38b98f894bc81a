// The self-signed certificate of the built-in default, so TLS works (with a
// warning in the client) on the very first `make run`.
#pragma once

#include <mailstore/status.hpp>

#include <string>

namespace loftd {

// Create an EC P-256 key and a certificate for CN=localhost with
// subjectAltName DNS:localhost, IP:127.0.0.1, IP:::1, valid for ten years.
// The key is written with mode 0600, the certificate 0644; both through a
// temporary file and rename(), so a crash never leaves half a key behind.
mailstore::Status create_self_signed_certificate(const std::string& cert_path,
                                                 const std::string& key_path);

} // namespace loftd
