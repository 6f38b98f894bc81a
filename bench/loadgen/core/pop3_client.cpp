#include "pop3_client.hpp"

#include <charconv>

namespace loadgen {

namespace {

// "n rest" -> n, and `rest` after the single space; false when malformed.
bool split_number(std::string_view line, std::uint64_t& n, std::string_view& rest) {
    const char* end = line.data() + line.size();
    auto [p, ec] = std::from_chars(line.data(), end, n);
    if (ec != std::errc() || p == line.data() || p == end || *p != ' ')
        return false;
    rest = std::string_view(p + 1, static_cast<std::size_t>(end - p - 1));
    return !rest.empty();
}

bool parse_u64(std::string_view s, std::uint64_t& n) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

// For an error message: the command without a password.
std::string shown(std::string_view sent) {
    if (sent.size() >= 5 && (sent.substr(0, 5) == "PASS " || sent.substr(0, 5) == "pass "))
        return "PASS ***";
    return std::string(sent);
}

} // namespace

Pop3Client::Pop3Client(asio::any_io_executor executor, Pop3Limits limits)
    : limits_(limits), conn_(executor, limits.max_line, limits.timeout) {}

asio::awaitable<void> Pop3Client::connect(const std::string& host, std::uint16_t port) {
    co_await conn_.connect_tcp(host, port);
    std::string_view line = co_await conn_.read_line();
    if (!line.starts_with("+OK"))
        conn_.fail("bad greeting", line);
    greeting_ = std::string(line);
}

asio::awaitable<std::string> Pop3Client::status_line(std::string_view sent) {
    std::string_view line = co_await conn_.read_line();
    if (line == "+OK")
        co_return std::string();
    if (line.starts_with("+OK "))
        co_return std::string(line.substr(4));
    conn_.fail(shown(sent) + ": unexpected answer", line.empty() ? std::string_view("(empty line)") : line);
}

asio::awaitable<std::string> Pop3Client::command(std::string_view line) {
    std::string out(line);
    out += "\r\n";
    co_await conn_.write(out);
    co_return co_await status_line(line);
}

asio::awaitable<std::string> Pop3Client::multiline(std::string_view line, std::string& out, std::size_t max_bytes) {
    std::string text = co_await command(line);
    out.clear();
    co_await conn_.read_dot_block(out, max_bytes);
    co_return text;
}

asio::awaitable<void> Pop3Client::user(std::string_view name) {
    co_await command("USER " + std::string(name));
}

asio::awaitable<void> Pop3Client::pass(std::string_view password) {
    co_await command("PASS " + std::string(password));
}

asio::awaitable<void> Pop3Client::login(std::string_view name, std::string_view password) {
    co_await user(name);
    co_await pass(password);
}

asio::awaitable<Pop3Stat> Pop3Client::stat() {
    // "+OK nn mm" (RFC 1939 §5): anything after the two numbers is allowed.
    const std::string text = co_await command("STAT");
    Pop3Stat s;
    std::string_view rest;
    std::uint64_t n = 0;
    if (!split_number(text, n, rest))
        conn_.fail("STAT: malformed answer", text);
    s.count = n;
    const std::size_t sp = rest.find(' ');
    if (!parse_u64(rest.substr(0, sp), s.octets))
        conn_.fail("STAT: malformed answer", text);
    co_return s;
}

asio::awaitable<std::vector<Pop3ListEntry>> Pop3Client::list() {
    co_await multiline("LIST", scratch_, limits_.max_listing * 32);
    std::vector<Pop3ListEntry> entries;
    std::string_view rest = scratch_;
    while (!rest.empty()) {
        const std::size_t nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
        if (line.ends_with('\r'))
            line.remove_suffix(1);
        std::uint64_t number = 0, octets = 0;
        std::string_view size;
        if (!split_number(line, number, size) || number == 0 || number > UINT32_MAX ||
            !parse_u64(size.substr(0, size.find(' ')), octets))
            conn_.fail("LIST: malformed line", line);
        if (entries.size() >= limits_.max_listing)
            conn_.fail("LIST: more than " + std::to_string(limits_.max_listing) + " messages");
        entries.push_back({static_cast<std::uint32_t>(number), octets});
    }
    co_return entries;
}

asio::awaitable<std::vector<Pop3UidlEntry>> Pop3Client::uidl() {
    co_await multiline("UIDL", scratch_, limits_.max_listing * 96);
    std::vector<Pop3UidlEntry> entries;
    std::string_view rest = scratch_;
    while (!rest.empty()) {
        const std::size_t nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
        if (line.ends_with('\r'))
            line.remove_suffix(1);
        std::uint64_t number = 0;
        std::string_view uid;
        // The unique-id is 1 to 70 characters 0x21-0x7E (RFC 1939 §7).
        if (!split_number(line, number, uid) || number == 0 || number > UINT32_MAX || uid.size() > 70 ||
            uid.find_first_of(" \t") != std::string_view::npos)
            conn_.fail("UIDL: malformed line", line);
        if (entries.size() >= limits_.max_listing)
            conn_.fail("UIDL: more than " + std::to_string(limits_.max_listing) + " messages");
        entries.push_back({static_cast<std::uint32_t>(number), std::string(uid)});
    }
    co_return entries;
}

asio::awaitable<void> Pop3Client::retr(std::uint32_t number, std::string& out) {
    co_await multiline("RETR " + std::to_string(number), out, limits_.max_message);
}

asio::awaitable<std::string> Pop3Client::retr(std::uint32_t number) {
    std::string out;
    co_await retr(number, out);
    co_return out;
}

asio::awaitable<void> Pop3Client::dele(std::uint32_t number) {
    co_await command("DELE " + std::to_string(number));
}

asio::awaitable<void> Pop3Client::noop() {
    co_await command("NOOP");
}

asio::awaitable<void> Pop3Client::quit() {
    co_await command("QUIT");
    conn_.close();
}

} // namespace loadgen
