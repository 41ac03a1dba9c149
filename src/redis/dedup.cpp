#include <wechatpay/crypto.hpp>
#include <wechatpay/redis/dedup.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace wechatpay::redis {

namespace asio = boost::asio;

namespace {

// Each script is one atomic step on one key (KEYS[1]); ARGV[1] is the claim's token.
constexpr const char* claim_script =
    "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end "
    "if redis.call('GET', KEYS[1]) == 'done' then return 2 end "
    "return 3";
// Done whatever the key holds (the effect happened); 0 when the claim had been lost meanwhile.
constexpr const char* complete_script =
    "local held = redis.call('GET', KEYS[1]) "
    "redis.call('SET', KEYS[1], 'done', 'EX', ARGV[2]) "
    "if held == ARGV[1] or held == 'done' then return 1 end "
    "return 0";
constexpr const char* release_script =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
constexpr const char* renew_script =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";

std::vector<std::string> eval(const char* script, std::string key, std::string token, std::string arg = {}) {
    std::vector<std::string> args{"EVAL", script, "1", std::move(key), std::move(token)};
    if (!arg.empty()) args.push_back(std::move(arg));
    return args;
}

error with_context(error e, std::string_view what) {
    e.detail = std::string(what) + ": " + e.detail;
    return e;
}

}  // namespace

struct dedup::claim_state {
    claim_state(asio::any_io_executor ex, std::string t, std::chrono::milliseconds l)
        : token(std::move(t)), lease(l), timer(std::move(ex)) {}
    std::string token;
    std::chrono::milliseconds lease;
    asio::steady_timer timer;  // the next renewal; used on the connection's strand only
    bool abandoned = false;
};

dedup::dedup(std::shared_ptr<connection> conn, std::string mchid, dedup_options opts)
    : conn_(std::move(conn)), prefix_("wechatpay:{" + std::move(mchid) + "}:notification:"), opts_(opts),
      instance_(random_nonce(16)) {}

dedup::~dedup() { abandon_claims(); }

std::string dedup::key(std::string_view id) const { return prefix_ + std::string(id); }

std::size_t dedup::pending_completions() const {
    std::lock_guard lock(mutex_);
    return pending_completions_;
}

std::shared_ptr<dedup::claim_state> dedup::take(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto it = claims_.find(id);
    if (it == claims_.end()) return nullptr;
    auto c = std::move(it->second);
    claims_.erase(it);
    asio::post(conn_->get_executor(), [c] { c->timer.cancel(); });
    return c;
}

void dedup::abandon_claims() {
    std::lock_guard lock(mutex_);
    for (auto& [id, c] : claims_)
        asio::post(conn_->get_executor(), [c = c] {
            c->abandoned = true;
            c->timer.cancel();
        });
}

void dedup::async_claim(std::string id, claim_handler handler) {
    std::string token = instance_ + ":" + std::to_string(++counter_);
    auto args = eval(claim_script, key(id), token, std::to_string(opts_.lease.count()));
    // Pending commands hold the store weakly: they must not keep it, and through it the
    // connection, alive (a cycle if the io_context is destroyed with them in flight).
    conn_->async_exec(std::move(args), [weak = weak_from_this(), id = std::move(id), token = std::move(token),
                                        h = std::move(handler)](result<reply> r) mutable {
        const auto self = weak.lock();
        if (!self) return std::move(h)(error(asio::error::operation_aborted, "redis: the store was destroyed"));
        if (!r) {
            // Redis may have run the claim all the same (its answer was late or lost): undo it, or
            // every redelivery would find it in progress until the lease lapses. Best effort, and
            // harmless otherwise: the release deletes the key only while it holds this token.
            self->conn_->async_exec(eval(release_script, self->key(id), token), [](result<reply>) {});
            return std::move(h)(with_context(std::move(r).error(), "claiming notification " + id));
        }
        if (r->kind != reply::type::integer || r->integer < 1 || r->integer > 3)
            return std::move(h)(error(errc::malformed_json, "redis: unexpected answer to a claim"));
        if (r->integer == 2) return std::move(h)(claim::done);
        if (r->integer == 3) return std::move(h)(claim::in_progress);
        auto c = std::make_shared<claim_state>(self->conn_->get_executor(), token, self->opts_.lease);
        {
            std::lock_guard lock(self->mutex_);
            self->claims_[id] = c;
        }
        self->renew(id, c);
        std::move(h)(claim::first);
    });
}

// Every lease/3 while the claim is held: extend the lease, as long as the key holds our token.
// Renewals do not keep the store alive: its destruction stops them (as a crash would).
void dedup::renew(std::string id, std::shared_ptr<claim_state> c) {
    asio::post(conn_->get_executor(), [weak = weak_from_this(), id = std::move(id), c = std::move(c)]() mutable {
        const auto lease = c->lease;
        c->timer.expires_after(lease / 3);
        c->timer.async_wait([weak, id = std::move(id), c](boost::system::error_code ec) mutable {
            auto self = weak.lock();
            if (ec || c->abandoned || !self) return;
            auto args = eval(renew_script, self->key(id), c->token, std::to_string(c->lease.count()));
            self->conn_->async_exec(std::move(args), [weak, id = std::move(id), c](result<reply> r) mutable {
                auto owner = weak.lock();
                if (c->abandoned || !owner) return;
                {
                    std::lock_guard lock(owner->mutex_);
                    auto it = owner->claims_.find(id);
                    if (it == owner->claims_.end() || it->second != c) return;  // completed or released
                }
                // Renewed, or Redis unreachable for now (try again); stop once the key is not ours.
                if (r && r->kind == reply::type::integer && r->integer == 0) return;
                owner->renew(std::move(id), std::move(c));
            });
        });
    });
}

void dedup::async_complete(std::string id, done_handler handler) {
    auto c = take(id);
    record_done(std::move(id), c ? c->token : std::string("-"), std::move(handler));
}

// Marks the id done; when Redis cannot be reached, reports the error and keeps trying (the
// effect happened: a later delivery must find it done).
void dedup::record_done(std::string id, std::string token, done_handler handler) {
    auto args = eval(complete_script, key(id), token, std::to_string(opts_.done_ttl.count()));
    conn_->async_exec(std::move(args), [weak = weak_from_this(), id = std::move(id), token = std::move(token),
                                        h = std::move(handler)](result<reply> r) mutable {
        const auto self = weak.lock();
        if (r) {
            if (self && r->kind == reply::type::integer && r->integer == 0) ++self->leases_lost_;
            if (h) std::move(h)(result<void>());
            else if (self) {
                std::lock_guard lock(self->mutex_);
                --self->pending_completions_;
            }
            return;
        }
        if (!self) {  // no store left to retry it
            if (h) std::move(h)(with_context(std::move(r).error(), "recording notification " + id + " as done"));
            return;
        }
        if (h) {
            {
                std::lock_guard lock(self->mutex_);
                ++self->pending_completions_;
            }
            std::move(h)(with_context(std::move(r).error(), "recording notification " + id + " as done (will retry)"));
        }
        // Retries end with the store: destroyed before Redis came back, the completion is lost.
        auto timer = std::make_shared<asio::steady_timer>(self->conn_->get_executor(), self->opts_.retry_interval);
        timer->async_wait([weak = self->weak_from_this(), timer, id = std::move(id),
                           token = std::move(token)](boost::system::error_code) mutable {
            if (auto owner = weak.lock()) owner->record_done(std::move(id), std::move(token), done_handler());
        });
    });
}

void dedup::async_release(std::string id, done_handler handler) {
    auto c = take(id);
    if (!c) return std::move(handler)(result<void>());  // not ours (any more): nothing to undo
    auto args = eval(release_script, key(id), c->token);  // before `id` moves into the handler
    conn_->async_exec(std::move(args), [id = std::move(id), h = std::move(handler)](result<reply> r) mutable {
                          if (!r) return std::move(h)(with_context(std::move(r).error(), "releasing notification " + id));
                          std::move(h)(result<void>());
                      });
}

}  // namespace wechatpay::redis
