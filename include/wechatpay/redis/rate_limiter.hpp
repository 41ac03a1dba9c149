// The request rate limiter shared by every instance of a merchant's servers (rate_limiter.hpp):
// the fleet together stays under WeChat Pay's per-merchant rates.
//
// Per endpoint class, one token bucket in Redis: a hash `wechatpay:{MCHID}:rate:CLASS` (the
// braces keep a merchant's keys in one Redis Cluster slot) holding the tokens left and when they
// were counted, by Redis's clock (TIME), so that instances' clocks never matter. One Lua script,
// one round trip per ask: it refills the bucket, takes a token or answers the wait until the
// next one. The key expires once it would be full again (nothing to remember then). Classes
// without a rate are answered without asking Redis.
//
// Failure semantics: when Redis cannot answer (down, slower than command_timeout), the ask
// either admits the request (fail_open, the default: WeChat's own limit still applies, and a 429
// is retried after retry.rate_limited_delay) with one warning to the logger until Redis answers
// again, or fails it (fail_open = false: the call fails with Redis's error and sends nothing).
// A Redis restarted without its data starts every bucket full: at most one burst more.
#pragma once

#include <wechatpay/config.hpp>
#include <wechatpay/rate_limiter.hpp>
#include <wechatpay/redis/connection.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace wechatpay::redis {

struct rate_limiter_options {
    rate_table rates = documented_rates();
    bool fail_open = true;
    logger_function logger;  // the warning when Redis fails (and when it answers again)
};

class rate_limiter final : public wechatpay::rate_limiter, public std::enable_shared_from_this<rate_limiter> {
public:
    // Create with std::make_shared.
    rate_limiter(std::shared_ptr<connection> conn, std::string mchid, rate_limiter_options opts = {});

    std::string key(endpoint_class c) const;
    std::uint64_t admitted_unchecked() const { return unchecked_.load(); }  // fail-open admissions

protected:
    void try_acquire(endpoint_class c, wait patience, handler_type handler) override;

private:
    void redis_failed(const error& e);
    void redis_answered();

    const std::shared_ptr<connection> conn_;
    const std::string prefix_;
    const rate_limiter_options opts_;
    std::atomic<std::uint64_t> unchecked_{0};
    std::atomic<bool> failing_{false};
};

}  // namespace wechatpay::redis
