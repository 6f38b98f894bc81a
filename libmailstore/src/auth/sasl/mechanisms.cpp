#include "auth/sasl/mechanism.hpp"

namespace mailstore::auth::sasl {

const std::vector<std::string>& known_mechanisms() {
    static const std::vector<std::string> none;
    return none;
}
std::optional<MechanismInfo> mechanism_info(std::string_view) { return std::nullopt; }
std::unique_ptr<Mechanism> make_mechanism(std::string_view, Backend&, const MechanismSettings&) { return nullptr; }

} // namespace mailstore::auth::sasl
