// JSON models: every field read, unknown fields ignored, raw kept, wrong shapes refused.
#include "checks.hpp"

#include <wechatpay/complaints.hpp>
#include <wechatpay/models.hpp>

#include "core/json_reader.hpp"

#include <boost/json.hpp>

#include <string>
#include <string_view>

using wechatpay::errc;
using wechatpay::parse_refund;
using wechatpay::parse_transaction;
using namespace wechatpay_test;

namespace {

// A transaction query answer with every modelled field, plus fields the model does not know.
constexpr std::string_view full_transaction =
    R"({"appid":"wxd678efh567hg6787","mchid":"1230000109","out_trade_no":"1217752501201407033233368018",)"
    R"("transaction_id":"1217752501201407033233368018","trade_type":"MICROPAY","trade_state":"SUCCESS",)"
    R"("trade_state_desc":"支付成功","bank_type":"CMC","attach":"自定义数据",)"
    R"("success_time":"2018-06-08T10:34:56+08:00","payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},)"
    R"("amount":{"total":100,"payer_total":90,"currency":"CNY","payer_currency":"USD"},)"
    R"("scene_info":{"device_id":"013467007045764","future":1},)"
    R"("promotion_detail":[{"coupon_id":"109519","name":"单品惠-6","scope":"SINGLE","type":"CASH",)"
    R"("amount":10,"stock_id":"931386","wechatpay_contribute":1,"merchant_contribute":8,"other_contribute":1,)"
    R"("currency":"CNY","goods_detail":[{"goods_id":"M1006","quantity":2,"unit_price":50,"discount_amount":10,)"
    R"("goods_remark":"商品备注"}]},{"coupon_id":"2"}],)"
    R"("new_top_level_field":{"nested":[1,2,{"x":null}]},"another":true})";

// A refund answer with every modelled field.
constexpr std::string_view full_refund =
    R"({"refund_id":"50000000382019052709732678859","out_refund_no":"1217752501201407033233368018",)"
    R"("transaction_id":"1217752501201407033233368018","out_trade_no":"1217752501201407033233368019",)"
    R"("channel":"ORIGINAL","user_received_account":"招商银行信用卡0403",)"
    R"("success_time":"2020-12-01T16:18:12+08:00","create_time":"2020-12-01T16:18:10+08:00",)"
    R"("status":"SUCCESS","funds_account":"UNSETTLED",)"
    R"("amount":{"total":100,"refund":80,"from":[{"account":"AVAILABLE","amount":444},{"account":"UNAVAILABLE","amount":555}],)"
    R"("payer_total":90,"payer_refund":70,"settlement_refund":60,"settlement_total":50,"discount_refund":10,)"
    R"("currency":"CNY","refund_fee":2},)"
    R"("promotion_detail":[{"promotion_id":"109519","scope":"SINGLE","type":"DISCOUNT","amount":5,"refund_amount":100,)"
    R"("goods_detail":[{"merchant_goods_id":"1217752501201407033233368018","wechatpay_goods_id":"1001",)"
    R"("goods_name":"iPhone6s 16G","unit_price":528800,"refund_amount":528800,"refund_quantity":1}]}],)"
    R"("unknown":"ignored"})";

}  // namespace

TEST_CASE("parse_transaction reads every field and ignores unknown ones", "[models]") {
    const auto t = UNWRAP(parse_transaction(full_transaction));
    CHECK(t.appid == "wxd678efh567hg6787");
    CHECK(t.mchid == "1230000109");
    CHECK(t.out_trade_no == "1217752501201407033233368018");
    CHECK(t.transaction_id == "1217752501201407033233368018");
    CHECK(t.trade_type == "MICROPAY");
    CHECK(t.trade_state == "SUCCESS");
    CHECK(t.trade_state_desc == "支付成功");
    CHECK(t.bank_type == "CMC");
    CHECK(t.attach == "自定义数据");
    CHECK(t.success_time == "2018-06-08T10:34:56+08:00");
    CHECK(t.payer_openid == "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o");
    REQUIRE(t.amount.has_value());
    CHECK(t.amount->total == 100);
    CHECK(t.amount->payer_total == 90);
    CHECK(t.amount->currency == "CNY");
    CHECK(t.amount->payer_currency == "USD");
    CHECK(t.device_id == "013467007045764");
    CHECK(t.raw == full_transaction);

    REQUIRE(t.promotion_detail.size() == 2);
    const auto& p = t.promotion_detail[0];
    CHECK(p.coupon_id == "109519");
    CHECK(p.name == "单品惠-6");
    CHECK(p.scope == "SINGLE");
    CHECK(p.type == "CASH");
    CHECK(p.amount == 10);
    CHECK(p.stock_id == "931386");
    CHECK(p.wechatpay_contribute == 1);
    CHECK(p.merchant_contribute == 8);
    CHECK(p.other_contribute == 1);
    CHECK(p.currency == "CNY");
    REQUIRE(p.goods_detail.size() == 1);
    CHECK(p.goods_detail[0].goods_id == "M1006");
    CHECK(p.goods_detail[0].quantity == 2);
    CHECK(p.goods_detail[0].unit_price == 50);
    CHECK(p.goods_detail[0].discount_amount == 10);
    CHECK(p.goods_detail[0].goods_remark == "商品备注");
    CHECK(t.promotion_detail[1].coupon_id == "2");
    CHECK(t.promotion_detail[1].amount == 0);
    CHECK(t.promotion_detail[1].goods_detail.empty());
}

TEST_CASE("parse_transaction leaves absent fields empty", "[models]") {
    const auto empty = UNWRAP(parse_transaction("{}"));
    CHECK(empty.appid.empty());
    CHECK(empty.trade_state.empty());
    CHECK(empty.payer_openid.empty());
    CHECK(empty.device_id.empty());
    CHECK_FALSE(empty.amount.has_value());
    CHECK(empty.promotion_detail.empty());
    CHECK(empty.raw == "{}");

    // A NOTPAY answer: amount without payer_total.
    const auto notpay = UNWRAP(
        parse_transaction(R"({"trade_state":"NOTPAY","amount":{"total":1,"currency":"CNY"},"payer":{}})"));
    CHECK(notpay.trade_state == "NOTPAY");
    REQUIRE(notpay.amount.has_value());
    CHECK(notpay.amount->total == 1);
    CHECK_FALSE(notpay.amount->payer_total.has_value());
    CHECK(notpay.amount->payer_currency.empty());
    CHECK(notpay.payer_openid.empty());

    // payer_total 0 is present, not absent.
    const auto zero = UNWRAP(parse_transaction(R"({"amount":{"total":5,"payer_total":0}})"));
    REQUIRE(zero.amount.has_value());
    REQUIRE(zero.amount->payer_total.has_value());
    CHECK(*zero.amount->payer_total == 0);
}

TEST_CASE("amounts are read as exact 64-bit integers", "[models]") {
    const auto t = UNWRAP(parse_transaction(R"({"amount":{"total":9007199254740993}})"));
    REQUIRE(t.amount.has_value());
    CHECK(t.amount->total == 9007199254740993);
}

TEST_CASE("parse_refund reads every field and ignores unknown ones", "[models]") {
    const auto r = UNWRAP(parse_refund(full_refund));
    CHECK(r.refund_id == "50000000382019052709732678859");
    CHECK(r.out_refund_no == "1217752501201407033233368018");
    CHECK(r.transaction_id == "1217752501201407033233368018");
    CHECK(r.out_trade_no == "1217752501201407033233368019");
    CHECK(r.channel == "ORIGINAL");
    CHECK(r.user_received_account == "招商银行信用卡0403");
    CHECK(r.success_time == "2020-12-01T16:18:12+08:00");
    CHECK(r.create_time == "2020-12-01T16:18:10+08:00");
    CHECK(r.status == "SUCCESS");
    CHECK(r.funds_account == "UNSETTLED");
    CHECK(r.raw == full_refund);

    REQUIRE(r.amount.has_value());
    const auto& a = *r.amount;
    CHECK(a.total == 100);
    CHECK(a.refund == 80);
    REQUIRE(a.from.size() == 2);
    CHECK(a.from[0].account == "AVAILABLE");
    CHECK(a.from[0].amount == 444);
    CHECK(a.from[1].account == "UNAVAILABLE");
    CHECK(a.from[1].amount == 555);
    CHECK(a.payer_total == 90);
    CHECK(a.payer_refund == 70);
    CHECK(a.settlement_refund == 60);
    CHECK(a.settlement_total == 50);
    CHECK(a.discount_refund == 10);
    CHECK(a.currency == "CNY");
    CHECK(a.refund_fee == 2);

    REQUIRE(r.promotion_detail.size() == 1);
    const auto& p = r.promotion_detail[0];
    CHECK(p.coupon_id == "109519");  // refunds call it promotion_id
    CHECK(p.scope == "SINGLE");
    CHECK(p.type == "DISCOUNT");
    CHECK(p.amount == 5);
    CHECK(p.refund_amount == 100);
    REQUIRE(p.goods_detail.size() == 1);
    const auto& g = p.goods_detail[0];
    CHECK(g.merchant_goods_id == "1217752501201407033233368018");
    CHECK(g.wechatpay_goods_id == "1001");
    CHECK(g.goods_name == "iPhone6s 16G");
    CHECK(g.unit_price == 528800);
    CHECK(g.refund_amount == 528800);
    CHECK(g.refund_quantity == 1);
}

TEST_CASE("parse_refund leaves absent fields empty and reads notification fields", "[models]") {
    const auto r = UNWRAP(
        parse_refund(R"({"mchid":"1900000100","refund_status":"ABNORMAL","amount":{"total":3,"refund":1}})"));
    CHECK(r.mchid == "1900000100");
    CHECK(r.refund_status == "ABNORMAL");
    CHECK(r.status.empty());
    CHECK(r.channel.empty());
    REQUIRE(r.amount.has_value());
    CHECK(r.amount->total == 3);
    CHECK(r.amount->refund == 1);
    CHECK(r.amount->from.empty());
    CHECK_FALSE(r.amount->payer_total.has_value());
    CHECK_FALSE(r.amount->payer_refund.has_value());
    CHECK_FALSE(r.amount->settlement_refund.has_value());
    CHECK_FALSE(r.amount->settlement_total.has_value());
    CHECK_FALSE(r.amount->discount_refund.has_value());
    CHECK_FALSE(r.amount->refund_fee.has_value());
    CHECK(r.promotion_detail.empty());

    const auto empty = UNWRAP(parse_refund("{}"));
    CHECK_FALSE(empty.amount.has_value());
    CHECK(empty.raw == "{}");
}

TEST_CASE("malformed_json: text that is not a JSON object", "[models][errors]") {
    for (std::string_view json : {"", "not json", "[]", "1", "\"x\"", "null", "{", "{}x", "{\"a\":}"}) {
        CAPTURE(json);
        const auto t = parse_transaction(json);
        REQUIRE(errc_of(t) == errc::malformed_json);
        CHECK(t.error().kind() == wechatpay::error_kind::protocol);
        CHECK(errc_of(parse_refund(json)) == errc::malformed_json);
    }
}

TEST_CASE("malformed_json naming the field: a known field of the wrong type", "[models][errors]") {
    struct row {
        std::string_view json, field;
    };
    SECTION("transaction") {
        const row rows[] = {
            {R"({"out_trade_no":123})", "out_trade_no"},
            {R"({"trade_state":["SUCCESS"]})", "trade_state"},
            {R"({"amount":"100"})", "amount"},
            {R"({"amount":{"total":"100"}})", "total"},
            {R"({"amount":{"total":1,"payer_total":"90"}})", "payer_total"},
            {R"({"payer":"oUpF8"})", "payer"},
            {R"({"payer":{"openid":1}})", "openid"},
            {R"({"scene_info":[]})", "scene_info"},
            {R"({"promotion_detail":{}})", "promotion_detail"},
            {R"({"promotion_detail":[1]})", "promotion_detail"},
            {R"({"promotion_detail":[{"amount":"10"}]})", "amount"},
            {R"({"promotion_detail":[{"goods_detail":[{"quantity":"2"}]}]})", "quantity"},
        };
        for (const auto& r : rows) {
            CAPTURE(r.json);
            const auto t = parse_transaction(r.json);
            REQUIRE(errc_of(t) == errc::malformed_json);
            CHECK(t.error().detail.find(r.field) != std::string::npos);
        }
    }
    SECTION("refund") {
        const row rows[] = {
            {R"({"status":1})", "status"},
            {R"({"amount":[]})", "amount"},
            {R"({"amount":{"refund":"1"}})", "refund"},
            {R"({"amount":{"from":{}}})", "from"},
            {R"({"amount":{"from":[{"amount":"1"}]}})", "amount"},
            {R"({"amount":{"settlement_total":true}})", "settlement_total"},
            {R"({"promotion_detail":[{"promotion_id":5}]})", "promotion_id"},
        };
        for (const auto& r : rows) {
            CAPTURE(r.json);
            const auto refund = parse_refund(r.json);
            REQUIRE(errc_of(refund) == errc::malformed_json);
            CHECK(refund.error().detail.find(r.field) != std::string::npos);
        }
    }
}

namespace {
struct reader_probe {
    std::string name;
    std::int64_t count = -1;
    std::vector<std::string> tags;
    boost::json::value extra;
};
void read(const wechatpay::detail::json_reader& r, reader_probe& p) {
    r("name", p.name);
    r("count", p.count);
    r("tags", p.tags);
    r("extra", p.extra);
}
}  // namespace

TEST_CASE("json_reader: the first wrong type is the error, or (skip_wrong_types) is passed over", "[models][errors]") {
    using wechatpay::detail::json_reader;
    const auto doc = boost::json::parse(R"({"name":7,"count":3,"tags":["a",1,"c"],"extra":null})");
    reader_probe first;
    std::string err;
    read(json_reader(doc.as_object(), "", &err), first);
    CHECK(err == "/name must be a string");
    CHECK(first.count == -1);  // nothing after the first error is read

    reader_probe all;
    std::string none;
    read(json_reader(doc.as_object(), "", &none, json_reader::mode::skip_wrong_types), all);
    CHECK(none.empty());
    CHECK(all.name.empty());
    CHECK(all.count == 3);
    CHECK(all.tags == std::vector<std::string>{"a", "", "c"});
    CHECK(all.extra.is_null());
}

TEST_CASE("value_at: a JSON pointer of plain keys, null and dead ends absent", "[models]") {
    using wechatpay::detail::value_at;
    const auto doc = boost::json::parse(R"({"amount":{"total":5,"from":[1]},"n":null,"s":"x"})");
    const auto& o = doc.as_object();
    REQUIRE(value_at(o, "/amount/total"));
    CHECK(value_at(o, "/amount/total")->as_int64() == 5);
    CHECK(value_at(o, "/amount")->is_object());
    CHECK(value_at(o, "/n") == nullptr);
    CHECK(value_at(o, "/s/x") == nullptr);
    CHECK(value_at(o, "/amount/from/0") == nullptr);  // arrays are not walked
    CHECK(value_at(o, "/missing/total") == nullptr);
}

TEST_CASE("complaint pages: each item's raw text is JSON again; a number beyond a double is refused", "[models][complaints]") {
    const auto page = wechatpay::parse_complaint_page(
        R"({"data":[{"complaint_id":"200201820200101080076610000","future":{"n":1.5}}],"limit":5,"offset":0,"total_count":1})");
    REQUIRE(page);
    REQUIRE(page->data.size() == 1);
    const auto again = wechatpay::parse_complaint(page->data[0].raw);
    REQUIRE(again);
    CHECK(again->complaint_id == "200201820200101080076610000");
    CHECK(boost::json::parse(page->data[0].raw).at("future").at("n").as_double() == 1.5);
    // Boost.JSON writes infinity as "Infinity": the item could not be read back (found by fuzz_models).
    for (const char* number : {"1e400", "-1e999"}) {
        CAPTURE(number);
        const auto refused = wechatpay::parse_complaint_page(
            std::string(R"({"data":[{"complaint_id":"1"},{"complaint_id":"2","amount":)") + number +
            R"(}],"limit":5,"offset":0,"total_count":2})");
        REQUIRE_FALSE(refused);
        CHECK(refused.error().is(errc::malformed_json));
        CHECK(refused.error().detail == "/data/1: a number beyond a double");
    }
}
