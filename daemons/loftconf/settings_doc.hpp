// The Markdown settings reference (docs/settings.md), generated from the
// registry so it always lists every setting with its type and default.
#pragma once

#include <string>

namespace loftconf {

std::string settings_reference_markdown();

} // namespace loftconf
