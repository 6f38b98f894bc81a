// Helpers of the delivery unit tests: a configuration whose users live in a
// temporary directory, recipients as the userdb would give them, spools
// made from strings, and the files of a Maildir folder.
#pragma once

#include "../test_support.hpp"

#include <mailstore/config.hpp>
#include <mailstore/delivery.hpp>
#include <mailstore/log.hpp>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <regex>
#include <string>
#include <vector>

using namespace std::string_literals;

namespace loft_test {

using namespace mailstore;
using namespace mailstore::delivery;

struct DeliveryFixture {
    TempDir dir{"loft-delivery"};
    std::string log_file = (dir.path / "delivery.log").string();

    DeliveryFixture() {
        auto st = log::configure(log::LogSettings().set_log_path(log_file).set_log_timestamp(""));
        REQUIRE_MESSAGE(st.is_ok(), st.message());
    }
    ~DeliveryFixture() { (void)log::configure(log::LogSettings()); }

    std::shared_ptr<const config::Config> config(const std::string& extra = "") const {
        auto loaded = config::Config::load_string("mail_location = maildir:~/Maildir\nhostname = mx.example.net\n" +
                                                  extra);
        REQUIRE_MESSAGE(loaded.is_ok(), loaded.status().message());
        return std::make_shared<const config::Config>(std::move(loaded.value()));
    }

    Deliverer deliverer(const std::string& extra = "", const std::string& service = "lmtp") const {
        auto made = Deliverer::create(config(extra), service, log::Logger(service));
        REQUIRE_MESSAGE(made.is_ok(), made.status().message());
        return std::move(made.value());
    }

    std::string home(const std::string& user) const { return (dir.path / "home" / user).string(); }

    Recipient recipient(const std::string& address, const std::string& user) const {
        Recipient r;
        r.address = address;
        r.user = user;
        r.userdb_fields.set("home", home(user));
        return r;
    }

    Spool spool(std::string_view bytes) const {
        auto made = Spool::create(dir.str());
        REQUIRE_MESSAGE(made.is_ok(), made.status().message());
        REQUIRE(made->append(bytes).is_ok());
        REQUIRE(made->finish().is_ok());
        return std::move(made.value());
    }

    // The files of `folder` ("" = INBOX, else the Maildir++ ".Name") in new/
    // and cur/, sorted by name.
    std::vector<std::filesystem::path> files(const std::string& user, const std::string& folder = "") const {
        std::vector<std::filesystem::path> out;
        std::filesystem::path base = std::filesystem::path(home(user)) / "Maildir";
        if (!folder.empty())
            base /= "." + folder;
        for (const char* sub : {"new", "cur"}) {
            std::error_code ec;
            for (const auto& e : std::filesystem::directory_iterator(base / sub, ec))
                out.push_back(e.path());
        }
        std::sort(out.begin(), out.end());
        return out;
    }

    std::string log_text() const {
        log::flush();
        return slurp(log_file);
    }
};

inline Envelope test_envelope() {
    Envelope e;
    e.mail_from = "sender@remote.org";
    e.helo = "client.example.org";
    e.remote_ip = "127.0.0.1";
    e.session_id = "0S7/CULVC2vyMAAAg+zDdQ";
    return e;
}

// The file's bytes with the Received date replaced by "DATE", so that the
// rest can be compared exactly.
inline std::string without_date(const std::string& text) {
    static const std::regex date("; [A-Z][a-z]{2}, [0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [-+][0-9]{4}\n");
    return std::regex_replace(text, date, "; DATE\n", std::regex_constants::format_first_only);
}

} // namespace loft_test
