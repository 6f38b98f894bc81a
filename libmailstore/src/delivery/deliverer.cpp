// Placeholder until the delivery pipeline lands.
#include <mailstore/delivery.hpp>

namespace mailstore::delivery {

class Deliverer::Impl {};
Result<Deliverer> Deliverer::create(std::shared_ptr<const config::Config>, std::string_view, log::Logger) {
    return Status::io("not implemented");
}
Deliverer::Deliverer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Deliverer::Deliverer(Deliverer&&) noexcept = default;
Deliverer& Deliverer::operator=(Deliverer&&) noexcept = default;
Deliverer::~Deliverer() = default;
AddressParts Deliverer::split_address(std::string_view address) const { return {std::string(address), {}}; }
void Deliverer::set_filter(std::shared_ptr<DeliveryFilter>) {}
std::vector<RecipientResult> Deliverer::deliver(const Envelope&, const std::vector<Recipient>& r, const Spool&) const {
    return std::vector<RecipientResult>(r.size());
}

} // namespace mailstore::delivery
