// A bounded pool of keep-alive sessions shared by every coroutine of a client. acquire() hands
// out an idle session (checked for idle time and age) or the right to open a new one, or waits
// — each waiter with its own deadline and the caller's cancellation — until one is released.
// The handle returns its session when destroyed after keep(); any other end (error, timeout,
// cancellation, Connection: close) discards it, so a broken connection is never reused.
#pragma once

#include "http/session.hpp"

#include <wechatpay/config.hpp>

#include <boost/asio/strand.hpp>

#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace wechatpay::net {

struct pool_counters {
    std::size_t open = 0, idle = 0, in_use = 0;
    std::uint64_t connects = 0, handshakes = 0, resumed_handshakes = 0, reuses = 0;
    std::uint64_t waits = 0, acquire_timeouts = 0, discarded = 0, expired_idle = 0;
};

class session_pool;

// Move-only: a session (or, when empty, the right to open one) borrowed from the pool.
class pooled_session {
public:
    pooled_session() = default;
    pooled_session(pooled_session&& o) noexcept;
    pooled_session& operator=(pooled_session&& o) noexcept;
    ~pooled_session();

    session* get() const noexcept { return s_.get(); }
    bool empty() const noexcept { return !s_; }
    bool reused() const noexcept { return s_ && s_->exchanges > 0; }
    void attach(std::shared_ptr<session> s) { s_ = std::move(s); }  // after connecting
    void keep() noexcept { keep_ = true; }                          // healthy: return it

private:
    friend class session_pool;
    pooled_session(std::shared_ptr<session_pool> p, std::shared_ptr<session> s)
        : pool_(std::move(p)), s_(std::move(s)) {}
    void release() noexcept;

    std::shared_ptr<session_pool> pool_;
    std::shared_ptr<session> s_;
    bool keep_ = false;
};

class session_pool : public std::enable_shared_from_this<session_pool> {
public:
    session_pool(asio::any_io_executor ex, pool_config cfg);
    ~session_pool();

    // An idle session, or an empty handle the caller fills with connect() + attach(). Errors:
    // timed_out after acquire_timeout, operation_aborted on cancellation.
    asio::awaitable<result<pooled_session>> acquire();

    void count_connect(const session& s);
    tls_session resumable() const;
    void remember(tls_session t);
    pool_counters counters() const;
    // Drops idle sessions; sessions in use stay in use.
    void close_idle();
    // For good: drops idle sessions, wakes every waiter with asio::error::shut_down, refuses
    // later acquires the same way, and closes sessions when they are returned.
    void shutdown();

    struct waiter;

private:
    friend class pooled_session;
    void give_back(std::shared_ptr<session> s, bool keep) noexcept;  // from ~pooled_session
    void hand_to_waiter(std::shared_ptr<session> s);                 // mutex held
    void expire(const std::shared_ptr<waiter>& w);

    asio::any_io_executor ex_;
    asio::strand<asio::any_io_executor> strand_;  // runs the waiters' deadline timers
    pool_config cfg_;

    mutable std::mutex mutex_;
    std::vector<std::shared_ptr<session>> idle_;  // most recently used last
    std::deque<std::shared_ptr<waiter>> waiters_;
    std::size_t open_ = 0;  // sessions alive or being opened, idle included
    bool shut_down_ = false;
    tls_session resume_;
    pool_counters counters_;
};

}  // namespace wechatpay::net
