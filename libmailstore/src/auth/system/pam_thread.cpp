#include "auth/system/pam_thread.hpp"

#include <security/pam_appl.h>

#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

namespace mailstore::auth::system {
namespace {

using Clock = std::chrono::steady_clock;

// What the conversation function answers with, and what it heard.
struct Conversation {
    std::string user;
    std::string password;
    std::string message; // the last PAM_ERROR_MSG / PAM_TEXT_INFO
};

// The PAM conversation (pam_conv(3)): the password for a hidden prompt,
// the user name for a visible one; messages are remembered. The replies
// are malloc'ed: PAM frees them.
extern "C" int loft_pam_conv(int num_msg, const struct pam_message** msg, struct pam_response** resp,
                             void* appdata) {
    if (num_msg <= 0 || num_msg > PAM_MAX_NUM_MSG || appdata == nullptr)
        return PAM_CONV_ERR;
    auto* conv = static_cast<Conversation*>(appdata);
    auto* replies = static_cast<struct pam_response*>(std::calloc(static_cast<std::size_t>(num_msg), sizeof(struct pam_response)));
    if (replies == nullptr)
        return PAM_BUF_ERR;
    for (int i = 0; i < num_msg; ++i) {
        const char* answer = nullptr;
        switch (msg[i]->msg_style) {
        case PAM_PROMPT_ECHO_OFF:
            answer = conv->password.c_str();
            break;
        case PAM_PROMPT_ECHO_ON:
            answer = conv->user.c_str();
            break;
        case PAM_ERROR_MSG:
        case PAM_TEXT_INFO:
            if (msg[i]->msg != nullptr)
                conv->message.assign(msg[i]->msg, strnlen(msg[i]->msg, PAM_MAX_MSG_SIZE));
            break;
        default:
            break;
        }
        if (answer != nullptr) {
            replies[i].resp = strdup(answer);
            if (replies[i].resp == nullptr) {
                for (int j = 0; j < i; ++j) {
                    if (replies[j].resp != nullptr) {
                        explicit_bzero(replies[j].resp, std::strlen(replies[j].resp));
                        std::free(replies[j].resp);
                    }
                }
                std::free(replies);
                return PAM_BUF_ERR;
            }
        }
    }
    *resp = replies;
    return PAM_SUCCESS;
}

// PAM_FAIL_DELAY: the framework applies auth_failure_delay itself; a
// module's own delay (pam_unix's 2 s) would only hold the PAM thread.
extern "C" void loft_pam_no_delay(int, unsigned, void*) {}

struct Job {
    PamTransaction in;
    Conversation conv;
    int rc = PAM_SUCCESS;
    std::string where;
    // Guarded by PamThread::mutex_:
    const char* step = "pam_start";  // the PAM call running now
    Clock::time_point started{};     // when the thread took the job
    bool done = false;
};

void wipe(std::string& s) {
    explicit_bzero(s.data(), s.size());
    s.clear();
}

class PamThread {
public:
    PamOutcome run(PamTransaction t, const PamLimits& limits) {
        PamOutcome out;
        auto job = std::make_shared<Job>();
        job->conv.user = t.user;
        job->conv.password = std::move(t.password);
        wipe(t.password);
        job->in = std::move(t);
        std::unique_lock lock(mutex_);
        const auto now = Clock::now();
        if (std::string st = start(); !st.empty()) {
            wipe(job->conv.password);
            out.state = PamOutcome::State::overloaded;
            out.error = st;
            return out;
        }
        // A transaction already running longer than this caller would wait
        // is stuck as far as anyone can tell: queuing behind it can only
        // time out, so fail now and keep the caller's thread free.
        if (running_ && now - running_->started >= limits.timeout) {
            wipe(job->conv.password);
            out.state = PamOutcome::State::overloaded;
            out.error = "not queued: " + describe(*running_) + " has not returned for " + seconds(now - running_->started) +
                        " (a PAM module is slow or stuck)";
            return out;
        }
        if (queue_.size() >= limits.max_queue) {
            wipe(job->conv.password);
            out.state = PamOutcome::State::overloaded;
            out.error = "not queued: " + std::to_string(queue_.size()) + " PAM requests are already waiting (max_queue=" +
                        std::to_string(limits.max_queue) + ")" +
                        (running_ ? "; running: " + describe(*running_) : std::string());
            return out;
        }
        queue_.push_back(job);
        work_cv_.notify_one();
        if (!done_cv_.wait_until(lock, now + limits.timeout, [&] { return job->done; })) {
            out.state = PamOutcome::State::timed_out;
            if (running_ == job) {
                out.error = describe(*job) + " did not return within " + seconds(limits.timeout) +
                            " (a PAM module is slow or stuck)";
            } else {
                for (auto it = queue_.begin(); it != queue_.end(); ++it)
                    if (*it == job) {
                        queue_.erase(it);
                        break;
                    }
                wipe(job->conv.password);
                out.error = "waited " + seconds(limits.timeout) + " in the queue behind " +
                            (running_ ? describe(*running_) : std::string("other PAM requests")) +
                            " (a PAM module is slow or stuck)";
            }
            return out;
        }
        out.rc = job->rc;
        out.where = std::move(job->where);
        out.message = std::move(job->conv.message);
        return out;
    }

    PamThreadState state() {
        std::lock_guard lock(mutex_);
        return {queue_.size(), running_ != nullptr};
    }

private:
    // Starts the thread once (returns why it could not, or ""). It is never joined: it may be inside a PAM
    // module that does not return, and the process may exit at any time.
    std::string start() {
        if (started_)
            return {};
        try {
            std::thread([this] { loop(); }).detach();
        } catch (const std::system_error& e) {
            return std::string("cannot start the PAM thread: ") + e.what();
        }
        started_ = true;
        return {};
    }

    static std::string seconds(Clock::duration d) {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
        std::string s = std::to_string(ms / 1000);
        if (ms % 1000 != 0) {
            std::string frac = std::to_string(1000 + ms % 1000).substr(1);
            while (frac.back() == '0')
                frac.pop_back();
            s += "." + frac;
        }
        return s + " s";
    }

    // "pam_authenticate() for service dovecot, user alice"; under mutex_.
    static std::string describe(const Job& j) {
        return std::string(j.step) + "() for service " + j.in.service + ", user " + j.in.user;
    }

    void loop() {
        for (;;) {
            std::shared_ptr<Job> job;
            {
                std::unique_lock lock(mutex_);
                work_cv_.wait(lock, [&] { return !queue_.empty(); });
                job = std::move(queue_.front());
                queue_.pop_front();
                running_ = job;
                job->started = Clock::now();
            }
            execute(*job);
            std::lock_guard lock(mutex_);
            wipe(job->conv.password);
            job->done = true;
            running_.reset();
            done_cv_.notify_all();
        }
    }

    void step(Job& job, const char* name) {
        std::lock_guard lock(mutex_);
        job.step = name;
    }

    void execute(Job& job) {
        const PamTransaction& t = job.in;
        struct pam_conv pc {loft_pam_conv, &job.conv};
        pam_handle_t* h = nullptr;
        step(job, "pam_start");
        int rc = pam_start(t.service.c_str(), t.user.c_str(), &pc, &h);
        std::string where = "pam_start";
        if (rc != PAM_SUCCESS) {
            job.rc = rc;
            job.where = where + "() failed: " + pam_strerror(h, rc);
            return;
        }
        if (!t.rhost.empty())
            pam_set_item(h, PAM_RHOST, t.rhost.c_str());
        pam_set_item(h, PAM_FAIL_DELAY, reinterpret_cast<const void*>(&loft_pam_no_delay));
        step(job, "pam_authenticate");
        rc = pam_authenticate(h, PAM_SILENT);
        where = "pam_authenticate";
        if (rc == PAM_SUCCESS) {
            step(job, "pam_acct_mgmt");
            rc = pam_acct_mgmt(h, PAM_SILENT);
            where = "pam_acct_mgmt";
        }
        if (rc == PAM_SUCCESS && t.setcred) {
            step(job, "pam_setcred");
            rc = pam_setcred(h, PAM_ESTABLISH_CRED);
            where = "pam_setcred";
        }
        if (rc == PAM_SUCCESS && t.session) {
            // Opened and closed at once: the session modules run
            // (lastlog, mkhomedir) without a long-lived session.
            step(job, "pam_open_session");
            rc = pam_open_session(h, 0);
            where = "pam_open_session";
            if (rc == PAM_SUCCESS) {
                step(job, "pam_close_session");
                pam_close_session(h, 0);
            }
        }
        if (t.setcred && where != "pam_setcred" && rc == PAM_SUCCESS) {
            step(job, "pam_setcred");
            pam_setcred(h, PAM_DELETE_CRED);
        }
        std::string err = pam_strerror(h, rc);
        step(job, "pam_end");
        pam_end(h, rc);
        job.rc = rc;
        job.where = rc == PAM_SUCCESS ? where : where + "() failed: " + err;
    }

    std::mutex mutex_;
    std::condition_variable work_cv_, done_cv_;
    std::deque<std::shared_ptr<Job>> queue_;
    std::shared_ptr<Job> running_;
    bool started_ = false;
};

// Never destroyed: the detached thread uses it until the process ends.
PamThread& pam_thread() {
    static PamThread* t = new PamThread;
    return *t;
}

} // namespace

PamOutcome run_pam(PamTransaction t, const PamLimits& limits) {
    return pam_thread().run(std::move(t), limits);
}

} // namespace mailstore::auth::system

namespace mailstore::auth::system {

PamThreadState pam_thread_state() {
    return pam_thread().state();
}

} // namespace mailstore::auth::system
