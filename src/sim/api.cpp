#include "sim/api.hpp"

#include "sim/auth.hpp"
#include "sim/bills.hpp"
#include "sim/fields.hpp"
#include "sim/profit_sharing.hpp"

#include "core/bill_check.hpp"
#include "core/gzip.hpp"
#include "core/json_reader.hpp"
#include "core/url.hpp"
#include "core/utf8.hpp"

#include <wechatpay/crypto.hpp>
#include <wechatpay/requests.hpp>
#include <wechatpay/signer.hpp>

#include <boost/beast/core/string.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/pct_string_view.hpp>
#include <boost/json.hpp>

#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <set>
#include <vector>

namespace wechatpay::sim {

namespace json = boost::json;
using wechatpay::detail::json_reader;

answer error_answer(unsigned status, std::string_view code, std::string_view message,
                    std::string_view detail_json) {
    json::object o{{"code", code}, {"message", message}};
    if (!detail_json.empty()) o["detail"] = json::parse(detail_json);
    return {status, json::serialize(o)};
}

namespace {

// A request whose signature could not be verified: WeChat refuses it without signing the
// answer (it signs only answers to verified requests).
answer unverified_request(unsigned status, std::string_view code, std::string_view why) {
    answer a = error_answer(status, code, why);
    a.sign = false;
    return a;
}

answer sign_error(std::string_view why) { return unverified_request(401, "SIGN_ERROR", why); }

constexpr std::string_view by_trade_no = "/v3/pay/transactions/out-trade-no/";
constexpr std::string_view by_transaction_id = "/v3/pay/transactions/id/";
constexpr std::string_view refund_by_no = "/v3/refund/domestic/refunds/";

// Every endpoint's name in statistics and fault rules.
constexpr std::string_view endpoint_names[] = {
    "/v3/pay/transactions/jsapi", "/v3/pay/transactions/app", "/v3/pay/transactions/native",
    "/v3/pay/transactions/h5", "/v3/pay/transactions/out-trade-no/{out_trade_no}",
    "/v3/pay/transactions/out-trade-no/{out_trade_no}/close", "/v3/pay/transactions/id/{transaction_id}",
    "/v3/refund/domestic/refunds", "/v3/refund/domestic/refunds/{out_refund_no}", "/v3/bill/tradebill",
    "/v3/bill/fundflowbill", "/v3/bill/sub-merchant-fundflowbill", "/v3/billdownload/file", "/v3/certificates", "/v3/merchant/media/upload",
    "/v3/merchant/media/video_upload", "/v3/merchant-service/images/upload", "/v3/merchant-service/images/{media_id}",
    "/v3/merchant-service/complaints-v2", "/v3/merchant-service/complaints-v2/{complaint_id}",
    "/v3/merchant-service/complaints-v2/{complaint_id}/negotiation-historys",
    "/v3/merchant-service/complaints-v2/{complaint_id}/response",
    "/v3/merchant-service/complaints-v2/{complaint_id}/complete",
    "/v3/merchant-service/complaints-v2/{complaint_id}/update-refund-progress",
    "/v3/merchant-service/complaint-notifications", "/v3/fund-app/mch-transfer/transfer-bills",
    "/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/{out_bill_no}",
    "/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/{out_bill_no}/cancel",
    "/v3/fund-app/mch-transfer/transfer-bills/transfer-bill-no/{transfer_bill_no}",
    "/v3/fund-app/mch-transfer/elecsign/out-bill-no", "/v3/fund-app/mch-transfer/elecsign/out-bill-no/{out_bill_no}",
    "/v3/fund-app/mch-transfer/elecsign/transfer-bill-no/{transfer_bill_no}", "/v3/transferdownload/signfile",
    "/v3/pay/partner/transactions/jsapi", "/v3/pay/partner/transactions/app", "/v3/pay/partner/transactions/native",
    "/v3/pay/partner/transactions/h5", "/v3/pay/partner/transactions/out-trade-no/{out_trade_no}",
    "/v3/pay/partner/transactions/out-trade-no/{out_trade_no}/close",
    "/v3/pay/partner/transactions/id/{transaction_id}", "/v3/combine-transactions/jsapi",
    "/v3/combine-transactions/app", "/v3/combine-transactions/native", "/v3/combine-transactions/h5",
    "/v3/combine-transactions/out-trade-no/{combine_out_trade_no}",
    "/v3/combine-transactions/out-trade-no/{combine_out_trade_no}/close"};


// Characters of a string Boost.JSON parsed (so well-formed UTF-8); the shared counter.
std::size_t utf8_length(std::string_view s) { return wechatpay::detail::utf8_length(s).value_or(s.size()); }

// out_trade_no: 6–32 of [0-9A-Za-z_-|*]; out_refund_no: 6–64, '@' allowed too.
bool valid_number(std::string_view s, std::size_t max, std::string_view extra) {
    return s.size() >= 6 && s.size() <= max && std::all_of(s.begin(), s.end(), [&](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) || extra.find(c) != std::string_view::npos;
           });
}
// WeChat's amounts are 32-bit ints (fen): larger ones are refused, and bills' fee arithmetic
// (total * 6) stays far from overflow.
constexpr std::int64_t max_amount = 2147483647;

// The shortest time_expire WeChat honours, counted from the prepay.
constexpr std::int64_t min_expiry = 60;

bool valid_trade_no(std::string_view s) { return valid_number(s, 32, "_-|*"); }
bool valid_refund_no(std::string_view s) { return valid_number(s, 64, "_-|*@"); }

}  // namespace

std::string query_param(std::string_view query, std::string_view name) {
    const auto params = boost::urls::parse_query(query);
    if (!params) return {};
    for (const auto& p : *params)
        if (p.key.decode() == name) return p.has_value ? p.value.decode() : std::string();
    return {};
}

bool valid_notify_url(std::string_view u) { return u.size() <= 256 && wechatpay::detail::valid_notify_url(u); }

namespace {

// amount.from: the accounts a refund is paid from, each once, adding up to the refund.
std::optional<answer> read_funds_from(const json::value* list, refund_record& r) {
    if (!list) return std::nullopt;
    if (!list->is_array()) return value_error("/amount/from", "must be an array", *list);
    std::int64_t sum = 0;
    for (std::size_t i = 0; i < list->get_array().size(); ++i) {
        const json::value& item = list->get_array()[i];
        const std::string where = "/amount/from/" + std::to_string(i);
        const json::object* o = item.if_object();
        const json::value* account = o ? o->if_contains("account") : nullptr;
        const json::value* amount = o ? o->if_contains("amount") : nullptr;
        if (!account || !account->is_string() ||
            (account->get_string() != "AVAILABLE" && account->get_string() != "UNAVAILABLE"))
            return value_error(where + "/account", "must be AVAILABLE or UNAVAILABLE", account ? *account : item);
        if (!amount || !amount->is_int64() || amount->get_int64() <= 0 || amount->get_int64() > max_amount)
            return value_error(where + "/amount", "must be an integer from 1 to 2147483647", amount ? *amount : item);
        const std::string name(account->get_string());
        for (const auto& [seen, unused] : r.from)
            if (seen == name) return value_error(where + "/account", "names an account twice", *account);
        r.from.emplace_back(name, amount->get_int64());
        sum += amount->get_int64();
    }
    if (!r.from.empty() && sum != r.refund)
        return error_answer(400, "INVALID_REQUEST", "amount.from does not add up to amount.refund");
    return std::nullopt;
}

// The JSON with every object's keys sorted (recursively), arrays in order: equal for bodies that
// differ only in key order or whitespace.
std::string canonical_json(const json::value& v) {
    if (const auto* o = v.if_object()) {
        std::vector<const json::key_value_pair*> items;
        for (const auto& kv : *o) items.push_back(&kv);
        std::sort(items.begin(), items.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
        std::string out = "{";
        for (const auto* kv : items) {
            if (out.size() > 1) out += ',';
            out += json::serialize(json::string(kv->key()));
            out += ':';
            out += canonical_json(kv->value());
        }
        return out + "}";
    }
    if (const auto* a = v.if_array()) {
        std::string out = "[";
        for (const auto& item : *a) {
            if (out.size() > 1) out += ',';
            out += canonical_json(item);
        }
        return out + "]";
    }
    return json::serialize(v);
}

// A service provider's order as WeChat answers it (partner query, doc chapter4_2_2): sp_appid,
// sp_mchid, sub_appid, sub_mchid instead of appid and mchid; payer sp_openid / sub_openid.
void partner_form(json::object& t, const order& o) {
    t.erase("appid");
    t.erase("mchid");
    t["sp_appid"] = o.appid;
    t["sp_mchid"] = o.sp_mchid;
    if (!o.sub_appid.empty()) t["sub_appid"] = o.sub_appid;
    t["sub_mchid"] = o.mchid;
    if (t.contains("payer")) {
        json::object payer;
        if (!o.payer_openid.empty()) payer["sp_openid"] = o.payer_openid;
        if (!o.sub_openid.empty()) payer["sub_openid"] = o.sub_openid;
        t["payer"] = std::move(payer);
    }
}

json::object transaction_json(const order& o) {
    static const std::map<std::string, std::string> descriptions = {
        {"NOTPAY", "订单未支付"}, {"SUCCESS", "支付成功"}, {"CLOSED", "订单已关闭"}, {"REFUND", "转入退款"}};
    // As WeChat answers: an unpaid or closed order has no transaction id, payer, trade type or
    // attach yet, and its amount only total and payer_currency; scene_info is always there.
    // promotion_detail only when the payer used a coupon (商户订单号查询订单: "享受优惠时返回该字段",
    // https://pay.weixin.qq.com/doc/v3/merchant/4013070356).
    json::object t{{"appid", o.appid},
                   {"mchid", o.mchid},
                   {"out_trade_no", o.out_trade_no},
                   {"trade_state", o.trade_state},
                   {"trade_state_desc", descriptions.at(o.trade_state)},
                   {"scene_info", json::object{{"device_id", o.device_id}}}};
    json::object amount{{"total", o.total}, {"payer_currency", o.currency}};
    if (o.trade_state == "SUCCESS" || o.trade_state == "REFUND") {
        t["transaction_id"] = o.transaction_id;
        t["trade_type"] = o.trade_type;
        t["attach"] = o.attach;
        t["bank_type"] = o.bank_type;
        t["success_time"] = o.success_time;
        t["payer"] = json::object{{"openid", o.payer_openid}};
        amount["currency"] = o.currency;
        amount["payer_total"] = o.payer_total();
        if (const auto& c = o.coupon)
            t["promotion_detail"] = json::array{json::object{{"coupon_id", c->coupon_id},
                                                             {"name", c->name},
                                                             {"scope", c->scope},
                                                             {"type", c->type},
                                                             {"amount", c->amount},
                                                             {"stock_id", c->stock_id},
                                                             {"wechatpay_contribute", c->wechatpay_contribute},
                                                             {"merchant_contribute", c->merchant_contribute},
                                                             {"other_contribute", c->other_contribute},
                                                             {"currency", o.currency}}};
    }
    t["amount"] = std::move(amount);
    if (!o.sp_mchid.empty()) partner_form(t, o);
    return t;
}

// A NOCASH (免充值) coupon's fen are not settled with the merchant: settlement_total = total -
// its amount, settlement_refund = refund - its refunded share; payer_refund excludes any coupon's
// share (境内退款 Amount, wechatpay-go services/refunddomestic/models.go).
bool nocash(const refund_record& r) { return r.coupon && r.coupon->type == "NOCASH"; }

json::object refund_json(const refund_record& r) {
    json::array from;  // the accounts the request named (WeChat sends [] when it named none)
    for (const auto& [account, amount] : r.from) from.push_back(json::object{{"account", account}, {"amount", amount}});
    // The coupon's refunded share, as the refund's promotion_detail names it: promotion_id, type
    // COUPON (was CASH) or DISCOUNT (was NOCASH) (查询订单API(支持单品优惠),
    // https://pay.weixin.qq.com/doc/v2/partner/4011984209).
    json::array promotions;
    if (const auto& c = r.coupon)
        promotions.push_back(json::object{{"promotion_id", c->coupon_id},
                                          {"scope", c->scope},
                                          {"type", c->type == "NOCASH" ? "DISCOUNT" : "COUPON"},
                                          {"amount", c->amount},
                                          {"refund_amount", r.discount_refund}});
    json::object f{{"refund_id", r.refund_id},
                   {"out_refund_no", r.out_refund_no},
                   {"transaction_id", r.transaction_id},
                   {"out_trade_no", r.out_trade_no},
                   {"channel", r.channel},
                   {"user_received_account", r.user_received_account},
                   {"create_time", rfc3339_cst(r.created)},
                   {"status", r.status},
                   {"funds_account", r.funds_account.empty() ? "AVAILABLE" : r.funds_account},
                   {"amount", json::object{{"total", r.total},
                                           {"refund", r.refund},
                                           {"from", from},
                                           {"payer_total", r.payer_total()},
                                           {"payer_refund", r.refund - r.discount_refund},
                                           {"settlement_refund", r.refund - (nocash(r) ? r.discount_refund : 0)},
                                           {"settlement_total", r.total - (nocash(r) ? r.coupon->amount : 0)},
                                           {"discount_refund", r.discount_refund},
                                           {"refund_fee", 0},
                                           {"currency", r.currency}}},
                   {"promotion_detail", std::move(promotions)}};
    if (r.status == "SUCCESS") f["success_time"] = rfc3339_cst(r.succeeded);
    return f;
}

}  // namespace

std::string transaction_resource(const order& o) { return json::serialize(transaction_json(o)); }
std::string refund_resource(const refund_record& r) { return json::serialize(refund_json(r)); }

std::string refund_notification_resource(const refund_record& r) {
    json::object f{{"mchid", r.mchid},
                   {"out_trade_no", r.out_trade_no},
                   {"transaction_id", r.transaction_id},
                   {"out_refund_no", r.out_refund_no},
                   {"refund_id", r.refund_id},
                   {"refund_status", r.status},
                   {"user_received_account", r.user_received_account},
                   {"amount", json::object{{"total", r.total},
                                           {"refund", r.refund},
                                           {"payer_total", r.payer_total()},
                                           {"payer_refund", r.refund - r.discount_refund}}}};
    if (r.status == "SUCCESS") f["success_time"] = rfc3339_cst(r.succeeded);
    if (!r.sp_mchid.empty()) {  // a service provider's refund: sp_mchid and sub_mchid instead of mchid
        f.erase("mchid");
        f["sp_mchid"] = r.sp_mchid;
        f["sub_mchid"] = r.mchid;
    }
    return json::serialize(f);
}

std::optional<std::string_view> path_param(std::string_view path, std::string_view prefix, std::string_view suffix) {
    if (path.size() <= prefix.size() + suffix.size() || !path.starts_with(prefix) || !path.ends_with(suffix))
        return std::nullopt;
    const auto id = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
    if (id.find('/') != std::string_view::npos) return std::nullopt;
    return id;
}

std::optional<std::string> percent_decode(std::string_view segment) {
    const auto pct = boost::urls::make_pct_string_view(segment);
    if (!pct) return std::nullopt;
    return pct->decode();
}

std::string api::endpoint_of(std::string_view method, std::string_view path) {
    (void)method;
    if (path_param(path, by_trade_no, "/close")) return "/v3/pay/transactions/out-trade-no/{out_trade_no}/close";
    if (path_param(path, by_trade_no)) return "/v3/pay/transactions/out-trade-no/{out_trade_no}";
    for (std::string_view prefix : {"/v3/pay/partner/transactions/out-trade-no/", "/v3/combine-transactions/out-trade-no/"}) {
        const std::string name = prefix.starts_with("/v3/combine") ? std::string(prefix) + "{combine_out_trade_no}"
                                                                   : std::string(prefix) + "{out_trade_no}";
        if (path_param(path, prefix, "/close")) return name + "/close";
        if (path_param(path, prefix)) return name;
    }
    if (path_param(path, "/v3/pay/partner/transactions/id/")) return "/v3/pay/partner/transactions/id/{transaction_id}";
    if (path_param(path, by_transaction_id)) return "/v3/pay/transactions/id/{transaction_id}";
    if (path_param(path, refund_by_no)) return "/v3/refund/domestic/refunds/{out_refund_no}";
    if (path != complaint_image_upload_target && path_param(path, image_download_prefix))
        return "/v3/merchant-service/images/{media_id}";
    constexpr std::string_view complaint_prefix = "/v3/merchant-service/complaints-v2/";
    for (std::string_view step : {"/negotiation-historys", "/response", "/complete", "/update-refund-progress"})
        if (path_param(path, complaint_prefix, step))
            return "/v3/merchant-service/complaints-v2/{complaint_id}" + std::string(step);
    if (path_param(path, complaint_prefix)) return "/v3/merchant-service/complaints-v2/{complaint_id}";
    constexpr std::string_view bills = "/v3/fund-app/mch-transfer/transfer-bills/";
    if (path_param(path, std::string(bills) + "out-bill-no/", "/cancel"))
        return "/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/{out_bill_no}/cancel";
    if (path_param(path, std::string(bills) + "out-bill-no/"))
        return "/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/{out_bill_no}";
    if (path_param(path, std::string(bills) + "transfer-bill-no/"))
        return "/v3/fund-app/mch-transfer/transfer-bills/transfer-bill-no/{transfer_bill_no}";
    if (path_param(path, "/v3/fund-app/mch-transfer/elecsign/out-bill-no/"))
        return "/v3/fund-app/mch-transfer/elecsign/out-bill-no/{out_bill_no}";
    if (path_param(path, "/v3/fund-app/mch-transfer/elecsign/transfer-bill-no/"))
        return "/v3/fund-app/mch-transfer/elecsign/transfer-bill-no/{transfer_bill_no}";
    if (profit_sharing_desk::serves(path)) return profit_sharing_desk::endpoint_of(path);
    // A bounded set of names: any other path is "unknown", so that probes cannot grow the stats.
    for (std::string_view known : endpoint_names)
        if (path == known && known.find('{') == std::string_view::npos) return std::string(known);
    return "unknown";
}

bool api::is_endpoint_name(std::string_view name) {
    return name == "unknown" || profit_sharing_desk::is_endpoint_name(name) ||
           std::find(std::begin(endpoint_names), std::end(endpoint_names), name) != std::end(endpoint_names);
}

const merchant* api::find_merchant(std::string_view mchid) const {
    for (const auto& m : cfg_.merchants)
        if (m.mchid == mchid) return &m;
    return nullptr;
}

answer api::handle(const incoming& in, std::int64_t wall_now, std::int64_t clock_ahead) {
    answer a = route(in, wall_now, clock_ahead);
    if (a.content_type.starts_with("application/json") && !wechatpay::detail::utf8_length(a.body))
        a.body = wechatpay::detail::utf8_repaired(a.body);
    return a;
}

answer api::route(const incoming& in, std::int64_t wall_now, std::int64_t clock_ahead) {
    const std::int64_t now = wall_now + clock_ahead;  // business time
    // Authentication first, as WeChat does: nothing about the request is looked at before it,
    // and its refusals are unsigned. Every answer after it is signed, errors included. An
    // upload's signature covers its meta part, not the multipart body: the form is read (meta
    // found) before, and refused only after, the check.
    if (in.authorization.empty()) return sign_error("Authorization header is missing");
    const std::string_view target = in.target;
    const auto qpos = target.find('?');
    const std::string_view path = target.substr(0, qpos);
    std::optional<result<upload_form>> upload;
    std::string_view signed_body = in.body;
    if (media_store::serves_upload(in.method, path) &&
        boost::beast::iequals(std::string_view(in.content_type).substr(0, 10), "multipart/")) {
        std::string_view meta;
        upload = parse_upload(in.content_type, in.body, meta);
        signed_body = *upload ? std::string_view((*upload)->meta) : meta.data() ? meta : signed_body;
    }
    const auto auth = parse_authorization(in.authorization);
    if (!auth) return sign_error("Authorization header is malformed");
    const merchant* m = find_merchant(auth->mchid);
    if (!m) return unverified_request(400, "MCH_NOT_EXISTS", "merchant does not exist");
    std::int64_t ts = 0;
    auto [end, ec] = std::from_chars(auth->timestamp.data(), auth->timestamp.data() + auth->timestamp.size(), ts);
    if (ec != std::errc() || end != auth->timestamp.data() + auth->timestamp.size())
        return sign_error("timestamp is malformed");
    if (ts < wall_now - 300 || ts > wall_now + 300) return sign_error("timestamp is outside the 5-minute window");
    // Hex in either case names the same certificate.
    if (!boost::beast::iequals(auth->serial_no, m->cert.serial()))
        return sign_error("serial_no is not the merchant certificate's serial");
    const auto sig = base64_decode(auth->signature);
    const std::string message =
        request_message(in.method, in.target, ts, auth->nonce_str, signed_body);
    if (!sig || !m->cert.key().verify_sha256(message, *sig)) return sign_error("signature verification failed");
    if (upload && !*upload) return error_answer(400, "PARAM_ERROR", upload->error().detail);

    const std::string_view query = qpos == std::string_view::npos ? "" : target.substr(qpos + 1);
    const bool post = in.method == "POST", get = in.method == "GET";

    if (auto partner = partner_route(*m, in.method, path, query, in.body, now)) return std::move(*partner);

    constexpr std::string_view prepay_prefix = "/v3/pay/transactions/";
    for (std::string_view kind : {"jsapi", "app", "native", "h5"})
        if (post && path.size() == prepay_prefix.size() + kind.size() && path.starts_with(prepay_prefix) &&
            path.ends_with(kind))
            return prepay(*m, kind, in.body, now);
    // Ids in paths arrive percent-encoded ("AB%7C12345" for AB|12345: clients encode | * @) and
    // are decoded before use. A malformed escape makes no id at all: 400, a bad request.
    std::optional<std::string> id;
    std::string_view raw_id;
    auto route = [&](std::string_view prefix, std::string_view suffix = {}) {
        const auto raw = path_param(path, prefix, suffix);
        if (raw) id = percent_decode(raw_id = *raw);
        return raw.has_value();
    };
    auto bad_escape = [&](std::string_view name) {
        return value_error(name, "is not valid percent-encoding", json::value(raw_id), "path");
    };
    if (get && route(by_trade_no)) return id ? api::query(*m, false, *id, query) : bad_escape("out_trade_no");
    if (get && route(by_transaction_id)) return id ? api::query(*m, true, *id, query) : bad_escape("transaction_id");
    if (post && route(by_trade_no, "/close")) return id ? close(*m, *id, in.body) : bad_escape("out_trade_no");
    if (post && path == "/v3/refund/domestic/refunds") return refund(*m, in.body, now);
    if (get && route(refund_by_no)) return id ? query_refund(*m, *id) : bad_escape("out_refund_no");
    if (get && path == "/v3/bill/tradebill") return bill(*m, true, query, now);
    if (get && path == "/v3/bill/fundflowbill") return bill(*m, false, query, now);
    if (get && path == "/v3/billdownload/file") return download(*m, query, now);
    if (get && path == "/v3/certificates") return certificates(*m);
    if (media_store::serves_upload(in.method, path))
        return upload ? media_.upload(*m, path, std::move(**upload))
                      : error_answer(400, "PARAM_ERROR", "an upload is multipart/form-data with parts meta and file");
    if (get && route(image_download_prefix))
        return id ? media_.image(*m, *id) : bad_escape("media_id");
    if (path == "/v3/merchant-service/complaint-notifications" ||
        (path.starts_with("/v3/merchant-service/complaints-v2") &&
         (path.size() == 34 || path[34] == '/')))
        return complaints(*m, in.method, path, query, in.body, now);
    if (path.starts_with("/v3/fund-app/mch-transfer/")) return transfers(*m, in, path, now);
    if (get && path == "/v3/transferdownload/signfile") return receipt_download(*m, query);
    for (const auto& r : routes_)
        if (auto a = r(*m, in, path, query, now)) return std::move(*a);
    return error_answer(404, "NOT_FOUND", "no such API");
}

answer api::prepay(const merchant& m, std::string_view kind, const std::string& body, std::int64_t now) {
    return prepay(m, kind, body, now, nullptr);
}

answer api::prepay(const merchant& m, std::string_view kind, const std::string& body, std::int64_t now,
                   const order* partner) {
    auto doc = body_object(body);
    if (!doc) return not_an_object();
    fields f(*doc);
    order o;
    o.mchid = f.str("/mchid", true, 32);
    o.appid = f.str("/appid", true, 32);
    o.description = f.str("/description", true, 127);
    o.out_trade_no = f.str("/out_trade_no", true, 32);
    o.notify_url = f.str("/notify_url", true, 256);
    o.time_expire = f.str("/time_expire", false, 64);
    o.attach = f.str("/attach", false, 128);
    o.goods_tag = f.str("/goods_tag", false, 32);
    o.total = f.integer("/amount/total", true);
    const std::string currency = f.str("/amount/currency", false, 16);
    if (kind == "jsapi") o.payer_openid = f.str("/payer/openid", true, 128);
    if (kind == "h5") {
        o.payer_client_ip = f.str("/scene_info/payer_client_ip", true, 45);
        f.str("/scene_info/h5_info/type", true, 32);
    } else {
        o.payer_client_ip = f.str("/scene_info/payer_client_ip", false, 45);
    }
    o.device_id = f.str("/scene_info/device_id", false, 32);
    if (f.failed()) return *f.error;
    if (const auto* ps = f.at("/settle_info/profit_sharing")) {
        if (!ps->is_bool()) return value_error("/settle_info/profit_sharing", "must be a boolean", *ps);
        o.profit_sharing = ps->get_bool();
    }
    if (o.mchid != m.mchid) return value_error("/mchid", "differs from the mchid that signed the request", json::value(o.mchid));
    if (std::find(m.appids.begin(), m.appids.end(), o.appid) == m.appids.end())
        return error_answer(400, "APPID_MCHID_NOT_MATCH", "appid and mchid do not match");
    if (!valid_trade_no(o.out_trade_no))
        return value_error("/out_trade_no", "must be 6-32 characters of 0-9 A-Z a-z _ - | *", json::value(o.out_trade_no));
    if (o.total <= 0) return value_error("/amount/total", "must be greater than 0", json::value(o.total));
    if (o.total > max_amount) return value_error("/amount/total", "must be at most 2147483647", json::value(o.total));
    if (!currency.empty() && currency != "CNY") return value_error("/amount/currency", "must be CNY", json::value(currency));
    if (!valid_notify_url(o.notify_url))
        return value_error("/notify_url", "must be an https URL without a query", json::value(o.notify_url));
    if (!o.time_expire.empty()) {
        auto t = parse_rfc3339(o.time_expire);
        if (!t) return value_error("/time_expire", "must be an RFC 3339 time", json::value(o.time_expire));
        // WeChat's shortest expiry is about a minute: an earlier one (even a past one) is
        // raised to that, not refused.
        o.expires = std::max(*t, now + min_expiry);
    }

    static const std::map<std::string_view, std::string_view> trade_types = {
        {"jsapi", "JSAPI"}, {"app", "APP"}, {"native", "NATIVE"}, {"h5", "MWEB"}};
    o.trade_type = trade_types.at(kind);
    o.created = now;
    if (partner) {
        o.sp_mchid = partner->sp_mchid;
        o.sub_appid = partner->sub_appid;
        o.sub_openid = partner->sub_openid;
        o.payer_openid = partner->payer_openid;
    }
    // Same parameters in another key order are the same prepay: compare a canonical form.
    o.fingerprint = std::string(kind) + " " + canonical_json(json::value(*doc));  // same body, other kind: a change
    const order stored = store_.insert_or_get(o);
    if (stored.fingerprint != o.fingerprint)
        return error_answer(403, "OUT_TRADE_NO_USED", "out_trade_no was used with other parameters");
    if (stored.trade_state == "SUCCESS" || stored.trade_state == "REFUND")
        return error_answer(400, "ORDERPAID", "order already paid");
    if (stored.trade_state == "CLOSED") return error_answer(400, "ORDER_CLOSED", "order is closed");

    if (kind == "native") return {200, json::serialize(json::object{{"code_url", stored.code_url}})};
    if (kind == "h5") return {200, json::serialize(json::object{{"h5_url", stored.h5_url}})};
    return {200, json::serialize(json::object{{"prepay_id", stored.prepay_id}})};
}

answer api::query(const merchant& m, bool by_transaction, std::string_view id, std::string_view query) {
    const std::string mchid = query_param(query, "mchid");
    if (mchid.empty()) return param_error("mchid", "is required", "query");
    if (mchid != m.mchid)
        return value_error("mchid", "differs from the mchid that signed the request", json::value(mchid), "query");
    const auto o = by_transaction ? store_.find_by_transaction(m.mchid, std::string(id))
                                  : store_.find_order(m.mchid, std::string(id));
    if (!o) return error_answer(404, "ORDER_NOT_EXIST", "order does not exist");
    return {200, json::serialize(transaction_json(*o))};
}

answer api::close(const merchant& m, std::string_view out_trade_no, const std::string& body) {
    auto doc = body_object(body);
    if (!doc) return not_an_object();
    fields f(*doc);
    const std::string mchid = f.str("/mchid", true, 32);
    if (f.failed()) return *f.error;
    if (mchid != m.mchid) return value_error("/mchid", "differs from the mchid that signed the request", json::value(mchid));
    switch (store_.close(m.mchid, std::string(out_trade_no))) {
    case store::change::ok: return {204, {}};
    case store::change::not_found: return error_answer(404, "ORDER_NOT_EXIST", "order does not exist");
    case store::change::paid:
    case store::change::refunded: return error_answer(400, "ORDERPAID", "order already paid");
    case store::change::closed:
    case store::change::expired:
    case store::change::coupon_too_large: break;
    case store::change::combined: break;
    }
    return {204, {}};
}

answer api::refund(const merchant& m, const std::string& body, std::int64_t now) {
    auto doc = body_object(body);
    if (!doc) return not_an_object();
    fields f(*doc);
    refund_record r;
    r.mchid = m.mchid;
    const std::string txn = f.str("/transaction_id", false, 32);
    r.out_trade_no = f.str("/out_trade_no", false, 32);
    r.out_refund_no = f.str("/out_refund_no", true, 64);
    r.reason = f.str("/reason", false, 80);
    r.notify_url = f.str("/notify_url", false, 256);
    r.funds_account = f.str("/funds_account", false, 32);
    r.refund = f.integer("/amount/refund", true);
    r.total = f.integer("/amount/total", true);
    const std::string currency = f.str("/amount/currency", true, 16);
    if (f.failed()) return *f.error;
    if (txn.empty() && r.out_trade_no.empty()) return param_error("/transaction_id", "or /body/out_trade_no is required");
    if (!valid_refund_no(r.out_refund_no))
        return value_error("/out_refund_no", "must be 6-64 characters of 0-9 A-Z a-z _ - | * @", json::value(r.out_refund_no));
    if (r.refund <= 0) return value_error("/amount/refund", "must be greater than 0", json::value(r.refund));
    if (r.total <= 0) return value_error("/amount/total", "must be greater than 0", json::value(r.total));
    if (r.refund > max_amount) return value_error("/amount/refund", "must be at most 2147483647", json::value(r.refund));
    if (r.total > max_amount) return value_error("/amount/total", "must be at most 2147483647", json::value(r.total));
    if (currency != "CNY") return value_error("/amount/currency", "must be CNY", json::value(currency));
    if (!r.notify_url.empty() && !valid_notify_url(r.notify_url))
        return value_error("/notify_url", "must be an https URL without a query", json::value(r.notify_url));
    if (auto bad = read_funds_from(f.at("/amount/from"), r)) return *bad;
    auto outcome = store_.add_refund(r, txn, now);
    if (!outcome.refund) return error_answer(outcome.status, outcome.error_code, outcome.error_message);
    if (!outcome.existing && hooks_.refund_created) hooks_.refund_created(*outcome.refund);
    return {200, json::serialize(refund_json(*outcome.refund))};
}

answer api::query_refund(const merchant& m, std::string_view out_refund_no) {
    auto r = store_.find_refund(m.mchid, std::string(out_refund_no));
    if (!r) return error_answer(404, "RESOURCE_NOT_EXISTS", "refund does not exist");
    return {200, json::serialize(refund_json(*r))};
}

namespace {

constexpr std::int64_t day = 86400;
constexpr std::int64_t download_url_lifetime = 30;  // seconds, as WeChat's

// YYYY-MM-DD naming a day of the calendar (2025-02-29 and 2025-13-01 do not).
bool valid_date(std::string_view d) {
    if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
    for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
        if (!std::isdigit(static_cast<unsigned char>(d[i]))) return false;
    int y = 0;
    unsigned m = 0, day_of_month = 0;
    auto num = [&](std::size_t at, std::size_t n, auto& v) {
        auto [end, ec] = std::from_chars(d.data() + at, d.data() + at + n, v);
        return ec == std::errc() && end == d.data() + at + n;
    };
    if (!num(0, 4, y) || !num(5, 2, m) || !num(8, 2, day_of_month)) return false;
    return std::chrono::year_month_day(std::chrono::year(y), std::chrono::month(m), std::chrono::day(day_of_month)).ok();
}

// The first day whose bill can still be requested: three calendar months before today (CST).
std::string oldest_bill_date(std::int64_t now) {
    namespace chr = std::chrono;
    const chr::sys_days today = chr::floor<chr::days>(chr::sys_seconds(chr::seconds(now + 8 * 3600)));
    chr::year_month_day oldest = chr::year_month_day(today) - chr::months(3);
    if (!oldest.ok()) oldest = oldest.year() / oldest.month() / chr::last;
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(oldest.year()),
                  static_cast<unsigned>(oldest.month()), static_cast<unsigned>(oldest.day()));
    return buf;
}

std::string sha1_of(synthetic_trade_bill bill) {
    detail::sha1_hasher sha1;
    for (std::string piece = bill.next(); !piece.empty(); piece = bill.next()) sha1.update(piece);
    return sha1.hex();
}

// What WeChat refuses of any bill request's bill_date and tar_type as written.
std::optional<answer> bill_params_refused(const std::string& date, const std::string& tar) {
    if (!valid_date(date)) return value_error("bill_date", "must be YYYY-MM-DD", json::value(date), "query");
    if (!tar.empty() && tar != "GZIP") return value_error("tar_type", "must be GZIP", json::value(tar), "query");
    return std::nullopt;
}

// ... and of its (valid) day: in the future, older than three months, not created yet.
std::optional<answer> bill_day_refused(const std::string& date, bool at_once, std::int64_t now) {
    const std::int64_t midnight = *parse_rfc3339(date + "T00:00:00+08:00");
    if (midnight > now) return error_answer(400, "INVALID_REQUEST", "bill_date is in the future");
    if (date < oldest_bill_date(now))
        return error_answer(400, "INVALID_REQUEST", "bill_date: only bills of the last three months can be requested");
    // WeChat creates a day's bills from 09:00 the next day and advises asking after 10:00.
    if (!at_once && now < midnight + day + 10 * 3600)
        return error_answer(400, "STATEMENT_CREATING", "the bill is being created: ask after 10:00 the next day");
    return std::nullopt;
}

}  // namespace

answer api::bill(const merchant& m, bool trade, std::string_view query, std::int64_t now) {
    const std::string date = query_param(query, "bill_date");
    const std::string tar = query_param(query, "tar_type");
    const std::string type = query_param(query, trade ? "bill_type" : "account_type");
    const std::string kind = type.empty() ? (trade ? "ALL" : "BASIC") : type;
    if (auto refused = bill_params_refused(date, tar)) return std::move(*refused);
    if (trade ? (kind != "ALL" && kind != "SUCCESS" && kind != "REFUND" && kind != "RECHARGE_REFUND")
              : (kind != "BASIC" && kind != "OPERATION" && kind != "FEES"))
        return value_error(trade ? "bill_type" : "account_type", "is not a known type", json::value(kind), "query");
    if (auto refused = bill_day_refused(date, cfg_.bills_at_once, now)) return std::move(*refused);

    bill_file file{m.mchid, {}, now, 0, date, m.appids.empty() ? std::string() : m.appids.front(), tar == "GZIP"};
    std::string hash;
    {
        std::lock_guard lock(bills_mutex_);
        if (auto it = synthetic_days_.find({m.mchid, date}); it != synthetic_days_.end() && trade &&
                                                            (kind == "ALL" || kind == "SUCCESS")) {
            file.synthetic_records = it->second.records;
            hash = it->second.sha1;
        }
    }
    if (file.synthetic_records > 0 && hash.empty()) {
        // Hashed outside the lock, kept unless the day changed meanwhile (ALL and SUCCESS are
        // the same bytes: every synthetic payment succeeded).
        hash = sha1_of(synthetic_trade_bill(file.mchid, file.appid, date, file.synthetic_records));
        ++synthetic_hashes_;
        std::lock_guard lock(bills_mutex_);
        if (auto it = synthetic_days_.find({m.mchid, date});
            it != synthetic_days_.end() && it->second.records == file.synthetic_records)
            it->second.sha1 = hash;
    } else if (file.synthetic_records == 0) {
        // RECHARGE_REFUND lists refunds of recharge coupons: the simulator issues none.
        const auto [csv, rows] =
            kind == "RECHARGE_REFUND" ? bill_csv{}
            : trade ? trade_bill_csv(store_.orders_of(m.mchid), store_.refunds_of(m.mchid), date, kind)
                    : fundflow_bill_csv(store_.orders_of(m.mchid), store_.refunds_of(m.mchid), date, kind);
        if (rows == 0) return error_answer(400, "NO_STATEMENT_EXIST", "no bill: nothing of this type happened on bill_date");
        hash = sha1_hex(csv);
        file.content = file.gzip ? detail::gzip(csv) : csv;
    }
    return bill_answer(std::move(file), hash);
}

answer api::issue_bill(const merchant& m, const std::string& csv, bool gzip, const std::string& date, std::int64_t now) {
    bill_file file{m.mchid, gzip ? detail::gzip(csv) : csv, now, 0, date, {}, gzip};
    return bill_answer(std::move(file), sha1_hex(csv));
}

std::string api::register_download(bill_file file) {
    const std::string token = random_nonce(24);
    std::lock_guard lock(bills_mutex_);
    // Download URLs are short-lived at WeChat: only the newest ones stay valid here, so that
    // bill queries in a loop cannot grow the simulator without bound.
    if (bill_tokens_.size() >= max_bill_downloads) {
        bills_.erase(bill_tokens_.front());
        bill_tokens_.pop_front();
    }
    bills_[token] = std::move(file);
    bill_tokens_.push_back(token);
    return base_url_ + "/v3/billdownload/file?token=" + token;
}

answer api::bill_answer(bill_file file, const std::string& hash) {
    const bool gzip = file.gzip;
    const std::string url = register_download(std::move(file));
    return {200, json::serialize(json::object{
                     {"hash_type", "SHA1"}, {"hash_value", hash}, {"download_url", url + (gzip ? "&tartype=gzip" : "")}})};
}

namespace {

// The bill cut at row ends into pieces of at most `limit` bytes (a longer row alone).
std::vector<std::string> split_rows(const std::string& csv, std::uint64_t limit) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start < csv.size()) {
        std::size_t end = start;
        for (;;) {
            auto next = csv.find('\n', end);
            next = next == std::string::npos ? csv.size() : next + 1;
            if (end > start && next - start > limit) break;
            end = next;
            if (end == csv.size()) break;
        }
        parts.push_back(csv.substr(start, end - start));
        start = end;
    }
    return parts;
}

}  // namespace

// 申请单个子商户资金账单 (include/wechatpay/partner.hpp): the sub-merchant's fund-flow bill in
// files, each gzip when asked, then AES-256-GCM (empty associated data, the nonce's characters
// as IV, tag appended) with a fresh key sent RSA-OAEP-encrypted to the provider's merchant
// certificate; hash_value the SHA1 of the file before compression and encryption.
answer api::sub_fundflow_bill(const merchant& sp, const sub_merchant& sub, std::string_view query, std::int64_t now) {
    const std::string date = query_param(query, "bill_date"), tar = query_param(query, "tar_type");
    const std::string kind = query_param(query, "account_type"), algorithm = query_param(query, "algorithm");
    if (auto refused = bill_params_refused(date, tar)) return std::move(*refused);
    if (kind.empty()) return param_error("account_type", "is required", "query");
    if (kind != "BASIC" && kind != "OPERATION" && kind != "FEES" && kind != "DEPOSIT")
        return value_error("account_type", "is not a known type", json::value(kind), "query");
    if (algorithm.empty()) return param_error("algorithm", "is required", "query");
    if (algorithm == "SM4_GCM")
        return value_error("algorithm", "the simulator encrypts with AEAD_AES_256_GCM only", json::value(algorithm), "query");
    if (algorithm != "AEAD_AES_256_GCM")
        return value_error("algorithm", "is not a known algorithm", json::value(algorithm), "query");
    if (auto refused = bill_day_refused(date, cfg_.bills_at_once, now)) return std::move(*refused);
    const auto [csv, rows] = fundflow_bill_csv(store_.orders_of(sub.mchid), store_.refunds_of(sub.mchid), date, kind);
    if (rows == 0) return error_answer(400, "NO_STATEMENT_EXIST", "no bill: nothing of this type happened on bill_date");

    json::array list;
    for (const std::string& part : split_rows(csv, cfg_.bill_part_bytes)) {
        std::string key(32, '\0');
        if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1)
            return error_answer(500, "SYSTEM_ERROR", "no random key");
        const std::string nonce = random_nonce(16);
        auto sealed = aes_gcm_encrypt(key, nonce, "", tar == "GZIP" ? detail::gzip(part) : part);
        auto wrapped = oaep_encrypt(sp.cert.key(), key);
        secure_wipe(key);
        auto file = sealed ? base64_decode(*sealed) : result<std::string>(sealed.error());
        if (!file || !wrapped) return error_answer(500, "SYSTEM_ERROR", "bill encryption failed");
        const std::string url = register_download(bill_file{sub.mchid, std::move(*file), now, 0, date, {}, false});
        list.push_back(json::object{{"bill_sequence", list.size() + 1},
                                    {"download_url", url},
                                    {"encrypt_key", *wrapped},
                                    {"hash_type", "SHA1"},
                                    {"hash_value", sha1_hex(part)},
                                    {"nonce", nonce}});
    }
    const std::size_t count = list.size();
    return {200, json::serialize(json::object{{"download_bill_count", count}, {"download_bill_list", std::move(list)}})};
}

answer api::download(const merchant& m, std::string_view query, std::int64_t now) {
    const std::string token = query_param(query, "token");
    std::lock_guard lock(bills_mutex_);
    auto it = bills_.find(token);
    // An unknown token and an expired one look the same at WeChat: the URL is refused.
    if (it == bills_.end() || now > it->second.issued + download_url_lifetime)
        return error_answer(400, "INVALID_REQUEST", "download_url is invalid or expired: request the bill again");
    const bool of_sub_merchant = std::any_of(m.sub_merchants.begin(), m.sub_merchants.end(),
                                             [&](const sub_merchant& s) { return s.mchid == it->second.mchid; });
    if (it->second.mchid != m.mchid && !of_sub_merchant)
        return error_answer(403, "NO_AUTH", "the bill belongs to another merchant");
    answer a{200, {}, false, "application/octet-stream"};
    const bill_file& f = it->second;
    if (f.synthetic_records == 0) {
        a.body = f.content;
        return a;
    }
    struct producer {
        synthetic_trade_bill bill;
        std::optional<detail::gzip_stream> gzip;
        bool done = false;
        producer(synthetic_trade_bill b, bool gz) : bill(std::move(b)) {
            if (gz) gzip.emplace();
        }
        std::string operator()() {
            while (!done) {
                std::string piece = bill.next();
                done = piece.empty();
                if (!gzip) return piece;
                std::string out = done ? gzip->finish() : gzip->write(piece);
                if (!out.empty() || done) return out;  // deflate may hold a piece back
            }
            return {};
        }
    };
    auto p = std::make_shared<producer>(synthetic_trade_bill(f.mchid, f.appid, f.date, f.synthetic_records), f.gzip);
    a.next_piece = [p] { return (*p)(); };
    return a;
}

result<void> api::add_synthetic_bill(std::string_view rule) {
    auto doc = body_object(rule);
    if (!doc) return error(errc::invalid_argument, "body must be a JSON object");
    const auto& o = *doc;
    for (const auto& [key, value] : o)
        if (key != "bill_date" && key != "records" && key != "mchid")
            return error(errc::invalid_argument, "unknown key " + excerpt(std::string(key), 64));
    const auto* date = o.if_contains("bill_date");
    if (!date || !date->is_string() || !valid_date(date->get_string()))
        return error(errc::invalid_argument, "bill_date: must be a date YYYY-MM-DD");
    const auto* records = o.if_contains("records");
    const auto* n = records ? records->if_int64() : nullptr;
    if (!n || *n < 1 || *n > 10'000'000) return error(errc::invalid_argument, "records: must be an integer from 1 to 10000000");
    std::string mchid = cfg_.merchants.empty() ? std::string() : cfg_.merchants.front().mchid;
    if (const auto* v = o.if_contains("mchid")) {
        if (!v->is_string() || !find_merchant(v->get_string())) return error(errc::invalid_argument, "mchid: no such merchant");
        mchid = v->get_string();
    }
    std::lock_guard lock(bills_mutex_);
    const std::pair key{mchid, std::string(date->get_string())};
    if (synthetic_days_.size() >= max_synthetic_days && !synthetic_days_.contains(key))
        return error(errc::invalid_argument, "too many synthetic days (1000)");
    synthetic_days_[key] = synthetic_day{*n, {}};
    return {};
}

answer api::certificates(const merchant& m) {
    const auto platform = hooks_.certificates();
    // A merchant WeChat gave only a public key: new merchants get 500 SYSTEM_ERROR
    // (wechatpay-apiv3/wechatpay-java#302), others 404 RESOURCE_NOT_EXISTS (binarywang/WxJava#3728);
    // the texts are WeChat's.
    if (platform.empty() && !cfg_.certificates_not_found)
        return error_answer(500, "SYSTEM_ERROR", "系统繁忙，请稍后重试");
    if (platform.empty())
        return error_answer(404, "RESOURCE_NOT_EXISTS",
                            "无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥。"
                            "可查看指引https://pay.weixin.qq.com/doc/v3/merchant/4012153196");
    json::array data;
    for (const auto& p : platform) {
        const std::string nonce = random_nonce(12);
        auto sealed = aead_encrypt(m.apiv3, nonce, "certificate", p.cert.pem());
        if (!sealed) return error_answer(500, "SYSTEM_ERROR", "encryption failed");
        data.push_back(json::object{
            {"serial_no", p.cert.serial()},
            {"effective_time", rfc3339_cst(std::chrono::system_clock::to_time_t(p.cert.not_before()))},
            {"expire_time", rfc3339_cst(std::chrono::system_clock::to_time_t(p.cert.not_after()))},
            {"encrypt_certificate", json::object{{"algorithm", "AEAD_AES_256_GCM"},
                                                 {"nonce", nonce},
                                                 {"associated_data", "certificate"},
                                                 {"ciphertext", *sealed}}}});
    }
    return {200, json::serialize(json::object{{"data", data}})};
}

// ---- complaints 2.0 -----------------------------------------------------------------------------

namespace {

constexpr std::string_view complaints_prefix = "/v3/merchant-service/complaints-v2";
constexpr std::string_view complaint_urls = "/v3/merchant-service/complaint-notifications";

// A query parameter that must be an integer in [lo, hi] (absent: `fallback`).
std::optional<std::int64_t> int_param(std::string_view query, std::string_view name, std::int64_t lo, std::int64_t hi,
                                      std::int64_t fallback) {
    const std::string v = query_param(query, name);
    if (v.empty()) return fallback;
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size() || n < lo || n > hi) return std::nullopt;
    return n;
}

// Midnight China time of a YYYY-MM-DD date, in Unix seconds.
std::optional<std::int64_t> cst_day(const std::string& date) {
    if (date.size() != 10) return std::nullopt;
    return parse_rfc3339(date + "T00:00:00+08:00");
}

std::optional<std::vector<std::string>> string_list(const json::value* v, std::size_t max) {
    std::vector<std::string> out;
    if (!v) return out;
    if (!v->is_array() || v->get_array().size() > max) return std::nullopt;
    for (const auto& item : v->get_array()) {
        if (!item.is_string() || item.get_string().empty()) return std::nullopt;
        out.emplace_back(item.get_string());
    }
    return out;
}

answer refused(complaint_book::refusal why) {
    switch (why) {
    case complaint_book::refusal::not_found: return error_answer(404, "RESOURCE_NOT_EXISTS", "no such complaint");
    case complaint_book::refusal::processed:
        return error_answer(400, "INVALID_REQUEST", "the complaint is already processed");
    case complaint_book::refusal::not_refund:
        return error_answer(400, "INVALID_REQUEST", "the complaint is not a refund request");
    case complaint_book::refusal::decided:
        return error_answer(400, "INVALID_REQUEST", "the refund request is already decided");
    case complaint_book::refusal::none: break;
    }
    return {204, ""};
}

}  // namespace

std::string api::complaint_json(const merchant& m, const complaint_record& c) const {
    json::object o{{"complaint_id", c.complaint_id},
                   {"complaint_time", rfc3339_cst(c.created)},
                   {"complaint_detail", c.detail},
                   {"complainted_mchid", c.mchid},
                   {"complaint_state", c.state},
                   {"payer_openid", c.payer_openid},
                   {"complaint_order_info", json::array{json::object{{"transaction_id", c.transaction_id},
                                                                      {"out_trade_no", c.out_trade_no},
                                                                      {"amount", c.amount}}}},
                   {"complaint_full_refunded", c.full_refunded},
                   {"incoming_user_response", c.incoming_user_response},
                   {"user_complaint_times", c.times},
                   {"problem_description", c.detail},
                   {"problem_type", c.problem_type},
                   {"user_tag_list", json::array{}}};
    // As WeChat does: the phone number encrypted with the merchant's certificate (RSA-OAEP).
    if (!c.phone.empty())
        if (auto sealed = oaep_encrypt(m.cert.key(), c.phone)) o["payer_phone"] = *sealed;
    if (c.problem_type == "REFUND") o["apply_refund_amount"] = c.apply_refund_amount;
    if (!c.media_ids.empty()) {
        json::array urls;
        for (const auto& id : c.media_ids) urls.emplace_back(base_url_ + std::string(image_download_prefix) + id);
        o["complaint_media_list"] = json::array{json::object{{"media_type", "USER_COMPLAINT_IMAGE"}, {"media_url", urls}}};
    }
    return json::serialize(o);
}

void api::notify_complaint(const merchant& m, const complaint_record& c, bool created, std::string_view action_type) {
    const auto url = complaints_.url(m.mchid);
    if (!url || !hooks_.complaint_notify) return;
    hooks_.complaint_notify(m, *url, created ? "COMPLAINT.CREATE" : "COMPLAINT.STATE_CHANGE",
                            created ? "产生新投诉" : "投诉单状态变化",
                            json::serialize(json::object{{"complaint_id", c.complaint_id}, {"action_type", action_type}}));
}

result<std::string> api::file_complaint(std::string_view body, std::int64_t now) {
    auto bad = [](std::string why) { return error(errc::invalid_argument, std::move(why)); };
    auto doc = body_object(body);
    if (!doc) return bad("body must be a JSON object");
    const json::object& o = *doc;
    auto text = [&](std::string_view key) -> std::string {
        const auto* v = o.if_contains(key);
        return v && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    const std::string out_trade_no = text("out_trade_no"), mchid_given = text("mchid");
    if (out_trade_no.empty()) return bad("out_trade_no: required");
    const merchant* m = nullptr;
    std::optional<order> paid;
    for (const auto& candidate : cfg_.merchants) {
        if (!mchid_given.empty() && candidate.mchid != mchid_given) continue;
        if ((paid = store_.find_order(candidate.mchid, out_trade_no))) {
            m = &candidate;
            break;
        }
    }
    if (!m) return bad("out_trade_no: no such order");
    if (paid->trade_state != "SUCCESS" && paid->trade_state != "REFUND")
        return bad("out_trade_no: the order is not paid (" + paid->trade_state + ")");
    complaint_record c;
    c.mchid = m->mchid;
    c.out_trade_no = paid->out_trade_no;
    c.transaction_id = paid->transaction_id;
    c.payer_openid = paid->payer_openid;
    c.amount = paid->total;
    c.detail = text("detail");
    if (c.detail.empty() || utf8_length(c.detail) > 300) return bad("detail: required, at most 300 characters");
    c.phone = text("phone");
    if (const auto type = text("problem_type"); !type.empty()) {
        if (type != "REFUND" && type != "SERVICE_NOT_WORK" && type != "OTHERS")
            return bad("problem_type: must be REFUND, SERVICE_NOT_WORK or OTHERS");
        c.problem_type = type;
    }
    if (const auto* v = o.if_contains("apply_refund_amount")) {
        if (!v->is_int64() || v->get_int64() < 0 || v->get_int64() > c.amount)
            return bad("apply_refund_amount: must be an integer from 0 to the order's amount");
        c.apply_refund_amount = v->get_int64();
    }
    if (const auto* images = o.if_contains("images")) {
        if (!images->is_array() || images->get_array().size() > 9) return bad("images: an array of at most 9 images");
        for (std::size_t i = 0; i < images->get_array().size(); ++i) {
            const auto* img = images->get_array()[i].if_object();
            const auto* name = img ? img->if_contains("filename") : nullptr;
            const auto* data = img ? img->if_contains("base64") : nullptr;
            const std::string where = "images/" + std::to_string(i);
            if (!name || !name->is_string() || !data || !data->is_string())
                return bad(where + ": must be {\"filename\",\"base64\"}");
            auto bytes = base64_decode(data->get_string());
            if (!bytes) return bad(where + "/base64: not base64");
            auto id = media_.add_complaint_image(m->mchid, name->get_string(), std::move(*bytes));
            if (!id) return bad(where + ": " + id.error().detail);
            c.media_ids.push_back(std::move(*id));
        }
    }
    auto filed = complaints_.file(std::move(c), now);
    if (!filed) return bad("too many complaints (10000)");
    notify_complaint(*m, *filed, true, "CREATE_COMPLAINT");
    return json::serialize(json::object{{"complaint_id", filed->complaint_id}, {"mchid", filed->mchid}});
}

result<std::string> api::complaint_event(std::string_view id, std::string_view body, std::int64_t now) {
    auto bad = [](std::string why) { return error(errc::invalid_argument, std::move(why)); };
    auto doc = body_object(body);
    if (!doc) return bad("body must be a JSON object");
    const auto* type = doc->if_contains("action_type");
    const auto* content = doc->if_contains("content");
    const std::string action = type && type->is_string() ? std::string(type->get_string()) : "";
    if (action != "USER_RESPONSE" && action != "RESPONSE_BY_PLATFORM" && action != "CONTINUE_COMPLAINT")
        return bad("action_type: must be USER_RESPONSE, RESPONSE_BY_PLATFORM or CONTINUE_COMPLAINT");
    const std::string text = content && content->is_string() ? std::string(content->get_string()) : "";
    complaint_record c;
    if (complaints_.payer_event(std::string(id), action, text, now, c) != complaint_book::refusal::none)
        return error(errc::invalid_argument, "no such complaint");
    const merchant* m = find_merchant(c.mchid);
    notify_complaint(*m, c, false, action);
    return complaint_json(*m, c);
}

answer api::complaints(const merchant& m, std::string_view method, std::string_view path, std::string_view query,
                       const std::string& body, std::int64_t now) {
    if (path == complaint_urls) return complaint_notify_url(m, method, body);
    if (path == complaints_prefix) {
        if (method != "GET") return error_answer(404, "NOT_FOUND", "no such API");
        const auto limit = int_param(query, "limit", 1, 50, 10);
        if (!limit) return param_error("limit", "must be an integer from 1 to 50", "query");
        const auto offset = int_param(query, "offset", 0, max_amount, 0);
        if (!offset) return param_error("offset", "must be an integer ≥ 0", "query");
        const auto begin = cst_day(query_param(query, "begin_date"));
        if (!begin) return param_error("begin_date", "must be a date yyyy-MM-DD", "query");
        const auto end = cst_day(query_param(query, "end_date"));
        if (!end) return param_error("end_date", "must be a date yyyy-MM-DD", "query");
        if (*end < *begin || *end - *begin > 30 * 86400)
            return param_error("end_date", "must be within 30 days after begin_date", "query");
        const std::string complainted = query_param(query, "complainted_mchid");
        std::vector<complaint_record> all;
        if (complainted.empty() || complainted == m.mchid) all = complaints_.between(m.mchid, *begin, *end + 86399);
        json::array data;
        for (std::size_t i = static_cast<std::size_t>(*offset); i < all.size() && data.size() < static_cast<std::size_t>(*limit); ++i)
            data.push_back(json::parse(complaint_json(m, all[i])));
        json::object page{{"data", data}, {"limit", *limit}, {"offset", *offset}};
        if (*offset == 0) page["total_count"] = all.size();
        return {200, json::serialize(page)};
    }
    const std::string_view rest = path.substr(complaints_prefix.size() + 1);
    const auto slash = rest.find('/');
    const auto id = percent_decode(rest.substr(0, slash));
    if (!id || id->empty()) return param_error("complaint_id", "is not valid percent-encoding", "path");
    const std::string_view step = slash == std::string_view::npos ? "" : rest.substr(slash);
    if (step.empty() && method == "GET") {
        const auto c = complaints_.find(m.mchid, *id);
        if (!c) return error_answer(404, "RESOURCE_NOT_EXISTS", "no such complaint");
        return {200, complaint_json(m, *c)};
    }
    if (step == "/negotiation-historys" && method == "GET") {
        const auto c = complaints_.find(m.mchid, *id);
        if (!c) return error_answer(404, "RESOURCE_NOT_EXISTS", "no such complaint");
        const auto limit = int_param(query, "limit", 1, 300, 10);
        if (!limit) return param_error("limit", "must be an integer from 1 to 300", "query");
        const auto offset = int_param(query, "offset", 0, max_amount, 0);
        if (!offset) return param_error("offset", "must be an integer ≥ 0", "query");
        json::array data;
        for (std::size_t i = static_cast<std::size_t>(*offset);
             i < c->history.size() && data.size() < static_cast<std::size_t>(*limit); ++i) {
            const auto& h = c->history[i];
            json::array urls;
            for (const auto& img : h.images) urls.emplace_back(base_url_ + std::string(image_download_prefix) + img);
            data.push_back(json::object{{"log_id", h.log_id},
                                        {"operator", h.operator_name},
                                        {"operate_time", rfc3339_cst(h.at)},
                                        {"operate_type", h.operate_type},
                                        {"operate_details", h.details},
                                        {"image_list", json::array{}},
                                        {"complaint_media_list",
                                         json::object{{"media_type", h.operator_name == "商户" ? "OPERATION_IMAGE"
                                                                                               : "USER_COMPLAINT_IMAGE"},
                                                      {"media_url", urls}}}});
        }
        json::object page{{"data", data}, {"limit", *limit}, {"offset", *offset}};
        if (*offset == 0) page["total_count"] = c->history.size();
        return {200, json::serialize(page)};
    }
    if (method == "POST") return complaint_step(m, *id, step, body, now);
    return error_answer(404, "NOT_FOUND", "no such API");
}

answer api::complaint_step(const merchant& m, std::string_view id_view, std::string_view step, const std::string& body,
                           std::int64_t now) {
    const std::string id(id_view);
    auto doc = body_object(body);
    if (!doc) return not_an_object();
    fields f(*doc);
    complaint_record c;
    complaint_book::refusal why{};
    std::string action_type;
    if (step == "/response" || step == "/complete") {
        const std::string mchid = f.str("/complainted_mchid", true, 64);
        if (f.failed()) return *f.error;
        if (mchid != m.mchid) return error_answer(403, "NO_AUTH", "complainted_mchid is not the caller");
        if (step == "/complete") {
            why = complaints_.complete(m.mchid, id, now, c);
            action_type = "MERCHANT_CONFIRM_COMPLETE";
        } else {
            const std::string content = f.str("/response_content", true, 200);
            const std::string jump_url = f.str("/jump_url", false, 512);
            const std::string jump_text = f.str("/jump_url_text", false, 10);
            if (f.failed()) return *f.error;
            if (jump_url.empty() != jump_text.empty())
                return param_error("/jump_url_text", "and /jump_url go together");
            if (!jump_url.empty() && !jump_url.starts_with("https://"))
                return value_error("/jump_url", "must be an https URL", json::value(jump_url));
            const auto images = string_list(f.at("/response_images"), 4);
            if (!images) return param_error("/response_images", "must be an array of at most 4 media_ids");
            for (const auto& img : *images)
                if (!media_.has_image(m.mchid, img))
                    return value_error("/response_images", "names an image the merchant did not upload", json::value(img));
            why = complaints_.respond(m.mchid, id, content, *images, now, c);
            action_type = "MERCHANT_RESPONSE";
        }
    } else if (step == "/update-refund-progress") {
        const std::string action = f.str("/action", true, 16);
        const std::string reason = f.str("/reject_reason", false, 200);
        f.str("/remark", false, 200);
        if (f.failed()) return *f.error;
        if (action != "APPROVE" && action != "REJECT")
            return value_error("/action", "must be APPROVE or REJECT", json::value(action));
        const json::value* launch_day = f.at("/launch_refund_day");
        if (action == "REJECT" && (reason.empty() || launch_day))
            return error_answer(400, "PARAM_ERROR", "a REJECT needs reject_reason and takes no launch_refund_day");
        if (launch_day && (!launch_day->is_int64() || launch_day->get_int64() < 0))
            return value_error("/launch_refund_day", "must be an integer ≥ 0", *launch_day);
        const auto images = string_list(f.at("/reject_media_list"), 4);
        if (!images) return param_error("/reject_media_list", "must be an array of at most 4 media_ids");
        why = complaints_.decide_refund(m.mchid, id, action, action == "REJECT" ? reason : "同意退款", *images, now, c);
        action_type = action == "REJECT" ? "MERCHANT_REJECT_REFUND" : "MERCHANT_APPROVE_REFUND";
    } else {
        return error_answer(404, "NOT_FOUND", "no such API");
    }
    if (why != complaint_book::refusal::none) return refused(why);
    notify_complaint(m, c, false, action_type);
    return {204, ""};
}

answer api::complaint_notify_url(const merchant& m, std::string_view method, const std::string& body) {
    auto answer_url = [&](const std::string& url) {
        return answer{200, json::serialize(json::object{{"mchid", m.mchid}, {"url", url}})};
    };
    if (method == "GET") {
        const auto url = complaints_.url(m.mchid);
        return url ? answer_url(*url) : error_answer(404, "RESOURCE_NOT_EXISTS", "no complaint notification URL");
    }
    if (method == "DELETE")
        return complaints_.erase_url(m.mchid) ? answer{204, ""}
                                              : error_answer(404, "RESOURCE_NOT_EXISTS", "no complaint notification URL");
    if (method != "POST" && method != "PUT") return error_answer(404, "NOT_FOUND", "no such API");
    auto doc = body_object(body);
    if (!doc) return not_an_object();
    fields f(*doc);
    const std::string url = f.str("/url", true, 255);
    if (f.failed()) return *f.error;
    if (!valid_notify_url(url)) return value_error("/url", "must be an https URL without a query", json::value(url));
    const bool create = method == "POST";
    if (!complaints_.set_url(m.mchid, url, create))
        return create ? error_answer(400, "INVALID_REQUEST", "a complaint notification URL exists: update it with PUT")
                      : error_answer(404, "RESOURCE_NOT_EXISTS", "no complaint notification URL");
    return answer_url(url);
}

// ---- service providers (partner mode) and combine payments -----------------------------------
// As pay.weixin.qq.com documents them for service providers (pages in include/wechatpay/partner.hpp).

namespace {

const sub_merchant* bound_sub(const merchant& sp, std::string_view sub_mchid) {
    for (const auto& s : sp.sub_merchants)
        if (s.mchid == sub_mchid) return &s;
    return nullptr;
}

// WeChat's refusal of a sub-merchant the provider has no binding with ("服务商和子商户没有绑定
// 关系", 400 INVALID_REQUEST: developers.weixin.qq.com/community/pay/doc/00080260ea43b82ea831ef3b865400).
answer not_bound() { return error_answer(400, "INVALID_REQUEST", "服务商和子商户没有绑定关系"); }
// sub_appid not bound to sub_mchid (APPID_MCHID_NOT_MATCH in the partner error tables).
answer appid_not_bound() { return error_answer(400, "APPID_MCHID_NOT_MATCH", "sub_mchid与sub_appid不匹配"); }

// The provider's view of one of its sub-merchants: the merchant the direct handlers serve, with
// the provider's keys and appids.
merchant as_sub(const merchant& sp, const sub_merchant& sub) {
    merchant view = sp;
    view.mchid = sub.mchid;
    view.sub_merchants.clear();
    return view;
}

json::object combine_json(const store::combine_view& c) {
    json::array subs;
    for (const order& o : c.orders) {
        const bool paid = o.trade_state == "SUCCESS" || o.trade_state == "REFUND";
        json::object j{{"mchid", o.sp_mchid.empty() ? o.mchid : o.sp_mchid},
                       {"trade_type", o.trade_type},
                       {"trade_state", o.trade_state},
                       {"attach", o.attach},
                       {"out_trade_no", o.out_trade_no}};
        if (!o.sp_mchid.empty()) j["sub_mchid"] = o.mchid;
        if (!o.sub_appid.empty()) j["sub_appid"] = o.sub_appid;
        json::object amount{{"total_amount", o.total}, {"currency", o.currency}};
        if (paid) {
            j["transaction_id"] = o.transaction_id;
            j["bank_type"] = o.bank_type;
            j["success_time"] = o.success_time;
            amount["payer_amount"] = o.total;
            amount["payer_currency"] = o.currency;
        }
        j["amount"] = std::move(amount);
        subs.push_back(std::move(j));
    }
    json::object t{{"combine_appid", c.record.combine_appid},
                   {"combine_mchid", c.record.combine_mchid},
                   {"combine_out_trade_no", c.record.combine_out_trade_no},
                   {"sub_orders", std::move(subs)}};
    if (!c.record.device_id.empty()) t["scene_info"] = json::object{{"device_id", c.record.device_id}};
    if (!c.orders.empty() && c.orders.front().trade_state != "NOTPAY" && c.orders.front().trade_state != "CLOSED")
        t["combine_payer_info"] = json::object{{"openid", c.record.payer_openid}};
    return t;
}

}  // namespace

std::string combine_resource(const store::combine_view& c) { return json::serialize(combine_json(c)); }

std::optional<answer> api::partner_route(const merchant& m, std::string_view method, std::string_view path,
                                         std::string_view query, const std::string& body, std::int64_t now) {
    const bool post = method == "POST", get = method == "GET";
    constexpr std::string_view partner_prefix = "/v3/pay/partner/transactions/";
    constexpr std::string_view combine_prefix = "/v3/combine-transactions/";
    for (std::string_view kind : {"jsapi", "app", "native", "h5"}) {
        if (post && path.size() == partner_prefix.size() + kind.size() && path.starts_with(partner_prefix) &&
            path.ends_with(kind))
            return partner_prepay(m, kind, body, now);
        if (post && path.size() == combine_prefix.size() + kind.size() && path.starts_with(combine_prefix) &&
            path.ends_with(kind))
            return combine_prepay(m, kind, body, now);
    }
    auto decoded = [&](std::string_view prefix, std::string_view suffix = {}) -> std::optional<std::optional<std::string>> {
        const auto raw = path_param(path, prefix, suffix);
        if (!raw) return std::nullopt;
        return percent_decode(*raw);
    };
    auto bad_path = [] { return param_error("out_trade_no", "is not valid percent-encoding", "path"); };
    // The sub-merchant a query string names, checked against the provider's bindings.
    auto sub_of_query = [&](const sub_merchant*& sub) -> std::optional<answer> {
        const std::string sub_mchid = query_param(query, "sub_mchid");
        if (sub_mchid.empty()) return param_error("sub_mchid", "is required", "query");
        sub = bound_sub(m, sub_mchid);
        if (!sub) return not_bound();
        return std::nullopt;
    };

    // Query (by out_trade_no or transaction_id) and close: ?sp_mchid=&sub_mchid= / {sp_mchid, sub_mchid}.
    const auto by_no = get ? decoded(std::string(partner_prefix) + "out-trade-no/") : std::nullopt;
    const auto by_id = get ? decoded(std::string(partner_prefix) + "id/") : std::nullopt;
    if (by_no || by_id) {
        const auto& id = by_no ? *by_no : *by_id;
        if (!id) return bad_path();
        const std::string sp = query_param(query, "sp_mchid");
        if (sp.empty()) return param_error("sp_mchid", "is required", "query");
        if (sp != m.mchid)
            return value_error("sp_mchid", "differs from the mchid that signed the request", json::value(sp), "query");
        const sub_merchant* sub = nullptr;
        if (auto refused = sub_of_query(sub)) return refused;
        const auto o = by_no ? store_.find_order(sub->mchid, *id) : store_.find_by_transaction(sub->mchid, *id);
        if (!o || o->sp_mchid != m.mchid) return error_answer(404, "ORDER_NOT_EXIST", "order does not exist");
        return answer{200, json::serialize(transaction_json(*o))};
    }
    if (const auto closed = post ? decoded(std::string(partner_prefix) + "out-trade-no/", "/close") : std::nullopt) {
        if (!*closed) return bad_path();
        auto doc = body_object(body);
        if (!doc) return not_an_object();
        fields f(*doc);
        const std::string sp = f.str("/sp_mchid", true, 32), sub_mchid = f.str("/sub_mchid", true, 32);
        if (f.failed()) return *f.error;
        if (sp != m.mchid) return value_error("/sp_mchid", "differs from the mchid that signed the request", json::value(sp));
        if (!bound_sub(m, sub_mchid)) return not_bound();
        const auto o = store_.find_order(sub_mchid, **closed);
        if (!o || o->sp_mchid != m.mchid) return error_answer(404, "ORDER_NOT_EXIST", "order does not exist");
        switch (store_.close(sub_mchid, **closed)) {
        case store::change::paid:
        case store::change::refunded: return error_answer(400, "ORDERPAID", "order already paid");
        case store::change::not_found: return error_answer(404, "ORDER_NOT_EXIST", "order does not exist");
        default: return answer{204, {}};
        }
    }

    // Refunds, refund queries and bills: the direct paths, the sub-merchant named by sub_mchid.
    if (post && path == "/v3/refund/domestic/refunds") {
        auto doc = body_object(body);
        const json::value* sub_mchid = doc ? doc->if_contains("sub_mchid") : nullptr;
        if (!sub_mchid) return std::nullopt;  // a direct merchant's refund
        if (!sub_mchid->is_string()) return value_error("/sub_mchid", "must be a string", *sub_mchid);
        const sub_merchant* sub = bound_sub(m, sub_mchid->get_string());
        if (!sub) return not_bound();
        return refund(as_sub(m, *sub), body, now);
    }
    if (get && path == "/v3/bill/sub-merchant-fundflowbill") {
        const sub_merchant* sub = nullptr;
        if (auto refused = sub_of_query(sub)) return refused;
        return sub_fundflow_bill(m, *sub, query, now);
    }
    if (!query_param(query, "sub_mchid").empty() || query.find("sub_mchid=") != std::string_view::npos) {
        const bool refund_query = get && path_param(path, "/v3/refund/domestic/refunds/");
        // Trade bills only: a sub-merchant's fund-flow bill is /v3/bill/sub-merchant-fundflowbill
        // (above; docs/partner/apis/partner-jsapi-payment/get-trade-bill.html, …/get-sub-mch-fund-flow-bill.html).
        const bool bill_query = get && path == "/v3/bill/tradebill";
        if (refund_query || bill_query) {
            const sub_merchant* sub = nullptr;
            if (auto refused = sub_of_query(sub)) return refused;
            if (bill_query) return bill(as_sub(m, *sub), true, query, now);
            const auto no = decoded("/v3/refund/domestic/refunds/");
            if (!*no) return param_error("out_refund_no", "is not valid percent-encoding", "path");
            return query_refund(as_sub(m, *sub), **no);
        }
    }

    // Combine orders: query and close by combine_out_trade_no.
    if (const auto no = get ? decoded(std::string(combine_prefix) + "out-trade-no/") : std::nullopt) {
        if (!*no) return bad_path();
        const auto c = store_.find_combine(m.mchid, **no);
        if (!c) return error_answer(404, "ORDER_NOT_EXIST", "order does not exist");
        return answer{200, combine_resource(*c)};
    }
    if (const auto no = post ? decoded(std::string(combine_prefix) + "out-trade-no/", "/close") : std::nullopt) {
        if (!*no) return bad_path();
        return combine_close(m, **no, body);
    }
    return std::nullopt;
}

answer api::partner_prepay(const merchant& m, std::string_view kind, const std::string& body, std::int64_t now) {
    auto doc = body_object(body);
    if (!doc) return not_an_object();
    fields f(*doc);
    order partner;
    const std::string sp_appid = f.str("/sp_appid", true, 32);
    partner.sp_mchid = f.str("/sp_mchid", true, 32);
    const std::string sub_mchid = f.str("/sub_mchid", true, 32);
    partner.sub_appid = f.str("/sub_appid", false, 32);
    partner.payer_openid = f.str("/payer/sp_openid", false, 128);
    partner.sub_openid = f.str("/payer/sub_openid", false, 128);
    f.str("/notify_url", true, 255);  // 255 for providers (doc/v3/partner/4012523579)
    if (f.failed()) return *f.error;
    if (partner.sp_mchid != m.mchid)
        return value_error("/sp_mchid", "differs from the mchid that signed the request", json::value(partner.sp_mchid));
    if (std::find(m.appids.begin(), m.appids.end(), sp_appid) == m.appids.end())
        return error_answer(400, "APPID_MCHID_NOT_MATCH", "sp_appid and sp_mchid do not match");
    const sub_merchant* sub = bound_sub(m, sub_mchid);
    if (!sub) return not_bound();
    if (!partner.sub_appid.empty() &&
        std::find(sub->appids.begin(), sub->appids.end(), partner.sub_appid) == sub->appids.end())
        return appid_not_bound();
    // "若sub_openid有传的情况下，sub_appid必填" (doc/v3/partner/4012523579).
    if (!partner.sub_openid.empty() && partner.sub_appid.empty()) return param_error("/sub_appid", "is required with /body/payer/sub_openid");
    if (kind == "jsapi" && partner.payer_openid.empty() && partner.sub_openid.empty())
        return param_error("/payer", "needs sp_openid or sub_openid");
    // The order itself is read and stored as a direct one: the sub-merchant's, under the
    // provider's appid; the whole partner body stays in its fingerprint.
    json::object direct = *doc;
    direct["appid"] = sp_appid;
    direct["mchid"] = sub_mchid;
    if (kind == "jsapi")
        direct["payer"] = json::object{{"openid", partner.payer_openid.empty() ? partner.sub_openid : partner.payer_openid}};
    return prepay(as_sub(m, *sub), kind, json::serialize(direct), now, &partner);
}

answer api::combine_prepay(const merchant& m, std::string_view kind, const std::string& body, std::int64_t now) {
    auto doc = body_object(body);
    if (!doc) return not_an_object();
    fields f(*doc);
    combine_record c;
    c.combine_appid = f.str("/combine_appid", true, 32);
    c.combine_mchid = f.str("/combine_mchid", true, 32);
    c.combine_out_trade_no = f.str("/combine_out_trade_no", true, 32);
    c.notify_url = f.str("/notify_url", true, 256);
    const std::string time_expire = f.str("/time_expire", false, 64);
    c.payer_openid = f.str("/combine_payer_info/openid", kind == "jsapi", 128);
    f.str("/scene_info/payer_client_ip", kind == "h5", 45);
    c.device_id = f.str("/scene_info/device_id", false, 32);
    if (f.failed()) return *f.error;
    if (c.combine_mchid != m.mchid)
        return value_error("/combine_mchid", "differs from the mchid that signed the request", json::value(c.combine_mchid));
    if (std::find(m.appids.begin(), m.appids.end(), c.combine_appid) == m.appids.end())
        return error_answer(400, "APPID_MCHID_NOT_MATCH", "combine_appid and combine_mchid do not match");
    if (!valid_trade_no(c.combine_out_trade_no))
        return value_error("/combine_out_trade_no", "must be 6-32 characters of 0-9 A-Z a-z _ - | *",
                           json::value(c.combine_out_trade_no));
    if (!valid_notify_url(c.notify_url))
        return value_error("/notify_url", "must be an https URL without a query", json::value(c.notify_url));
    c.created = now;
    if (!time_expire.empty()) {
        auto t = parse_rfc3339(time_expire);
        if (!t) return value_error("/time_expire", "must be an RFC 3339 time", json::value(time_expire));
        c.expires = std::max(*t, now + min_expiry);
    }
    const json::value* list = f.at("/sub_orders");
    if (!list || !list->is_array()) return param_error("/sub_orders", "is required (an array)");
    const auto& items = list->get_array();
    bool partner = false;
    for (const auto& item : items)
        partner = partner || (item.is_object() && item.get_object().contains("sub_mchid"));
    // 1–50 sub-orders for a provider, 2–10 for a direct merchant (partner.hpp).
    if (partner ? items.empty() || items.size() > 50 : items.size() < 2 || items.size() > 10)
        return param_error("/sub_orders", partner ? "must hold 1 to 50 sub-orders" : "must hold 2 to 10 sub-orders");
    static const std::map<std::string_view, std::string_view> trade_types = {
        {"jsapi", "JSAPI"}, {"app", "APP"}, {"native", "NATIVE"}, {"h5", "MWEB"}};
    c.trade_type = trade_types.at(kind);
    std::vector<order> subs;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string at = "/sub_orders/" + std::to_string(i);
        if (!items[i].is_object()) return param_error(at, "must be an object");
        fields sf(items[i].get_object());
        order o;
        const std::string mchid = sf.str("/mchid", true, 32);
        const std::string sub_mchid = sf.str("/sub_mchid", false, 32);
        o.sub_appid = sf.str("/sub_appid", false, 32);
        o.out_trade_no = sf.str("/out_trade_no", true, 32);
        o.total = sf.integer("/amount/total_amount", true);
        const std::string currency = sf.str("/amount/currency", true, 8);
        o.description = sf.str("/description", true, 127);
        o.attach = sf.str("/attach", true, 128);
        if (sf.failed()) {
            // Name the sub-order in the error: /body/sub_orders/N/field.
            answer a = *sf.error;
            auto j = json::parse(a.body).as_object();
            std::string message(j["message"].as_string());
            if (message.starts_with("/body/")) message.insert(5, at);
            j["message"] = message;
            a.body = json::serialize(j);
            return a;
        }
        if (!valid_trade_no(o.out_trade_no))
            return value_error(at + "/out_trade_no", "must be 6-32 characters of 0-9 A-Z a-z _ - | *", json::value(o.out_trade_no));
        if (o.total <= 0 || o.total > max_amount)
            return value_error(at + "/amount/total_amount", "must be an integer from 1 to 2147483647", json::value(o.total));
        if (currency != "CNY") return value_error(at + "/amount/currency", "must be CNY", json::value(currency));
        if (!sub_mchid.empty()) {
            if (mchid != m.mchid) return value_error(at + "/mchid", "must be the service provider's mchid", json::value(mchid));
            const sub_merchant* sub = bound_sub(m, sub_mchid);
            if (!sub) return not_bound();
            if (!o.sub_appid.empty() && std::find(sub->appids.begin(), sub->appids.end(), o.sub_appid) == sub->appids.end())
                return appid_not_bound();
            o.mchid = sub_mchid;
            o.sp_mchid = m.mchid;
        } else {
            // A direct sub-order's merchant must be bound to the combine_appid.
            const merchant* owner = find_merchant(mchid);
            if (!owner || std::find(owner->appids.begin(), owner->appids.end(), c.combine_appid) == owner->appids.end())
                return error_answer(400, "APPID_MCHID_NOT_MATCH", "sub-order mchid is not bound to combine_appid");
            o.mchid = mchid;
        }
        for (const auto& seen : subs)
            if (seen.mchid == o.mchid && seen.out_trade_no == o.out_trade_no)
                return value_error(at + "/out_trade_no", "is used twice", json::value(o.out_trade_no));
        o.appid = c.combine_appid;
        o.notify_url = c.notify_url;
        o.trade_type = c.trade_type;
        o.created = now;
        o.expires = c.expires;
        o.device_id = c.device_id;
        o.combine_mchid = m.mchid;
        o.combine_out_trade_no = c.combine_out_trade_no;
        subs.push_back(std::move(o));
    }
    c.fingerprint = std::string(kind) + " " + canonical_json(json::value(*doc));
    std::string used;
    const auto fingerprint = c.fingerprint;
    const auto stored = store_.insert_combine(std::move(c), std::move(subs), used);
    if (!stored) return error_answer(403, "OUT_TRADE_NO_USED", "sub-order out_trade_no " + used + " is already used");
    if (stored->record.fingerprint != fingerprint)
        return error_answer(403, "OUT_TRADE_NO_USED", "combine_out_trade_no was used with other parameters");
    for (const auto& o : stored->orders) {
        if (o.trade_state == "SUCCESS" || o.trade_state == "REFUND") return error_answer(400, "ORDERPAID", "order already paid");
        if (o.trade_state == "CLOSED") return error_answer(400, "ORDER_CLOSED", "order is closed");
    }
    if (kind == "native") return {200, json::serialize(json::object{{"code_url", stored->record.code_url}})};
    if (kind == "h5") return {200, json::serialize(json::object{{"h5_url", stored->record.h5_url}})};
    return {200, json::serialize(json::object{{"prepay_id", stored->record.prepay_id}})};
}

answer api::combine_close(const merchant& m, std::string_view no, const std::string& body) {
    auto doc = body_object(body);
    if (!doc) return not_an_object();
    fields f(*doc);
    const std::string appid = f.str("/combine_appid", true, 32);
    if (f.failed()) return *f.error;
    const auto c = store_.find_combine(m.mchid, std::string(no));
    if (!c) return error_answer(404, "ORDER_NOT_EXIST", "order does not exist");
    if (appid != c->record.combine_appid)
        return value_error("/combine_appid", "is not the combine order's", json::value(appid));
    // The sub-orders named must be the combine order's, each once, all of them.
    const json::value* list = f.at("/sub_orders");
    if (!list || !list->is_array() || list->get_array().size() != c->orders.size())
        return param_error("/sub_orders", "must list every sub-order of the combine order");
    std::set<std::pair<std::string, std::string>> named;
    for (const auto& item : list->get_array()) {
        const json::object* o = item.if_object();
        auto text = [&](std::string_view key) {
            const json::value* v = o ? o->if_contains(key) : nullptr;
            return v && v->is_string() ? std::string(v->get_string()) : std::string();
        };
        const std::string sub_mchid = text("sub_mchid"), mchid = text("mchid");
        named.emplace(sub_mchid.empty() ? mchid : sub_mchid, text("out_trade_no"));
        if (!sub_mchid.empty() && mchid != m.mchid)
            return value_error("/sub_orders/mchid", "must be the service provider's mchid", json::value(mchid));
    }
    for (const auto& o : c->orders)
        if (!named.count({o.mchid, o.out_trade_no}))
            return error_answer(400, "INVALID_REQUEST", "sub_orders differ from the combine order's");
    switch (store_.close_combine(m.mchid, std::string(no))) {
    case store::change::paid: return error_answer(400, "ORDERPAID", "order already paid");
    case store::change::not_found: return error_answer(404, "ORDER_NOT_EXIST", "order does not exist");
    default: return {204, {}};
    }
}

}  // namespace wechatpay::sim

// ---- merchant transfer bills (商家转账) ------------------------------------------------------
// docs/merchant/apis/mch-trans/transfer-bill/*.html and doc/v3/merchant/4012716458 (cancel),
// docs/merchant/apis/mch-trans/elecsign/*.html (receipts).

namespace wechatpay::sim {

namespace {

constexpr std::string_view transfer_bills = "/v3/fund-app/mch-transfer/transfer-bills";
constexpr std::string_view transfer_receipts_prefix = "/v3/fund-app/mch-transfer/elecsign";
constexpr std::string_view receipt_download_path = "/v3/transferdownload/signfile";

bool alnum_no(std::string_view s, std::size_t max) {
    return !s.empty() && s.size() <= max &&
           std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

json::object transfer_json(const transfer_record& r) {
    json::object o{{"mch_id", r.mchid},
                   {"out_bill_no", r.out_bill_no},
                   {"transfer_bill_no", r.transfer_bill_no},
                   {"appid", r.appid},
                   {"state", r.state},
                   {"transfer_amount", r.amount},
                   {"transfer_remark", r.remark},
                   {"openid", r.openid},
                   {"create_time", rfc3339_cst(r.created)},
                   {"update_time", rfc3339_cst(r.updated)}};
    if (!r.fail_reason.empty()) o["fail_reason"] = r.fail_reason;
    return o;
}

answer transfer_refused(transfer_book::refusal why, const std::string& state) {
    switch (why) {
    case transfer_book::refusal::not_found: return error_answer(404, "NOT_FOUND", "记录不存在: no such transfer bill");
    case transfer_book::refusal::wrong_state:
        return error_answer(400, "INVALID_REQUEST", "the bill is " + state + ": only a bill the user has not confirmed can be cancelled");
    case transfer_book::refusal::no_receipt:
        return error_answer(400, "INVALID_REQUEST", "receipts are for SUCCESS bills that named the payee (user_name)");
    case transfer_book::refusal::none: break;
    }
    return {204, ""};
}

}  // namespace

std::string api::transfer_notification_resource(const transfer_record& r) {
    json::object o = transfer_json(r);
    o.erase("appid");
    o.erase("transfer_remark");
    return json::serialize(o);
}

answer api::transfers(const merchant& m, const incoming& in, std::string_view path, std::int64_t now) {
    const bool post = in.method == "POST", get = in.method == "GET";
    if (path.starts_with(transfer_receipts_prefix)) return transfer_receipts(m, in.method, path, in.body, now);
    if (post && path == transfer_bills) return create_transfer(m, in, now);
    auto decoded = [](std::optional<std::string_view> raw) -> std::optional<std::string> {
        return raw ? percent_decode(*raw) : std::nullopt;
    };
    const std::string by_out = std::string(transfer_bills) + "/out-bill-no/";
    const std::string by_no = std::string(transfer_bills) + "/transfer-bill-no/";
    if (post && path_param(path, by_out, "/cancel")) {
        const auto no = decoded(path_param(path, by_out, "/cancel"));
        if (!no || !alnum_no(*no, 32)) return param_error("out_bill_no", "must be 1-32 of 0-9 A-Z a-z", "path");
        transfer_record r;
        const auto why = transfers_.cancel(m.mchid, *no, now, r);
        if (why != transfer_book::refusal::none) {
            const auto bill = transfers_.find(m.mchid, *no);
            return transfer_refused(why, bill ? bill->state : "");
        }
        if (hooks_.transfer_changed) hooks_.transfer_changed(r);
        return {200, json::serialize(json::object{{"out_bill_no", r.out_bill_no},
                                                  {"transfer_bill_no", r.transfer_bill_no},
                                                  {"state", r.state},
                                                  {"update_time", rfc3339_cst(r.updated)}})};
    }
    const bool by_transfer_no = path_param(path, by_no).has_value();
    if (get && (by_transfer_no || path_param(path, by_out))) {
        const auto no = decoded(path_param(path, by_transfer_no ? by_no : by_out));
        if (!no || !alnum_no(*no, by_transfer_no ? 64 : 32))
            return param_error(by_transfer_no ? "transfer_bill_no" : "out_bill_no", "must be 0-9 A-Z a-z", "path");
        // "单个商户 100 QPS,如果超过频率限制,会报错 FREQUENCY_LIMITED" (get-transfer-bill-by-out-no.html).
        if (!transfers_.allow_query(m.mchid, cfg_.transfer_query_qps))
            return error_answer(429, "FREQUENCY_LIMITED", "频率超限: too many transfer queries this second");
        const auto r = by_transfer_no ? transfers_.find_by_transfer_no(m.mchid, *no) : transfers_.find(m.mchid, *no);
        if (!r) return error_answer(404, "NOT_FOUND", "记录不存在: no such transfer bill");
        return {200, json::serialize(transfer_json(*r))};
    }
    return error_answer(404, "NOT_FOUND", "no such API");
}

answer api::create_transfer(const merchant& m, const incoming& in, std::int64_t now) {
    auto doc = body_object(in.body);
    if (!doc) return not_an_object();
    fields f(*doc);
    transfer_record r;
    r.mchid = m.mchid;
    r.appid = f.str("/appid", true, 32);
    r.out_bill_no = f.str("/out_bill_no", true, 32);
    r.scene_id = f.str("/transfer_scene_id", true, 36);
    r.openid = f.str("/openid", true, 64);
    r.amount = f.integer("/transfer_amount", true);
    r.remark = f.str("/transfer_remark", true, 32);
    r.notify_url = f.str("/notify_url", false, 256);
    r.perception = f.str("/user_recv_perception", false, 256);
    const std::string sealed_name = f.str("/user_name", false, 1024);
    if (f.failed()) return *f.error;
    if (std::find(m.appids.begin(), m.appids.end(), r.appid) == m.appids.end())
        return error_answer(400, "APPID_MCHID_NOT_MATCH", "appid and mchid do not match");
    if (!alnum_no(r.out_bill_no, 32))
        return value_error("/out_bill_no", "must be 1-32 of 0-9 A-Z a-z", json::value(r.out_bill_no));
    if (r.amount <= 0 || r.amount > max_amount)
        return value_error("/transfer_amount", "must be an integer from 1 to 2147483647", json::value(r.amount));
    if (!r.notify_url.empty() && !valid_notify_url(r.notify_url))
        return value_error("/notify_url", "must be an https URL without a query", json::value(r.notify_url));
    const json::value* infos = f.at("/transfer_scene_report_infos");
    if (!infos || !infos->is_array() || infos->get_array().empty())
        return param_error("/transfer_scene_report_infos", "is required: an array of {info_type, info_content}");
    for (std::size_t i = 0; i < infos->get_array().size(); ++i) {
        const json::object* o = infos->get_array()[i].if_object();
        const std::string at = "/transfer_scene_report_infos/" + std::to_string(i);
        // info_type string[1,15], info_content string[1,32] (doc/v3/merchant/4013774588).
        for (const auto& [key, max] : {std::pair{"info_type", 15}, std::pair{"info_content", 32}}) {
            const json::value* v = o ? o->if_contains(key) : nullptr;
            if (!v || !v->is_string() || v->get_string().empty() ||
                utf8_length(v->get_string()) > static_cast<std::size_t>(max))
                return param_error(at + "/" + key, "must be a string of 1 to " + std::to_string(max) + " characters");
        }
    }
    r.report_infos = json::serialize(*infos);
    // "转账金额 >= 2,000元时,该笔明细必须填写" user_name.
    if (sealed_name.empty() && r.amount >= 200000)
        return param_error("/user_name", "is required for a transfer of 2,000 yuan or more");
    if (!sealed_name.empty()) {
        // Sealed with the WeChat Pay key that Wechatpay-Serial names (RSA-OAEP).
        if (in.wechatpay_serial.empty())
            return param_error("Wechatpay-Serial", "is required with an encrypted field", "header");
        const auto key = hooks_.decrypting_key ? hooks_.decrypting_key(in.wechatpay_serial) : std::nullopt;
        if (!key) return value_error("Wechatpay-Serial", "names no WeChat Pay key", json::value(in.wechatpay_serial), "header");
        auto name = oaep_decrypt(*key, sealed_name);
        // The ciphertext is not quoted back: it is the payee's name.
        if (!name || name->empty()) return param_error("/user_name", "cannot be decrypted with the key Wechatpay-Serial names");
        r.user_name = std::move(*name);
    }
    switch (transfers_.create(r, now)) {
    case transfer_book::outcome::conflict:
        return error_answer(400, "INVALID_REQUEST", "out_bill_no is already used by a transfer with other parameters");
    case transfer_book::outcome::not_enough:
        return error_answer(403, "NOT_ENOUGH", "资金不足: the merchant's balance is below transfer_amount");
    case transfer_book::outcome::full: return error_answer(500, "SYSTEM_ERROR", "too many transfers (100000)");
    case transfer_book::outcome::created:
    case transfer_book::outcome::existing: break;
    }
    json::object o{{"out_bill_no", r.out_bill_no},
                   {"transfer_bill_no", r.transfer_bill_no},
                   {"create_time", rfc3339_cst(r.created)},
                   {"state", r.state}};
    if (r.state == "WAIT_USER_CONFIRM") o["package_info"] = r.package_info;
    if (r.state == "FAIL") o["fail_reason"] = r.fail_reason;
    return {200, json::serialize(o)};
}

answer api::transfer_receipts(const merchant& m, std::string_view method, std::string_view path,
                              const std::string& body, std::int64_t now) {
    const std::string by_out = std::string(transfer_receipts_prefix) + "/out-bill-no";
    const std::string by_no = std::string(transfer_receipts_prefix) + "/transfer-bill-no/";
    auto receipt_answer = [&](const transfer_record& r) {
        json::object o{{"state", r.receipt_state},
                       {"create_time", rfc3339_cst(r.receipt_created)},
                       {"update_time", rfc3339_cst(r.receipt_state == "FINISHED" ? now : r.receipt_created)}};
        if (r.receipt_state == "FINISHED") {
            o["hash_type"] = "SHA256";
            o["hash_value"] = sha256_hex(receipt_file(r));
            o["download_url"] = base_url_ + std::string(receipt_download_path) + "?token=" + r.receipt_token;
        }
        return answer{200, json::serialize(o)};
    };
    if (method == "POST" && path == by_out) {
        auto doc = body_object(body);
        if (!doc) return not_an_object();
        fields f(*doc);
        const std::string no = f.str("/out_bill_no", true, 32);
        if (f.failed()) return *f.error;
        transfer_record r;
        const auto why = transfers_.apply_receipt(m.mchid, no, now, cfg_.transfer_delay, r);
        if (why != transfer_book::refusal::none) return transfer_refused(why, r.state);
        return {200, json::serialize(json::object{{"state", r.receipt_state},
                                                  {"create_time", rfc3339_cst(r.receipt_created)}})};
    }
    if (method == "GET") {
        const bool by_transfer_no = path_param(path, by_no).has_value();
        const auto raw = by_transfer_no ? path_param(path, by_no) : path_param(path, by_out + "/");
        const auto no = raw ? percent_decode(*raw) : std::nullopt;
        if (!no) return error_answer(404, "NOT_FOUND", "no such API");
        const auto r = transfers_.receipt(m.mchid, *no, by_transfer_no);
        if (!r) return error_answer(404, "NOT_FOUND", "记录不存在: no receipt was applied for");
        return receipt_answer(*r);
    }
    return error_answer(404, "NOT_FOUND", "no such API");
}

answer api::receipt_download(const merchant& m, std::string_view query) {
    const auto r = transfers_.by_receipt_token(m.mchid, query_param(query, "token"));
    if (!r) return error_answer(404, "NOT_FOUND", "no such receipt: the token is unknown");
    answer a{200, receipt_file(*r)};
    a.sign = false;  // a file, unsigned like bills
    a.content_type = "application/pdf";
    return a;
}

void api::finish_transfer(const std::string& mchid, const std::string& out_bill_no, std::int64_t now) {
    const auto r = transfers_.finish(mchid, out_bill_no, now);
    if (r && hooks_.transfer_changed) hooks_.transfer_changed(*r);
}

result<std::string> api::transfer_action(std::string_view out_bill_no, std::string_view action, std::string_view body,
                                         std::int64_t now) {
    auto bad = [](std::string why) { return error(errc::invalid_argument, std::move(why)); };
    auto doc = body.empty() ? std::optional<json::object>(json::object{}) : body_object(body);
    if (!doc) return bad("body must be a JSON object");
    auto text = [&](std::string_view key) -> std::string {
        const auto* v = doc->if_contains(key);
        return v && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    const auto bill = transfers_.find_any(std::string(out_bill_no));
    if (!bill) return bad("no such transfer");
    transfer_record r;
    transfer_book::refusal why{};
    if (action == "confirm") {
        why = transfers_.confirm(bill->mchid, bill->out_bill_no, text("real_name"), now, r);
    } else if (action == "refuse" || action == "fail") {
        std::string reason = text("fail_reason");
        if (reason.empty()) reason = action == "refuse" ? "USER_REFUSED" : "TRANSFER_RISK";
        why = transfers_.fail(bill->mchid, bill->out_bill_no, reason, now, r);
    } else {
        return bad("action must be confirm, refuse or fail");
    }
    if (why != transfer_book::refusal::none) return bad("wrong state: the bill is " + bill->state);
    if (hooks_.transfer_changed) hooks_.transfer_changed(r);
    json::object o = transfer_json(r);
    o["user_name_received"] = r.user_name;
    return json::serialize(o);
}

result<std::string> api::set_transfer_balance(std::string_view body) {
    auto doc = body_object(body);
    const json::object* o = doc ? &*doc : nullptr;
    const json::value* balance = o ? o->if_contains("balance") : nullptr;
    if (!balance || !balance->is_int64() || balance->get_int64() < 0)
        return error(errc::invalid_argument, "balance: an integer ≥ 0 (fen) is required");
    std::string mchid = cfg_.merchants.empty() ? std::string() : cfg_.merchants.front().mchid;
    if (const auto* v = o->if_contains("mchid"); v && v->is_string()) mchid = v->get_string();
    if (!find_merchant(mchid)) return error(errc::invalid_argument, "mchid: no such merchant");
    transfers_.set_balance(mchid, balance->get_int64());
    return json::serialize(json::object{{"mchid", mchid}, {"balance", balance->get_int64()}});
}

}  // namespace wechatpay::sim
