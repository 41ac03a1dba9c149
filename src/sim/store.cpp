#include "sim/store.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace wechatpay::sim {

std::string rfc3339_cst(std::int64_t t) {
    const std::time_t local = static_cast<std::time_t>(t + 8 * 3600);
    std::tm tm{};
    char buf[32];
    // RFC 3339 has four-digit years; the clock's cap keeps the simulator far inside them.
    if (!gmtime_r(&local, &tm) || tm.tm_year + 1900 < 1000 || tm.tm_year + 1900 > 9999 ||
        std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S+08:00", &tm) == 0)
        return {};
    return buf;
}

std::optional<std::int64_t> parse_rfc3339(const std::string& s) {
    std::tm tm{};
    int consumed = 0;
    if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6 || consumed != 19)
        return std::nullopt;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    std::size_t pos = 19;
    if (pos < s.size() && s[pos] == '.')  // fractional seconds
        for (++pos; pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos])); ++pos) {}
    std::int64_t offset = 0;
    const std::string zone = s.substr(pos);
    if (zone == "Z") {
        offset = 0;
    } else {
        int hh = 0, mm = 0;
        char sign = 0;
        if (zone.size() != 6 || std::sscanf(zone.c_str(), "%c%2d:%2d", &sign, &hh, &mm) != 3 ||
            (sign != '+' && sign != '-'))
            return std::nullopt;
        offset = (sign == '+' ? 1 : -1) * (hh * 3600 + mm * 60);
    }
    return static_cast<std::int64_t>(timegm(&tm)) - offset;
}

order* store::locate(const std::string& mchid, const std::string& out_trade_no) {
    auto it = orders_.find({mchid, out_trade_no});
    return it == orders_.end() ? nullptr : &it->second;
}

std::optional<order> store::find_order(const std::string& mchid, const std::string& out_trade_no) {
    std::lock_guard lock(mutex_);
    order* o = locate(mchid, out_trade_no);
    if (!o) return std::nullopt;
    return *o;
}

std::optional<order> store::find_by_transaction(const std::string& mchid, const std::string& txn) {
    std::lock_guard lock(mutex_);
    auto it = by_txn_.find(txn);
    if (it == by_txn_.end() || it->second.first != mchid) return std::nullopt;
    order* o = locate(it->second.first, it->second.second);
    // WeChat assigns the transaction id when the user pays: before that, no order has one.
    if (o->trade_state != "SUCCESS" && o->trade_state != "REFUND") return std::nullopt;
    return *o;
}

void store::assign_ids(order& o) {
    // WeChat's ids: 28-digit transaction ids, wx-prefixed prepay ids.
    char txn[40], prepay[48];
    ++sequence_;
    std::snprintf(txn, sizeof txn, "4200%012lld%012llu", static_cast<long long>(o.created),
                  static_cast<unsigned long long>(sequence_));
    std::snprintf(prepay, sizeof prepay, "wx%012lld%020llu", static_cast<long long>(o.created),
                  static_cast<unsigned long long>(sequence_));
    o.transaction_id = txn;
    o.prepay_id = prepay;
    o.code_url = "weixin://wxpay/bizpayurl?pr=" + std::string(prepay).substr(14);
    o.h5_url = "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=" + std::string(prepay) +
               "&package=" + std::to_string(sequence_);
    by_txn_[txn] = {o.mchid, o.out_trade_no};
}

order store::insert_or_get(order o) {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = orders_.try_emplace({o.mchid, o.out_trade_no}, o);
    if (inserted) assign_ids(it->second);
    return it->second;
}

store::change store::close(const std::string& mchid, const std::string& out_trade_no) {
    std::lock_guard lock(mutex_);
    order* o = locate(mchid, out_trade_no);
    if (!o) return change::not_found;
    if (o->trade_state == "SUCCESS") return change::paid;
    if (o->trade_state == "REFUND") return change::refunded;
    o->trade_state = "CLOSED";  // closing a closed order again is accepted (204), as WeChat does
    return change::ok;
}

std::optional<order> store::pay(const std::string& mchid, const std::string& out_trade_no,
                                const std::string& openid, const std::string& bank_type,
                                std::int64_t now, change& why, const sim::coupon* used) {
    std::lock_guard lock(mutex_);
    order* o = locate(mchid, out_trade_no);
    if (!o) return why = change::not_found, std::nullopt;
    if (o->trade_state == "CLOSED") return why = change::closed, std::nullopt;
    if (o->trade_state != "NOTPAY") return why = change::paid, std::nullopt;
    if (!o->combine_out_trade_no.empty()) return why = change::combined, std::nullopt;  // paid as a whole
    if (o->expires != 0 && now > o->expires) return why = change::expired, std::nullopt;
    if (used && used->amount >= o->total) return why = change::coupon_too_large, std::nullopt;
    o->trade_state = "SUCCESS";
    if (used) o->coupon = *used;
    o->paid_at = now;
    o->success_time = rfc3339_cst(now);
    o->bank_type = bank_type.empty() ? "OTHERS" : bank_type;
    if (!openid.empty()) o->payer_openid = openid;
    if (o->payer_openid.empty()) o->payer_openid = "oSim" + o->transaction_id.substr(16);
    why = change::ok;
    return *o;
}

store::refund_outcome store::add_refund(refund_record r, const std::string& by_txn, std::int64_t now) {
    std::lock_guard lock(mutex_);
    refund_outcome out;
    auto refuse = [&](unsigned status, const char* code, const char* message) {
        out.status = status;
        out.error_code = code;
        out.error_message = message;
        return out;
    };
    if (!by_txn.empty()) {
        auto it = by_txn_.find(by_txn);
        if (it == by_txn_.end() || it->second.first != r.mchid)
            return refuse(404, "RESOURCE_NOT_EXISTS", "order does not exist");
        r.out_trade_no = it->second.second;
    }
    order* o = locate(r.mchid, r.out_trade_no);
    if (!o) return refuse(404, "RESOURCE_NOT_EXISTS", "order does not exist");
    if (auto existing = refunds_.find({r.mchid, r.out_refund_no}); existing != refunds_.end()) {
        // A repeat with the same out_refund_no is the same refund (safe to retry).
        if (existing->second.out_trade_no != o->out_trade_no || existing->second.refund != r.refund)
            return refuse(400, "INVALID_REQUEST", "out_refund_no already used with other parameters");
        out.refund = existing->second;
        out.existing = true;
        return out;
    }
    // WeChat knows no refundable payment of an unpaid or closed order.
    if (o->trade_state != "SUCCESS" && o->trade_state != "REFUND")
        return refuse(404, "RESOURCE_NOT_EXISTS", "order is not paid: an unpaid order cannot be refunded");
    if (r.total != o->total) return refuse(400, "INVALID_REQUEST", "amount.total differs from the order total");
    if (r.refund > o->total - o->refunded)
        return refuse(400, "INVALID_REQUEST", "refund amount exceeds the refundable amount");
    if (o->coupon) {
        // The coupon is refunded in proportion to the refund, counted over all the order's
        // refunds so that refunding the whole order returns the whole coupon.
        const auto share = [&](std::int64_t refunded) { return refunded * o->coupon->amount / o->total; };
        r.discount_refund = share(o->refunded + r.refund) - share(o->refunded);
        r.coupon = o->coupon;
    }
    o->refunded += r.refund;
    ++sequence_;
    char id[40];
    std::snprintf(id, sizeof id, "5030%012lld%012llu", static_cast<long long>(now),
                  static_cast<unsigned long long>(sequence_));
    r.refund_id = id;
    r.transaction_id = o->transaction_id;
    r.currency = o->currency;
    r.created = now;
    r.status = "PROCESSING";
    r.sp_mchid = o->sp_mchid;
    refunds_.emplace(std::pair{r.mchid, r.out_refund_no}, r);
    out.refund = r;
    return out;
}

std::optional<refund_record> store::find_refund(const std::string& mchid, const std::string& out_refund_no) {
    std::lock_guard lock(mutex_);
    auto it = refunds_.find({mchid, out_refund_no});
    if (it == refunds_.end()) return std::nullopt;
    return it->second;
}

std::optional<refund_record> store::complete_refund(const std::string& mchid,
                                                    const std::string& out_refund_no, std::int64_t now) {
    std::lock_guard lock(mutex_);
    auto it = refunds_.find({mchid, out_refund_no});
    if (it == refunds_.end() || it->second.status != "PROCESSING") return std::nullopt;
    it->second.status = "SUCCESS";
    it->second.succeeded = now;
    if (order* o = locate(mchid, it->second.out_trade_no)) o->trade_state = "REFUND";
    return it->second;
}

store::combine_view store::view_of(const combine_record& c) {
    combine_view v{c, {}};
    for (const auto& [owner, no] : c.subs)
        if (order* o = locate(owner, no)) v.orders.push_back(*o);
    return v;
}

std::optional<store::combine_view> store::insert_combine(combine_record c, std::vector<order> subs,
                                                         std::string& used) {
    std::lock_guard lock(mutex_);
    if (auto it = combines_.find({c.combine_mchid, c.combine_out_trade_no}); it != combines_.end())
        return view_of(it->second);
    for (const auto& o : subs)
        if (locate(o.mchid, o.out_trade_no)) {
            used = o.out_trade_no;
            return std::nullopt;
        }
    ++sequence_;
    char prepay[48];
    std::snprintf(prepay, sizeof prepay, "wx%012lld%020llu", static_cast<long long>(c.created),
                  static_cast<unsigned long long>(sequence_));
    c.prepay_id = prepay;
    c.code_url = "weixin://wxpay/bizpayurl?pr=" + std::string(prepay).substr(14);
    c.h5_url = "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=" + std::string(prepay);
    for (auto& o : subs) {
        c.subs.emplace_back(o.mchid, o.out_trade_no);
        auto [it, inserted] = orders_.try_emplace({o.mchid, o.out_trade_no}, std::move(o));
        assign_ids(it->second);
        it->second.prepay_id = c.prepay_id;
    }
    const auto [it, inserted] = combines_.emplace(std::pair{c.combine_mchid, c.combine_out_trade_no}, std::move(c));
    return view_of(it->second);
}

std::optional<store::combine_view> store::find_combine(const std::string& combine_mchid, const std::string& no) {
    std::lock_guard lock(mutex_);
    auto it = combines_.find({combine_mchid, no});
    if (it == combines_.end()) return std::nullopt;
    return view_of(it->second);
}

store::change store::close_combine(const std::string& combine_mchid, const std::string& no) {
    std::lock_guard lock(mutex_);
    auto it = combines_.find({combine_mchid, no});
    if (it == combines_.end()) return change::not_found;
    for (const auto& [owner, sub_no] : it->second.subs)
        if (order* o = locate(owner, sub_no); o && (o->trade_state == "SUCCESS" || o->trade_state == "REFUND"))
            return change::paid;
    for (const auto& [owner, sub_no] : it->second.subs)
        if (order* o = locate(owner, sub_no)) o->trade_state = "CLOSED";
    return change::ok;
}

std::optional<store::combine_view> store::pay_combine(const std::string& combine_mchid, const std::string& no,
                                                      const std::string& openid, std::int64_t now, change& why) {
    std::lock_guard lock(mutex_);
    auto it = combines_.find({combine_mchid, no});
    if (it == combines_.end()) return why = change::not_found, std::nullopt;
    combine_record& c = it->second;
    for (const auto& [owner, sub_no] : c.subs) {
        const order* o = locate(owner, sub_no);
        if (!o || o->trade_state == "CLOSED") return why = change::closed, std::nullopt;
        if (o->trade_state != "NOTPAY") return why = change::paid, std::nullopt;
    }
    if (c.expires != 0 && now > c.expires) return why = change::expired, std::nullopt;
    if (!openid.empty()) c.payer_openid = openid;
    if (c.payer_openid.empty()) c.payer_openid = "oSimCombine" + std::to_string(sequence_);
    for (const auto& [owner, sub_no] : c.subs) {
        order* o = locate(owner, sub_no);
        o->trade_state = "SUCCESS";
        o->paid_at = now;
        o->success_time = rfc3339_cst(now);
        o->bank_type = "OTHERS";
        o->payer_openid = c.payer_openid;
    }
    why = change::ok;
    return view_of(c);
}

std::vector<order> store::orders_of(const std::string& mchid) {
    std::lock_guard lock(mutex_);
    std::vector<order> out;
    for (const auto& [key, o] : orders_)
        if (key.first == mchid) out.push_back(o);
    return out;
}

std::vector<refund_record> store::refunds_of(const std::string& mchid) {
    std::lock_guard lock(mutex_);
    std::vector<refund_record> out;
    for (const auto& [key, r] : refunds_)
        if (key.first == mchid) out.push_back(r);
    return out;
}

}  // namespace wechatpay::sim
