#include "imap_client.hpp"

#include <asio/connect.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ip/address.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "imap_parse.hpp"

namespace loadgen {

using namespace asio::experimental::awaitable_operators;

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

// A literal marker at the end of a line: "{123}" or "{123+}" (RFC 7888).
// Returns the octet count.
std::optional<std::size_t> trailing_literal(std::string_view line) {
    if (line.size() < 3 || line.back() != '}')
        return std::nullopt;
    std::size_t end = line.size() - 1;
    if (end > 0 && line[end - 1] == '+')
        --end;
    std::size_t open = line.rfind('{', end);
    if (open == std::string_view::npos || open + 1 == end)
        return std::nullopt;
    std::size_t n = 0;
    for (std::size_t i = open + 1; i < end; ++i) {
        char c = line[i];
        if (c < '0' || c > '9' || i - open > 19)
            return std::nullopt;
        n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    return n;
}

} // namespace

std::string imap_string(std::string_view s, bool literal_plus) {
    bool quotable = s.size() < 1024;
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u == 0 || u == '\r' || u == '\n' || u >= 0x80) {
            quotable = false;
            break;
        }
    }
    if (quotable) {
        std::string out = "\"";
        for (char c : s) {
            if (c == '"' || c == '\\')
                out += '\\';
            out += c;
        }
        out += '"';
        return out;
    }
    std::string out = "{" + std::to_string(s.size()) + (literal_plus ? "+}\r\n" : "}\r\n");
    out.append(s);
    return out;
}

ImapClient::ImapClient(asio::any_io_executor executor, ImapLimits limits)
    : executor_(executor), limits_(limits), socket_(executor), timer_(executor) {}

ImapClient::~ImapClient() = default;

void ImapClient::fail(const std::string& what, std::string_view bytes) const {
    std::string msg;
    if (!label_.empty())
        msg = label_ + ": ";
    msg += what;
    if (!bytes.empty())
        msg += ": " + quote_bytes(bytes);
    throw ProtocolError(msg);
}

void ImapClient::close() {
    std::error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    idling_ = false;
}

bool ImapClient::has_capability(std::string_view name) const {
    std::string u = upper(name);
    return std::find(capabilities_.begin(), capabilities_.end(), u) != capabilities_.end();
}

void ImapClient::update_capabilities(std::string_view text) {
    // "CAPABILITY a b c" (from a response code or an untagged line's rest).
    std::string_view rest = text.substr(std::strlen("CAPABILITY"));
    capabilities_.clear();
    while (!rest.empty()) {
        std::size_t sp = rest.find_first_not_of(' ');
        if (sp == std::string_view::npos)
            break;
        rest.remove_prefix(sp);
        std::size_t end = rest.find(' ');
        std::string_view atom = rest.substr(0, end);
        if (!atom.empty() && capabilities_.size() < 1000)
            capabilities_.push_back(upper(atom));
        if (end == std::string_view::npos)
            break;
        rest.remove_prefix(end);
    }
}

asio::awaitable<void> ImapClient::connect(std::string host, std::uint16_t port) {
    std::error_code ec;
    asio::ip::address addr = asio::ip::make_address(host, ec);
    if (ec) {
        asio::ip::tcp::resolver resolver(executor_);
        auto results = co_await resolver.async_resolve(
            host, std::to_string(port), asio::redirect_error(asio::use_awaitable, ec));
        if (ec)
            fail("resolving " + host + ": " + ec.message());
        co_await asio::async_connect(socket_, results, asio::redirect_error(asio::use_awaitable, ec));
    } else {
        co_await socket_.async_connect(asio::ip::tcp::endpoint(addr, port),
                                       asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec)
        fail("connect to " + host + ":" + std::to_string(port) + ": " + ec.message());
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
    socket_.non_blocking(true, ec);
    Raw r = co_await read_response(limits_.timeout);
    greeting_ = std::move(r.resp);
    const std::string& g = greeting_.line;
    if (!(g.starts_with("* OK") || g.starts_with("* PREAUTH")))
        fail("bad greeting", g);
    if (auto code = untagged_code(greeting_); code && upper(code->substr(0, 11)) == "CAPABILITY ")
        update_capabilities(*code);
}

asio::awaitable<bool> ImapClient::fill(std::chrono::milliseconds timeout, bool may_time_out) {
    if (buf_pos_ > 0 && (buf_pos_ >= buf_.size() / 2 || buf_pos_ > 1024 * 1024)) {
        buf_.erase(0, buf_pos_);
        buf_pos_ = 0;
    }
    if (!socket_.is_open())
        fail("connection closed", std::string_view(buf_).substr(buf_pos_));
    // The socket is non-blocking: read what is there into a per-thread scratch
    // buffer (used only between two suspension points), else wait until the
    // socket is readable. No connection holds a read buffer of its own while it
    // waits, which matters with 10,000 idle connections.
    thread_local char scratch[kReadChunk];
    for (;;) {
        std::error_code ec;
        std::size_t n = socket_.read_some(asio::buffer(scratch, kReadChunk), ec);
        if (!ec) {
            bytes_read_ += n;
            buf_.append(scratch, n);
            co_return true;
        }
        if (ec != asio::error::would_block && ec != asio::error::try_again) {
            std::string pending = buf_.substr(buf_pos_);
            close();
            if (ec == asio::error::eof)
                fail("connection closed by the server",
                     pending.empty() ? std::string_view("(nothing pending)") : std::string_view(pending));
            fail("read error: " + ec.message(), pending);
        }
        std::error_code wait_ec;
        std::error_code timer_ec;
        timer_.expires_after(timeout);
        auto result = co_await (
            socket_.async_wait(asio::ip::tcp::socket::wait_read,
                               asio::redirect_error(asio::use_awaitable, wait_ec)) ||
            timer_.async_wait(asio::redirect_error(asio::use_awaitable, timer_ec)));
        if (result.index() == 1) {
            if (may_time_out)
                co_return false;
            fail("no answer within " + std::to_string(timeout.count()) + " ms after",
                 std::string_view(buf_).substr(buf_pos_));
        }
        if (wait_ec) {
            close();
            fail("wait error: " + wait_ec.message());
        }
    }
}

asio::awaitable<void> ImapClient::write_all(std::string_view bytes) {
    if (!socket_.is_open())
        fail("connection closed before sending", bytes);
    std::error_code write_ec;
    std::error_code timer_ec;
    timer_.expires_after(limits_.timeout);
    auto result = co_await (
        asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()),
                          asio::redirect_error(asio::use_awaitable, write_ec)) ||
        timer_.async_wait(asio::redirect_error(asio::use_awaitable, timer_ec)));
    if (result.index() == 1)
        fail("server did not read within " + std::to_string(limits_.timeout.count()) + " ms", bytes);
    if (write_ec) {
        close();
        fail("write error: " + write_ec.message(), bytes);
    }
    bytes_written_ += bytes.size();
}

asio::awaitable<ImapClient::Raw> ImapClient::read_response(std::chrono::milliseconds timeout) {
    // Parses one response from buf_ without consuming it until complete, so a
    // timeout in the middle (try_next_untagged) loses nothing.
    for (;;) {
        Raw r;
        std::size_t pos = buf_pos_;
        bool complete = false;
        for (;;) {
            std::size_t crlf = buf_.find("\r\n", pos);
            if (crlf == std::string::npos) {
                if (buf_.size() - pos > limits_.max_line)
                    fail("response line longer than " + std::to_string(limits_.max_line) + " octets",
                         std::string_view(buf_).substr(pos));
                break;
            }
            if (crlf - pos > limits_.max_line)
                fail("response line longer than " + std::to_string(limits_.max_line) + " octets",
                     std::string_view(buf_).substr(pos));
            std::string_view line(buf_.data() + pos, crlf - pos);
            if (r.resp.line.size() + line.size() > limits_.max_response)
                fail("response larger than " + std::to_string(limits_.max_response) + " octets",
                     r.resp.line);
            r.resp.line.append(line);
            pos = crlf + 2;
            auto lit = trailing_literal(line);
            if (!lit) {
                complete = true;
                break;
            }
            if (*lit > limits_.max_literal)
                fail("literal of " + std::to_string(*lit) + " octets, more than " +
                         std::to_string(limits_.max_literal),
                     line);
            if (buf_.size() - pos < *lit)
                break;
            r.resp.literals.emplace_back(buf_.data() + pos, *lit);
            pos += *lit;
        }
        if (complete) {
            buf_pos_ = pos;
            const std::string& l = r.resp.line;
            if (l.starts_with("* ") || l == "*" || l.starts_with("+")) {
                // untagged or continuation
            } else {
                std::size_t sp = l.find(' ');
                if (sp == 0 || l.empty())
                    fail("response without a tag", l);
                r.tag = l.substr(0, sp);
            }
            co_return r;
        }
        if (!co_await fill(timeout, false))
            fail("timeout");
    }
}

asio::awaitable<ImapResponse> ImapClient::read_until_tagged(const std::string& tag) {
    ImapResponse resp;
    std::size_t octets = 0;
    for (;;) {
        Raw r = co_await read_response(limits_.timeout);
        if (r.tag.empty()) {
            if (r.resp.line.starts_with("+"))
                fail("continuation request while waiting for " + tag + "'s reply", r.resp.line);
            if (resp.untagged.size() >= limits_.max_untagged)
                fail("more than " + std::to_string(limits_.max_untagged) + " untagged responses", r.resp.line);
            octets += r.resp.line.size();
            for (const auto& lit : r.resp.literals)
                octets += lit.size();
            if (octets > limits_.max_response)
                fail("answer larger than " + std::to_string(limits_.max_response) + " octets", r.resp.line);
            if (r.resp.line.size() > 13 && upper(std::string_view(r.resp.line).substr(2, 11)) == "CAPABILITY ")
                update_capabilities(std::string_view(r.resp.line).substr(2));
            resp.untagged.push_back(std::move(r.resp));
            continue;
        }
        if (r.tag != tag)
            fail("tagged reply for " + r.tag + " while waiting for " + tag, r.resp.line);
        std::string_view rest = std::string_view(r.resp.line).substr(tag.size());
        if (!rest.starts_with(' '))
            fail("malformed tagged reply", r.resp.line);
        rest.remove_prefix(1);
        std::size_t sp = rest.find(' ');
        std::string status = upper(rest.substr(0, sp));
        if (status != "OK" && status != "NO" && status != "BAD")
            fail("tagged reply with status " + status, r.resp.line);
        resp.status = std::move(status);
        resp.text = sp == std::string_view::npos ? std::string() : std::string(rest.substr(sp + 1));
        if (auto code = response_code(resp.text); code && upper(code->substr(0, 11)) == "CAPABILITY ")
            update_capabilities(*code);
        co_return resp;
    }
}

asio::awaitable<ImapResponse> ImapClient::command(std::string_view text) {
    if (idling_)
        fail("command while idling", text);
    last_tag_ = "A" + std::to_string(next_tag_++);
    const std::string tag = last_tag_;
    std::string out = tag + " ";
    // Split the command at each literal (RFC 3501 §7.5: the client waits for
    // "+" before sending a synchronising literal's octets; RFC 7888's "{n+}"
    // goes at once).
    std::vector<ImapUntagged> early;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t crlf = text.find("\r\n", pos);
        if (crlf == std::string_view::npos) {
            out.append(text.substr(pos));
            break;
        }
        std::string_view line = text.substr(pos, crlf - pos);
        auto lit = trailing_literal(line);
        if (!lit || crlf + 2 + *lit > text.size())
            fail("command with a line break outside a literal", text);
        out.append(text.substr(pos, crlf + 2 - pos));
        pos = crlf + 2;
        bool sync = line[line.size() - 2] != '+';
        if (sync) {
            co_await write_all(out);
            out.clear();
            for (;;) {
                Raw r = co_await read_response(limits_.timeout);
                if (r.tag.empty() && r.resp.line.starts_with("+"))
                    break;
                if (r.tag.empty()) {
                    early.push_back(std::move(r.resp));
                    continue;
                }
                if (r.tag != tag)
                    fail("tagged reply for " + r.tag + " while waiting for a continuation", r.resp.line);
                // The server refused the literal: its tagged reply ends the command.
                ImapResponse resp;
                std::string_view rest = std::string_view(r.resp.line).substr(tag.size() + 1);
                std::size_t sp = rest.find(' ');
                resp.status = upper(rest.substr(0, sp));
                resp.text = sp == std::string_view::npos ? std::string() : std::string(rest.substr(sp + 1));
                resp.untagged = std::move(early);
                co_return resp;
            }
        }
        out.append(text.substr(pos, *lit));
        pos += *lit;
    }
    out += "\r\n";
    co_await write_all(out);
    ImapResponse resp = co_await read_until_tagged(tag);
    if (!early.empty())
        resp.untagged.insert(resp.untagged.begin(), std::make_move_iterator(early.begin()),
                             std::make_move_iterator(early.end()));
    co_return resp;
}

asio::awaitable<ImapResponse> ImapClient::login(std::string_view user, std::string_view password) {
    bool plus = has_capability("LITERAL+");
    co_return co_await command("LOGIN " + imap_string(user, plus) + " " + imap_string(password, plus));
}

asio::awaitable<ImapResponse> ImapClient::logout() {
    ImapResponse r = co_await command("LOGOUT");
    bool bye = std::any_of(r.untagged.begin(), r.untagged.end(),
                           [](const ImapUntagged& u) { return u.line.starts_with("* BYE"); });
    if (r.ok() && !bye)
        fail("LOGOUT without * BYE (RFC 3501 §6.1.3)", r.untagged.empty() ? "" : r.untagged.back().line);
    close();
    co_return r;
}

asio::awaitable<ImapResponse> ImapClient::capability() {
    co_return co_await command("CAPABILITY");
}

asio::awaitable<ImapResponse> ImapClient::append(std::string_view mailbox, std::string_view flags,
                                                 std::string_view date, std::string_view message) {
    bool plus = has_capability("LITERAL+");
    std::string text = "APPEND " + imap_string(mailbox, plus);
    if (!flags.empty())
        text += " (" + std::string(flags) + ")";
    if (!date.empty())
        text += " \"" + std::string(date) + "\"";
    text += " {" + std::to_string(message.size()) + (plus ? "+}\r\n" : "}\r\n");
    text.append(message);
    co_return co_await command(text);
}

asio::awaitable<void> ImapClient::idle_start() {
    if (idling_)
        fail("IDLE while idling");
    last_tag_ = "A" + std::to_string(next_tag_++);
    idle_tag_ = last_tag_;
    co_await write_all(idle_tag_ + " IDLE\r\n");
    for (;;) {
        Raw r = co_await read_response(limits_.timeout);
        if (r.tag.empty() && r.resp.line.starts_with("+")) {
            idling_ = true;
            co_return;
        }
        if (!r.tag.empty())
            fail("IDLE refused", r.resp.line);
        idle_pending_.push_back(std::move(r.resp));
    }
}

asio::awaitable<ImapUntagged> ImapClient::next_untagged() {
    co_return co_await next_untagged(limits_.timeout);
}

asio::awaitable<ImapUntagged> ImapClient::next_untagged(std::chrono::milliseconds timeout) {
    auto u = co_await try_next_untagged(timeout);
    if (!u)
        fail("no untagged response within " + std::to_string(timeout.count()) + " ms while idling");
    co_return std::move(*u);
}

asio::awaitable<std::optional<ImapUntagged>> ImapClient::try_next_untagged(std::chrono::milliseconds timeout) {
    if (!idle_pending_.empty()) {
        ImapUntagged u = std::move(idle_pending_.front());
        idle_pending_.erase(idle_pending_.begin());
        co_return u;
    }
    if (!idling_)
        fail("next_untagged without IDLE");
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        // Complete response already buffered?
        if (buffered_response_complete()) {
            Raw r = co_await read_response(limits_.timeout);
            if (!r.tag.empty())
                fail("tagged reply while idling", r.resp.line);
            if (r.resp.line.starts_with("+"))
                fail("continuation request while idling", r.resp.line);
            co_return std::move(r.resp);
        }
        auto now = std::chrono::steady_clock::now();
        if (now >= deadline)
            co_return std::nullopt;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) +
                    std::chrono::milliseconds(1);
        if (!co_await fill(left, true))
            co_return std::nullopt;
    }
}

bool ImapClient::buffered_response_complete() const {
    std::size_t pos = buf_pos_;
    for (;;) {
        std::size_t crlf = buf_.find("\r\n", pos);
        if (crlf == std::string::npos)
            return false;
        std::string_view line(buf_.data() + pos, crlf - pos);
        pos = crlf + 2;
        auto lit = trailing_literal(line);
        if (!lit)
            return true;
        if (buf_.size() - pos < *lit)
            return false;
        pos += *lit;
    }
}

asio::awaitable<ImapResponse> ImapClient::idle_done() {
    if (!idling_)
        fail("DONE without IDLE");
    idling_ = false;
    co_await write_all("DONE\r\n");
    ImapResponse r = co_await read_until_tagged(idle_tag_);
    if (!idle_pending_.empty()) {
        r.untagged.insert(r.untagged.begin(), std::make_move_iterator(idle_pending_.begin()),
                          std::make_move_iterator(idle_pending_.end()));
        idle_pending_.clear();
    }
    co_return r;
}

} // namespace loadgen
