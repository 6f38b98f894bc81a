// Buffers handed to the C caller: malloc'ed (so loft_free, which is free(),
// releases them whatever allocator the C++ side uses) and NUL-terminated.
#pragma once

#include <loft/mailstore.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace loft_c {

// Copies `bytes` into a new NUL-terminated buffer: *data gets it (owned by
// the caller), *size (when not NULL) its length without the terminator.
// LOFT_ENOMEM when malloc fails.
loft_status copy_out(std::string_view bytes, char** data, std::size_t* size);

// Copies `uids` into a new array (NULL when empty).
loft_status copy_out(const std::vector<std::uint32_t>& uids, std::uint32_t** out,
                     std::size_t* count);

} // namespace loft_c
