// RFC 5322 dates (§3.3, obsolete §4.3), IMAP date-time and search dates.
#include <mailstore/mime/date.hpp>

#include <limits>

#include <doctest/doctest.h>

#include <string>

using namespace mailstore::mime;

namespace {

std::int64_t utc(std::string_view s)
{
    auto dt = parse_message_date(s);
    REQUIRE(dt.has_value());
    return dt->utc;
}

int zone(std::string_view s)
{
    auto dt = parse_message_date(s);
    REQUIRE(dt.has_value());
    return dt->zone_minutes;
}

} // namespace

TEST_CASE("mime date RFC 5322 form")
{
    // 2026-11-28 16:35:54 UTC = 1795883754
    CHECK(utc("Sat, 28 Nov 2026 16:35:54 +0000") == 1795883754);
    CHECK(utc("28 Nov 2026 16:35:54 +0000") == 1795883754);
    CHECK(utc("Sat, 28 Nov 2026 17:35:54 +0100") == 1795883754);
    CHECK(zone("Sat, 28 Nov 2026 17:35:54 +0100") == 60);
    CHECK(utc("Sat, 28 Nov 2026 11:05:54 -0530") == 1795883754);
    CHECK(zone("Sat, 28 Nov 2026 11:05:54 -0530") == -330);
    CHECK(utc("Thu, 01 Jan 1970 00:00:00 +0000") == 0);
    CHECK(utc("1 Jan 1970 00:00 +0000") == 0);  // seconds optional
    // RFC 5256 §2.2 example: the same instant.
    CHECK(utc("31 Dec 2000 16:01:33 -0800") == utc("1 Jan 2001 00:01:33 +0000"));
    CHECK(utc("Fri, 21 Nov 1997 09:55:06 -0600") == 880127706);
    // Leap second accepted.
    CHECK(utc("31 Dec 2016 23:59:60 +0000") == 1483228800);
    // Before 1970.
    CHECK(utc("1 Jan 1969 00:00:00 +0000") == -31536000);
}

TEST_CASE("mime date obsolete and sloppy forms")
{
    // §4.3 years: 2 digits 00-49 → 20xx, 50-99 → 19xx; 3 digits + 1900.
    CHECK(utc("1 Jan 26 00:00:00 +0000") == utc("1 Jan 2026 00:00:00 +0000"));
    CHECK(utc("1 Jan 49 00:00:00 +0000") == utc("1 Jan 2049 00:00:00 +0000"));
    CHECK(utc("1 Jan 50 00:00:00 +0000") == utc("1 Jan 1950 00:00:00 +0000"));
    CHECK(utc("1 Jan 99 00:00:00 +0000") == utc("1 Jan 1999 00:00:00 +0000"));
    CHECK(utc("1 Jan 00 00:00:00 +0000") == utc("1 Jan 2000 00:00:00 +0000"));
    CHECK(utc("1 Jan 126 00:00:00 +0000") == utc("1 Jan 2026 00:00:00 +0000"));
    // Obsolete zone names.
    CHECK(zone("1 Jan 2026 00:00:00 GMT") == 0);
    CHECK(zone("1 Jan 2026 00:00:00 UT") == 0);
    CHECK(zone("1 Jan 2026 00:00:00 EST") == -300);
    CHECK(zone("1 Jan 2026 00:00:00 EDT") == -240);
    CHECK(zone("1 Jan 2026 00:00:00 CST") == -360);
    CHECK(zone("1 Jan 2026 00:00:00 CDT") == -300);
    CHECK(zone("1 Jan 2026 00:00:00 MST") == -420);
    CHECK(zone("1 Jan 2026 00:00:00 MDT") == -360);
    CHECK(zone("1 Jan 2026 00:00:00 pst") == -480);
    CHECK(zone("1 Jan 2026 00:00:00 PDT") == -420);
    CHECK(utc("1 Jan 2026 00:00:00 EST") == utc("1 Jan 2026 05:00:00 +0000"));
    // Military letters and unknown names are -0000: UTC.
    CHECK(zone("1 Jan 2026 00:00:00 A") == 0);
    CHECK(zone("1 Jan 2026 00:00:00 Z") == 0);
    CHECK(zone("1 Jan 2026 00:00:00 CEST") == 0);
    // Missing zone; out-of-range zone taken as UTC (RFC 5256 §2.2).
    CHECK(zone("1 Jan 2026 10:00:00") == 0);
    CHECK(utc("1 Jan 2026 10:00:00 +9999") == utc("1 Jan 2026 10:00:00 +0000"));
    CHECK(utc("1 Jan 2026 10:00:00 +0160") == utc("1 Jan 2026 10:00:00 +0000"));
    // Comments and folding anywhere, case-insensitive names, long names.
    CHECK(utc("Sat (day), 28 (x) nov 2026\r\n 16:35:54 +0000 (UTC)") == 1795883754);
    CHECK(utc("Saturday, 28 November 2026 16:35:54 +0000") == 1795883754);
    CHECK(utc("SAT, 28 NOV 2026 16:35:54 +0000") == 1795883754);
    CHECK(utc("  28 Nov 2026 16:35:54 +0000  trailing junk") == 1795883754);
    // "28-Nov-2026", asctime() order, no comma, one-digit hour.
    CHECK(utc("28-Nov-2026 16:35:54 +0000") == 1795883754);
    CHECK(utc("Sat Nov 28 16:35:54 2026") == 1795883754);
    CHECK(utc("Sat Nov 28 2026 16:35:54 +0000") == 1795883754);
    CHECK(utc("Sat 28 Nov 2026 6:35:54 +0000") == 1795883754 - 36000);
    // No time at all: midnight.
    CHECK(utc("28 Nov 2026") == 1795824000);
}

TEST_CASE("mime date invalid values")
{
    CHECK(!parse_message_date(""));
    CHECK(!parse_message_date("garbage"));
    CHECK(!parse_message_date("Sat, "));
    CHECK(!parse_message_date("32 Jan 2026 00:00:00 +0000"));
    CHECK(!parse_message_date("0 Jan 2026 00:00:00 +0000"));
    CHECK(!parse_message_date("29 Feb 2026 00:00:00 +0000"));
    CHECK(parse_message_date("29 Feb 2024 00:00:00 +0000"));
    CHECK(parse_message_date("29 Feb 2000 00:00:00 +0000"));
    CHECK(!parse_message_date("29 Feb 1900 00:00:00 +0000"));
    CHECK(!parse_message_date("31 Apr 2026 00:00:00 +0000"));
    CHECK(!parse_message_date("1 Foo 2026 00:00:00 +0000"));
    CHECK(!parse_message_date("1 Jan 2026 24:00:00 +0000"));
    CHECK(!parse_message_date("1 Jan 2026 23:60:00 +0000"));
    CHECK(!parse_message_date("1 Jan 2026 23:59:61 +0000"));
    CHECK(!parse_message_date("1 Jan 20261 00:00:00 +0000"));
    CHECK(!parse_message_date("1 Jan 2 00:00:00 +0000"));
    CHECK(!parse_message_date("123 Jan 2026 00:00:00 +0000"));
    CHECK(!parse_message_date(std::string(1 << 20, '(')));
    CHECK(!parse_message_date(std::string("1\0 Jan 2026", 11)));
}

TEST_CASE("mime date IMAP date-time")
{
    auto dt = parse_internaldate("28-Nov-2026 16:35:54 +0000");
    REQUIRE(dt);
    CHECK(dt->utc == 1795883754);
    CHECK(dt->zone_minutes == 0);
    dt = parse_internaldate("\" 2-Dec-2026 01:02:03 -0130\"");
    REQUIRE(dt);
    CHECK(dt->zone_minutes == -90);
    CHECK(dt->utc == parse_message_date("2 Dec 2026 01:02:03 -0130")->utc);
    CHECK(parse_internaldate("02-Dec-2026 01:02:03 +0000"));
    CHECK(parse_internaldate("2-Dec-2026 01:02:03 +0000"));
    CHECK(parse_internaldate("02-dec-2026 01:02:03 +0000"));
    CHECK(!parse_internaldate("02-Dec-26 01:02:03 +0000"));
    CHECK(!parse_internaldate("02-Dec-2026 1:02:03 +0000"));
    CHECK(!parse_internaldate("02-Dec-2026 01:02 +0000"));
    CHECK(!parse_internaldate("02-Dec-2026 01:02:03"));
    CHECK(!parse_internaldate("02-Dec-2026 01:02:03 GMT"));
    CHECK(!parse_internaldate("02-Dec-2026 01:02:03 +000"));
    CHECK(!parse_internaldate("02-Dec-2026 01:02:03 +0000 "));
    CHECK(!parse_internaldate("02-Dec-2026  01:02:03 +0000"));
    CHECK(!parse_internaldate("31-Nov-2026 01:02:03 +0000"));
    CHECK(!parse_internaldate("30-Nov-2026 24:02:03 +0000"));
    CHECK(!parse_internaldate("30-Nov-2026 01:02:03 +2400"));
    CHECK(!parse_internaldate("30-Nov-2026 01:02:03 +0060"));
    CHECK(!parse_internaldate("Mon, 30 Nov 2026 01:02:03 +0000"));
    CHECK(!parse_internaldate(""));
}

TEST_CASE("mime date formatting")
{
    DateTime dt{1795883754, 0};
    CHECK(format_internaldate(dt) == "28-Nov-2026 16:35:54 +0000");
    CHECK(format_message_date(dt) == "Sat, 28 Nov 2026 16:35:54 +0000");
    dt.zone_minutes = -330;
    CHECK(format_internaldate(dt) == "28-Nov-2026 11:05:54 -0530");
    CHECK(format_message_date(dt) == "Sat, 28 Nov 2026 11:05:54 -0530");
    dt.zone_minutes = 600;  // the local date moves to the next day
    CHECK(format_internaldate(dt) == "29-Nov-2026 02:35:54 +1000");
    CHECK(format_message_date(dt) == "Sun, 29 Nov 2026 02:35:54 +1000");
    DateTime early{parse_internaldate(" 2-Dec-2026 01:02:03 +0000")->utc, 0};
    CHECK(format_internaldate(early) == " 2-Dec-2026 01:02:03 +0000");
    CHECK(format_message_date(early) == "Wed, 2 Dec 2026 01:02:03 +0000");
    DateTime epoch{0, 0};
    CHECK(format_message_date(epoch) == "Thu, 1 Jan 1970 00:00:00 +0000");
    DateTime before{-1, 0};
    CHECK(format_internaldate(before) == "31-Dec-1969 23:59:59 +0000");
    CHECK(format_message_date(before) == "Wed, 31 Dec 1969 23:59:59 +0000");
    // Round trips.
    for (std::int64_t t : {std::int64_t{0}, std::int64_t{951782400}, std::int64_t{1795883754}, std::int64_t{4102444799}}) {
        for (int z : {0, 60, -480, 345}) {
            DateTime d{t, z};
            CHECK(parse_internaldate(format_internaldate(d)) == d);
            CHECK(parse_message_date(format_message_date(d)) == d);
        }
    }
}

TEST_CASE("mime date formatting of out-of-range values")
{
    // A zone beyond ±23:59 is clamped: the same instant in the nearest
    // printable zone (6000 minutes would otherwise print 100 h ahead as +0000).
    CHECK(format_internaldate(DateTime{0, 6000}) == " 1-Jan-1970 23:59:00 +2359");
    CHECK(format_message_date(DateTime{0, 6000}) == "Thu, 1 Jan 1970 23:59:00 +2359");
    CHECK(format_internaldate(DateTime{0, -1440}) == "31-Dec-1969 00:01:00 -2359");
    CHECK(format_internaldate(DateTime{0, std::numeric_limits<int>::min()}) == "31-Dec-1969 00:01:00 -2359");
    CHECK(format_internaldate(DateTime{0, std::numeric_limits<int>::max()}) == " 1-Jan-1970 23:59:00 +2359");
    CHECK(parse_internaldate(format_internaldate(DateTime{0, 6000}))->utc == 0);
    // The local time is clamped to years 0000..9999 (four-digit year).
    auto max = std::numeric_limits<std::int64_t>::max();
    auto min = std::numeric_limits<std::int64_t>::min();
    CHECK(format_internaldate(DateTime{max, 0}) == "31-Dec-9999 23:59:59 +0000");
    CHECK(format_message_date(DateTime{max, 0}) == "Fri, 31 Dec 9999 23:59:59 +0000");
    CHECK(format_internaldate(DateTime{max, -600}) == "31-Dec-9999 23:59:59 -1000");
    CHECK(format_internaldate(DateTime{min, 0}) == " 1-Jan-0000 00:00:00 +0000");
    CHECK(format_message_date(DateTime{min, 0}) == "Sat, 1 Jan 0000 00:00:00 +0000");
    CHECK(format_internaldate(DateTime{min, std::numeric_limits<int>::max()}) == " 1-Jan-0000 00:00:00 +2359");
    // The last and first instants that print exactly.
    CHECK(format_internaldate(DateTime{253402300799, 0}) == "31-Dec-9999 23:59:59 +0000");
    CHECK(format_internaldate(DateTime{253402300800, 0}) == "31-Dec-9999 23:59:59 +0000");
    CHECK(format_internaldate(DateTime{-62167219200, 0}) == " 1-Jan-0000 00:00:00 +0000");
    CHECK(format_internaldate(DateTime{-62167219201, 0}) == " 1-Jan-0000 00:00:00 +0000");
    CHECK(format_internaldate(DateTime{-62167219200, 60}) == " 1-Jan-0000 01:00:00 +0100");
}

TEST_CASE("mime date search dates")
{
    CHECK(parse_search_date("1-Feb-1994") == 760060800);
    CHECK(parse_search_date("01-Feb-1994") == 760060800);
    CHECK(parse_search_date("\"1-Feb-1994\"") == 760060800);
    CHECK(parse_search_date("1-feb-1994") == 760060800);
    CHECK(parse_search_date("28-Nov-2026") == 1795824000);
    CHECK(!parse_search_date("30-Feb-1994"));
    CHECK(!parse_search_date("001-Feb-1994"));
    CHECK(!parse_search_date("1-Feb-94"));
    CHECK(!parse_search_date("1 Feb 1994"));
    CHECK(!parse_search_date("1-Feb-1994 "));
    CHECK(!parse_search_date("\"1-Feb-1994"));
    CHECK(!parse_search_date(""));
}
