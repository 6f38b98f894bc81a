// RFC 5322 header sections: splitting a header block into fields without
// copying, unfolding, and looking fields up by name.
//
// Every view returned here points into the caller's bytes; keep them alive.
// Nothing is ever dropped: 8-bit bytes, NULs and malformed lines all come
// back in `raw`, so a header can be written out again byte for byte.
#pragma once

#include <mailstore/export.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace mailstore::mime {

// One header field as it appears in the message.
struct HeaderField {
    // The field name as written (case kept), without the whitespace some
    // writers put before the colon. For a line with no colon at all (a
    // malformed line) `name` is empty and `malformed` is set.
    std::string_view name;
    // Everything after the colon up to, not including, the line ending that
    // ends the field: leading whitespace and folding (CRLF/LF + WSP) kept.
    std::string_view value;
    // The whole field: name, colon, value, folding and its final line ending.
    std::string_view raw;
    // Offset of `raw` from the start of the header block that was parsed.
    std::uint64_t offset = 0;
    // No colon on the line, or a name containing bytes RFC 5322 forbids.
    bool malformed = false;
};

// Splits a header block (the bytes from the start of a header up to and
// including the empty line that ends it, or the whole input when there is
// none) into fields in order. Never fails; input is never modified.
MAILSTORE_API std::vector<HeaderField> parse_header_fields(std::string_view header_block);

// Removes folding: each CRLF or bare LF (and a lone CR) is dropped; the
// whitespace after it is kept, as RFC 5322 §2.2.3 says. Other bytes untouched.
MAILSTORE_API std::string unfold(std::string_view value);

// unfold() and then strip leading and trailing whitespace (SP, HTAB).
MAILSTORE_API std::string unfold_trim(std::string_view value);

// A field's value for people and for SEARCH: unfolded, trimmed, RFC 2047
// encoded words decoded, converted to valid UTF-8 (bytes in an unknown or
// undeclared 8-bit charset are taken as UTF-8 when valid, else Latin-1).
// A NUL byte becomes U+FFFD (as Dovecot reads header values).
MAILSTORE_API std::string decoded_value(std::string_view value);

// Case-insensitive ASCII comparison of field names.
MAILSTORE_API bool field_name_equals(std::string_view a, std::string_view b);

// A parsed header with lookup by name. Non-owning like HeaderField.
class MAILSTORE_API Header {
public:
    Header() = default;
    explicit Header(std::string_view header_block);
    // A temporary std::string would be gone before the views into it are
    // read: refused at compile time (an lvalue string is fine).
    template <class S>
        requires std::is_same_v<S, std::string>
    explicit Header(S&& temporary) = delete;

    const std::vector<HeaderField>& fields() const { return fields_; }
    // The first field with this name (case-insensitive), or nullptr.
    const HeaderField* first(std::string_view name) const;
    // Every field with this name, in message order.
    std::vector<const HeaderField*> all(std::string_view name) const;
    // The raw value of the first such field, or an empty view when absent.
    std::string_view value(std::string_view name) const;
    bool has(std::string_view name) const { return first(name) != nullptr; }

private:
    std::vector<HeaderField> fields_;
};

} // namespace mailstore::mime
