#include "dataset.hpp"

#include <mailstore/auth/password.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sqlite3.h>
#include <vector>

namespace bench_auth {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t distinct_passwords = 1000;
// Bumped when the file layout changes, so an old cache is regenerated.
constexpr const char* stamp_name = "complete-v1";

std::string sql_quote(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        out += c;
        if (c == '\'') {
            out += '\'';
        }
    }
    return out + "'";
}

std::string write_passwd(const std::string& path, std::size_t users, const std::vector<std::string>& hashes) {
    std::string tmp = path + ".tmp";
    std::ofstream out(tmp, std::ios::trunc);
    for (std::size_t i = 0; i < users; ++i) {
        out << user_name(i) << ":" << hashes[i] << ":" << 10000 + i % 1000 << ":10000::/srv/vmail/example.com/user"
            << i << "::\n";
    }
    out.close();
    if (!out) {
        return "cannot write " + tmp;
    }
    fs::rename(tmp, path);
    return "";
}

std::string write_sqlite(const std::string& path, std::size_t users, const std::vector<std::string>& cheap,
                         const std::vector<std::string>& crypt) {
    std::string tmp = path + ".tmp";
    fs::remove(tmp);
    sqlite3* db = nullptr;
    if (sqlite3_open(tmp.c_str(), &db) != SQLITE_OK) {
        sqlite3_close(db);
        return "cannot create " + tmp;
    }
    std::string sql = "CREATE TABLE users (userid TEXT PRIMARY KEY, password_cheap TEXT, password_crypt TEXT, "
                      "uid INTEGER, gid INTEGER, home TEXT); BEGIN;";
    for (std::size_t i = 0; i < users; ++i) {
        sql += "INSERT INTO users VALUES (" + sql_quote(user_name(i)) + "," + sql_quote(cheap[i]) + "," +
               sql_quote(crypt[i]) + "," + std::to_string(10000 + i % 1000) + ",10000,'/srv/vmail/example.com/user" +
               std::to_string(i) + "');";
    }
    sql += "COMMIT;";
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string message = err != nullptr ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    if (rc != SQLITE_OK) {
        return "cannot fill " + tmp + ": " + message;
    }
    fs::rename(tmp, path);
    return "";
}

} // namespace

const char* scheme_name(Scheme scheme) { return scheme == Scheme::cheap ? "SSHA256" : "SHA512-CRYPT"; }

std::string Dataset::passwd_file(Scheme scheme) const {
    return dir + (scheme == Scheme::cheap ? "/passwd-ssha256" : "/passwd-sha512-crypt");
}
std::string Dataset::sqlite_file() const { return dir + "/users.sqlite"; }
const char* Dataset::password_column(Scheme scheme) {
    return scheme == Scheme::cheap ? "password_cheap" : "password_crypt";
}

std::string user_name(std::size_t index) { return "user" + std::to_string(index) + "@example.com"; }
std::string password_of(std::size_t index) { return "pw-" + std::to_string(index % distinct_passwords); }

std::string prepare_dataset(const std::string& dir, std::size_t users, Dataset& out) {
    out.dir = dir;
    out.users = users;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        return "cannot create " + dir + ": " + ec.message();
    }
    std::string stamp = dir + "/" + stamp_name + "-" + std::to_string(users);
    if (fs::exists(stamp)) {
        return "";
    }
    std::fprintf(stderr, "generating %zu users in %s (once)...\n", users, dir.c_str());
    std::vector<std::string> crypt_pool;
    for (std::size_t i = 0; i < distinct_passwords; ++i) {
        auto h = mailstore::auth::hash_password("SHA512-CRYPT", password_of(i));
        if (!h) {
            return h.status().message();
        }
        crypt_pool.push_back(std::move(h).value());
    }
    std::vector<std::string> cheap(users), crypt(users);
    for (std::size_t i = 0; i < users; ++i) {
        auto h = mailstore::auth::hash_password("SSHA256", password_of(i));
        if (!h) {
            return h.status().message();
        }
        cheap[i] = std::move(h).value();
        crypt[i] = crypt_pool[i % distinct_passwords];
    }
    for (auto* e : {&cheap, &crypt}) {
        auto scheme = e == &cheap ? Scheme::cheap : Scheme::sha512_crypt;
        if (auto err = write_passwd(out.passwd_file(scheme), users, *e); !err.empty()) {
            return err;
        }
    }
    if (auto err = write_sqlite(out.sqlite_file(), users, cheap, crypt); !err.empty()) {
        return err;
    }
    std::ofstream(stamp) << "ok\n";
    return "";
}

} // namespace bench_auth
