#include "buffers.hpp"

#include "errors.hpp"

#include <cstdlib>
#include <cstring>

namespace loft_c {

loft_status copy_out(std::string_view bytes, char** data, std::size_t* size) {
    auto* buffer = static_cast<char*>(std::malloc(bytes.size() + 1));
    if (buffer == nullptr)
        return fail(LOFT_ENOMEM, "out of memory");
    if (!bytes.empty())
        std::memcpy(buffer, bytes.data(), bytes.size());
    buffer[bytes.size()] = '\0';
    *data = buffer;
    if (size != nullptr)
        *size = bytes.size();
    return LOFT_OK;
}

loft_status copy_out(const std::vector<std::uint32_t>& uids, std::uint32_t** out,
                     std::size_t* count) {
    std::uint32_t* array = nullptr;
    if (!uids.empty()) {
        array = static_cast<std::uint32_t*>(std::malloc(uids.size() * sizeof(std::uint32_t)));
        if (array == nullptr)
            return fail(LOFT_ENOMEM, "out of memory");
        std::memcpy(array, uids.data(), uids.size() * sizeof(std::uint32_t));
    }
    *out = array;
    *count = uids.size();
    return LOFT_OK;
}

} // namespace loft_c
