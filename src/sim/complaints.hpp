// The simulator's complaints (消费者投诉2.0) as WeChat keeps them: filed by a payer against a
// paid order (control API), PENDING until the merchant's first response (PROCESSING), PROCESSED
// once the merchant completes it or decides a refund request; a payer who continues the
// complaint reopens it. Every step is a line of negotiation history. Also each merchant's
// complaint notification URL. Thread-safe (one mutex).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace wechatpay::sim {

struct negotiation_entry {
    std::string log_id, operator_name, operate_type, details;
    std::int64_t at = 0;
    std::vector<std::string> images;  // media_ids
};

struct complaint_record {
    std::string complaint_id, mchid, out_trade_no, transaction_id, payer_openid;
    std::string phone;  // plaintext: encrypted for the merchant in every answer
    std::string detail, problem_type = "OTHERS";  // REFUND | SERVICE_NOT_WORK | OTHERS
    std::string state = "PENDING";                // PENDING | PROCESSING | PROCESSED
    std::int64_t amount = 0, apply_refund_amount = 0, created = 0, times = 1;
    std::vector<std::string> media_ids;  // the payer's images
    bool incoming_user_response = false, full_refunded = false;
    std::string refund_decision;  // APPROVE | REJECT once decided
    std::vector<negotiation_entry> history;
};

class complaint_book {
public:
    static constexpr std::size_t max_complaints = 10000;

    // Assigns the id and the first history line; nullopt when the book is full.
    std::optional<complaint_record> file(complaint_record c, std::int64_t now);
    std::optional<complaint_record> find(const std::string& mchid, const std::string& id) const;
    // The merchant's complaints filed from `from` to `to` (Unix seconds, inclusive), oldest first.
    std::vector<complaint_record> between(const std::string& mchid, std::int64_t from, std::int64_t to) const;

    enum class refusal { none, not_found, processed, not_refund, decided };
    // The step on the complaint, the new record in `out` unless refused.
    refusal respond(const std::string& mchid, const std::string& id, const std::string& content,
                    const std::vector<std::string>& images, std::int64_t now, complaint_record& out);
    refusal complete(const std::string& mchid, const std::string& id, std::int64_t now, complaint_record& out);
    refusal decide_refund(const std::string& mchid, const std::string& id, const std::string& action,
                          const std::string& details, const std::vector<std::string>& images, std::int64_t now,
                          complaint_record& out);
    // The payer or the platform: USER_RESPONSE, RESPONSE_BY_PLATFORM or CONTINUE_COMPLAINT.
    refusal payer_event(const std::string& id, const std::string& action_type, const std::string& content,
                        std::int64_t now, complaint_record& out);

    // Complaint notification URLs, one per merchant.
    bool set_url(const std::string& mchid, const std::string& url, bool create);  // false: exists / missing
    std::optional<std::string> url(const std::string& mchid) const;
    bool erase_url(const std::string& mchid);

private:
    complaint_record* locate(const std::string& mchid, const std::string& id);
    void log(complaint_record& c, std::string operator_name, std::string type, std::string details, std::int64_t now,
             std::vector<std::string> images = {});

    mutable std::mutex mutex_;
    std::map<std::string, complaint_record> complaints_;  // by complaint_id
    std::map<std::string, std::string> urls_;             // mchid → url
    std::uint64_t sequence_ = 0;
};

}  // namespace wechatpay::sim
