// Partner (service-provider) prepays and combine payments: checks before any I/O and the JSON
// bodies (partner.hpp names the pages each rule comes from).
#include <wechatpay/partner.hpp>

#include "core/json_reader.hpp"
#include "core/request_checks.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <set>
#include <utility>

namespace wechatpay {

namespace json = boost::json;
using detail::invalid_field;
using detail::text_field_error;

namespace {

// sp_appid, sp_mchid, sub_appid, sub_mchid, combine_appid, combine_mchid: string(32).
std::optional<error> id_error(std::string_view field, std::string_view value, bool required) {
    return text_field_error(field, value, 32, required);
}

void put(json::object& o, std::string_view key, const std::string& value) {
    if (!value.empty()) o[key] = value;
}

// Renames `from` to `to` in `o` (when present).
void rename(json::object& o, std::string_view from, std::string_view to) {
    if (auto* v = o.if_contains(from)) {
        json::value moved = std::move(*v);
        o.erase(from);
        o[to] = std::move(moved);
    }
}

}  // namespace

// ---- partner prepay -----------------------------------------------------------------------

std::string partner_prepay_request::paying_appid() const {
    if (!payment_appid.empty()) return payment_appid;
    return !sub_openid.empty() ? sub_appid : order.appid;
}

result<void> partner_prepay_request::validate(prepay_kind kind) const {
    if (order.appid.empty()) return invalid_field("/sp_appid", "required");
    if (order.mchid.empty()) return invalid_field("/sp_mchid", "required");
    if (auto e = id_error("/sp_appid", order.appid, true)) return *e;
    if (auto e = id_error("/sp_mchid", order.mchid, true)) return *e;
    if (auto e = id_error("/sub_mchid", sub_mchid, true)) return *e;
    if (auto e = id_error("/sub_appid", sub_appid, false)) return *e;
    // "若sub_openid有传的情况下，sub_appid必填" (doc/v3/partner/4012523579).
    if (!sub_openid.empty() && sub_appid.empty()) return invalid_field("/sub_appid", "required with /payer/sub_openid");
    if (auto e = text_field_error("/payer/sub_openid", sub_openid, 128, false)) return *e;
    if (kind == prepay_kind::jsapi && order.payer_openid.empty() && sub_openid.empty())
        return invalid_field("/payer", "sp_openid or sub_openid required for JSAPI");
    if (!payment_appid.empty() && payment_appid != order.appid && payment_appid != sub_appid)
        return invalid_field("payment_appid", "must be the sp_appid or the sub_appid");
    if (paying_appid().empty()) return invalid_field("payment_appid", "the sub_appid it names is empty");
    // The order itself as a direct prepay (payer_openid checked above for JSAPI).
    prepay_request plain = order;
    if (plain.payer_openid.empty()) plain.payer_openid = sub_openid;
    if (auto ok = plain.validate(kind); !ok) return ok;
    return {};
}

std::string partner_prepay_request::to_json() const {
    json::object o = json::parse(order.to_json()).as_object();
    rename(o, "appid", "sp_appid");
    rename(o, "mchid", "sp_mchid");
    put(o, "sub_appid", sub_appid);
    put(o, "sub_mchid", sub_mchid);
    json::object payer;
    put(payer, "sp_openid", order.payer_openid);
    put(payer, "sub_openid", sub_openid);
    o.erase("payer");
    if (!payer.empty()) o["payer"] = std::move(payer);
    return json::serialize(o);
}

// ---- combine ------------------------------------------------------------------------------

namespace {

// What names a sub-order, in prepay and close bodies alike.
json::object sub_order_json(const std::string& mchid, const std::string& out_trade_no, const std::string& sub_mchid,
                            const std::string& sub_appid) {
    json::object j;
    put(j, "mchid", mchid);
    put(j, "out_trade_no", out_trade_no);
    put(j, "sub_mchid", sub_mchid);
    put(j, "sub_appid", sub_appid);
    return j;
}

std::string sub_field(std::size_t i, std::string_view field) {
    return "/sub_orders/" + std::to_string(i) + "/" + std::string(field);
}

// The count WeChat takes: with sub-merchants (a service provider) 1–50, else 2–10.
result<void> check_sub_order_count(std::size_t n, bool partner) {
    if (partner ? n == 0 || n > max_partner_sub_orders : n < min_direct_sub_orders || n > max_direct_sub_orders)
        return invalid_field("/sub_orders", partner ? "must hold 1 to 50 sub-orders (a service provider's combine order)"
                                                    : "must hold 2 to 10 sub-orders (a direct merchant's combine order)");
    return {};
}

}  // namespace

result<void> combine_prepay_request::validate(prepay_kind kind) const {
    if (auto e = id_error("/combine_appid", combine_appid, true)) return *e;
    if (auto e = id_error("/combine_mchid", combine_mchid, true)) return *e;
    if (!detail::is_trade_number(combine_out_trade_no))
        return invalid_field("/combine_out_trade_no", "must be 6-32 characters of [0-9A-Za-z_-|*]");
    bool partner = false;
    for (const auto& s : sub_orders) partner = partner || !s.sub_mchid.empty();
    if (auto ok = check_sub_order_count(sub_orders.size(), partner); !ok) return ok;
    std::set<std::pair<std::string, std::string>> seen;
    for (std::size_t i = 0; i < sub_orders.size(); ++i) {
        const auto& s = sub_orders[i];
        if (auto e = id_error(sub_field(i, "mchid"), s.mchid, true)) return *e;
        if (auto e = id_error(sub_field(i, "sub_mchid"), s.sub_mchid, false)) return *e;
        if (auto e = id_error(sub_field(i, "sub_appid"), s.sub_appid, false)) return *e;
        if (!s.sub_appid.empty() && s.sub_mchid.empty()) return invalid_field(sub_field(i, "sub_mchid"), "required with sub_appid");
        if (!detail::is_trade_number(s.out_trade_no))
            return invalid_field(sub_field(i, "out_trade_no"), "must be 6-32 characters of [0-9A-Za-z_-|*]");
        if (!seen.emplace(s.sub_mchid.empty() ? s.mchid : s.sub_mchid, s.out_trade_no).second)
            return invalid_field(sub_field(i, "out_trade_no"), "is used twice for one merchant");
        if (s.total_amount <= 0) return invalid_field(sub_field(i, "amount/total_amount"), "must be > 0");
        if (s.total_amount > 2147483647) return invalid_field(sub_field(i, "amount/total_amount"), "must be ≤ 2147483647");
        if (s.currency != "CNY") return invalid_field(sub_field(i, "amount/currency"), "must be CNY");
        if (auto e = text_field_error(sub_field(i, "description"), s.description, 127, true)) return *e;
        if (auto e = text_field_error(sub_field(i, "attach"), s.attach, 128, true)) return *e;
        if (auto e = text_field_error(sub_field(i, "goods_tag"), s.goods_tag, 32, false)) return *e;
    }
    if (kind == prepay_kind::jsapi && payer_openid.empty())
        return invalid_field("/combine_payer_info/openid", "required for JSAPI");
    if (auto e = text_field_error("/combine_payer_info/openid", payer_openid, 128, false)) return *e;
    if (kind == prepay_kind::h5 && payer_client_ip.empty())
        return invalid_field("/scene_info/payer_client_ip", "required for H5");
    if (auto e = text_field_error("/scene_info/payer_client_ip", payer_client_ip, 45, false)) return *e;
    if (auto e = text_field_error("/scene_info/device_id", device_id, 32, false)) return *e;
    if (!h5_type.empty() && h5_type != "iOS" && h5_type != "Android" && h5_type != "Wap")
        return invalid_field("/scene_info/h5_info/type", "must be iOS, Android or Wap");
    for (auto [field, value] : {std::pair{"/time_start", &time_start}, {"/time_expire", &time_expire}})
        if (!value->empty() && !detail::is_rfc3339_time(*value))
            return invalid_field(field, "must be an RFC 3339 time like 2018-06-08T10:34:56+08:00");
    if (auto e = detail::notify_url_field_error(notify_url, true)) return *e;
    return {};
}

std::string combine_prepay_request::to_json() const {
    json::object o;
    put(o, "combine_appid", combine_appid);
    put(o, "combine_mchid", combine_mchid);
    put(o, "combine_out_trade_no", combine_out_trade_no);
    json::object scene;
    put(scene, "payer_client_ip", payer_client_ip);
    put(scene, "device_id", device_id);
    if (!h5_type.empty()) scene["h5_info"] = json::object{{"type", h5_type}};
    if (!scene.empty()) o["scene_info"] = std::move(scene);
    json::array subs;
    for (const auto& s : sub_orders) {
        json::object j = sub_order_json(s.mchid, s.out_trade_no, s.sub_mchid, s.sub_appid);
        put(j, "attach", s.attach);
        j["amount"] = json::object{{"total_amount", s.total_amount}, {"currency", s.currency}};
        put(j, "goods_tag", s.goods_tag);
        put(j, "description", s.description);
        if (s.profit_sharing) j["settle_info"] = json::object{{"profit_sharing", *s.profit_sharing}};
        subs.push_back(std::move(j));
    }
    o["sub_orders"] = std::move(subs);
    if (!payer_openid.empty()) o["combine_payer_info"] = json::object{{"openid", payer_openid}};
    put(o, "time_start", time_start);
    put(o, "time_expire", time_expire);
    put(o, "notify_url", notify_url);
    return json::serialize(o);
}

result<void> combine_close_request::validate() const {
    if (!detail::is_trade_number(combine_out_trade_no))
        return invalid_field("combine_out_trade_no", "must be 6-32 characters of [0-9A-Za-z_-|*]");
    if (auto e = id_error("/combine_appid", combine_appid, true)) return *e;
    bool partner = false;
    for (const auto& s : sub_orders) partner = partner || !s.sub_mchid.empty();
    if (auto ok = check_sub_order_count(sub_orders.size(), partner); !ok) return ok;
    for (std::size_t i = 0; i < sub_orders.size(); ++i) {
        const auto& s = sub_orders[i];
        if (auto e = id_error(sub_field(i, "mchid"), s.mchid, true)) return *e;
        if (auto e = id_error(sub_field(i, "sub_mchid"), s.sub_mchid, false)) return *e;
        if (auto e = id_error(sub_field(i, "sub_appid"), s.sub_appid, false)) return *e;
        if (!detail::is_trade_number(s.out_trade_no))
            return invalid_field(sub_field(i, "out_trade_no"), "must be 6-32 characters of [0-9A-Za-z_-|*]");
    }
    return {};
}

std::string combine_close_request::to_json() const {
    json::array subs;
    for (const auto& s : sub_orders) subs.push_back(sub_order_json(s.mchid, s.out_trade_no, s.sub_mchid, s.sub_appid));
    return json::serialize(json::object{{"combine_appid", combine_appid}, {"sub_orders", std::move(subs)}});
}

// ---- a sub-merchant's fund-flow bill --------------------------------------------------------

result<void> sub_fundflow_bill_request::validate() const {
    if (auto e = id_error("sub_mchid", sub_mchid, true)) return *e;
    if (!detail::is_calendar_date(bill_date)) return invalid_field("bill_date", "must be a date YYYY-MM-DD");
    if (account_type != "BASIC" && account_type != "OPERATION" && account_type != "FEES" && account_type != "DEPOSIT")
        return invalid_field("account_type", "must be BASIC, OPERATION, FEES or DEPOSIT");
    return {};
}

// The client decrypts AES-256-GCM only (WeChat also offers SM4_GCM).
std::string sub_fundflow_bill_request::query() const {
    std::string q = "sub_mchid=" + encode_path_segment(sub_mchid) + "&bill_date=" + bill_date +
                    "&account_type=" + account_type + "&algorithm=AEAD_AES_256_GCM";
    if (gzip) q += "&tar_type=GZIP";
    return q;
}

// Found by json_reader through argument-dependent lookup.
void read(const detail::json_reader& r, encrypted_bill_part& p) {
    r("bill_sequence", p.bill_sequence);
    r("download_url", p.download_url);
    r("encrypt_key", p.encrypt_key);
    r("nonce", p.nonce);
    r("hash_type", p.hash_type);
    r("hash_value", p.hash_value);
}

namespace {
struct bill_list_answer {
    std::int64_t download_bill_count = -1;
    std::vector<encrypted_bill_part> download_bill_list;
};
void read(const detail::json_reader& r, bill_list_answer& a) {
    r("download_bill_count", a.download_bill_count);
    r("download_bill_list", a.download_bill_list);
}
}  // namespace

result<encrypted_bill_list> parse_encrypted_bill_list(std::string_view json) {
    auto a = detail::read_json_object<bill_list_answer>(json);
    if (!a) return a.error();
    auto& parts = a->download_bill_list;
    if (a->download_bill_count < 0 || static_cast<std::size_t>(a->download_bill_count) != parts.size())
        return error(errc::malformed_json, "download_bill_count differs from the length of download_bill_list");
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const auto& p = parts[i];
        if (p.download_url.empty() || p.encrypt_key.empty() || p.nonce.empty() || p.hash_type.empty() ||
            p.hash_value.empty())
            return error(errc::malformed_json, "/download_bill_list/" + std::to_string(i) +
                                                   ": download_url, encrypt_key, nonce, hash_type and hash_value are required");
    }
    std::sort(parts.begin(), parts.end(),
              [](const auto& x, const auto& y) { return x.bill_sequence < y.bill_sequence; });
    for (std::size_t i = 0; i < parts.size(); ++i)
        if (parts[i].bill_sequence != static_cast<std::int64_t>(i + 1))
            return error(errc::malformed_json, "bill_sequence must number the files 1 to download_bill_count");
    return encrypted_bill_list{std::move(parts), {}};
}

}  // namespace wechatpay
