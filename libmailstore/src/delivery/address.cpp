// recipient_delimiter splitting (docs/delivery.md, "Addresses").
#include "delivery/address.hpp"

namespace mailstore::delivery {

AddressParts split_recipient_address(std::string_view address, std::string_view delimiters) {
    AddressParts parts;
    // Where the local part ends: the last '@' after any quoted string
    // (RFC 5321 §4.1.2: a quoted local part may itself hold '@').
    std::size_t start = 0;
    if (!address.empty() && address[0] == '"') {
        std::size_t i = 1;
        for (; i < address.size(); ++i) {
            if (address[i] == '\\') {
                ++i;
                continue;
            }
            if (address[i] == '"')
                break;
        }
        start = i < address.size() ? i + 1 : address.size();
    }
    std::size_t at = address.rfind('@');
    if (at == std::string_view::npos || at < start)
        at = address.size();
    const std::string_view local = address.substr(0, at);
    const std::string_view domain = address.substr(at); // "@example.com" or ""
    std::size_t split = delimiters.empty() ? std::string_view::npos : local.find_first_of(delimiters, start);
    if (split == 0)
        split = std::string_view::npos;
    if (split == std::string_view::npos) {
        parts.user = std::string(address);
        return parts;
    }
    parts.user = std::string(local.substr(0, split)) + std::string(domain);
    parts.detail = std::string(local.substr(split + 1));
    return parts;
}

} // namespace mailstore::delivery
