#include "auth/sql/sql_connection.hpp"

namespace mailstore::auth::sql {

SqlPool::SqlPool(Factory factory, std::size_t max) : factory_(std::move(factory)), max_(max == 0 ? 1 : max) {}

std::unique_ptr<SqlConnection> SqlPool::take() {
    std::unique_lock lock(mutex_);
    idle_cv_.wait(lock, [&] { return !idle_.empty() || open_ < max_; });
    if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return c;
    }
    ++open_;
    lock.unlock();
    return factory_();
}

void SqlPool::give_back(std::unique_ptr<SqlConnection> c) {
    {
        std::lock_guard lock(mutex_);
        idle_.push_back(std::move(c));
    }
    idle_cv_.notify_one();
}

Status SqlPool::query(std::string_view q, const std::function<bool(const SqlRow&)>& each) {
    auto c = take();
    Status st = c->query(q, each);
    give_back(std::move(c));
    return st;
}

Result<std::string> SqlPool::escape(std::string_view value) {
    auto c = take();
    auto r = c->escape(value);
    give_back(std::move(c));
    return r;
}

Result<std::shared_ptr<SqlPool>> open_sql_pool(const SqlConfig& cfg) {
    if (cfg.driver == "sqlite") {
        std::string path = cfg.connect;
        return std::make_shared<SqlPool>([path] { return make_sqlite_connection(path); }, 4);
    }
    std::string where = cfg.path + ":" + std::to_string(cfg.driver_line) + ": ";
    if (cfg.driver == "pgsql" || cfg.driver == "mysql")
        return Status::invalid(where + "driver " + cfg.driver +
                               " is not available in this build; PostgreSQL and MariaDB come later");
    return Status::invalid(where + "unknown SQL driver '" + cfg.driver + "' (sqlite, pgsql or mysql)");
}

} // namespace mailstore::auth::sql
