// storage::User: stubs until the implementation lands.
#include "user/user_impl.hpp"

namespace mailstore::storage {

namespace {
Status not_implemented() { return Status::error(Status::Code::internal, "not implemented"); }
} // namespace

class User::Impl {
public:
    config::Config config = config::Config::defaults();
    UserSettings settings;
    std::vector<NamespaceInfo> namespaces;
    StorageSettings storage;
};

UserSettings user_settings_from_userdb(std::string_view username, const auth::FieldList& userdb_fields,
                                       std::string_view service) {
    UserSettings s;
    s.username = std::string(username);
    s.userdb_fields = userdb_fields;
    s.service = std::string(service);
    return s;
}

Result<User> User::open(const config::Config&, const UserSettings&) { return not_implemented(); }
User::User(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
const std::string& User::username() const { return impl_->settings.username; }
const std::string& User::home() const { return impl_->settings.home; }
const config::Config& User::config() const { return impl_->config; }
const UserSettings& User::settings() const { return impl_->settings; }
const std::vector<NamespaceInfo>& User::namespaces() const { return impl_->namespaces; }
int User::namespace_of(std::string_view) const { return -1; }
std::string User::normalize_name(std::string_view name) const { return std::string(name); }
Status User::validate_name(std::string_view) const { return not_implemented(); }
Result<std::vector<MailboxInfo>> User::list(const ListQuery&) const { return not_implemented(); }
Status User::create_mailbox(std::string_view, std::uint32_t) const { return not_implemented(); }
Status User::delete_mailbox(std::string_view) const { return not_implemented(); }
Status User::rename_mailbox(std::string_view, std::string_view) const { return not_implemented(); }
Status User::subscribe(std::string_view, bool) const { return not_implemented(); }
Result<std::vector<std::string>> User::subscriptions() const { return not_implemented(); }
bool User::exists(std::string_view) const { return false; }
Result<MailboxStatus> User::status(std::string_view, std::uint32_t) const { return not_implemented(); }
Result<std::string> User::mailbox_guid(std::string_view) const { return not_implemented(); }
Status User::create_auto_mailboxes() const { return not_implemented(); }

Result<ResolvedMailbox> resolve_mailbox(const User&, std::string_view) { return not_implemented(); }
const StorageSettings& user_storage_settings(const User& user) { return user.impl().storage; }
void remember_status(const User&, const ResolvedMailbox&, const MailboxStatus&, const std::string&) {}

} // namespace mailstore::storage
