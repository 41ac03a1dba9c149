// Complaints 2.0 requests (checked before any I/O) and answers (read leniently). The limits are
// those of pay.weixin.qq.com's direct-merchant pages: list limit [1,50] and a date span of at
// most 30 days; negotiation history limit [1,300]; response_content string(200),
// response_images and reject_media_list at most 4 media_ids, jump_url string(512) in HTTPS with
// jump_url_text string(10) ("二者缺一不可"); reject_reason and remark string(200); the
// complaint notification url string(255), HTTPS only.
#include <wechatpay/complaints.hpp>

#include "core/json_reader.hpp"
#include "core/request_checks.hpp"
#include "core/url.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace wechatpay {

namespace json = boost::json;
using detail::invalid_field;
using detail::json_reader;
using detail::text_field_error;

namespace {

std::chrono::sys_days day_of(std::string_view date) {  // a checked YYYY-MM-DD
    auto num = [&](std::size_t pos, std::size_t n) {
        int v = 0;
        for (std::size_t i = pos; i < pos + n; ++i) v = v * 10 + (date[i] - '0');
        return v;
    };
    using namespace std::chrono;
    return sys_days{year{num(0, 4)} / month{static_cast<unsigned>(num(5, 2))} / day{static_cast<unsigned>(num(8, 2))}};
}

// A media_id as WeChat gives them: 1–512 URL-safe characters (no '/', '?', '#', '%', spaces).
bool is_media_id(std::string_view id) {
    if (id.empty() || id.size() > 512) return false;
    for (const char c : id) {
        const bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        std::string_view("-._~=+").find(c) != std::string_view::npos;
        if (!ok) return false;
    }
    return true;
}

std::optional<error> media_list_error(std::string_view field, const std::vector<std::string>& ids) {
    if (ids.size() > max_complaint_images)
        return invalid_field(field, "at most " + std::to_string(max_complaint_images) + " images");
    for (std::size_t i = 0; i < ids.size(); ++i)
        if (!is_media_id(ids[i]))
            return invalid_field(std::string(field) + "/" + std::to_string(i), "is not a media_id");
    return std::nullopt;
}

json::array array_of(const std::vector<std::string>& items) {
    json::array a;
    for (const auto& s : items) a.emplace_back(s);
    return a;
}

}  // namespace

result<void> complaint_list_request::validate() const {
    if (!detail::is_calendar_date(begin_date)) return invalid_field("begin_date", "must be a date YYYY-MM-DD");
    if (!detail::is_calendar_date(end_date)) return invalid_field("end_date", "must be a date YYYY-MM-DD");
    const auto span = (day_of(end_date) - day_of(begin_date)).count();
    if (span < 0) return invalid_field("end_date", "must not be before begin_date");
    if (span > max_complaint_span_days) return invalid_field("end_date", "must be at most 30 days after begin_date");
    if (limit < 1 || limit > max_complaints_per_page) return invalid_field("limit", "must be 1-50");
    if (offset < 0) return invalid_field("offset", "must be ≥ 0");
    if (!complainted_mchid.empty() &&
        (complainted_mchid.size() > 64 ||
         complainted_mchid.find_first_not_of("0123456789") != std::string::npos))
        return invalid_field("complainted_mchid", "must be a merchant number (digits)");
    return {};
}

result<std::vector<complaint_list_request>> complaint_list_request::windows() const {
    complaint_list_request first = *this;
    first.offset = 0;
    first.end_date = begin_date;
    if (auto ok = first.validate(); !ok) return ok.error();
    if (!detail::is_calendar_date(end_date)) return invalid_field("end_date", "must be a date YYYY-MM-DD");
    const auto last = day_of(end_date);
    if (last < day_of(begin_date)) return invalid_field("end_date", "must not be before begin_date");
    auto format = [](std::chrono::sys_days d) {
        const std::chrono::year_month_day ymd{d};
        char buf[32];
        std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
        return std::string(buf);
    };
    std::vector<complaint_list_request> out;
    const std::chrono::days span{max_complaint_span_days};
    for (auto from = day_of(begin_date); from <= last; from += span + std::chrono::days{1}) {
        complaint_list_request w = first;
        w.begin_date = format(from);
        w.end_date = format(std::min(last, from + span));
        out.push_back(std::move(w));
    }
    return out;
}

std::string complaint_list_request::query() const {
    // Dates, integers and digits: nothing to percent-encode.
    std::string q = "limit=" + std::to_string(limit) + "&offset=" + std::to_string(offset) + "&begin_date=" +
                    begin_date + "&end_date=" + end_date;
    if (!complainted_mchid.empty()) q += "&complainted_mchid=" + complainted_mchid;
    return q;
}

result<void> negotiation_request::validate() const {
    if (auto e = text_field_error("complaint_id", complaint_id, 64, true)) return *e;
    if (limit < 1 || limit > max_negotiations_per_page) return invalid_field("limit", "must be 1-300");
    if (offset < 0) return invalid_field("offset", "must be ≥ 0");
    return {};
}

result<void> complaint_response::validate() const {
    if (complainted_mchid.empty()) return invalid_field("/complainted_mchid", "required");
    if (auto e = text_field_error("/response_content", response_content, 200, true)) return *e;
    if (auto e = media_list_error("/response_images", response_images)) return *e;
    if (jump_url.empty() != jump_url_text.empty())
        return invalid_field(jump_url.empty() ? "/jump_url" : "/jump_url_text",
                             "jump_url and jump_url_text go together");
    if (!jump_url.empty()) {
        if (jump_url.size() > 512) return invalid_field("/jump_url", "must be ≤ 512 characters");
        if (const auto u = detail::parse_http_url(jump_url); !u || !u->https)
            return invalid_field("/jump_url", "must be an https URL");
        if (auto e = text_field_error("/jump_url_text", jump_url_text, 10, true)) return *e;
    }
    return {};
}

std::string complaint_response::to_json() const {
    json::object o{{"complainted_mchid", complainted_mchid}, {"response_content", response_content}};
    if (!response_images.empty()) o["response_images"] = array_of(response_images);
    if (!jump_url.empty()) o["jump_url"] = jump_url;
    if (!jump_url_text.empty()) o["jump_url_text"] = jump_url_text;
    return json::serialize(o);
}

result<void> refund_progress::validate() const {
    const bool approve = action == "APPROVE", reject = action == "REJECT";
    if (!approve && !reject) return invalid_field("/action", "must be APPROVE or REJECT");
    if (approve) {
        if (launch_refund_day && *launch_refund_day < 0) return invalid_field("/launch_refund_day", "must be ≥ 0");
        if (!reject_reason.empty()) return invalid_field("/reject_reason", "only with REJECT");
        if (!reject_media_list.empty()) return invalid_field("/reject_media_list", "only with REJECT");
    } else {
        // WeChat answers 400 to a REJECT that carries launch_refund_day.
        if (launch_refund_day) return invalid_field("/launch_refund_day", "only with APPROVE");
        if (auto e = text_field_error("/reject_reason", reject_reason, 200, true)) return *e;
        if (auto e = media_list_error("/reject_media_list", reject_media_list)) return *e;
    }
    if (auto e = text_field_error("/remark", remark, 200, false)) return *e;
    return {};
}

std::string refund_progress::to_json() const {
    json::object o{{"action", action}};
    if (launch_refund_day) o["launch_refund_day"] = *launch_refund_day;
    if (!reject_reason.empty()) o["reject_reason"] = reject_reason;
    if (!reject_media_list.empty()) o["reject_media_list"] = array_of(reject_media_list);
    if (!remark.empty()) o["remark"] = remark;
    return json::serialize(o);
}

result<void> check_complaint_notify_url(std::string_view url) {
    if (url.empty()) return invalid_field("/url", "required");
    if (url.size() > 255) return invalid_field("/url", "must be ≤ 255 characters");
    if (!detail::valid_notify_url(url)) return invalid_field("/url", "must be an https URL without a query");
    return {};
}

result<std::string> complaint_media_id(std::string_view media_url_or_id) {
    std::string_view id = media_url_or_id;
    std::optional<detail::http_url> url;
    if (id.find("://") != std::string_view::npos) {
        constexpr std::string_view images = "/v3/merchant-service/images/";
        url = detail::parse_http_url(id);
        if (!url || url->has_query || !url->target.starts_with(images))
            return invalid_field("media_url", "is not a complaint image URL");
        id = std::string_view(url->target).substr(images.size());
    }
    if (!is_media_id(id)) return invalid_field("media_id", "is not a media_id");
    return std::string(id);
}

// ---- answers ----------------------------------------------------------------------------------

void read(const json_reader& r, complaint_order& o) {
    r("transaction_id", o.transaction_id);
    r("out_trade_no", o.out_trade_no);
    r("amount", o.amount);
}

void read(const json_reader& r, complaint_media& m) {
    r("media_type", m.media_type);
    r("media_url", m.media_url);
}

void read(const json_reader& r, complaint_service_order& o) {
    r("order_id", o.order_id);
    r("out_order_no", o.out_order_no);
    r("state", o.state);
}

void read(const json_reader& r, complaint& c) {
    r("complaint_id", c.complaint_id);
    r("complaint_time", c.complaint_time);
    r("complaint_detail", c.complaint_detail);
    r("complainted_mchid", c.complainted_mchid);
    r("complaint_state", c.complaint_state);
    r("payer_openid", c.payer_openid);
    r("payer_phone", c.payer_phone);
    r("complaint_order_info", c.complaint_order_info);
    r("complaint_media_list", c.complaint_media_list);
    r("service_order_info", c.service_order_info);
    r("complaint_full_refunded", c.complaint_full_refunded);
    r("incoming_user_response", c.incoming_user_response);
    r("user_complaint_times", c.user_complaint_times);
    r("problem_description", c.problem_description);
    r("problem_type", c.problem_type);
    r("apply_refund_amount", c.apply_refund_amount);
    r("user_tag_list", c.user_tag_list);
}

void read(const json_reader& r, negotiation_record& n) {
    r("log_id", n.log_id);
    r("operator", n.operator_name);
    r("operate_time", n.operate_time);
    r("operate_type", n.operate_type);
    r("operate_details", n.operate_details);
    r("image_list", n.image_list);
    r("complaint_media_list", n.complaint_media_list);
}

void read(const json_reader& r, complaint_page& p) {
    r("data", p.data);
    r("limit", p.limit);
    r("offset", p.offset);
    r("total_count", p.total_count);
}

void read(const json_reader& r, negotiation_page& p) {
    r("data", p.data);
    r("limit", p.limit);
    r("offset", p.offset);
    r("total_count", p.total_count);
}

void read(const json_reader& r, complaint_notify_url& u) {
    r("mchid", u.mchid);
    r("url", u.url);
}

void read(const json_reader& r, complaint_event& e) {
    r("complaint_id", e.complaint_id);
    r("action_type", e.action_type);
}

result<complaint> parse_complaint(std::string_view text) {
    auto c = detail::read_json_object<complaint>(text);
    if (!c) return c;
    if (c->complaint_id.empty()) return error(errc::malformed_json, "/complaint_id: missing");
    c->raw = text;
    return c;
}

result<complaint_page> parse_complaint_page(std::string_view text) {
    auto p = detail::read_json_object<complaint_page>(text);
    if (!p) return p;
    // Each complaint's raw text, for callers that need a field this model does not name.
    const auto doc = json::parse(text);
    const auto* data = doc.as_object().if_contains("data");
    for (std::size_t i = 0; data && data->is_array() && i < p->data.size(); ++i) {
        const auto& item = data->get_array()[i];
        // Written back, a number beyond a double would read "Infinity": not JSON.
        if (!detail::finite_json(item))
            return error(errc::malformed_json, "/data/" + std::to_string(i) + ": a number beyond a double");
        p->data[i].raw = json::serialize(item);
    }
    return p;
}

result<negotiation_page> parse_negotiation_page(std::string_view text) {
    return detail::read_json_object<negotiation_page>(text);
}

result<complaint_notify_url> parse_complaint_notify_url(std::string_view text) {
    auto u = detail::read_json_object<complaint_notify_url>(text);
    if (u && u->url.empty()) return error(errc::malformed_json, "/url: missing");
    return u;
}

result<complaint_event> parse_complaint_event(std::string_view text) {
    auto e = detail::read_json_object<complaint_event>(text);
    if (!e) return e;
    if (e->complaint_id.empty()) return error(errc::malformed_json, "/complaint_id: missing");
    e->raw = text;
    return e;
}

std::string complaint::to_string() const {
    std::string s = "complaint " + complaint_id + " (" + complaint_state + ", " + complaint_time + ")";
    if (!complainted_mchid.empty()) s += " against " + complainted_mchid;
    for (const auto& o : complaint_order_info) s += " order " + o.out_trade_no + "/" + o.transaction_id;
    if (!problem_type.empty()) s += " problem " + problem_type;
    s += payer_phone.empty() ? " phone: none" : " phone: (redacted)";
    return s;
}

}  // namespace wechatpay
