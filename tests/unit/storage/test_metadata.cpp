// MetadataStore (RFC 5464 entries in Dovecot's attribute dict file):
// round trips, DEPTH walks, limits, the Dovecot file format both ways,
// concurrent writers (threads and processes) and atomic replacement.
#include <doctest/doctest.h>

#include <mailstore/storage/metadata.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using namespace mailstore::storage;

namespace {

constexpr const char* kInbox = "a8e2c31079a60b6bc13c000083ecc375";
constexpr const char* kOther = "4073980e79a60b6bc13c000083ecc375";

struct TempDir {
    fs::path path;
    TempDir() {
        std::string t = (fs::temp_directory_path() / "loft-metadata-XXXXXX").string();
        REQUIRE(mkdtemp(t.data()) != nullptr);
        path = t;
    }
    ~TempDir() { fs::remove_all(path); }
    std::string file() const { return (path / "dovecot-attributes").string(); }
};

std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

MetadataStore open_store(const TempDir& dir, MetadataLimits limits = {}) {
    auto s = MetadataStore::open_file(dir.file(), kInbox, limits, false);
    REQUIRE(s.is_ok());
    return *s;
}

MetadataRefusal set1(MetadataStore& s, std::string_view guid, std::string name, std::optional<std::string> value) {
    std::vector<MetadataChange> c{{std::move(name), std::move(value)}};
    auto r = s.set(guid, c);
    REQUIRE(r.is_ok());
    return *r;
}

std::optional<std::string> get1(const MetadataStore& s, std::string_view guid, std::string_view name) {
    auto r = s.get(guid, name);
    REQUIRE(r.is_ok());
    return *r;
}

// Written by Dovecot 2.3.19 (SETMETADATA on INBOX, Other and ""; its file
// dict keeps hash order).
std::string dovecot_file() {
    return std::string("shared/") + kOther + "/comment\nab\001ncd\n" +  //
           "priv/" + kInbox + "/vendor/foo/bar\nx\n" +                    //
           "priv/" + kInbox + "/comment\ninbox priv\n" +                  //
           "shared/" + kInbox + "/vendor/vendor.dovecot/pvt/server/foo\nsrv shared\n" +
           "priv/" + kOther + "/comment\nother priv\n" +
           "priv/" + kInbox + "/vendor/vendor.dovecot/pvt/server/comment\nsrv priv\n" +
           "shared/" + kInbox + "/comment\ninbox shared\n" +  //
           "priv/" + kOther + "/x\na\001tb\001r\0011c\\\n";
}

} // namespace

TEST_CASE("metadata: entry names are checked as RFC 5464 §3.2 says") {
    CHECK(validate_metadata_entry_name("/private/comment").is_ok());
    CHECK(validate_metadata_entry_name("/shared/vendor/acme/x-y").is_ok());
    CHECK(validate_metadata_entry_name("/Private/Comment").is_ok());
    CHECK(validate_metadata_entry_name("/private").is_ok());
    CHECK(validate_metadata_entry_name("/foo").message() == "Entry name must begin with /private or /shared");
    CHECK(validate_metadata_entry_name("/privatex").message() == "Entry name must begin with /private or /shared");
    CHECK(validate_metadata_entry_name("private/x").message() == "Entry name must begin with /private or /shared");
    CHECK(validate_metadata_entry_name("/private//x").message() == "Entry name can't contain consecutive '/'");
    CHECK(validate_metadata_entry_name("/private/x/").message() == "Entry name can't end with '/'");
    CHECK(validate_metadata_entry_name("/private/x*").message() == "Entry name can't contain '*'");
    CHECK(validate_metadata_entry_name("/private/x%").message() == "Entry name can't contain '%'");
    CHECK(validate_metadata_entry_name("/private/\xc3\xa9").message() ==
          "Entry name can't contain control or 8bit characters");
    CHECK(validate_metadata_entry_name(std::string("/private/a\0b", 12)).message() ==
          "Entry name can't contain control or 8bit characters");
    CHECK(validate_metadata_entry_name("/private/" + std::string(1100, 'a')).message() == "Entry name too long");
}

TEST_CASE("metadata: set, get, replace and delete; names are case-insensitive") {
    TempDir dir;
    auto s = open_store(dir);
    CHECK_FALSE(get1(s, kInbox, "/private/comment"));
    CHECK(set1(s, kInbox, "/Private/Comment", "My own comment") == MetadataRefusal::none);
    CHECK(get1(s, kInbox, "/private/comment") == "My own comment");
    CHECK(get1(s, kInbox, "/PRIVATE/COMMENT") == "My own comment");
    // Private and shared, and different mailboxes, are different entries.
    CHECK_FALSE(get1(s, kInbox, "/shared/comment"));
    CHECK_FALSE(get1(s, kOther, "/private/comment"));
    CHECK(set1(s, kInbox, "/private/comment", "replaced") == MetadataRefusal::none);
    CHECK(get1(s, kInbox, "/private/comment") == "replaced");
    CHECK(set1(s, kInbox, "/private/empty", "") == MetadataRefusal::none);
    CHECK(get1(s, kInbox, "/private/empty") == "");
    CHECK(set1(s, kInbox, "/private/comment", std::nullopt) == MetadataRefusal::none);
    CHECK_FALSE(get1(s, kInbox, "/private/comment"));
    // Deleting what is not there is not an error.
    CHECK(set1(s, kInbox, "/private/never", std::nullopt) == MetadataRefusal::none);
    CHECK(read(dir.file()) == std::string("priv/") + kInbox + "/empty\n\n");
}

TEST_CASE("metadata: the file is Dovecot's: keys, escapes and server entries under INBOX") {
    TempDir dir;
    auto s = open_store(dir);
    std::vector<MetadataChange> inbox{{"/private/comment", "inbox priv"}, {"/shared/comment", "inbox shared"}};
    REQUIRE(*s.set(kInbox, inbox) == MetadataRefusal::none);
    std::vector<MetadataChange> other{{"/shared/comment", std::string("ab\ncd")},
                                      {"/private/x", std::string("a\tb\r\001c\\")}};
    REQUIRE(*s.set(kOther, other) == MetadataRefusal::none);
    std::vector<MetadataChange> server{{"/private/comment", "srv priv"}};
    REQUIRE(*s.set("", server) == MetadataRefusal::none);
    CHECK(read(dir.file()) == std::string("priv/") + kOther + "/x\na\001tb\001r\0011c\\\n" +  //
                                  "priv/" + kInbox + "/comment\ninbox priv\n" +              //
                                  "priv/" + kInbox + "/vendor/vendor.dovecot/pvt/server/comment\nsrv priv\n" +
                                  "shared/" + kOther + "/comment\nab\001ncd\n" +  //
                                  "shared/" + kInbox + "/comment\ninbox shared\n");
    CHECK(get1(s, kOther, "/private/x") == std::string("a\tb\r\001c\\"));
    CHECK(get1(s, "", "/private/comment") == "srv priv");
    // The server's entries are not INBOX's and the other way round.
    CHECK(get1(s, kInbox, "/private/comment") == "inbox priv");
    CHECK_FALSE(get1(s, "", "/shared/comment"));
    auto tree = s.get_tree(kInbox, "/private", MetadataDepth::infinity);
    REQUIRE(tree.is_ok());
    REQUIRE(tree->size() == 1);
    CHECK((*tree)[0] == MetadataEntry{"/private/comment", "inbox priv"});
}

TEST_CASE("metadata: a file written by Dovecot 2.3 is read as it is, unknown keys are kept") {
    TempDir dir;
    write(dir.file(), dovecot_file() + "other-dict-user/key\nkept\n");
    auto s = open_store(dir);
    CHECK(get1(s, kOther, "/shared/comment") == "ab\ncd");
    CHECK(get1(s, kOther, "/private/comment") == "other priv");
    CHECK(get1(s, kOther, "/private/x") == std::string("a\tb\r\001c\\"));
    CHECK(get1(s, kInbox, "/private/vendor/foo/bar") == "x");
    CHECK(get1(s, "", "/private/comment") == "srv priv");
    CHECK(get1(s, "", "/shared/foo") == "srv shared");
    auto all = s.get_tree(kInbox, "/private", MetadataDepth::infinity);
    REQUIRE(all.is_ok());
    CHECK(*all == std::vector<MetadataEntry>{{"/private/comment", "inbox priv"}, {"/private/vendor/foo/bar", "x"}});
    // A write keeps every key it does not change, the foreign one too.
    CHECK(set1(s, kInbox, "/private/comment", std::nullopt) == MetadataRefusal::none);
    std::string after = read(dir.file());
    CHECK(after.find("other-dict-user/key\nkept\n") != std::string::npos);
    CHECK(after.find("/comment\ninbox priv\n") == std::string::npos);
    CHECK(after.find("priv/" + std::string(kOther) + "/x\na\001tb\001r\0011c\\\n") != std::string::npos);
}

TEST_CASE("metadata: DEPTH 0, 1 and infinity (RFC 5464 §4.2.2)") {
    TempDir dir;
    auto s = open_store(dir);
    std::vector<MetadataChange> c{{"/private/filters/values", "top"},
                                  {"/private/filters/values/small", "SMALLER 5000"},
                                  {"/private/filters/values/boss", "FROM \"boss@example.com\""},
                                  {"/private/filters/values/boss/deep", "grandchild"},
                                  {"/private/filters/valuesx", "sibling"}};
    REQUIRE(*s.set(kInbox, c) == MetadataRefusal::none);
    auto names = [&](MetadataDepth d, std::string_view entry) {
        auto r = s.get_tree(kInbox, entry, d);
        REQUIRE(r.is_ok());
        std::vector<std::string> out;
        for (const auto& e : *r)
            out.push_back(e.name);
        return out;
    };
    using V = std::vector<std::string>;
    CHECK(names(MetadataDepth::zero, "/private/filters/values") == V{"/private/filters/values"});
    CHECK(names(MetadataDepth::one, "/private/filters/values") ==
          V{"/private/filters/values", "/private/filters/values/boss", "/private/filters/values/small"});
    CHECK(names(MetadataDepth::infinity, "/private/filters/values") ==
          V{"/private/filters/values", "/private/filters/values/boss", "/private/filters/values/boss/deep",
            "/private/filters/values/small"});
    CHECK(names(MetadataDepth::one, "/private/filters") == V{"/private/filters/values", "/private/filters/valuesx"});
    CHECK(names(MetadataDepth::one, "/private/filters/values/small/none").empty());
    CHECK(names(MetadataDepth::one, "/private/Filters/Values/Boss") ==
          V{"/private/filters/values/boss", "/private/filters/values/boss/deep"});
    CHECK(names(MetadataDepth::infinity, "/shared").empty());
    CHECK(names(MetadataDepth::zero, "/private").empty());
}

TEST_CASE("metadata: limits refuse growth, all or nothing") {
    TempDir dir;
    MetadataLimits limits;
    limits.max_value_size = 10;
    limits.max_entries = 3;
    limits.max_total_bytes = 400;
    auto s = open_store(dir, limits);
    CHECK(set1(s, kInbox, "/private/a", std::string(10, 'x')) == MetadataRefusal::none);
    CHECK(set1(s, kInbox, "/private/b", std::string(11, 'x')) == MetadataRefusal::too_large);
    CHECK_FALSE(get1(s, kInbox, "/private/b"));
    // Three entries per mailbox: a batch that would make five changes nothing.
    std::vector<MetadataChange> batch{{"/private/b", "1"}, {"/shared/c", "2"}, {"/shared/d", "3"}, {"/shared/e", "4"}};
    CHECK(*s.set(kInbox, batch) == MetadataRefusal::too_many);
    CHECK_FALSE(get1(s, kInbox, "/private/b"));
    CHECK_FALSE(get1(s, kInbox, "/shared/c"));
    // A too-large value anywhere in a batch refuses the whole batch too.
    std::vector<MetadataChange> mixed{{"/private/b", "ok"}, {"/private/c", std::string(11, 'y')}};
    CHECK(*s.set(kInbox, mixed) == MetadataRefusal::too_large);
    CHECK_FALSE(get1(s, kInbox, "/private/b"));
    std::vector<MetadataChange> two{{"/private/b", "1"}, {"/shared/c", "2"}};
    CHECK(*s.set(kInbox, two) == MetadataRefusal::none);
    CHECK(set1(s, kInbox, "/shared/d", "3") == MetadataRefusal::too_many);
    // Replacing and deleting are still allowed at the limit; the limit is
    // per mailbox, so another mailbox and the server have their own.
    CHECK(set1(s, kInbox, "/shared/c", "changed") == MetadataRefusal::none);
    CHECK(set1(s, kOther, "/shared/d", "3") == MetadataRefusal::none);
    CHECK(set1(s, "", "/shared/d", "3") == MetadataRefusal::none);
    CHECK(set1(s, kInbox, "/shared/c", std::nullopt) == MetadataRefusal::none);
    CHECK(set1(s, kInbox, "/shared/d", "3") == MetadataRefusal::none);
    // The user's total: keys and values of the whole file.
    std::string guid(32, '0');
    MetadataRefusal last = MetadataRefusal::none;
    int stored = 0;
    for (int i = 0; i < 20 && last == MetadataRefusal::none; ++i) {
        guid[0] = static_cast<char>('a' + i);
        last = set1(s, guid, "/private/v", std::string(10, 'z'));
        if (last == MetadataRefusal::none)
            ++stored;
    }
    CHECK(last == MetadataRefusal::too_many);
    CHECK(read(dir.file()).size() <= 400 + 2 * 20);
    CHECK(stored > 0);
}

TEST_CASE("metadata: remove_mailbox drops a deleted mailbox's entries only") {
    TempDir dir;
    auto s = open_store(dir);
    set1(s, kOther, "/private/comment", "p");
    set1(s, kOther, "/shared/a/b", "s");
    set1(s, kInbox, "/private/comment", "keep");
    set1(s, "", "/private/comment", "server");
    REQUIRE(s.remove_mailbox(kOther).is_ok());
    CHECK_FALSE(get1(s, kOther, "/private/comment"));
    CHECK_FALSE(get1(s, kOther, "/shared/a/b"));
    CHECK(get1(s, kInbox, "/private/comment") == "keep");
    CHECK(get1(s, "", "/private/comment") == "server");
}

TEST_CASE("metadata: bad names are invalid_argument, nothing is written") {
    TempDir dir;
    auto s = open_store(dir);
    std::vector<MetadataChange> c{{"/private/ok", "1"}, {"/private//bad", "2"}};
    auto r = s.set(kInbox, c);
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == mailstore::Status::Code::invalid_argument);
    std::vector<MetadataChange> scope{{"/private", "x"}};
    CHECK_FALSE(s.set(kInbox, scope).is_ok());
    CHECK_FALSE(fs::exists(dir.file()));
    CHECK_FALSE(s.get(kInbox, "/nope").is_ok());
}

TEST_CASE("metadata: two threads writing at once lose no key") {
    TempDir dir;
    constexpr int kPerWriter = 40;
    auto writer = [&](int id) {
        auto s = MetadataStore::open_file(dir.file(), kInbox, {}, false);
        REQUIRE(s.is_ok());
        for (int i = 0; i < kPerWriter; ++i) {
            std::vector<MetadataChange> c{{"/private/w" + std::to_string(id) + "/k" + std::to_string(i), "v"},
                                          {"/shared/same", "writer " + std::to_string(id)}};
            auto r = s->set(kInbox, c);
            REQUIRE(r.is_ok());
            REQUIRE(*r == MetadataRefusal::none);
        }
    };
    std::thread a(writer, 1), b(writer, 2);
    a.join();
    b.join();
    auto s = open_store(dir);
    auto all = s.get_tree(kInbox, "/private", MetadataDepth::infinity);
    REQUIRE(all.is_ok());
    CHECK(all->size() == 2 * kPerWriter);
    auto same = get1(s, kInbox, "/shared/same");
    CHECK((same == "writer 1" || same == "writer 2"));
    for (const auto& e : fs::directory_iterator(dir.path))
        CHECK(e.path().filename() == "dovecot-attributes"); // no temporary file left
}

TEST_CASE("metadata: two processes writing at once lose no key; readers never see a partial file") {
    TempDir dir;
    constexpr int kPerWriter = 30;
    std::vector<pid_t> children;
    for (int id = 0; id < 2; ++id) {
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            auto s = MetadataStore::open_file(dir.file(), kInbox, {}, false);
            int bad = !s.is_ok();
            for (int i = 0; s.is_ok() && i < kPerWriter; ++i) {
                // Big values, so that a torn write would be visible.
                std::vector<MetadataChange> c{
                    {"/shared/p" + std::to_string(id) + "/k" + std::to_string(i), std::string(4000, 'a' + id)}};
                auto r = s->set(kOther, c);
                bad |= !r.is_ok() || *r != MetadataRefusal::none;
            }
            _exit(bad);
        }
        children.push_back(pid);
    }
    // Meanwhile: every read sees whole entries only.
    std::atomic<bool> torn{false};
    auto reader = MetadataStore::open_file(dir.file(), kInbox, {}, false);
    REQUIRE(reader.is_ok());
    bool done = false;
    while (!done) {
        auto tree = reader->get_tree(kOther, "/shared", MetadataDepth::infinity);
        REQUIRE(tree.is_ok());
        for (const auto& e : *tree)
            if (e.value.size() != 4000)
                torn = true;
        int status = 0;
        done = true;
        for (pid_t pid : children)
            if (waitpid(pid, &status, WNOHANG) == 0)
                done = false;
    }
    for (pid_t pid : children) {
        int status = 0;
        waitpid(pid, &status, 0);
    }
    CHECK_FALSE(torn.load());
    auto all = reader->get_tree(kOther, "/shared", MetadataDepth::infinity);
    REQUIRE(all.is_ok());
    CHECK(all->size() == 2 * kPerWriter);
}

TEST_CASE("metadata: a leftover temporary file or a truncated tail does not break the store") {
    TempDir dir;
    // A crash before the rename leaves only a temporary file; the dict is
    // the old one, whole.
    write(dir.file(), std::string("priv/") + kInbox + "/comment\nold\n");
    write(dir.file() + ".tmp.1.0", "garbage");
    auto s = open_store(dir);
    CHECK(get1(s, kInbox, "/private/comment") == "old");
    CHECK(set1(s, kInbox, "/private/comment", "new") == MetadataRefusal::none);
    CHECK(get1(s, kInbox, "/private/comment") == "new");
    // A key without its value line (someone else's torn write) is ignored.
    write(dir.file(), std::string("priv/") + kInbox + "/comment\nv\npriv/" + kInbox + "/cut");
    CHECK(get1(s, kInbox, "/private/comment") == "v");
    CHECK_FALSE(get1(s, kInbox, "/private/cut"));
}

TEST_CASE("metadata: read_all groups every entry of a Dovecot file by GUID, the server under \"\"") {
    TempDir dir;
    auto s = open_store(dir);
    // No file yet: an empty snapshot of a version that does not exist.
    auto empty = s.read_all();
    REQUIRE(empty.is_ok());
    CHECK(empty->owners.empty());
    CHECK_FALSE(empty->version.exists);
    auto none = s.file_version();
    REQUIRE(none.is_ok());
    CHECK(*none == MetadataFileVersion{});
    // Dovecot's file, plus internal entries (read_all leaves filtering
    // them to the caller), a server key under a GUID that is not INBOX's
    // and keys that are not entries.
    write(dir.file(), dovecot_file() +
                          "priv/" + kInbox + "/vendor/vendor.dovecot/pvt/server/vendor/vendor.loft/urlauth\nk\n" +
                          "priv/" + kOther + "/vendor/vendor.dovecot/pvt/server/stray\nnobody's\n" +
                          "priv/" + kOther + "/vendor/vendor.dovecot/pvt/quota\n1\n" +
                          "priv/4073980E79A60B6BC13C000083ECC375/upper\nnot an entry\n" +
                          "priv/" + kOther + "\nno slash\n" +  //
                          "other-dict-user/key\nkept\n" +
                          "priv/" + kOther + "/cut");
    auto snap = s.read_all();
    REQUIRE(snap.is_ok());
    CHECK(snap->version.exists);
    CHECK(snap->owners.size() == 3);
    // Every list is what get_tree answers for /private then /shared.
    for (const char* guid : {kInbox, kOther, ""}) {
        std::vector<MetadataEntry> tree;
        for (const char* scope : {"/private", "/shared"}) {
            auto t = s.get_tree(guid, scope, MetadataDepth::infinity);
            REQUIRE(t.is_ok());
            tree.insert(tree.end(), t->begin(), t->end());
        }
        CAPTURE(guid);
        CHECK(snap->owners.at(guid) == tree);
    }
    CHECK(snap->owners.at(kInbox) == std::vector<MetadataEntry>{{"/private/comment", "inbox priv"},
                                                                {"/private/vendor/foo/bar", "x"},
                                                                {"/shared/comment", "inbox shared"}});
    CHECK(snap->owners.at(kOther) ==
          std::vector<MetadataEntry>{{"/private/comment", "other priv"},
                                     {"/private/vendor/vendor.dovecot/pvt/quota", "1"},
                                     {"/private/x", std::string("a\tb\r\001c\\")},
                                     {"/shared/comment", "ab\ncd"}});
    CHECK(snap->owners.at("") == std::vector<MetadataEntry>{{"/private/comment", "srv priv"},
                                                            {"/private/vendor/vendor.loft/urlauth", "k"},
                                                            {"/shared/foo", "srv shared"}});
    auto v = s.file_version();
    REQUIRE(v.is_ok());
    CHECK(*v == snap->version);
    CHECK(v->size == fs::file_size(dir.file()));
}

TEST_CASE("metadata: file_version changes with every write and not without one") {
    TempDir dir;
    auto s = open_store(dir);
    CHECK(set1(s, kInbox, "/private/a", "1") == MetadataRefusal::none);
    auto v1 = s.file_version();
    REQUIRE(v1.is_ok());
    CHECK(v1->exists);
    // Reads change nothing.
    CHECK(get1(s, kInbox, "/private/a") == "1");
    REQUIRE(s.read_all().is_ok());
    CHECK(*s.file_version() == *v1);
    // A write of the same size replaces the file: a new inode, so a
    // different version even within one timestamp tick.
    CHECK(set1(s, kInbox, "/private/a", "2") == MetadataRefusal::none);
    auto v2 = s.file_version();
    REQUIRE(v2.is_ok());
    CHECK(v2->size == v1->size);
    CHECK(*v2 != *v1);
    auto snap = s.read_all();
    REQUIRE(snap.is_ok());
    CHECK(snap->version == *v2);
    CHECK(snap->owners.at(kInbox) == std::vector<MetadataEntry>{{"/private/a", "2"}});
    // A write that changes nothing does not touch the file.
    CHECK(set1(s, kInbox, "/private/a", "2") == MetadataRefusal::none);
    CHECK(*s.file_version() == *v2);
    // Deleting the last entry leaves an empty file: no owners.
    CHECK(set1(s, kInbox, "/private/a", std::nullopt) == MetadataRefusal::none);
    auto last = s.read_all();
    REQUIRE(last.is_ok());
    CHECK(last->version.exists);
    CHECK(last->owners.empty());
}

TEST_CASE("metadata: read_all errors: server entries without an INBOX GUID, a file too large") {
    TempDir dir;
    write(dir.file(), std::string("priv/") + kOther + "/comment\nc\npriv/" + kInbox +
                          "/vendor/vendor.dovecot/pvt/server/comment\ns\n");
    auto no_inbox = MetadataStore::open_file(dir.file(), "", {}, false);
    REQUIRE(no_inbox.is_ok());
    auto r = no_inbox->read_all();
    CHECK(r.status().code() == mailstore::Status::Code::internal);
    // Without server entries the INBOX GUID is not needed.
    write(dir.file(), std::string("priv/") + kOther + "/comment\nc\n");
    auto ok = no_inbox->read_all();
    REQUIRE(ok.is_ok());
    CHECK(ok->owners.at(kOther) == std::vector<MetadataEntry>{{"/private/comment", "c"}});
    // Beyond 64 MiB the file is refused, not read into memory (sparse).
    REQUIRE(truncate(dir.file().c_str(), 64ll * 1024 * 1024 + 1) == 0);
    auto big = no_inbox->read_all();
    CHECK(big.status().code() == mailstore::Status::Code::invalid_argument);
    auto v = no_inbox->file_version();
    REQUIRE(v.is_ok());
    CHECK(v->size == 64ull * 1024 * 1024 + 1);
    // Unreadable (a directory where the file should be): io_error, and
    // file_version still answers.
    fs::remove(dir.file());
    fs::create_directory(dir.file());
    auto dir_read = no_inbox->read_all();
    CHECK_FALSE(dir_read.is_ok());
}
