#include <wechatpay/redis/rate_limiter.hpp>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/error.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace wechatpay::redis {

namespace {

// KEYS[1] the bucket; ARGV: tokens a second, burst, patience (microseconds). Returns 0 (a token
// taken) or the wait in microseconds until the next one, in whole milliseconds (as the client
// compares it with the patience), at most a day; a wait within the
// patience reserves that token (the count goes below zero). Lua numbers are doubles:
// microseconds since 1970 are exact. TIME before a write needs effects replication (the default
// from Redis 5).
constexpr const char* bucket_script = R"lua(
if redis.replicate_commands then redis.replicate_commands() end
local day = 86400000000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local patience = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local held = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(held[1])
local at = tonumber(held[2])
if tokens == nil or at == nil then tokens = burst; at = now end
if now > at then tokens = math.min(burst, tokens + (now - at) * rate / 1000000); at = now end
local wait = 0
if tokens < 1 then wait = math.min(day, math.ceil((1 - tokens) * 1000 / rate) * 1000) end
if wait <= patience then tokens = tokens - 1 end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%d', at))
redis.call('PEXPIRE', KEYS[1], string.format('%d', math.min(day / 1000, math.ceil((burst - tokens) * 1000 / rate) + 1000)))
return wait
)lua";

std::string number(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);  // exact: a tiny rate must not read as 0
    return buf;
}

}  // namespace

rate_limiter::rate_limiter(std::shared_ptr<connection> conn, std::string mchid, rate_limiter_options opts)
    : conn_(std::move(conn)), prefix_("wechatpay:{" + std::move(mchid) + "}:rate:"), opts_(std::move(opts)) {}

std::string rate_limiter::key(endpoint_class c) const { return prefix_ + to_string(c); }

void rate_limiter::try_acquire(endpoint_class c, wait patience, handler_type handler) {
    const auto i = static_cast<std::size_t>(c);
    if (i >= endpoint_class_count || !opts_.rates[i].limited()) return complete(std::move(handler), wait(0));
    const rate r = opts_.rates[i];
    const auto patience_us = std::chrono::duration_cast<std::chrono::microseconds>(usable_patience(patience));
    std::vector<std::string> args{"EVAL",
                                  bucket_script,
                                  "1",
                                  key(c),
                                  number(r.per_second),
                                  number(std::max(1.0, r.burst)),
                                  std::to_string(patience_us.count())};
    // The answer goes to the caller's executor (its strand), not on through the connection's.
    const auto ex = boost::asio::get_associated_executor(handler, conn_->get_executor());
    // A weak hold: a pending ask must not keep the limiter, and through it the connection, alive
    // (a cycle if the io_context is destroyed with the ask in flight).
    conn_->async_exec(std::move(args), boost::asio::bind_executor(ex, [weak = weak_from_this(), h = std::move(handler)](result<reply> a) mutable {
        const auto self = weak.lock();
        if (!self) return std::move(h)(error(boost::asio::error::operation_aborted, "rate limiter: destroyed"));
        if (a && a->kind != reply::type::integer)
            a = error(errc::malformed_json, "redis: unexpected answer to a rate limiter ask");
        if (!a) {
            self->redis_failed(a.error());
            if (self->opts_.fail_open) {
                ++self->unchecked_;
                return std::move(h)(wait(0));
            }
            return std::move(h)(std::move(a).error());  // already "redis: …"
        }
        self->redis_answered();
        // Whole milliseconds (the script rounds up): a wait is never zero.
        const long long us = std::max(0LL, a->integer);
        std::move(h)(wait(us == 0 ? 0 : std::max(1LL, (us + 999) / 1000)));
    }));
}

// One warning when Redis stops answering, one line when it answers again: not one per call.
void rate_limiter::redis_failed(const error& e) {
    if (failing_.exchange(true) || !opts_.logger) return;
    opts_.logger(log_level::warning,
                 std::string("rate limiter: Redis did not answer (") + e.to_string() + "); " +
                     (opts_.fail_open ? "admitting requests unchecked until it does" : "refusing requests until it does"),
                 {});
}

void rate_limiter::redis_answered() {
    if (!failing_.exchange(false) || !opts_.logger) return;
    opts_.logger(log_level::info, "rate limiter: Redis answers again", {});
}

}  // namespace wechatpay::redis
