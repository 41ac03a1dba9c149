// Customer complaints 2.0 (消费者投诉2.0): what the client sends and what WeChat Pay answers
// for /v3/merchant-service/complaints-v2, complaint-notifications and complaint images, as
// pay.weixin.qq.com documents them for direct merchants (list, detail, negotiation history,
// response, complete, update-refund-progress, notification URL; 2025 pages). validate()
// refuses, before any I/O, what WeChat would refuse, naming the field; answers are read
// leniently (unknown fields ignored) like the other models.
//
// The payer's phone number arrives encrypted with the merchant's certificate (RSA-OAEP): the
// client decrypts it with the merchant key into complaint::payer_phone. It is personal data:
// to_string() leaves it out, and the SDK never logs it.
#pragma once

#include <wechatpay/error.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wechatpay {

// Limits WeChat documents.
inline constexpr std::int64_t max_complaints_per_page = 50;     // list: limit 1–50
inline constexpr std::int64_t max_negotiations_per_page = 300;  // negotiation-historys: limit 1–300
inline constexpr std::int64_t max_complaint_span_days = 30;     // begin_date–end_date "不超过30天"
inline constexpr std::size_t max_complaint_images = 4;          // response_images, reject_media_list

// GET /v3/merchant-service/complaints-v2?limit&offset&begin_date&end_date[&complainted_mchid]
struct complaint_list_request {
    std::string begin_date;  // YYYY-MM-DD, required
    std::string end_date;    // YYYY-MM-DD, required, ≥ begin_date and at most 30 days after it
    std::int64_t limit = 10; // 1–50 (WeChat's default is 10)
    std::int64_t offset = 0; // ≥ 0
    std::string complainted_mchid;  // optional (service providers name a sub-merchant)

    result<void> validate() const;
    // The requests of at most 30 days each (offset 0) that cover begin_date to end_date, however
    // far apart: what validate() checks, but for the span.
    result<std::vector<complaint_list_request>> windows() const;
    std::string query() const;  // limit=…&offset=…&begin_date=…&end_date=…[&complainted_mchid=…]
};

// GET …/complaints-v2/{complaint_id}/negotiation-historys?limit&offset
struct negotiation_request {
    std::string complaint_id;  // 1–64 characters, required
    std::int64_t limit = 100;  // 1–300
    std::int64_t offset = 0;
    result<void> validate() const;
};

struct complaint_order {
    std::string transaction_id;
    std::string out_trade_no;
    std::int64_t amount = 0;  // fen
};

struct complaint_media {
    std::string media_type;              // USER_COMPLAINT_IMAGE | OPERATION_IMAGE
    std::vector<std::string> media_url;  // https://…/v3/merchant-service/images/{media_id}
};

struct complaint_service_order {
    std::string order_id, out_order_no, state;
};

// One complaint, as the list and the detail give it.
struct complaint {
    std::string complaint_id;
    std::string complaint_time;    // RFC 3339
    std::string complaint_detail;  // what the payer wrote
    std::string complainted_mchid;
    std::string complaint_state;   // PENDING | PROCESSING | PROCESSED
    std::string payer_openid;
    std::string payer_phone;       // decrypted; empty when WeChat gave none. Never logged.
    std::vector<complaint_order> complaint_order_info;
    std::vector<complaint_media> complaint_media_list;
    std::vector<complaint_service_order> service_order_info;
    bool complaint_full_refunded = false;
    bool incoming_user_response = false;
    std::int64_t user_complaint_times = 0;
    std::string problem_description;
    std::string problem_type;  // REFUND | SERVICE_NOT_WORK | OTHERS
    std::int64_t apply_refund_amount = 0;
    std::vector<std::string> user_tag_list;
    std::string raw;  // the object as received (payer_phone in it is still the ciphertext)

    // One line for logs and support tickets, without the phone number.
    std::string to_string() const;
};

struct complaint_page {
    std::vector<complaint> data;
    std::int64_t limit = 0, offset = 0;
    std::optional<std::int64_t> total_count;  // WeChat gives it with offset 0
};

struct negotiation_record {
    std::string log_id;
    std::string operator_name;  // "operator"
    std::string operate_time;
    std::string operate_type;   // USER_CREATE_COMPLAINT, MERCHANT_RESPONSE, …
    std::string operate_details;
    std::vector<std::string> image_list;
    std::optional<complaint_media> complaint_media_list;
};

struct negotiation_page {
    std::vector<negotiation_record> data;
    std::int64_t limit = 0, offset = 0;
    std::optional<std::int64_t> total_count;
};

// POST …/complaints-v2/{complaint_id}/response. complainted_mchid defaults to the client's.
struct complaint_response {
    std::string complainted_mchid;
    std::string response_content;              // 1–200 characters, required
    std::vector<std::string> response_images;  // media_ids of complaint image uploads, ≤ 4
    std::string jump_url;                      // https, ≤ 512 characters; needs jump_url_text
    std::string jump_url_text;                 // ≤ 10 characters; needs jump_url

    result<void> validate() const;
    std::string to_json() const;
};

// POST …/complaints-v2/{complaint_id}/update-refund-progress.
struct refund_progress {
    std::string action;                          // APPROVE | REJECT
    std::optional<std::int64_t> launch_refund_day;  // APPROVE only: working days, ≥ 0
    std::string reject_reason;                   // REJECT only (and required): 1–200 characters
    std::vector<std::string> reject_media_list;  // REJECT only: media_ids, ≤ 4
    std::string remark;                          // ≤ 200 characters

    result<void> validate() const;
    std::string to_json() const;
};

// The answer of POST / GET / PUT /v3/merchant-service/complaint-notifications.
struct complaint_notify_url {
    std::string mchid;
    std::string url;
};
// The url WeChat takes there: https, at most 255 characters, no query (http only for a
// loopback receiver, as notify_url in tests).
result<void> check_complaint_notify_url(std::string_view url);

// The decrypted resource of a COMPLAINT.CREATE or COMPLAINT.STATE_CHANGE notification.
struct complaint_event {
    std::string complaint_id;
    // CREATE_COMPLAINT, CONTINUE_COMPLAINT, USER_RESPONSE, RESPONSE_BY_PLATFORM, SELLER_REFUND,
    // MERCHANT_RESPONSE, MERCHANT_CONFIRM_COMPLETE, USER_APPLY_PLATFORM_SERVICE,
    // USER_CANCEL_PLATFORM_SERVICE, PLATFORM_SERVICE_FINISHED, MERCHANT_APPROVE_REFUND,
    // MERCHANT_REJECT_REFUND, REFUND_SUCCESS
    std::string action_type;
    std::string raw;
};

// A complaint image fetched (GET /v3/merchant-service/images/{media_id}, an unsigned answer).
struct image_download {
    std::uint64_t bytes = 0;
    std::string content_type;
    std::string request_id;
};

// The media_id of a complaint image: a bare id, or the last path segment of a media_url
// (https://host/v3/merchant-service/images/{media_id}). invalid_argument when neither.
result<std::string> complaint_media_id(std::string_view media_url_or_id);

// JSON text into the models; malformed_json naming the field. payer_phone is left as received.
result<complaint> parse_complaint(std::string_view json);
result<complaint_page> parse_complaint_page(std::string_view json);
result<negotiation_page> parse_negotiation_page(std::string_view json);
result<complaint_notify_url> parse_complaint_notify_url(std::string_view json);
result<complaint_event> parse_complaint_event(std::string_view json);

}  // namespace wechatpay
