#include "http/session_pool.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace wechatpay::net {

// A coroutine waiting for a session. The pool answers it exactly once (under the mutex, `done`
// says whether it has): a session, an empty session (permission to connect) or timed_out.
// The thread-safe channel carries that answer; the deadline timer only runs on the strand.
struct session_pool::waiter {
    using channel = asio::experimental::concurrent_channel<void(boost::system::error_code, std::shared_ptr<session>)>;
    waiter(asio::any_io_executor ex, asio::strand<asio::any_io_executor> strand)
        : answer(std::move(ex), 1), deadline(std::move(strand)) {}
    channel answer;
    asio::steady_timer deadline;
    bool done = false;
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
    if (pool_) pool_->give_back(std::move(s_), keep_ && s_);
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
    auto [ec, s] = co_await w->answer.async_receive(asio::as_tuple(asio::use_awaitable));
    asio::post(strand_, [w] { w->deadline.cancel(); });

    if (!ec) co_return pooled_session(self, std::move(s));
    if (ec == asio::error::timed_out) co_return error(ec, "no free session within the acquire timeout");

    // Cancelled. If the pool answered meanwhile, take the answer back so nothing is lost.
    bool answered = false;
    {
        std::lock_guard lock(mutex_);
        if (w->done) answered = true;
        else {
            w->done = true;
            waiters_.erase(std::find(waiters_.begin(), waiters_.end(), w));
        }
    }
    if (answered)
        w->answer.try_receive([&](boost::system::error_code aec, std::shared_ptr<session> got) {
            if (!aec) pooled_session(self, std::move(got)).keep();
        });
    co_return error(asio::error::operation_aborted, "cancelled while waiting for a session");
}

void session_pool::give_back(std::shared_ptr<session> s, bool keep) noexcept {
    std::shared_ptr<session> dropped;
    std::lock_guard lock(mutex_);
    if (keep && s) {
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
    w->done = true;
    w->answer.try_send(boost::system::error_code(), std::move(s));
}

void session_pool::expire(const std::shared_ptr<waiter>& w) {
    std::lock_guard lock(mutex_);
    if (w->done) return;
    w->done = true;
    waiters_.erase(std::find(waiters_.begin(), waiters_.end(), w));
    ++counters_.acquire_timeouts;
    w->answer.try_send(asio::error::timed_out, nullptr);
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

}  // namespace wechatpay::net
