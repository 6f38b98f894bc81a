// THREAD algorithms (RFC 5256 §3): ORDEREDSUBJECT, REFERENCES and
// Dovecot's REFS, over header data already extracted (ThreadMessage).
//
// Everything is index-linked arrays and hash tables: no recursion, no
// per-node allocation, no quadratic step on ordinary mail (the loop check of
// step 1 walks up parents only when the would-be child already has children).
#include <mailstore/mime/casemap.hpp>
#include <mailstore/thread.hpp>

#include <algorithm>
#include <charconv>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace mailstore::search {

namespace {

constexpr std::uint32_t none = ThreadNode::none;

bool ascii_iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        unsigned char x = static_cast<unsigned char>(a[i]);
        unsigned char y = static_cast<unsigned char>(b[i]);
        if (x >= 'a' && x <= 'z')
            x = static_cast<unsigned char>(x - 32);
        if (y >= 'a' && y <= 'z')
            y = static_cast<unsigned char>(y - 32);
        if (x != y)
            return false;
    }
    return true;
}

// RFC 5256 §2.2: by sent date, ties by sequence number.
struct Key {
    std::int64_t date = 0;
    std::uint32_t seq = 0;
    std::uint32_t group = 0; // REFS only: ranks before seq (see latest_keys)
    bool operator<(const Key& o) const {
        if (date != o.date)
            return date < o.date;
        return group != o.group ? group < o.group : seq < o.seq;
    }
};

// A tree under construction: one node per message (same index as in
// `messages`), dummies after them; parents only, children lists are made
// at the end from a global sort so every sibling list comes out ordered.
struct Forest {
    std::vector<std::uint32_t> parent; // none: a thread root
    std::vector<Key> key;              // messages: own key; dummies: their first child's
    std::vector<std::uint32_t> seq;    // 0 for dummies

    std::uint32_t add(std::uint32_t s, Key k) {
        parent.push_back(none);
        key.push_back(k);
        seq.push_back(s);
        return static_cast<std::uint32_t>(parent.size() - 1);
    }
    std::uint32_t size() const { return static_cast<std::uint32_t>(parent.size()); }
};

// Builds the ThreadTree of `f`: children ordered by key (RFC 5256 §3 step 6:
// a dummy sorts by its first child), roots in the order of `root_key`.
ThreadTree finish(Forest& f, const std::vector<Key>* root_key = nullptr) {
    const std::uint32_t n = f.size();
    ThreadTree tree;
    tree.nodes.resize(n);
    for (std::uint32_t i = 0; i < n; ++i)
        tree.nodes[i].seq = f.seq[i];
    // Dummies (only roots) sort by their earliest child.
    for (std::uint32_t i = 0; i < n; ++i) {
        std::uint32_t p = f.parent[i];
        if (p != none && f.seq[p] == 0 && (f.key[p].seq == 0 || f.key[i] < f.key[p]))
            f.key[p] = f.key[i];
    }
    std::vector<std::uint32_t> order(n);
    for (std::uint32_t i = 0; i < n; ++i)
        order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return f.key[a] < f.key[b]; });
    // Prepending in descending order leaves every list ascending.
    std::vector<std::uint32_t> roots;
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
        std::uint32_t i = *it;
        std::uint32_t p = f.parent[i];
        if (p == none) {
            if (f.seq[i] != 0 || f.key[i].seq != 0) // a dummy left without children is dropped
                roots.push_back(i);
            continue;
        }
        tree.nodes[i].next_sibling = tree.nodes[p].first_child;
        tree.nodes[p].first_child = i;
    }
    std::reverse(roots.begin(), roots.end());
    if (root_key != nullptr)
        std::stable_sort(roots.begin(), roots.end(),
                         [&](std::uint32_t a, std::uint32_t b) { return (*root_key)[a] < (*root_key)[b]; });
    for (std::size_t i = roots.size(); i-- > 0;) {
        tree.nodes[roots[i]].next_sibling = tree.first_root;
        tree.first_root = roots[i];
    }
    return tree;
}

// ORDEREDSUBJECT (RFC 5256 §3): groups of equal base subject (the empty
// one included) sorted by sent date; the first message of a group is the
// parent of all the others; groups ordered by their first message.
ThreadTree ordered_subject(const std::vector<ThreadMessage>& msgs) {
    Forest f;
    const auto n = static_cast<std::uint32_t>(msgs.size());
    f.parent.reserve(n);
    for (const auto& m : msgs)
        f.add(m.seq, Key{m.sent_date, m.seq});
    std::unordered_map<std::string_view, std::uint32_t> first; // subject -> earliest message
    first.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        auto [it, added] = first.try_emplace(msgs[i].base_subject, i);
        if (!added && f.key[i] < f.key[it->second])
            it->second = i;
    }
    for (std::uint32_t i = 0; i < n; ++i) {
        std::uint32_t head = first.find(msgs[i].base_subject)->second;
        if (head != i)
            f.parent[i] = head;
    }
    return finish(f);
}

// Message-ID -> box index: open addressing with linear probing over a
// power-of-two array, the hash kept per slot. The step 1 loop looks up
// every reference of every message (millions in a big mailbox), where a
// node-based std::unordered_map spends its time in cache misses.
class IdTable {
public:
    void reserve(std::size_t entries) {
        std::size_t cap = 16;
        while (cap < entries * 2)
            cap *= 2;
        rehash(cap);
    }

    // The box of `id`, or `fresh` (then recorded) when it has none yet.
    std::pair<std::uint32_t, bool> find_or_add(std::string_view id, std::uint32_t fresh) {
        if ((size_ + 1) * 2 > box_.size())
            rehash(box_.size() * 2);
        const std::uint64_t h = std::hash<std::string_view>{}(id);
        const std::size_t mask = box_.size() - 1;
        for (std::size_t i = static_cast<std::size_t>(h) & mask;; i = (i + 1) & mask) {
            if (box_[i] == none) {
                box_[i] = fresh;
                hash_[i] = h;
                key_[i] = id;
                ++size_;
                return {fresh, true};
            }
            if (hash_[i] == h && key_[i] == id)
                return {box_[i], false};
        }
    }

private:
    void rehash(std::size_t cap) {
        std::vector<std::uint32_t> box(cap, none);
        std::vector<std::uint64_t> hash(cap);
        std::vector<std::string_view> key(cap);
        const std::size_t mask = cap - 1;
        for (std::size_t j = 0; j < box_.size(); ++j) {
            if (box_[j] == none)
                continue;
            std::size_t i = static_cast<std::size_t>(hash_[j]) & mask;
            while (box[i] != none)
                i = (i + 1) & mask;
            box[i] = box_[j];
            hash[i] = hash_[j];
            key[i] = key_[j];
        }
        box_.swap(box);
        hash_.swap(hash);
        key_.swap(key);
    }

    std::vector<std::uint32_t> box_;
    std::vector<std::uint64_t> hash_;
    std::vector<std::string_view> key_;
    std::size_t size_ = 0;
};

// REFERENCES (RFC 5256 §3 steps 1-6) and REFS (steps 1-4 and 6, threads
// ordered by their latest message).
class ReferenceThreader {
public:
    ReferenceThreader(const std::vector<ThreadMessage>& msgs, bool merge_subjects)
        : msgs_(msgs), merge_subjects_(merge_subjects) {}

    ThreadTree run() {
        link_references();
        Forest f = prune();
        if (!merge_subjects_)
            return finish(f, &latest_keys(f));
        merge_by_subject(f);
        return finish(f);
    }

private:
    // --- step 1: the id table and the parent links between containers ---
    struct Box {
        std::uint32_t msg = none; // none: a dummy (an id no message has)
        std::uint32_t parent = none;
        std::uint32_t children = 0;
    };

    std::uint32_t box_of(std::string_view id) {
        auto [box, added] = ids_.find_or_add(id, static_cast<std::uint32_t>(boxes_.size()));
        if (added)
            boxes_.push_back(Box{});
        return box;
    }

    // Whether making `p` the parent of `c` would make a loop: `p` is `c`
    // or one of its descendants. A box without children has none.
    bool would_loop(std::uint32_t p, std::uint32_t c) const {
        if (p == c)
            return true;
        if (boxes_[c].children == 0)
            return false;
        for (std::uint32_t x = boxes_[p].parent; x != none; x = boxes_[x].parent)
            if (x == c)
                return true;
        return false;
    }

    void link(std::uint32_t p, std::uint32_t c) {
        boxes_[c].parent = p;
        ++boxes_[p].children;
    }

    void unlink(std::uint32_t c) {
        --boxes_[boxes_[c].parent].children;
        boxes_[c].parent = none;
    }

    void link_references() {
        const auto n = static_cast<std::uint32_t>(msgs_.size());
        boxes_.reserve(n * 2);
        ids_.reserve(n * 2);
        msg_box_.resize(n);
        // Messages are in sequence order, so the first of several with one
        // Message-ID keeps it; the others (and those without) get a box of
        // their own no reference can name.
        for (std::uint32_t i = 0; i < n; ++i) {
            std::uint32_t b = none;
            if (!msgs_[i].message_id.empty()) {
                b = box_of(msgs_[i].message_id);
                if (boxes_[b].msg != none)
                    b = none;
            }
            if (b == none) {
                b = static_cast<std::uint32_t>(boxes_.size());
                boxes_.push_back(Box{});
            }
            boxes_[b].msg = i;
            msg_box_[i] = b;
        }
        for (std::uint32_t i = 0; i < n; ++i) {
            const auto& refs = msgs_[i].references;
            std::uint32_t prev = none;
            for (const auto& r : refs) {
                std::uint32_t b = box_of(r);
                // 1.A: an existing link stays (References may be truncated).
                if (prev != none && boxes_[b].parent == none && !would_loop(prev, b))
                    link(prev, b);
                prev = b;
            }
            // 1.B: the last reference is the parent, replacing any link.
            std::uint32_t self = msg_box_[i];
            if (boxes_[self].parent != none)
                unlink(self);
            if (prev != none && !would_loop(prev, self))
                link(prev, self);
        }
    }

    // --- steps 2 and 3: roots, and dummies pruned ---
    // Below a root a dummy is replaced by its children, so a message's
    // parent is its nearest ancestor that is a message. The messages whose
    // ancestors are all dummies share the topmost one: alone, a message
    // becomes a root; several stay siblings under a dummy root.
    Forest prune() {
        const auto nb = static_cast<std::uint32_t>(boxes_.size());
        std::vector<std::uint32_t> real(nb, none - 1); // nearest message box above or at; none - 1: not known yet
        std::vector<std::uint32_t> top(nb, none);
        std::vector<std::uint32_t> path;
        for (std::uint32_t b = 0; b < nb; ++b) {
            std::uint32_t x = b;
            while (real[x] == none - 1 && boxes_[x].msg == none && boxes_[x].parent != none) {
                path.push_back(x);
                x = boxes_[x].parent;
            }
            if (real[x] == none - 1) {
                // A message, or a dummy without a parent: the top of a
                // dummy-only chain.
                real[x] = boxes_[x].msg != none ? x : none;
                top[x] = boxes_[x].msg != none ? none : x;
            }
            for (auto it = path.rbegin(); it != path.rend(); ++it) {
                real[*it] = real[x];
                top[*it] = top[x];
            }
            path.clear();
        }
        Forest f;
        const auto n = static_cast<std::uint32_t>(msgs_.size());
        f.parent.reserve(n + n / 4);
        for (const auto& m : msgs_)
            f.add(m.seq, Key{m.sent_date, m.seq});
        std::vector<std::uint32_t> first_under(nb, none); // per top dummy: its first message, then the dummy node
        for (std::uint32_t i = 0; i < n; ++i) {
            std::uint32_t p = boxes_[msg_box_[i]].parent;
            if (p == none)
                continue;
            if (real[p] != none) {
                f.parent[i] = boxes_[real[p]].msg;
                continue;
            }
            std::uint32_t t = top[p];
            std::uint32_t& slot = first_under[t];
            if (slot == none) {
                slot = i; // maybe the only one: then it stays a root
            } else if (f.seq[slot] != 0) {
                std::uint32_t d = f.add(0, Key{0, 0});
                f.parent[slot] = d;
                f.parent[i] = d;
                slot = d;
            } else {
                f.parent[i] = slot;
            }
        }
        promoted_.assign(n, false);
        for (std::uint32_t slot : first_under)
            if (slot != none && f.seq[slot] != 0)
                promoted_[slot] = true;
        return f;
    }

    // REFS: a thread's place is the sent date of its latest message. On a
    // tie Dovecot (2.3.19, observed) puts first the threads whose top is a
    // dummy (also one pruned away because it had a single child), then the
    // others by their root's sequence number.
    const std::vector<Key>& latest_keys(const Forest& f) {
        const std::uint32_t n = f.size();
        latest_.assign(n, Key{});
        // A parent may come after its child in the arrays: find each
        // node's root with path compression.
        std::vector<std::uint32_t> root(n, none);
        std::vector<std::uint32_t> path;
        for (std::uint32_t i = 0; i < n; ++i) {
            std::uint32_t x = i;
            while (root[x] == none && f.parent[x] != none) {
                path.push_back(x);
                x = f.parent[x];
            }
            std::uint32_t r = root[x] == none ? x : root[x];
            root[x] = r;
            for (auto v : path)
                root[v] = r;
            path.clear();
            if (f.seq[i] != 0 && (latest_[r].seq == 0 || latest_[r] < f.key[i]))
                latest_[r] = f.key[i];
        }
        for (std::uint32_t r = 0; r < n; ++r) {
            if (f.parent[r] != none)
                continue;
            bool dummy_top = f.seq[r] == 0 || (r < promoted_.size() && promoted_[r]);
            latest_[r].group = dummy_top ? 0 : 1;
            latest_[r].seq = f.seq[r] != 0 ? f.seq[r] : f.key[r].seq;
        }
        return latest_;
    }

    // --- steps 4 and 5: threads with the same base subject merged ---
    void merge_by_subject(Forest& f) {
        const std::uint32_t n0 = f.size();
        // Step 4: roots by sent date, a dummy by its first (earliest) child.
        std::vector<std::uint32_t> first_child(n0, none);
        for (std::uint32_t i = 0; i < n0; ++i) {
            std::uint32_t p = f.parent[i];
            if (p != none && f.seq[p] == 0 && (first_child[p] == none || f.key[i] < f.key[first_child[p]]))
                first_child[p] = i;
        }
        std::vector<std::uint32_t> roots;
        for (std::uint32_t i = 0; i < n0; ++i) {
            if (f.parent[i] != none)
                continue;
            if (f.seq[i] == 0)
                f.key[i] = f.key[first_child[i]];
            roots.push_back(i);
        }
        std::sort(roots.begin(), roots.end(), [&](std::uint32_t a, std::uint32_t b) { return f.key[a] < f.key[b]; });
        auto subject_msg = [&](std::uint32_t node) { return f.seq[node] != 0 ? node : first_child[node]; };
        auto is_dummy = [&](std::uint32_t node) { return f.seq[node] == 0; };
        // Dummies' children, for merging two dummies (5.C).
        std::vector<std::vector<std::uint32_t>> dummy_children;
        std::vector<std::uint32_t> dummy_slot(n0, none);
        auto children_of = [&](std::uint32_t d) -> std::vector<std::uint32_t>& {
            if (dummy_slot[d] == none) {
                dummy_slot[d] = static_cast<std::uint32_t>(dummy_children.size());
                dummy_children.emplace_back();
            }
            return dummy_children[dummy_slot[d]];
        };
        for (std::uint32_t i = 0; i < n0; ++i)
            if (f.parent[i] != none && is_dummy(f.parent[i]))
                children_of(f.parent[i]).push_back(i);
        // 5.A/B: one thread per subject: a dummy wins over a message, a
        // message that is no reply wins over a reply.
        std::unordered_map<std::string_view, std::uint32_t> table;
        table.reserve(roots.size());
        for (std::uint32_t r : roots) {
            const auto& subject = msgs_[subject_msg(r)].base_subject;
            if (subject.empty())
                continue;
            auto [it, added] = table.try_emplace(subject, r);
            if (added)
                continue;
            std::uint32_t t = it->second;
            if (!is_dummy(t) && (is_dummy(r) || (msgs_[t].reply_or_forward && !msgs_[r].reply_or_forward)))
                it->second = r;
        }
        // 5.C: merge.
        for (std::uint32_t r : roots) {
            if (f.parent[r] != none || (is_dummy(r) && dummy_slot[r] != none && children_of(r).empty()))
                continue; // already merged into another thread
            const auto& subject = msgs_[subject_msg(r)].base_subject;
            if (subject.empty())
                continue;
            auto it = table.find(subject);
            std::uint32_t t = it->second;
            if (t == r)
                continue;
            if (is_dummy(t) && is_dummy(r)) {
                auto moved = std::move(children_of(r));
                children_of(r).clear();
                for (auto c : moved) {
                    f.parent[c] = t;
                    children_of(t).push_back(c);
                }
            } else if (is_dummy(t)) {
                f.parent[r] = t;
                children_of(t).push_back(r);
            } else if (msgs_[r].reply_or_forward && !msgs_[t].reply_or_forward) {
                f.parent[r] = t;
            } else {
                std::uint32_t d = f.add(0, Key{0, 0});
                dummy_slot.push_back(none);
                f.parent[r] = d;
                f.parent[t] = d;
                children_of(d).push_back(t);
                children_of(d).push_back(r);
                it->second = d;
            }
        }
        // Step 6 (in finish()) orders every sibling list again; dummies
        // emptied by a merge drop out there.
        for (std::uint32_t i = 0; i < f.size(); ++i)
            if (is_dummy(i))
                f.key[i] = Key{0, 0};
    }

    const std::vector<ThreadMessage>& msgs_;
    bool merge_subjects_;
    std::vector<Box> boxes_;
    std::vector<std::uint32_t> msg_box_;
    IdTable ids_;
    std::vector<Key> latest_;
    std::vector<bool> promoted_; // a root only because its dummy parent had no other child
};

} // namespace

Result<ThreadAlgorithm> parse_thread_algorithm(std::string_view name) {
    if (ascii_iequals(name, "REFERENCES"))
        return ThreadAlgorithm::references;
    if (ascii_iequals(name, "REFS"))
        return ThreadAlgorithm::refs;
    if (ascii_iequals(name, "ORDEREDSUBJECT"))
        return ThreadAlgorithm::orderedsubject;
    return Status::invalid("Unknown thread algorithm");
}

std::string_view thread_algorithm_name(ThreadAlgorithm algorithm) {
    switch (algorithm) {
    case ThreadAlgorithm::orderedsubject:
        return "ORDEREDSUBJECT";
    case ThreadAlgorithm::references:
        return "REFERENCES";
    case ThreadAlgorithm::refs:
        return "REFS";
    }
    return "REFERENCES";
}

ThreadTree build_threads(ThreadAlgorithm algorithm, std::vector<ThreadMessage> messages) {
    auto by_seq = [](const ThreadMessage& a, const ThreadMessage& b) { return a.seq < b.seq; };
    if (!std::is_sorted(messages.begin(), messages.end(), by_seq))
        std::sort(messages.begin(), messages.end(), by_seq);
    if (algorithm == ThreadAlgorithm::orderedsubject)
        return ordered_subject(messages);
    ReferenceThreader threader(messages, algorithm == ThreadAlgorithm::references);
    return threader.run();
}

void write_thread_list(const ThreadTree& tree, std::size_t piece_size,
                       const std::function<void(std::string_view)>& sink,
                       const std::function<std::uint32_t(std::uint32_t)>& label) {
    std::string buf;
    buf.reserve(piece_size + 32);
    auto put = [&](std::string_view s) {
        buf.append(s);
        if (buf.size() >= piece_size) {
            sink(buf);
            buf.clear();
        }
    };
    const auto& nodes = tree.nodes;
    // Each open sub-thread-list remembers the sibling to open after it.
    std::vector<std::uint32_t> open;
    char num[16];
    for (std::uint32_t root = tree.first_root; root != none; root = nodes[root].next_sibling) {
        put("(");
        std::uint32_t cur = root;
        bool space = false;
        for (;;) {
            // RFC 5256 §4: a parent and its only child are written in one
            // list; several children each get a list of their own.
            for (;;) {
                const ThreadNode& node = nodes[cur];
                if (node.seq != 0) {
                    std::uint32_t shown = label ? label(node.seq) : node.seq;
                    char* end = num;
                    if (space)
                        *end++ = ' ';
                    end = std::to_chars(end, num + sizeof num, shown).ptr;
                    put(std::string_view(num, static_cast<std::size_t>(end - num)));
                    space = true;
                }
                std::uint32_t child = node.first_child;
                if (child == none)
                    break;
                if (nodes[child].next_sibling != none) {
                    put(space ? " (" : "(");
                    open.push_back(nodes[child].next_sibling);
                    space = false;
                }
                cur = child;
            }
            bool more = false;
            while (!open.empty()) {
                put(")");
                std::uint32_t next = open.back();
                open.pop_back();
                if (next != none) {
                    put("(");
                    open.push_back(nodes[next].next_sibling);
                    cur = next;
                    space = false;
                    more = true;
                    break;
                }
            }
            if (!more)
                break;
        }
        put(")");
    }
    if (!buf.empty())
        sink(buf);
}

std::string format_thread_list(const ThreadTree& tree) {
    std::string out;
    write_thread_list(tree, 4096, [&](std::string_view piece) { out.append(piece); });
    return out;
}

} // namespace mailstore::search
