#include "auth/password/cram_md5.hpp"

#include "auth/crypto.hpp"
#include "auth/password/md5_state.hpp"

namespace mailstore::auth::password {

namespace {

// The MD5 state after one block of key XOR `pad` (RFC 2104 §2 steps 1-3).
std::array<std::uint32_t, 4> padded_key_state(std::string_view key, unsigned char pad) {
    std::string block(64, static_cast<char>(pad));
    for (std::size_t i = 0; i < key.size(); ++i)
        block[i] = static_cast<char>(static_cast<unsigned char>(key[i]) ^ pad);
    Md5State s;
    s.update(block);
    return s.words();
}

void put_words(std::string& out, const std::array<std::uint32_t, 4>& w) {
    for (std::uint32_t word : w)
        for (int i = 0; i < 4; ++i)
            out.push_back(static_cast<char>(word >> (8 * i)));
}

std::array<std::uint32_t, 4> get_words(std::string_view in) {
    std::array<std::uint32_t, 4> w{};
    for (std::size_t k = 0; k < 4; ++k)
        for (std::size_t i = 0; i < 4; ++i)
            w[k] |= std::uint32_t(static_cast<unsigned char>(in[k * 4 + i])) << (8 * i);
    return w;
}

} // namespace

std::string cram_md5_context(std::string_view password) {
    std::string hashed_key;
    if (password.size() > 64) { // RFC 2104 §2: keys longer than B are hashed first
        hashed_key = crypto::md5(password);
        password = hashed_key;
    }
    std::string out;
    out.reserve(32);
    put_words(out, padded_key_state(password, 0x5c)); // outer first, as Dovecot stores it
    put_words(out, padded_key_state(password, 0x36));
    return out;
}

std::string hmac_md5_from_context(std::string_view context32, std::string_view data) {
    if (context32.size() != 32)
        return {};
    Md5State inner(get_words(context32.substr(16, 16)), 64);
    inner.update(data);
    Md5State outer(get_words(context32.substr(0, 16)), 64);
    outer.update(inner.finish());
    return outer.finish();
}

} // namespace mailstore::auth::password
