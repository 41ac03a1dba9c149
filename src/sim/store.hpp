// The simulator's business state: orders and refunds of every merchant, with WeChat's state
// machine. Thread-safe (one mutex; the work under it is map lookups and string copies).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace wechatpay::sim {

// A coupon the payer used (what WeChat's promotion_detail says of it): the payer pays total -
// amount. type CASH (充值型, funded ahead) or NOCASH (免充值); scope GLOBAL or SINGLE.
struct coupon {
    std::string coupon_id, name, scope = "GLOBAL", type = "CASH", stock_id;
    std::int64_t amount = 0, wechatpay_contribute = 0, merchant_contribute = 0, other_contribute = 0;
};

struct order {
    std::string mchid, appid, out_trade_no, transaction_id, trade_type;  // JSAPI APP NATIVE MWEB
    std::string description, attach, notify_url, time_expire, goods_tag;
    std::string prepay_id, code_url, h5_url;
    std::string fingerprint;  // the prepay request's parameters, to spot a changed repeat
    std::int64_t total = 0;
    std::string currency = "CNY";
    std::string payer_openid, payer_client_ip, device_id;
    std::string trade_state = "NOTPAY";  // NOTPAY SUCCESS REFUND CLOSED
    std::string bank_type, success_time;
    std::int64_t created = 0, expires = 0, paid_at = 0;  // Unix seconds; expires 0 = never
    std::int64_t refunded = 0;                           // fen, PROCESSING and SUCCESS refunds
    std::optional<sim::coupon> coupon;                   // set when paid with one
    std::int64_t payer_total() const { return total - (coupon ? coupon->amount : 0); }
    bool profit_sharing = false;                         // settle_info.profit_sharing: funds frozen for splits
    // A service provider's order: mchid above is the sub-merchant's, appid the sp_appid,
    // payer_openid the sp_openid. Empty sp_mchid: a direct merchant's order.
    std::string sp_mchid, sub_appid, sub_openid;
    // A combine order's sub-order: its combine order (paid and closed as a whole).
    std::string combine_mchid, combine_out_trade_no;
};

// A combine order (合单): its own number and prepay, and its sub-orders, each an order of the
// store keyed (owner mchid, out_trade_no) — owner the sub_mchid of a service provider's sub-order.
struct combine_record {
    std::string combine_mchid, combine_appid, combine_out_trade_no, trade_type, notify_url, device_id;
    std::string prepay_id, code_url, h5_url, fingerprint, payer_openid;
    std::vector<std::pair<std::string, std::string>> subs;  // (owner mchid, out_trade_no)
    std::int64_t created = 0, expires = 0;
};

struct refund_record {
    std::string mchid, refund_id, out_refund_no, transaction_id, out_trade_no;
    std::string reason, notify_url, funds_account, status = "PROCESSING";
    std::string channel = "ORIGINAL", user_received_account = "支付用户零钱";
    std::int64_t refund = 0, total = 0;
    std::vector<std::pair<std::string, std::int64_t>> from;  // amount.from: (account, fen)
    std::optional<sim::coupon> coupon;  // the order's, when it was paid with one
    std::int64_t discount_refund = 0;   // the coupon's share of `refund`
    std::string currency = "CNY";
    std::int64_t payer_total() const { return total - (coupon ? coupon->amount : 0); }
    std::int64_t created = 0, succeeded = 0;
    std::string sp_mchid;  // a service provider's refund: mchid above is the sub-merchant's
};

class store {
public:
    // time_expire only stops payment: a NOTPAY order stays NOTPAY past it, until closed.
    std::optional<order> find_order(const std::string& mchid, const std::string& out_trade_no);
    std::optional<order> find_by_transaction(const std::string& mchid, const std::string& transaction_id);
    // Inserts, or returns the existing order of that out_trade_no (the caller compares).
    order insert_or_get(order o);
    enum class change { ok, not_found, paid, closed, refunded, expired, coupon_too_large, combined };
    change close(const std::string& mchid, const std::string& out_trade_no);
    // NOTPAY → SUCCESS, before time_expire, with a coupon when one is given (its amount below
    // the total: the caller checks); returns the paid order.
    std::optional<order> pay(const std::string& mchid, const std::string& out_trade_no,
                             const std::string& openid, const std::string& bank_type, std::int64_t now,
                             change& why, const sim::coupon* used = nullptr);

    struct refund_outcome {
        std::optional<refund_record> refund;
        std::string error_code, error_message;  // set when refused
        unsigned status = 200;
        bool existing = false;
    };
    refund_outcome add_refund(refund_record r, const std::string& by_transaction_id, std::int64_t now);
    std::optional<refund_record> find_refund(const std::string& mchid, const std::string& out_refund_no);
    // PROCESSING → SUCCESS (the refund delay passed); order becomes REFUND.
    std::optional<refund_record> complete_refund(const std::string& mchid, const std::string& out_refund_no,
                                                 std::int64_t now);

    // Combine orders. insert_combine stores the record and its sub-orders at once, or returns the
    // existing record of that number (the caller compares fingerprints); `used` names a
    // sub-order number another order already has (then nothing is stored).
    struct combine_view {
        combine_record record;
        std::vector<order> orders;  // in record.subs' order
    };
    std::optional<combine_view> insert_combine(combine_record c, std::vector<order> subs, std::string& used);
    std::optional<combine_view> find_combine(const std::string& combine_mchid, const std::string& no);
    // Every sub-order CLOSED (paid: change::paid, nothing closed).
    change close_combine(const std::string& combine_mchid, const std::string& no);
    // Every sub-order NOTPAY → SUCCESS at once, each with its own transaction_id.
    std::optional<combine_view> pay_combine(const std::string& combine_mchid, const std::string& no,
                                            const std::string& openid, std::int64_t now, change& why);

    // Everything paid or refunded, for bills.
    std::vector<order> orders_of(const std::string& mchid);
    std::vector<refund_record> refunds_of(const std::string& mchid);

private:
    order* locate(const std::string& mchid, const std::string& out_trade_no);
    void assign_ids(order& o);  // transaction, prepay ids and URLs of a new order (under mutex_)
    combine_view view_of(const combine_record& c);  // under mutex_
    std::map<std::pair<std::string, std::string>, combine_record> combines_;  // (combine_mchid, no)

    std::mutex mutex_;
    std::map<std::pair<std::string, std::string>, order> orders_;         // (mchid, out_trade_no)
    std::map<std::string, std::pair<std::string, std::string>> by_txn_;   // transaction_id → key
    std::map<std::pair<std::string, std::string>, refund_record> refunds_;  // (mchid, out_refund_no)
    std::uint64_t sequence_ = 0;
};

// "2026-11-27T18:30:00+08:00": WeChat's RFC 3339 times, in China Standard Time.
// Empty for a time whose year is not four digits.
std::string rfc3339_cst(std::int64_t unix_seconds);
// Parses RFC 3339 with a numeric offset or Z; nullopt when malformed.
std::optional<std::int64_t> parse_rfc3339(const std::string& s);

}  // namespace wechatpay::sim
