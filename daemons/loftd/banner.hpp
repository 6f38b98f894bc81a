// The one block loftd prints at start: what is listening, what is missing
// and how to connect. It describes the sockets actually bound, never the
// configuration's wishes, so it is truthful about what is served.
#pragma once

#include "builtin_setup.hpp"
#include "listeners.hpp"
#include "service_plan.hpp"

#include <string>
#include <vector>

namespace loftd {

struct ServedService {
    const ServicePlan* plan = nullptr;
    std::vector<loft::BoundListener> sockets;
};

struct BannerInput {
    std::string config_description; // "/etc/loft/loft.conf" or "the built-in default"
    const BuiltinSetup* builtin = nullptr;
    std::vector<ProtocolStatus> protocols;
    std::vector<ServedService> served;
    std::string pid_file;
};

// "127.0.0.1:10143", "[::1]:10143", or a unix socket path.
std::string format_socket(const loft::BoundListener& socket);

std::string banner_text(const BannerInput& input);

} // namespace loftd
