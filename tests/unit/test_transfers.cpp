// Transfer bills without sockets: the request checked as WeChat documents it (transfer-to-user.html),
// its JSON body, the answers read leniently, the state enum keeping what it does not know.
#include "checks.hpp"

#include <wechatpay/transfers.hpp>

#include <boost/json.hpp>

#include <catch2/catch.hpp>

using namespace wechatpay_test;
using wechatpay::errc;
using wechatpay::transfer_state;
namespace json = boost::json;

namespace {

wechatpay::transfer_bill_request valid() {
    wechatpay::transfer_bill_request r;
    r.appid = "wxd678efh567hg6787";
    r.out_bill_no = "plfk2020042013";
    r.transfer_scene_id = "1000";
    r.openid = "o-MYE42l80oelYMDE34nYD456Xoy";
    r.transfer_amount = 400000;
    r.transfer_remark = "2020年4月报销";
    r.user_name = "张三";
    r.transfer_scene_report_infos = {{"活动名称", "新会员有礼"}};
    return r;
}

bool names(const wechatpay::result<void>& r, std::string_view field) {
    return !r && r.error().is(errc::invalid_argument) && r.error().detail.find(field) != std::string::npos;
}

}  // namespace

TEST_CASE("transfer request: WeChat's limits, each error naming the field", "[transfers]") {
    CHECK(valid().validate().has_value());
    auto r = valid();
    r.transfer_remark.clear();
    for (int i = 0; i < 32; ++i) r.transfer_remark += "奖";  // 32 characters, 96 bytes: fine
    CHECK(r.validate().has_value());
    r.transfer_remark += "奖";
    CHECK(names(r.validate(), "/transfer_remark"));
    r = valid();
    r.out_bill_no = std::string(32, 'A');
    CHECK(r.validate().has_value());
    r.out_bill_no += "A";
    CHECK(names(r.validate(), "/out_bill_no"));
    r.out_bill_no = "a_b";
    CHECK(names(r.validate(), "/out_bill_no"));
    r = valid();
    r.transfer_scene_id = std::string(37, '1');
    CHECK(names(r.validate(), "/transfer_scene_id"));
    r = valid();
    r.openid = std::string(65, 'o');
    CHECK(names(r.validate(), "/openid"));
    r = valid();
    r.appid.clear();
    CHECK(names(r.validate(), "/appid"));
    // user_name from 2,000 yuan on; not quoted back.
    r = valid();
    r.user_name.clear();
    CHECK(names(r.validate(), "/user_name"));
    r.transfer_amount = wechatpay::transfer_user_name_from - 1;
    CHECK(r.validate().has_value());
    r = valid();
    r.transfer_scene_report_infos[0].info_type = std::string(16, 't');
    CHECK(names(r.validate(), "/transfer_scene_report_infos/0/info_type"));
    r = valid();
    r.transfer_scene_report_infos[0].info_content = std::string(33, 'c');
    CHECK(names(r.validate(), "/transfer_scene_report_infos/0/info_content"));
    r = valid();
    r.notify_url = "https://merchant.example.com/" + std::string(230, 'n');
    CHECK(names(r.validate(), "/notify_url"));
}

TEST_CASE("transfer request: the body holds what was given, the name only as ciphertext", "[transfers]") {
    auto r = valid();
    const auto body = json::parse(r.to_json("SEALED==")).as_object();
    CHECK(body.at("user_name").as_string() == "SEALED==");
    CHECK(body.at("transfer_amount").as_int64() == 400000);
    CHECK(body.at("transfer_scene_report_infos").as_array().size() == 1);
    CHECK_FALSE(body.contains("notify_url"));
    CHECK_FALSE(body.contains("user_recv_perception"));
    CHECK(r.to_json("SEALED==").find("张三") == std::string::npos);
    CHECK_FALSE(json::parse(r.to_json("")).as_object().contains("user_name"));
}

TEST_CASE("transfer answers: read leniently, unknown states kept as text", "[transfers]") {
    auto b = wechatpay::parse_transfer_bill(
        R"({"out_bill_no":"a1","transfer_bill_no":"1330","create_time":"2025-01-01T00:00:00+08:00",)"
        R"("state":"WAIT_USER_CONFIRM","package_info":"ABBQ","new_field":1})");
    REQUIRE(outcome(b) == "ok");
    CHECK(b->state == transfer_state::wait_user_confirm);
    CHECK(b->package_info == "ABBQ");
    auto odd = wechatpay::parse_transfer_bill(R"({"out_bill_no":"a1","state":"FROZEN_BY_RISK"})");
    REQUIRE(outcome(odd) == "ok");
    CHECK(odd->state == transfer_state::unknown);
    CHECK(odd->state_text == "FROZEN_BY_RISK");
    CHECK_FALSE(wechatpay::is_final(odd->state));
    CHECK(errc_of(wechatpay::parse_transfer_bill(R"({"state":"SUCCESS"})")) == errc::malformed_json);
    CHECK(errc_of(wechatpay::parse_transfer_bill(R"({"out_bill_no":"a","state":"SUCCESS","transfer_amount":"1"})")) ==
          errc::malformed_json);
    for (auto s : {transfer_state::accepted, transfer_state::processing, transfer_state::wait_user_confirm,
                   transfer_state::transfering, transfer_state::success, transfer_state::fail,
                   transfer_state::canceling, transfer_state::cancelled})
        CHECK(wechatpay::parse_transfer_state(wechatpay::to_string(s)) == s);
    const wechatpay::transfer_confirm_params p{"1900000001", "wxd678efh567hg6787", "ABBQ+/="};
    CHECK(p.to_json() == R"({"mchId":"1900000001","appId":"wxd678efh567hg6787","package":"ABBQ+/="})");
    auto receipt = wechatpay::parse_transfer_receipt(R"({"state":"FINISHED","hash_type":"SHA256","hash_value":"ab"})");
    REQUIRE(outcome(receipt) == "ok");
    CHECK(receipt->hash_type == "SHA256");
    CHECK(errc_of(wechatpay::parse_transfer_receipt("{}")) == errc::malformed_json);
}
