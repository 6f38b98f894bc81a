// pop3_logout_format (Dovecot's variables): what the daemon appends to
// "Disconnected: Logged out".
#include "session/session_impl.hpp"

#include <mailstore/var_expand.hpp>

#include <cstdint>
#include <cstdio>

namespace pop3proto::detail {

namespace {

// CRC-32 (ISO-HDLC, zlib's) of one UIDL, bitwise: UIDLs are at most 70 bytes.
std::uint32_t crc32_of(std::string_view text) {
    std::uint32_t crc = 0xffffffffU;
    for (unsigned char c : text) {
        crc ^= c;
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc >> 1) ^ (0xedb88320U & (0U - (crc & 1U)));
    }
    return ~crc;
}

std::string count_and_hash(std::uint64_t count, std::uint32_t hash) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%llu/%08x", static_cast<unsigned long long>(count), hash);
    return buf;
}

} // namespace

// The hash is the XOR of the UIDLs' CRC-32s, so it does not depend on the
// order, and "6/acc6d81c -> 5/65ea43d7" is what Dovecot 2.3.19 logs for the
// same six UIDLs with the first one deleted (checked against its log).
std::string uidl_change(const Session::Impl& s) {
    if (!s.uidls_ready_ || s.uidls_.size() != s.messages_.size())
        return {};
    std::uint32_t all = 0, kept = 0;
    std::uint64_t kept_count = 0;
    for (std::size_t i = 0; i < s.uidls_.size(); ++i) {
        const std::uint32_t crc = crc32_of(s.uidls_[i]);
        all ^= crc;
        if (!s.messages_[i].deleted) {
            kept ^= crc;
            ++kept_count;
        }
    }
    std::string out = count_and_hash(s.uidls_.size(), all);
    if (s.stats_.deleted_count > 0)
        out += " -> " + count_and_hash(kept_count, kept);
    return out;
}

std::string expand_logout_format(std::string_view format, const SessionStats& stats, std::string_view uidl_change) {
    const std::string i = std::to_string(stats.bytes_in), o = std::to_string(stats.bytes_out),
                      t = std::to_string(stats.top_count), p = std::to_string(stats.top_bytes),
                      r = std::to_string(stats.retr_count), b = std::to_string(stats.retr_bytes),
                      d = std::to_string(stats.deleted_count), m = std::to_string(stats.message_count),
                      s = std::to_string(stats.mailbox_size), db = std::to_string(stats.deleted_bytes);
    const mailstore::ExpandVariable vars[] = {
        {'i', "input", i},          {'o', "output", o},        {'t', "top_count", t},
        {'p', "top_bytes", p},      {'r', "retr_count", r},    {'b', "retr_bytes", b},
        {'d', "deleted_count", d},  {'m', "message_count", m}, {'s', "message_bytes", s},
        {'\0', "deleted_bytes", db},
        {'u', "uidl_change", uidl_change},
        // Dovecot 2.3.19 has no %v (it logs "UNSUPPORTED_VARIABLE_v"): empty.
        {'v', "", ""},
    };
    auto expanded = mailstore::expand_variables(format, vars);
    if (expanded)
        return std::move(*expanded);
    return "top=" + t + "/" + p + ", retr=" + r + "/" + b + ", del=" + d + "/" + m + ", size=" + s;
}

} // namespace pop3proto::detail
