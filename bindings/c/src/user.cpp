// Users and their mailbox lists: loft_user_*, loft_mailbox_list_*,
// loft_mailbox_create/delete/rename and loft_mailbox_status_get.
#include "errors.hpp"
#include "handles.hpp"
#include "status_fill.hpp"

#include <mailstore/auth/authenticator.hpp>
#include <mailstore/config.hpp>
#include <mailstore/storage/user.hpp>

#include <string>
#include <string_view>

namespace storage = mailstore::storage;
namespace auth = mailstore::auth;
using loft_c::fail;
using loft_c::guarded;
using loft_c::null_argument;

namespace {

// The last component of a home directory: the user name (%u) of a user
// opened without a userdb. "/srv/mail/alice/" gives "alice".
std::string name_from_home(std::string_view home) {
    while (home.size() > 1 && home.back() == '/')
        home.remove_suffix(1);
    auto slash = home.rfind('/');
    std::string_view name = slash == std::string_view::npos ? home : home.substr(slash + 1);
    return name.empty() ? std::string("user") : std::string(name);
}

loft_status open_user(const mailstore::config::Config& config,
                      const storage::UserSettings& settings, loft_user** user) {
    auto opened = storage::User::open(config, settings);
    if (!opened)
        return fail(opened.status());
    *user = new loft_user{std::move(*opened)};
    return LOFT_OK;
}

} // namespace

extern "C" {

loft_status loft_user_open_config(const char* config_path, const char* username, loft_user** user) {
    if (user != nullptr)
        *user = nullptr;
    return guarded([&]() -> loft_status {
        if (config_path == nullptr)
            return null_argument("config_path");
        if (username == nullptr || *username == '\0')
            return fail(LOFT_EINVAL, "username is empty");
        if (user == nullptr)
            return null_argument("user");
        auto config = mailstore::config::Config::load_file(config_path);
        if (!config)
            return fail(config.status());
        auto authenticator = auth::Authenticator::create(*config);
        if (!authenticator)
            return fail(authenticator.status());
        auth::ClientInfo client;
        client.service = "doveadm"; // a local admin tool, as loftadm -u
        auth::LookupResult found = authenticator->lookup_user(username, client);
        switch (found.kind) {
        case auth::LookupResult::Kind::found:
            break;
        case auth::LookupResult::Kind::not_found:
            return fail(LOFT_ENOTFOUND,
                        std::string("user ") + username + ": not found in the userdb");
        case auth::LookupResult::Kind::temporary_failure:
            return fail(LOFT_ETEMP,
                        std::string("user ") + username + ": userdb lookup failed: " + found.error);
        }
        std::string canonical = found.user.empty() ? std::string(username) : found.user;
        storage::UserSettings settings =
            storage::user_settings_from_userdb(canonical, found.fields, "doveadm");
        return open_user(*config, settings, user);
    });
}

loft_status loft_user_open(const char* home, const char* mail_location, loft_user** user) {
    if (user != nullptr)
        *user = nullptr;
    return guarded([&]() -> loft_status {
        if (home == nullptr || *home == '\0')
            return fail(LOFT_EINVAL, "home is empty");
        if (user == nullptr)
            return null_argument("user");
        storage::UserSettings settings;
        settings.username = name_from_home(home);
        settings.home = home;
        settings.mail_location = mail_location != nullptr ? mail_location : "";
        return open_user(mailstore::config::Config::defaults(), settings, user);
    });
}

void loft_user_close(loft_user* user) {
    delete user;
}

const char* loft_user_name(const loft_user* user) {
    return user != nullptr ? user->user.username().c_str() : nullptr;
}

const char* loft_user_home(const loft_user* user) {
    return user != nullptr ? user->user.home().c_str() : nullptr;
}

loft_status loft_mailbox_list_open(loft_user* user, const char* pattern, loft_mailbox_list** list) {
    if (list != nullptr)
        *list = nullptr;
    return guarded([&]() -> loft_status {
        if (user == nullptr)
            return null_argument("user");
        if (list == nullptr)
            return null_argument("list");
        storage::ListQuery query;
        query.patterns.push_back(pattern != nullptr ? pattern : "*");
        auto found = user->user.list(query);
        if (!found)
            return fail(found.status());
        *list = new loft_mailbox_list{std::move(*found)};
        return LOFT_OK;
    });
}

size_t loft_mailbox_list_count(const loft_mailbox_list* list) {
    return list != nullptr ? list->entries.size() : 0;
}

const char* loft_mailbox_list_name(const loft_mailbox_list* list, size_t index) {
    if (list == nullptr || index >= list->entries.size())
        return nullptr;
    return list->entries[index].name.c_str();
}

uint32_t loft_mailbox_list_attributes(const loft_mailbox_list* list, size_t index) {
    if (list == nullptr || index >= list->entries.size())
        return 0;
    return list->entries[index].attributes;
}

uint32_t loft_mailbox_list_special_use(const loft_mailbox_list* list, size_t index) {
    if (list == nullptr || index >= list->entries.size())
        return 0;
    return list->entries[index].special_use;
}

void loft_mailbox_list_free(loft_mailbox_list* list) {
    delete list;
}

loft_status loft_mailbox_create(loft_user* user, const char* name, uint32_t special_use) {
    return guarded([&]() -> loft_status {
        if (user == nullptr)
            return null_argument("user");
        if (name == nullptr)
            return null_argument("name");
        if (special_use & ~std::uint32_t(0xff))
            return fail(LOFT_EINVAL, "unknown special-use flags");
        if (auto st = user->user.create_mailbox(name, special_use); !st)
            return fail(st);
        return LOFT_OK;
    });
}

loft_status loft_mailbox_delete(loft_user* user, const char* name) {
    return guarded([&]() -> loft_status {
        if (user == nullptr)
            return null_argument("user");
        if (name == nullptr)
            return null_argument("name");
        if (auto st = user->user.delete_mailbox(name); !st)
            return fail(st);
        return LOFT_OK;
    });
}

loft_status loft_mailbox_rename(loft_user* user, const char* from, const char* to) {
    return guarded([&]() -> loft_status {
        if (user == nullptr)
            return null_argument("user");
        if (from == nullptr)
            return null_argument("from");
        if (to == nullptr)
            return null_argument("to");
        if (auto st = user->user.rename_mailbox(from, to); !st)
            return fail(st);
        return LOFT_OK;
    });
}

loft_status loft_mailbox_status_get(loft_user* user, const char* name,
                                    loft_mailbox_status* status) {
    return guarded([&]() -> loft_status {
        if (user == nullptr)
            return null_argument("user");
        if (name == nullptr)
            return null_argument("name");
        if (status == nullptr)
            return null_argument("status");
        std::uint32_t items = storage::status_messages | storage::status_recent |
                              storage::status_uidnext | storage::status_uidvalidity |
                              storage::status_unseen | storage::status_deleted |
                              storage::status_highest_modseq | storage::status_size;
        auto found = user->user.status(name, items);
        if (!found)
            return fail(found.status());
        loft_c::fill_status(*found, status);
        return LOFT_OK;
    });
}

} // extern "C"
