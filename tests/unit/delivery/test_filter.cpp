// DeliveryFilter: what a filter (Sieve, later) sees and each action it may
// return: keep, fileinto (flags, keywords, autocreate), discard, several at
// once, none (implicit keep), and a failing filter (keep, logged).
#include "delivery_fixture.hpp"

#include <mailstore/storage/mailbox.hpp>
#include <mailstore/storage/user.hpp>

#include <sys/stat.h>
#include <unistd.h>

using namespace loft_test;

namespace {

const std::string message = "Subject: filtered\r\nMessage-ID: <f@x>\r\n\r\nbody\r\n";

class TestFilter final : public DeliveryFilter {
public:
    std::vector<Action> actions;
    std::optional<Status> error;
    // What the filter saw.
    std::vector<std::string> seen_recipients;
    std::string seen_from;
    std::string seen_bytes;
    std::uint64_t seen_size = 0;

    Result<std::vector<Action>> filter(const FilterContext& c) override {
        seen_recipients.push_back(c.recipient.address);
        seen_from = c.envelope.mail_from;
        seen_size = c.message_size;
        seen_bytes.assign(c.message_size, '\0');
        if (::pread(c.message_fd, seen_bytes.data(), seen_bytes.size(), 0) != ssize_t(seen_bytes.size()))
            seen_bytes = "(short read)";
        if (error)
            return *error;
        return actions;
    }
};

Action fileinto(const std::string& mailbox, storage::MailFlags flags = 0, std::vector<std::string> keywords = {}) {
    Action a;
    a.kind = Action::Kind::fileinto;
    a.mailbox = mailbox;
    a.flags = flags;
    a.keywords = std::move(keywords);
    return a;
}

Action of_kind(Action::Kind kind) {
    Action a;
    a.kind = kind;
    return a;
}

struct FilterFixture : DeliveryFixture {
    std::shared_ptr<TestFilter> filter = std::make_shared<TestFilter>();
    Recipient alice = recipient("alice@example.com", "alice@example.com");

    std::vector<RecipientResult> run(const std::string& extra = "") {
        auto d = deliverer(extra);
        d.set_filter(filter);
        Spool s = spool(message);
        return d.deliver(test_envelope(), {alice}, s);
    }

    void create(const std::string& name) {
        auto cfg = config();
        auto user = storage::User::open(*cfg, storage::user_settings_from_userdb(alice.user, alice.userdb_fields));
        REQUIRE(user.is_ok());
        REQUIRE(user->create_mailbox(name).is_ok());
    }

    // flags and keywords of the only message of `box`.
    std::pair<std::string, std::vector<std::string>> flags_of(const std::string& box) {
        auto cfg = config();
        auto user = storage::User::open(*cfg, storage::user_settings_from_userdb(alice.user, alice.userdb_fields));
        REQUIRE(user.is_ok());
        auto mb = storage::Mailbox::open(*user, box);
        REQUIRE(mb.is_ok());
        REQUIRE(mb->view().count() == 1);
        return {storage::format_flags(mb->view().flags(1)), mb->view().keywords(1)};
    }
};

} // namespace

TEST_CASE("the filter sees the envelope, the recipient and the message as received") {
    FilterFixture f;
    auto results = f.run();
    CHECK(results[0].outcome == RecipientResult::Outcome::delivered);
    CHECK(f.filter->seen_recipients == std::vector<std::string>{"alice@example.com"});
    CHECK(f.filter->seen_from == "sender@remote.org");
    CHECK(f.filter->seen_size == message.size());
    CHECK(f.filter->seen_bytes == message); // without the added headers
}

TEST_CASE("an empty action list is the implicit keep; keep saves to the default mailbox") {
    FilterFixture f;
    CHECK(f.run()[0].saved_to == std::vector<std::string>{"INBOX"});
    f.filter->actions = {of_kind(Action::Kind::keep)};
    CHECK(f.run()[0].saved_to == std::vector<std::string>{"INBOX"});
    CHECK(f.files("alice@example.com").size() == 2);
}

TEST_CASE("fileinto saves into the mailbox with the action's flags and keywords") {
    FilterFixture f;
    f.create("Work");
    f.filter->actions = {fileinto("Work", storage::flag_seen | storage::flag_flagged, {"$label1", "project"})};
    auto results = f.run();
    CHECK(results[0].saved_to == std::vector<std::string>{"Work"});
    CHECK(f.files("alice@example.com").empty());
    auto files = f.files("alice@example.com", "Work");
    REQUIRE(files.size() == 1);
    CHECK(files[0].parent_path().filename() == "cur");
    auto [flags, keywords] = f.flags_of("Work");
    CHECK(flags == "\\Flagged \\Seen");
    CHECK(keywords == std::vector<std::string>{"$label1", "project"});
    CHECK(f.log_text().find("msgid=<f@x>: saved mail to Work\n") != std::string::npos);
}

TEST_CASE("fileinto a missing mailbox: INBOX, or created with lda_mailbox_autocreate") {
    FilterFixture f;
    f.filter->actions = {fileinto("Nowhere")};
    CHECK(f.run()[0].saved_to == std::vector<std::string>{"INBOX"});
    CHECK(f.run("lda_mailbox_autocreate = yes\n")[0].saved_to == std::vector<std::string>{"Nowhere"});
    CHECK(f.files("alice@example.com", "Nowhere").size() == 1);
    // A nested name is created with its parents.
    f.filter->actions = {fileinto("Lists.Debian")};
    CHECK(f.run("lda_mailbox_autocreate = yes\n")[0].saved_to == std::vector<std::string>{"Lists.Debian"});
    CHECK(f.files("alice@example.com", "Lists.Debian").size() == 1);
}

TEST_CASE("keep and fileinto save two copies, sharing one file; the same mailbox twice saves once") {
    FilterFixture f;
    f.create("Copy");
    f.filter->actions = {of_kind(Action::Kind::keep), fileinto("Copy")};
    auto results = f.run();
    CHECK(results[0].saved_to == std::vector<std::string>{"INBOX", "Copy"});
    auto inbox = f.files("alice@example.com");
    auto copy = f.files("alice@example.com", "Copy");
    REQUIRE(inbox.size() == 1);
    REQUIRE(copy.size() == 1);
    struct stat a {}, b {};
    REQUIRE(::stat(inbox[0].c_str(), &a) == 0);
    REQUIRE(::stat(copy[0].c_str(), &b) == 0);
    CHECK(a.st_ino == b.st_ino);

    f.filter->actions = {of_kind(Action::Kind::keep), fileinto("inbox", storage::flag_seen)};
    CHECK(f.run()[0].saved_to == std::vector<std::string>{"INBOX"});
    CHECK(f.files("alice@example.com").size() == 2);
}

TEST_CASE("discard saves nothing and the recipient still succeeds; discard with keep keeps") {
    FilterFixture f;
    f.filter->actions = {of_kind(Action::Kind::discard)};
    auto results = f.run();
    CHECK(results[0].outcome == RecipientResult::Outcome::delivered);
    CHECK(results[0].smtp_code == 250);
    CHECK(results[0].saved_to.empty());
    CHECK(f.files("alice@example.com").empty());
    CHECK(f.log_text().find("msgid=<f@x>: discarded by the delivery filter\n") != std::string::npos);
    f.filter->actions = {of_kind(Action::Kind::discard), of_kind(Action::Kind::keep)};
    CHECK(f.run()[0].saved_to == std::vector<std::string>{"INBOX"});
}

TEST_CASE("a failing filter falls back to keep, logged") {
    FilterFixture f;
    f.filter->actions = {of_kind(Action::Kind::discard)};
    f.filter->error = Status::io("script.sieve: line 3: runtime error");
    auto results = f.run();
    CHECK(results[0].outcome == RecipientResult::Outcome::delivered);
    CHECK(results[0].saved_to == std::vector<std::string>{"INBOX"});
    CHECK(f.log_text().find("Error: msgid=<f@x>: delivery filter failed: script.sieve: line 3: runtime error "
                            "(falling back to keep)\n") != std::string::npos);
}

TEST_CASE("the filter is asked once per recipient") {
    FilterFixture f;
    auto d = f.deliverer();
    d.set_filter(f.filter);
    Spool s = f.spool(message);
    d.deliver(test_envelope(), {f.alice, f.recipient("bob@example.com", "bob@example.com")}, s);
    CHECK(f.filter->seen_recipients == std::vector<std::string>{"alice@example.com", "bob@example.com"});
}
