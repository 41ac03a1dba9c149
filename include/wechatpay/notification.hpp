// Callbacks WeChat Pay POSTs to notify_url (reference §7): verify the signature over the raw
// body, check the time window, decrypt the resource with the APIv3 key, hand back a typed event.
#pragma once

#include <wechatpay/crypto.hpp>
#include <wechatpay/error.hpp>
#include <wechatpay/models.hpp>
#include <wechatpay/notification_dedup.hpp>
#include <wechatpay/verifier.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace wechatpay {

inline constexpr std::size_t max_notification_body = 64 * 1024;

struct notification {
    std::string id;
    std::string create_time;
    std::string event_type;  // TRANSACTION.SUCCESS, REFUND.SUCCESS, REFUND.ABNORMAL, REFUND.CLOSED…
    std::string summary;
    std::string resource_type;  // encrypt-resource
    std::string original_type;  // transaction, refund, …
    std::string resource;       // the decrypted resource: JSON text
    std::string request_id;

    bool is_transaction() const noexcept { return original_type == "transaction"; }
    bool is_refund() const noexcept { return original_type == "refund"; }
    result<wechatpay::transaction> transaction() const { return parse_transaction(resource); }
    result<wechatpay::refund> refund() const { return parse_refund(resource); }
};

// What to answer WeChat: success is 204 with no body; a failure (WeChat will retry) is a
// 500 with {"code":"FAIL","message":"…"}.
struct notification_reply {
    unsigned status = 204;
    std::string body;
    std::string content_type;  // empty when there is no body
};
notification_reply reply_success();
notification_reply reply_failure(std::string_view message = "FAIL");

// The merchant's business effect for one notification (mark the order paid, …). An error
// makes the receiver answer failure, and WeChat's next delivery runs the effect again.
using notification_effect = std::function<result<void>(const notification&)>;

class notification_handler {
public:
    // Copies share `dedup`: by default one in-memory store (see memory_dedup).
    notification_handler(verifier v, apiv3_key key,
                         std::shared_ptr<notification_dedup> dedup = std::make_shared<memory_dedup>())
        : verifier_(std::move(v)), key_(std::move(key)), dedup_(std::move(dedup)) {}

    // Over 64 KiB: body_too_large. Then verifier::verify (its errors, including a timestamp
    // outside ±300 s: a replay), then the envelope (malformed_json, unsupported_algorithm),
    // then decryption (decrypt_failed).
    result<notification> parse(const signature_headers& headers, std::string_view body) const;
    result<notification> parse_at(const signature_headers& headers, std::string_view body,
                                  std::int64_t now) const;

    // The whole receiver: parse, then run `effect` once per notification id, and the answer
    // for WeChat. A redelivery of a handled notification is acknowledged without running
    // `effect`; one that arrives while the first is still being handled, or after a failed
    // effect or a failed check, is answered with a failure so that WeChat tries again.
    notification_reply handle(const signature_headers& headers, std::string_view body,
                              const notification_effect& effect) const;
    notification_reply handle_at(const signature_headers& headers, std::string_view body, std::int64_t now,
                                 const notification_effect& effect) const;

    notification_dedup& dedup() const { return *dedup_; }

private:
    result<notification> open(const signature_headers& headers, std::string_view body) const;
    notification_reply run_once(const result<notification>& n, const notification_effect& effect) const;
    verifier verifier_;
    apiv3_key key_;
    std::shared_ptr<notification_dedup> dedup_;
};

}  // namespace wechatpay
