#include <wechatpay/requests.hpp>

#include "core/json_reader.hpp"
#include "core/url.hpp"
#include "core/utf8.hpp"
#include "core/request_checks.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <initializer_list>

namespace wechatpay {

namespace json = boost::json;

const char* to_string(prepay_kind k) noexcept {
    switch (k) {
    case prepay_kind::jsapi: return "jsapi";
    case prepay_kind::app: return "app";
    case prepay_kind::native: return "native";
    case prepay_kind::h5: return "h5";
    }
    return "unknown";
}

// ---- checks ---------------------------------------------------------------------------------

// The checks other request models share (core/request_checks.hpp).
namespace detail {

// `field` is the JSON pointer WeChat's PARAM_ERROR names in its message (/body/amount/total).
error invalid_field(std::string_view field, std::string_view why) {
    return error(errc::invalid_argument, std::string(field) + ": " + std::string(why));
}

}  // namespace detail

using detail::invalid_field;
using detail::is_calendar_date;
using detail::text_field_error;

namespace {

// "/detail/goods_detail/2/quantity"
std::string item_field(std::string_view array, std::size_t index, std::string_view field) {
    return std::string(array) + "/" + std::to_string(index) + "/" + std::string(field);
}

bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ascii_alnum(char c) {
    return is_ascii_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool one_of(std::string_view s, std::initializer_list<std::string_view> allowed) {
    return std::find(allowed.begin(), allowed.end(), s) != allowed.end();
}

// min–max characters of [0-9A-Za-z] and `extra` (merchant order and refund numbers).
bool is_token(std::string_view s, std::size_t min, std::size_t max, std::string_view extra) {
    return s.size() >= min && s.size() <= max && std::all_of(s.begin(), s.end(), [&](char c) {
               return is_ascii_alnum(c) || extra.find(c) != std::string_view::npos;
           });
}

}  // namespace

namespace detail {

// Free text of at most `max` characters; an empty `text` fails only when `required`.
std::optional<error> text_field_error(std::string_view field, std::string_view text, std::size_t max, bool required) {
    if (text.empty()) return required ? std::optional(invalid_field(field, "required")) : std::nullopt;
    const auto length = utf8_length(text);
    if (!length) return invalid_field(field, "must be UTF-8");
    if (*length > max) return invalid_field(field, "must be ≤ " + std::to_string(max) + " characters");
    return std::nullopt;
}

}  // namespace detail

namespace {

// ---- dates and times ------------------------------------------------------------------------

// Reads exactly `n` decimal digits at `pos` and moves past them.
std::optional<int> read_digits(std::string_view s, std::size_t& pos, std::size_t n) {
    if (s.size() - pos < n) return std::nullopt;
    int value = 0;
    for (std::size_t end = pos + n; pos < end; ++pos) {
        if (!is_ascii_digit(s[pos])) return std::nullopt;
        value = value * 10 + (s[pos] - '0');
    }
    return value;
}

bool read_char(std::string_view s, std::size_t& pos, std::string_view any_of) {
    if (pos >= s.size() || any_of.find(s[pos]) == std::string_view::npos) return false;
    ++pos;
    return true;
}

// YYYY-MM-DD naming a real calendar day (no 2023-02-29).
bool read_date(std::string_view s, std::size_t& pos) {
    const auto y = read_digits(s, pos, 4);
    if (!y || !read_char(s, pos, "-")) return false;
    const auto m = read_digits(s, pos, 2);
    if (!m || !read_char(s, pos, "-")) return false;
    const auto d = read_digits(s, pos, 2);
    if (!d) return false;
    using namespace std::chrono;
    return year_month_day{year{*y}, month{static_cast<unsigned>(*m)}, day{static_cast<unsigned>(*d)}}.ok();
}

}  // namespace

bool detail::is_calendar_date(std::string_view s) {
    std::size_t pos = 0;
    return read_date(s, pos) && pos == s.size();
}

namespace {

// HH:MM, as in a time of day or a UTC offset.
bool read_hours_minutes(std::string_view s, std::size_t& pos) {
    const auto h = read_digits(s, pos, 2);
    if (!h || *h > 23 || !read_char(s, pos, ":")) return false;
    const auto m = read_digits(s, pos, 2);
    return m && *m <= 59;
}

// RFC 3339 date-time: 2018-06-08T10:34:56+08:00, fractional seconds and Z allowed.
bool is_rfc3339(std::string_view s) {
    std::size_t pos = 0;
    if (!read_date(s, pos) || !read_char(s, pos, "Tt") || !read_hours_minutes(s, pos) || !read_char(s, pos, ":"))
        return false;
    const auto sec = read_digits(s, pos, 2);
    if (!sec || *sec > 60) return false;  // 60: a leap second
    if (read_char(s, pos, ".")) {
        const auto digits_start = pos;
        while (pos < s.size() && is_ascii_digit(s[pos])) ++pos;
        if (pos == digits_start) return false;
    }
    if (read_char(s, pos, "Zz")) return pos == s.size();
    return read_char(s, pos, "+-") && read_hours_minutes(s, pos) && pos == s.size();
}

std::optional<error> notify_url_error(std::string_view url, bool required) {
    if (url.empty()) return required ? std::optional(invalid_field("/notify_url", "required")) : std::nullopt;
    if (url.size() > 256) return invalid_field("/notify_url", "must be ≤ 256 characters");
    if (!detail::valid_notify_url(url)) return invalid_field("/notify_url", "must be an https URL without a query");
    return std::nullopt;
}

// ---- JSON writing: empty strings, empty optionals and empty arrays or objects are left out ----

void put(json::object& o, std::string_view key, const std::string& value) {
    if (!value.empty()) o[key] = value;
}
template <class T>
void put(json::object& o, std::string_view key, const std::optional<T>& value) {
    if (value) o[key] = *value;
}
void put(json::object& o, std::string_view key, json::object value) {
    if (!value.empty()) o[key] = std::move(value);
}
void put(json::object& o, std::string_view key, json::array value) {
    if (!value.empty()) o[key] = std::move(value);
}

json::object object_of(const goods_line& g) {
    json::object o;
    put(o, "merchant_goods_id", g.merchant_goods_id);
    put(o, "wechatpay_goods_id", g.wechatpay_goods_id);
    put(o, "goods_name", g.goods_name);
    o["quantity"] = g.quantity;
    o["unit_price"] = g.unit_price;
    return o;
}

json::object object_of(const store_info& s) {
    json::object o;
    put(o, "id", s.id);
    put(o, "name", s.name);
    put(o, "area_code", s.area_code);
    put(o, "address", s.address);
    return o;
}

json::object object_of(const h5_info& h) {
    json::object o;
    put(o, "type", h.type);
    put(o, "app_name", h.app_name);
    put(o, "app_url", h.app_url);
    put(o, "bundle_id", h.bundle_id);
    put(o, "package_name", h.package_name);
    return o;
}

json::object object_of(const refund_from& f) {
    json::object o;
    put(o, "account", f.account);
    o["amount"] = f.amount;
    return o;
}

json::object object_of(const refund_goods& g) {
    json::object o;
    put(o, "merchant_goods_id", g.merchant_goods_id);
    put(o, "wechatpay_goods_id", g.wechatpay_goods_id);
    put(o, "goods_name", g.goods_name);
    o["unit_price"] = g.unit_price;
    o["refund_amount"] = g.refund_amount;
    o["refund_quantity"] = g.refund_quantity;
    return o;
}

template <class T>
json::array array_of(const std::vector<T>& items) {
    json::array a;
    for (const auto& item : items) a.emplace_back(object_of(item));
    return a;
}

json::object object_of(const order_detail& d) {
    json::object o;
    put(o, "cost_price", d.cost_price);
    put(o, "invoice_id", d.invoice_id);
    put(o, "goods_detail", array_of(d.goods_detail));
    return o;
}

json::object object_of(const scene_info& s) {
    json::object o;
    put(o, "payer_client_ip", s.payer_client_ip);
    put(o, "device_id", s.device_id);
    if (s.store_info) put(o, "store_info", object_of(*s.store_info));
    if (s.h5_info) put(o, "h5_info", object_of(*s.h5_info));
    return o;
}

}  // namespace

namespace detail {

bool is_trade_number(std::string_view s) { return is_token(s, 6, 32, "_-|*"); }
bool is_rfc3339_time(std::string_view s) { return is_rfc3339(s); }
std::optional<error> notify_url_field_error(std::string_view url, bool required) { return notify_url_error(url, required); }

}  // namespace detail

// ---- prepay ---------------------------------------------------------------------------------

result<void> prepay_request::validate(prepay_kind kind) const {
    if (appid.empty()) return invalid_field("/appid", "required");
    if (mchid.empty()) return invalid_field("/mchid", "required");
    if (auto e = text_field_error("/description", description, 127, true)) return *e;
    if (!is_token(out_trade_no, 6, 32, "_-|*"))
        return invalid_field("/out_trade_no", "must be 6-32 characters of [0-9A-Za-z_-|*]");
    if (!time_expire.empty() && !is_rfc3339(time_expire))
        return invalid_field("/time_expire", "must be an RFC 3339 time like 2018-06-08T10:34:56+08:00");
    if (auto e = text_field_error("/attach", attach, 128, false)) return *e;
    if (auto e = notify_url_error(notify_url, true)) return *e;
    if (auto e = text_field_error("/goods_tag", goods_tag, 32, false)) return *e;
    if (amount.total <= 0) return invalid_field("/amount/total", "must be > 0");
    // Optional in WeChat's schema (CNY is the default), so empty is fine.
    if (!amount.currency.empty() && amount.currency != "CNY") return invalid_field("/amount/currency", "must be CNY");
    if (kind == prepay_kind::jsapi && payer_openid.empty()) return invalid_field("/payer/openid", "required for JSAPI");

    if (detail) {
        if (detail->cost_price && *detail->cost_price < 0) return invalid_field("/detail/cost_price", "must be ≥ 0");
        for (std::size_t i = 0; i < detail->goods_detail.size(); ++i) {
            const auto& g = detail->goods_detail[i];
            if (g.merchant_goods_id.empty())
                return invalid_field(item_field("/detail/goods_detail", i, "merchant_goods_id"), "required");
            if (g.quantity <= 0) return invalid_field(item_field("/detail/goods_detail", i, "quantity"), "must be > 0");
            if (g.unit_price < 0) return invalid_field(item_field("/detail/goods_detail", i, "unit_price"), "must be ≥ 0");
        }
    }

    const bool h5 = kind == prepay_kind::h5;
    if (h5 && (!scene_info || scene_info->payer_client_ip.empty()))
        return invalid_field("/scene_info/payer_client_ip", "required for H5");
    if (scene_info) {
        if (scene_info->store_info && scene_info->store_info->id.empty())
            return invalid_field("/scene_info/store_info/id", "required");
        const auto& h = scene_info->h5_info;
        if (h5 && (!h || h->type.empty())) return invalid_field("/scene_info/h5_info/type", "required for H5");
        if (h && !h->type.empty() && !one_of(h->type, {"iOS", "Android", "Wap"}))
            return invalid_field("/scene_info/h5_info/type", "must be iOS, Android or Wap");
    }
    return {};
}

std::string prepay_request::to_json() const {
    json::object o;
    put(o, "appid", appid);
    put(o, "mchid", mchid);
    put(o, "description", description);
    put(o, "out_trade_no", out_trade_no);
    put(o, "time_expire", time_expire);
    put(o, "attach", attach);
    put(o, "notify_url", notify_url);
    put(o, "goods_tag", goods_tag);
    put(o, "support_fapiao", support_fapiao);

    json::object amt{{"total", amount.total}};
    put(amt, "currency", amount.currency);
    o["amount"] = std::move(amt);

    json::object payer;
    put(payer, "openid", payer_openid);
    put(o, "payer", std::move(payer));
    if (detail) put(o, "detail", object_of(*detail));
    if (scene_info) put(o, "scene_info", object_of(*scene_info));

    json::object settle;
    put(settle, "profit_sharing", profit_sharing);
    put(o, "settle_info", std::move(settle));
    return json::serialize(o);
}

// ---- refund ---------------------------------------------------------------------------------

result<void> refund_request::validate() const {
    if (transaction_id.empty() && out_trade_no.empty()) return invalid_field("/transaction_id", "or /out_trade_no required");
    if (!out_trade_no.empty() && !is_token(out_trade_no, 6, 32, "_-|*"))
        return invalid_field("/out_trade_no", "must be 6-32 characters of [0-9A-Za-z_-|*]");
    if (!is_token(out_refund_no, 6, 64, "_-|*@"))
        return invalid_field("/out_refund_no", "must be 6-64 characters of [0-9A-Za-z_-|*@]");
    if (auto e = text_field_error("/reason", reason, 80, false)) return *e;
    if (auto e = notify_url_error(notify_url, false)) return *e;
    if (!funds_account.empty() && funds_account != "AVAILABLE") return invalid_field("/funds_account", "must be AVAILABLE");
    if (refund <= 0) return invalid_field("/amount/refund", "must be > 0");
    if (total <= 0) return invalid_field("/amount/total", "must be > 0");
    if (refund > total) return invalid_field("/amount/refund", "must be ≤ /amount/total");
    if (currency != "CNY") return invalid_field("/amount/currency", "must be CNY");
    for (std::size_t i = 0; i < from.size(); ++i) {
        if (!one_of(from[i].account, {"AVAILABLE", "UNAVAILABLE"}))
            return invalid_field(item_field("/amount/from", i, "account"), "must be AVAILABLE or UNAVAILABLE");
        if (from[i].amount <= 0) return invalid_field(item_field("/amount/from", i, "amount"), "must be > 0");
    }
    for (std::size_t i = 0; i < goods_detail.size(); ++i) {
        const auto& g = goods_detail[i];
        if (g.merchant_goods_id.empty()) return invalid_field(item_field("/goods_detail", i, "merchant_goods_id"), "required");
        if (g.unit_price < 0) return invalid_field(item_field("/goods_detail", i, "unit_price"), "must be ≥ 0");
        if (g.refund_amount < 0) return invalid_field(item_field("/goods_detail", i, "refund_amount"), "must be ≥ 0");
        if (g.refund_quantity <= 0) return invalid_field(item_field("/goods_detail", i, "refund_quantity"), "must be > 0");
    }
    return {};
}

std::string refund_request::to_json() const {
    json::object o;
    put(o, "transaction_id", transaction_id);
    put(o, "out_trade_no", out_trade_no);
    put(o, "out_refund_no", out_refund_no);
    put(o, "reason", reason);
    put(o, "notify_url", notify_url);
    put(o, "funds_account", funds_account);

    json::object amt{{"refund", refund}};
    put(amt, "from", array_of(from));
    amt["total"] = total;
    put(amt, "currency", currency);
    o["amount"] = std::move(amt);

    put(o, "goods_detail", array_of(goods_detail));
    put(o, "sub_mchid", sub_mchid);  // service providers (partner.hpp)
    return json::serialize(o);
}

// ---- bills ----------------------------------------------------------------------------------

namespace {

// The values are dates and upper-case words: nothing to percent-encode.
std::string bill_query(std::string_view date, std::string_view type_key, std::string_view type, bool gzip) {
    std::string q = "bill_date=" + std::string(date);
    if (!type.empty()) q += "&" + std::string(type_key) + "=" + std::string(type);
    if (gzip) q += "&tar_type=GZIP";
    return q;
}

}  // namespace

result<void> trade_bill_request::validate() const {
    if (!is_calendar_date(bill_date)) return invalid_field("bill_date", "must be a date YYYY-MM-DD");
    if (!bill_type.empty() && !one_of(bill_type, {"ALL", "SUCCESS", "REFUND", "RECHARGE_REFUND"}))
        return invalid_field("bill_type", "must be ALL, SUCCESS, REFUND or RECHARGE_REFUND");
    return {};
}

std::string trade_bill_request::query() const { return bill_query(bill_date, "bill_type", bill_type, gzip); }

result<void> fundflow_bill_request::validate() const {
    if (!is_calendar_date(bill_date)) return invalid_field("bill_date", "must be a date YYYY-MM-DD");
    if (!account_type.empty() && !one_of(account_type, {"BASIC", "OPERATION", "FEES"}))
        return invalid_field("account_type", "must be BASIC, OPERATION or FEES");
    return {};
}

std::string fundflow_bill_request::query() const {
    return bill_query(bill_date, "account_type", account_type, gzip);
}

// Found by json_reader through argument-dependent lookup.
void read(const detail::json_reader& r, bill_info& b) {
    r("hash_type", b.hash_type);
    r("hash_value", b.hash_value);
    r("download_url", b.download_url);
}

result<bill_info> parse_bill_info(std::string_view json) {
    auto info = detail::read_json_object<bill_info>(json);
    if (!info) return info;
    for (const auto& [field, value] : {std::pair{"/hash_type", &info->hash_type},
                                       std::pair{"/hash_value", &info->hash_value},
                                       std::pair{"/download_url", &info->download_url}})
        if (value->empty()) return error(errc::malformed_json, std::string(field) + ": missing");
    return info;
}

bool is_method_token(std::string_view method) {
    constexpr std::string_view others = "!#$%&'*+-.^_`|~";
    return !method.empty() && std::all_of(method.begin(), method.end(), [&](char c) {
        return is_ascii_alnum(c) || others.find(c) != std::string_view::npos;
    });
}

bool is_api_method(std::string_view method) {
    for (std::string_view m : {"GET", "POST", "PUT", "PATCH", "DELETE"})
        if (method == m) return true;
    return false;
}

result<void> check_extra_header(std::string_view name, std::string_view value) {
    if (!is_method_token(name))
        return error(errc::invalid_argument, "header name " + excerpt(name) + " is not an HTTP token");
    // The request's framing, its body (signed), its signature and the key it names are the
    // SDK's to set, and so is how the answer's body is read: the SDK verifies it as it comes,
    // without content decoding (Accept-Encoding: gzip would make a signed answer fail).
    static constexpr std::string_view owned[] = {
        "Authorization", "Host", "Accept", "Accept-Encoding", "User-Agent", "Transfer-Encoding", "Connection",
        "Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "Upgrade", "TE", "Trailer", "Expect"};
    const auto has_prefix = [&](std::string_view prefix) {
        return name.size() >= prefix.size() && boost::beast::iequals(name.substr(0, prefix.size()), prefix);
    };
    if (has_prefix("Wechatpay-"))
        return error(errc::invalid_argument,
                     "header " + std::string(name) + " is set by the SDK (Wechatpay-Serial: request_options::serial)");
    if (has_prefix("Content-") || std::any_of(std::begin(owned), std::end(owned),
                                              [&](std::string_view o) { return boost::beast::iequals(name, o); }))
        return error(errc::invalid_argument, "header " + std::string(name) + " is set by the SDK");
    const bool unsafe = std::any_of(value.begin(), value.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return (c < 0x20 && c != '\t') || c == 0x7f;
    });
    if (unsafe) return error(errc::invalid_argument, "header " + std::string(name) + ": value holds a control byte");
    return {};
}

}  // namespace wechatpay
