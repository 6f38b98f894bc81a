// Stub: replaced by the implementation.
#include <imapproto/fetch_writer.hpp>

namespace imapproto {
void write_envelope(std::string& out, const mailstore::mime::Envelope&) { out += "NIL"; }
void write_body_structure(std::string& out, const mailstore::mime::ParsedMessage&, const mailstore::mime::MessagePart&, bool) { out += "NIL"; }
std::string envelope_text(const mailstore::mime::ParsedMessage&) { return "NIL"; }
std::string bodystructure_text(const mailstore::mime::ParsedMessage&) { return "NIL"; }
std::string body_text(const mailstore::mime::ParsedMessage&) { return "NIL"; }
} // namespace imapproto
