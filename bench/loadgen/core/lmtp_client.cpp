#include "lmtp_client.hpp"

#include <cstring>

namespace loadgen {

std::string LmtpReply::text() const {
    std::string s;
    for (const auto& l : lines) {
        if (!s.empty())
            s += " / ";
        s += l;
    }
    return s;
}

void dot_stuff(std::string_view message, std::string& out) {
    out.clear();
    out.reserve(message.size() + message.size() / 32 + 8);
    std::size_t pos = 0;
    while (pos < message.size()) {
        const void* nl = std::memchr(message.data() + pos, '\n', message.size() - pos);
        std::size_t end = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - message.data()) : message.size();
        std::size_t text_end = end > pos && message[end - 1] == '\r' ? end - 1 : end;
        if (message[pos] == '.')
            out += '.';
        out.append(message.substr(pos, text_end - pos));
        out += "\r\n";
        pos = nl ? end + 1 : end;
    }
    out += ".\r\n";
}

LmtpClient::LmtpClient(asio::any_io_executor executor, LmtpLimits limits)
    : limits_(limits), conn_(executor, limits.max_line, limits.timeout) {}

asio::awaitable<LmtpReply> LmtpClient::read_reply(std::string_view after) {
    // "NNN-text" lines, then "NNN text" (or "NNN"), all with one code.
    LmtpReply r;
    for (;;) {
        std::string_view line = co_await conn_.read_line();
        const bool digits = line.size() >= 3 && line[0] >= '2' && line[0] <= '5' && line[1] >= '0' &&
                            line[1] <= '9' && line[2] >= '0' && line[2] <= '9';
        if (!digits || (line.size() > 3 && line[3] != ' ' && line[3] != '-'))
            conn_.fail("malformed reply after " + std::string(after), line);
        const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
        if (r.code && code != r.code)
            conn_.fail("reply lines with different codes after " + std::string(after), line);
        r.code = code;
        if (r.lines.size() >= limits_.max_reply_lines)
            conn_.fail("reply of more than " + std::to_string(limits_.max_reply_lines) + " lines after " +
                           std::string(after),
                       line);
        r.lines.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view());
        if (line.size() == 3 || line[3] == ' ')
            co_return r;
    }
}

asio::awaitable<void> LmtpClient::connect(const std::string& host, std::uint16_t port) {
    co_await conn_.connect_tcp(host, port);
    greeting_ = co_await read_reply("connect");
    if (greeting_.code != 220)
        conn_.fail("greeting " + std::to_string(greeting_.code), greeting_.text());
}

asio::awaitable<void> LmtpClient::connect_unix(const std::string& path) {
    co_await conn_.connect_unix(path);
    greeting_ = co_await read_reply("connect");
    if (greeting_.code != 220)
        conn_.fail("greeting " + std::to_string(greeting_.code), greeting_.text());
}

asio::awaitable<LmtpReply> LmtpClient::command(std::string_view line) {
    std::string out(line);
    out += "\r\n";
    co_await conn_.write(out);
    co_return co_await read_reply(line);
}

asio::awaitable<LmtpReply> LmtpClient::lhlo(std::string_view domain) {
    LmtpReply r = co_await command("LHLO " + std::string(domain));
    if (r.code != 250)
        conn_.fail("LHLO: " + std::to_string(r.code), r.text());
    co_return r;
}

asio::awaitable<std::vector<LmtpReply>> LmtpClient::deliver(std::string_view from,
                                                            const std::vector<std::string>& rcpts,
                                                            std::string_view message) {
    const std::string mail = "MAIL FROM:<" + std::string(from) + ">";
    LmtpReply r = co_await command(mail);
    if (r.code != 250)
        conn_.fail(mail + ": " + std::to_string(r.code), r.text());
    std::vector<LmtpReply> replies(rcpts.size());
    std::vector<std::size_t> accepted;
    for (std::size_t i = 0; i < rcpts.size(); ++i) {
        replies[i] = co_await command("RCPT TO:<" + rcpts[i] + ">");
        if (replies[i].code / 100 == 2)
            accepted.push_back(i);
    }
    if (accepted.empty()) {
        co_await rset();
        co_return replies;
    }
    r = co_await command("DATA");
    if (r.code != 354)
        conn_.fail("DATA: " + std::to_string(r.code), r.text());
    dot_stuff(message, data_);
    co_await conn_.write(data_);
    for (std::size_t i : accepted)
        replies[i] = co_await read_reply("the data's final \".\" (recipient " + rcpts[i] + ")");
    co_return replies;
}

asio::awaitable<LmtpReply> LmtpClient::rset() {
    LmtpReply r = co_await command("RSET");
    if (r.code != 250)
        conn_.fail("RSET: " + std::to_string(r.code), r.text());
    co_return r;
}

asio::awaitable<void> LmtpClient::quit() {
    LmtpReply r = co_await command("QUIT");
    if (r.code != 221)
        conn_.fail("QUIT: " + std::to_string(r.code), r.text());
    conn_.close();
}

} // namespace loadgen
