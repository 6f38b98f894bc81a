#include "workload.hpp"

#include <algorithm>
#include <map>
#include <memory>

#include "core/json.hpp"

namespace loadgen {

void WorkloadResult::set_extra(std::string_view key, std::int64_t value) {
    set_extra_json(key, std::to_string(value));
}
void WorkloadResult::set_extra(std::string_view key, std::uint64_t value) {
    set_extra_json(key, std::to_string(value));
}
void WorkloadResult::set_extra(std::string_view key, double value) {
    set_extra_json(key, json_number(value));
}
void WorkloadResult::set_extra_string(std::string_view key, std::string_view value) {
    set_extra_json(key, json_string(value));
}
void WorkloadResult::set_extra_json(std::string_view key, std::string json) {
    for (auto& entry : extra) {
        if (entry.first == key) {
            entry.second = std::move(json);
            return;
        }
    }
    extra.emplace_back(std::string(key), std::move(json));
}

std::string WorkloadResult::to_json() const {
    std::string out = "{\"workload\": " + json_string(workload);
    if (!server_label.empty())
        out += ", \"server_label\": " + json_string(server_label);
    out += ", \"duration_s\": " + json_number(duration_s);
    out += ", \"ops\": " + std::to_string(ops);
    out += ", \"ops_per_s\": " + json_number(ops_per_s());
    out += ", \"errors\": " + std::to_string(errors);
    out += ", \"commands\": " + commands.to_json();
    out += ", \"extra\": {";
    for (std::size_t i = 0; i < extra.size(); ++i) {
        if (i)
            out += ", ";
        out += json_string(extra[i].first) + ": " + extra[i].second;
    }
    out += "}}\n";
    return out;
}

namespace {
// Function-local so registration from other files' static initialisers works
// whatever the initialisation order.
std::map<std::string, std::unique_ptr<WorkloadInfo>, std::less<>>& registry() {
    static std::map<std::string, std::unique_ptr<WorkloadInfo>, std::less<>> r;
    return r;
}
} // namespace

bool register_workload(std::string name, std::string description, WorkloadFn fn) {
    auto info = std::make_unique<WorkloadInfo>();
    info->name = name;
    info->description = std::move(description);
    info->run = std::move(fn);
    registry()[std::move(name)] = std::move(info);
    return true;
}

const WorkloadInfo* find_workload(std::string_view name) {
    auto it = registry().find(name);
    return it == registry().end() ? nullptr : it->second.get();
}

std::vector<const WorkloadInfo*> all_workloads() {
    std::vector<const WorkloadInfo*> out;
    for (const auto& entry : registry())
        out.push_back(entry.second.get());
    return out;
}

} // namespace loadgen
