// The corpus's vocabulary: English words for most text, words in each
// charset the generator writes (as the bytes of that charset, so a server
// must convert them for SEARCH), and the senders. Tables only; the choices
// are made in generator.cpp.
#include "corpus/vocabulary.hpp"

namespace corpus {

namespace {
// iso-8859-1
constexpr std::string_view kLatin1[] = {
    "caf\xe9",
    "na\xefve",
    "r\xe9sum\xe9",
    "Stra\xdf" "e",
    "M\xfcller",
    "Gr\xf6\xdf" "e",
    "cr\xe8me",
    "br\xfbl\xe9" "e",
    "fa\xe7" "ade",
    "\xc5ngstr\xf6m",
    "se\xf1or",
    "jalape\xf1o",
    "\xfc" "ber",
    "d\xe9j\xe0",
    "Z\xfcrich",
    "G\xf6teborg",
    "K\xf6ln",
    "M\xe1laga",
};
// iso-8859-15
constexpr std::string_view kLatin9[] = {
    "\xa4",
    "co\xfbt",
    "\xbcuvre",
    "c\xbdur",
    "fa\xe7on",
    "\xa6koda",
    "\xb8" "ena",
    "M\xfcller",
    "Gr\xf6\xdf" "e",
    "\xe9t\xe9",
    "\xe9l\xe8ve",
    "\xbdil",
};
// windows-1252
constexpr std::string_view kWindows1252[] = {
    "\x93quoted\x94",
    "\x91single\x92",
    "\x96",
    "\x97",
    "\x85",
    "\x80",
    "\x99",
    "na\xefve",
    "caf\xe9",
    "Zo\xeb",
    "\x8aibenik",
    "\x95",
};
// koi8-r
constexpr std::string_view kKoi8r[] = {
    "\xd0\xd2\xc9\xd7\xc5\xd4",
    "\xcf\xd4\xde\xa3\xd4",
    "\xd7\xd3\xd4\xd2\xc5\xde\xc1",
    "\xd3\xc5\xd2\xd7\xc5\xd2",
    "\xd0\xcf\xde\xd4\xc1",
    "\xc2\xc0\xc4\xd6\xc5\xd4",
    "\xd0\xd2\xcf\xc5\xcb\xd4",
    "\xce\xc5\xc4\xc5\xcc\xd1",
    "\xd3\xd0\xc1\xd3\xc9\xc2\xcf",
    "\xd7\xcf\xd0\xd2\xcf\xd3",
    "\xed\xcf\xd3\xcb\xd7\xc1",
    "\xd0\xcf\xd6\xc1\xcc\xd5\xca\xd3\xd4\xc1",
};
// iso-2022-jp
constexpr std::string_view kIso2022jp[] = {
    "\x1b$B$3$s$K$A$O\x1b(B",
    "\x1b$B2q5D\x1b(B",
    "\x1b$BJs9p=q\x1b(B",
    "\x1b$BM=;;\x1b(B",
    "\x1b$B%5!<%P!<\x1b(B",
    "\x1b$B%a!<%k\x1b(B",
    "\x1b$B$\x22$j$,$H$&\x1b(B",
    "\x1b$BEl5~\x1b(B",
    "\x1b$B$*4j$$$7$^$9\x1b(B",
    "\x1b$B3NG'\x1b(B",
};
// utf-8
constexpr std::string_view kUtf8[] = {
    "caf\xc3\xa9",
    "na\xc3\xafve",
    "Stra\xc3\x9f" "e",
    "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82",
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
    "\xe6\x9d\xb1\xe4\xba\xac",
    "\xce\x95\xce\xbb\xce\xbb\xce\xac\xce\xb4\xce\xb1",
    "M\xc3\xbcnchen",
    "\xc5\x81\xc3\xb3" "d\xc5\xba",
    "S\xc3\xb8ren",
    "S\xc3\xa3o",
    "\xf0\x9f\x98\x80",
    "\xe2\x9c\x93",
    "\xe2\x86\x92",
    "\xe2\x82\xac",
    "Krak\xc3\xb3w",
};
} // namespace

const std::array<CharsetWords, kCharsetCount> kCharsets = {{
    {"us-ascii", {}},
    {"utf-8", kUtf8},
    {"iso-8859-1", kLatin1},
    {"iso-8859-15", kLatin9},
    {"windows-1252", kWindows1252},
    {"koi8-r", kKoi8r},
    {"iso-2022-jp", kIso2022jp},
}};
const std::array<Sender, kSenderCount> kSenders = {{
    {"Carol Cooper", "us-ascii", "carol.cooper"},
    {"Alice Archer", "us-ascii", "alice"},
    {"Bob Baker", "us-ascii", "bob.baker"},
    {"Dave Dyer", "us-ascii", "dave"},
    {"Eve Ellis", "us-ascii", "eve.ellis"},
    {"Frank Fisher", "us-ascii", "frank"},
    {"Grace Gardner", "us-ascii", "grace.gardner"},
    {"Heidi Hunter", "us-ascii", "heidi"},
    {"Mallory Miller", "us-ascii", "mallory"},
    {"Niaj Nowak", "us-ascii", "niaj"},
    {"Peggy Price", "us-ascii", "peggy.price"},
    {"Trent Turner", "us-ascii", "trent"},
    {"Victor Vance", "us-ascii", "victor.vance"},
    {"Walter White", "us-ascii", "walter"},
    {"Jos\xe9 Garc\xed" "a", "iso-8859-1", "jose.garcia"},
    {"S\xf8ren Kierkegaard", "iso-8859-1", "soren"},
    {"Fran\xe7ois Dubois", "iso-8859-15", "francois"},
    {"Zo\xeb Zimmermann", "windows-1252", "zoe"},
    {"\xc5\x81ukasz Nowicki", "utf-8", "lukasz"},
    {"\xce\x95\xce\xbb\xce\xad\xce\xbd\xce\xb7 \xce\xa0\xce\xb1\xcf\x80\xce\xb1\xce\xb4\xce\xbf\xcf\x80\xce\xbf\xcf\x8d\xce\xbb\xce\xbf\xcf\x85", "utf-8", "eleni"},
    {"\xe9\xd7\xc1\xce \xf0\xc5\xd4\xd2\xcf\xd7", "koi8-r", "ivan.petrov"},
    {"\xef\xcc\xd8\xc7\xc1 \xf3\xcd\xc9\xd2\xce\xcf\xd7\xc1", "koi8-r", "olga"},
    {"\x1b$B;3EDB@O:\x1b(B", "iso-2022-jp", "yamada"},
    {"\x1b$B:4F#2V;R\x1b(B", "iso-2022-jp", "sato.hanako"},
}};

namespace {
constexpr std::string_view kBody[] = {
    "the", "a", "to", "of", "and", "in", "is", "it", "that", "for", "on", "with", "as", "this",
    "be", "at", "by", "we", "you", "are", "have", "will", "not", "can", "our", "your", "all", "if",
    "about", "more", "there", "when", "which", "would", "their", "what", "so", "up", "out", "one",
    "time", "just", "any", "some", "please", "thanks", "regards", "meeting", "report", "server",
    "mail", "review", "attached", "schedule", "tomorrow", "budget", "draft", "final", "update",
    "question", "project", "deadline", "release", "notes", "build", "test", "configuration",
    "message", "customer", "contract", "invoice", "backup", "storage", "network", "memory",
    "performance", "incident", "ticket", "outage", "migration", "design", "proposal", "holiday",
    "lunch", "answer", "patch", "team", "office", "week", "month", "today", "morning", "afternoon",
    "agenda", "minutes", "action", "items", "follow", "discuss", "decision", "approve", "approved",
    "pending", "status", "progress", "issue", "problem", "solution", "fix", "change", "request",
    "access", "account", "password", "user", "system", "service", "database", "query", "index",
    "cache", "latency", "throughput", "disk", "cpu", "load", "cluster", "node", "replica",
    "failover", "monitoring", "alert", "dashboard", "metrics", "logs", "deploy", "rollout",
    "staging", "production", "version", "branch", "merge", "review", "comments", "feedback",
    "document", "spreadsheet", "presentation", "slides", "call", "conference", "room", "calendar",
    "invite", "reschedule", "available", "unavailable", "travel", "flight", "hotel", "expense",
    "receipt", "payment", "order", "shipment", "delivery", "warehouse", "supplier", "vendor",
    "quote", "estimate", "forecast", "revenue", "sales", "marketing", "campaign", "launch",
    "product", "feature", "roadmap", "priority", "risk", "plan", "goal", "target", "quarterly",
    "annual", "summary", "overview", "details", "appendix", "section", "chapter", "draft",
    "revision", "final",
};
constexpr std::string_view kSubject[] = {
    "quarterly", "report", "budget", "review", "meeting", "notes", "project", "update", "release",
    "plan", "server", "migration", "invoice", "schedule", "design", "proposal", "holiday", "party",
    "lunch", "deadline", "question", "patch", "build", "test", "performance", "storage", "backup",
    "outage", "incident", "ticket", "customer", "contract", "roadmap", "forecast", "agenda",
    "minutes", "status", "weekly", "monthly", "annual", "planning", "security", "audit", "training",
    "onboarding", "offsite",
};
constexpr std::string_view kDomainList[] = {
    "example.com", "example.org", "example.net", "mail.example.com", "lists.example.org",
    "corp.example", "bench.example",
};
} // namespace

const std::span<const std::string_view> kBodyWords = kBody;
const std::span<const std::string_view> kSubjectWords = kSubject;
const std::span<const std::string_view> kDomains = kDomainList;

} // namespace corpus
