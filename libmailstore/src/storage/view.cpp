// View: stub until the real implementation lands.
#include <mailstore/storage/mailbox.hpp>

namespace mailstore::storage {

class View::Impl {};

Seq View::count() const { return 0; }
Uid View::uid(Seq) const { return 0; }
Seq View::seq(Uid) const { return 0; }
std::pair<Seq, Seq> View::seq_range(Uid, Uid) const { return {0, 0}; }
MailFlags View::flags(Seq) const { return 0; }
std::vector<std::string> View::keywords(Seq) const { return {}; }
bool View::recent(Seq) const { return false; }
ModSeq View::modseq(Seq) const { return 0; }
std::uint32_t View::uidvalidity() const { return 0; }
std::uint32_t View::uidnext() const { return 1; }
ModSeq View::highest_modseq() const { return 0; }
std::uint32_t View::recent_count() const { return 0; }
Seq View::first_unseen() const { return 0; }
std::uint32_t View::unseen_count() const { return 0; }
const std::vector<std::string>& View::keyword_names() const {
    static const std::vector<std::string> none;
    return none;
}

} // namespace mailstore::storage
