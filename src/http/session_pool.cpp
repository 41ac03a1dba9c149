#include "http/session_pool.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace wechatpay::net {

// A coroutine waiting for a session. Under the pool's mutex the pool settles it exactly once
// (`done`): a grant (a session, or an empty one: permission to connect) or a timeout, then
// wakes it through the thread-safe channel. The answer itself stays here, under the mutex, so
// a waiter that is cancelled at the same moment still finds — and gives back — its grant.
// The deadline timer only ever runs on the pool's strand.
struct session_pool::waiter {
    using channel = asio::experimental::concurrent_channel<void(boost::system::error_code)>;
    waiter(asio::any_io_executor ex, asio::strand<asio::any_io_executor> strand)
        : wake(std::move(ex), 1), deadline(std::move(strand)) {}
    channel wake;
    asio::steady_timer deadline;
    bool done = false, granted = false, timed_out = false, shut_down = false;
    std::shared_ptr<session> grant;
};

// ---- pooled_session ---------------------------------------------------------------------

pooled_session::pooled_session(pooled_session&& o) noexcept
    : pool_(std::move(o.pool_)), s_(std::move(o.s_)), keep_(o.keep_) {}

pooled_session& pooled_session::operator=(pooled_session&& o) noexcept {
    if (this != &o) {
        release();
        pool_ = std::move(o.pool_);
        s_ = std::move(o.s_);
        keep_ = o.keep_;
    }
    return *this;
}

pooled_session::~pooled_session() { release(); }

void pooled_session::release() noexcept {
    const bool keep = keep_ && s_;  // before s_ is moved from
    if (pool_) pool_->give_back(std::move(s_), keep);
    pool_.reset();
    s_.reset();
    keep_ = false;
}

// ---- session_pool -----------------------------------------------------------------------

session_pool::session_pool(asio::any_io_executor ex, pool_config cfg)
    : ex_(ex), strand_(asio::make_strand(ex)), cfg_(cfg) {}

session_pool::~session_pool() = default;

asio::awaitable<result<pooled_session>> session_pool::acquire() {
    std::vector<std::shared_ptr<session>> stale;  // closed outside the lock
    std::shared_ptr<waiter> w;
    {
        std::lock_guard lock(mutex_);
        if (shut_down_) co_return error(asio::error::shut_down, "the client is shut down");
        const auto now = clock::now();
        while (!idle_.empty()) {
            auto s = std::move(idle_.back());
            idle_.pop_back();
            if (now - s->last_used < cfg_.idle_timeout && now - s->created < cfg_.max_age) {
                ++counters_.reuses;
                co_return pooled_session(shared_from_this(), std::move(s));
            }
            ++counters_.expired_idle;
            --open_;
            stale.push_back(std::move(s));
        }
        if (open_ < cfg_.max_sessions) {
            ++open_;
            co_return pooled_session(shared_from_this(), nullptr);
        }
        w = std::make_shared<waiter>(ex_, strand_);
        waiters_.push_back(w);
        ++counters_.waits;
    }
    stale.clear();

    auto self = shared_from_this();
    asio::post(strand_, [self, w] {
        w->deadline.expires_after(self->cfg_.acquire_timeout);
        w->deadline.async_wait([self, w](boost::system::error_code ec) {
            if (!ec) self->expire(w);
        });
    });
    auto [ec] = co_await w->wake.async_receive(asio::as_tuple(asio::use_awaitable));
    asio::post(strand_, [w] { w->deadline.cancel(); });

    bool granted = false, timed_out = false, shut_down = false;
    std::shared_ptr<session> got;
    {
        std::lock_guard lock(mutex_);
        if (!w->done) {  // woken by cancellation before the pool settled it
            w->done = true;
            waiters_.erase(std::find(waiters_.begin(), waiters_.end(), w));
        }
        granted = w->granted;
        timed_out = w->timed_out;
        shut_down = w->shut_down;
        got = std::move(w->grant);
    }
    if (shut_down) co_return error(asio::error::shut_down, "the client was shut down while this call waited for a session");
    if (granted) {
        pooled_session lease(self, std::move(got));
        if (!ec) co_return lease;
        if (!lease.empty()) lease.keep();  // cancelled after all: the grant goes back intact
    }
    if (timed_out) co_return error(asio::error::timed_out, "no free session within the acquire timeout");
    co_return error(asio::error::operation_aborted, "cancelled while waiting for a session");
}

void session_pool::give_back(std::shared_ptr<session> s, bool keep) noexcept {
    std::shared_ptr<session> dropped;
    std::lock_guard lock(mutex_);
    if (keep && s && !shut_down_) {
        if (!waiters_.empty()) return hand_to_waiter(std::move(s));
        idle_.push_back(std::move(s));
        return;
    }
    // Discarded (or never opened): its place is free for a waiter to open a new session.
    dropped = std::move(s);
    if (dropped) ++counters_.discarded;
    if (!waiters_.empty()) return hand_to_waiter(nullptr);
    --open_;
}

void session_pool::hand_to_waiter(std::shared_ptr<session> s) {
    auto w = std::move(waiters_.front());
    waiters_.pop_front();
    w->done = w->granted = true;
    w->grant = std::move(s);
    w->wake.try_send(boost::system::error_code());
}

void session_pool::expire(const std::shared_ptr<waiter>& w) {
    std::lock_guard lock(mutex_);
    if (w->done) return;
    w->done = true;
    waiters_.erase(std::find(waiters_.begin(), waiters_.end(), w));
    ++counters_.acquire_timeouts;
    w->timed_out = true;
    w->wake.try_send(boost::system::error_code());
}

void session_pool::count_connect(const session& s) {
    std::lock_guard lock(mutex_);
    ++counters_.connects;
    ++counters_.handshakes;
    if (s.resumed) ++counters_.resumed_handshakes;
}

tls_session session_pool::resumable() const {
    std::lock_guard lock(mutex_);
    return resume_;
}

void session_pool::remember(tls_session t) {
    std::lock_guard lock(mutex_);
    resume_ = std::move(t);
}

pool_counters session_pool::counters() const {
    std::lock_guard lock(mutex_);
    pool_counters c = counters_;
    c.open = open_;
    c.idle = idle_.size();
    c.in_use = open_ - idle_.size();
    return c;
}

void session_pool::close_idle() {
    std::vector<std::shared_ptr<session>> drop;
    std::lock_guard lock(mutex_);
    open_ -= idle_.size();
    drop.swap(idle_);
}

void session_pool::shutdown() {
    std::vector<std::shared_ptr<session>> drop;
    std::deque<std::shared_ptr<waiter>> woken;
    {
        std::lock_guard lock(mutex_);
        shut_down_ = true;
        open_ -= idle_.size();
        drop.swap(idle_);
        woken.swap(waiters_);
        for (auto& w : woken) {
            w->done = w->shut_down = true;
            w->wake.try_send(boost::system::error_code());
        }
    }
}

}  // namespace wechatpay::net
