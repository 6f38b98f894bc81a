// passdb { driver = sql  args = /etc/loft/loft-sql.conf.ext }: password_query
// returns one row; its columns are the result's fields.
#include "auth/sql/sql_db.hpp"

namespace mailstore::auth {
namespace {

class SqlPassdb final : public PassdbDriver {
public:
    explicit SqlPassdb(sql::SqlDb db) : db_(std::move(db)), cache_key_(sql::query_cache_key(db_.cfg.password_query)) {}

    PassdbResult lookup(const AuthRequest& request) override {
        PassdbResult r;
        r.default_scheme = db_.cfg.default_pass_scheme;
        auto q = sql::expand_query(request, db_.cfg.password_query, *db_.pool);
        if (!q) {
            // A value the database cannot hold (a NUL byte) names no user.
            if (q.status().code() == Status::Code::not_found) {
                r.kind = PassdbResult::Kind::user_unknown;
                request.log.info("sql: " + q.status().message(), log::Category::auth);
                return r;
            }
            return failure(request, "password_query: " + q.status().message());
        }
        std::size_t rows = 0;
        bool has_password_column = false;
        std::string renamed;
        Status st = db_.pool->query(*q, [&](const sql::SqlRow& row) {
            if (++rows > 1)
                return false; // enough to know the query is ambiguous
            for (std::size_t i = 0; i < row.columns->size(); ++i) {
                const std::string& name = (*row.columns)[i];
                const auto& v = row.values[i];
                if (name == "password") {
                    has_password_column = true;
                    r.password = v ? *v : std::string();
                } else if (name == "password_noscheme") {
                    // The value is never read as "{SCHEME}data": it may
                    // itself start with "{".
                    has_password_column = true;
                    r.password = v && !v->empty() ? "{" + db_.cfg.default_pass_scheme + "}" + *v : std::string();
                }
            }
            renamed = sql::apply_row(row, request.user, r.fields, {"password", "password_noscheme"});
            return true;
        });
        if (!st)
            return failure(request, st.message());
        if (rows == 0) {
            r.kind = PassdbResult::Kind::user_unknown;
            request.log.info("sql(" + request.user + "): unknown user", log::Category::auth);
            return r;
        }
        // As Dovecot: an ambiguous result or one without a password column
        // is a configuration error, not an unknown user.
        if (rows > 1)
            return failure(request, "Password query returned multiple matches");
        if (!has_password_column)
            return failure(request, "Password query must return a field named 'password'");
        if (!renamed.empty())
            r.fields.set("user", renamed);
        r.kind = PassdbResult::Kind::ok;
        return r;
    }

    std::string cache_key() const override { return cache_key_; }

private:
    PassdbResult failure(const AuthRequest& request, const std::string& msg) const {
        PassdbResult r;
        r.kind = PassdbResult::Kind::internal_failure;
        r.default_scheme = db_.cfg.default_pass_scheme;
        r.error = "sql: " + msg;
        request.log.error(r.error);
        return r;
    }

    sql::SqlDb db_;
    std::string cache_key_;
};

} // namespace

Result<std::unique_ptr<PassdbDriver>> make_sql_passdb(const DriverArgs& args) {
    auto db = sql::open_sql_db(args);
    if (!db)
        return db.status();
    return std::unique_ptr<PassdbDriver>(std::make_unique<SqlPassdb>(std::move(*db)));
}

} // namespace mailstore::auth
