#include "sim/stats.hpp"

#include <boost/json.hpp>

namespace wechatpay::sim {

namespace json = boost::json;

void stats::request(const std::string& endpoint) {
    std::lock_guard lock(mutex_);
    ++requests_[endpoint];
}

void stats::answer(unsigned status) {
    std::lock_guard lock(mutex_);
    ++answers_[status];
}

void stats::faults(const fault_set& f) {
    if (f.empty()) return;
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < faults_.size(); ++i)
        if (f.has(static_cast<fault>(i))) ++faults_[i];
}

std::string stats::to_json() const {
    json::object requests, answers, faults;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [k, v] : requests_) requests[k] = v;
        for (const auto& [k, v] : answers_) answers[std::to_string(k)] = v;
        for (std::size_t i = 0; i < faults_.size(); ++i) faults[to_string(static_cast<fault>(i))] = faults_[i];
    }
    return json::serialize(json::object{
        {"connections_accepted", connections_accepted.load()},
        {"connections_open", connections_open.load()},
        {"tls_handshakes", json::object{{"full", handshakes_full.load()},
                                        {"resumed", handshakes_resumed.load()},
                                        {"failed", handshakes_failed.load()}}},
        {"requests", requests},
        {"answers", answers},
        {"notifications", json::object{{"sent", notifications_sent.load()},
                                       {"failed", notifications_failed.load()},
                                       {"retried", notifications_retried.load()}}},
        {"faults_injected", faults}});
}

}  // namespace wechatpay::sim
