// Profit sharing (分账) for direct merchants: what the client sends and what WeChat Pay answers
// for /v3/profitsharing/{orders, orders/unfreeze, return-orders, transactions/{id}/amounts,
// receivers/add, receivers/delete, bills}, and the PROFITSHARING.* notifications, as
// pay.weixin.qq.com documents them (docs/merchant/products/profit-sharing/apilist.html, 2025).
// validate() refuses before any I/O what WeChat would refuse and the SDK can know (at most 50
// receivers, amounts > 0, descriptions' lengths, the numbers' character sets), naming the field;
// answers are read leniently (unknown fields ignored) like the other models. States come as an
// enum, with the text kept so that a state WeChat adds later is not lost.
//
// A personal receiver's `name` is sensitive: the client encrypts it (RSA-OAEP) with its
// preferred WeChat Pay key and sends that key's serial as Wechatpay-Serial. The plaintext goes
// nowhere else: no log line, no error, no to_string() holds it.
#pragma once

#include <wechatpay/error.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wechatpay {

// Limits WeChat documents (请求分账: "每次请求最多分给50个接收方", description string(80);
// out_order_no string(64) of digits, letters and _-|*@).
inline constexpr std::size_t max_split_receivers = 50;
inline constexpr std::size_t max_split_description = 80;
inline constexpr std::size_t max_split_number = 64;

// The receiver types: MERCHANT_ID (a merchant number), PERSONAL_OPENID (an openid under appid).
struct split_receiver {
    std::string type;         // MERCHANT_ID | PERSONAL_OPENID
    std::string account;      // mchid or openid, 1–64
    std::string name;         // plaintext; encrypted by the client. MERCHANT_ID: the merchant's full name
    std::int64_t amount = 0;  // fen, > 0
    std::string description;  // 1–80 characters, required
};

// POST /v3/profitsharing/orders. appid defaults to the client's (required with PERSONAL_OPENID).
struct split_request {
    std::string appid;
    std::string transaction_id;  // 1–32, required
    std::string out_order_no;    // 1–64 of [0-9A-Za-z_-|*@], required
    std::vector<split_receiver> receivers;  // 1–50
    bool unfreeze_unsplit = false;  // true: what is left returns to the merchant, no later split

    result<void> validate() const;
    // The body, each receiver's name replaced by the ciphertext given for it (same order).
    std::string to_json(const std::vector<std::string>& encrypted_names) const;
};

// POST /v3/profitsharing/orders/unfreeze.
struct unfreeze_request {
    std::string transaction_id;
    std::string out_order_no;  // a new number: unfreezing is an order of its own
    std::string description;   // 1–80 characters, required
    result<void> validate() const;
    std::string to_json() const;
};

enum class split_state { processing, finished, unknown };        // PROCESSING | FINISHED
enum class split_result { pending, success, closed, unknown };  // PENDING | SUCCESS | CLOSED
enum class return_result { processing, success, failed, unknown };  // PROCESSING | SUCCESS | FAILED

struct split_receiver_detail {
    std::int64_t amount = 0;
    std::string description, type, account;
    std::string result_text;  // as received
    split_result result = split_result::unknown;
    // ACCOUNT_ABNORMAL, NO_RELATION, RECEIVER_HIGH_RISK, RECEIVER_REAL_NAME_NOT_VERIFIED,
    // NO_AUTH, RECEIVER_RECEIPT_LIMIT, PAYER_ACCOUNT_ABNORMAL, INVALID_REQUEST (CLOSED only)
    std::string fail_reason;
    std::string detail_id, create_time, finish_time;
};

// The answer of creating, querying or unfreezing a split.
struct split_order {
    std::string transaction_id, out_order_no, order_id;
    std::string state_text;
    split_state state = split_state::unknown;
    std::vector<split_receiver_detail> receivers;
    std::string raw;
    std::string to_string() const;  // one line, without names
};

// POST /v3/profitsharing/return-orders: money back from a MERCHANT_ID receiver.
struct split_return_request {
    std::string order_id;      // WeChat's split number, or
    std::string out_order_no;  // the merchant's (one of the two)
    std::string out_return_no; // 1–64 of [0-9A-Za-z_-|*@]
    std::string return_mchid;  // the receiver merchant that gives it back
    std::int64_t amount = 0;   // fen, > 0
    std::string description;   // 1–80 characters
    result<void> validate() const;
    std::string to_json() const;
};

struct split_return {
    std::string order_id, out_order_no, out_return_no, return_id, return_mchid;
    std::int64_t amount = 0;
    std::string description;
    std::string result_text;
    return_result result = return_result::unknown;
    std::string fail_reason;  // ACCOUNT_ABNORMAL, TIME_OUT_CLOSED, PAYER_ACCOUNT_ABNORMAL, INVALID_REQUEST
    std::string create_time, finish_time;
    std::string raw;
};

// GET /v3/profitsharing/transactions/{transaction_id}/amounts.
struct unsplit_amount {
    std::string transaction_id;
    std::int64_t unsplit_amount = 0;
};

// POST /v3/profitsharing/receivers/add and …/delete. appid defaults to the client's.
// relation_type: STORE, STAFF, STORE_OWNER, PARTNER, HEADQUARTER, BRAND, DISTRIBUTOR, USER,
// SUPPLIER, CUSTOM (custom_relation, ≤ 10 characters, required then).
struct receiver_request {
    std::string appid;
    std::string type;     // MERCHANT_ID | PERSONAL_OPENID
    std::string account;  // 1–64
    std::string name;     // plaintext; required for MERCHANT_ID, optional for a person; encrypted
    std::string relation_type;    // add only
    std::string custom_relation;  // add only
    result<void> validate(bool add) const;
    std::string to_json(bool add, std::string_view encrypted_name) const;
};

struct receiver_answer {
    std::string type, account, relation_type, custom_relation;
};

// GET /v3/profitsharing/bills?bill_date=YYYY-MM-DD[&tar_type=GZIP]; the answer is a bill_info
// (models.hpp) for async_download_bill / async_download_bill_to.
struct split_bill_request {
    std::string bill_date;
    bool gzip = false;
    result<void> validate() const;
    std::string query() const;
};

// The decrypted resource of PROFITSHARING.SUCCESS / PROFITSHARING.RETURN (分账动账通知).
struct split_event {
    std::string mchid, transaction_id, order_id, out_order_no;
    std::string out_return_no, return_id;  // PROFITSHARING.RETURN
    split_receiver_detail receiver;        // type, account, amount, description
    std::string success_time;
    std::string raw;
};

std::string_view to_string(split_state s) noexcept;
std::string_view to_string(split_result r) noexcept;
std::string_view to_string(return_result r) noexcept;

result<split_order> parse_split_order(std::string_view json);
result<split_return> parse_split_return(std::string_view json);
result<unsplit_amount> parse_unsplit_amount(std::string_view json);
result<receiver_answer> parse_receiver_answer(std::string_view json);
result<split_event> parse_split_event(std::string_view json);

// A merchant's split, return or order number: 1–64 of [0-9A-Za-z_-|*@].
bool valid_split_number(std::string_view s) noexcept;

}  // namespace wechatpay
