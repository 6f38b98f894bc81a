// MessageData: stub until the real implementation lands.
#include "storage/backend.hpp"

namespace mailstore::storage {

class MessageData::Impl {
public:
    std::shared_ptr<const void> keepalive;
    std::string_view bytes;
};

MessageData::MessageData(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
std::string_view MessageData::bytes() const { return impl_->bytes; }
std::string_view MessageData::header() const { return impl_->bytes; }
std::string_view MessageData::body() const { return {}; }

MessageData make_message_data(std::shared_ptr<const void> keepalive, std::string_view bytes) {
    auto impl = std::make_shared<MessageData::Impl>();
    impl->keepalive = std::move(keepalive);
    impl->bytes = bytes;
    return MessageData(std::move(impl));
}

Result<MessageData> map_message_file(int) { return Status::error(Status::Code::internal, "not implemented"); }

} // namespace mailstore::storage
