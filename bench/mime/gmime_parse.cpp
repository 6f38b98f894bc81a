#include "gmime_parse.hpp"

#include <gmime/gmime.h>

#include <cstdio>
#include <string>
#include <vector>

namespace bench {

namespace {

// Parts below an entity, the entity included. Iterative: a deep message
// must not overflow the stack here either.
std::size_t count_object(GMimeObject* top) {
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
            // The encapsulated message is a part of its own (libmailstore's
            // children[0]), its top-level entity being that part.
            GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
            if (inner != nullptr)
                stack.push_back(g_mime_message_get_mime_part(inner));
        }
    }
    return count;
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

std::size_t GMimeInput::parse_and_count() const {
    GMimeStream* stream = g_mime_stream_mem_new_with_byte_array(static_cast<GByteArray*>(bytes_));
    // The stream reads the array but must not free it: it is parsed again.
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
    GMimeParser* parser = g_mime_parser_new_with_stream(stream);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    GMimeMessage* message = g_mime_parser_construct_message(parser, nullptr);
    std::size_t count = 0;
    if (message != nullptr) {
        count = count_object(g_mime_message_get_mime_part(message));
        g_object_unref(message);
    }
    g_object_unref(parser);
    g_object_unref(stream);
    return count;
}

} // namespace bench
