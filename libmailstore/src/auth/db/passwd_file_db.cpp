// passdb/userdb passwd-file: args "[scheme=X] [username_format=FMT] PATH".
// PATH may hold %variables (per-domain files /etc/loft/%d/passwd): each
// expansion is its own cached file. Behaviour checked against Dovecot
// 2.3.19: a missing per-domain file means "user unknown" (logged as
// "missing passwd file: PATH"); the passdb's default scheme is CRYPT; the
// userdb turns userdb_X extras into X and ignores the others.
#include "auth/db/drivers.hpp"
#include "auth/db/passwd_file.hpp"

#include <mailstore/var_expand.hpp>

#include <cctype>
#include <chrono>
#include <unordered_map>
#include <vector>

namespace mailstore::auth {
namespace {

using passwd_file::CachedFile;
using passwd_file::Entry;
using passwd_file::Parsed;

// Per-domain files kept in memory at once; beyond this the cache starts
// over (files in use stay alive through their shared_ptr).
constexpr std::size_t max_cached_files = 4096;

struct Options {
    std::string scheme = "CRYPT";
    std::string username_format = "%u";
    std::string path;
};

Result<Options> parse_args(const DriverArgs& args) {
    Options o;
    std::string_view rest = args.args;
    while (true) {
        while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t'))
            rest.remove_prefix(1);
        auto end = rest.find_first_of(" \t");
        std::string_view token = rest.substr(0, end);
        if (token.starts_with("scheme=")) {
            o.scheme = std::string(token.substr(7));
        } else if (token.starts_with("username_format=")) {
            o.username_format = std::string(token.substr(16));
        } else {
            break;
        }
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    }
    while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t'))
        rest.remove_suffix(1);
    o.path = std::string(rest);
    if (o.path.empty())
        return Status::invalid(args.where.to_string() + ": " + args.driver + ": args must name the passwd-file PATH");
    if (o.scheme.empty() || o.username_format.empty())
        return Status::invalid(args.where.to_string() + ": " + args.driver + ": empty scheme= or username_format=");
    return o;
}

// A value put into a path template must not leave the template's
// directory: no '/', no "." or ".." (a user "x@.." would otherwise read
// /etc/loft/../passwd).
bool safe_path_value(std::string_view v) { return v.find('/') == std::string_view::npos && v != "." && v != ".."; }

class PasswdFileSource {
public:
    PasswdFileSource(Options options, log::Logger log) : options_(std::move(options)), log_(std::move(log)) {
        templated_ = has_variables(options_.path);
        if (!templated_)
            fixed_ = std::make_shared<CachedFile>(options_.path);
    }

    // Loads a fixed-path file at startup so a missing file or bad lines
    // are reported when the config is loaded.
    Status preload() {
        if (templated_)
            return Status::ok();
        auto r = fixed_->get(log_, generation_);
        return r ? Status::ok() : r.status();
    }

    bool templated() const { return templated_; }
    // The fixed-path file's current contents; nullptr when the path is
    // templated or the file cannot be read.
    std::shared_ptr<const Parsed> fixed_contents() {
        if (templated_)
            return nullptr;
        auto r = fixed_->get(log_, generation_);
        return r ? *r : nullptr;
    }

    enum class Kind { found, unknown, failure };
    struct Found {
        Kind kind = Kind::unknown;
        std::shared_ptr<const Parsed> data; // keeps `entry` alive
        const Entry* entry = nullptr;
        std::string error;
    };

    Found find(const AuthRequest& request, std::string_view driver) {
        Found f;
        auto key = request.expand(options_.username_format);
        if (!key) {
            f.kind = Kind::failure;
            f.error = "username_format: " + key.status().message();
            return f;
        }
        std::shared_ptr<CachedFile> file = fixed_;
        if (templated_) {
            bool unsafe = false;
            auto path = request.expand(
                options_.path,
                [&](std::string_view v) {
                    if (!safe_path_value(v))
                        unsafe = true;
                    return std::string(v);
                },
                true);
            if (!path) {
                f.kind = Kind::failure;
                f.error = "path: " + path.status().message();
                return f;
            }
            if (unsafe) {
                request.log.debug(driver_log_prefix(driver, request) + ": a value in the path " + options_.path +
                                      " contains '/' or is '..': unknown user",
                                  log::Category::auth);
                return f;
            }
            file = file_for(*path);
        }
        request.log.debug(driver_log_prefix(driver, request) + ": lookup: user=" + *key + " file=" + file->path(),
                          log::Category::auth);
        auto data = file->get(log_, generation_);
        if (!data) {
            if (data.status().code() == Status::Code::not_found && templated_) {
                log_.info("missing passwd file: " + file->path(), log::Category::auth);
                return f;
            }
            f.kind = Kind::failure;
            f.error = data.status().message();
            return f;
        }
        f.data = *data;
        f.entry = f.data->find(*key);
        f.kind = f.entry ? Kind::found : Kind::unknown;
        return f;
    }

    bool can_iterate() const { return !templated_; }

    Status iterate(const std::function<bool(std::string_view)>& each) {
        if (templated_)
            return Status::error(Status::Code::not_found,
                                 "passwd-file " + options_.path + ": cannot list users of a path with %variables");
        auto data = fixed_->get(log_, generation_);
        if (!data)
            return data.status();
        std::shared_ptr<const Parsed> hold = *data;
        for (const auto& e : hold->entries)
            if (!each(e.user))
                break;
        return Status::ok();
    }

    std::string cache_key() const {
        return templated_ ? options_.path + "\t" + options_.username_format : options_.username_format;
    }
    // The auth cache asks this before using a cached result, so it must see
    // a changed file even when no lookup reached the driver: it runs the
    // same (throttled) change check as a lookup.
    std::uint64_t generation() {
        if (!templated_) {
            (void)fixed_->get(log_, generation_);
            return generation_.load();
        }
        std::vector<std::shared_ptr<CachedFile>> files;
        {
            std::lock_guard lock(files_mutex_);
            const auto now = std::chrono::steady_clock::now();
            if (now - last_generation_check_ >= passwd_file::check_interval()) {
                last_generation_check_ = now;
                files.reserve(files_.size());
                for (const auto& [path, f] : files_)
                    files.push_back(f);
            }
        }
        for (const auto& f : files)
            (void)f->get(log_, generation_);
        return generation_.load();
    }
    const Options& options() const { return options_; }

private:
    std::shared_ptr<CachedFile> file_for(const std::string& path) {
        std::lock_guard lock(files_mutex_);
        auto it = files_.find(path);
        if (it != files_.end())
            return it->second;
        if (files_.size() >= max_cached_files)
            files_.clear();
        auto f = std::make_shared<CachedFile>(path);
        files_.emplace(path, f);
        return f;
    }

    Options options_;
    log::Logger log_;
    bool templated_ = false;
    std::shared_ptr<CachedFile> fixed_;
    std::mutex files_mutex_;
    std::unordered_map<std::string, std::shared_ptr<CachedFile>> files_;
    std::chrono::steady_clock::time_point last_generation_check_{};
    std::atomic<std::uint64_t> generation_{0};
};

bool plaintext_scheme(std::string_view scheme) {
    std::string s(scheme);
    for (auto& c : s)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s == "PLAIN" || s == "CLEARTEXT";
}

class PasswdFilePassdb final : public PassdbDriver {
public:
    explicit PasswdFilePassdb(std::unique_ptr<PasswdFileSource> source) : source_(std::move(source)) {}

    // Plaintext when scheme= is a plaintext scheme, or some entry is
    // written {PLAIN}/{CLEARTEXT} (the answer is kept per generation of the
    // file: mechanisms() asks on every connection).
    bool may_store_plaintext() const override {
        if (plaintext_scheme(source_->options().scheme))
            return true;
        if (source_->templated())
            return true; // one file per user: cannot tell
        auto parsed = source_->fixed_contents();
        if (!parsed)
            return false;
        const std::uint64_t gen = source_->generation();
        if (checked_generation_.load() == gen)
            return plaintext_entries_.load();
        bool any = false;
        for (const auto& e : parsed->entries) {
            auto close = e.password.find('}');
            if (e.password.starts_with("{") && close != std::string::npos &&
                plaintext_scheme(std::string_view(e.password).substr(1, close - 1))) {
                any = true;
                break;
            }
        }
        plaintext_entries_.store(any);
        checked_generation_.store(gen);
        return any;
    }

    PassdbResult lookup(const AuthRequest& request) override {
        PassdbResult r;
        r.default_scheme = source_->options().scheme;
        auto f = source_->find(request, "passwd-file");
        if (f.kind == PasswdFileSource::Kind::failure) {
            r.kind = PassdbResult::Kind::internal_failure;
            r.error = f.error;
            return r;
        }
        if (f.kind == PasswdFileSource::Kind::unknown) {
            r.kind = PassdbResult::Kind::user_unknown;
            return r;
        }
        const Entry& e = *f.entry;
        r.kind = PassdbResult::Kind::ok;
        r.password = e.password;
        // Only the extra fields: the uid/gid/home columns are userdb data
        // and are not offered to prefetch (Dovecot 2.3.19 does the same).
        for (const auto& [k, v] : e.extra)
            r.fields.set(k, v);
        return r;
    }
    std::string cache_key() const override { return source_->cache_key(); }
    std::uint64_t generation() const override { return source_->generation(); }

private:
    std::unique_ptr<PasswdFileSource> source_;
    mutable std::atomic<std::uint64_t> checked_generation_{~std::uint64_t(0)};
    mutable std::atomic<bool> plaintext_entries_{false};
};

class PasswdFileUserdb final : public UserdbDriver {
public:
    explicit PasswdFileUserdb(std::unique_ptr<PasswdFileSource> source) : source_(std::move(source)) {}

    UserdbResult lookup(const AuthRequest& request) override {
        UserdbResult r;
        auto f = source_->find(request, "passwd-file");
        if (f.kind == PasswdFileSource::Kind::failure) {
            r.kind = UserdbResult::Kind::internal_failure;
            r.error = f.error;
            return r;
        }
        if (f.kind == PasswdFileSource::Kind::unknown) {
            r.kind = UserdbResult::Kind::user_unknown;
            return r;
        }
        const Entry& e = *f.entry;
        r.kind = UserdbResult::Kind::ok;
        if (!e.uid.empty())
            r.fields.set("uid", e.uid);
        if (!e.gid.empty())
            r.fields.set("gid", e.gid);
        if (!e.home.empty())
            r.fields.set("home", e.home);
        // Only userdb_* extras are userdb fields (prefix removed); the
        // others are passdb fields, as in Dovecot.
        for (const auto& [k, v] : e.extra)
            if (k.size() > 7 && k.starts_with("userdb_"))
                r.fields.set(std::string_view(k).substr(7), v);
        return r;
    }
    bool can_iterate() const override { return source_->can_iterate(); }
    Status iterate(const std::function<bool(std::string_view user)>& each) override { return source_->iterate(each); }
    std::string cache_key() const override { return source_->cache_key(); }
    std::uint64_t generation() const override { return source_->generation(); }

private:
    std::unique_ptr<PasswdFileSource> source_;
};

Result<std::unique_ptr<PasswdFileSource>> make_source(const DriverArgs& args) {
    auto options = parse_args(args);
    if (!options)
        return options.status();
    auto source = std::make_unique<PasswdFileSource>(std::move(*options), args.log);
    Status s = source->preload();
    if (!s)
        return Status::error(s.code(), args.where.to_string() + ": " + args.driver + ": " + s.message());
    return source;
}

} // namespace

Result<std::unique_ptr<PassdbDriver>> make_passwd_file_passdb(const DriverArgs& args) {
    auto source = make_source(args);
    if (!source)
        return source.status();
    return std::unique_ptr<PassdbDriver>(std::make_unique<PasswdFilePassdb>(std::move(*source)));
}

Result<std::unique_ptr<UserdbDriver>> make_passwd_file_userdb(const DriverArgs& args) {
    auto source = make_source(args);
    if (!source)
        return source.status();
    return std::unique_ptr<UserdbDriver>(std::make_unique<PasswdFileUserdb>(std::move(*source)));
}

} // namespace mailstore::auth
