#include "storage/compress.hpp"

namespace mailstore::storage {

CompressFormat detect_compression(std::string_view) { return CompressFormat::none; }
Result<std::string> compress(CompressFormat, int, std::string_view) { return Status::error(Status::Code::internal, "not implemented"); }
Result<std::string> decompress(CompressFormat, std::string_view, std::uint64_t) { return Status::error(Status::Code::internal, "not implemented"); }

} // namespace mailstore::storage
