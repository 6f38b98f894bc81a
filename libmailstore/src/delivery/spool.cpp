// Placeholder until the delivery pipeline lands.
#include <mailstore/delivery.hpp>

namespace mailstore::delivery {

class Spool::Impl {};
Result<Spool> Spool::create(std::string_view, std::uint64_t) { return Status::io("not implemented"); }
Spool::Spool(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Spool::Spool(Spool&&) noexcept = default;
Spool& Spool::operator=(Spool&&) noexcept = default;
Spool::~Spool() = default;
Status Spool::append(std::string_view) { return Status::io("not implemented"); }
Status Spool::finish() { return Status::io("not implemented"); }
std::uint64_t Spool::size() const { return 0; }
bool Spool::too_big() const { return false; }
bool Spool::has_nul() const { return false; }
bool Spool::has_8bit() const { return false; }
bool Spool::has_bare_lf() const { return false; }
int Spool::fd() const { return -1; }

} // namespace mailstore::delivery
