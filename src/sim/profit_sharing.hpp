// The simulator's profit sharing (分账) as WeChat keeps it for a direct merchant: receivers
// added first; a split of a paid order prepaid with settle_info.profit_sharing = true, no sooner
// than a minute after payment and within 30 days (on the simulator's clock, which /sim/clock
// moves), of at most what is still unsplit (NOT_ENOUGH); PROCESSING until it is processed (after
// `processing` of wall time: 2 s scaled by notify time_scale), then FINISHED with each receiver
// SUCCESS, or CLOSED/NO_RELATION when the receiver was deleted meanwhile; unfreezing the rest;
// returns from merchant receivers; the day's split bill; PROFITSHARING.SUCCESS / .RETURN
// notifications to the merchant's profit_sharing_notify_url. A personal receiver's name arrives
// encrypted with a platform key: it is decrypted with the private key the request's
// Wechatpay-Serial names and compared with the name the receiver was added with.
// Thread-safe (one mutex).
#pragma once

#include "sim/api.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace wechatpay::sim {

struct split_line {
    std::string type, account, description;
    std::int64_t amount = 0;
    std::string result = "PENDING";  // PENDING | SUCCESS | CLOSED
    std::string fail_reason, detail_id;
    std::int64_t finished = 0;
};

struct split_record {
    std::string mchid, transaction_id, out_order_no, order_id;
    std::string state = "PROCESSING";  // PROCESSING | FINISHED
    bool unfreeze = false;             // POST …/orders/unfreeze (or unfreeze_unsplit's own line)
    std::vector<split_line> lines;
    std::int64_t created = 0;
};

struct split_return_record {
    std::string mchid, order_id, out_order_no, out_return_no, return_id, return_mchid, description;
    std::int64_t amount = 0, created = 0;
    std::string result = "SUCCESS";
};

class profit_sharing_desk {
public:
    struct hooks {
        // The private key of a platform certificate serial or PUB_KEY_ID (decrypts names).
        std::function<std::optional<private_key>(std::string_view serial)> decrypting_key;
        // Runs `f` once `after` of wall time has passed.
        std::function<void(std::chrono::milliseconds after, std::function<void()> f)> later;
        // A PROFITSHARING.* notification to the merchant's profit_sharing_notify_url.
        std::function<void(const merchant&, const std::string& event_type, const std::string& summary,
                           std::string resource)>
            notify;
        // A bill file served at /v3/billdownload/file: the answer with its download_url.
        std::function<answer(const merchant&, const std::string& csv, bool gzip, const std::string& date)> bill;
    };

    profit_sharing_desk(const config& cfg, store& orders) : cfg_(cfg), orders_(orders) {}
    void set_hooks(hooks h) { hooks_ = std::move(h); }

    static bool serves(std::string_view path) { return path.starts_with("/v3/profitsharing/"); }
    // The endpoint's name for statistics ("unknown" when none).
    static std::string endpoint_of(std::string_view path);
    static bool is_endpoint_name(std::string_view name);

    answer handle(const merchant& m, std::string_view method, std::string_view path, std::string_view query,
                  const std::string& body, std::string_view serial, std::int64_t now);

private:
    answer create(const merchant& m, const std::string& body, std::string_view serial, std::int64_t now);
    answer query(const merchant& m, const std::string& out_order_no, std::string_view query);
    answer unfreeze(const merchant& m, const std::string& body, std::int64_t now);
    answer create_return(const merchant& m, const std::string& body, std::int64_t now);
    answer query_return(const merchant& m, const std::string& out_return_no, std::string_view query);
    answer amounts(const merchant& m, const std::string& transaction_id);
    answer receivers(const merchant& m, bool add, const std::string& body, std::string_view serial);
    answer bill(const merchant& m, std::string_view query, std::int64_t now);

    // The unsplit amount of a paid order (mutex_ held).
    std::int64_t unsplit(const order& o) const;
    // WeChat-like numbers (order_id, detail_id, return_id) and the merchant's own line of an
    // unfreeze (mutex_ held).
    std::string next_id(std::string_view kind);
    split_line unfrozen_line(const merchant& m, std::int64_t amount, std::string description);
    void schedule(const merchant& m, const std::string& out_order_no);
    void finish(const merchant& m, const std::string& out_order_no);

    const config& cfg_;
    store& orders_;
    hooks hooks_;
    mutable std::mutex mutex_;
    std::map<std::pair<std::string, std::string>, split_record> splits_;          // (mchid, out_order_no)
    std::map<std::pair<std::string, std::string>, split_return_record> returns_;  // (mchid, out_return_no)
    struct receiver {
        std::string type, account, name, relation_type, custom_relation;
    };
    std::map<std::tuple<std::string, std::string, std::string>, receiver> receivers_;  // (mchid, type, account)
    std::uint64_t sequence_ = 0;
    static constexpr std::size_t max_records = 100000;
};

}  // namespace wechatpay::sim
