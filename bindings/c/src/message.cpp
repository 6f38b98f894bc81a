// Messages: the snapshot a loft_message holds and reading the message's
// bytes, header fields and MIME parts.
#include "buffers.hpp"
#include "errors.hpp"
#include "handles.hpp"

#include <mailstore/mime/header.hpp>
#include <mailstore/mime/message.hpp>
#include <mailstore/mime/section.hpp>
#include <mailstore/storage/mailbox.hpp>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace storage = mailstore::storage;
namespace mime = mailstore::mime;
using loft_c::fail;
using loft_c::guarded;
using loft_c::null_argument;

namespace {

// A snapshot of message `seq` of the mailbox's view. Sizes and dates come
// from the index (or the file); one that cannot be read stays 0.
loft_message* snapshot(loft_mailbox* mailbox, storage::Seq seq) {
    storage::Message message = mailbox->mailbox.message(seq);
    auto* out = new loft_message();
    out->mailbox = mailbox;
    out->seq = seq;
    out->uid = message.uid();
    out->flags = message.flags();
    out->keywords = message.keywords();
    if (auto v = message.virtual_size())
        out->size = *v;
    if (auto v = message.physical_size())
        out->physical_size = *v;
    if (auto v = message.internal_date())
        out->internal_date = *v;
    if (auto v = message.save_date())
        out->save_date = *v;
    return out;
}

// The message's stored bytes, opened on first use (by UID, so a sync of
// the mailbox in between does not matter). not_found once it is expunged.
loft_status load(loft_message* message) {
    if (message->data)
        return LOFT_OK;
    auto found = message->mailbox->mailbox.message_by_uid(message->uid);
    if (!found)
        return fail(found.status());
    auto data = found->open();
    if (!data)
        return fail(data.status());
    message->data.emplace(std::move(*data));
    return LOFT_OK;
}

// The MIME tree, parsed on first use over the bytes `load` keeps alive.
loft_status load_parsed(loft_message* message) {
    if (loft_status st = load(message); st != LOFT_OK)
        return st;
    if (!message->parsed)
        message->parsed.emplace(mime::ParsedMessage::parse(message->data->bytes()));
    return LOFT_OK;
}

// "1.2.3" as {1, 2, 3}; "" as {} (the whole message). False for anything
// else (a 0, an empty level, a non-digit).
bool parse_part_number(std::string_view text, std::vector<std::uint32_t>* path) {
    path->clear();
    if (text.empty())
        return true;
    std::uint64_t value = 0;
    bool digits = false;
    for (char c : text) {
        if (c == '.') {
            if (!digits || value == 0)
                return false;
            path->push_back(static_cast<std::uint32_t>(value));
            value = 0;
            digits = false;
        } else if (c >= '0' && c <= '9') {
            value = value * 10 + std::uint64_t(c - '0');
            if (value > 0xFFFFFFFFu)
                return false;
            digits = true;
        } else {
            return false;
        }
    }
    if (!digits || value == 0)
        return false;
    path->push_back(static_cast<std::uint32_t>(value));
    return true;
}

} // namespace

extern "C" {

loft_status loft_message_get(loft_mailbox* mailbox, uint32_t seq, loft_message** message) {
    if (message != nullptr)
        *message = nullptr;
    return guarded([&]() -> loft_status {
        if (mailbox == nullptr)
            return null_argument("mailbox");
        if (message == nullptr)
            return null_argument("message");
        storage::Seq count = mailbox->mailbox.view().count();
        if (seq == 0 || seq > count)
            return fail(LOFT_EINVAL, "sequence number " + std::to_string(seq) + " is not in 1.." +
                                         std::to_string(count));
        *message = snapshot(mailbox, seq);
        return LOFT_OK;
    });
}

loft_status loft_message_get_uid(loft_mailbox* mailbox, uint32_t uid, loft_message** message) {
    if (message != nullptr)
        *message = nullptr;
    return guarded([&]() -> loft_status {
        if (mailbox == nullptr)
            return null_argument("mailbox");
        if (message == nullptr)
            return null_argument("message");
        if (uid == 0)
            return fail(LOFT_EINVAL, "UID 0 is not a UID");
        storage::Seq seq = mailbox->mailbox.view().seq(uid);
        if (seq == 0)
            return fail(LOFT_ENOTFOUND, "no message with UID " + std::to_string(uid) + " in " +
                                            mailbox->mailbox.name());
        *message = snapshot(mailbox, seq);
        return LOFT_OK;
    });
}

void loft_message_free(loft_message* message) {
    delete message;
}

uint32_t loft_message_seq(const loft_message* message) {
    return message != nullptr ? message->seq : 0;
}

uint32_t loft_message_uid(const loft_message* message) {
    return message != nullptr ? message->uid : 0;
}

uint32_t loft_message_flags(const loft_message* message) {
    return message != nullptr ? message->flags : 0;
}

uint64_t loft_message_size(const loft_message* message) {
    return message != nullptr ? message->size : 0;
}

uint64_t loft_message_physical_size(const loft_message* message) {
    return message != nullptr ? message->physical_size : 0;
}

int64_t loft_message_internal_date(const loft_message* message) {
    return message != nullptr ? message->internal_date : 0;
}

int64_t loft_message_save_date(const loft_message* message) {
    return message != nullptr ? message->save_date : 0;
}

size_t loft_message_keyword_count(const loft_message* message) {
    return message != nullptr ? message->keywords.size() : 0;
}

const char* loft_message_keyword(const loft_message* message, size_t index) {
    if (message == nullptr || index >= message->keywords.size())
        return nullptr;
    return message->keywords[index].c_str();
}

loft_status loft_message_read(loft_message* message, char** data, size_t* size) {
    if (data != nullptr)
        *data = nullptr;
    return guarded([&]() -> loft_status {
        if (message == nullptr)
            return null_argument("message");
        if (data == nullptr)
            return null_argument("data");
        if (size == nullptr)
            return null_argument("size");
        if (loft_status st = load(message); st != LOFT_OK)
            return st;
        return loft_c::copy_out(message->data->bytes(), data, size);
    });
}

loft_status loft_message_read_at(loft_message* message, uint64_t offset, void* buffer,
                                 size_t length, size_t* read_size) {
    return guarded([&]() -> loft_status {
        if (message == nullptr)
            return null_argument("message");
        if (buffer == nullptr && length > 0)
            return null_argument("buffer");
        if (read_size == nullptr)
            return null_argument("read_size");
        if (loft_status st = load(message); st != LOFT_OK)
            return st;
        std::string_view bytes = message->data->bytes();
        std::size_t copied = 0;
        if (offset < bytes.size()) {
            copied = std::min<std::size_t>(length, bytes.size() - static_cast<std::size_t>(offset));
            if (copied > 0)
                std::memcpy(buffer, bytes.data() + offset, copied);
        }
        *read_size = copied;
        return LOFT_OK;
    });
}

loft_status loft_message_header(loft_message* message, const char* name, size_t index,
                                uint32_t flags, char** value) {
    if (value != nullptr)
        *value = nullptr;
    return guarded([&]() -> loft_status {
        if (message == nullptr)
            return null_argument("message");
        if (name == nullptr || *name == '\0')
            return fail(LOFT_EINVAL, "header field name is empty");
        if (value == nullptr)
            return null_argument("value");
        if (flags != LOFT_DECODED && flags != LOFT_RAW)
            return fail(LOFT_EINVAL, "unknown header flags");
        if (loft_status st = load(message); st != LOFT_OK)
            return st;
        mime::Header header(message->data->header());
        std::vector<const mime::HeaderField*> fields = header.all(name);
        if (index >= fields.size())
            return fail(LOFT_ENOTFOUND, fields.empty()
                                            ? std::string("no ") + name + " header field"
                                            : std::string("only ") + std::to_string(fields.size()) +
                                                  " " + name + " header field(s)");
        std::string_view raw = fields[index]->value;
        if (flags == LOFT_RAW)
            return loft_c::copy_out(raw, value, nullptr);
        return loft_c::copy_out(mime::decoded_value(raw), value, nullptr);
    });
}

loft_status loft_message_part(loft_message* message, const char* section, uint32_t flags,
                              char** data, size_t* size) {
    if (data != nullptr)
        *data = nullptr;
    return guarded([&]() -> loft_status {
        if (message == nullptr)
            return null_argument("message");
        if (section == nullptr)
            return null_argument("section");
        if (data == nullptr)
            return null_argument("data");
        if (size == nullptr)
            return null_argument("size");
        if (flags != LOFT_DECODED && flags != LOFT_RAW)
            return fail(LOFT_EINVAL, "unknown part flags");
        if (flags == LOFT_RAW) {
            auto spec = mime::parse_section_spec(section);
            if (!spec)
                return fail(LOFT_EINVAL, std::string("invalid section: \"") + section + "\"");
            if (loft_status st = load_parsed(message); st != LOFT_OK)
                return st;
            auto content = mime::locate_section(*message->parsed, *spec);
            if (!content)
                return fail(LOFT_ENOTFOUND,
                            std::string("no section ") + section + " in the message");
            return loft_c::copy_out(mime::section_bytes(*message->parsed, *content), data, size);
        }
        std::vector<std::uint32_t> path;
        if (!parse_part_number(section, &path))
            return fail(LOFT_EINVAL, std::string("invalid part number: \"") + section + "\"");
        if (loft_status st = load_parsed(message); st != LOFT_OK)
            return st;
        auto decoded = mime::decode_part_binary(*message->parsed, path);
        if (!decoded) {
            const mailstore::Status& st = decoded.status();
            if (st.code() == mailstore::Status::Code::not_found)
                return fail(LOFT_ENOTFOUND, std::string("no part ") + section + " in the message");
            if (st.message() == "unknown-cte")
                return fail(LOFT_ENOTSUP,
                            std::string("part ") + section + ": unknown Content-Transfer-Encoding");
            if (st.message() == "invalid-data")
                return fail(LOFT_EINVAL, std::string("part ") + section + ": damaged encoded data");
            return fail(st);
        }
        return loft_c::copy_out(*decoded, data, size);
    });
}

} // extern "C"
