// Request rates per endpoint class. WeChat Pay answers 429 FREQUENCY_LIMITED above per-merchant
// rates (transfer-bill queries: 100 a second); a limiter keeps the client, or a whole fleet of
// instances sharing one (wechatpay::redis::rate_limiter), under them instead of learning them
// from refusals.
//
// The client asks the limiter once before every send, retries included
// (client_config::rate_limiter; none by default: then nothing is asked), saying how long the
// request may wait for its turn (timeouts.request). The limiter answers at once: a token taken
// (a zero wait), a token reserved that long ahead (a wait within the patience: the client sleeps
// it out, then sends without asking again), or the wait a turn would need, longer than the
// patience (nothing reserved: the call fails with asio::error::timed_out and sends nothing). A
// call cancelled while it waits fails with operation_aborted, sends nothing, and leaves its turn
// unused. Reservations queue callers in the order they asked, one ask per request however many
// wait: no herd of waiters asking again and again, no waiter passed over forever.
//
// Each class is a token bucket: `per_second` tokens a second, at most `burst` saved. A bucket
// can admit burst + per_second·T requests in any T seconds; WeChat counts in fixed one-second
// windows, so keep burst + per_second under its figure, with room for the time a request takes
// to reach it (rate::under).
#pragma once

#include <wechatpay/error.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string_view>

namespace wechatpay {

// Requests WeChat limits together. `other` is everything not named.
enum class endpoint_class : std::uint8_t {
    other,
    prepay,           // POST …/transactions/{jsapi,app,native,h5}, partner and combine too
    payment_query,    // GET an order (by out_trade_no or transaction_id), partner and combine too
    refund,           // /v3/refund/domestic/refunds: create and query
    transfer_create,  // POST /v3/fund-app/mch-transfer/transfer-bills
    transfer_query,   // GET a transfer bill (by out_bill_no or transfer_bill_no)
    profit_sharing,   // /v3/profitsharing/…
    certificates,     // GET /v3/certificates
};
inline constexpr std::size_t endpoint_class_count = 8;
const char* to_string(endpoint_class c) noexcept;

// The class of a request: its method and target (path, any query ignored).
endpoint_class classify_request(std::string_view method, std::string_view target) noexcept;

struct rate {
    double per_second = 0;  // 0: unlimited
    double burst = 1;       // tokens saved at most (at least 1)
    bool limited() const noexcept { return per_second > 0; }
    // Under a limit WeChat counts per fixed one-second window: 7/10 of it a second, a burst of
    // 1/10 (at least 1): 0.1 + 0.7·(1 + d) ≤ 1 leaves d = 0.28 s for a request's way to WeChat
    // (a request admitted just before a window edge but counted after it).
    static rate under(double limit_per_second) noexcept;
};
using rate_table = std::array<rate, endpoint_class_count>;  // indexed by endpoint_class

// The figures WeChat documents per merchant, each under() its limit: transfer bills, created and
// queried (100/s each), profit-sharing requests (30/s per receiving merchant). Everything else
// unlimited (set what your merchant was told).
rate_table documented_rates() noexcept;

class rate_limiter {
public:
    using wait = std::chrono::milliseconds;  // zero: a token was taken
    using handler_type = boost::asio::any_completion_handler<void(result<wait>)>;
    virtual ~rate_limiter() = default;

    // A wait is capped at a day (a tiny rate must not overflow it). A capped wait is no real
    // turn, so the patience that limiters and the client compare a wait with stops just below.
    static constexpr wait longest_wait{86'400'000};
    static constexpr wait usable_patience(wait patience) noexcept {
        return std::clamp(patience, wait(0), longest_wait - wait(1));
    }

    // One ask for a request of class `c` that can wait `patience`: zero (a token taken), a wait
    // of at most `patience` (a token reserved for then), or a longer wait (nothing reserved). An
    // error means the limiter could not answer (the call then fails, sends nothing). Completes on
    // the handler's associated executor.
    template <class Token>
    auto async_try_acquire(endpoint_class c, wait patience, Token&& token) {
        return boost::asio::async_initiate<Token, void(result<wait>)>(
            [this](auto handler, endpoint_class k, wait p) { try_acquire(k, p, handler_type(std::move(handler))); },
            token, c, patience);
    }

protected:
    virtual void try_acquire(endpoint_class c, wait patience, handler_type handler) = 0;
    // Completes `handler` with `r` through its associated executor (inline when none).
    static void complete(handler_type handler, result<wait> r);
};

// This process's buckets: for one instance (a fleet shares wechatpay::redis::rate_limiter).
// Thread-safe; answers without waiting. The clock is injectable for tests.
class memory_rate_limiter final : public rate_limiter {
public:
    using clock_function = std::function<std::chrono::steady_clock::time_point()>;
    explicit memory_rate_limiter(rate_table rates, clock_function clock = {});
    wait take(endpoint_class c, wait patience = wait(0));  // the synchronous ask

protected:
    void try_acquire(endpoint_class c, wait patience, handler_type handler) override;

private:
    struct bucket {
        double tokens = 0;  // below zero: tokens reserved ahead
        std::chrono::steady_clock::time_point at{};
        bool started = false;
    };
    const rate_table rates_;
    const clock_function clock_;
    std::mutex mutex_;
    std::array<bucket, endpoint_class_count> buckets_{};
};

}  // namespace wechatpay
