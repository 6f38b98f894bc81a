// A service worker's command line (worker_args.hpp), with CLI11 as loftd,
// loftadm and loftconf use it.
#include "worker_args.hpp"

#include <loft_build_config.hpp>

#include <CLI/CLI.hpp>

namespace loft {

std::optional<int> parse_worker_args(int argc, char** argv, std::string_view program, std::string_view summary,
                                     WorkerArgs& args) {
    CLI::App app{std::string(summary), std::string(program)};
    app.add_option("-c,--config", args.config_path, "The configuration file")->required();
    app.add_option("--service", args.service, "The service whose listeners to serve")->capture_default_str();
    auto* threads = app.add_option("--threads", args.threads, args.threads_help);
    threads->check(CLI::Range(std::size_t{1}, kMaxWorkerThreads));
    if (args.threads != 0)
        threads->capture_default_str();
    app.set_version_flag("--version", std::string(program) + " " LOFT_VERSION);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version end here with 0 (stdout); a bad command line
        // gets the reason and the usage on stderr, and exit status 1 as
        // the man pages say.
        return app.exit(e) == 0 ? 0 : 1;
    }
    return std::nullopt;
}

} // namespace loft
