// Byte-level helpers of the index files (docs/index-format.md): little-endian
// integers, a bounds-checked reader for bytes that come from disk, and the
// XXH64 checksum every file uses.
#pragma once

#include <mailstore/export.hpp>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace mailstore::index::detail {

// The files are written in the machine's byte order; Loft runs on
// little-endian machines only (amd64, arm64), which this makes explicit.
static_assert(std::endian::native == std::endian::little, "index files are little-endian");

// XXH64 (seed 0 unless given): fast enough to check a 6 MB snapshot in well
// under a millisecond, strong enough to catch torn writes and bit flips.
MAILSTORE_INTERNAL_API std::uint64_t xxh64(const void* data, std::size_t length, std::uint64_t seed = 0);

class ByteWriter {
public:
    void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
    void u16(std::uint16_t v) { raw(&v, sizeof v); }
    void u32(std::uint32_t v) { raw(&v, sizeof v); }
    void u64(std::uint64_t v) { raw(&v, sizeof v); }
    void i64(std::int64_t v) { raw(&v, sizeof v); }
    void bytes(std::string_view s) { out_.append(s); }
    void raw(const void* p, std::size_t n) { out_.append(static_cast<const char*>(p), n); }
    // Overwrites 8 bytes at `at` (a field reserved earlier).
    void patch_u64(std::size_t at, std::uint64_t v) { std::memcpy(out_.data() + at, &v, sizeof v); }
    void patch_u32(std::size_t at, std::uint32_t v) { std::memcpy(out_.data() + at, &v, sizeof v); }
    std::size_t size() const { return out_.size(); }
    std::string& str() { return out_; }

private:
    std::string out_;
};

// Reads from untrusted bytes: every read is bounds-checked; after the first
// short read ok() is false and every further read yields zeros.
class ByteReader {
public:
    ByteReader(const void* data, std::size_t size) : p_(static_cast<const unsigned char*>(data)), n_(size) {}
    explicit ByteReader(std::string_view s) : ByteReader(s.data(), s.size()) {}
    std::uint8_t u8() { std::uint8_t v = 0; take(&v, 1); return v; }
    std::uint16_t u16() { std::uint16_t v = 0; take(&v, 2); return v; }
    std::uint32_t u32() { std::uint32_t v = 0; take(&v, 4); return v; }
    std::uint64_t u64() { std::uint64_t v = 0; take(&v, 8); return v; }
    std::int64_t i64() { std::int64_t v = 0; take(&v, 8); return v; }
    std::string_view bytes(std::size_t n) {
        if (!ok_ || n > n_ - pos_) { ok_ = false; return {}; }
        std::string_view s(reinterpret_cast<const char*>(p_ + pos_), n);
        pos_ += n;
        return s;
    }
    bool ok() const { return ok_; }
    std::size_t pos() const { return pos_; }
    std::size_t remaining() const { return ok_ ? n_ - pos_ : 0; }
    bool at_end() const { return ok_ && pos_ == n_; }

private:
    void take(void* out, std::size_t n) {
        if (!ok_ || n > n_ - pos_) { ok_ = false; return; }
        std::memcpy(out, p_ + pos_, n);
        pos_ += n;
    }
    const unsigned char* p_;
    std::size_t n_;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

} // namespace mailstore::index::detail
