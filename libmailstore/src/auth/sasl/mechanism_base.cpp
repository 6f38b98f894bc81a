#include "auth/sasl/mechanism_base.hpp"

namespace mailstore::auth::sasl {

Step backend_failure(Verdict verdict) {
    switch (verdict) {
    case Verdict::ok:
        break;
    case Verdict::mismatch:
        return failure(verdict, "password mismatch");
    case Verdict::unknown_user:
        return failure(verdict, "unknown user");
    case Verdict::temp_fail:
        return failure(verdict, "temporary failure of the password database");
    case Verdict::unusable:
        return failure(verdict, "the stored password scheme cannot be used with this mechanism");
    case Verdict::refused:
        return failure(verdict, "login refused");
    case Verdict::malformed:
        return failure(verdict, "malformed request");
    }
    return failure(Verdict::temp_fail, "backend returned ok as a failure");
}

Step MechanismBase::step(std::string_view input, bool first, bool has_initial) {
    if (finished_)
        return malformed("exchange already finished");
    if (first != (calls_ == 0)) {
        finished_ = true;
        return malformed(first ? "exchange already started" : "exchange not started");
    }
    if (++calls_ > max_steps) {
        finished_ = true;
        return malformed("too many steps");
    }
    if (input.size() > max_client_input) {
        finished_ = true;
        return malformed("client message too long");
    }
    Step s = next(input, first, first && has_initial);
    if (s.kind != Step::Kind::challenge)
        finished_ = true;
    return s;
}

} // namespace mailstore::auth::sasl
