// A bounded pool of keep-alive sessions to one host, shared by every coroutine of a client.
// acquire() hands out a connected session: an idle one (checked for idle time and age), or one
// it opens there and then (resuming the pool's remembered TLS session), or — every place taken —
// the next one released, after waiting with the acquire deadline and the caller's cancellation.
// The handle returns its session when destroyed after keep(); any other end (error, timeout,
// cancellation, Connection: close) discards it, so a broken connection is never reused.
#pragma once

#include "http/session.hpp"

#include <wechatpay/config.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/steady_timer.hpp>
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

// Move-only: a connected session borrowed from the pool.
class pooled_session {
public:
    pooled_session() = default;
    pooled_session(pooled_session&& o) noexcept;
    pooled_session& operator=(pooled_session&& o) noexcept;
    ~pooled_session();

    session* get() const noexcept { return s_.get(); }
    const std::shared_ptr<session>& shared() const noexcept { return s_; }
    bool reused() const noexcept { return s_ && s_->exchanges > 0; }
    void keep() noexcept { keep_ = true; }  // healthy: return it (and remember its TLS session)
    void keep_and_release() noexcept {
        keep_ = true;
        release();
    }

private:
    friend class session_pool;
    pooled_session(std::shared_ptr<session_pool> p, std::shared_ptr<session> s)
        : pool_(std::move(p)), s_(std::move(s)) {}
    void release() noexcept;

    std::shared_ptr<session_pool> pool_;
    std::shared_ptr<session> s_;
    bool keep_ = false;
};

// Where the pool connects to, and with what.
struct pool_target {
    std::string host;
    std::uint16_t port = 443;
    std::chrono::milliseconds connect_timeout{5000};  // resolve + TCP + TLS, together
};

// Why acquire() gave no session: a code, what it means, and whether it was opening a connection
// (net::connect()'s errors: `detail` names the step; certificate_refused() ones are final).
struct acquire_error {
    boost::system::error_code code;
    std::string detail;
    bool connecting = false;
    explicit operator bool() const noexcept { return static_cast<bool>(code); }
};

class session_pool : public std::enable_shared_from_this<session_pool> {
public:
    // `tls` must outlive the pool and every session it opened.
    session_pool(asio::any_io_executor ex, pool_config cfg, asio::ssl::context& tls, pool_target target);
    ~session_pool();

    // A connected session into `out`, or why not: timed_out after acquire_timeout,
    // operation_aborted on cancellation (a waiter leaves nothing behind: no connection is opened
    // for it), shut_down; and when it had to connect, net::connect()'s errors. Runs on the
    // caller's executor; a new connection is opened on a strand of its own, which every later
    // operation on that session must use (session::stream.get_executor()). Out-parameters and a
    // small result: the frame of a call waiting here stays small.
    asio::awaitable<acquire_error> acquire(pooled_session& out);

    const std::string& host() const noexcept { return target_.host; }
    const asio::any_io_executor& get_executor() const noexcept { return ex_; }
    pool_counters counters() const;
    // Drops idle sessions; sessions in use stay in use.
    void close_idle();
    // For good: drops idle sessions, wakes every waiter with asio::error::shut_down, refuses
    // later acquires the same way, and closes sessions when they are returned.
    void shutdown();

    struct waiter;
    enum class take_result { session, open_new, wait, shut_down, timed_out, cancelled };
    void start_wait(const std::shared_ptr<waiter>& w, asio::any_completion_handler<void()> h);
    void cancel_waiter(const std::shared_ptr<waiter>& w);

private:
    friend class pooled_session;
    // An idle session, a place to open one, or (with `w`: registered) wait. Takes the mutex.
    take_result take(std::shared_ptr<session>& out, const std::shared_ptr<waiter>& w);
    take_result take_or_wait(const std::shared_ptr<waiter>& w, clock::time_point now);  // mutex_ held
    // Connects in a place already counted in open_.
    asio::awaitable<acquire_error> open(pooled_session& out);
    void give_back(std::shared_ptr<session> s, bool keep) noexcept;     // from ~pooled_session
    std::shared_ptr<waiter> hand_to_waiter(std::shared_ptr<session> s);  // mutex held; wake it after
    void expire_waiters();                                               // on strand_

    asio::any_io_executor ex_;
    asio::strand<asio::any_io_executor> strand_;  // runs the waiters' one deadline timer
    pool_config cfg_;
    asio::ssl::context& tls_;
    pool_target target_;
    asio::steady_timer deadlines_;  // on strand_: the oldest waiter's acquire deadline

    mutable std::mutex mutex_;
    std::vector<std::shared_ptr<session>> idle_;  // most recently used last
    std::deque<std::shared_ptr<waiter>> waiters_;  // oldest first: deadlines in order
    std::size_t open_ = 0;  // sessions alive or being opened, idle included
    bool shut_down_ = false, timer_armed_ = false;
    tls_session resume_;
    pool_counters counters_;
};

}  // namespace wechatpay::net
