#include "sim/complaints.hpp"

#include "sim/store.hpp"

#include <cstdio>

namespace wechatpay::sim {

std::optional<complaint_record> complaint_book::file(complaint_record c, std::int64_t now) {
    std::lock_guard lock(mutex_);
    if (complaints_.size() >= max_complaints) return std::nullopt;
    // WeChat's ids are 27 digits: 2002 0182 then the date and a sequence.
    char id[40];
    const std::string day = rfc3339_cst(now).substr(0, 10);
    std::snprintf(id, sizeof id, "20020182%.4s%.2s%.2s%011llu", day.c_str(), day.c_str() + 5, day.c_str() + 8,
                  static_cast<unsigned long long>(++sequence_));
    c.complaint_id = id;
    c.created = now;
    c.state = "PENDING";
    log(c, "投诉人", "USER_CREATE_COMPLAINT", c.detail, now, c.media_ids);
    return complaints_.emplace(c.complaint_id, c).first->second;
}

complaint_record* complaint_book::locate(const std::string& mchid, const std::string& id) {
    auto it = complaints_.find(id);
    return it == complaints_.end() || it->second.mchid != mchid ? nullptr : &it->second;
}

std::optional<complaint_record> complaint_book::find(const std::string& mchid, const std::string& id) const {
    std::lock_guard lock(mutex_);
    auto it = complaints_.find(id);
    if (it == complaints_.end() || it->second.mchid != mchid) return std::nullopt;
    return it->second;
}

std::vector<complaint_record> complaint_book::between(const std::string& mchid, std::int64_t from,
                                                      std::int64_t to) const {
    std::lock_guard lock(mutex_);
    std::vector<complaint_record> out;
    for (const auto& [id, c] : complaints_)  // ids grow with time: oldest first
        if (c.mchid == mchid && c.created >= from && c.created <= to) out.push_back(c);
    return out;
}

void complaint_book::log(complaint_record& c, std::string operator_name, std::string type, std::string details,
                         std::int64_t now, std::vector<std::string> images) {
    c.history.push_back({c.complaint_id + "_" + std::to_string(c.history.size() + 1), std::move(operator_name),
                         std::move(type), std::move(details), now, std::move(images)});
}

complaint_book::refusal complaint_book::respond(const std::string& mchid, const std::string& id,
                                                const std::string& content, const std::vector<std::string>& images,
                                                std::int64_t now, complaint_record& out) {
    std::lock_guard lock(mutex_);
    complaint_record* c = locate(mchid, id);
    if (!c) return refusal::not_found;
    if (c->state == "PROCESSED") return refusal::processed;
    c->state = "PROCESSING";  // "首次回复用户后，投诉单状态将由待处理更新为处理中"
    c->incoming_user_response = false;
    log(*c, "商户", "MERCHANT_RESPONSE", content, now, images);
    out = *c;
    return refusal::none;
}

complaint_book::refusal complaint_book::complete(const std::string& mchid, const std::string& id, std::int64_t now,
                                                 complaint_record& out) {
    std::lock_guard lock(mutex_);
    complaint_record* c = locate(mchid, id);
    if (!c) return refusal::not_found;
    if (c->state == "PROCESSED") return refusal::processed;
    c->state = "PROCESSED";
    log(*c, "商户", "MERCHANT_CONFIRM_COMPLETE", "商户反馈处理完成", now);
    out = *c;
    return refusal::none;
}

complaint_book::refusal complaint_book::decide_refund(const std::string& mchid, const std::string& id,
                                                      const std::string& action, const std::string& details,
                                                      const std::vector<std::string>& images, std::int64_t now,
                                                      complaint_record& out) {
    std::lock_guard lock(mutex_);
    complaint_record* c = locate(mchid, id);
    if (!c) return refusal::not_found;
    if (c->problem_type != "REFUND") return refusal::not_refund;
    if (!c->refund_decision.empty()) return refusal::decided;
    if (c->state == "PROCESSED") return refusal::processed;
    c->refund_decision = action;
    // A rejection closes the complaint at once; an approval once the refund arrives (the merchant
    // refunds through the refund API).
    c->state = action == "REJECT" ? "PROCESSED" : "PROCESSING";
    log(*c, "商户", action == "REJECT" ? "MERCHANT_REFUSE_RERUND" : "MERCHANT_APPROVE_REFUND", details, now, images);
    out = *c;
    return refusal::none;
}

complaint_book::refusal complaint_book::payer_event(const std::string& id, const std::string& action_type,
                                                    const std::string& content, std::int64_t now,
                                                    complaint_record& out) {
    std::lock_guard lock(mutex_);
    auto it = complaints_.find(id);
    if (it == complaints_.end()) return refusal::not_found;
    complaint_record& c = it->second;
    if (action_type == "USER_RESPONSE") {
        c.incoming_user_response = true;
        log(c, "投诉人", "USER_RESPONSE", content, now);
    } else if (action_type == "RESPONSE_BY_PLATFORM") {
        log(c, "微信支付客服", "PLATFORM_RESPONSE", content, now);
    } else {  // CONTINUE_COMPLAINT: the payer was not satisfied
        c.state = "PENDING";
        ++c.times;
        log(c, "投诉人", "USER_CONTINUE_COMPLAINT", content, now);
    }
    out = c;
    return refusal::none;
}

bool complaint_book::set_url(const std::string& mchid, const std::string& url, bool create) {
    std::lock_guard lock(mutex_);
    const bool exists = urls_.contains(mchid);
    if (exists == create) return false;
    urls_[mchid] = url;
    return true;
}

std::optional<std::string> complaint_book::url(const std::string& mchid) const {
    std::lock_guard lock(mutex_);
    auto it = urls_.find(mchid);
    if (it == urls_.end()) return std::nullopt;
    return it->second;
}

bool complaint_book::erase_url(const std::string& mchid) {
    std::lock_guard lock(mutex_);
    return urls_.erase(mchid) > 0;
}

}  // namespace wechatpay::sim
