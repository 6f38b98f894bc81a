// Storage conformance suite: behaviour every driver must show through the
// public API, for every location in conformance_locations().
#include "conformance.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

using namespace loft_test;

TEST_CASE("an empty INBOX opens with a UIDVALIDITY, UIDNEXT 1 and a GUID") {
    for_each_location([](StorageFixture& f) {
        auto inbox = f.open();
        const View& v = inbox.view();
        CHECK(v.count() == 0);
        CHECK(v.uidvalidity() != 0);
        CHECK(v.uidnext() == 1);
        CHECK(v.recent_count() == 0);
        CHECK(v.first_unseen() == 0);
        CHECK(v.uid(1) == 0);
        CHECK(v.seq(1) == 0);
        CHECK(v.seq_range(1, 0xffffffffU) == std::pair<Seq, Seq>{0, 0});
        CHECK(inbox.guid().size() == 32);
        CHECK(inbox.guid().find_first_not_of("0123456789abcdef") == std::string::npos);
        CHECK(inbox.name() == "INBOX");
        auto st = inbox.status();
        CHECK(st.messages == 0);
        CHECK(st.uidnext == 1);
        CHECK(st.uidvalidity == v.uidvalidity());
        auto synced = inbox.sync();
        REQUIRE(synced.is_ok());
        CHECK(synced->expunged.empty());
        CHECK(synced->changed.empty());
        CHECK(synced->count == 0);
        // The same UIDVALIDITY when opened again.
        auto again = f.open();
        CHECK(again.view().uidvalidity() == v.uidvalidity());
        CHECK(again.guid() == inbox.guid());
    });
}

TEST_CASE("a missing mailbox is not_found; a created one opens empty") {
    for_each_location([](StorageFixture& f) {
        auto missing = Mailbox::open(*f.user, "Nope");
        REQUIRE_FALSE(missing.is_ok());
        CHECK(missing.status().code() == Status::Code::not_found);
        REQUIRE(f.user->create_mailbox("Work").is_ok());
        auto work = f.open("Work");
        CHECK(work.view().count() == 0);
        CHECK(work.name() == "Work");
        auto inbox = f.open();
        CHECK(work.guid() != inbox.guid());
    });
}

TEST_CASE("a \\Noselect parent cannot be opened") {
    StorageFixture f("maildir:%T/Maildir:LAYOUT=fs");
    REQUIRE(f.user->create_mailbox("a/b").is_ok());
    auto child = f.open("a/b");
    CHECK(child.view().count() == 0);
    auto parent = Mailbox::open(*f.user, "a");
    REQUIRE_FALSE(parent.is_ok());
    CHECK(parent.status().code() == Status::Code::invalid_argument);
    CHECK(parent.status().message().find("Noselect") != std::string::npos);
}

TEST_CASE("save with flags, keywords and internal date gives APPENDUID UIDs and the same bytes back") {
    for_each_location([](StorageFixture& f) {
        auto inbox = f.open();
        std::string lf = test_message(1);
        std::string crlf = test_message(2, "\r\n");
        auto a = message_request(lf, flag_seen | flag_flagged, {"$Important", "work"});
        a.internal_date = 1700000000;
        auto b = message_request(crlf);
        b.internal_date = 1600000000;
        auto t = inbox.begin();
        REQUIRE(t.save(a).is_ok());
        REQUIRE(t.save(b).is_ok());
        auto done = t.commit();
        REQUIRE_MESSAGE(done.is_ok(), done.status().message());
        REQUIRE(done->saved.size() == 2);
        CHECK(done->saved[0] == 1);
        CHECK(done->saved[1] == 2);
        CHECK(done->uidvalidity == inbox.view().uidvalidity());
        CHECK(done->modseq > 0);

        // Not visible before this session syncs.
        CHECK(inbox.view().count() == 0);
        auto synced = inbox.sync();
        REQUIRE(synced.is_ok());
        CHECK(synced->old_count == 0);
        CHECK(synced->count == 2);
        const View& v = inbox.view();
        REQUIRE(v.count() == 2);
        CHECK(v.uid(1) == 1);
        CHECK(v.uid(2) == 2);
        CHECK(v.uidnext() == 3);
        CHECK(v.flags(1) == (flag_seen | flag_flagged));
        CHECK(v.flags(2) == 0);
        auto kw = v.keywords(1);
        std::sort(kw.begin(), kw.end());
        CHECK(kw == std::vector<std::string>{"$Important", "work"});
        CHECK(v.keywords(2).empty());
        CHECK(v.first_unseen() == 2);
        CHECK(v.unseen_count() == 1);

        auto m1 = inbox.message(1);
        CHECK(m1.uid() == 1);
        CHECK(m1.internal_date().value() == 1700000000);
        CHECK(inbox.message(2).internal_date().value() == 1600000000);
        auto d1 = m1.open();
        REQUIRE(d1.is_ok());
        CHECK(d1->bytes() == lf);
        CHECK(d1->header() == "From: a@example.org\nSubject: message 1\n\n");
        CHECK(d1->body() == "Body 1\n");
        // mail_save_crlf = no (the default): stored with LF line ends, as
        // Dovecot does.
        auto d2 = inbox.message(2).open();
        REQUIRE(d2.is_ok());
        CHECK(d2->bytes() == test_message(2));
        CHECK(d2->header() == "From: a@example.org\nSubject: message 2\n\n");
        CHECK(d2->body() == "Body 2\n");
        // RFC822.SIZE counts CRLF line ends.
        CHECK(m1.virtual_size().value() == lf.size() + 4);
        CHECK(m1.physical_size().value() == lf.size());
        CHECK(inbox.message(2).virtual_size().value() == crlf.size());
        CHECK(inbox.message(2).physical_size().value() == lf.size());
        auto g1 = m1.guid();
        REQUIRE(g1.is_ok());
        CHECK_FALSE(g1->empty());
        CHECK(inbox.message(2).guid().value() != *g1);
        auto by_uid = inbox.message_by_uid(2);
        REQUIRE(by_uid.is_ok());
        CHECK(by_uid->seq() == 2);
        CHECK(inbox.message_by_uid(9).status().code() == Status::Code::not_found);
    });
}

TEST_CASE("mail_save_crlf = yes stores CRLF line ends") {
    for_each_location(
        [](StorageFixture& f) {
            auto inbox = f.open();
            save_all(inbox, {message_request(test_message(1)), message_request(test_message(2, "\r\n"))});
            REQUIRE(inbox.sync().is_ok());
            for (Seq seq : {1u, 2u}) {
                auto data = inbox.message(seq).open();
                REQUIRE(data.is_ok());
                CHECK(data->bytes() == test_message(int(seq), "\r\n"));
                CHECK(data->header() == "From: a@example.org\r\nSubject: message " + std::to_string(seq) + "\r\n\r\n");
                CHECK(inbox.message(seq).virtual_size().value() == test_message(int(seq), "\r\n").size());
            }
        },
        "mail_save_crlf = yes\n");
}

TEST_CASE("bad saves are refused: empty message, bad keywords") {
    for_each_location([](StorageFixture& f) {
        auto inbox = f.open();
        auto t = inbox.begin();
        CHECK(t.save(message_request("")).code() == Status::Code::invalid_argument);
        for (const std::string& bad : std::vector<std::string>{"", "with space", "paren(", "quote\"", "star*", "brace{", "\\Seen", "caf\xc3\xa9",
                                std::string(51, 'k')}) {
            CAPTURE(bad);
            CHECK(t.save(message_request(test_message(1), 0, {bad})).code() == Status::Code::invalid_argument);
        }
        CHECK(t.save(message_request(test_message(1), 0, {std::string(50, 'k')})).is_ok());
        auto done = t.commit();
        REQUIRE(done.is_ok());
        CHECK(done->saved == std::vector<Uid>{1});
    });
}

TEST_CASE("a rolled-back transaction leaves nothing") {
    for_each_location([](StorageFixture& f) {
        auto inbox = f.open();
        {
            auto t = inbox.begin();
            REQUIRE(t.save(message_request(test_message(1))).is_ok());
        } // destructor rolls back
        auto t = inbox.begin();
        REQUIRE(t.save(message_request(test_message(2))).is_ok());
        t.rollback();
        REQUIRE(t.commit().is_ok());
        REQUIRE(inbox.sync().is_ok());
        CHECK(inbox.view().count() == 0);
        CHECK(inbox.view().uidnext() == 1);
    });
}

TEST_CASE("two sessions see each other's changes only at sync") {
    for_each_location([](StorageFixture& f) {
        auto a = f.open();
        auto b = f.open();
        save_all(a, {message_request(test_message(1)), message_request(test_message(2)),
                     message_request(test_message(3)), message_request(test_message(4))});
        CHECK(b.view().count() == 0);
        auto s = b.sync();
        REQUIRE(s.is_ok());
        CHECK(s->count == 4);
        REQUIRE(a.sync().is_ok());

        // a flags 2 and expunges 1 and 3.
        auto t = a.begin();
        REQUIRE(t.update_flags(UidSet::parse("2").value(), {FlagUpdate::Mode::add, flag_seen, {"done"}, {}}).is_ok());
        REQUIRE(t.expunge(UidSet::parse("1,3").value()).is_ok());
        auto done = t.commit();
        REQUIRE(done.is_ok());
        CHECK(done->expunged.to_string() == "1,3");
        CHECK(b.view().count() == 4);
        CHECK(b.view().flags(2) == 0);
        s = b.sync();
        REQUIRE(s.is_ok());
        // Sequence numbers as EXPUNGE responses send them, one after the other.
        std::vector<Seq> seqs = s->expunged;
        CHECK(seqs == std::vector<Seq>{3, 1});
        CHECK(s->expunged_uids.to_string() == "1,3");
        CHECK(s->changed == std::vector<Uid>{2});
        CHECK(s->keywords_changed);
        CHECK(s->old_count == 4);
        CHECK(s->count == 2);
        CHECK(b.view().uid(1) == 2);
        CHECK(b.view().uid(2) == 4);
        CHECK(b.view().flags(1) == flag_seen);
        CHECK(b.view().keywords(1) == std::vector<std::string>{"done"});
        CHECK(b.view().modseq(1) == done->modseq);
        CHECK(b.view().highest_modseq() >= done->modseq);
        // Nothing more to report.
        s = b.sync();
        REQUIRE(s.is_ok());
        CHECK(s->expunged.empty());
        CHECK(s->changed.empty());
        CHECK_FALSE(s->keywords_changed);
    });
}

TEST_CASE("sync_no_expunges keeps expunged messages until a later sync") {
    for_each_location([](StorageFixture& f) {
        auto a = f.open();
        auto b = f.open();
        save_all(a, {message_request(test_message(1)), message_request(test_message(2), flag_answered),
                     message_request(test_message(3))});
        REQUIRE(b.sync().is_ok());
        auto t = a.begin();
        REQUIRE(t.expunge(UidSet::parse("2").value()).is_ok());
        REQUIRE(t.commit().is_ok());
        save_all(a, {message_request(test_message(4))});

        auto s = b.sync(sync_no_expunges);
        REQUIRE(s.is_ok());
        CHECK(s->expunged.empty());
        CHECK(s->count == 4); // the new message shows, the expunged one stays
        const View& v = b.view();
        CHECK(v.uid(2) == 2);
        CHECK(v.uid(4) == 4);
        CHECK(v.seq(3) == 3);
        CHECK(v.flags(2) == flag_answered);
        CHECK(b.message(2).expunged());
        CHECK_FALSE(b.message(1).expunged());
        CHECK(v.seq_range(2, 3) == std::pair<Seq, Seq>{2, 3});

        s = b.sync();
        REQUIRE(s.is_ok());
        CHECK(s->expunged == std::vector<Seq>{2});
        CHECK(s->expunged_uids.to_string() == "2");
        CHECK(s->count == 3);
        CHECK(b.view().uid(2) == 3);
        CHECK_FALSE(b.message(2).expunged());
    });
}

TEST_CASE("\\Recent belongs to one session; read-only sessions never claim it") {
    for_each_location([](StorageFixture& f) {
        auto writer = f.open();
        save_all(writer, {message_request(test_message(1)), message_request(test_message(2))});
        // Nobody has claimed them yet: a read-only open shows them as
        // \Recent without claiming them (Dovecot 2.3: EXAMINE "* 2 RECENT",
        // STATUS RECENT 2; RFC 3501 2.3.2).
        CHECK(f.user->status("INBOX", status_recent)->recent == 2);
        auto examine = f.open("INBOX", OpenOptions{true, true});
        CHECK(examine.view().count() == 2);
        CHECK(examine.view().recent_count() == 2);
        CHECK(examine.view().recent(1));
        CHECK(examine.status(status_recent).recent == 2);
        auto peek = f.open("INBOX", OpenOptions{false, false});
        CHECK(peek.view().recent_count() == 2);
        auto first = f.open();
        CHECK(first.view().recent_count() == 2);
        CHECK(first.view().recent(1));
        CHECK(first.message(2).recent());
        auto second = f.open();
        CHECK(second.view().count() == 2);
        CHECK(second.view().recent_count() == 0);
        CHECK_FALSE(second.view().recent(1));
        // New mail goes to whichever syncs first.
        save_all(writer, {message_request(test_message(3))});
        auto s = second.sync();
        REQUIRE(s.is_ok());
        CHECK(s->recent == 1);
        CHECK(second.view().recent(3));
        s = first.sync();
        REQUIRE(s.is_ok());
        CHECK(s->recent == 2);
        CHECK_FALSE(first.view().recent(3));
        CHECK(first.status(status_recent).recent == 2);
        // Every message is claimed now: STATUS and a new EXAMINE count none,
        // though the sessions that claimed them still do.
        CHECK(f.user->status("INBOX", status_recent)->recent == 0);
        CHECK(f.open("INBOX", OpenOptions{true, true}).view().recent_count() == 0);
        // What the earlier read-only session saw stays \Recent for it.
        REQUIRE(examine.sync().is_ok());
        CHECK(examine.view().recent_count() == 2);
        CHECK_FALSE(examine.view().recent(3));
    });
}

TEST_CASE("a read-only mailbox refuses changes") {
    for_each_location([](StorageFixture& f) {
        auto writer = f.open();
        save_all(writer, {message_request(test_message(1))});
        auto ro = f.open("INBOX", OpenOptions{true, true});
        CHECK(ro.read_only());
        auto t = ro.begin();
        CHECK(t.save(message_request(test_message(2))).code() == Status::Code::permission_denied);
        CHECK(t.update_flags(UidSet::parse("1").value(), {FlagUpdate::Mode::add, flag_seen, {}, {}}).code() ==
              Status::Code::permission_denied);
        CHECK(t.expunge(UidSet::parse("1").value()).code() == Status::Code::permission_denied);
        REQUIRE(writer.sync().is_ok());
        CHECK(writer.view().count() == 1);
        CHECK(writer.view().flags(1) == 0);
    });
}

TEST_CASE("flag modes, UNCHANGEDSINCE and MODIFIED, no new modseq for no change") {
    for_each_location([](StorageFixture& f) {
        auto inbox = f.open();
        save_all(inbox, {message_request(test_message(1), flag_seen, {"a"}), message_request(test_message(2)),
                         message_request(test_message(3), flag_draft)});
        REQUIRE(inbox.sync().is_ok());
        const View& v = inbox.view();
        ModSeq m2 = v.modseq(2);
        auto apply = [&](const std::string& uids, FlagUpdate u) {
            auto t = inbox.begin();
            REQUIRE(t.update_flags(UidSet::parse(uids).value(), u).is_ok());
            auto done = t.commit();
            REQUIRE_MESSAGE(done.is_ok(), done.status().message());
            REQUIRE(inbox.sync().is_ok());
            return std::move(done.value());
        };
        apply("1:3", {FlagUpdate::Mode::add, flag_answered, {"b"}, {}});
        CHECK(v.flags(1) == (flag_seen | flag_answered));
        CHECK(v.flags(2) == flag_answered);
        CHECK(v.keywords(2) == std::vector<std::string>{"b"});
        CHECK(v.modseq(2) > m2);
        apply("1", {FlagUpdate::Mode::remove, flag_seen, {"a"}, {}});
        CHECK(v.flags(1) == flag_answered);
        CHECK(v.keywords(1) == std::vector<std::string>{"b"});
        apply("3", {FlagUpdate::Mode::replace, flag_deleted, {}, {}});
        CHECK(v.flags(3) == flag_deleted);
        CHECK(v.keywords(3).empty());
        CHECK(inbox.status(status_deleted).deleted == 1);

        // Setting what is already set changes nothing and gets no modseq.
        ModSeq before = v.modseq(2);
        ModSeq highest = v.highest_modseq();
        auto same = apply("2", {FlagUpdate::Mode::add, flag_answered, {"b"}, {}});
        CHECK(same.modseq == 0);
        CHECK(v.modseq(2) == before);
        CHECK(v.highest_modseq() == highest);
        // ... and with UNCHANGEDSINCE it still succeeds (RFC 7162 3.2).
        auto same_cond = apply("2", {FlagUpdate::Mode::add, flag_answered, {}, before});
        CHECK(same_cond.modified.empty());

        // UNCHANGEDSINCE below a message's modseq: left alone, reported.
        ModSeq m1 = v.modseq(1);
        auto cond = apply("1:2", {FlagUpdate::Mode::add, flag_flagged, {}, m1 - 1});
        CHECK(cond.modified.contains(1));
        CHECK((v.flags(1) & flag_flagged) == 0);
        auto ok = apply("1", {FlagUpdate::Mode::add, flag_flagged, {}, m1});
        CHECK(ok.modified.empty());
        CHECK((v.flags(1) & flag_flagged) != 0);
        // Removing a keyword nobody has never creates it.
        auto names = v.keyword_names().size();
        apply("1", {FlagUpdate::Mode::remove, 0, {"never-used"}, {}});
        CHECK(v.keyword_names().size() == names);
        // Keywords compare case-insensitively.
        apply("1", {FlagUpdate::Mode::add, 0, {"B"}, {}});
        CHECK(v.keywords(1) == std::vector<std::string>{"b"});
    });
}

TEST_CASE("expunge, expunged_since and UIDs never reused after reopen") {
    for_each_location([](StorageFixture& f) {
        ModSeq before = 0;
        {
            auto inbox = f.open();
            save_all(inbox, {message_request(test_message(1)), message_request(test_message(2)),
                             message_request(test_message(3))});
            REQUIRE(inbox.sync().is_ok());
            before = inbox.view().highest_modseq();
            auto t = inbox.begin();
            REQUIRE(t.expunge(UidSet::parse("2:3,7").value()).is_ok());
            auto done = t.commit();
            REQUIRE(done.is_ok());
            CHECK(done->expunged.to_string() == "2:3");
            auto s = inbox.sync();
            REQUIRE(s.is_ok());
            CHECK(s->expunged == std::vector<Seq>{3, 2});
            auto gone = inbox.expunged_since(before);
            REQUIRE(gone.is_ok());
            CHECK(gone->to_string() == "2:3");
            UidSet within = UidSet::parse("3:10").value();
            CHECK(inbox.expunged_since(before, &within)->to_string() == "3");
            CHECK(inbox.expunged_since(inbox.view().highest_modseq())->empty());
        }
        auto inbox = f.open();
        CHECK(inbox.view().count() == 1);
        CHECK(inbox.view().uidnext() == 4);
        auto uids = save_all(inbox, {message_request(test_message(4))});
        CHECK(uids == std::vector<Uid>{4});
        CHECK(inbox.view().highest_modseq() >= before);
    });
}

TEST_CASE("expunge_deleted removes only what is still \\Deleted at commit") {
    for_each_location([](StorageFixture& f) {
        auto a = f.open();
        auto b = f.open();
        save_all(a, {message_request(test_message(1), flag_deleted), message_request(test_message(2), flag_deleted),
                     message_request(test_message(3))});
        REQUIRE(b.sync().is_ok());
        REQUIRE(b.view().flags(1) == flag_deleted);
        // A undeletes 1 after B's sync: B's view still says \Deleted.
        auto undelete = a.begin();
        FlagUpdate remove;
        remove.mode = FlagUpdate::Mode::remove;
        remove.flags = flag_deleted;
        REQUIRE(undelete.update_flags(UidSet::parse("1").value(), remove).is_ok());
        REQUIRE(undelete.commit().is_ok());
        CHECK(b.view().flags(1) == flag_deleted);

        auto t = b.begin();
        REQUIRE(t.expunge_deleted(UidSet::parse("1:3,9").value()).is_ok());
        auto done = t.commit();
        REQUIRE_MESSAGE(done.is_ok(), done.status().message());
        CHECK(done->expunged.to_string() == "2");
        auto s = b.sync();
        REQUIRE(s.is_ok());
        CHECK(s->expunged == std::vector<Seq>{2});
        REQUIRE(b.view().count() == 2);
        CHECK(b.view().uid(1) == 1);
        CHECK(b.view().flags(1) == 0);
        CHECK(b.message(1).open()->bytes() == test_message(1));
        CHECK(b.view().uid(2) == 3);

        // Flags set in the same transaction count: they apply first.
        auto both = b.begin();
        FlagUpdate add;
        add.flags = flag_deleted;
        REQUIRE(both.update_flags(UidSet::parse("3").value(), add).is_ok());
        REQUIRE(both.expunge_deleted(UidSet::parse("1,3").value()).is_ok());
        done = both.commit();
        REQUIRE(done.is_ok());
        CHECK(done->expunged.to_string() == "3");

        auto ro = f.open("INBOX", OpenOptions{true, false});
        auto refused = ro.begin().expunge_deleted(UidSet::parse("1").value());
        CHECK(refused.code() == Status::Code::permission_denied);
    });
}

TEST_CASE("copy and move report COPYUID in ascending source order") {
    for_each_location([](StorageFixture& f) {
        REQUIRE(f.user->create_mailbox("Archive").is_ok());
        auto inbox = f.open();
        auto archive = f.open("Archive");
        save_all(inbox, {message_request(test_message(1), flag_seen, {"kw"}), message_request(test_message(2)),
                         message_request(test_message(3), flag_flagged)});
        REQUIRE(inbox.sync().is_ok());

        auto t = archive.begin();
        REQUIRE(t.copy(inbox, UidSet::parse("3,1").value()).is_ok());
        auto done = t.commit();
        REQUIRE_MESSAGE(done.is_ok(), done.status().message());
        CHECK(done->copy_src == std::vector<Uid>{1, 3});
        CHECK(done->copy_dst == std::vector<Uid>{1, 2});
        CHECK(done->saved.empty());
        REQUIRE(archive.sync().is_ok());
        REQUIRE(archive.view().count() == 2);
        CHECK(archive.view().flags(1) == flag_seen);
        CHECK(archive.view().keywords(1) == std::vector<std::string>{"kw"});
        CHECK(archive.view().flags(2) == flag_flagged);
        CHECK(archive.message(2).open()->bytes() == test_message(3));

        auto m = archive.begin();
        REQUIRE(m.move(inbox, UidSet::parse("2:3").value()).is_ok());
        auto moved = m.commit();
        REQUIRE(moved.is_ok());
        CHECK(moved->copy_src == std::vector<Uid>{2, 3});
        CHECK(moved->copy_dst == std::vector<Uid>{3, 4});
        auto s = inbox.sync();
        REQUIRE(s.is_ok());
        CHECK(s->expunged_uids.to_string() == "2:3");
        CHECK(inbox.view().count() == 1);
        REQUIRE(archive.sync().is_ok());
        CHECK(archive.view().count() == 4);
        CHECK(archive.message(3).open()->bytes() == test_message(2));
    });
}

TEST_CASE("status items") {
    for_each_location([](StorageFixture& f) {
        auto inbox = f.open();
        std::string m1 = test_message(1), m2 = test_message(2, "\r\n");
        save_all(inbox, {message_request(m1, flag_seen), message_request(m2, flag_deleted)});
        REQUIRE(inbox.sync().is_ok());
        auto st = inbox.status(status_all);
        CHECK(st.messages == 2);
        CHECK(st.recent == 2);
        CHECK(st.uidnext == 3);
        CHECK(st.uidvalidity == inbox.view().uidvalidity());
        CHECK(st.unseen == 1);
        CHECK(st.first_unseen == 2);
        CHECK(st.deleted == 1);
        CHECK(st.highest_modseq == inbox.view().highest_modseq());
        CHECK(st.size == m1.size() + 4 + m2.size());
        CHECK(st.guid == inbox.guid());
        auto via_user = f.user->status("INBOX", status_messages | status_uidnext | status_unseen);
        REQUIRE_MESSAGE(via_user.is_ok(), via_user.status().message());
        CHECK(via_user->messages == 2);
        CHECK(via_user->uidnext == 3);
        CHECK(via_user->unseen == 1);
    });
}

TEST_CASE("cache fields survive a reopen") {
    for_each_location([](StorageFixture& f) {
        {
            auto inbox = f.open();
            save_all(inbox, {message_request(test_message(1))});
            REQUIRE(inbox.sync().is_ok());
            auto m = inbox.message(1);
            CHECK_FALSE(m.cached("imap.envelope").has_value());
            m.cache("imap.envelope", "(\"env\")");
            CHECK(m.cached("imap.envelope") == "(\"env\")");
        } // written on close
        auto inbox = f.open();
        CHECK(inbox.message(1).cached("imap.envelope") == "(\"env\")");
        CHECK_FALSE(inbox.message(1).cached("imap.bodystructure").has_value());
        inbox.message(1).cache("imap.bodystructure", "(\"text\")");
        REQUIRE(inbox.sync().is_ok()); // written at sync
        auto other = f.open();
        CHECK(other.message(1).cached("imap.bodystructure") == "(\"text\")");
    });
}

TEST_CASE("keywords beyond 26 and beyond 64") {
    for_each_location([](StorageFixture& f) {
        std::vector<std::string> keywords;
        for (int i = 0; i < 70; ++i)
            keywords.push_back("kw" + std::to_string(i));
        {
            auto inbox = f.open();
            std::vector<SaveRequest> reqs;
            std::vector<std::string> bodies;
            for (int i = 0; i < 70; ++i)
                bodies.push_back(test_message(i));
            for (int i = 0; i < 70; ++i)
                reqs.push_back(message_request(bodies[std::size_t(i)], 0, {keywords[std::size_t(i)]}));
            save_all(inbox, reqs);
            auto t = inbox.begin();
            REQUIRE(t.update_flags(UidSet::parse("70").value(), {FlagUpdate::Mode::add, 0, {"kw3", "kw30"}, {}}).is_ok());
            REQUIRE(t.commit().is_ok());
        }
        auto inbox = f.open();
        REQUIRE(inbox.view().count() == 70);
        CHECK(inbox.view().keyword_names().size() == 70);
        CHECK(inbox.view().keywords(27) == std::vector<std::string>{"kw26"});
        CHECK(inbox.view().keywords(66) == std::vector<std::string>{"kw65"});
        auto last = inbox.view().keywords(70);
        std::sort(last.begin(), last.end());
        CHECK(last == std::vector<std::string>{"kw3", "kw30", "kw69"});
    });
}

TEST_CASE("the keywords of a mailbox are bounded") {
    StorageFixture f(conformance_locations()[0], "mail_fsync = never\n");
    auto inbox = f.open();
    save_all(inbox, {message_request(test_message(1))});
    REQUIRE(inbox.sync().is_ok());
    std::vector<std::string> many;
    for (int i = 0; i < 1024; ++i)
        many.push_back("k" + std::to_string(i));
    auto t = inbox.begin();
    REQUIRE(t.update_flags(UidSet::parse("1").value(), {FlagUpdate::Mode::add, 0, many, {}}).is_ok());
    auto done = t.commit();
    REQUIRE_MESSAGE(done.is_ok(), done.status().message());
    auto over = inbox.begin();
    REQUIRE(over.update_flags(UidSet::parse("1").value(), {FlagUpdate::Mode::add, 0, {"one-more"}, {}}).is_ok());
    auto refused = over.commit();
    REQUIRE_FALSE(refused.is_ok());
    CHECK(refused.status().code() == Status::Code::invalid_argument);
    CHECK(refused.status().message().find("1024 keywords") != std::string::npos);
    // Existing keywords can still be used.
    auto again = inbox.begin();
    REQUIRE(again.update_flags(UidSet::parse("1").value(), {FlagUpdate::Mode::replace, flag_seen, {"K5"}, {}}).is_ok());
    REQUIRE(again.commit().is_ok());
    REQUIRE(inbox.sync().is_ok());
    CHECK(inbox.view().keywords(1) == std::vector<std::string>{"k5"});
    CHECK(inbox.view().keyword_names().size() == 1024);
}

TEST_CASE("10,000 saves in one transaction") {
    StorageFixture f(conformance_locations()[0], "mail_fsync = never\n");
    auto inbox = f.open();
    std::vector<std::string> bodies;
    for (int i = 0; i < 10000; ++i)
        bodies.push_back(test_message(i));
    std::vector<SaveRequest> reqs;
    for (const auto& b : bodies)
        reqs.push_back(message_request(b));
    auto uids = save_all(inbox, reqs);
    CHECK(uids.front() == 1);
    CHECK(uids.back() == 10000);
    auto s = inbox.sync();
    REQUIRE(s.is_ok());
    CHECK(s->count == 10000);
    CHECK(inbox.view().uid(10000) == 10000);
    CHECK(inbox.view().seq_range(5000, 0xffffffffU) == std::pair<Seq, Seq>{5000, 10000});
    CHECK(inbox.message(9999).open()->bytes() == bodies[9998]);
}

namespace {
// Whether `address` lies in a mapping of a file below `dir` (/proc/self/maps).
bool mapped_from(const void* address, const std::string& dir) {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    auto a = reinterpret_cast<std::uintptr_t>(address);
    while (std::getline(maps, line)) {
        std::istringstream in(line);
        std::string range, perms, offset, dev, inode, path;
        in >> range >> perms >> offset >> dev >> inode >> path;
        auto dash = range.find('-');
        auto lo = std::stoull(range.substr(0, dash), nullptr, 16);
        auto hi = std::stoull(range.substr(dash + 1), nullptr, 16);
        if (a >= lo && a < hi)
            return path.rfind(dir, 0) == 0;
    }
    return false;
}
} // namespace

TEST_CASE("a 50 MB message is mapped from its file, not copied") {
    StorageFixture f(conformance_locations()[0], "mail_fsync = never\n");
    auto inbox = f.open();
    std::string big = "Subject: big\n\n";
    big.reserve(50u << 20);
    while (big.size() < (50u << 20))
        big += "0123456789012345678901234567890123456789012345678901234567890123456789\n";
    save_all(inbox, {message_request(big)});
    REQUIRE(inbox.sync().is_ok());
    auto data = inbox.message(1).open();
    REQUIRE(data.is_ok());
    CHECK(data->bytes().size() == big.size());
    CHECK(data->bytes() == big);
    CHECK(data->body().size() == big.size() - 14);
    CHECK(mapped_from(data->bytes().data(), f.dir.str()));
}
