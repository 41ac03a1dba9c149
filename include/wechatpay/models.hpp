// Passive value types for what WeChat Pay sends back (reference §9). Read leniently: unknown
// fields are ignored, and the whole object stays available as `raw` JSON. A string field that
// was absent is empty; an absent number or object is an empty optional.
#pragma once

#include <wechatpay/error.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wechatpay {

struct goods_item {
    std::string goods_id;
    std::string goods_remark;
    std::int64_t quantity = 0;
    std::int64_t unit_price = 0;
    std::int64_t discount_amount = 0;
    std::int64_t refund_amount = 0;     // refunds only
    std::int64_t refund_quantity = 0;   // refunds only
    std::string merchant_goods_id;      // refunds only
    std::string wechatpay_goods_id;     // refunds only
    std::string goods_name;             // refunds only
};

struct promotion {
    std::string coupon_id;  // transactions: coupon_id; refunds: promotion_id
    std::string name;
    std::string scope;  // GLOBAL | SINGLE
    std::string type;   // CASH | NOCASH (transactions), COUPON | DISCOUNT (refunds)
    std::int64_t amount = 0;
    std::string stock_id;
    std::int64_t wechatpay_contribute = 0;
    std::int64_t merchant_contribute = 0;
    std::int64_t other_contribute = 0;
    std::int64_t refund_amount = 0;  // refunds only
    std::string currency;
    std::vector<goods_item> goods_detail;
};

struct transaction_amount {
    std::int64_t total = 0;  // fen
    std::optional<std::int64_t> payer_total;
    std::string currency;
    std::string payer_currency;
};

struct transaction {
    std::string appid;
    std::string mchid;
    std::string out_trade_no;
    std::string transaction_id;
    std::string trade_type;   // JSAPI | NATIVE | APP | MICROPAY | MWEB | FACEPAY
    std::string trade_state;  // SUCCESS | REFUND | NOTPAY | CLOSED | REVOKED | USERPAYING | PAYERROR
    std::string trade_state_desc;
    std::string bank_type;
    std::string attach;
    std::string success_time;  // RFC 3339
    std::string payer_openid;
    std::optional<transaction_amount> amount;
    std::string device_id;  // scene_info.device_id
    std::vector<promotion> promotion_detail;
    std::string raw;  // the object as received

    // Service-provider (partner) orders: the provider and the sub-merchant, and the payer's
    // openid under sp_appid (payer.sp_openid) and/or sub_appid (payer.sub_openid). appid and
    // mchid stay empty for them; payer_openid too.
    std::string sp_appid, sp_mchid, sub_appid, sub_mchid;
    std::string sp_openid, sub_openid;
    bool is_partner() const noexcept { return !sp_mchid.empty(); }
};

// A combine payment (合单支付): one payment by the payer for several orders, the sub-orders,
// each of a merchant of its own. A TRANSACTION.SUCCESS notification or a combine query
// carries it.
struct combine_amount {
    std::int64_t total_amount = 0;  // fen
    std::string currency;
    std::optional<std::int64_t> payer_amount;
    std::string payer_currency;
};

struct combine_sub_order {
    std::string mchid;
    std::string sub_mchid;  // service-provider mode
    std::string sub_appid;
    std::string out_trade_no;
    std::string transaction_id;
    std::string trade_type;
    std::string trade_state;
    std::string bank_type;
    std::string attach;
    std::string success_time;
    std::optional<combine_amount> amount;
    std::vector<promotion> promotion_detail;
};

struct combine_transaction {
    std::string combine_appid;
    std::string combine_mchid;
    std::string combine_out_trade_no;
    std::string payer_openid;  // combine_payer_info.openid
    std::string device_id;     // scene_info.device_id
    std::vector<combine_sub_order> sub_orders;
    std::string raw;
};

struct refund_amount_from {
    std::string account;  // AVAILABLE | UNAVAILABLE
    std::int64_t amount = 0;
};

struct refund_amount {
    std::int64_t total = 0;
    std::int64_t refund = 0;
    std::vector<refund_amount_from> from;
    std::optional<std::int64_t> payer_total;
    std::optional<std::int64_t> payer_refund;
    std::optional<std::int64_t> settlement_refund;
    std::optional<std::int64_t> settlement_total;
    std::optional<std::int64_t> discount_refund;
    std::string currency;
    std::optional<std::int64_t> refund_fee;
};

struct refund {
    std::string refund_id;
    std::string out_refund_no;
    std::string transaction_id;
    std::string out_trade_no;
    std::string channel;  // ORIGINAL | BALANCE | OTHER_BALANCE | OTHER_BANKCARD
    std::string user_received_account;
    std::string success_time;
    std::string create_time;
    std::string status;  // SUCCESS | CLOSED | PROCESSING | ABNORMAL
    std::string refund_status;  // in REFUND.* notifications, instead of status
    std::string funds_account;
    std::string mchid;  // in notifications
    std::optional<refund_amount> amount;
    std::vector<promotion> promotion_detail;
    std::string raw;
};

// Parse JSON text into a model: malformed_json (naming the field) when it is not an object or
// a known field has the wrong type.
result<transaction> parse_transaction(std::string_view json);
result<refund> parse_refund(std::string_view json);
result<combine_transaction> parse_combine_transaction(std::string_view json);

}  // namespace wechatpay
