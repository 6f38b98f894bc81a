// The SQLite connection: one sqlite3 handle, used by one thread at a time
// (SqlPool lends it out), opened on first use and closed after any error so
// the next query reopens it (the file may have been replaced or repaired).
#include "auth/sql/sql_connection.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

namespace mailstore::auth::sql {
namespace {

// How long a query waits for a writer's lock before failing (temporarily).
constexpr int busy_timeout_ms = 5000;

class SqliteConnection final : public SqlConnection {
public:
    explicit SqliteConnection(std::string path) : path_(std::move(path)) {}
    ~SqliteConnection() override { close(); }
    SqliteConnection(const SqliteConnection&) = delete;
    SqliteConnection& operator=(const SqliteConnection&) = delete;

    Status query(std::string_view q, const std::function<bool(const SqlRow&)>& each) override {
        if (q.find('\0') != std::string_view::npos)
            return Status::error(Status::Code::invalid_argument, "query contains a NUL byte");
        if (Status st = open(); !st)
            return st;
        sqlite3_stmt* stmt = nullptr;
        const char* tail = nullptr;
        int rc = sqlite3_prepare_v2(db_, q.data(), static_cast<int>(q.size()), &stmt, &tail);
        if (rc != SQLITE_OK) {
            Status st = fail("query failed", rc);
            close();
            return st;
        }
        if (stmt == nullptr) // only whitespace or a comment
            return Status::ok();
        std::vector<std::string> columns;
        int ncol = sqlite3_column_count(stmt);
        for (int i = 0; i < ncol; ++i) {
            const char* name = sqlite3_column_name(stmt, i);
            columns.emplace_back(name ? name : "");
        }
        SqlRow row;
        row.columns = &columns;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            row.values.clear();
            for (int i = 0; i < ncol; ++i) {
                if (sqlite3_column_type(stmt, i) == SQLITE_NULL) {
                    row.values.emplace_back(std::nullopt);
                    continue;
                }
                const unsigned char* text = sqlite3_column_text(stmt, i);
                int len = sqlite3_column_bytes(stmt, i);
                std::size_t n = len < 0 ? 0 : static_cast<std::size_t>(len);
                if (n > sql_value_max)
                    n = sql_value_max;
                row.values.emplace_back(std::string(reinterpret_cast<const char*>(text), text ? n : 0));
            }
            if (!each(row)) {
                rc = SQLITE_DONE;
                break;
            }
        }
        if (rc != SQLITE_DONE) {
            Status st = fail("query failed", rc);
            sqlite3_finalize(stmt);
            close();
            return st;
        }
        sqlite3_finalize(stmt);
        return Status::ok();
    }

    // A string literal's only special character is the single quote,
    // written twice. SQLite strings cannot hold NUL from SQL text.
    Result<std::string> escape(std::string_view value) const override {
        if (value.find('\0') != std::string_view::npos)
            return Status::invalid("value contains a NUL byte");
        std::string out;
        out.reserve(value.size());
        for (char c : value) {
            out += c;
            if (c == '\'')
                out += '\'';
        }
        return out;
    }

private:
    Status open() {
        // A database replaced by rename (the usual way to publish a new
        // one) or removed is reopened: an open handle would keep reading
        // the old file.
        struct stat st {};
        bool exists = ::stat(path_.c_str(), &st) == 0;
        if (db_ != nullptr && (!exists || st.st_ino != ino_ || st.st_dev != dev_))
            close();
        if (db_ != nullptr)
            return Status::ok();
        ino_ = exists ? st.st_ino : 0;
        dev_ = exists ? st.st_dev : 0;
        // Read-only: auth only runs SELECTs, and a query (a typo in a
        // password_query, or one built from a hostile value) must never be
        // able to change the database. No SQLITE_OPEN_CREATE either: a
        // missing database is an error, not a new empty file that would
        // make every user unknown. A WAL-mode database still reads the
        // other process's -wal file; SQLite (3.22 and later) creates the
        // -wal/-shm files when the directory is writable, or uses existing
        // ones read-only.
        int rc = sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
        if (rc != SQLITE_OK) {
            Status st = fail("cannot open database", rc);
            close();
            return st;
        }
        sqlite3_busy_timeout(db_, busy_timeout_ms);
        sqlite3_extended_result_codes(db_, 1);
        return Status::ok();
    }

    // The message for a failed call (the handle is closed by the caller, so
    // the next query reopens it).
    Status fail(std::string_view what, int rc) const {
        std::string msg = "sqlite " + path_ + ": " + std::string(what) + ": ";
        msg += db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        // The read-only connection cannot do what a writer would do for it:
        // say what the admin can change.
        if (rc == SQLITE_READONLY_DIRECTORY)
            msg += " (a WAL-mode database needs its -wal and -shm files: let this process create them in the "
                   "directory, keep them present and readable, or use journal_mode=DELETE)";
        else if (rc == SQLITE_READONLY_ROLLBACK)
            msg += " (a writer crashed mid-transaction: its journal is rolled back when a writer opens the database)";
        return Status::error(Status::Code::temporary_failure, std::move(msg));
    }

    void close() {
        if (db_ != nullptr) {
            sqlite3_close_v2(db_);
            db_ = nullptr;
        }
    }

    std::string path_;
    sqlite3* db_ = nullptr;
    ino_t ino_ = 0; // of the file db_ was opened from
    dev_t dev_ = 0;
};

} // namespace

std::unique_ptr<SqlConnection> make_sqlite_connection(const std::string& path) {
    return std::make_unique<SqliteConnection>(path);
}

} // namespace mailstore::auth::sql
