// Stub: replaced by the implementation.
#include <mailstore/mime/address.hpp>

namespace mailstore::mime {
std::string Address::addr_spec() const { return local_part; }
std::vector<Address> parse_address_list(std::string_view) { return {}; }
std::string decoded_name(const Address& a) { return a.name; }
std::string format_address_list(const std::vector<Address>&) { return {}; }
} // namespace mailstore::mime
