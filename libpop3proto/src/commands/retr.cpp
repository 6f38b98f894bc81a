// RETR and TOP (RFC 1939 §5, §7): the message streamed from the mail file
// (message_stream.hpp). RETR sets \Seen unless pop3_no_flag_updates; TOP
// leaves the flags alone, as Dovecot does.
#include "session/session_impl.hpp"

namespace pop3proto::detail {

namespace {

namespace st = mailstore::storage;

// A MessageStream whose bytes count towards a pop3_logout_format counter.
class CountedStream final : public Producer {
public:
    CountedStream(MessageStream stream, std::uint64_t* counter) : stream_(std::move(stream)), counter_(counter) {}
    bool produce(std::string& out, std::size_t budget) override {
        const bool done = stream_.produce(out, budget);
        *counter_ += stream_.bytes_written() - counted_;
        counted_ = stream_.bytes_written();
        return done;
    }

private:
    MessageStream stream_;
    std::uint64_t* counter_;
    std::uint64_t counted_ = 0;
};

// Opens message `index`; on failure sends the -ERR and returns nullopt.
std::optional<st::MessageData> open_message(Session::Impl& s, std::size_t index) {
    auto data = s.mailbox_->message(s.messages_[index].seq).open();
    if (data)
        return std::move(*data);
    if (data.status().code() == mailstore::Status::Code::not_found) {
        // Expunged by another session (IMAP) since login: the numbers
        // stay as they are (RFC 1939 §5); Dovecot's answer.
        s.err("Message " + std::to_string(index + 1) + " expunged.");
    } else {
        s.log_.error("Couldn't read message UID " + std::to_string(s.messages_[index].uid) + ": " +
                     data.status().message());
        s.err("[SYS/TEMP] Couldn't read message.");
    }
    return std::nullopt;
}

} // namespace

void cmd_retr(Session::Impl& s, std::string_view args) {
    std::string_view rest;
    auto index = s.message_arg(args, &rest);
    if (!index)
        return;
    if (!rest.empty()) {
        s.bad("Noise after message number: " + std::string(rest));
        return;
    }
    ++s.stats_.retr_count;
    auto data = open_message(s, *index);
    if (!data)
        return;
    const std::string line = "+OK " + std::to_string(s.messages_[*index].size) + " octets";
    s.reply(line);
    s.stats_.retr_bytes += line.size() + 2;
    s.last_accessed_ = std::max(s.last_accessed_, *index + 1);
    s.mark_seen(*index);
    StreamOptions options = s.stream_options_;
    options.body_lines.reset();
    s.producer_ = std::make_unique<CountedStream>(MessageStream(std::move(*data), options), &s.stats_.retr_bytes);
}

void cmd_top(Session::Impl& s, std::string_view args) {
    std::string_view rest;
    auto index = s.message_arg(args, &rest);
    if (!index)
        return;
    while (!rest.empty() && rest.front() == ' ')
        rest.remove_prefix(1);
    if (rest.empty()) {
        // Dovecot's text for a missing line count.
        s.bad("Noise after message number: ");
        return;
    }
    std::uint64_t lines = 0;
    for (char c : rest) {
        if (c < '0' || c > '9' || lines > 0xffffffffffffULL) {
            s.bad("Invalid size: " + std::string(rest));
            return;
        }
        lines = lines * 10 + static_cast<unsigned>(c - '0');
    }
    ++s.stats_.top_count;
    auto data = open_message(s, *index);
    if (!data)
        return;
    s.ok();
    s.stats_.top_bytes += 5;
    s.last_accessed_ = std::max(s.last_accessed_, *index + 1);
    StreamOptions options = s.stream_options_;
    options.body_lines = lines;
    s.producer_ = std::make_unique<CountedStream>(MessageStream(std::move(*data), options), &s.stats_.top_bytes);
}

} // namespace pop3proto::detail
