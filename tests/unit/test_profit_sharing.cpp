// Profit-sharing models without sockets: requests written with WeChat's field names (names only
// as the ciphertexts given), answers read with their states as enums and the text kept, a state
// WeChat adds later read as unknown rather than refused, the PROFITSHARING.* resource read.
#include "checks.hpp"

#include <wechatpay/profit_sharing.hpp>

#include <boost/json.hpp>

using namespace wechatpay;
using namespace wechatpay_test;
namespace json = boost::json;

TEST_CASE("a split request carries the ciphertexts, never the plaintext names", "[profit_sharing]") {
    split_request s{"wx8888888888888888", "4208450740201411110007820472", "P20150806125346",
                    {{"PERSONAL_OPENID", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "张三", 100, "分给商户A"},
                     {"MERCHANT_ID", "86693852", "", 50, "分给商户B"}},
                    true};
    REQUIRE(s.validate().has_value());
    const std::string body = s.to_json({"CIPHERTEXT==", ""});
    CHECK(body.find("张三") == std::string::npos);
    const auto o = json::parse(body).as_object();
    CHECK(o.at("appid").as_string() == "wx8888888888888888");
    CHECK(o.at("unfreeze_unsplit").as_bool());
    const auto& r = o.at("receivers").as_array();
    REQUIRE(r.size() == 2);
    CHECK(r[0].at("name").as_string() == "CIPHERTEXT==");
    CHECK(r[0].at("amount").as_int64() == 100);
    CHECK_FALSE(r[1].as_object().contains("name"));
    CHECK(r[1].at("description").as_string() == "分给商户B");
}

TEST_CASE("split numbers take WeChat's characters and lengths", "[profit_sharing]") {
    CHECK(valid_split_number("P2015-08_06|12*34@5"));
    CHECK(valid_split_number(std::string(64, 'a')));
    CHECK_FALSE(valid_split_number(std::string(65, 'a')));
    CHECK_FALSE(valid_split_number(""));
    CHECK_FALSE(valid_split_number("P 1"));
    CHECK_FALSE(valid_split_number("P/1"));
}

TEST_CASE("split answers keep their states as enums and as text", "[profit_sharing]") {
    auto o = parse_split_order(R"({"transaction_id":"4208450740201411110007820472","out_order_no":"P1",
        "order_id":"3008450740201411110007820472","state":"FINISHED","receivers":[
        {"amount":100,"description":"d","type":"MERCHANT_ID","account":"86693852","result":"SUCCESS",
         "detail_id":"36011111111111111111111","create_time":"2015-05-20T13:29:35+08:00","finish_time":"2015-05-20T13:29:35+08:00"},
        {"amount":5,"description":"d","type":"PERSONAL_OPENID","account":"o1","result":"CLOSED","fail_reason":"NO_RELATION"},
        {"amount":5,"description":"d","type":"PERSONAL_OPENID","account":"o2","result":"FROZEN_BY_RISK"}],"new_field":1})");
    REQUIRE(o);
    CHECK(o->state == split_state::finished);
    REQUIRE(o->receivers.size() == 3);
    CHECK(o->receivers[0].result == split_result::success);
    CHECK(o->receivers[1].result == split_result::closed);
    CHECK(o->receivers[1].fail_reason == "NO_RELATION");
    CHECK(o->receivers[2].result == split_result::unknown);  // a result WeChat adds later
    CHECK(o->receivers[2].result_text == "FROZEN_BY_RISK");
    CHECK(o->to_string().find("FROZEN_BY_RISK") != std::string::npos);

    auto later = parse_split_order(R"({"order_id":"1","state":"SUSPENDED"})");
    REQUIRE(later);
    CHECK(later->state == split_state::unknown);
    CHECK(later->state_text == "SUSPENDED");
    CHECK(errc_of(parse_split_order(R"({"state":"FINISHED"})")) == errc::malformed_json);
    CHECK(errc_of(parse_split_order(R"({"order_id":"1","receivers":{}})")) == errc::malformed_json);

    auto r = parse_split_return(R"({"out_return_no":"R1","result":"FAILED","fail_reason":"TIME_OUT_CLOSED","amount":10})");
    REQUIRE(r);
    CHECK(r->result == return_result::failed);
    CHECK(to_string(r->result) == "FAILED");
    auto amounts = parse_unsplit_amount(R"({"transaction_id":"42","unsplit_amount":1000})");
    REQUIRE(amounts);
    CHECK(amounts->unsplit_amount == 1000);
}

TEST_CASE("a PROFITSHARING.SUCCESS resource is read", "[profit_sharing]") {
    auto e = parse_split_event(R"({"mchid":"1900000100","transaction_id":"4200000000000000000000000000",
        "order_id":"3008450740201411110007820472","out_order_no":"P20150806125346",
        "receiver":{"type":"MERCHANT_ID","account":"1900000109","amount":888,"description":"运费/交通费"},
        "success_time":"2018-06-08T10:34:56+08:00"})");
    REQUIRE(e);
    CHECK(e->receiver.account == "1900000109");
    CHECK(e->receiver.amount == 888);
    CHECK(e->success_time == "2018-06-08T10:34:56+08:00");
    CHECK(errc_of(parse_split_event(R"({"receiver":{}})")) == errc::malformed_json);
}
