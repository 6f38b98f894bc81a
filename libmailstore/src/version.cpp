#include <mailstore/version.hpp>

#include "loft_build_config.hpp"

namespace mailstore {

const char* version() { return LOFT_VERSION; }

} // namespace mailstore
