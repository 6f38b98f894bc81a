// userdb { driver = sql  args = /etc/loft/loft-sql.conf.ext }: user_query
// gives the user's fields (the first row), iterate_query lists the users.
#include "auth/sql/sql_db.hpp"

namespace mailstore::auth {
namespace {

class SqlUserdb final : public UserdbDriver {
public:
    explicit SqlUserdb(sql::SqlDb db) : db_(std::move(db)), cache_key_(sql::query_cache_key(db_.cfg.user_query)) {}

    UserdbResult lookup(const AuthRequest& request) override {
        UserdbResult r;
        auto q = sql::expand_query(request, db_.cfg.user_query, *db_.pool);
        if (!q) {
            if (q.status().code() == Status::Code::not_found) {
                request.log.info("sql: " + q.status().message(), log::Category::auth);
                return r; // user_unknown
            }
            return failure(request, "user_query: " + q.status().message());
        }
        bool found = false;
        std::string renamed;
        Status st = db_.pool->query(*q, [&](const sql::SqlRow& row) {
            found = true;
            renamed = sql::apply_row(row, request.user, r.fields);
            return false; // the first row
        });
        if (!st)
            return failure(request, st.message());
        if (!found) {
            request.log.info("sql(" + request.user + "): unknown user", log::Category::auth);
            return r;
        }
        if (!renamed.empty())
            r.fields.set("user", renamed);
        r.kind = UserdbResult::Kind::ok;
        return r;
    }

    bool can_iterate() const override { return true; }

    Status iterate(const std::function<bool(std::string_view user)>& each) override {
        Status bad_row;
        Status st = db_.pool->query(db_.cfg.iterate_query, [&](const sql::SqlRow& row) {
            FieldList unused;
            std::string user = sql::apply_row(row, "", unused);
            if (user.empty() || user.front() == '@') {
                bad_row = Status::invalid("iterate_query must return a 'user' column or "
                                          "'username' and 'domain' columns");
                return false;
            }
            return each(user);
        });
        if (!st)
            return Status::error(Status::Code::temporary_failure, "sql: " + st.message());
        if (!bad_row)
            return Status::error(bad_row.code(), db_.cfg.path + ": " + bad_row.message());
        return Status::ok();
    }

    std::string cache_key() const override { return cache_key_; }

private:
    UserdbResult failure(const AuthRequest& request, const std::string& msg) const {
        UserdbResult r;
        r.kind = UserdbResult::Kind::internal_failure;
        r.error = "sql: " + msg;
        request.log.error(r.error);
        return r;
    }

    sql::SqlDb db_;
    std::string cache_key_;
};

} // namespace

Result<std::unique_ptr<UserdbDriver>> make_sql_userdb(const DriverArgs& args) {
    auto db = sql::open_sql_db(args);
    if (!db)
        return db.status();
    return std::unique_ptr<UserdbDriver>(std::make_unique<SqlUserdb>(std::move(*db)));
}

} // namespace mailstore::auth
