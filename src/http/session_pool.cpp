#include "http/session_pool.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <optional>

namespace wechatpay::net {

// A call waiting for a session: no coroutine of its own, no timer of its own (the pool's one
// deadline timer serves every waiter, oldest first), only what it will be woken with. Under the
// pool's mutex the pool settles it exactly once (`outcome` leaves `wait`) — a session, the
// permission to open one, a timeout, a shutdown or a cancellation — and then completes
// `handler` through its own executor, outside the lock. A cancellation that comes after the
// pool settled it finds it settled and does nothing: the caller gets the grant and returns it.
struct session_pool::waiter {
    // Emplaced, never assigned: Boost 1.81's any_completion_handler move assignment recurses.
    std::optional<asio::any_completion_handler<void()>> handler;
    asio::any_io_executor handler_ex;  // the caller's: where it is woken
    clock::time_point deadline;
    take_result outcome = take_result::wait;
    std::shared_ptr<session> grant;
};

namespace {

void wake(const std::shared_ptr<session_pool::waiter>& w) {
    auto run = [h = std::move(*w->handler)]() mutable { std::move(h)(); };
    w->handler.reset();
    asio::post(w->handler_ex, std::move(run));
}

bool cancelled(const asio::cancellation_state& st) { return st.cancelled() != asio::cancellation_type::none; }

}  // namespace

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

session_pool::session_pool(asio::any_io_executor ex, pool_config cfg, asio::ssl::context& tls, pool_target target)
    : ex_(ex), strand_(asio::make_strand(ex)), cfg_(cfg), tls_(tls), target_(std::move(target)),
      deadlines_(strand_) {}

session_pool::~session_pool() = default;

namespace {

// Wakes a settled waiter through its caller's executor (never inline: the pool's mutex may have
// just been released on any thread, and the caller may be anywhere). Its cancellation handler
// stays in the slot until the caller's next operation replaces it: emitted late, it finds the
// waiter settled and does nothing.
void wake(const std::shared_ptr<session_pool::waiter>& w);

}  // namespace

session_pool::take_result session_pool::take(std::shared_ptr<session>& out, const std::shared_ptr<waiter>& w) {
    // Expired idle sessions are closed outside the lock, and their places freed only once they
    // are: the process never holds more sockets than max_sessions, even for a moment.
    for (std::size_t closed = 0;;) {
        std::vector<std::shared_ptr<session>> stale;
        {
            std::lock_guard lock(mutex_);
            open_ -= closed;
            if (shut_down_) return take_result::shut_down;
            const auto now = clock::now();
            while (!idle_.empty() && stale.empty()) {  // one expired session a round
                auto s = std::move(idle_.back());
                idle_.pop_back();
                if (now - s->last_used < cfg_.idle_timeout && now - s->created < cfg_.max_age) {
                    ++counters_.reuses;
                    out = std::move(s);
                    return take_result::session;
                }
                ++counters_.expired_idle;
                stale.push_back(std::move(s));
            }
            if (stale.empty()) return take_or_wait(w, now);
        }
        closed = stale.size();
        stale.clear();  // closed here, before the next round frees their places
    }
}

session_pool::take_result session_pool::take_or_wait(const std::shared_ptr<waiter>& w, clock::time_point now) {
    if (open_ < cfg_.max_sessions) {
        ++open_;
        return take_result::open_new;
    }
    if (!w) return take_result::wait;
    w->deadline = now + cfg_.acquire_timeout;
    waiters_.push_back(w);
    ++counters_.waits;
    if (!timer_armed_) {
        timer_armed_ = true;
        auto self = shared_from_this();
        asio::post(strand_, [self] { self->expire_waiters(); });
    }
    return take_result::wait;
}

namespace {

// Cancels a waiting acquire (any cancellation type: waiting has no effect to undo).
struct cancel_wait {
    std::weak_ptr<session_pool> pool;
    std::shared_ptr<session_pool::waiter> w;
    void operator()(asio::cancellation_type) const;
};

}  // namespace

// The asynchronous wait itself: registers the waiter (or settles it at once when a place freed
// up meanwhile) with the handler in it, and the caller's cancellation slot.
struct session_pool_wait {
    session_pool* pool;
    std::shared_ptr<session_pool::waiter> w;
    template <class Handler>
    void operator()(Handler&& handler) const {
        w->handler_ex = asio::get_associated_executor(handler, pool->get_executor());
        pool->start_wait(w, asio::any_completion_handler<void()>(std::forward<Handler>(handler)));
    }
};

void session_pool::start_wait(const std::shared_ptr<waiter>& w, asio::any_completion_handler<void()> h) {
    // The slot first: once registered, the waiter may be granted and woken on another thread.
    // A cancellation that finds it settled does nothing.
    auto slot = asio::get_associated_cancellation_slot(h);
    if (slot.is_connected()) slot.template emplace<cancel_wait>(cancel_wait{weak_from_this(), w});
    w->handler.emplace(std::move(h));
    std::shared_ptr<session> grant;
    const auto got = take(grant, w);
    if (got == take_result::wait) return;  // from here on only the pool touches `w`, under its mutex
    w->outcome = got;
    w->grant = std::move(grant);
    wake(w);
}

void cancel_wait::operator()(asio::cancellation_type) const {
    auto p = pool.lock();
    if (p) p->cancel_waiter(w);
}

void session_pool::cancel_waiter(const std::shared_ptr<waiter>& w) {
    {
        std::lock_guard lock(mutex_);
        if (w->outcome != take_result::wait) return;  // settled already: the caller returns its grant
        w->outcome = take_result::cancelled;
        waiters_.erase(std::find(waiters_.begin(), waiters_.end(), w));
    }
    wake(w);
}

asio::awaitable<acquire_error> session_pool::acquire(pooled_session& out) {
    // The frame a waiting call adds: this one, with no room for an error or a connection's
    // locals (open() has its own), and the waiter.
    std::shared_ptr<session> s;
    auto got = take(s, nullptr);
    if (got == take_result::wait) {
        auto w = std::make_shared<waiter>();
        const session_pool_wait init{this, w};
        co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(init, asio::use_awaitable);
        got = w->outcome;  // settled before the wake was posted
        s = std::move(w->grant);
        if (got == take_result::timed_out)
            co_return acquire_error{asio::error::timed_out, "no free session within the acquire timeout"};
        if (got == take_result::shut_down)
            co_return acquire_error{asio::error::shut_down,
                                    "the client was shut down while this call waited for a session"};
        if (got == take_result::cancelled || cancelled(co_await asio::this_coro::cancellation_state)) {
            // Cancelled at the moment it was granted: the grant goes back intact (a session to
            // the idle list or the next waiter, a place to the next waiter), nothing is opened.
            if (got != take_result::cancelled) pooled_session(shared_from_this(), std::move(s)).keep_and_release();
            co_return acquire_error{asio::error::operation_aborted, "cancelled while waiting for a session"};
        }
    }
    if (got == take_result::shut_down) co_return acquire_error{asio::error::shut_down, "the client is shut down"};
    if (got == take_result::session) {
        out = pooled_session(shared_from_this(), std::move(s));
        co_return acquire_error{};
    }
    co_return co_await open(out);
}

// In its own frame, so that a waiting call carries no room for a connection's locals.
asio::awaitable<acquire_error> session_pool::open(pooled_session& out) {
    pooled_session place(shared_from_this(), nullptr);  // the place goes back if this fails
    tls_session resume;
    {
        std::lock_guard lock(mutex_);
        resume = resume_;
    }
    // Each session lives on its own strand: Beast streams need their operations and timeouts
    // serialised, while the client's callers may run on any thread.
    auto strand = net::make_strand(ex_);
    // Named, not braced inside co_await: g++ 12 destroys such a temporary twice.
    connect_options o{target_.host, target_.port, target_.connect_timeout, std::move(resume)};
    auto s = co_await asio::co_spawn(strand, connect(strand, tls_, std::move(o)), asio::use_awaitable);
    if (!s) co_return acquire_error{s.error().code, s.error().detail, true};
    {
        std::lock_guard lock(mutex_);
        ++counters_.connects;
        ++counters_.handshakes;
        if ((*s)->resumed) ++counters_.resumed_handshakes;
    }
    place.s_ = std::move(*s);
    out = std::move(place);
    co_return acquire_error{};
}

void session_pool::give_back(std::shared_ptr<session> s, bool keep) noexcept {
    if (keep && s) {
        // The TLS session later connections resume: the first, then that of any new connection
        // that could not resume (its ticket expired or was refused).
        bool want = false;
        {
            std::lock_guard lock(mutex_);
            want = !resume_ || (!s->resumed && s->exchanges == 1);
        }
        if (want) {
            try {
                auto t = current_tls_session(*s);
                std::lock_guard lock(mutex_);
                resume_ = std::move(t);
            } catch (...) {  // bad_alloc: no resumption, nothing else lost
            }
        }
    }
    // A discarded session is closed before its place is freed (see take).
    const bool discarded = s && !keep;
    if (discarded) s.reset();
    std::shared_ptr<session> dropped;  // at shutdown: closed outside the lock (declared first)
    std::shared_ptr<waiter> woken;
    {
        std::lock_guard lock(mutex_);
        if (s && !shut_down_) {
            if (waiters_.empty()) {
                idle_.push_back(std::move(s));
                return;
            }
            woken = hand_to_waiter(std::move(s));
        } else {
            // Discarded (or never opened): its place is free for a waiter to open a new session.
            dropped = std::move(s);
            if (discarded || dropped) ++counters_.discarded;
            if (!waiters_.empty()) woken = hand_to_waiter(nullptr);
            else --open_;
        }
    }
    if (woken) wake(woken);
}

std::shared_ptr<session_pool::waiter> session_pool::hand_to_waiter(std::shared_ptr<session> s) {
    auto w = std::move(waiters_.front());
    waiters_.pop_front();
    w->outcome = s ? take_result::session : take_result::open_new;
    w->grant = std::move(s);
    if (waiters_.empty() && timer_armed_) {
        // Nothing left to time out: the timer must not keep run() busy until the deadline.
        auto self = shared_from_this();
        asio::post(strand_, [self] { self->deadlines_.cancel(); });
    }
    return w;
}

// On strand_: times out the waiters whose deadline passed (the oldest first: they all wait as
// long), then waits for the next one's, or stops when none is left.
void session_pool::expire_waiters() {
    std::vector<std::shared_ptr<waiter>> expired;
    clock::time_point next{};
    {
        std::lock_guard lock(mutex_);
        const auto now = clock::now();
        while (!waiters_.empty() && waiters_.front()->deadline <= now) {
            auto w = std::move(waiters_.front());
            waiters_.pop_front();
            w->outcome = take_result::timed_out;
            ++counters_.acquire_timeouts;
            expired.push_back(std::move(w));
        }
        if (waiters_.empty()) timer_armed_ = false;
        else next = waiters_.front()->deadline;
    }
    for (auto& w : expired) wake(w);
    if (next == clock::time_point{}) return;
    deadlines_.expires_at(next);
    auto self = shared_from_this();
    deadlines_.async_wait([self](boost::system::error_code) { self->expire_waiters(); });
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
        for (auto& w : woken) w->outcome = take_result::shut_down;
    }
    for (auto& w : woken) wake(w);
    auto self = shared_from_this();
    asio::post(strand_, [self] { self->deadlines_.cancel(); });
}

}  // namespace wechatpay::net
