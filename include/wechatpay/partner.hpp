// Service-provider (服务商, "partner") mode and combine payments (合单支付): what the client
// sends. The answers are the models of models.hpp: a partner order is a `transaction` whose
// sp_appid, sp_mchid, sub_appid, sub_mchid, sp_openid and sub_openid are set; a combine order a
// `combine_transaction`.
//
// Key material. In partner mode the client *is* the service provider: client_config's mchid and
// appid are the sp_mchid and sp_appid, its merchant key, certificate/serial, APIv3 key and
// WeChat Pay keys the service provider's (requests are signed and notifications decrypted with
// them: sub-merchants have no key of their own in this mode). The sub-merchant is named per
// call; client_config::sub_mchid / sub_appid are the default when a call names none, so one
// client serves any number of sub-merchants at once.
//
// Pages (pay.weixin.qq.com, 2024–2025): partner JSAPI prepay doc/v3/partner/4012523579,
// partner close docs/partner/apis/partner-miniprogram-payment/close-order.html, partner query
// wiki/doc/apiv3_partner/apis/chapter4_2_2.shtml, partner refund doc/v3/partner/4012886219,
// refund query docs/partner/apis/partner-in-app-payment/query-by-out-refund-no.html, combine
// prepay docs/partner/apis/ecommerce-combine-payment/mini-program-prepay.html and
// docs/merchant/products/combine-payment/apilist-mini-program.html, combine query
// doc/v3/merchant/4012557006, combine close docs/partner/apis/combine-payment/orders/close-order.html.
#pragma once

#include <wechatpay/error.hpp>
#include <wechatpay/requests.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace wechatpay {

// ---- partner mode -------------------------------------------------------------------------

// POST /v3/pay/partner/transactions/{jsapi|app|native|h5}. `order` is the prepay as for a
// direct merchant; its appid and mchid are sent as sp_appid and sp_mchid (the client's when
// empty), its payer_openid as payer.sp_openid (an openid under sp_appid).
struct partner_prepay_request {
    prepay_request order;
    std::string sub_mchid;   // required (the client's sub_mchid when empty), ≤ 32
    std::string sub_appid;   // optional (the client's sub_appid when empty and the default sub_mchid is used)
    std::string sub_openid;  // an openid under sub_appid: needs sub_appid
    // The app that opens payment, whose appId the payment parameters carry (signed with the
    // service provider's key): sub_appid or sp_appid. Empty: sub_appid when the payer is named by
    // sub_openid, else sp_appid.
    std::string payment_appid;

    // JSAPI needs sp_openid or sub_openid; sub_mchid and sub_appid at most 32 characters; the
    // rest as prepay_request::validate. invalid_argument naming the field.
    result<void> validate(prepay_kind kind) const;
    std::string to_json() const;
    std::string paying_appid() const;  // payment_appid, or the default above
};

// ---- a sub-merchant's fund-flow bill (申请单个子商户资金账单) ------------------------------
// GET /v3/bill/sub-merchant-fundflowbill (docs/partner/apis/partner-jsapi-payment/
// get-sub-mch-fund-flow-bill.html; decryption: doc/v3/partner/4014314390). Unlike the other
// bills it comes as one or more encrypted files, each with a fresh AES-256-GCM key that WeChat
// encrypts to the service provider's merchant certificate (RSA-OAEP), so only the provider's
// private key opens it; the files, decrypted, joined in bill_sequence order, are the bill.
struct sub_fundflow_bill_request {
    std::string sub_mchid;               // the client's sub_mchid when empty; ≤ 32
    std::string bill_date;               // YYYY-MM-DD
    std::string account_type = "BASIC";  // BASIC | OPERATION | FEES | DEPOSIT
    bool gzip = false;                   // tar_type=GZIP: each file is gzip before it is encrypted

    result<void> validate() const;
    // sub_mchid=…&bill_date=…&account_type=…&algorithm=AEAD_AES_256_GCM[&tar_type=GZIP]
    std::string query() const;
};

// One file of the answer. encrypt_key is the AES key encrypted to the provider's certificate
// (base64, RSA-OAEP); the file is binary AES-256-GCM with that key and empty associated data
// ("附加数据包(填空)"). Our reading where the pages are silent: `nonce`'s characters are the IV
// (as in every other API v3 AEAD), the 16-byte tag ends the file, and hash_value is the SHA1 of
// the decrypted (and inflated) file. SM4_GCM, WeChat's other algorithm, is not supported.
struct encrypted_bill_part {
    std::int64_t bill_sequence = 0;  // from 1
    std::string download_url;
    std::string encrypt_key;
    std::string nonce;
    std::string hash_type;   // SHA1
    std::string hash_value;  // hex
    bool gzip = false;       // asked with tar_type=GZIP
};

struct encrypted_bill_list {
    std::vector<encrypted_bill_part> parts;  // in bill_sequence order
    std::string request_id;
};
// download_bill_count must equal the list's length, each part carry every field, and the
// sequences be 1..n (sorted here).
result<encrypted_bill_list> parse_encrypted_bill_list(std::string_view json);

// What client::async_partner_download_fundflow_bill got: one bill_download per file.
struct sub_fundflow_bill_download {
    std::vector<bill_download> parts;
    std::uint64_t received_bytes = 0;  // ciphertext over the wire, all files
    std::uint64_t bill_bytes = 0;      // the bill as written
    std::string request_id;            // of the list request
};

// ---- combine payments ---------------------------------------------------------------------

// WeChat's limits: at most 50 sub-orders for a service provider's combine order (sub-orders
// naming a sub_mchid, partner docs "最多支持子单条数：50"), 2 to 10 for a direct merchant's
// (merchant docs "一笔合单支付订单可支持2-10笔子单交易").
inline constexpr std::size_t max_partner_sub_orders = 50;
inline constexpr std::size_t min_direct_sub_orders = 2;
inline constexpr std::size_t max_direct_sub_orders = 10;

struct combine_sub_order_request {
    std::string mchid;         // the sub-order's merchant (a service provider: its own mchid); the client's when empty
    std::string sub_mchid;     // service providers: the sub-merchant paid
    std::string sub_appid;     // optional, with sub_mchid
    std::string out_trade_no;  // 6–32 of [0-9A-Za-z_-|*], unique per merchant
    std::int64_t total_amount = 0;  // fen, > 0
    std::string currency = "CNY";
    std::string description;   // 1–127 characters
    std::string attach;        // 1–128 characters (required by WeChat)
    std::string goods_tag;     // ≤ 32
    std::optional<bool> profit_sharing;  // settle_info.profit_sharing
};

// POST /v3/combine-transactions/{app|jsapi|h5|native}.
struct combine_prepay_request {
    std::string combine_appid;         // the client's appid when empty
    std::string combine_mchid;         // the client's mchid when empty
    std::string combine_out_trade_no;  // 6–32 of [0-9A-Za-z_-|*]
    std::vector<combine_sub_order_request> sub_orders;
    std::string payer_openid;          // combine_payer_info.openid: required for JSAPI
    std::string payer_client_ip;       // scene_info.payer_client_ip: required for H5
    std::string device_id;             // scene_info.device_id
    std::string h5_type;               // scene_info.h5_info.type (H5): iOS | Android | Wap
    std::string time_start, time_expire;  // RFC 3339, optional
    std::string notify_url;            // https, no query, required

    // Before any I/O: the fields, the sub-order count (see the limits above), each sub-order,
    // and no out_trade_no twice for one merchant.
    result<void> validate(prepay_kind kind) const;
    std::string to_json() const;
};

struct combine_close_sub_order {
    std::string mchid;  // the client's when empty
    std::string out_trade_no;
    std::string sub_mchid, sub_appid;  // service providers
};

// POST /v3/combine-transactions/out-trade-no/{combine_out_trade_no}/close.
struct combine_close_request {
    std::string combine_out_trade_no;
    std::string combine_appid;  // the client's appid when empty
    std::vector<combine_close_sub_order> sub_orders;  // 1–50, each as at prepay

    result<void> validate() const;
    std::string to_json() const;  // the body (the number goes in the path)
};

}  // namespace wechatpay
