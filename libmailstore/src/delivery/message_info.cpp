// The header fields delivery needs from the message (Message-ID, the
// lda_original_recipient_header field), from a bounded read of its header.
#include "delivery/message_info.hpp"

#include <mailstore/mime/header.hpp>

#include <cerrno>

#include <unistd.h>

namespace mailstore::delivery {

namespace {

// The header block: up to and including the first empty line, or what was
// read when the limit or the end came first.
std::string read_header_block(int fd) {
    std::string out;
    char buf[8192];
    off_t off = 0;
    std::size_t scanned = 0; // out[0, scanned) holds no line end followed by an empty line
    while (out.size() < header_read_limit) {
        ssize_t n = ::pread(fd, buf, sizeof buf, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        out.append(buf, std::size_t(n));
        off += n;
        // A message that starts with the empty line has no header.
        if (out.starts_with("\n") || out.starts_with("\r\n"))
            return std::string();
        for (std::size_t i = scanned; i < out.size(); ++i) {
            if (out[i] != '\n')
                continue;
            if (i + 1 < out.size() && out[i + 1] == '\n') {
                out.resize(i + 2);
                return out;
            }
            if (i + 2 < out.size() && out[i + 1] == '\r' && out[i + 2] == '\n') {
                out.resize(i + 3);
                return out;
            }
        }
        scanned = out.size() >= 2 ? out.size() - 2 : 0;
    }
    if (out.size() > header_read_limit)
        out.resize(header_read_limit);
    return out;
}

// "Name <a@b>" or "<a@b>" or "a@b": the address itself.
std::string address_of(std::string_view value) {
    const auto lt = value.find('<');
    if (lt != std::string_view::npos) {
        const auto gt = value.find('>', lt);
        if (gt != std::string_view::npos)
            return std::string(value.substr(lt + 1, gt - lt - 1));
    }
    return std::string(value);
}

// At most `max` bytes, not cutting a UTF-8 sequence.
std::string cut(std::string text, std::size_t max) {
    if (text.size() <= max)
        return text;
    std::size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xc0) == 0x80)
        --n;
    text.resize(n);
    return text;
}

} // namespace

MessageInfo read_message_info(int fd, std::string_view original_header) {
    MessageInfo info;
    const std::string header = read_header_block(fd);
    for (const auto& field : mime::parse_header_fields(header)) {
        if (field.name.empty())
            continue;
        if (info.message_id.empty() && mime::field_name_equals(field.name, "Message-ID"))
            info.message_id = mime::unfold_trim(field.value);
        else if (info.subject.empty() && mime::field_name_equals(field.name, "Subject"))
            info.subject = cut(mime::decoded_value(field.value), 80);
        else if (info.from.empty() && mime::field_name_equals(field.name, "From"))
            info.from = cut(address_of(mime::unfold_trim(field.value)), 200);
        else if (!original_header.empty() && info.original_recipient.empty() &&
                 mime::field_name_equals(field.name, original_header))
            info.original_recipient = address_of(mime::unfold_trim(field.value));
    }
    return info;
}

} // namespace mailstore::delivery
