// The simulator's business time: the wall clock plus an offset that the control API moves
// forward (POST /sim/clock), so that a test sees time_expire pass or a rotated certificate
// start signing without sleeping. Signatures and their 5-minute window stay on the wall clock:
// the client checks them against its own.
#pragma once

#include <wechatpay/signer.hpp>

#include <atomic>
#include <cstdint>

namespace wechatpay::sim {

class sim_clock {
public:
    std::int64_t now() const { return system_unix_time() + offset_.load(); }
    std::int64_t offset() const { return offset_.load(); }
    static constexpr std::int64_t max_step = 10LL * 365 * 24 * 3600;     // one move: ten years
    static constexpr std::int64_t max_offset = 100LL * 365 * 24 * 3600;  // in all: a century
    // Time only moves forward, by at most max_step at once and max_offset in all, so that now()
    // and the times computed from it stay far from overflow. False, and no move, otherwise.
    bool advance(std::int64_t seconds) {
        if (seconds < 0 || seconds > max_step) return false;
        std::int64_t current = offset_.load();
        do {
            if (current > max_offset - seconds) return false;
        } while (!offset_.compare_exchange_weak(current, current + seconds));
        return true;
    }

private:
    std::atomic<std::int64_t> offset_{0};
};

}  // namespace wechatpay::sim
