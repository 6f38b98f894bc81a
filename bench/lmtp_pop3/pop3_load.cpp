// pop3_load: one POP3 download session, the client of bench/lmtp_pop3/run_bench.py.
//
// Connect to 127.0.0.1:PORT, USER/PASS, STAT, LIST, UIDL, RETR every message
// one command at a time (no pipelining: what simple clients do), QUIT. The
// time from connect to the QUIT reply and the client's own CPU time are
// printed, so the report can show the client is not what limits the rate
// (a Python client spent about a quarter of the session in itself).
//
// Checks, printed for the script to judge: each RETR's octets with the
// dot-stuffing undone (RFC 1939 §3: a line starting with "." is sent with
// one more) against the size LIST gave, STAT's count and octets, and CRC-32s
// of the UIDL listing and of all retrieved data so two servers' answers can
// be compared.
//
// Everything is bounded: a reply larger than 256 MB or a status line longer
// than 64 KB ends the program with an error.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::size_t kMaxReply = 256u << 20;
constexpr std::size_t kMaxStatusLine = 64u << 10;
constexpr std::size_t kReadChunk = 256u << 10;

[[noreturn]] void die(const std::string& msg) {
    std::fprintf(stderr, "pop3_load: %s\n", msg.c_str());
    std::exit(1);
}

double cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

class Client {
public:
    explicit Client(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd_ < 0)
            die(std::string("socket: ") + std::strerror(errno));
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
            die(std::string("connect: ") + std::strerror(errno));
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        buf_.resize(1u << 20);
        status("greeting");
    }
    ~Client() { ::close(fd_); }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    std::string command(std::string_view cmd) {
        send(cmd);
        return status(cmd);
    }

    struct Data {
        std::string_view bytes; // the data as sent: dot-stuffed, each line with its CRLF
        std::size_t stuffed = 0;
    };

    // A multi-line reply (RFC 1939 §3): +OK line, data, CRLF "." CRLF.
    Data multiline(std::string_view cmd) {
        send(cmd);
        std::size_t eol = find_status_end(cmd);
        // Searching from the status line's CRLF also finds the terminator of
        // empty data ("+OK\r\n.\r\n").
        std::size_t from = eol;
        const char* term = nullptr;
        while (!(term = find(from, "\r\n.\r\n"))) {
            from = len_ >= 4 ? len_ - 4 : 0;
            if (from < eol)
                from = eol;
            fill(cmd);
        }
        std::size_t t = static_cast<std::size_t>(term - buf_.data());
        if (t + 5 != len_)
            die("data after the terminator of " + std::string(cmd));
        Data d;
        d.bytes = std::string_view(buf_.data() + eol + 2, t - eol);
        for (std::size_t at = eol; (term = find(at, "\r\n.", t)); at = static_cast<std::size_t>(term - buf_.data()) + 3)
            ++d.stuffed;
        len_ = 0;
        return d;
    }

private:
    void send(std::string_view cmd) {
        std::string line(cmd);
        line += "\r\n";
        std::size_t off = 0;
        while (off < line.size()) {
            ssize_t n = ::send(fd_, line.data() + off, line.size() - off, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                die(std::string("send: ") + std::strerror(errno));
            off += static_cast<std::size_t>(n);
        }
    }

    void fill(std::string_view what) {
        if (buf_.size() - len_ < kReadChunk) {
            if (buf_.size() >= kMaxReply)
                die("reply to " + std::string(what) + " larger than 256 MB");
            buf_.resize(buf_.size() * 2);
        }
        ssize_t n;
        do {
            n = ::recv(fd_, buf_.data() + len_, buf_.size() - len_, 0);
        } while (n < 0 && errno == EINTR);
        if (n < 0)
            die(std::string("recv: ") + std::strerror(errno));
        if (n == 0)
            die("connection closed while waiting for the reply to " + std::string(what));
        len_ += static_cast<std::size_t>(n);
    }

    const char* find(std::size_t from, std::string_view needle, std::size_t end = SIZE_MAX) const {
        std::size_t stop = end < len_ ? end : len_;
        if (from >= stop)
            return nullptr;
        return static_cast<const char*>(::memmem(buf_.data() + from, stop - from, needle.data(), needle.size()));
    }

    std::size_t find_status_end(std::string_view what) {
        const char* eol;
        while (!(eol = find(0, "\r\n"))) {
            if (len_ > kMaxStatusLine)
                die("status line longer than 64 KB");
            fill(what);
        }
        if (len_ < 3 || std::memcmp(buf_.data(), "+OK", 3) != 0)
            die(std::string(what) + " -> " + std::string(buf_.data(), static_cast<std::size_t>(eol - buf_.data())));
        return static_cast<std::size_t>(eol - buf_.data());
    }

    std::string status(std::string_view what) {
        std::size_t eol = find_status_end(what);
        std::string line(buf_.data(), eol);
        if (eol + 2 != len_)
            die("unexpected data after the reply to " + std::string(what));
        len_ = 0;
        return line;
    }

    int fd_ = -1;
    std::vector<char> buf_;
    std::size_t len_ = 0;
};

std::uint32_t crc(std::uint32_t c, std::string_view d) {
    while (!d.empty()) {
        uInt n = d.size() > (1u << 30) ? (1u << 30) : static_cast<uInt>(d.size());
        c = static_cast<std::uint32_t>(::crc32(c, reinterpret_cast<const Bytef*>(d.data()), n));
        d.remove_prefix(n);
    }
    return c;
}

} // namespace

int main(int argc, char** argv) {
    long port = 0;
    std::string user, password;
    bool checksum = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--checksum") {
            checksum = true;
        } else if (i + 1 < argc && a == "--port") {
            port = std::strtol(argv[++i], nullptr, 10);
        } else if (i + 1 < argc && a == "--user") {
            user = argv[++i];
        } else if (i + 1 < argc && a == "--password") {
            password = argv[++i];
        } else {
            std::fprintf(stderr, "usage: pop3_load --port PORT --user USER --password PASSWORD [--checksum]\n");
            return 2;
        }
    }
    if (port <= 0 || port > 65535 || user.empty())
        die("--port and --user are required");

    double cpu0 = cpu_seconds();
    auto t0 = std::chrono::steady_clock::now();
    Client c(static_cast<std::uint16_t>(port));
    c.command("USER " + user);
    c.command("PASS " + password);
    std::string stat = c.command("STAT");
    unsigned long stat_count = 0, stat_octets = 0;
    if (std::sscanf(stat.c_str(), "+OK %lu %lu", &stat_count, &stat_octets) != 2)
        die("STAT -> " + stat);

    std::vector<std::uint64_t> sizes;
    {
        auto list = c.multiline("LIST");
        std::string_view rest = list.bytes;
        while (!rest.empty()) {
            std::size_t eol = rest.find("\r\n");
            std::string line(rest.substr(0, eol));
            unsigned long n = 0, size = 0;
            if (std::sscanf(line.c_str(), "%lu %lu", &n, &size) != 2 || n != sizes.size() + 1)
                die("LIST line: " + line);
            sizes.push_back(size);
            rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 2);
        }
    }
    std::uint32_t uidl_crc = crc(0, c.multiline("UIDL").bytes);

    std::uint64_t octets = 0, bad = 0;
    std::uint32_t data_crc = 0;
    for (std::size_t n = 1; n <= sizes.size(); ++n) {
        auto d = c.multiline("RETR " + std::to_string(n));
        std::uint64_t got = d.bytes.size() - d.stuffed;
        octets += got;
        if (got != sizes[n - 1])
            ++bad;
        if (checksum)
            data_crc = crc(data_crc, d.bytes);
    }
    c.command("QUIT");
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double cpu = cpu_seconds() - cpu0;

    std::printf("seconds %.6f\ncpu %.6f\nstat_count %lu\nstat_octets %lu\nlist_count %zu\n"
                "octets %llu\nbad_sizes %llu\ncrc %08x\nuidl_crc %08x\n",
                seconds, cpu, stat_count, stat_octets, sizes.size(), static_cast<unsigned long long>(octets),
                static_cast<unsigned long long>(bad), data_crc, uidl_crc);
    return 0;
}
