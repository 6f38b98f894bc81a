#include "output.hpp"

namespace loftadm {

std::string printable(std::string_view text) {
    std::string out(text);
    for (auto& c : out) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            c = '?';
        }
    }
    return out;
}

std::string format_extra_fields(const mailstore::auth::FieldList& fields) {
    std::string out;
    for (const auto& [key, value] : fields) {
        out += "  " + printable(key);
        if (!value.empty()) {
            out += "=" + printable(value);
        }
        out += "\n";
    }
    return out;
}

std::string format_aligned_fields(const mailstore::auth::FieldList& fields) {
    // doveadm pads keys to 10 columns; longer keys push the colon right.
    constexpr std::size_t key_width = 10;
    std::string out;
    for (const auto& [key, value] : fields) {
        std::string k = printable(key);
        if (k.size() < key_width) {
            k.append(key_width - k.size(), ' ');
        }
        out += "  " + k;
        if (!value.empty()) {
            out += ": " + printable(value);
        }
        out += "\n";
    }
    return out;
}

std::string format_table_rows(const mailstore::auth::FieldList& fields) {
    std::string out;
    for (const auto& [key, value] : fields) {
        out += printable(key) + "\t" + printable(value) + "\n";
    }
    return out;
}

} // namespace loftadm
