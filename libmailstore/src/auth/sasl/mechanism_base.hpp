// What every mechanism shares: the input bound, the "one exchange, then
// done" rule, and constructors of the Step values. Each mechanism file
// defines one make_*() below; mechanism_table.cpp maps names to them.
#pragma once

#include "auth/sasl/mechanism.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace mailstore::auth::sasl {

inline Step challenge(std::string data) {
    Step s;
    s.kind = Step::Kind::challenge;
    s.data = std::move(data);
    return s;
}
inline Step success(std::string data = {}) {
    Step s;
    s.kind = Step::Kind::success;
    s.data = std::move(data);
    return s;
}
inline Step failure(Verdict verdict, std::string error, std::string data = {}) {
    Step s;
    s.kind = Step::Kind::failure;
    s.verdict = verdict;
    s.error = std::move(error);
    s.data = std::move(data);
    return s;
}
inline Step malformed(std::string error) { return failure(Verdict::malformed, std::move(error)); }
// A backend verdict other than ok as a failure step.
Step backend_failure(Verdict verdict);

// Enforces the rules every exchange follows, so the mechanisms only see
// well-ordered calls: the first call has `first` set and no later one does;
// nothing is accepted after success or failure; input is bounded by
// max_client_input; an exchange has at most max_steps client messages.
class MechanismBase : public Mechanism {
public:
    Step step(std::string_view input, bool first, bool has_initial) final;

protected:
    // `first` and `has_initial` as in Mechanism::step, already checked.
    virtual Step next(std::string_view input, bool first, bool has_initial) = 0;

private:
    static constexpr unsigned max_steps = 8;
    unsigned calls_ = 0;
    bool finished_ = false;
};

// settings.hostname, else the system host name (challenges, realms).
std::string local_hostname(const MechanismSettings& settings);

std::unique_ptr<Mechanism> make_plain(Backend& backend);
std::unique_ptr<Mechanism> make_login(Backend& backend);
std::unique_ptr<Mechanism> make_cram_md5(Backend& backend, const MechanismSettings& settings);
std::unique_ptr<Mechanism> make_digest_md5(Backend& backend, const MechanismSettings& settings);
enum class ScramHash { sha1, sha256 };
std::unique_ptr<Mechanism> make_scram(Backend& backend, const MechanismSettings& settings, ScramHash hash,
                                      bool plus);
std::unique_ptr<Mechanism> make_external(Backend& backend);
std::unique_ptr<Mechanism> make_anonymous(Backend& backend, const MechanismSettings& settings);
// POP3 APOP (RFC 1939 §7), private: never announced.
std::unique_ptr<Mechanism> make_apop(Backend& backend);

} // namespace mailstore::auth::sasl
