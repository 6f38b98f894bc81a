#include "message_input.hpp"

#include <cerrno>
#include <cstring>
#include <unistd.h>
#include <vector>

namespace lda {

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
// The mbox From_ line is "From " sender " " date; only the sender is kept,
// and a sender longer than an SMTP path (RFC 5321 §4.5.3.1.3: 256 octets)
// is not one.
constexpr std::size_t kMaxFromLineSender = 256;
constexpr std::size_t kReturnPathScan = 64 * 1024;
constexpr std::string_view kFromLine = "From ";

bool iequals_prefix(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size())
        return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char a = text[i], b = prefix[i];
        if (a >= 'A' && a <= 'Z')
            a = static_cast<char>(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z')
            b = static_cast<char>(b - 'A' + 'a');
        if (a != b)
            return false;
    }
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

// "<a@b>" -> "a@b", "<>" -> "", "a@b (comment)" -> "a@b".
std::string address_of(std::string_view value) {
    value = trim(value);
    if (auto open = value.find('<'); open != std::string_view::npos) {
        auto close = value.find('>', open + 1);
        if (close != std::string_view::npos)
            return std::string(trim(value.substr(open + 1, close - open - 1)));
    }
    auto end = value.find_first_of(" \t(");
    return std::string(value.substr(0, end));
}

} // namespace

mailstore::Result<MessageInput> read_message(int fd, std::string_view temp_dir, std::uint64_t max_size) {
    auto spool = mailstore::delivery::Spool::create(temp_dir, max_size);
    if (!spool)
        return spool.status();
    MessageInput out;
    out.spool.emplace(std::move(*spool));
    // Past max_size the spool drops the bytes (invalid_argument) and
    // too_big() says so: the input is still read to its end, so the MTA
    // writing into the pipe sees the message taken, then the exit status.
    auto append = [&out](std::string_view bytes) {
        mailstore::Status st = out.spool->append(bytes);
        if (!st && st.code() == mailstore::Status::Code::invalid_argument)
            return mailstore::Status::ok();
        return st;
    };

    // The first bytes decide whether there is a From_ line: they are held
    // back until "From " can be told apart from a header.
    enum class State { detect, from_line, copy } state = State::detect;
    std::string head;
    std::string sender;
    bool sender_done = false;
    std::vector<char> buffer(kReadChunk);
    for (;;) {
        ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return mailstore::Status::io(std::string("read(message) failed: ") + std::strerror(errno));
        }
        if (n == 0)
            break;
        std::string_view chunk(buffer.data(), static_cast<std::size_t>(n));
        while (!chunk.empty()) {
            if (state == State::detect) {
                std::size_t take = std::min(chunk.size(), kFromLine.size() - head.size());
                head.append(chunk.substr(0, take));
                chunk.remove_prefix(take);
                if (head.size() < kFromLine.size() && kFromLine.substr(0, head.size()) == head)
                    continue;
                if (head == kFromLine) {
                    state = State::from_line;
                    out.from_line_sender.emplace();
                } else {
                    if (auto st = append(head); !st)
                        return st;
                    state = State::copy;
                }
                continue;
            }
            if (state == State::from_line) {
                auto lf = chunk.find('\n');
                std::string_view part = chunk.substr(0, lf);
                // The sender is the first word; the rest (the date) is dropped.
                for (char c : part) {
                    if (sender_done)
                        break;
                    if (c == ' ' || c == '\t' || c == '\r') {
                        sender_done = !sender.empty();
                        continue;
                    }
                    if (sender.size() < kMaxFromLineSender)
                        sender.push_back(c);
                }
                if (lf == std::string_view::npos) {
                    chunk = {};
                    continue;
                }
                chunk.remove_prefix(lf + 1);
                state = State::copy;
                continue;
            }
            if (auto st = append(chunk); !st)
                return st;
            chunk = {};
        }
    }
    // A message shorter than "From " that merely starts like it.
    if (state == State::detect && !head.empty())
        if (auto st = append(head); !st)
            return st;
    if (out.from_line_sender)
        *out.from_line_sender = sender;
    if (auto st = out.spool->finish(); !st)
        return st;
    return out;
}

std::optional<std::string> return_path_of(int fd) {
    std::string head(kReturnPathScan, '\0');
    std::size_t got = 0;
    while (got < head.size()) {
        ssize_t n = ::pread(fd, head.data() + got, head.size() - got, static_cast<off_t>(got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += static_cast<std::size_t>(n);
    }
    head.resize(got);
    std::string_view rest = head;
    std::optional<std::string> value;
    while (!rest.empty()) {
        auto lf = rest.find('\n');
        if (lf == std::string_view::npos)
            break; // a header line cut by the scan limit: not trusted
        std::string_view line = rest.substr(0, lf + 1);
        rest.remove_prefix(lf + 1);
        if (trim(line).empty())
            break; // the end of the header (RFC 5322 §2.1)
        bool continuation = line.front() == ' ' || line.front() == '\t';
        if (value && continuation) {
            value->append(line);
            continue;
        }
        if (value)
            break; // the first Return-Path is complete
        if (iequals_prefix(line, "Return-Path:"))
            value.emplace(line.substr(12));
    }
    if (!value)
        return std::nullopt;
    return address_of(*value);
}

} // namespace lda
