// Profit-sharing requests (checked before any I/O) and answers (read leniently). The limits are
// those of pay.weixin.qq.com's direct-merchant pages: 请求分账 (receivers ≤ 50, amount an integer
// of fen, description string(80), out_order_no string(64) "只能是数字、大小写字母_-|*@", name
// string(1024) of ciphertext), 解冻剩余资金 (description string(80)), 请求分账回退
// (out_return_no string(64), description string(80)), 添加分账接收方 (account string(64),
// custom_relation ≤ 10 characters, required with CUSTOM), 申请分账账单 (bill_date YYYY-MM-DD,
// tar_type GZIP).
#include <wechatpay/profit_sharing.hpp>

#include "core/json_reader.hpp"
#include "core/request_checks.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace wechatpay {

namespace json = boost::json;
using detail::invalid_field;
using detail::json_reader;
using detail::text_field_error;

bool valid_split_number(std::string_view s) noexcept {
    return !s.empty() && s.size() <= max_split_number && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                      std::string_view("_-|*@").find(c) != std::string_view::npos;
           });
}

namespace {

constexpr std::string_view number_rule = "must be 1-64 characters of [0-9A-Za-z_-|*@]";

bool valid_receiver_type(std::string_view t) { return t == "MERCHANT_ID" || t == "PERSONAL_OPENID"; }

std::optional<error> id_error(std::string_view field, std::string_view id, std::size_t max) {
    if (id.empty()) return invalid_field(field, "required");
    if (id.size() > max) return invalid_field(field, "must be at most " + std::to_string(max) + " characters");
    return std::nullopt;
}

}  // namespace

result<void> split_request::validate() const {
    if (auto e = id_error("/transaction_id", transaction_id, 32)) return *e;
    if (!valid_split_number(out_order_no)) return invalid_field("/out_order_no", number_rule);
    if (receivers.empty()) return invalid_field("/receivers", "at least one receiver is required");
    if (receivers.size() > max_split_receivers) return invalid_field("/receivers", "at most 50 receivers a request");
    for (std::size_t i = 0; i < receivers.size(); ++i) {
        const auto& r = receivers[i];
        const std::string at = "/receivers/" + std::to_string(i);
        if (!valid_receiver_type(r.type)) return invalid_field(at + "/type", "must be MERCHANT_ID or PERSONAL_OPENID");
        if (auto e = id_error(at + "/account", r.account, 64)) return *e;
        if (r.amount <= 0) return invalid_field(at + "/amount", "must be greater than 0 (fen)");
        if (r.amount > 2147483647) return invalid_field(at + "/amount", "must be at most 2147483647 (fen)");
        if (auto e = text_field_error(at + "/description", r.description, max_split_description, true)) return *e;
        if (r.type == "PERSONAL_OPENID" && appid.empty()) return invalid_field("/appid", "required with a PERSONAL_OPENID receiver");
    }
    return {};
}

std::string split_request::to_json(const std::vector<std::string>& encrypted_names) const {
    json::array list;
    for (std::size_t i = 0; i < receivers.size(); ++i) {
        const auto& r = receivers[i];
        json::object o{{"type", r.type}, {"account", r.account}, {"amount", r.amount}, {"description", r.description}};
        if (i < encrypted_names.size() && !encrypted_names[i].empty()) o["name"] = encrypted_names[i];
        list.push_back(std::move(o));
    }
    json::object body{{"transaction_id", transaction_id},
                      {"out_order_no", out_order_no},
                      {"receivers", std::move(list)},
                      {"unfreeze_unsplit", unfreeze_unsplit}};
    if (!appid.empty()) body["appid"] = appid;
    return json::serialize(body);
}

result<void> unfreeze_request::validate() const {
    if (auto e = id_error("/transaction_id", transaction_id, 32)) return *e;
    if (!valid_split_number(out_order_no)) return invalid_field("/out_order_no", number_rule);
    if (auto e = text_field_error("/description", description, max_split_description, true)) return *e;
    return {};
}

std::string unfreeze_request::to_json() const {
    return json::serialize(json::object{
        {"transaction_id", transaction_id}, {"out_order_no", out_order_no}, {"description", description}});
}

result<void> split_return_request::validate() const {
    if (order_id.empty() && out_order_no.empty()) return invalid_field("/out_order_no", "or /order_id is required");
    if (!out_order_no.empty() && !valid_split_number(out_order_no)) return invalid_field("/out_order_no", number_rule);
    if (auto e = id_error("/order_id", order_id.empty() ? "-" : order_id, 64)) return *e;
    if (!valid_split_number(out_return_no)) return invalid_field("/out_return_no", number_rule);
    if (auto e = id_error("/return_mchid", return_mchid, 32)) return *e;
    if (amount <= 0) return invalid_field("/amount", "must be greater than 0 (fen)");
    if (auto e = text_field_error("/description", description, max_split_description, true)) return *e;
    return {};
}

std::string split_return_request::to_json() const {
    json::object o{{"out_return_no", out_return_no}, {"return_mchid", return_mchid}, {"amount", amount},
                   {"description", description}};
    if (!order_id.empty()) o["order_id"] = order_id;
    if (!out_order_no.empty()) o["out_order_no"] = out_order_no;
    return json::serialize(o);
}

result<void> receiver_request::validate(bool add) const {
    if (appid.empty()) return invalid_field("/appid", "required");
    if (!valid_receiver_type(type)) return invalid_field("/type", "must be MERCHANT_ID or PERSONAL_OPENID");
    if (auto e = id_error("/account", account, 64)) return *e;
    if (!add) return {};
    if (type == "MERCHANT_ID" && name.empty()) return invalid_field("/name", "required for a MERCHANT_ID receiver (its full name)");
    static constexpr std::string_view relations[] = {"STORE",       "STAFF", "STORE_OWNER", "PARTNER", "HEADQUARTER",
                                                     "BRAND",       "DISTRIBUTOR", "USER", "SUPPLIER", "CUSTOM",
                                                     "SERVICE_PROVIDER"};
    if (std::find(std::begin(relations), std::end(relations), relation_type) == std::end(relations))
        return invalid_field("/relation_type", "is not a relation WeChat knows");
    if (relation_type == "CUSTOM") {
        if (auto e = text_field_error("/custom_relation", custom_relation, 10, true)) return *e;
    } else if (!custom_relation.empty()) {
        return invalid_field("/custom_relation", "only with relation_type CUSTOM");
    }
    return {};
}

std::string receiver_request::to_json(bool add, std::string_view encrypted_name) const {
    json::object o{{"appid", appid}, {"type", type}, {"account", account}};
    if (add) {
        if (!encrypted_name.empty()) o["name"] = encrypted_name;
        o["relation_type"] = relation_type;
        if (!custom_relation.empty()) o["custom_relation"] = custom_relation;
    }
    return json::serialize(o);
}

result<void> split_bill_request::validate() const {
    if (!detail::is_calendar_date(bill_date)) return invalid_field("bill_date", "must be a date YYYY-MM-DD");
    return {};
}

std::string split_bill_request::query() const { return "bill_date=" + bill_date + (gzip ? "&tar_type=GZIP" : ""); }

std::string_view to_string(split_state s) noexcept {
    switch (s) {
    case split_state::processing: return "PROCESSING";
    case split_state::finished: return "FINISHED";
    case split_state::unknown: break;
    }
    return "unknown";
}

std::string_view to_string(split_result r) noexcept {
    switch (r) {
    case split_result::pending: return "PENDING";
    case split_result::success: return "SUCCESS";
    case split_result::closed: return "CLOSED";
    case split_result::unknown: break;
    }
    return "unknown";
}

std::string_view to_string(return_result r) noexcept {
    switch (r) {
    case return_result::processing: return "PROCESSING";
    case return_result::success: return "SUCCESS";
    case return_result::failed: return "FAILED";
    case return_result::unknown: break;
    }
    return "unknown";
}

namespace {

template <class E>
E enum_of(std::string_view text, std::initializer_list<E> values) {
    for (E v : values)
        if (to_string(v) == text) return v;
    return E::unknown;
}

}  // namespace

void read(const json_reader& r, split_receiver_detail& d) {
    r("amount", d.amount);
    r("description", d.description);
    r("type", d.type);
    r("account", d.account);
    r("result", d.result_text);
    r("fail_reason", d.fail_reason);
    r("detail_id", d.detail_id);
    r("create_time", d.create_time);
    r("finish_time", d.finish_time);
    d.result = enum_of(d.result_text, {split_result::pending, split_result::success, split_result::closed});
}

void read(const json_reader& r, split_order& o) {
    r("transaction_id", o.transaction_id);
    r("out_order_no", o.out_order_no);
    r("order_id", o.order_id);
    r("state", o.state_text);
    r("receivers", o.receivers);
    o.state = enum_of(o.state_text, {split_state::processing, split_state::finished});
}

void read(const json_reader& r, split_return& o) {
    r("order_id", o.order_id);
    r("out_order_no", o.out_order_no);
    r("out_return_no", o.out_return_no);
    r("return_id", o.return_id);
    r("return_mchid", o.return_mchid);
    r("amount", o.amount);
    r("description", o.description);
    r("result", o.result_text);
    r("fail_reason", o.fail_reason);
    r("create_time", o.create_time);
    r("finish_time", o.finish_time);
    o.result = enum_of(o.result_text, {return_result::processing, return_result::success, return_result::failed});
}

void read(const json_reader& r, unsplit_amount& a) {
    r("transaction_id", a.transaction_id);
    r("unsplit_amount", a.unsplit_amount);
}

void read(const json_reader& r, receiver_answer& a) {
    r("type", a.type);
    r("account", a.account);
    r("relation_type", a.relation_type);
    r("custom_relation", a.custom_relation);
}

void read(const json_reader& r, split_event& e) {
    r("mchid", e.mchid);
    r("transaction_id", e.transaction_id);
    r("order_id", e.order_id);
    r("out_order_no", e.out_order_no);
    r("out_return_no", e.out_return_no);
    r("return_id", e.return_id);
    r("receiver", e.receiver);
    r("success_time", e.success_time);
}

std::string split_order::to_string() const {
    std::string s = "split " + out_order_no + " (" + order_id + ") of " + transaction_id + ": " + state_text;
    for (const auto& r : receivers)
        s += "; " + r.type + " " + r.account + " " + std::to_string(r.amount) + " " + r.result_text +
             (r.fail_reason.empty() ? "" : " " + r.fail_reason);
    return s;
}

result<split_order> parse_split_order(std::string_view text) {
    auto o = detail::read_json_object<split_order>(text);
    if (!o) return o;
    if (o->order_id.empty()) return error(errc::malformed_json, "/order_id: missing");
    o->raw = text;
    return o;
}

result<split_return> parse_split_return(std::string_view text) {
    auto o = detail::read_json_object<split_return>(text);
    if (!o) return o;
    if (o->out_return_no.empty()) return error(errc::malformed_json, "/out_return_no: missing");
    o->raw = text;
    return o;
}

result<unsplit_amount> parse_unsplit_amount(std::string_view text) {
    return detail::read_json_object<unsplit_amount>(text);
}

result<receiver_answer> parse_receiver_answer(std::string_view text) {
    return detail::read_json_object<receiver_answer>(text);
}

result<split_event> parse_split_event(std::string_view text) {
    auto e = detail::read_json_object<split_event>(text);
    if (!e) return e;
    if (e->out_order_no.empty()) return error(errc::malformed_json, "/out_order_no: missing");
    e->raw = text;
    return e;
}

}  // namespace wechatpay
