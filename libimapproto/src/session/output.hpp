// The session's outgoing byte queue (internal). Small writes are appended to
// an owned buffer; big message bodies are queued as views of the mapped
// message file, kept alive by a reference, so a 50 MB body is never copied
// into the queue. With COMPRESS=DEFLATE on, everything written after
// start_deflate() is compressed as it is queued (views are compressed
// straight from the mapping).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

namespace imapproto::detail {

class Deflater;

class Output {
public:
    Output();
    ~Output();
    Output(const Output&) = delete;
    Output& operator=(const Output&) = delete;

    // Copies `bytes` into the queue.
    void append(std::string_view bytes);
    // Queues `bytes` without copying; `keepalive` keeps the memory valid
    // until it has been sent.
    void append_view(std::string_view bytes, std::shared_ptr<const void> keepalive);

    // Bytes waiting (before compression, for the high-water check).
    std::size_t pending() const;
    bool empty() const;
    // The next bytes to send, and dropping what was sent.
    std::string_view front() const;
    void consume(std::size_t n);

    // Compress everything written from now on (RFC 4978: the first
    // compressed byte follows the tagged OK of COMPRESS).
    void start_deflate();
    bool deflating() const;
    // Flush the compressor (Z_SYNC_FLUSH) so the client can decode
    // everything queued so far; the session calls it before handing
    // output to the daemon.
    void sync_flush();
    // Like sync_flush(), and frees the compressor's memory until the next
    // write (the session calls it when it waits for the client, so an
    // idle compressed connection costs only its inflater).
    void release_compressor();

    // Octets handed to the daemon so far (after compression).
    std::uint64_t bytes_sent() const { return sent_; }
    // A restored hibernated session counts on from its earlier total.
    void set_bytes_sent(std::uint64_t n) { sent_ = n; }

private:
    struct Chunk {
        // bytes: ready to send. raw: to be compressed when it reaches the
        // front (a big body under COMPRESS is compressed a slice at a time
        // as it is sent, never all at once). flush/release: a deflate flush
        // queued behind raw chunks.
        enum class Kind : std::uint8_t { bytes, raw, flush, release };
        Kind kind = Kind::bytes;
        std::string owned;
        std::string_view view;
        std::shared_ptr<const void> keepalive;
        std::size_t offset = 0;
        std::string_view bytes() const;
    };
    void push_owned(std::string_view bytes);
    void push_raw(std::string_view bytes, std::shared_ptr<const void> keepalive);
    void push_marker(Chunk::Kind kind);
    // Compresses queued raw chunks until the front is bytes to send (or the
    // queue is empty). Called from the const accessors: the queue's shape
    // is not part of what the object promises.
    void prepare() const;
    void prepare_mutable();
    std::deque<Chunk> chunks_;
    std::size_t pending_ = 0;
    std::size_t raw_queued_ = 0; // raw and marker chunks in chunks_
    std::uint64_t sent_ = 0;
    std::unique_ptr<Deflater> deflater_;
};

} // namespace imapproto::detail
