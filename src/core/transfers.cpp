// Transfer bills: the request checked before any I/O, the answers read leniently. Limits from
// pay.weixin.qq.com/docs/merchant/apis/mch-trans/transfer-bill/transfer-to-user.html (发起转账,
// 2025.03.21): out_bill_no string(32) "只能由数字、大小写字母组成", transfer_scene_id string(36),
// openid string(64), transfer_remark string(32) "最多允许32个字符", notify_url string(256) https
// without parameters, user_name required when "转账金额 >= 2,000元".
#include <wechatpay/transfers.hpp>

#include "core/json_reader.hpp"
#include "core/request_checks.hpp"
#include "core/url.hpp"

#include <boost/json.hpp>

namespace wechatpay {

namespace json = boost::json;
using detail::invalid_field;
using detail::json_reader;
using detail::text_field_error;

namespace {

constexpr std::string_view state_names[] = {"ACCEPTED", "PROCESSING", "WAIT_USER_CONFIRM", "TRANSFERING",
                                            "SUCCESS",  "FAIL",       "CANCELING",         "CANCELLED"};

bool alnum_only(std::string_view s) {
    for (const char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
    return true;
}

}  // namespace

std::string_view to_string(transfer_state s) {
    const auto i = static_cast<std::size_t>(s);
    return i < std::size(state_names) ? state_names[i] : std::string_view("UNKNOWN");
}

transfer_state parse_transfer_state(std::string_view text) {
    for (std::size_t i = 0; i < std::size(state_names); ++i)
        if (state_names[i] == text) return static_cast<transfer_state>(i);
    return transfer_state::unknown;
}

bool is_final(transfer_state s) {
    return s == transfer_state::success || s == transfer_state::fail || s == transfer_state::cancelled;
}

result<void> check_out_bill_no(std::string_view no) {
    if (no.empty()) return invalid_field("/out_bill_no", "required");
    if (no.size() > max_out_bill_no) return invalid_field("/out_bill_no", "must be ≤ 32 characters");
    if (!alnum_only(no)) return invalid_field("/out_bill_no", "must hold only 0-9 A-Z a-z");
    return {};
}

result<void> check_transfer_bill_no(std::string_view no) {
    if (no.empty()) return invalid_field("transfer_bill_no", "required");
    if (no.size() > 64) return invalid_field("transfer_bill_no", "must be ≤ 64 characters");  // string(64)
    if (!alnum_only(no)) return invalid_field("transfer_bill_no", "must hold only 0-9 A-Z a-z");
    return {};
}

result<void> transfer_bill_request::validate() const {
    if (auto e = text_field_error("/appid", appid, 32, true)) return *e;
    if (auto ok = check_out_bill_no(out_bill_no); !ok) return ok;
    if (auto e = text_field_error("/transfer_scene_id", transfer_scene_id, max_transfer_scene_id, true)) return *e;
    if (auto e = text_field_error("/openid", openid, max_transfer_openid, true)) return *e;
    if (transfer_amount <= 0) return invalid_field("/transfer_amount", "must be > 0 (fen)");
    if (auto e = text_field_error("/transfer_remark", transfer_remark, max_transfer_remark, true)) return *e;
    if (!notify_url.empty()) {
        if (notify_url.size() > max_transfer_notify_url) return invalid_field("/notify_url", "must be ≤ 256 characters");
        if (!detail::valid_notify_url(notify_url)) return invalid_field("/notify_url", "must be an https URL without a query");
    }
    // No length documented for user_recv_perception: each scene lists the values it takes (1000
    // 现金营销: 现金奖励 or 活动奖励, doc/v3/merchant/4013774588); WeChat refuses others.
    if (auto e = text_field_error("/user_recv_perception", user_recv_perception, 256, false)) return *e;
    if (transfer_scene_report_infos.empty())
        return invalid_field("/transfer_scene_report_infos", "required: the scene's report information");
    for (std::size_t i = 0; i < transfer_scene_report_infos.size(); ++i) {
        const std::string at = "/transfer_scene_report_infos/" + std::to_string(i);
        const auto& info = transfer_scene_report_infos[i];
        // info_type string[1,15], info_content string[1,32] (doc/v3/merchant/4013774588).
        if (auto e = text_field_error(at + "/info_type", info.info_type, 15, true)) return *e;
        if (auto e = text_field_error(at + "/info_content", info.info_content, 32, true)) return *e;
    }
    // The name is never quoted back in an error.
    if (user_name.empty() && transfer_amount >= transfer_user_name_from)
        return invalid_field("/user_name", "required from 2,000 yuan (200000 fen) on");
    if (user_name.size() > 1024) return invalid_field("/user_name", "is too long");
    return {};
}

std::string transfer_bill_request::to_json(std::string_view encrypted_user_name) const {
    json::array infos;
    for (const auto& i : transfer_scene_report_infos)
        infos.push_back(json::object{{"info_type", i.info_type}, {"info_content", i.info_content}});
    json::object o{{"appid", appid},
                   {"out_bill_no", out_bill_no},
                   {"transfer_scene_id", transfer_scene_id},
                   {"openid", openid},
                   {"transfer_amount", transfer_amount},
                   {"transfer_remark", transfer_remark},
                   {"transfer_scene_report_infos", std::move(infos)}};
    if (!encrypted_user_name.empty()) o["user_name"] = encrypted_user_name;
    if (!notify_url.empty()) o["notify_url"] = notify_url;
    if (!user_recv_perception.empty()) o["user_recv_perception"] = user_recv_perception;
    return json::serialize(o);
}

std::string transfer_confirm_params::to_json() const {
    return json::serialize(json::object{{"mchId", mchId}, {"appId", appId}, {"package", package}});
}

void read(const json_reader& r, transfer_bill& b) {
    r("mch_id", b.mch_id);
    if (b.mch_id.empty()) r("mchid", b.mch_id);
    r("out_bill_no", b.out_bill_no);
    r("transfer_bill_no", b.transfer_bill_no);
    r("appid", b.appid);
    r("state", b.state_text);
    r("transfer_amount", b.transfer_amount);
    r("transfer_remark", b.transfer_remark);
    r("fail_reason", b.fail_reason);
    r("openid", b.openid);
    r("create_time", b.create_time);
    r("update_time", b.update_time);
    r("package_info", b.package_info);
}

result<transfer_bill> parse_transfer_bill(std::string_view text) {
    auto b = detail::read_json_object<transfer_bill>(text);
    if (!b) return b;
    if (b->out_bill_no.empty()) return error(errc::malformed_json, "/out_bill_no: missing");
    if (b->state_text.empty()) return error(errc::malformed_json, "/state: missing");
    b->state = parse_transfer_state(b->state_text);
    b->raw = text;
    return b;
}

std::string transfer_bill::to_string() const {
    std::string s = "transfer " + out_bill_no;
    if (!transfer_bill_no.empty()) s += "/" + transfer_bill_no;
    s += " " + (state_text.empty() ? std::string(wechatpay::to_string(state)) : state_text);
    if (transfer_amount > 0) s += " " + std::to_string(transfer_amount) + " fen";
    if (!fail_reason.empty()) s += " (" + fail_reason + ")";
    return s;
}

void read(const json_reader& r, transfer_receipt& t) {
    r("state", t.state);
    r("create_time", t.create_time);
    r("update_time", t.update_time);
    r("hash_type", t.hash_type);
    r("hash_value", t.hash_value);
    r("download_url", t.download_url);
    r("fail_reason", t.fail_reason);
    r("out_bill_no", t.out_bill_no);
    r("transfer_bill_no", t.transfer_bill_no);
}

result<transfer_receipt> parse_transfer_receipt(std::string_view text) {
    auto t = detail::read_json_object<transfer_receipt>(text);
    if (t && t->state.empty()) return error(errc::malformed_json, "/state: missing");
    return t;
}

}  // namespace wechatpay
