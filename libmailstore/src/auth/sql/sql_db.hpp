// What the SQL passdb and userdb share: the settings file, the connection
// pool, query expansion with every value escaped, and turning a result row
// into fields.
#pragma once

#include "auth/db/drivers.hpp"
#include "auth/sql/sql_config.hpp"
#include "auth/sql/sql_connection.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace mailstore::auth::sql {

struct SqlDb {
    SqlConfig cfg;
    std::shared_ptr<SqlPool> pool;
};

// Reads the settings file named by args.args and opens the pool.
Result<SqlDb> open_sql_db(const DriverArgs& args);

// `tmpl` with the request's %variables, each inserted value escaped for the
// database. Fails with Code::not_found for a value the database cannot hold
// (a NUL byte: no such user can exist), with another code for a template
// error (a configuration problem).
Result<std::string> expand_query(const AuthRequest& request, std::string_view tmpl, SqlPool& pool);

// The auth-cache key of a query: every %variable it uses, in order, once
// each ("%n\t%d"), so two requests share a cached result only when the query
// would be the same for both.
MAILSTORE_INTERNAL_API std::string query_cache_key(std::string_view query);

// Applies a row to `fields`: NULL columns are skipped; `user` renames;
// `username` replaces the local part and `domain` the domain of the user
// name (starting from `user`), so username+domain combine into user.
// Columns named in `skip` (password, password_noscheme) are left out.
// Returns the resulting user name when the row renamed it, else "".
std::string apply_row(const SqlRow& row, std::string_view user, FieldList& fields,
                      std::initializer_list<std::string_view> skip = {});

} // namespace mailstore::auth::sql
