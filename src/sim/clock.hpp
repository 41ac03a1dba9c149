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
    // Time only moves forward: returns the new offset.
    std::int64_t advance(std::int64_t seconds) { return offset_ += seconds; }

private:
    std::atomic<std::int64_t> offset_{0};
};

}  // namespace wechatpay::sim
