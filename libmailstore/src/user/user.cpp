// storage::User: opening a user (settings, namespaces, auto mailboxes) and
// its accessors. Folder operations are in mailbox_list.cpp, STATUS in
// status_cache.cpp, names and namespaces in namespaces.cpp.
#include "user/user_impl.hpp"

#include <mailstore/log.hpp>

#include <new>

namespace mailstore::storage {

Result<User> User::open(const config::Config& config, const UserSettings& settings) {
    try {
        auto impl = std::make_shared<Impl>();
        impl->config = config;
        impl->settings = settings;
        if (settings.username.empty())
            return Status::invalid("user name is empty");
        if (Status s = load_storage_settings(*impl); !s)
            return s;
        if (Status s = load_namespaces(*impl); !s)
            return s;
        User user(std::move(impl));
        // Missing auto mailboxes are created at login, as Dovecot does; a
        // failure there must not keep the user out of INBOX.
        if (Status s = user.create_auto_mailboxes(); !s)
            log::Logger("mail")
                .with("(" + user.username() + ")")
                .warningf("auto mailboxes: {}", s.message());
        return user;
    } catch (const std::bad_alloc&) {
        return Status::error(Status::Code::internal, "out of memory opening user " + settings.username);
    }
}

User::User(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
const std::string& User::username() const { return impl_->settings.username; }
const std::string& User::home() const { return impl_->settings.home; }
const config::Config& User::config() const { return impl_->config; }
const UserSettings& User::settings() const { return impl_->settings; }
const std::vector<NamespaceInfo>& User::namespaces() const { return impl_->namespaces; }

const StorageSettings& user_storage_settings(const User& user) { return user.impl().storage; }

} // namespace mailstore::storage
