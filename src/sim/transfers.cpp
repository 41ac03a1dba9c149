#include "sim/transfers.hpp"

#include "sim/store.hpp"

#include <wechatpay/crypto.hpp>
#include <wechatpay/signer.hpp>

#include <cstdio>

namespace wechatpay::sim {

bool transfer_record::same_request(const transfer_record& o) const {
    return appid == o.appid && scene_id == o.scene_id && openid == o.openid && amount == o.amount &&
           remark == o.remark && notify_url == o.notify_url && perception == o.perception &&
           report_infos == o.report_infos && user_name == o.user_name;
}

transfer_book::outcome transfer_book::create(transfer_record& rec, std::int64_t now) {
    std::lock_guard lock(mutex_);
    const auto key = std::pair{rec.mchid, rec.out_bill_no};
    if (auto it = bills_.find(key); it != bills_.end()) {
        if (!it->second.same_request(rec)) return outcome::conflict;
        rec = it->second;
        return outcome::existing;
    }
    if (bills_.size() >= max_transfers) return outcome::full;
    std::int64_t& funds = balance_of(rec.mchid);
    if (funds < rec.amount) return outcome::not_enough;
    funds -= rec.amount;  // locked until SUCCESS, back on FAIL / CANCELLED
    // WeChat's transfer_bill_no: 1330… and 30 more digits (e.g. 1330007352506342502080041062237456).
    char no[48];
    const std::string day = rfc3339_cst(now).substr(0, 10);
    std::snprintf(no, sizeof no, "1330000%.4s%.2s%.2s%019llu", day.c_str(), day.c_str() + 5, day.c_str() + 8,
                  static_cast<unsigned long long>(++sequence_));
    rec.transfer_bill_no = no;
    rec.created = rec.updated = now;
    rec.state = "WAIT_USER_CONFIRM";
    rec.package_info = base64_encode(random_nonce(48));
    bills_.emplace(key, rec);
    return outcome::created;
}

transfer_record* transfer_book::locate(const std::string& mchid, const std::string& no) {
    auto it = bills_.find({mchid, no});
    return it == bills_.end() ? nullptr : &it->second;
}

std::optional<transfer_record> transfer_book::find(const std::string& mchid, const std::string& out_bill_no) const {
    std::lock_guard lock(mutex_);
    auto it = bills_.find({mchid, out_bill_no});
    if (it == bills_.end()) return std::nullopt;
    return it->second;
}

std::optional<transfer_record> transfer_book::find_by_transfer_no(const std::string& mchid,
                                                                  const std::string& no) const {
    std::lock_guard lock(mutex_);
    for (const auto& [key, r] : bills_)
        if (r.mchid == mchid && r.transfer_bill_no == no) return r;
    return std::nullopt;
}

std::optional<transfer_record> transfer_book::find_any(const std::string& out_bill_no) const {
    std::lock_guard lock(mutex_);
    for (const auto& [key, r] : bills_)
        if (r.out_bill_no == out_bill_no) return r;
    return std::nullopt;
}

transfer_book::refusal transfer_book::cancel(const std::string& mchid, const std::string& no, std::int64_t now,
                                             transfer_record& out) {
    std::lock_guard lock(mutex_);
    transfer_record* r = locate(mchid, no);
    if (!r) return refusal::not_found;
    // "在用户确认收款之前可以通过该接口撤销付款" (doc/v3/merchant/4012716458).
    if (r->state != "ACCEPTED" && r->state != "PROCESSING" && r->state != "WAIT_USER_CONFIRM")
        return refusal::wrong_state;
    r->state = "CANCELING";
    r->updated = now;
    out = *r;
    return refusal::none;
}

transfer_book::refusal transfer_book::confirm(const std::string& mchid, const std::string& no,
                                              const std::string& real_name, std::int64_t now, transfer_record& out) {
    std::lock_guard lock(mutex_);
    transfer_record* r = locate(mchid, no);
    if (!r) return refusal::not_found;
    if (r->state != "WAIT_USER_CONFIRM") return refusal::wrong_state;
    r->state = "TRANSFERING";
    // "若商户传入收款用户姓名,微信支付会校验收款用户与输入姓名是否一致".
    if (!r->user_name.empty() && !real_name.empty() && real_name != r->user_name)
        r->pending_fail_reason = "NAME_NOT_CORRECT";
    r->updated = now;
    out = *r;
    return refusal::none;
}

transfer_book::refusal transfer_book::fail(const std::string& mchid, const std::string& no, const std::string& reason,
                                           std::int64_t now, transfer_record& out) {
    std::lock_guard lock(mutex_);
    transfer_record* r = locate(mchid, no);
    if (!r) return refusal::not_found;
    if (r->state == "SUCCESS" || r->state == "FAIL" || r->state == "CANCELLED" || r->state == "CANCELING")
        return refusal::wrong_state;
    r->state = "FAIL";
    r->fail_reason = reason;
    r->updated = now;
    balance_of(mchid) += r->amount;
    out = *r;
    return refusal::none;
}

std::optional<transfer_record> transfer_book::finish(const std::string& mchid, const std::string& no,
                                                     std::int64_t now) {
    std::lock_guard lock(mutex_);
    transfer_record* r = locate(mchid, no);
    if (!r) return std::nullopt;
    if (r->state == "TRANSFERING") {
        if (r->pending_fail_reason.empty()) {
            r->state = "SUCCESS";
        } else {
            r->state = "FAIL";
            r->fail_reason = r->pending_fail_reason;
            balance_of(mchid) += r->amount;
        }
    } else if (r->state == "CANCELING") {
        r->state = "CANCELLED";
        balance_of(mchid) += r->amount;
    } else {
        return std::nullopt;
    }
    r->updated = now;
    return *r;
}

transfer_book::refusal transfer_book::apply_receipt(const std::string& mchid, const std::string& no, std::int64_t now,
                                                    std::chrono::milliseconds delay, transfer_record& out) {
    std::lock_guard lock(mutex_);
    transfer_record* r = locate(mchid, no);
    if (!r) return refusal::not_found;
    // "仅支持付款成功的转账单据 … 仅支持传入姓名的转账单据申请电子回单" (accept-elecsign-by-out-no.html).
    if (r->state != "SUCCESS" || r->user_name.empty()) return refusal::no_receipt;
    if (r->receipt_state.empty()) {
        r->receipt_state = "GENERATING";
        r->receipt_created = now;
        r->receipt_ready = std::chrono::steady_clock::now() + delay;
    }
    out = *r;
    return refusal::none;
}

std::optional<transfer_record> transfer_book::receipt(const std::string& mchid, const std::string& no,
                                                      bool by_transfer_no) {
    std::lock_guard lock(mutex_);
    transfer_record* r = nullptr;
    if (by_transfer_no) {
        for (auto& [key, b] : bills_)
            if (b.mchid == mchid && b.transfer_bill_no == no) r = &b;
    } else {
        r = locate(mchid, no);
    }
    if (!r || r->receipt_state.empty()) return std::nullopt;
    if (r->receipt_state == "GENERATING" && std::chrono::steady_clock::now() >= r->receipt_ready) {
        r->receipt_state = "FINISHED";
        r->receipt_token = random_nonce(32);
    }
    return *r;
}

std::optional<transfer_record> transfer_book::by_receipt_token(const std::string& mchid,
                                                               const std::string& token) const {
    std::lock_guard lock(mutex_);
    for (const auto& [key, r] : bills_)
        if (r.mchid == mchid && !r.receipt_token.empty() && r.receipt_token == token) return r;
    return std::nullopt;
}

std::int64_t& transfer_book::balance_of(const std::string& mchid) {
    return balances_.try_emplace(mchid, default_balance).first->second;
}

void transfer_book::set_balance(const std::string& mchid, std::int64_t fen) {
    std::lock_guard lock(mutex_);
    balance_of(mchid) = fen;
}

std::int64_t transfer_book::balance(const std::string& mchid) const {
    std::lock_guard lock(mutex_);
    auto it = balances_.find(mchid);
    return it == balances_.end() ? default_balance : it->second;
}

bool transfer_book::allow_query(const std::string& mchid, unsigned qps) {
    const std::int64_t second = system_unix_time();
    std::lock_guard lock(mutex_);
    auto& [at, count] = query_rate_[mchid];
    if (at != second) {
        at = second;
        count = 0;
    }
    return ++count <= qps;
}

std::string receipt_file(const transfer_record& r) {
    return "%PDF-1.4\n% wechatpay-asio simulator: transfer receipt\n1 0 obj << /Title (" + r.out_bill_no + " " +
           r.transfer_bill_no + " " + std::to_string(r.amount) + " fen " + rfc3339_cst(r.updated) +
           ") >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
}

}  // namespace wechatpay::sim
