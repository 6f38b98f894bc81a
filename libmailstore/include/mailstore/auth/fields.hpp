// Extra fields of a passdb or userdb result: an ordered list of key=value
// pairs ("uid=10000", "home=/srv/mail/alice", "nologin", "reason=..."). A
// bare key (a boolean field such as `nodelay` or `proxy`) has an empty value.
// Keys are unique: set() replaces an earlier value in place.
#pragma once

#include <mailstore/export.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailstore::auth {

class FieldList {
public:
    using Field = std::pair<std::string, std::string>;

    FieldList() = default;
    FieldList(std::initializer_list<Field> fields) {
        for (const auto& f : fields)
            set(f.first, f.second);
    }

    // The value of `key`, or nullopt when absent.
    std::optional<std::string> get(std::string_view key) const {
        for (const auto& f : fields_)
            if (f.first == key)
                return f.second;
        return std::nullopt;
    }
    // The value of `key`, or `fallback` when absent.
    std::string get_or(std::string_view key, std::string_view fallback) const {
        auto v = get(key);
        return v ? *v : std::string(fallback);
    }
    bool has(std::string_view key) const { return get(key).has_value(); }
    // Sets `key` (replacing an earlier value at its position, else appending).
    void set(std::string_view key, std::string_view value = {}) {
        for (auto& f : fields_)
            if (f.first == key) {
                f.second.assign(value);
                return;
            }
        fields_.emplace_back(std::string(key), std::string(value));
    }
    // Removes `key`; true when it was there.
    bool erase(std::string_view key) {
        for (auto it = fields_.begin(); it != fields_.end(); ++it)
            if (it->first == key) {
                fields_.erase(it);
                return true;
            }
        return false;
    }
    bool empty() const { return fields_.empty(); }
    std::size_t size() const { return fields_.size(); }
    auto begin() const { return fields_.begin(); }
    auto end() const { return fields_.end(); }
    const std::vector<Field>& items() const { return fields_; }

private:
    std::vector<Field> fields_;
};

} // namespace mailstore::auth
