// The version of the libmailstore an embedding program runs against.
#pragma once

#include <mailstore/export.hpp>

namespace mailstore {

// "MAJOR.MINOR.PATCH" of the loaded shared library (static storage, never freed).
MAILSTORE_API const char* version();

} // namespace mailstore
