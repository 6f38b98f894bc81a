// The command table: names, the states each command is allowed in (RFC 3501
// §6), whether a UID form exists, and which untagged updates may follow the
// plain form (RFC 3501 §7.4.1).
#include "commands/commands.hpp"

#include <array>

namespace imapproto::detail {

namespace {

constexpr unsigned kSelectedOnly = in_selected;

// Sorted by name for readability only; lookup is linear over ~35 entries.
constexpr std::array<CommandSpec, 41> kCommands{{
    {"APPEND", in_logged_in, false, UpdatePolicy::full, cmd_append},
    {"AUTHENTICATE", in_not_authenticated, false, UpdatePolicy::none, cmd_authenticate},
    {"CANCELUPDATE", kSelectedOnly, false, UpdatePolicy::full, cmd_cancelupdate},
    {"CAPABILITY", in_any, false, UpdatePolicy::full, cmd_capability},
    {"CHECK", kSelectedOnly, false, UpdatePolicy::full, cmd_check},
    {"CLOSE", kSelectedOnly, false, UpdatePolicy::none, cmd_close},
    {"COMPRESS", in_logged_in, false, UpdatePolicy::none, cmd_compress},
    {"COPY", kSelectedOnly, true, UpdatePolicy::full, cmd_copy},
    {"CREATE", in_logged_in, false, UpdatePolicy::full, cmd_create},
    {"DELETE", in_logged_in, false, UpdatePolicy::full, cmd_delete},
    {"ENABLE", in_logged_in, false, UpdatePolicy::full, cmd_enable},
    {"EXAMINE", in_logged_in, false, UpdatePolicy::none, cmd_select},
    {"EXPUNGE", kSelectedOnly, true, UpdatePolicy::full, cmd_expunge},
    {"FETCH", kSelectedOnly, true, UpdatePolicy::no_expunges, cmd_fetch},
    {"GENURLAUTH", in_logged_in, false, UpdatePolicy::full, cmd_genurlauth},
    {"GETMETADATA", in_logged_in, false, UpdatePolicy::full, cmd_getmetadata},
    {"ID", in_any, false, UpdatePolicy::full, cmd_id},
    {"IDLE", in_logged_in, false, UpdatePolicy::full, cmd_idle},
    {"LIST", in_logged_in, false, UpdatePolicy::full, cmd_list},
    {"LOGIN", in_not_authenticated, false, UpdatePolicy::none, cmd_login},
    {"LOGOUT", in_any, false, UpdatePolicy::none, cmd_logout},
    {"LSUB", in_logged_in, false, UpdatePolicy::full, cmd_list},
    {"MOVE", kSelectedOnly, true, UpdatePolicy::full, cmd_copy},
    {"NAMESPACE", in_logged_in, false, UpdatePolicy::full, cmd_namespace},
    {"NOOP", in_any, false, UpdatePolicy::full, cmd_noop},
    {"NOTIFY", in_logged_in, false, UpdatePolicy::full, cmd_notify},
    {"RENAME", in_logged_in, false, UpdatePolicy::full, cmd_rename},
    {"REPLACE", kSelectedOnly, true, UpdatePolicy::full, cmd_replace},
    {"RESETKEY", in_logged_in, false, UpdatePolicy::full, cmd_resetkey},
    {"SEARCH", kSelectedOnly, true, UpdatePolicy::no_expunges, cmd_search},
    {"SELECT", in_logged_in, false, UpdatePolicy::none, cmd_select},
    {"SETMETADATA", in_logged_in, false, UpdatePolicy::full, cmd_setmetadata},
    {"SORT", kSelectedOnly, true, UpdatePolicy::no_expunges, cmd_sort},
    {"STARTTLS", in_not_authenticated, false, UpdatePolicy::none, cmd_starttls},
    {"STATUS", in_logged_in, false, UpdatePolicy::full, cmd_status},
    {"STORE", kSelectedOnly, true, UpdatePolicy::no_expunges, cmd_store},
    {"SUBSCRIBE", in_logged_in, false, UpdatePolicy::full, cmd_subscribe},
    {"THREAD", kSelectedOnly, true, UpdatePolicy::no_expunges, cmd_thread},
    {"UNSELECT", kSelectedOnly, false, UpdatePolicy::none, cmd_close},
    {"UNSUBSCRIBE", in_logged_in, false, UpdatePolicy::full, cmd_subscribe},
    {"URLFETCH", in_logged_in, false, UpdatePolicy::full, cmd_urlfetch},
}};

} // namespace

const CommandSpec* find_command(std::string_view upper_name) {
    for (const auto& spec : kCommands)
        if (spec.name == upper_name)
            return &spec;
    return nullptr;
}

} // namespace imapproto::detail
