#include "mailbox/expunge_deleted.hpp"

namespace imapproto::detail {

namespace st = mailstore::storage;

mailstore::Status expunge_deleted(Context& ctx, st::Mailbox& mailbox, const st::UidSet* within) {
    const st::View& view = mailbox.view();
    st::UidSet doomed;
    for (st::Seq seq = 1; seq <= view.count(); ++seq) {
        if (!(view.flags(seq) & st::flag_deleted))
            continue;
        st::Uid uid = view.uid(seq);
        if (!within || within->contains(uid))
            doomed.add(uid);
    }
    if (doomed.empty())
        return mailstore::Status::ok();
    st::Transaction tx = mailbox.begin();
    // The view may be stale: storage re-checks \Deleted under the index lock,
    // so a message another session undeleted since our sync stays.
    if (auto status = tx.expunge_deleted(doomed); !status)
        return status;
    auto committed = tx.commit();
    if (!committed)
        return committed.status();
    ctx.stats().expunged += committed->expunged.count();
    return mailstore::Status::ok();
}

} // namespace imapproto::detail
