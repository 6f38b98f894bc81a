#include "session/uidonly.hpp"

#include <vector>

namespace imapproto::detail {

namespace search = mailstore::search;

std::string fetch_response_head(bool uidonly, mailstore::storage::Seq seq, mailstore::storage::Uid uid) {
    if (uidonly)
        return std::to_string(uid) + " UIDFETCH (";
    return std::to_string(seq) + " FETCH (";
}

std::string uidonly_refusal(bool uidonly, const Command& cmd) {
    if (!uidonly || cmd.uid)
        return {};
    // The session upper-cases command names before dispatch.
    // REPLACE (RFC 8508) names the message it replaces by number too.
    static constexpr std::string_view kNumbered[] = {"FETCH", "STORE",  "COPY",   "MOVE",
                                                     "SEARCH", "SORT", "THREAD", "REPLACE"};
    for (std::string_view name : kNumbered)
        if (cmd.name == name)
            return std::string(kUidRequired);
    return {};
}

bool refuse_sequence_search_keys(Context& ctx, const search::Program& program) {
    if (!uidonly(ctx))
        return false;
    // Iterative: the parser bounds nesting, but a walk needs no stack depth.
    std::vector<const search::Node*> todo{&program.root};
    while (!todo.empty()) {
        const search::Node* node = todo.back();
        todo.pop_back();
        if (node->key == search::Key::sequence && !node->set.saved) {
            ctx.finish_bad(kUidRequired);
            return true;
        }
        for (const auto& child : node->children)
            todo.push_back(&child);
    }
    return false;
}

} // namespace imapproto::detail
