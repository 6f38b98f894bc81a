// Bounds of the storage that its callers need before they save: delivery
// bounds its spool with them, so a message the storage would refuse is never
// written whole to mail_temp_dir.
#pragma once

#include <cstdint>

namespace mailstore::storage {

// The largest message a save accepts when no smaller bound is configured
// (Maildir: the limit of its save, maildir_save.cpp).
inline constexpr std::uint64_t max_saved_message_size = std::uint64_t(1) << 31;

} // namespace mailstore::storage
