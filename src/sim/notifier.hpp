// Sends notifications as WeChat Pay does: encrypts the resource with the merchant's APIv3 key,
// signs the body, POSTs it to notify_url (https verified against notify.ca; http only for
// loopback), and retries on WeChat's schedule (scaled by time_scale) until a 200 or 204 answer,
// signing each try afresh.
#pragma once

#include <wechatpay/sim/simulator.hpp>

#include "sim/keyring.hpp"
#include "sim/stats.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace wechatpay::sim {

// notify.ca must load as PEM certificates; the error names "notify.ca". An empty path (the
// system store) passes.
result<void> check_notify_ca(const std::filesystem::path& file);

// config::notify_balance: each key "host:port" (the port written), each list non-empty, each
// target a loopback "IP:port". The error names "notify.balance" and the entry.
result<void> check_notify_balance(const std::map<std::string, std::vector<std::string>>& balance);

struct notification_job {
    const merchant* to;
    std::string notify_url, event_type, summary, original_type, resource;
};

class notifier {
public:
    notifier(boost::asio::io_context& ioc, const config& cfg, const keyring& keys, stats& st);
    ~notifier();

    void send(notification_job job);
    std::string log_json() const;

    struct delivery;  // implementation details, shared with the delivery coroutines
    struct shared;

private:
    std::shared_ptr<shared> s_;
};

}  // namespace wechatpay::sim
