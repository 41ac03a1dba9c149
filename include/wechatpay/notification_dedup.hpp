// Exactly one business effect per notification. WeChat Pay redelivers a notification until it
// hears a 2xx — 16 tries, the last 24 h 4 min after the first (notification_redelivery_span) —
// and may deliver it again even after one: the receiver must remember which notification ids it
// has handled, for longer than that. This is that memory, as an interface so that several
// receiving servers can share one store. A shared store should give an in-progress claim a
// short lease (minutes: a server that dies mid-effect must not block the id for the day) and
// keep a completed id for 25 hours (e.g. Redis SET NX EX 300, then SET EX 90000).
//
// Asynchronous, so that a store a network away (Redis, a database) never blocks an io thread:
// each operation completes its handler once, from any thread, inline or later; the notification
// handler resumes on its own executor. A store that cannot answer completes with an error: the
// delivery is then answered with a failure (WeChat retries) and nothing is marked.
#pragma once

#include <wechatpay/error.hpp>
#include <wechatpay/signer.hpp>

#include <boost/asio/any_completion_handler.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace wechatpay {

// From a notification's first delivery to its last redelivery: WeChat waits 15 s, 15 s, 30 s,
// 3 m, 10 m, 20 m, 30 m, 30 m, 30 m, 60 m, 3 h, 3 h, 3 h, 6 h, 6 h between its 16 tries.
inline constexpr std::chrono::seconds notification_redelivery_span{24 * 3600 + 4 * 60};

class notification_dedup {
public:
    enum class claim {
        first,        // never seen: now marked in progress, the caller handles it
        in_progress,  // another delivery is being handled right now: answer failure, WeChat retries
        done,         // handled already: acknowledge without a second effect
    };
    using claim_handler = boost::asio::any_completion_handler<void(result<claim>)>;
    using done_handler = boost::asio::any_completion_handler<void(result<void>)>;
    virtual ~notification_dedup() = default;
    // Atomically: an unseen id becomes in progress (first); otherwise what is known of it.
    virtual void async_claim(std::string id, claim_handler handler) = 0;
    // The business effect happened: later deliveries of `id` are duplicates.
    virtual void async_complete(std::string id, done_handler handler) = 0;
    // It did not: the next delivery of `id` is handled again.
    virtual void async_release(std::string id, done_handler handler) = 0;
};

// The default store: this process's memory (lost on restart; one per client), at most
// `capacity` completed ids — the oldest forgotten first — each remembered for `ttl` after it was
// claimed: by default 25 hours, beyond WeChat's last redelivery (notification_redelivery_span).
// Ids still in progress are never forgotten for room. Thread-safe; the asynchronous operations
// complete inline.
class memory_dedup final : public notification_dedup {
public:
    static constexpr std::chrono::seconds default_ttl{std::chrono::hours(25)};
    static_assert(default_ttl > notification_redelivery_span);
    explicit memory_dedup(std::size_t capacity = 100'000, std::chrono::seconds ttl = default_ttl,
                          clock_function clock = {});

    void async_claim(std::string id, claim_handler handler) override;
    void async_complete(std::string id, done_handler handler) override;
    void async_release(std::string id, done_handler handler) override;

    claim try_claim(std::string_view id);
    void complete(std::string_view id);
    void release(std::string_view id);
    std::size_t size() const;

private:
    struct entry {
        bool done = false;
        std::int64_t expires = 0;
        std::uint64_t claim = 0;  // which claim made it: queue pairs of older claims are stale
    };
    std::int64_t now() const { return clock_ ? clock_() : system_unix_time(); }
    void evict(std::int64_t now);  // expired ids, then the oldest completed ones beyond capacity

    const std::size_t capacity_;
    const std::int64_t ttl_;
    const clock_function clock_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, entry> ids_;
    std::deque<std::pair<std::string, std::uint64_t>> order_;  // (id, claim) in claim order
    std::uint64_t claims_ = 0;
};

}  // namespace wechatpay
