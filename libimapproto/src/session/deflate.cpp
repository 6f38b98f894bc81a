// COMPRESS=DEFLATE streams over zlib (see deflate.hpp for the memory
// choices).
#include "session/deflate.hpp"

#include <zlib.h>

#include <cstring>

namespace imapproto::detail {

namespace {
constexpr int kDeflateWindowBits = 13;
constexpr int kDeflateMemLevel = 6;
// RFC 4978 §4: the client may use any window up to 32 KiB.
constexpr int kInflateWindowBits = 15;
constexpr std::size_t kStep = 16 * 1024;
} // namespace

struct Deflater::Stream {
    z_stream z{};
};

struct Inflater::Stream {
    z_stream z{};
    bool ok = false;
};

Deflater::Deflater() = default;

Deflater::~Deflater() {
    if (stream_)
        deflateEnd(&stream_->z);
}

void Deflater::ensure() {
    if (stream_)
        return;
    auto s = std::make_unique<Stream>();
    if (deflateInit2(&s->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -kDeflateWindowBits, kDeflateMemLevel,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return;
    stream_ = std::move(s);
}

void Deflater::run(std::string_view in, int flush, std::string& out) {
    ensure();
    if (!stream_)
        return;
    z_stream& z = stream_->z;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    for (;;) {
        std::size_t old = out.size();
        out.resize(old + kStep);
        z.next_out = reinterpret_cast<Bytef*>(out.data() + old);
        z.avail_out = static_cast<uInt>(kStep);
        int rc = ::deflate(&z, flush);
        out.resize(old + (kStep - z.avail_out));
        if (rc == Z_STREAM_ERROR)
            return;
        // Done when zlib took all input and did not fill the buffer (for a
        // flush: had room to finish it).
        if (z.avail_in == 0 && z.avail_out != 0)
            return;
    }
}

void Deflater::write(std::string_view in, std::string& out) {
    // Big inputs in slices: avail_in is 32 bits.
    while (!in.empty()) {
        std::size_t n = std::min<std::size_t>(in.size(), 1u << 30);
        run(in.substr(0, n), Z_NO_FLUSH, out);
        in.remove_prefix(n);
    }
}

void Deflater::sync_flush(std::string& out) {
    if (stream_)
        run({}, Z_SYNC_FLUSH, out);
}

void Deflater::release(std::string& out) {
    if (!stream_)
        return;
    run({}, Z_FULL_FLUSH, out);
    deflateEnd(&stream_->z);
    stream_.reset();
}

Inflater::Inflater() : stream_(std::make_unique<Stream>()) {
    stream_->ok = inflateInit2(&stream_->z, -kInflateWindowBits) == Z_OK;
}

Inflater::~Inflater() {
    if (stream_->ok)
        inflateEnd(&stream_->z);
}

bool Inflater::inflate(std::string_view in, std::size_t& used, std::string& out, std::size_t max_out) {
    used = 0;
    if (!stream_->ok)
        return false;
    z_stream& z = stream_->z;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(std::min<std::size_t>(in.size(), 1u << 30));
    std::size_t produced = 0;
    while (z.avail_in > 0 && produced < max_out) {
        std::size_t old = out.size();
        std::size_t room = std::min(kStep, max_out - produced);
        out.resize(old + room);
        z.next_out = reinterpret_cast<Bytef*>(out.data() + old);
        z.avail_out = static_cast<uInt>(room);
        int rc = ::inflate(&z, Z_SYNC_FLUSH);
        std::size_t got = room - z.avail_out;
        out.resize(old + got);
        produced += got;
        if (rc == Z_STREAM_END) {
            // The client ended its stream: nothing may follow (RFC 4978).
            used = in.size() - z.avail_in;
            return z.avail_in == 0;
        }
        if (rc == Z_BUF_ERROR && got == 0)
            break;
        if (rc != Z_OK)
            return false;
    }
    used = static_cast<std::size_t>(reinterpret_cast<const char*>(z.next_in) - in.data());
    return true;
}

} // namespace imapproto::detail
