#include "auth/sql/sql_db.hpp"

namespace mailstore::auth::sql {
namespace {
std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}
} // namespace

Result<SqlDb> open_sql_db(const DriverArgs& args) {
    std::string path(trim(args.args));
    if (path.empty())
        return Status::invalid(args.where.to_string() + ": " + args.driver +
                               ": args must name the SQL settings file (dovecot-sql.conf.ext)");
    auto cfg = load_sql_config(path);
    if (!cfg) {
        if (cfg.status().code() == Status::Code::not_found)
            return Status::invalid(args.where.to_string() + ": " + cfg.status().message());
        return cfg.status();
    }
    auto pool = open_sql_pool(*cfg);
    if (!pool)
        return pool.status();
    return SqlDb{std::move(*cfg), std::move(*pool)};
}

Result<std::string> expand_query(const AuthRequest& request, std::string_view tmpl, SqlPool& pool) {
    Status bad;
    auto escape = [&](std::string_view v) -> std::string {
        auto e = pool.escape(v);
        if (!e) {
            if (bad) // the first one
                bad = Status::not_found(e.status().message());
            return {};
        }
        return std::move(*e);
    };
    auto q = request.expand(tmpl, escape, true);
    if (!q)
        return q.status();
    if (!bad)
        return bad;
    return q;
}

std::string query_cache_key(std::string_view q) {
    std::vector<std::string> seen;
    for (std::size_t i = 0; i < q.size(); ++i) {
        if (q[i] != '%')
            continue;
        std::size_t start = i++;
        if (i < q.size() && q[i] == '%')
            continue; // "%%" is a literal percent sign
        while (i < q.size() && (q[i] == '-' || q[i] == '.' || (q[i] >= '0' && q[i] <= '9')))
            ++i;
        // Modifier letters (L, U, E, ...) before the variable letter.
        while (i + 1 < q.size() && std::string_view("LUEXRHNMDT").find(q[i]) != std::string_view::npos &&
               q[i + 1] != '\'' && q[i + 1] != ' ')
            ++i;
        if (i < q.size() && q[i] == '{') {
            std::size_t close = q.find('}', i);
            i = close == std::string_view::npos ? q.size() - 1 : close;
        }
        std::string token(q.substr(start, i + 1 - start));
        bool dup = false;
        for (const auto& s : seen)
            dup = dup || s == token;
        if (!dup)
            seen.push_back(token);
    }
    std::string key;
    for (const auto& s : seen) {
        if (!key.empty())
            key += '\t';
        key += s;
    }
    return key;
}

std::string apply_row(const SqlRow& row, std::string_view user, FieldList& fields,
                      std::initializer_list<std::string_view> skip) {
    std::string current(user);
    bool renamed = false;
    for (std::size_t i = 0; i < row.values.size() && i < row.columns->size(); ++i) {
        const std::string& name = (*row.columns)[i];
        const auto& value = row.values[i];
        if (!value || name.empty())
            continue;
        bool skipped = false;
        for (auto s : skip)
            skipped = skipped || name == s;
        if (skipped)
            continue;
        std::size_t at = current.find('@');
        if (name == "user") {
            current = *value;
            renamed = true;
        } else if (name == "username") {
            // A new local part; the domain stays unless the value has one.
            current = value->find('@') != std::string::npos || at == std::string::npos
                          ? *value
                          : *value + current.substr(at);
            renamed = true;
        } else if (name == "domain") {
            std::string local = at == std::string::npos ? current : current.substr(0, at);
            current = value->empty() ? local : local + "@" + *value;
            renamed = true;
        } else {
            fields.set(name, *value);
        }
    }
    return renamed ? current : std::string();
}

} // namespace mailstore::auth::sql
