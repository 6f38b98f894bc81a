// Placeholder definitions so every module links while the index is written.
#include "index/mail_index.hpp"

namespace mailstore::index {

class IndexState::Impl {
public:
    IndexHeader header;
    std::vector<Record> records;
};

class WriteContext::Impl {};

class MailIndex::Impl {
public:
    IndexOptions options;
    std::shared_ptr<const IndexState> state;
};

namespace {
Status not_implemented() { return Status::error(Status::Code::internal, "index: not implemented"); }
} // namespace

IndexState::IndexState(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
const IndexHeader& IndexState::header() const { return impl_->header; }
std::uint32_t IndexState::count() const { return static_cast<std::uint32_t>(impl_->records.size()); }
const Record& IndexState::at(std::uint32_t i) const { return impl_->records.at(i); }
std::optional<std::uint32_t> IndexState::find(Uid) const { return std::nullopt; }
std::uint32_t IndexState::lower_bound(Uid) const { return count(); }
std::vector<std::uint32_t> IndexState::extra_keywords(Uid) const { return {}; }
std::vector<std::uint32_t> IndexState::keyword_ids(const Record&) const { return {}; }
std::optional<UidSet> IndexState::expunged_since(ModSeq) const { return std::nullopt; }
std::uint32_t IndexState::chunk_count() const { return 0; }
const void* IndexState::chunk_identity(std::uint32_t) const { return nullptr; }
std::pair<std::uint32_t, std::uint32_t> IndexState::chunk_span(std::uint32_t) const { return {0, 0}; }

const IndexState& WriteContext::current() const { static IndexState s(std::make_shared<IndexState::Impl>()); return s; }
Status WriteContext::append(const Record&, const std::vector<std::uint32_t>&) { return not_implemented(); }
Status WriteContext::set_flags(Uid, MailFlags, const std::vector<std::uint32_t>&) { return not_implemented(); }
Status WriteContext::expunge(Uid) { return not_implemented(); }
Status WriteContext::set_sizes(Uid, std::uint64_t, std::uint64_t) { return not_implemented(); }
std::uint32_t WriteContext::keyword_id(std::string_view) { return 0; }
void WriteContext::set_uidvalidity(std::uint32_t) {}
void WriteContext::set_next_uid(Uid) {}
void WriteContext::set_first_recent_uid(Uid) {}
void WriteContext::set_mailbox_guid(const std::array<std::uint8_t, 16>&) {}
void WriteContext::set_driver_state(std::string) {}
void WriteContext::raise_modseq(ModSeq) {}
void WriteContext::reset() {}
Status WriteContext::cache_add(Uid, std::string_view, std::string_view) { return not_implemented(); }

MailIndex::MailIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MailIndex::~MailIndex() = default;
Result<std::shared_ptr<MailIndex>> MailIndex::open(const IndexOptions&) { return not_implemented(); }
std::shared_ptr<const IndexState> MailIndex::state() const { return impl_->state; }
Result<std::shared_ptr<const IndexState>> MailIndex::refresh() { return not_implemented(); }
Result<CommitInfo> MailIndex::commit(const std::function<Status(WriteContext&)>&) { return not_implemented(); }
std::optional<std::string> MailIndex::cache_lookup(const IndexState&, const Record&, std::string_view) const { return std::nullopt; }
Status MailIndex::reset_files() { return not_implemented(); }
std::vector<std::string> MailIndex::watch_paths() const { return {}; }
const IndexOptions& MailIndex::options() const { return impl_->options; }
std::string MailIndex::dump() const { return {}; }

std::string change_stamp(const std::string&) { return {}; }

} // namespace mailstore::index
