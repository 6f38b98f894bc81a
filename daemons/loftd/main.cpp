// loftd: reads the configuration, binds the listeners, starts and supervises
// the protocol daemons. See docs/loftd.md.
#include "config_source.hpp"
#include "control.hpp"
#include "master.hpp"
#include "process.hpp"

#include <loft_build_config.hpp>

#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <optional>
#include <sys/stat.h>
#include <string>

int main(int argc, char** argv) {
    // Started with a closed stdin/stdout/stderr (some service managers do),
    // the next file opened would become fd 0-2 and receive stray output.
    for (int fd = 0; fd <= 2; ++fd)
        if (fcntl(fd, F_GETFD) < 0)
            open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    // The modes loftd asks for (base_dir 0755, certificate 0644, ...) must
    // not depend on the umask of whoever started it: with 077 the workers
    // could not even enter base_dir. Files that must stay private are
    // created 0600 explicitly.
    umask(022);
    CLI::App app{"loftd: starts and supervises Loft's mail services (IMAP, POP3, LMTP, ManageSieve, auth)",
                 "loftd"};
    app.fallthrough();
    std::optional<std::string> config_path;
    app.add_option("-c,--config", config_path,
                   "Config file (default: $LOFT_CONFIG, else " LOFT_SYSCONFDIR "/loft.conf if it exists, "
                   "else the built-in default)");
    bool foreground = true;
    app.add_flag("-F,--foreground", foreground, "Run in the foreground (always the case; accepted for Dovecot habit)");
    app.set_version_flag("--version", "loftd " LOFT_VERSION);
    auto* stop = app.add_subcommand("stop", "Stop the running loftd (found through its pid file) and wait for it");
    auto* reload = app.add_subcommand("reload", "Make the running loftd re-read its configuration (SIGHUP)");
    app.require_subcommand(0, 1);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version end here too, with 0; usage errors get
        // EX_USAGE instead of CLI11's own numbering.
        return app.exit(e) == 0 ? 0 : 64;
    }

    auto source = loftd::ConfigSource::resolve(config_path);
    if (*stop)
        return loftd::stop_running_instance(source);
    if (*reload)
        return loftd::reload_running_instance(source);
    return loftd::run_master(source, loft::self_executable());
}
