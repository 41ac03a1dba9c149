// Checks of a simulator config that load_config and simulator::start share, so that an
// in-process config is held to what a config file is. Errors name the config file's field.
#pragma once

#include <wechatpay/sim/simulator.hpp>

namespace wechatpay::sim {

inline constexpr unsigned max_threads = 256;

// threads 0..256, idle_timeout > 0, refund_delay ≥ 0, notify time_scale > 0, no two merchants
// with one mchid, notify.ca loads as PEM certificates.
result<void> check_config(const config& cfg);

// load_config's work on the file's text: `file` names it in errors, and relative paths inside it
// are relative to its folder (the files they name are read).
result<config> load_config_text(std::string_view text, const std::filesystem::path& file);

}  // namespace wechatpay::sim
