// COMPRESS=DEFLATE (RFC 4978): raw deflate (no zlib header) in both
// directions. Internal to the session.
//
// Memory: the deflater uses windowBits 13 and memLevel 6, about 64 KiB
// while output is being compressed (zlib: 2^(wb+2) + 2^(ml+9) bytes), and
// it is released whenever the session waits for the client: the stream is
// ended with a full flush (no later block refers back past it) and a new
// one starts on the next write, which continues the same raw deflate bit
// stream (no final block was ever written). The inflater must accept the
// client's 32 KiB window (windowBits 15); zlib allocates that window on the
// first compressed input. docs/imap.md gives the measured cost.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace imapproto::detail {

class Deflater {
public:
    Deflater();
    ~Deflater();
    Deflater(const Deflater&) = delete;
    Deflater& operator=(const Deflater&) = delete;
    // Compresses `in`, appending whatever zlib emits to `out`.
    void write(std::string_view in, std::string& out);
    // Z_SYNC_FLUSH: everything written so far becomes decodable.
    void sync_flush(std::string& out);
    // Z_FULL_FLUSH and free the compressor's memory until the next write.
    void release(std::string& out);
    bool active() const { return stream_ != nullptr; }

private:
    void ensure();
    void run(std::string_view in, int flush, std::string& out);
    struct Stream;
    std::unique_ptr<Stream> stream_;
};

class Inflater {
public:
    Inflater();
    ~Inflater();
    Inflater(const Inflater&) = delete;
    Inflater& operator=(const Inflater&) = delete;
    // Inflates from `in` (setting `used` to the bytes taken) appending at
    // most about `max_out` bytes to `out`. false on corrupt data.
    bool inflate(std::string_view in, std::size_t& used, std::string& out, std::size_t max_out);

private:
    struct Stream;
    std::unique_ptr<Stream> stream_;
};

} // namespace imapproto::detail
