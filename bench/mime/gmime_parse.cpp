#include "gmime_parse.hpp"

#include <gmime/gmime.h>

#include <cstdio>
#include <string>
#include <vector>

namespace bench {

namespace {

bool is_type(GMimeObject* object, const char* type, const char* subtype) {
    GMimeContentType* ct = g_mime_object_get_content_type(object);
    return ct != nullptr && g_mime_content_type_is_type(ct, type, subtype);
}

// Parts below an entity, the entity included. Iterative: a deep message
// must not overflow the stack here either.
//
// Where GMime and Dovecot (whose tree libmailstore reproduces) read the same
// bytes differently, GMime's tree is counted the Dovecot way or the message
// is marked as not comparable:
//  - message/news (and message/partial, message/external-body, which GMime
//    keeps as leaves anyway) is a leaf for Dovecot: GMime's encapsulated
//    message is not counted;
//  - message/rfc822 with a base64 or quoted-printable encoding is a leaf for
//    GMime, while Dovecot parses its (encoded) text as a message: the counts
//    cannot be compared.
std::size_t count_object(GMimeObject* top, bool& comparable) {
    std::size_t count = 0;
    std::vector<GMimeObject*> stack{top};
    while (!stack.empty()) {
        GMimeObject* object = stack.back();
        stack.pop_back();
        ++count;
        if (object == nullptr)
            continue;  // a message without a body is still one part
        if (GMIME_IS_MULTIPART(object)) {
            auto* multipart = GMIME_MULTIPART(object);
            int n = g_mime_multipart_get_count(multipart);
            for (int i = n - 1; i >= 0; --i)
                stack.push_back(g_mime_multipart_get_part(multipart, i));
        } else if (GMIME_IS_MESSAGE_PART(object)) {
            if (!is_type(object, "message", "rfc822") && !is_type(object, "message", "global"))
                continue;
            // The encapsulated message is a part of its own (libmailstore's
            // children[0]), its top-level entity being that part.
            GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
            if (inner != nullptr)
                stack.push_back(g_mime_message_get_mime_part(inner));
        } else if (GMIME_IS_PART(object) && (is_type(object, "message", "rfc822") ||
                                             is_type(object, "message", "global"))) {
            comparable = false;
        }
    }
    return count;
}

void dump_object(GMimeObject* object, int depth, std::string& out) {
    out.append(static_cast<std::size_t>(depth) * 2, ' ');
    if (object == nullptr) {
        out += "(no body)\n";
        return;
    }
    GMimeContentType* type = g_mime_object_get_content_type(object);
    char* mime_type = type ? g_mime_content_type_get_mime_type(type) : nullptr;
    out += mime_type ? mime_type : "?";
    out += GMIME_IS_MULTIPART(object) ? " [multipart]" : GMIME_IS_MESSAGE_PART(object) ? " [message]" : "";
    out += '\n';
    g_free(mime_type);
    if (GMIME_IS_MULTIPART(object)) {
        auto* multipart = GMIME_MULTIPART(object);
        for (int i = 0; i < g_mime_multipart_get_count(multipart); ++i)
            dump_object(g_mime_multipart_get_part(multipart, i), depth + 1, out);
    } else if (GMIME_IS_MESSAGE_PART(object)) {
        GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
        if (inner != nullptr)
            dump_object(g_mime_message_get_mime_part(inner), depth + 1, out);
    }
}

} // namespace

void gmime_setup() { g_mime_init(); }

const char* gmime_version() {
    static std::string version = std::to_string(gmime_major_version) + "." +
                                 std::to_string(gmime_minor_version) + "." +
                                 std::to_string(gmime_micro_version);
    return version.c_str();
}

GMimeInput::GMimeInput(std::string_view raw) {
    GByteArray* array = g_byte_array_sized_new(static_cast<guint>(raw.size()));
    g_byte_array_append(array, reinterpret_cast<const guint8*>(raw.data()), static_cast<guint>(raw.size()));
    bytes_ = array;
}

GMimeInput::~GMimeInput() {
    if (bytes_)
        g_byte_array_unref(static_cast<GByteArray*>(bytes_));
}

GMimeInput::GMimeInput(GMimeInput&& other) noexcept : bytes_(other.bytes_) { other.bytes_ = nullptr; }

std::string GMimeInput::dump() const {
    GMimeStream* stream = g_mime_stream_mem_new_with_byte_array(static_cast<GByteArray*>(bytes_));
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
    GMimeParser* parser = g_mime_parser_new_with_stream(stream);
    GMimeMessage* message = g_mime_parser_construct_message(parser, nullptr);
    std::string out;
    if (message != nullptr) {
        dump_object(g_mime_message_get_mime_part(message), 0, out);
        g_object_unref(message);
    } else {
        out = "(no message)\n";
    }
    g_object_unref(parser);
    g_object_unref(stream);
    return out;
}

std::size_t GMimeInput::parse_and_count(bool* comparable_out) const {
    GMimeStream* stream = g_mime_stream_mem_new_with_byte_array(static_cast<GByteArray*>(bytes_));
    // The stream reads the array but must not free it: it is parsed again.
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
    GMimeParser* parser = g_mime_parser_new_with_stream(stream);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    GMimeMessage* message = g_mime_parser_construct_message(parser, nullptr);
    std::size_t count = 0;
    bool comparable = true;
    if (message != nullptr) {
        count = count_object(g_mime_message_get_mime_part(message), comparable);
        if (comparable_out)
            *comparable_out = comparable;
        g_object_unref(message);
    }
    g_object_unref(parser);
    g_object_unref(stream);
    return count;
}

} // namespace bench
