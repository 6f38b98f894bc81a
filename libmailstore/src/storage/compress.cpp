// The zlib plugin's formats. gzip: RFC 1952 member (magic 1f 8b), written as
// `gzip` does so zcat reads it; bzip2: "BZh" + level digit.
#include "storage/compress.hpp"

#include <bzlib.h>
#include <zlib.h>

#include <algorithm>
#include <climits>

namespace mailstore::storage {
namespace {

constexpr std::size_t chunk = 64 * 1024;

Status too_large(std::uint64_t limit) {
    return Status::io("decompressed size exceeds " + std::to_string(limit) + " bytes (corrupt or hostile mail file)");
}

Result<std::string> gz_compress(int level, std::string_view data) {
    z_stream zs{};
    // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
    if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return Status::io("gzip: deflateInit2 failed (level " + std::to_string(level) + ")");
    std::string out;
    out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    std::size_t in_left = data.size();
    int rc = Z_OK;
    while (rc == Z_OK) {
        const auto in_now = static_cast<uInt>(std::min<std::size_t>(in_left, UINT_MAX));
        zs.avail_in = in_now;
        const std::size_t out_used = static_cast<std::size_t>(zs.next_out - reinterpret_cast<Bytef*>(out.data()));
        if (out_used == out.size()) {
            out.resize(out.size() * 2);
            zs.next_out = reinterpret_cast<Bytef*>(out.data()) + out_used;
        }
        zs.avail_out = static_cast<uInt>(std::min<std::size_t>(out.size() - out_used, UINT_MAX));
        rc = deflate(&zs, in_now == in_left ? Z_FINISH : Z_NO_FLUSH);
        in_left -= in_now - zs.avail_in;
        if (rc == Z_BUF_ERROR) rc = Z_OK; // out of output space: grow and go on
    }
    const std::size_t used = static_cast<std::size_t>(zs.next_out - reinterpret_cast<Bytef*>(out.data()));
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) return Status::io("gzip: compression failed");
    out.resize(used);
    return out;
}

Result<std::string> gz_decompress(std::string_view data, std::uint64_t limit) {
    z_stream zs{};
    if (inflateInit2(&zs, 15 + 16) != Z_OK) return Status::io("gzip: inflateInit2 failed");
    std::string out;
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(std::min<std::size_t>(data.size(), UINT_MAX));
    std::size_t in_left = data.size() - zs.avail_in;
    int rc = Z_OK;
    while (true) {
        if (out.size() > limit) {
            inflateEnd(&zs);
            return too_large(limit);
        }
        const std::size_t used = out.size();
        out.resize(static_cast<std::size_t>(std::min<std::uint64_t>(used + chunk, limit + 1)));
        zs.next_out = reinterpret_cast<Bytef*>(out.data()) + used;
        zs.avail_out = static_cast<uInt>(out.size() - used);
        rc = inflate(&zs, Z_NO_FLUSH);
        out.resize(out.size() - zs.avail_out);
        if (zs.avail_in == 0 && in_left > 0) {
            const auto more = static_cast<uInt>(std::min<std::size_t>(in_left, UINT_MAX));
            zs.avail_in = more;
            in_left -= more;
        }
        if (rc == Z_STREAM_END) {
            // `gzip` may concatenate members (zcat reads them all): go on if more follows.
            if (zs.avail_in == 0 && in_left == 0) break;
            if (inflateReset(&zs) != Z_OK) break;
            continue;
        }
        if (rc != Z_OK) {
            inflateEnd(&zs);
            return Status::io(std::string("gzip: corrupt data (") + (zs.msg ? zs.msg : "inflate error") + ")");
        }
        if (zs.avail_in == 0 && in_left == 0 && zs.avail_out != 0) {
            inflateEnd(&zs);
            return Status::io("gzip: truncated data");
        }
    }
    inflateEnd(&zs);
    if (out.size() > limit) return too_large(limit);
    return out;
}

Result<std::string> bz_compress(int level, std::string_view data) {
    if (level < 1) level = 1;
    if (level > 9) level = 9;
    bz_stream bz{};
    if (BZ2_bzCompressInit(&bz, level, 0, 0) != BZ_OK) return Status::io("bzip2: BZ2_bzCompressInit failed");
    std::string out;
    out.resize(data.size() + data.size() / 100 + 600);
    bz.next_in = const_cast<char*>(data.data());
    std::size_t in_left = data.size();
    int rc = BZ_RUN_OK;
    std::size_t used = 0;
    while (true) {
        const auto in_now = static_cast<unsigned>(std::min<std::size_t>(in_left, UINT_MAX));
        bz.avail_in = in_now;
        if (used == out.size()) out.resize(out.size() * 2);
        bz.next_out = out.data() + used;
        bz.avail_out = static_cast<unsigned>(std::min<std::size_t>(out.size() - used, UINT_MAX));
        const unsigned before_out = bz.avail_out;
        rc = BZ2_bzCompress(&bz, in_now == in_left ? BZ_FINISH : BZ_RUN);
        in_left -= in_now - bz.avail_in;
        used += before_out - bz.avail_out;
        if (rc == BZ_STREAM_END) break;
        if (rc != BZ_RUN_OK && rc != BZ_FINISH_OK) {
            BZ2_bzCompressEnd(&bz);
            return Status::io("bzip2: compression failed");
        }
    }
    BZ2_bzCompressEnd(&bz);
    out.resize(used);
    return out;
}

Result<std::string> bz_decompress(std::string_view data, std::uint64_t limit) {
    std::string out;
    std::size_t offset = 0;
    // Concatenated streams (as bzip2 writes for `cat a.bz2 b.bz2`) are read in turn.
    while (offset < data.size()) {
        bz_stream bz{};
        if (BZ2_bzDecompressInit(&bz, 0, 0) != BZ_OK) return Status::io("bzip2: BZ2_bzDecompressInit failed");
        bz.next_in = const_cast<char*>(data.data() + offset);
        bz.avail_in = static_cast<unsigned>(std::min<std::size_t>(data.size() - offset, UINT_MAX));
        int rc = BZ_OK;
        while (rc == BZ_OK) {
            if (out.size() >= limit + 1) break;
            const std::size_t used = out.size();
            out.resize(static_cast<std::size_t>(std::min<std::uint64_t>(used + chunk, limit + 1)));
            bz.next_out = out.data() + used;
            bz.avail_out = static_cast<unsigned>(out.size() - used);
            const unsigned avail_before = bz.avail_in;
            const unsigned out_before = bz.avail_out;
            rc = BZ2_bzDecompress(&bz);
            out.resize(out.size() - bz.avail_out);
            if (rc == BZ_OK && bz.avail_in == 0 && avail_before == 0 && out_before == bz.avail_out) {
                BZ2_bzDecompressEnd(&bz);
                return Status::io("bzip2: truncated data");
            }
        }
        const std::size_t consumed = static_cast<std::size_t>(bz.next_in - data.data()) - offset;
        BZ2_bzDecompressEnd(&bz);
        if (out.size() > limit) return too_large(limit);
        if (rc != BZ_STREAM_END) return Status::io("bzip2: corrupt data (error " + std::to_string(rc) + ")");
        offset += consumed;
        if (consumed == 0) break;
    }
    return out;
}

} // namespace

CompressFormat detect_compression(std::string_view head) {
    if (head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x1f && static_cast<unsigned char>(head[1]) == 0x8b)
        return CompressFormat::gz;
    if (head.size() >= 4 && head[0] == 'B' && head[1] == 'Z' && head[2] == 'h' && head[3] >= '1' && head[3] <= '9')
        return CompressFormat::bz2;
    return CompressFormat::none;
}

Result<std::string> compress(CompressFormat format, int level, std::string_view data) {
    try {
        switch (format) {
        case CompressFormat::gz:
            return gz_compress(level < 0 ? 6 : (level > 9 ? 9 : level), data);
        case CompressFormat::bz2:
            return bz_compress(level, data);
        case CompressFormat::none:
            return std::string(data);
        }
    } catch (const std::bad_alloc&) {
        return Status::io("compress: out of memory");
    }
    return Status::invalid("compress: unknown format");
}

struct StreamCompressor::State {
    CompressFormat format = CompressFormat::none;
    Sink sink;
    z_stream zs{};
    bz_stream bz{};
    bool ready = false;
    bool finished = false;
    std::string out;

    ~State() {
        if (ready && format == CompressFormat::gz)
            deflateEnd(&zs);
        else if (ready && format == CompressFormat::bz2)
            BZ2_bzCompressEnd(&bz);
    }

    // Runs the codec over `data` (finish: to the end of the stream),
    // handing each full output chunk to the sink.
    Status run(std::string_view data, bool finish) {
        std::size_t in_left = data.size();
        const char* in = data.data();
        for (;;) {
            const auto in_now = static_cast<unsigned>(std::min<std::size_t>(in_left, UINT_MAX));
            bool done = false;
            std::size_t produced = 0;
            if (format == CompressFormat::gz) {
                zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in));
                zs.avail_in = in_now;
                zs.next_out = reinterpret_cast<Bytef*>(out.data());
                zs.avail_out = static_cast<uInt>(out.size());
                const int rc = deflate(&zs, finish && in_now == in_left ? Z_FINISH : Z_NO_FLUSH);
                if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
                    return Status::io("gzip: compression failed");
                produced = out.size() - zs.avail_out;
                in += in_now - zs.avail_in;
                in_left -= in_now - zs.avail_in;
                done = finish ? rc == Z_STREAM_END : in_left == 0;
            } else {
                bz.next_in = const_cast<char*>(in);
                bz.avail_in = in_now;
                bz.next_out = out.data();
                bz.avail_out = static_cast<unsigned>(out.size());
                const int rc = BZ2_bzCompress(&bz, finish && in_now == in_left ? BZ_FINISH : BZ_RUN);
                if (rc != BZ_RUN_OK && rc != BZ_FINISH_OK && rc != BZ_STREAM_END)
                    return Status::io("bzip2: compression failed");
                produced = out.size() - bz.avail_out;
                in += in_now - bz.avail_in;
                in_left -= in_now - bz.avail_in;
                // What the codec still holds comes out with the next call.
                done = finish ? rc == BZ_STREAM_END : in_left == 0;
            }
            if (produced > 0)
                if (auto s = sink(std::string_view(out.data(), produced)); !s)
                    return s;
            if (done)
                return Status::ok();
        }
    }
};

StreamCompressor::StreamCompressor(CompressFormat format, int level, Sink sink) : state_(std::make_unique<State>()) {
    state_->format = format;
    state_->sink = std::move(sink);
    if (format == CompressFormat::gz) {
        level = level < 0 ? 6 : (level > 9 ? 9 : level);
        state_->ready = deflateInit2(&state_->zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
    } else if (format == CompressFormat::bz2) {
        level = level < 1 ? 1 : (level > 9 ? 9 : level);
        state_->ready = BZ2_bzCompressInit(&state_->bz, level, 0, 0) == BZ_OK;
    } else {
        state_->ready = true;
    }
    if (format != CompressFormat::none)
        state_->out.resize(chunk);
}

StreamCompressor::~StreamCompressor() = default;

Status StreamCompressor::write(std::string_view data) {
    State& s = *state_;
    if (!s.ready || s.finished)
        return Status::io("compress: stream not open");
    if (s.format == CompressFormat::none)
        return s.sink(data);
    if (data.empty())
        return Status::ok();
    return s.run(data, false);
}

Status StreamCompressor::finish() {
    State& s = *state_;
    if (!s.ready || s.finished)
        return Status::io("compress: stream not open");
    s.finished = true;
    if (s.format == CompressFormat::none)
        return Status::ok();
    return s.run({}, true);
}

Result<std::string> decompress(CompressFormat format, std::string_view data, std::uint64_t limit) {
    try {
        switch (format) {
        case CompressFormat::gz:
            return gz_decompress(data, limit);
        case CompressFormat::bz2:
            return bz_decompress(data, limit);
        case CompressFormat::none:
            if (data.size() > limit) return too_large(limit);
            return std::string(data);
        }
    } catch (const std::bad_alloc&) {
        return Status::io("decompress: out of memory");
    }
    return Status::invalid("decompress: unknown format");
}

} // namespace mailstore::storage
