// Stub: replaced by the implementation.
#include <mailstore/mime/envelope.hpp>

namespace mailstore::mime {
Envelope build_envelope(const Header&) { return {}; }
} // namespace mailstore::mime
