#include "sim/bills.hpp"

#include <cstdio>
#include <stdexcept>

namespace wechatpay::sim {
namespace {

constexpr std::string_view bom = "\xEF\xBB\xBF";

std::string yuan(std::int64_t fen) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%lld.%02lld", fen < 0 ? "-" : "", static_cast<long long>(std::llabs(fen) / 100),
                  static_cast<long long>(std::llabs(fen) % 100));
    return buf;
}

// Fee at WeChat's common 0.6% rate, rounded to the fen.
std::int64_t fee_of(std::int64_t fen) { return (fen * 6 + 500) / 1000; }

// "2026-11-27 18:30:00" in CST.
std::string bill_time(std::int64_t t) {
    std::string s = rfc3339_cst(t).substr(0, 19);
    s[10] = ' ';
    return s;
}

bool on_date(std::int64_t t, const std::string& date) { return t != 0 && rfc3339_cst(t).compare(0, 10, date) == 0; }

void row(std::string& out, std::initializer_list<std::string> cells) {
    bool first = true;
    for (const auto& c : cells) {
        if (!first) out += ',';
        out += '`';
        out += c;
        first = false;
    }
    out += "\r\n";
}

}  // namespace

namespace {
constexpr std::string_view trade_header =
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
    "付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,"
    "退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\r\n";
constexpr std::string_view trade_summary_header =
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n";
}  // namespace

bill_csv trade_bill_csv(const std::vector<order>& orders, const std::vector<refund_record>& refunds,
                           const std::string& date, const std::string& kind) {
    std::string out(bom);
    out += trade_header;
    std::int64_t count = 0, settled = 0, refunded = 0, fees = 0, ordered = 0, asked = 0;
    if (kind != "REFUND")
        for (const auto& o : orders) {
            if (!on_date(o.paid_at, date)) continue;
            ++count;
            settled += o.total;
            ordered += o.total;
            fees += fee_of(o.total);
            row(out, {bill_time(o.paid_at), o.appid, o.mchid, "0", o.device_id, o.transaction_id, o.out_trade_no,
                      o.payer_openid, o.trade_type, "SUCCESS", o.bank_type, o.currency, yuan(o.total), "0.00", "0",
                      "0", "0.00", "0.00", "", "", o.description, o.attach, yuan(fee_of(o.total)), "0.60%",
                      yuan(o.total), "0.00", ""});
        }
    if (kind != "SUCCESS")
        for (const auto& r : refunds) {
            if (r.status != "SUCCESS" || !on_date(r.succeeded, date)) continue;
            const order* o = nullptr;
            for (const auto& x : orders)
                if (x.out_trade_no == r.out_trade_no) o = &x;
            if (!o) continue;
            ++count;
            refunded += r.refund;
            asked += r.refund;
            fees -= fee_of(r.refund);
            row(out, {bill_time(r.succeeded), o->appid, o->mchid, "0", o->device_id, o->transaction_id,
                      o->out_trade_no, o->payer_openid, o->trade_type, "REFUND", o->bank_type, o->currency, "0.00",
                      "0.00", r.refund_id, r.out_refund_no, yuan(r.refund), "0.00", "ORIGINAL", "SUCCESS",
                      o->description, o->attach, yuan(-fee_of(r.refund)), "0.60%", "0.00", yuan(r.refund), ""});
        }
    out += trade_summary_header;
    row(out, {std::to_string(count), yuan(settled), yuan(refunded), "0.00", yuan(fees), yuan(ordered), yuan(asked)});
    return {std::move(out), count};
}

bill_csv fundflow_bill_csv(const std::vector<order>& orders, const std::vector<refund_record>& refunds,
                              const std::string& date, const std::string& kind) {
    std::string out(bom);
    out += "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额（元）,账户结余（元）,"
           "资金变更提交申请人,备注,业务凭证号\r\n";
    std::int64_t balance = 0, in_count = 0, in_sum = 0, out_count = 0, out_sum = 0;
    auto entry = [&](std::int64_t when, const std::string& ref, const std::string& flow, const char* name,
                     bool income, std::int64_t amount, const std::string& voucher) {
        balance += income ? amount : -amount;
        (income ? in_count : out_count) += 1;
        (income ? in_sum : out_sum) += amount;
        row(out, {bill_time(when), ref, flow, name, name, income ? "收入" : "支出", yuan(amount), yuan(balance),
                  "system", "", voucher});
    };
    if (kind == "BASIC" || kind == "FEES") {
        for (const auto& o : orders) {
            if (!on_date(o.paid_at, date)) continue;
            if (kind == "BASIC") entry(o.paid_at, o.transaction_id, "F" + o.transaction_id, "交易", true, o.total, o.out_trade_no);
            else entry(o.paid_at, o.transaction_id, "C" + o.transaction_id, "手续费", false, fee_of(o.total), o.out_trade_no);
        }
        if (kind == "BASIC")
            for (const auto& r : refunds)
                if (r.status == "SUCCESS" && on_date(r.succeeded, date))
                    entry(r.succeeded, r.refund_id, "R" + r.refund_id, "退款", false, r.refund, r.out_refund_no);
    }
    out += "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额\r\n";
    row(out, {std::to_string(in_count + out_count), std::to_string(in_count), yuan(in_sum), std::to_string(out_count),
              yuan(out_sum)});
    return {std::move(out), in_count + out_count};
}

synthetic_trade_bill::synthetic_trade_bill(std::string mchid, std::string appid, std::string date,
                                           std::int64_t records)
    : mchid_(std::move(mchid)), appid_(std::move(appid)), date_(std::move(date)), records_(records) {}

std::string synthetic_trade_bill::next() {
    std::string out;
    if (finished_) return out;
    if (!started_) {
        started_ = true;
        out += bom;
        out += trade_header;
    }
    const auto midnight = *parse_rfc3339(date_ + "T00:00:00+08:00");
    std::string digits = date_;
    std::erase(digits, '-');
    char id[64];
    while (done_ < records_ && out.size() < 64 * 1024) {
        const std::int64_t i = done_++;
        const std::int64_t total = 1 + (i * 7919) % 100000;  // 0.01 to 1000.00 yuan
        settled_ += total;
        fees_ += fee_of(total);
        std::snprintf(id, sizeof id, "%010lld", static_cast<long long>(i));
        row(out, {bill_time(midnight + i * 86400 / records_), appid_, mchid_, "0", "", "4200" + digits + id,
                  "SIM" + digits + id, "oSIMpayer" + std::to_string(i % 1000), "NATIVE", "SUCCESS", "OTHERS", "CNY",
                  yuan(total), "0.00", "0", "0", "0.00", "0.00", "", "", "synthetic payment", "", yuan(fee_of(total)),
                  "0.60%", yuan(total), "0.00", ""});
    }
    if (done_ == records_ && out.size() < 64 * 1024) {
        finished_ = true;
        out += trade_summary_header;
        row(out, {std::to_string(records_), yuan(settled_), "0.00", "0.00", yuan(fees_), yuan(settled_), "0.00"});
    }
    return out;
}

}  // namespace wechatpay::sim
