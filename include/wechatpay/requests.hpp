// What the client sends (reference §9): prepay, refund and bill requests, and what their
// answers carry. Written as JSON without nulls (empty strings and empty optionals are left
// out). validate() refuses, before any network I/O, what WeChat Pay would refuse.
#pragma once

#include <wechatpay/error.hpp>
#include <wechatpay/payment_params.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wechatpay {

struct amount {
    std::int64_t total = 0;        // fen, > 0
    std::string currency = "CNY";  // the only currency of domestic payments
};

struct goods_line {
    std::string merchant_goods_id;  // required in a detail line
    std::string wechatpay_goods_id;
    std::string goods_name;
    std::int64_t quantity = 1;
    std::int64_t unit_price = 0;  // fen
};

struct order_detail {
    std::optional<std::int64_t> cost_price;
    std::string invoice_id;
    std::vector<goods_line> goods_detail;
};

struct store_info {
    std::string id, name, area_code, address;  // id required when present
};

struct h5_info {
    std::string type;  // iOS | Android | Wap (required for H5)
    std::string app_name, app_url, bundle_id, package_name;
};

struct scene_info {
    std::string payer_client_ip;  // required for H5
    std::string device_id;
    std::optional<wechatpay::store_info> store_info;
    std::optional<wechatpay::h5_info> h5_info;
};

enum class prepay_kind { jsapi, app, native, h5 };
const char* to_string(prepay_kind k) noexcept;  // "jsapi", "app", "native", "h5"

// The body of the four prepays. appid and mchid default to the client's.
struct prepay_request {
    std::string appid;
    std::string mchid;
    std::string description;   // ≤ 127 characters
    std::string out_trade_no;  // 6–32 of [0-9A-Za-z_-|*]
    std::string time_expire;   // RFC 3339, optional
    std::string attach;        // ≤ 128 characters, echoed back
    std::string notify_url;    // https, no query
    std::string goods_tag;
    std::optional<bool> support_fapiao;
    wechatpay::amount amount;
    std::string payer_openid;  // required for JSAPI / mini-program
    std::optional<order_detail> detail;
    std::optional<wechatpay::scene_info> scene_info;  // payer_client_ip + h5_info required for H5
    std::optional<bool> profit_sharing;  // settle_info.profit_sharing

    result<void> validate(prepay_kind kind) const;  // invalid_argument naming the field
    std::string to_json() const;
};

struct app_prepay {
    std::string prepay_id;
    app_payment payment;  // hand to the app's SDK
};

struct jsapi_prepay {
    std::string prepay_id;
    jsapi_payment payment;  // hand to wx.requestPayment
};

struct refund_from {
    std::string account;  // AVAILABLE | UNAVAILABLE
    std::int64_t amount = 0;
};

struct refund_goods {
    std::string merchant_goods_id, wechatpay_goods_id, goods_name;
    std::int64_t unit_price = 0, refund_amount = 0, refund_quantity = 0;
};

struct refund_request {
    std::string transaction_id;  // this or out_trade_no
    std::string out_trade_no;
    std::string out_refund_no;   // 6–64 of [0-9A-Za-z_-|*@]; the same number makes a retry safe
    std::string reason;          // ≤ 80 characters
    std::string notify_url;
    std::string funds_account;   // AVAILABLE
    std::int64_t refund = 0;     // fen, > 0 and ≤ total
    std::int64_t total = 0;      // the order's total
    std::string currency = "CNY";
    std::vector<refund_from> from;
    std::vector<refund_goods> goods_detail;
    // Service providers: the sub-merchant whose order is refunded (client::async_partner_refund
    // fills the client's default). Sent only when set.
    std::string sub_mchid;

    result<void> validate() const;
    std::string to_json() const;
};

struct trade_bill_request {
    std::string bill_date;         // YYYY-MM-DD
    std::string bill_type = "ALL"; // ALL | SUCCESS | REFUND | RECHARGE_REFUND (refunds of recharge coupons)
    bool gzip = false;             // tar_type=GZIP
    result<void> validate() const;
    std::string query() const;     // bill_date=…&bill_type=…[&tar_type=GZIP]
};

struct fundflow_bill_request {
    std::string bill_date;
    std::string account_type = "BASIC";  // BASIC | OPERATION | FEES
    bool gzip = false;
    result<void> validate() const;
    std::string query() const;
};

// The answer of a bill request: where to download it and the hash to check it against.
struct bill_info {
    std::string hash_type;   // SHA1
    std::string hash_value;  // hex
    std::string download_url;
    bool gzip = false;       // asked with tar_type=GZIP: the download is gzip
};
result<bill_info> parse_bill_info(std::string_view json);

// A bill streamed to a file or a sink (client::async_download_bill_to), checked whole: gzip
// inflated to its end and the SHA1 of the bill equal to bill_info::hash_value.
struct bill_download {
    std::uint64_t received_bytes = 0;  // over the wire (compressed when gzip)
    std::uint64_t bill_bytes = 0;      // the bill itself, as the sink or file got it
    std::string sha1;                  // hex, lower case
    std::string request_id;
};

// Percent-encodes one path segment (out_trade_no, out_refund_no…) for a URL.
std::string encode_path_segment(std::string_view s);

// A request target that can be sent and signed as written: origin-form (RFC 9112 §3.2.1),
// "/path" then optionally "?query", each byte a path or query character of RFC 3986 or part of
// a %XX escape. Spaces, control bytes (a CR LF would end the request line and start a header
// or another request), non-ASCII bytes and "#fragments" are not.
bool is_origin_form(std::string_view target);
// An HTTP method: one token of RFC 9110 §5.6.2 (letters, digits, !#$%&'*+-.^_`|~).
bool is_method_token(std::string_view method);
// A method API v3 uses, as written: GET, POST, PUT, PATCH or DELETE (what async_request sends).
bool is_api_method(std::string_view method);
// Whether a caller may add this header to a raw request (request_options::headers): the name a
// token, the value without control bytes other than tab (a CR LF would end the header and start
// another one, or the request), and the name none the SDK sets itself, in any letter case
// (Authorization, Host, Accept, Accept-Encoding, User-Agent, any Content-*, Transfer-Encoding,
// Expect, Connection and the other hop-by-hop headers, any Wechatpay-*: the call's serial is
// request_options::serial). invalid_argument naming the header otherwise.
result<void> check_extra_header(std::string_view name, std::string_view value);

}  // namespace wechatpay
