// imap_logout_format: the counters of the logout log line (Dovecot's %i,
// %o and %{name} variables).
#include "session/session_impl.hpp"

namespace imapproto {

namespace {

std::optional<std::uint64_t> counter(const SessionStats& s, std::string_view name) {
    if (name == "i" || name == "input")
        return s.bytes_in;
    if (name == "o" || name == "output")
        return s.bytes_out;
    if (name == "deleted")
        return s.deleted;
    if (name == "expunged")
        return s.expunged;
    if (name == "trashed")
        return s.trashed;
    if (name == "fetch_hdr_count")
        return s.fetch_hdr_count;
    if (name == "fetch_hdr_bytes")
        return s.fetch_hdr_bytes;
    if (name == "fetch_body_count")
        return s.fetch_body_count;
    if (name == "fetch_body_bytes")
        return s.fetch_body_bytes;
    if (name == "autoexpunged")
        return s.autoexpunged;
    return std::nullopt;
}

} // namespace

std::string Session::logout_stats() const {
    const std::string& f = impl_->settings_.logout_format;
    const SessionStats& s = impl_->stats_;
    std::string out;
    out.reserve(f.size() + 64);
    for (std::size_t i = 0; i < f.size(); ++i) {
        if (f[i] != '%' || i + 1 >= f.size()) {
            out += f[i];
            continue;
        }
        char c = f[i + 1];
        if (c == '%') {
            out += '%';
            ++i;
            continue;
        }
        std::string_view name;
        std::size_t next = i + 2;
        if (c == '{') {
            auto end = f.find('}', i + 2);
            if (end == std::string::npos) {
                out += f[i];
                continue;
            }
            name = std::string_view(f).substr(i + 2, end - i - 2);
            next = end + 1;
        } else {
            name = std::string_view(f).substr(i + 1, 1);
        }
        auto v = counter(s, name);
        if (!v) {
            // Unknown variables stay as written, so a typo is visible.
            out.append(f, i, next - i);
        } else {
            out += std::to_string(*v);
        }
        i = next - 1;
    }
    return out;
}

} // namespace imapproto
