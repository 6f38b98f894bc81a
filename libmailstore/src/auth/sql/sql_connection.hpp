// What the SQL passdb/userdb need from a database: run a query, get rows of
// named columns (NULL distinguished from ''), escape a value for a string
// literal. SQLite is built in; PostgreSQL (libpq) and MariaDB drivers add a
// SqlConnection subclass and a case in open_sql_pool(), nothing else.
//
// Errors (an unreachable server, a missing or corrupt file, an SQL error)
// are temporary failures: the lookup fails with internal_failure, never
// "user unknown", and the connection is reopened on the next query.
#pragma once

#include "auth/sql/sql_config.hpp"

#include <mailstore/export.hpp>
#include <mailstore/status.hpp>

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailstore::auth::sql {

// One result row. `columns` is shared by all rows of a result.
struct SqlRow {
    const std::vector<std::string>* columns = nullptr;
    std::vector<std::optional<std::string>> values; // nullopt = NULL
};

// Values longer than this are cut (a stored password or a home never is).
inline constexpr std::size_t sql_value_max = 64 * 1024;

class MAILSTORE_INTERNAL_API SqlConnection {
public:
    virtual ~SqlConnection() = default;
    // Runs `query`, calling `each` for every row until it returns false.
    // Fails with Code::temporary_failure (message: what failed) on any
    // database error; the connection then reconnects on the next query.
    virtual Status query(std::string_view query, const std::function<bool(const SqlRow&)>& each) = 0;
    // `value` escaped for a '...' string literal of this database. Fails for
    // a value the database cannot hold (a NUL byte).
    virtual Result<std::string> escape(std::string_view value) const = 0;
};

// A bounded set of connections to one database shared by all threads: a
// query borrows an idle connection (opening one while fewer than `max`
// exist, else waiting) and returns it afterwards.
class MAILSTORE_INTERNAL_API SqlPool {
public:
    using Factory = std::function<std::unique_ptr<SqlConnection>()>;
    SqlPool(Factory factory, std::size_t max);
    Status query(std::string_view query, const std::function<bool(const SqlRow&)>& each);
    Result<std::string> escape(std::string_view value);

private:
    std::unique_ptr<SqlConnection> take();
    void give_back(std::unique_ptr<SqlConnection> c);
    Factory factory_;
    std::size_t max_;
    std::size_t open_ = 0;
    std::mutex mutex_;
    std::condition_variable idle_cv_;
    std::vector<std::unique_ptr<SqlConnection>> idle_;
};

// SQLite: `path` is the database file. It is opened lazily, read-only
// (SQLITE_OPEN_READONLY: a query that writes fails with "attempt to write a
// readonly database"), never created (a missing file is an error), with a
// busy timeout. Changes other processes commit, also to a WAL-mode
// database, are seen by the next query.
MAILSTORE_INTERNAL_API std::unique_ptr<SqlConnection> make_sqlite_connection(const std::string& path);

// The pool for cfg.driver; fails (naming the file and the `driver` line) for
// drivers not in this build. Opening is lazy: a database that is down now
// does not fail here, only the lookups while it is down.
MAILSTORE_INTERNAL_API Result<std::shared_ptr<SqlPool>> open_sql_pool(const SqlConfig& cfg);

} // namespace mailstore::auth::sql
