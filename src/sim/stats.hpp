// The simulator's counters, served as JSON by GET /sim/stats.
#pragma once

#include "sim/faults.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace wechatpay::sim {

class stats {
public:
    std::atomic<std::uint64_t> connections_accepted{0}, connections_open{0};
    std::atomic<std::uint64_t> handshakes_full{0}, handshakes_resumed{0}, handshakes_failed{0};
    std::atomic<std::uint64_t> notifications_sent{0}, notifications_failed{0}, notifications_retried{0};

    void request(const std::string& endpoint);
    void answer(unsigned status);
    void faults(const fault_set& f);
    std::string to_json() const;

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::uint64_t> requests_;
    std::map<unsigned, std::uint64_t> answers_;
    std::array<std::uint64_t, static_cast<std::size_t>(fault::count_)> faults_{};
};

}  // namespace wechatpay::sim
