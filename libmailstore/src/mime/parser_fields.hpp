// Splitting a header block into fields one at a time, without building a
// vector: ParsedMessage-wide readers (section.cpp) walk headers that may
// run on to the end of a damaged message. Internal.
#pragma once

#include <mailstore/mime/header.hpp>

#include "text_util.hpp"

#include <cstddef>
#include <string_view>

namespace mailstore::mime::detail {

// RFC 5322 §3.6.8: ftext is printable US-ASCII except ':'.
inline bool is_valid_field_name(std::string_view name)
{
    if (name.empty())
        return false;
    for (char c : name) {
        auto u = static_cast<unsigned char>(c);
        if (u < 33 || u > 126)
            return false;
    }
    return true;
}

// Builds a field from [start, end) of `block`; `end` is just past the line
// ending of the field's last line (or the end of the input).
inline HeaderField make_field(std::string_view block, std::size_t start, std::size_t end, bool leading_continuation)
{
    HeaderField f;
    f.raw = block.substr(start, end - start);
    f.offset = start;
    std::string_view body = f.raw;
    // The value stops before the final line ending (CRLF or LF).
    if (!body.empty() && body.back() == '\n') {
        body.remove_suffix(1);
        if (!body.empty() && body.back() == '\r')
            body.remove_suffix(1);
    }
    if (leading_continuation) {
        // Folded text with no field before it: nothing to attach it to.
        f.malformed = true;
        f.value = body;
        return f;
    }
    // The colon must be on the first line: a folded name is not a name.
    std::size_t first_eol = body.find('\n');
    std::string_view first_line = body.substr(0, first_eol);
    std::size_t colon = first_line.find(':');
    if (colon == std::string_view::npos) {
        f.malformed = true;
        f.value = body;
        return f;
    }
    std::string_view name = body.substr(0, colon);
    // RFC 5322 §4.5.8 (obs-optional): WSP between the name and the colon.
    while (!name.empty() && is_wsp(name.back()))
        name.remove_suffix(1);
    f.name = name;
    f.value = body.substr(colon + 1);
    f.malformed = !is_valid_field_name(name);
    return f;
}

// Reads fields in order up to the empty line that ends the header (or the
// end of the input). After the last field, position() is the offset of
// that empty line (or the input's size).
class FieldReader {
public:
    explicit FieldReader(std::string_view block) : block_(block) {}

    bool next(HeaderField& out)
    {
        const std::size_t n = block_.size();
        std::size_t start = pos_;
        if (start >= n || done_)
            return false;
        bool leading_continuation = false;
        bool have = false;
        while (pos_ < n) {
            std::size_t lf = find_lf(block_, pos_);
            std::size_t next = lf == std::string_view::npos ? n : lf + 1;
            std::size_t content_end = lf == std::string_view::npos ? n : lf;
            if (content_end > pos_ && lf != std::string_view::npos && block_[content_end - 1] == '\r')
                --content_end;
            // An empty line (CRLF or bare LF) ends the header (RFC 5322 §2.1).
            if (content_end == pos_ && lf != std::string_view::npos) {
                done_ = true;
                break;
            }
            if (!have) {
                leading_continuation = is_wsp(block_[pos_]) && !seen_field_;
                have = true;
                pos_ = next;
                continue;
            }
            if (is_wsp(block_[pos_])) {
                pos_ = next;  // folded continuation of the current field
                continue;
            }
            break;
        }
        if (!have)
            return false;
        seen_field_ = true;
        out = make_field(block_, start, pos_, leading_continuation);
        return true;
    }

    std::size_t position() const { return pos_; }

private:
    std::string_view block_;
    std::size_t pos_ = 0;
    bool done_ = false;
    bool seen_field_ = false;
};

} // namespace mailstore::mime::detail
