#include "sim/api.hpp"

#include "sim/auth.hpp"
#include "sim/bills.hpp"

#include "core/gzip.hpp"

#include <wechatpay/crypto.hpp>
#include <wechatpay/requests.hpp>
#include <wechatpay/signer.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <vector>

namespace wechatpay::sim {

namespace json = boost::json;

answer error_answer(unsigned status, std::string_view code, std::string_view message,
                    std::string_view detail_json) {
    json::object o{{"code", code}, {"message", message}};
    if (!detail_json.empty()) o["detail"] = json::parse(detail_json);
    return {status, json::serialize(o)};
}

namespace {

answer param_error(std::string_view field, std::string_view issue, std::string_view location = "body") {
    json::object detail{{"field", field}, {"issue", issue}, {"location", location}};
    return {400, json::serialize(json::object{{"code", "PARAM_ERROR"},
                                              {"message", std::string(field) + " " + std::string(issue)},
                                              {"detail", detail}})};
}

answer sign_error(std::string_view why) { return error_answer(401, "SIGN_ERROR", why); }

constexpr std::string_view by_trade_no = "/v3/pay/transactions/out-trade-no/";
constexpr std::string_view by_transaction_id = "/v3/pay/transactions/id/";
constexpr std::string_view refund_by_no = "/v3/refund/domestic/refunds/";

// Every endpoint's name in statistics and fault rules.
constexpr std::string_view endpoint_names[] = {
    "/v3/pay/transactions/jsapi", "/v3/pay/transactions/app", "/v3/pay/transactions/native",
    "/v3/pay/transactions/h5", "/v3/pay/transactions/out-trade-no/{out_trade_no}",
    "/v3/pay/transactions/out-trade-no/{out_trade_no}/close", "/v3/pay/transactions/id/{transaction_id}",
    "/v3/refund/domestic/refunds", "/v3/refund/domestic/refunds/{out_refund_no}", "/v3/bill/tradebill",
    "/v3/bill/fundflowbill", "/v3/billdownload/file", "/v3/certificates"};

std::string query_param(std::string_view query, std::string_view name) {
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
        const auto eq = pair.find('=');
        if (pair.substr(0, eq) == name) return std::string(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    }
    return {};
}

std::size_t utf8_length(std::string_view s) {
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

// out_trade_no: 6–32 of [0-9A-Za-z_-|*]; out_refund_no: 6–64, '@' allowed too.
bool valid_number(std::string_view s, std::size_t max, std::string_view extra) {
    return s.size() >= 6 && s.size() <= max && std::all_of(s.begin(), s.end(), [&](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) || extra.find(c) != std::string_view::npos;
           });
}
// WeChat's amounts are 32-bit ints (fen): larger ones are refused, and bills' fee arithmetic
// (total * 6) stays far from overflow.
constexpr std::int64_t max_amount = 2147483647;

bool valid_trade_no(std::string_view s) { return valid_number(s, 32, "_-|*"); }
bool valid_refund_no(std::string_view s) { return valid_number(s, 64, "_-|*@"); }

bool is_loopback_host(std::string_view url_after_scheme) {
    const auto host = url_after_scheme.substr(0, url_after_scheme.find_first_of(":/"));
    return host == "localhost" || host.starts_with("127.") || host == "[::1]";
}

// notify_url: https without a query (http accepted for loopback receivers, for local testing).
// Its host and path go into the notification's request as written: nothing that could end a
// line or a request there.
bool valid_notify_url(std::string_view u) {
    if (u.find('?') != std::string_view::npos || u.size() > 256) return false;
    const bool https = u.starts_with("https://");
    if (!https && !u.starts_with("http://")) return false;
    const auto rest = u.substr(https ? 8 : 7);
    const auto slash = rest.find('/');
    const auto authority = rest.substr(0, slash);
    if (authority.empty() || std::any_of(authority.begin(), authority.end(), [](unsigned char c) {
            return c <= ' ' || c >= 0x7f || c == '@' || c == '#' || c == '\\';
        }))
        return false;
    if (slash != std::string_view::npos && !wechatpay::is_origin_form(rest.substr(slash))) return false;
    return https || is_loopback_host(rest);
}

// Reads fields of a JSON body and turns the first problem into WeChat's PARAM_ERROR.
class fields {
public:
    explicit fields(const json::object& o) : root_(o) {}

    const json::value* at(std::string_view pointer) const {
        const json::value* v = nullptr;
        const json::object* o = &root_;
        std::string_view p = pointer.substr(1);
        while (o) {
            const auto slash = p.find('/');
            v = o->if_contains(p.substr(0, slash));
            if (!v || slash == std::string_view::npos) break;
            p.remove_prefix(slash + 1);
            o = v->if_object();
            v = nullptr;
        }
        return v && !v->is_null() ? v : nullptr;
    }
    // A string field: required ones must be present and non-empty; max length in characters.
    std::string str(std::string_view pointer, bool required, std::size_t max_chars = 256) {
        if (failed()) return {};
        const json::value* v = at(pointer);
        if (!v) {
            if (required) fail(pointer, "is required");
            return {};
        }
        if (!v->is_string()) return fail(pointer, "must be a string"), std::string();
        std::string s(v->get_string());
        if (required && s.empty()) fail(pointer, "must not be empty");
        else if (utf8_length(s) > max_chars)
            fail(pointer, "is longer than " + std::to_string(max_chars) + " characters");
        return s;
    }
    std::int64_t integer(std::string_view pointer, bool required) {
        if (failed()) return 0;
        const json::value* v = at(pointer);
        if (!v) return required ? (fail(pointer, "is required"), 0) : 0;
        if (auto i = v->if_int64()) return *i;
        fail(pointer, "must be an integer");
        return 0;
    }
    void fail(std::string_view pointer, std::string issue) {
        if (!error) error = param_error(pointer, issue);
    }
    bool failed() const { return error.has_value(); }
    std::optional<answer> error;

private:
    const json::object& root_;
};

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

json::object transaction_json(const order& o) {
    static const std::map<std::string, std::string> descriptions = {
        {"NOTPAY", "订单未支付"}, {"SUCCESS", "支付成功"}, {"CLOSED", "订单已关闭"}, {"REFUND", "转入退款"}};
    json::object t{{"appid", o.appid},
                   {"mchid", o.mchid},
                   {"out_trade_no", o.out_trade_no},
                   {"trade_type", o.trade_type},
                   {"trade_state", o.trade_state},
                   {"trade_state_desc", descriptions.at(o.trade_state)},
                   {"attach", o.attach}};
    json::object amount{{"total", o.total}, {"currency", o.currency}};
    if (o.trade_state == "SUCCESS" || o.trade_state == "REFUND") {
        t["transaction_id"] = o.transaction_id;
        t["bank_type"] = o.bank_type;
        t["success_time"] = o.success_time;
        t["payer"] = json::object{{"openid", o.payer_openid}};
        amount["payer_total"] = o.total;
        amount["payer_currency"] = o.currency;
    }
    t["amount"] = std::move(amount);
    if (!o.device_id.empty()) t["scene_info"] = json::object{{"device_id", o.device_id}};
    return t;
}

json::object refund_json(const refund_record& r) {
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
                                           {"payer_total", r.total},
                                           {"payer_refund", r.refund},
                                           {"settlement_refund", r.refund},
                                           {"settlement_total", r.total},
                                           {"discount_refund", 0},
                                           {"currency", r.currency}}}};
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
                                           {"payer_total", r.total},
                                           {"payer_refund", r.refund}}}};
    if (r.status == "SUCCESS") f["success_time"] = rfc3339_cst(r.succeeded);
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
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    std::string out;
    out.reserve(segment.size());
    for (std::size_t i = 0; i < segment.size(); ++i) {
        if (segment[i] != '%') {
            out += segment[i];
            continue;
        }
        if (i + 2 >= segment.size()) return std::nullopt;  // "%" or "%4" at the end
        const int h = hex(segment[i + 1]), l = hex(segment[i + 2]);
        if (h < 0 || l < 0) return std::nullopt;
        out += static_cast<char>(h * 16 + l);
        i += 2;
    }
    return out;
}

std::string api::endpoint_of(std::string_view method, std::string_view path) {
    (void)method;
    if (path_param(path, by_trade_no, "/close")) return "/v3/pay/transactions/out-trade-no/{out_trade_no}/close";
    if (path_param(path, by_trade_no)) return "/v3/pay/transactions/out-trade-no/{out_trade_no}";
    if (path_param(path, by_transaction_id)) return "/v3/pay/transactions/id/{transaction_id}";
    if (path_param(path, refund_by_no)) return "/v3/refund/domestic/refunds/{out_refund_no}";
    // A bounded set of names: any other path is "unknown", so that probes cannot grow the stats.
    for (std::string_view known : endpoint_names)
        if (path == known && known.find('{') == std::string_view::npos) return std::string(known);
    return "unknown";
}

bool api::is_endpoint_name(std::string_view name) {
    return name == "unknown" || std::find(std::begin(endpoint_names), std::end(endpoint_names), name) != std::end(endpoint_names);
}

const merchant* api::find_merchant(std::string_view mchid) const {
    for (const auto& m : cfg_.merchants)
        if (m.mchid == mchid) return &m;
    return nullptr;
}

answer api::handle(const incoming& in, std::int64_t now) {
    // Authentication first, as WeChat does: nothing about the request is looked at before it.
    if (in.authorization.empty()) return sign_error("Authorization header is missing");
    const auto auth = parse_authorization(in.authorization);
    if (!auth) return sign_error("Authorization header is malformed");
    const merchant* m = find_merchant(auth->mchid);
    if (!m) return error_answer(400, "MCH_NOT_EXISTS", "merchant does not exist");
    std::int64_t ts = 0;
    auto [end, ec] = std::from_chars(auth->timestamp.data(), auth->timestamp.data() + auth->timestamp.size(), ts);
    if (ec != std::errc() || end != auth->timestamp.data() + auth->timestamp.size())
        return sign_error("timestamp is malformed");
    if (ts < now - 300 || ts > now + 300) return sign_error("timestamp is outside the 5-minute window");
    std::string serial = auth->serial_no;
    std::transform(serial.begin(), serial.end(), serial.begin(), [](unsigned char c) { return std::toupper(c); });
    if (serial != m->cert.serial()) return sign_error("serial_no is not the merchant certificate's serial");
    const auto sig = base64_decode(auth->signature);
    const std::string message = request_message(in.method, in.target, ts, auth->nonce_str, in.body);
    if (!sig || !m->cert.key().verify_sha256(message, *sig)) return sign_error("signature verification failed");

    const std::string_view target = in.target;
    const auto qpos = target.find('?');
    const std::string_view path = target.substr(0, qpos);
    const std::string_view query = qpos == std::string_view::npos ? "" : target.substr(qpos + 1);
    const bool post = in.method == "POST", get = in.method == "GET";

    constexpr std::string_view prepay_prefix = "/v3/pay/transactions/";
    for (std::string_view kind : {"jsapi", "app", "native", "h5"})
        if (post && path.size() == prepay_prefix.size() + kind.size() && path.starts_with(prepay_prefix) &&
            path.ends_with(kind))
            return prepay(*m, kind, in.body, now);
    // Ids in paths arrive percent-encoded ("AB%7C12345" for AB|12345: clients encode | * @) and
    // are decoded before use. A malformed escape makes no id at all: 400, a bad request.
    std::optional<std::string> id;
    auto route = [&](std::string_view prefix, std::string_view suffix = {}) {
        const auto raw = path_param(path, prefix, suffix);
        if (raw) id = percent_decode(*raw);
        return raw.has_value();
    };
    auto bad_escape = [](std::string_view name) { return param_error(name, "is not valid percent-encoding", "path"); };
    if (get && route(by_trade_no)) return id ? api::query(*m, false, *id, query, now) : bad_escape("out_trade_no");
    if (get && route(by_transaction_id)) return id ? api::query(*m, true, *id, query, now) : bad_escape("transaction_id");
    if (post && route(by_trade_no, "/close")) return id ? close(*m, *id, in.body, now) : bad_escape("out_trade_no");
    if (post && path == "/v3/refund/domestic/refunds") return refund(*m, in.body, now);
    if (get && route(refund_by_no)) return id ? query_refund(*m, *id) : bad_escape("out_refund_no");
    if (get && path == "/v3/bill/tradebill") return bill(*m, true, query, now);
    if (get && path == "/v3/bill/fundflowbill") return bill(*m, false, query, now);
    if (get && path == "/v3/billdownload/file") return download(*m, query);
    if (get && path == "/v3/certificates") return certificates(*m);
    return error_answer(404, "NOT_FOUND", "no such API");
}

answer api::prepay(const merchant& m, std::string_view kind, const std::string& body, std::int64_t now) {
    boost::system::error_code ec;
    auto doc = json::parse(body, ec);
    if (ec || !doc.is_object()) return error_answer(400, "PARAM_ERROR", "body is not a JSON object");
    fields f(doc.get_object());
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
    if (o.mchid != m.mchid) return param_error("/mchid", "differs from the mchid that signed the request");
    if (std::find(m.appids.begin(), m.appids.end(), o.appid) == m.appids.end())
        return error_answer(400, "APPID_MCHID_NOT_MATCH", "appid and mchid do not match");
    if (!valid_trade_no(o.out_trade_no))
        return param_error("/out_trade_no", "must be 6-32 characters of 0-9 A-Z a-z _ - | *");
    if (o.total <= 0) return param_error("/amount/total", "must be greater than 0");
    if (o.total > max_amount) return param_error("/amount/total", "must be at most 2147483647");
    if (!currency.empty() && currency != "CNY") return param_error("/amount/currency", "must be CNY");
    if (!valid_notify_url(o.notify_url)) return param_error("/notify_url", "must be an https URL without a query");
    if (!o.time_expire.empty()) {
        auto t = parse_rfc3339(o.time_expire);
        if (!t) return param_error("/time_expire", "must be an RFC 3339 time");
        if (*t <= now) return param_error("/time_expire", "must be later than now");
        o.expires = *t;
    }

    static const std::map<std::string_view, std::string_view> trade_types = {
        {"jsapi", "JSAPI"}, {"app", "APP"}, {"native", "NATIVE"}, {"h5", "MWEB"}};
    o.trade_type = trade_types.at(kind);
    o.created = now;
    // Same parameters in another key order are the same prepay: compare a canonical form.
    o.fingerprint = std::string(kind) + " " + canonical_json(doc);  // same body, other kind: a change
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

answer api::query(const merchant& m, bool by_transaction, std::string_view id, std::string_view query,
                  std::int64_t now) {
    const std::string mchid = query_param(query, "mchid");
    if (mchid.empty()) return param_error("mchid", "is required", "query");
    if (mchid != m.mchid) return param_error("mchid", "differs from the mchid that signed the request", "query");
    const auto o = by_transaction ? store_.find_by_transaction(m.mchid, std::string(id), now)
                                  : store_.find_order(m.mchid, std::string(id), now);
    if (!o) return error_answer(404, "ORDER_NOT_EXIST", "order does not exist");
    return {200, json::serialize(transaction_json(*o))};
}

answer api::close(const merchant& m, std::string_view out_trade_no, const std::string& body, std::int64_t now) {
    boost::system::error_code ec;
    auto doc = json::parse(body, ec);
    if (ec || !doc.is_object()) return error_answer(400, "PARAM_ERROR", "body is not a JSON object");
    fields f(doc.get_object());
    const std::string mchid = f.str("/mchid", true, 32);
    if (f.failed()) return *f.error;
    if (mchid != m.mchid) return param_error("/mchid", "differs from the mchid that signed the request");
    switch (store_.close(m.mchid, std::string(out_trade_no), now)) {
    case store::change::ok: return {204, {}};
    case store::change::not_found: return error_answer(404, "ORDER_NOT_EXIST", "order does not exist");
    case store::change::paid:
    case store::change::refunded: return error_answer(400, "ORDERPAID", "order already paid");
    case store::change::closed: break;
    }
    return {204, {}};
}

answer api::refund(const merchant& m, const std::string& body, std::int64_t now) {
    boost::system::error_code ec;
    auto doc = json::parse(body, ec);
    if (ec || !doc.is_object()) return error_answer(400, "PARAM_ERROR", "body is not a JSON object");
    fields f(doc.get_object());
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
    if (txn.empty() && r.out_trade_no.empty()) return param_error("/transaction_id", "or /out_trade_no is required");
    if (!valid_refund_no(r.out_refund_no)) return param_error("/out_refund_no", "must be 6-64 characters of 0-9 A-Z a-z _ - | * @");
    if (r.refund <= 0) return param_error("/amount/refund", "must be greater than 0");
    if (r.total <= 0) return param_error("/amount/total", "must be greater than 0");
    if (r.refund > max_amount) return param_error("/amount/refund", "must be at most 2147483647");
    if (r.total > max_amount) return param_error("/amount/total", "must be at most 2147483647");
    if (currency != "CNY") return param_error("/amount/currency", "must be CNY");
    if (!r.notify_url.empty() && !valid_notify_url(r.notify_url))
        return param_error("/notify_url", "must be an https URL without a query");
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

answer api::bill(const merchant& m, bool trade, std::string_view query, std::int64_t now) {
    const std::string date = query_param(query, "bill_date");
    const std::string tar = query_param(query, "tar_type");
    const std::string type = query_param(query, trade ? "bill_type" : "account_type");
    if (date.size() != 10 || !parse_rfc3339(date + "T00:00:00+08:00"))
        return param_error("bill_date", "must be YYYY-MM-DD", "query");
    if (!tar.empty() && tar != "GZIP") return param_error("tar_type", "must be GZIP", "query");
    const std::string kind = type.empty() ? (trade ? "ALL" : "BASIC") : type;
    if (trade ? (kind != "ALL" && kind != "SUCCESS" && kind != "REFUND")
              : (kind != "BASIC" && kind != "OPERATION" && kind != "FEES"))
        return param_error(trade ? "bill_type" : "account_type", "is not a known type", "query");
    if (*parse_rfc3339(date + "T00:00:00+08:00") > now)
        return error_answer(400, "INVALID_REQUEST", "bill_date is in the future");

    const auto [csv, rows] = trade ? trade_bill_csv(store_.orders_of(m.mchid), store_.refunds_of(m.mchid), date, kind)
                                   : fundflow_bill_csv(store_.orders_of(m.mchid), store_.refunds_of(m.mchid), date, kind);
    if (rows == 0) return error_answer(400, "NO_STATEMENT_EXIST", "no bill: nothing of this type happened on bill_date");
    const std::string token = random_nonce(24);
    {
        std::lock_guard lock(bills_mutex_);
        // Download URLs are short-lived at WeChat: only the newest ones stay valid here, so that
        // bill queries in a loop cannot grow the simulator without bound.
        if (bill_tokens_.size() >= max_bill_downloads) {
            bills_.erase(bill_tokens_.front());
            bill_tokens_.pop_front();
        }
        bills_[token] = {m.mchid, tar == "GZIP" ? detail::gzip(csv) : csv};
        bill_tokens_.push_back(token);
    }
    return {200, json::serialize(json::object{
                     {"hash_type", "SHA1"},
                     {"hash_value", sha1_hex(csv)},
                     {"download_url", base_url_ + "/v3/billdownload/file?token=" + token + (tar.empty() ? "" : "&tartype=gzip")}})};
}

answer api::download(const merchant& m, std::string_view query) {
    const std::string token = query_param(query, "token");
    std::lock_guard lock(bills_mutex_);
    auto it = bills_.find(token);
    if (it == bills_.end() || it->second.mchid != m.mchid)
        return error_answer(404, "RESOURCE_NOT_EXISTS", "no such bill download");
    answer a{200, it->second.content, false, "application/octet-stream"};
    return a;
}

answer api::certificates(const merchant& m) {
    const auto platform = hooks_.certificates();
    if (platform.empty())
        return error_answer(404, "RESOURCE_NOT_EXISTS", "no platform certificates: use the WeChat Pay public key");
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

}  // namespace wechatpay::sim
