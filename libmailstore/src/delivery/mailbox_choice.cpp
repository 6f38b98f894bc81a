// Mailbox choice (docs/delivery.md, "Choosing the mailbox").
#include "delivery/mailbox_choice.hpp"

#include <algorithm>

namespace mailstore::delivery {

namespace {

bool is_inbox(std::string_view name) {
    if (name.size() != 5)
        return false;
    for (std::size_t i = 0; i < 5; ++i)
        if ((name[i] | 0x20) != "inbox"[i])
            return false;
    return true;
}

bool same_mailbox(std::string_view a, std::string_view b) {
    return a == b || (is_inbox(a) && is_inbox(b));
}

} // namespace

std::string default_mailbox(const Recipient& recipient, std::string_view detail, bool save_to_detail) {
    if (!recipient.mailbox.empty())
        return recipient.mailbox;
    if (save_to_detail && !detail.empty())
        return std::string(detail);
    return "INBOX";
}

std::vector<SaveTarget> choose_targets(const std::vector<Action>& actions, const std::string& default_name) {
    std::vector<SaveTarget> targets;
    auto add = [&](const std::string& name, const Action& action, bool is_default) {
        for (auto& t : targets) {
            if (!same_mailbox(t.mailbox, name))
                continue;
            t.flags |= action.flags;
            for (const auto& k : action.keywords)
                if (std::find(t.keywords.begin(), t.keywords.end(), k) == t.keywords.end())
                    t.keywords.push_back(k);
            t.is_default = t.is_default || is_default;
            return;
        }
        targets.push_back({name, action.flags, action.keywords, is_default});
    };
    if (actions.empty()) {
        add(default_name, Action{}, true);
        return targets;
    }
    for (const auto& action : actions) {
        switch (action.kind) {
        case Action::Kind::keep:
            add(default_name, action, true);
            break;
        case Action::Kind::fileinto:
            if (action.mailbox.empty())
                add(default_name, action, true);
            else
                add(action.mailbox, action, false);
            break;
        case Action::Kind::discard:
            break;
        }
    }
    return targets;
}

} // namespace mailstore::delivery
