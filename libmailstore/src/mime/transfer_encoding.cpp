// Stub: replaced by the implementation.
#include <mailstore/mime/transfer_encoding.hpp>

namespace mailstore::mime {
TransferEncoding parse_transfer_encoding(std::string_view) { return TransferEncoding::seven_bit; }
void Base64Decoder::feed(std::string_view, std::string&) {}
void Base64Decoder::finish(std::string&) {}
void QuotedPrintableDecoder::feed(std::string_view in, std::string& out) { out.append(in); }
void QuotedPrintableDecoder::finish(std::string&) {}
std::string decode_base64(std::string_view, bool*) { return {}; }
std::string decode_quoted_printable(std::string_view in, bool, bool*) { return std::string(in); }
bool decode_transfer(TransferEncoding, std::string_view in, std::string& out) { out.append(in); return true; }
std::string encode_base64(std::string_view in, std::size_t) { return std::string(in); }
std::string encode_quoted_printable(std::string_view in) { return std::string(in); }
} // namespace mailstore::mime
