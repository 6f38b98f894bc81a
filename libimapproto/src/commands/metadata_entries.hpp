// What GETMETADATA/SETMETADATA (commands/metadata.cpp) share with the rest
// of the session: which entries are internal, and the hook that runs after
// a SETMETADATA changed entries.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace imapproto::detail {

class Context;

// Entries clients neither see nor change (`lower_name` in lower case, as
// the store keeps names): Dovecot's internal attributes
// ("/private/vendor/vendor.dovecot/pvt..." and the /shared one, where it
// keeps server entries and its own state) and Loft's
// ("/private/vendor/vendor.loft...": the URLAUTH keys, which must stay
// secret, RFC 4467 §7). Anything that lists entry names or values to a
// client (GETMETADATA, NOTIFY's METADATA events) leaves these out.
bool is_internal_metadata_entry(std::string_view lower_name);

// Called after a successful SETMETADATA with the mailbox ("" for server
// entries) and the entry names it set or deleted (lower case, each once).
// It logs them at debug level (mail_debug); it is where unsolicited METADATA
// responses to other sessions (RFC 5464 §4.4) would be triggered.
void metadata_changed(Context& ctx, std::string_view mailbox, const std::vector<std::string>& names);

} // namespace imapproto::detail
