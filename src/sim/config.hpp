// Checks of a simulator config that load_config and simulator::start share, so that an
// in-process config is held to what a config file is. Errors name the config file's field.
#pragma once

#include <wechatpay/sim/simulator.hpp>

namespace wechatpay::sim {

inline constexpr unsigned max_threads = 256;

// threads 0..256, idle_timeout > 0, refund_delay ≥ 0, notify time_scale > 0, no two merchants
// with one mchid, notify.ca loads as PEM certificates.
result<void> check_config(const config& cfg);

}  // namespace wechatpay::sim
