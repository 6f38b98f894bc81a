// Small helpers the scheme families share.
#include "auth/crypto.hpp"
#include "auth/password/scheme.hpp"

#include <charconv>

namespace mailstore::auth::password {

Status malformed(const Scheme& s, std::string_view why) {
    return Status::invalid("malformed " + std::string(s.name) + " hash: " + std::string(why));
}

std::string base64_unpadded(std::string_view bytes) {
    std::string out = crypto::base64(bytes);
    while (!out.empty() && out.back() == '=')
        out.pop_back();
    return out;
}

bool decode_base64_unpadded(std::string_view text, std::string& out) {
    if (text.size() % 4 == 1 || text.find('=') != std::string_view::npos)
        return false;
    std::string padded(text);
    padded.append((4 - text.size() % 4) % 4, '=');
    auto decoded = crypto::unbase64(padded);
    if (!decoded)
        return false;
    out = std::move(*decoded);
    return true;
}

bool parse_bounded_uint(std::string_view text, unsigned max, unsigned& out) {
    if (text.empty() || text.size() > 10 || text[0] < '0' || text[0] > '9')
        return false;
    unsigned long long v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v > max)
        return false;
    out = static_cast<unsigned>(v);
    return true;
}

} // namespace mailstore::auth::password
