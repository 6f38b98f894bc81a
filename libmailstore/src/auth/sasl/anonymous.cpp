// ANONYMOUS (RFC 4505): the client sends an optional trace token (an email
// address or 1..255 characters of text, §2) that only identifies it for
// logs; the session logs in as auth_anonymous_username.
#include "auth/sasl/mechanism_base.hpp"

namespace mailstore::auth::sasl {
namespace {

// RFC 4505 §3: trace = email / token, token = 1*255TCHAR (characters, not
// bytes) of UTF-8 without control characters.
bool valid_trace(std::string_view s) {
    std::size_t chars = 0;
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (len == 0 || i + len > s.size())
            return false;
        if (len == 1 && (c < 0x20 || c == 0x7F))
            return false;
        for (std::size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80)
                return false;
        // Overlong forms and surrogates are not UTF-8 (RFC 3629 §4).
        if (len == 2 && c < 0xC2)
            return false;
        if (len == 3) {
            auto c1 = static_cast<unsigned char>(s[i + 1]);
            if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0))
                return false;
        }
        if (len == 4) {
            auto c1 = static_cast<unsigned char>(s[i + 1]);
            if ((c == 0xF0 && c1 < 0x90) || c > 0xF4 || (c == 0xF4 && c1 >= 0x90))
                return false;
        }
        i += len;
        ++chars;
    }
    return chars <= 255;
}

class Anonymous final : public MechanismBase {
public:
    Anonymous(Backend& backend, const MechanismSettings& settings)
        : backend_(backend), user_(settings.anonymous_username.empty() ? "anonymous" : settings.anonymous_username) {}

protected:
    Step next(std::string_view input, bool first, bool has_initial) override {
        if (first && !has_initial)
            return challenge({});
        if (!valid_trace(input))
            return malformed("ANONYMOUS trace is not 0..255 characters of UTF-8 text");
        Verdict v = backend_.login_without_password({}, user_);
        return v == Verdict::ok ? success() : backend_failure(v);
    }

private:
    Backend& backend_;
    std::string user_;
};

} // namespace

std::unique_ptr<Mechanism> make_anonymous(Backend& backend, const MechanismSettings& settings) {
    return std::make_unique<Anonymous>(backend, settings);
}

} // namespace mailstore::auth::sasl
