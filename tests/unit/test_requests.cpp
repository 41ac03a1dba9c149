// Request bodies: exact WeChat JSON (no nulls, nothing empty), validation errors that name the
// field as WeChat's PARAM_ERROR would, bill queries, bill answers and path encoding.
#include "checks.hpp"
#include "core/url.hpp"

#include <wechatpay/partner.hpp>
#include <wechatpay/requests.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

using wechatpay::errc;
using wechatpay::prepay_kind;
using wechatpay::prepay_request;
using wechatpay::refund_request;
using namespace wechatpay_test;
namespace json = boost::json;

namespace {

// Every field of a prepay set (valid for all four kinds).
prepay_request full_prepay() {
    prepay_request r;
    r.appid = "wxd678efh567hg6787";
    r.mchid = "1230000109";
    r.description = "Image形象店-深圳腾大-QQ公仔";
    r.out_trade_no = "1217752501201407033233368018";
    r.time_expire = "2018-06-08T10:34:56+08:00";
    r.attach = "自定义数据说明";
    r.notify_url = "https://www.weixin.qq.com/wxpay/pay.php";
    r.goods_tag = "WXG";
    r.support_fapiao = false;
    r.amount = {100, "CNY"};
    r.payer_openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
    r.detail = wechatpay::order_detail{608800, "wx123",
                                       {{"1246464644", "1001", "iPhoneX 256G", 1, 528800},
                                        {"1246464645", "", "", 2, 40000}}};
    r.scene_info = wechatpay::scene_info{
        "14.23.150.211", "013467007045764",
        wechatpay::store_info{"0001", "腾讯大厦分店", "440305", "广东省深圳市南山区科技中一道10000号"},
        wechatpay::h5_info{"iOS", "王者荣耀", "https://pay.qq.com", "com.tencent.wzryiOS", "com.tencent.tmgp.sgame"}};
    r.profit_sharing = true;
    return r;
}

constexpr std::string_view full_prepay_json = R"({
    "appid": "wxd678efh567hg6787", "mchid": "1230000109",
    "description": "Image形象店-深圳腾大-QQ公仔", "out_trade_no": "1217752501201407033233368018",
    "time_expire": "2018-06-08T10:34:56+08:00", "attach": "自定义数据说明",
    "notify_url": "https://www.weixin.qq.com/wxpay/pay.php", "goods_tag": "WXG", "support_fapiao": false,
    "amount": {"total": 100, "currency": "CNY"},
    "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
    "detail": {"cost_price": 608800, "invoice_id": "wx123", "goods_detail": [
        {"merchant_goods_id": "1246464644", "wechatpay_goods_id": "1001", "goods_name": "iPhoneX 256G",
         "quantity": 1, "unit_price": 528800},
        {"merchant_goods_id": "1246464645", "quantity": 2, "unit_price": 40000}]},
    "scene_info": {"payer_client_ip": "14.23.150.211", "device_id": "013467007045764",
        "store_info": {"id": "0001", "name": "腾讯大厦分店", "area_code": "440305",
                       "address": "广东省深圳市南山区科技中一道10000号"},
        "h5_info": {"type": "iOS", "app_name": "王者荣耀", "app_url": "https://pay.qq.com",
                    "bundle_id": "com.tencent.wzryiOS", "package_name": "com.tencent.tmgp.sgame"}},
    "settle_info": {"profit_sharing": true}
})";

// What a Native prepay needs and nothing more.
prepay_request minimal_prepay() {
    prepay_request r;
    r.appid = "wxd678efh567hg6787";
    r.mchid = "1230000109";
    r.description = "QQ公仔";
    r.out_trade_no = "order_0001";
    r.notify_url = "https://shop.example.com/notify";
    r.amount.total = 1;
    return r;
}

refund_request full_refund() {
    refund_request r;
    r.transaction_id = "1217752501201407033233368018";
    r.out_trade_no = "1217752501201407033233368018";
    r.out_refund_no = "1217752501201407033233368018@R1";
    r.reason = "商品已售完";
    r.notify_url = "https://weixin.qq.com/refund";
    r.funds_account = "AVAILABLE";
    r.refund = 888;
    r.total = 888;
    r.from = {{"AVAILABLE", 444}, {"UNAVAILABLE", 444}};
    r.goods_detail = {{"1217752501201407033233368018", "1001", "iPhone6s 16G", 528800, 528800, 1}};
    return r;
}

constexpr std::string_view full_refund_json = R"({
    "transaction_id": "1217752501201407033233368018", "out_trade_no": "1217752501201407033233368018",
    "out_refund_no": "1217752501201407033233368018@R1", "reason": "商品已售完",
    "notify_url": "https://weixin.qq.com/refund", "funds_account": "AVAILABLE",
    "amount": {"refund": 888, "from": [{"account": "AVAILABLE", "amount": 444},
                                       {"account": "UNAVAILABLE", "amount": 444}],
               "total": 888, "currency": "CNY"},
    "goods_detail": [{"merchant_goods_id": "1217752501201407033233368018", "wechatpay_goods_id": "1001",
                      "goods_name": "iPhone6s 16G", "unit_price": 528800, "refund_amount": 528800,
                      "refund_quantity": 1}]
})";

refund_request minimal_refund() {
    refund_request r;
    r.out_trade_no = "order_0001";
    r.out_refund_no = "refund_0001";
    r.refund = 1;
    r.total = 1;
    return r;
}

// No null and no empty string, object or array anywhere in a JSON document.
bool has_nothing_empty(const json::value& v) {
    switch (v.kind()) {
    case json::kind::null: return false;
    case json::kind::string: return !v.get_string().empty();
    case json::kind::array: {
        const auto& a = v.get_array();
        return !a.empty() && std::all_of(a.begin(), a.end(), has_nothing_empty);
    }
    case json::kind::object: {
        const auto& o = v.get_object();
        return !o.empty() && std::all_of(o.begin(), o.end(), [](const json::key_value_pair& kv) {
                   return !kv.key().empty() && has_nothing_empty(kv.value());
               });
    }
    default: return true;
    }
}

// Checks that `written` is exactly `expected` as JSON, and clean: no nulls, nothing empty.
void check_json(const std::string& written, std::string_view expected) {
    CAPTURE(written);
    const auto value = json::parse(written);
    CHECK(value == json::parse(expected));
    CHECK(has_nothing_empty(value));
    CHECK(written.find("null") == std::string::npos);
    CHECK(written.find("\"\"") == std::string::npos);
}

std::string detail_of(const wechatpay::result<void>& r) { return r ? "ok" : r.error().detail; }

// The outcome of validating a changed copy of `base`: "ok" or the invalid_argument detail.
template <class Request, class... Kind>
std::string validate_changed(Request base, const std::function<void(Request&)>& change, Kind... kind) {
    change(base);
    const auto r = base.validate(kind...);
    if (r) return "ok";
    CHECK(errc_of(r) == errc::invalid_argument);
    return r.error().detail;
}

std::string repeat(std::string_view s, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += s;
    return out;
}

}  // namespace

TEST_CASE("prepay kinds have names", "[requests]") {
    CHECK(std::string_view(to_string(prepay_kind::jsapi)) == "jsapi");
    CHECK(std::string_view(to_string(prepay_kind::app)) == "app");
    CHECK(std::string_view(to_string(prepay_kind::native)) == "native");
    CHECK(std::string_view(to_string(prepay_kind::h5)) == "h5");
}

TEST_CASE("a full prepay is written with WeChat's field names and nesting", "[requests]") {
    check_json(full_prepay().to_json(), full_prepay_json);
}

TEST_CASE("a minimal prepay leaves out every empty field", "[requests]") {
    check_json(minimal_prepay().to_json(),
               R"({"appid":"wxd678efh567hg6787","mchid":"1230000109","description":"QQ公仔",)"
               R"("out_trade_no":"order_0001","notify_url":"https://shop.example.com/notify",)"
               R"("amount":{"total":1,"currency":"CNY"}})");
}

TEST_CASE("empty nested parts of a prepay are left out", "[requests]") {
    auto r = minimal_prepay();
    r.detail.emplace();                 // nothing in it
    r.scene_info.emplace();             // nor here:
    r.scene_info->store_info.emplace();  // empty store
    r.scene_info->h5_info.emplace();     // empty h5_info
    r.amount.currency.clear();          // WeChat's default
    check_json(r.to_json(),
               R"({"appid":"wxd678efh567hg6787","mchid":"1230000109","description":"QQ公仔",)"
               R"("out_trade_no":"order_0001","notify_url":"https://shop.example.com/notify",)"
               R"("amount":{"total":1}})");

    r.scene_info->device_id = "POS-1";
    r.detail->cost_price = 0;
    CHECK(json::parse(r.to_json()).at("scene_info") == json::parse(R"({"device_id":"POS-1"})"));
    CHECK(json::parse(r.to_json()).at("detail") == json::parse(R"({"cost_price":0})"));
}

TEST_CASE("prepay validation passes complete requests of every kind", "[requests]") {
    for (auto kind : {prepay_kind::jsapi, prepay_kind::app, prepay_kind::native, prepay_kind::h5}) {
        CAPTURE(to_string(kind));
        CHECK(detail_of(full_prepay().validate(kind)) == "ok");
    }
    CHECK(detail_of(minimal_prepay().validate(prepay_kind::native)) == "ok");
    CHECK(detail_of(minimal_prepay().validate(prepay_kind::app)) == "ok");
}

TEST_CASE("prepay validation names the field as WeChat's PARAM_ERROR does", "[requests]") {
    using change = std::function<void(prepay_request&)>;
    const auto native = [](const change& c) { return validate_changed(minimal_prepay(), c, prepay_kind::native); };
    const auto full = [](const change& c, prepay_kind kind) { return validate_changed(full_prepay(), c, kind); };

    CHECK(native([](auto& r) { r.appid.clear(); }) == "/appid: required");
    CHECK(native([](auto& r) { r.mchid.clear(); }) == "/mchid: required");
    CHECK(native([](auto& r) { r.description.clear(); }) == "/description: required");

    const std::string bad_trade_no = "/out_trade_no: must be 6-32 characters of [0-9A-Za-z_-|*]";
    CHECK(native([](auto& r) { r.out_trade_no = "12345"; }) == bad_trade_no);
    CHECK(native([](auto& r) { r.out_trade_no = std::string(33, '1'); }) == bad_trade_no);
    CHECK(native([](auto& r) { r.out_trade_no = "order 0001"; }) == bad_trade_no);
    CHECK(native([](auto& r) { r.out_trade_no = "order@0001"; }) == bad_trade_no);
    CHECK(native([](auto& r) { r.out_trade_no = "订单000001"; }) == bad_trade_no);
    CHECK(native([](auto& r) { r.out_trade_no = "aZ09_-|*"; }) == "ok");
    CHECK(native([](auto& r) { r.out_trade_no = std::string(32, 'x'); }) == "ok");

    CHECK(native([](auto& r) { r.amount.total = 0; }) == "/amount/total: must be > 0");
    CHECK(native([](auto& r) { r.amount.total = -5; }) == "/amount/total: must be > 0");
    CHECK(native([](auto& r) { r.amount.currency = "USD"; }) == "/amount/currency: must be CNY");
    CHECK(native([](auto& r) { r.attach = repeat("附", 129); }) == "/attach: must be ≤ 128 characters");
    CHECK(native([](auto& r) { r.attach = repeat("附", 128); }) == "ok");
    CHECK(native([](auto& r) { r.goods_tag = std::string(33, 'G'); }) == "/goods_tag: must be ≤ 32 characters");

    CHECK(full([](auto& r) { r.payer_openid.clear(); }, prepay_kind::jsapi) == "/payer/openid: required for JSAPI");
    CHECK(full([](auto& r) { r.payer_openid.clear(); }, prepay_kind::app) == "ok");
    CHECK(full([](auto& r) { r.scene_info.reset(); }, prepay_kind::h5) ==
          "/scene_info/payer_client_ip: required for H5");
    CHECK(full([](auto& r) { r.scene_info->payer_client_ip.clear(); }, prepay_kind::h5) ==
          "/scene_info/payer_client_ip: required for H5");
    CHECK(full([](auto& r) { r.scene_info->h5_info.reset(); }, prepay_kind::h5) ==
          "/scene_info/h5_info/type: required for H5");
    CHECK(full([](auto& r) { r.scene_info->h5_info->type.clear(); }, prepay_kind::h5) ==
          "/scene_info/h5_info/type: required for H5");
    CHECK(full([](auto& r) { r.scene_info->h5_info->type = "Windows"; }, prepay_kind::h5) ==
          "/scene_info/h5_info/type: must be iOS, Android or Wap");
    CHECK(full([](auto& r) { r.scene_info->h5_info.reset(); }, prepay_kind::native) == "ok");
    CHECK(full([](auto& r) { r.scene_info->store_info->id.clear(); }, prepay_kind::native) ==
          "/scene_info/store_info/id: required");
    CHECK(full([](auto& r) { r.detail->goods_detail[1].merchant_goods_id.clear(); }, prepay_kind::native) ==
          "/detail/goods_detail/1/merchant_goods_id: required");
    CHECK(full([](auto& r) { r.detail->goods_detail[0].quantity = 0; }, prepay_kind::native) ==
          "/detail/goods_detail/0/quantity: must be > 0");
}

TEST_CASE("description length counts characters, not bytes", "[requests]") {
    using change = std::function<void(prepay_request&)>;
    const auto native = [](const change& c) { return validate_changed(minimal_prepay(), c, prepay_kind::native); };

    // 127 Chinese characters are 381 bytes: fine. 128 are one too many.
    CHECK(native([](auto& r) { r.description = repeat("中", 127); }) == "ok");
    CHECK(native([](auto& r) { r.description = repeat("中", 128); }) == "/description: must be ≤ 127 characters");
    CHECK(native([](auto& r) { r.description = std::string(127, 'a'); }) == "ok");
    CHECK(native([](auto& r) { r.description = std::string(128, 'a'); }) == "/description: must be ≤ 127 characters");
    CHECK(native([](auto& r) { r.description = repeat("😀", 127); }) == "ok");  // 4-byte sequences

    // Malformed UTF-8: cut sequence, stray continuation byte, overlong '/', surrogate, Latin-1.
    for (std::string bad : {std::string("中").substr(0, 2), std::string("\x80"), std::string("\xC0\xAF"),
                            std::string("\xED\xA0\x80"), std::string("caf\xE9")}) {
        CHECK(native([&](auto& r) { r.description = "ok " + bad; }) == "/description: must be UTF-8");
    }
}

TEST_CASE("notify_url must be https without a query; http only to loopback", "[requests]") {
    using change = std::function<void(prepay_request&)>;
    const auto with_url = [](std::string url) {
        return validate_changed(minimal_prepay(), change([&](auto& r) { r.notify_url = url; }), prepay_kind::native);
    };
    const std::string refused = "/notify_url: must be an https URL without a query";

    for (auto url : {"https://shop.example.com/notify", "https://shop.example.com", "https://shop.example.com:8443/n",
                     "http://127.0.0.1:8080/notify", "http://127.1.2.3/n", "http://localhost/notify",
                     "http://LOCALHOST:9000/n", "http://[::1]:9000/n", "HTTPS://Shop.Example.com/n",
                     "https://shop.example.com:443/n", "https://203.0.113.7/n", "https://[2001:db8::1]:8443/n",
                     "https://shop.example.com/a%20b/%E4%BD%A0"}) {
        CAPTURE(url);
        CHECK(with_url(url) == "ok");
    }
    for (auto url : {"https://shop.example.com/notify?order=1", "https://shop.example.com/n#frag",
                     "http://shop.example.com/notify", "http://127.0.0.1.evil.example/n",
                     "http://128.0.0.1/n", "http://127.0.0.256/n", "http://localhost.evil.example/n",
                     "https://", "https:///path", "ftp://shop.example.com/n", "shop.example.com/notify",
                     "https://user@shop.example.com/n", "https://shop.example.com/a b",
                     "https://shop.example.com:0/n", "https://shop.example.com:65536/n",
                     "https://shop.example.com:/n", "https://shop%2eexample.com/n", "https://[v1.x]/n",
                     "https://shop.example.com/%zz", "https://shop.example.com/%4", "http://[::2]/n",
                     "http://0x7f.0.0.1/n", "http://2130706433/n", "https://shop.example.com\\@evil/n",
                     "https://sh!op.example.com/n", "https://shop.example.com/n\r\nX: y", "https:shop.example.com/n",
                     "https://[::1/n", "https://shop.example.com/\xE4"}) {
        CAPTURE(url);
        CHECK(with_url(url) == refused);
    }
    CHECK(with_url("") == "/notify_url: required");
    CHECK(with_url("https://shop.example.com/" + std::string(240, 'n')) == "/notify_url: must be ≤ 256 characters");
}

TEST_CASE("parse_http_url: scheme, host, port and the target to send, by Boost.URL", "[requests]") {
    using wechatpay::detail::parse_http_url;
    const auto u = parse_http_url("HTTPS://Api.MCH.weixin.qq.com/v3/billdownload/file?token=a%2Bb&tartype=gzip");
    REQUIRE(u);
    CHECK(u->https);
    CHECK(u->host == "Api.MCH.weixin.qq.com");
    CHECK(u->port == 443);
    CHECK(u->target == "/v3/billdownload/file?token=a%2Bb&tartype=gzip");
    CHECK(u->has_query);
    CHECK_FALSE(u->loopback);
    CHECK(u->host_header() == "Api.MCH.weixin.qq.com:443");

    const auto v6 = parse_http_url("http://[::1]:8080");
    REQUIRE(v6);
    CHECK_FALSE(v6->https);
    CHECK(v6->ipv6);
    CHECK(v6->host == "::1");
    CHECK(v6->port == 8080);
    CHECK(v6->target == "/");
    CHECK(v6->loopback);
    CHECK(v6->host_header() == "[::1]:8080");

    CHECK(parse_http_url("http://127.9.8.7/n")->loopback);
    CHECK(parse_http_url("http://localhost/n")->port == 80);
    CHECK_FALSE(parse_http_url("http://localhost.example/n")->loopback);
    // Boost.URL 1.81 reads these as host 127.0.0.1 and a path ".nip.io/n" (or port 80 and path
    // ".x/"); such a path is no origin-form target, so they are refused, never taken as loopback.
    CHECK_FALSE(parse_http_url("http://127.0.0.1.nip.io/n"));
    CHECK_FALSE(parse_http_url("http://127.0.0.1.nip.io"));
    CHECK_FALSE(parse_http_url("http://127.0.0.1:80.x/"));

    for (const char* bad : {"", "/v3/x", "mailto:a@b", "https://u:p@host/x", "https://host/x#f", "https://host:99999/",
                            "https://host:0/", "https://ho%41st/", "https://[v7.abc]/", "https://host/\x01"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_http_url(bad));
    }
}

TEST_CASE("time_expire must be an RFC 3339 time", "[requests]") {
    using change = std::function<void(prepay_request&)>;
    const auto with_time = [](std::string t) {
        return validate_changed(minimal_prepay(), change([&](auto& r) { r.time_expire = t; }), prepay_kind::native);
    };
    for (auto t : {"2018-06-08T10:34:56+08:00", "2018-06-08T10:34:56Z", "2018-06-08t10:34:56.123z",
                   "2024-02-29T23:59:59-05:30", "2016-12-31T23:59:60Z"}) {
        CAPTURE(t);
        CHECK(with_time(t) == "ok");
    }
    for (auto t : {"2018-06-08 10:34:56+08:00", "2018-06-08T10:34:56", "2018-06-08T10:34:56+0800",
                   "2018-06-08T10:34+08:00", "2023-02-29T10:00:00+08:00", "2018-13-08T10:34:56Z",
                   "2018-06-08T24:00:00Z", "2018-06-08T10:60:00Z", "2018-06-08T10:34:56.Z", "1528425296",
                   "2018-06-08T10:34:56+08:00 "}) {
        CAPTURE(t);
        CHECK_THAT(with_time(t), Catch::StartsWith("/time_expire: must be an RFC 3339 time"));
    }
}

TEST_CASE("a full refund is written with WeChat's field names and nesting", "[requests]") {
    check_json(full_refund().to_json(), full_refund_json);
    check_json(minimal_refund().to_json(),
               R"({"out_trade_no":"order_0001","out_refund_no":"refund_0001",)"
               R"("amount":{"refund":1,"total":1,"currency":"CNY"}})");
}

TEST_CASE("refund validation names the field", "[requests]") {
    using change = std::function<void(refund_request&)>;
    const auto full = [](const change& c) { return validate_changed(full_refund(), c); };

    CHECK(full([](auto&) {}) == "ok");
    CHECK(validate_changed(minimal_refund(), change([](auto&) {})) == "ok");
    CHECK(full([](auto& r) { r.transaction_id.clear(); }) == "ok");
    CHECK(full([](auto& r) { r.out_trade_no.clear(); }) == "ok");
    CHECK(full([](auto& r) { 
        r.transaction_id.clear();
        r.out_trade_no.clear();
     }) ==
          "/transaction_id: or /out_trade_no required");

    const std::string bad_refund_no = "/out_refund_no: must be 6-64 characters of [0-9A-Za-z_-|*@]";
    CHECK(full([](auto& r) { r.out_refund_no = "R0001"; }) == bad_refund_no);
    CHECK(full([](auto& r) { r.out_refund_no = std::string(65, 'R'); }) == bad_refund_no);
    CHECK(full([](auto& r) { r.out_refund_no = "refund#0001"; }) == bad_refund_no);
    CHECK(full([](auto& r) { r.out_refund_no = std::string(64, 'R'); }) == "ok");
    CHECK(full([](auto& r) { r.out_refund_no = "aZ09_-|*@"; }) == "ok");

    CHECK(full([](auto& r) { r.reason = repeat("退", 80); }) == "ok");
    CHECK(full([](auto& r) { r.reason = repeat("退", 81); }) == "/reason: must be ≤ 80 characters");
    CHECK(full([](auto& r) { r.notify_url = "http://shop.example.com/refund"; }) ==
          "/notify_url: must be an https URL without a query");
    CHECK(full([](auto& r) { r.notify_url.clear(); }) == "ok");
    CHECK(full([](auto& r) { r.funds_account = "UNSETTLED"; }) == "/funds_account: must be AVAILABLE");

    CHECK(full([](auto& r) { r.refund = 0; }) == "/amount/refund: must be > 0");
    CHECK(full([](auto& r) { r.total = 0; }) == "/amount/total: must be > 0");
    CHECK(full([](auto& r) { r.refund = 889; }) == "/amount/refund: must be ≤ /amount/total");
    CHECK(full([](auto& r) { r.currency = "HKD"; }) == "/amount/currency: must be CNY");
    CHECK(full([](auto& r) { r.currency.clear(); }) == "/amount/currency: must be CNY");
    CHECK(full([](auto& r) { r.from[1].account = "BASIC"; }) ==
          "/amount/from/1/account: must be AVAILABLE or UNAVAILABLE");
    CHECK(full([](auto& r) { r.from[0].amount = 0; }) == "/amount/from/0/amount: must be > 0");
    CHECK(full([](auto& r) { r.goods_detail[0].merchant_goods_id.clear(); }) ==
          "/goods_detail/0/merchant_goods_id: required");
    CHECK(full([](auto& r) { r.goods_detail[0].refund_quantity = 0; }) ==
          "/goods_detail/0/refund_quantity: must be > 0");
}

TEST_CASE("bill requests check the date and type, and build the query", "[requests]") {
    wechatpay::trade_bill_request trade{"2024-02-29"};
    CHECK(detail_of(trade.validate()) == "ok");
    CHECK(trade.query() == "bill_date=2024-02-29&bill_type=ALL");
    trade.bill_type = "REFUND";
    trade.gzip = true;
    CHECK(detail_of(trade.validate()) == "ok");
    CHECK(trade.query() == "bill_date=2024-02-29&bill_type=REFUND&tar_type=GZIP");

    for (auto date : {"2023-02-29", "2024-13-01", "2024-04-31", "2024-1-01", "20240101", "2024-01-01T00:00:00Z", ""}) {
        CAPTURE(date);
        CHECK(detail_of(wechatpay::trade_bill_request{date}.validate()) == "bill_date: must be a date YYYY-MM-DD");
        CHECK(detail_of(wechatpay::fundflow_bill_request{date}.validate()) == "bill_date: must be a date YYYY-MM-DD");
    }
    CHECK(detail_of(wechatpay::trade_bill_request{"2024-01-31", "all"}.validate()) ==
          "bill_type: must be ALL, SUCCESS, REFUND or RECHARGE_REFUND");
    const wechatpay::trade_bill_request recharge{"2024-01-31", "RECHARGE_REFUND"};
    CHECK(detail_of(recharge.validate()) == "ok");
    CHECK(recharge.query() == "bill_date=2024-01-31&bill_type=RECHARGE_REFUND");

    wechatpay::fundflow_bill_request fund{"2024-01-31"};
    CHECK(detail_of(fund.validate()) == "ok");
    CHECK(fund.query() == "bill_date=2024-01-31&account_type=BASIC");
    for (auto type : {"OPERATION", "FEES"}) {
        fund.account_type = type;
        CHECK(detail_of(fund.validate()) == "ok");
    }
    fund.gzip = true;
    CHECK(fund.query() == "bill_date=2024-01-31&account_type=FEES&tar_type=GZIP");
    fund.account_type = "ALL";
    CHECK(detail_of(fund.validate()) == "account_type: must be BASIC, OPERATION or FEES");
}

TEST_CASE("parse_bill_info reads the answer leniently and requires its three fields", "[requests]") {
    const auto info = UNWRAP(wechatpay::parse_bill_info(
        R"({"hash_type":"SHA1","hash_value":"79bb0f45fc4c42234a918000b2668d689e2bde04",)"
        R"("download_url":"https://api.mch.weixin.qq.com/v3/billdownload/file?token=xxx","new_field":[1,{"a":null}]})"));
    CHECK(info.hash_type == "SHA1");
    CHECK(info.hash_value == "79bb0f45fc4c42234a918000b2668d689e2bde04");
    CHECK(info.download_url == "https://api.mch.weixin.qq.com/v3/billdownload/file?token=xxx");
    CHECK_FALSE(info.gzip);

    struct failure_case {
        std::string_view json, detail;
    };
    for (const auto& c : std::vector<failure_case>{
             {R"({"hash_value":"ab","download_url":"https://x/y"})", "/hash_type: missing"},
             {R"({"hash_type":"SHA1","download_url":"https://x/y"})", "/hash_value: missing"},
             {R"({"hash_type":"SHA1","hash_value":"ab"})", "/download_url: missing"},
             {R"({"hash_type":"SHA1","hash_value":"ab","download_url":null})", "/download_url: missing"},
             {R"({"hash_type":"SHA1","hash_value":12,"download_url":"https://x/y"})", "/hash_value must be a string"},
             {R"(["SHA1"])", "not a JSON object"},
         }) {
        CAPTURE(c.json);
        const auto r = wechatpay::parse_bill_info(c.json);
        CHECK(errc_of(r) == errc::malformed_json);
        CHECK((r ? std::string() : r.error().detail) == c.detail);
    }
    CHECK(errc_of(wechatpay::parse_bill_info("{")) == errc::malformed_json);
}

TEST_CASE("encode_path_segment keeps unreserved characters and %-encodes the rest", "[requests]") {
    using wechatpay::encode_path_segment;
    CHECK(encode_path_segment("") == "");
    CHECK(encode_path_segment("AZaz09-._~") == "AZaz09-._~");
    CHECK(encode_path_segment("1217752501201407033233368018") == "1217752501201407033233368018");
    CHECK(encode_path_segment("a b/c?d%e#f") == "a%20b%2Fc%3Fd%25e%23f");
    CHECK(encode_path_segment("R|1*2@3") == "R%7C1%2A2%403");
    CHECK(encode_path_segment("中") == "%E4%B8%AD");
    CHECK(encode_path_segment(std::string_view("\x00\xff", 2)) == "%00%FF");
    CHECK(encode_path_segment("..") == "..");  // unreserved, as RFC 3986 says; never a valid order number
}

TEST_CASE("is_origin_form: /path?query of RFC 3986 characters and %XX escapes, nothing else", "[requests]") {
    using wechatpay::is_origin_form;
    for (std::string_view good : {"/", "/v3/certificates", "/v3/pay/transactions/id/4200?mchid=1900000001",
                                  "/v3/bill/tradebill?bill_date=2026-11-27&bill_type=ALL&tar_type=GZIP",
                                  "/a%20b/%E8%AE%A2?x=/?y", "/-._~!$&'()*+,;=:@", "//double", "/?", "/a?"}) {
        CAPTURE(good);
        CHECK(is_origin_form(good));
    }
    for (std::string_view bad : {"", "v3", "*", "https://api.mch.weixin.qq.com/v3", "/a b", "/a\r\nX: 1", "/a\n",
                                 "/a\t", "/a\x7f", "/a#f", "/a%", "/a%4", "/a%G0", "/a%0g", "/\"", "/<", "/>", "/{",
                                 "/}", "/|", "/\\", "/^", "/`", "/\xe8\xae\xa2", "/a?b c"}) {
        CAPTURE(bad);
        CHECK_FALSE(is_origin_form(bad));
    }
    CHECK_FALSE(is_origin_form(std::string_view("/a\0b", 4)));
    // Every byte that encode_path_segment produces is allowed after a '/'.
    std::string all;
    for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
    CHECK(is_origin_form("/" + wechatpay::encode_path_segment(all)));
}

TEST_CASE("is_method_token: an RFC 9110 token", "[requests]") {
    using wechatpay::is_method_token;
    for (std::string_view good : {"GET", "POST", "PUT", "PATCH", "DELETE", "M-SEARCH"}) CHECK(is_method_token(good));
    for (std::string_view bad : {"", "GET ", "GET\r\n", "G\nET", "GE(T", "GET/", "P\xc3\x96ST"}) {
        CAPTURE(bad);
        CHECK_FALSE(is_method_token(bad));
    }
}

TEST_CASE("is_api_method: the methods API v3 uses, exactly as written", "[requests]") {
    using wechatpay::is_api_method;
    for (std::string_view good : {"GET", "POST", "PUT", "PATCH", "DELETE"}) CHECK(is_api_method(good));
    for (std::string_view bad : {"", "get", "Post", "HEAD", "M-SEARCH", "FETCH", "GET ", "GET\r\n"}) {
        CAPTURE(bad);
        CHECK_FALSE(is_api_method(bad));
    }
}

TEST_CASE("partner prepay and combine bodies: WeChat's field names, nothing empty", "[requests][partner]") {
    wechatpay::partner_prepay_request p;
    p.order.appid = "wx8888888888888888";
    p.order.mchid = "1230000109";
    p.order.description = "desc";
    p.order.out_trade_no = "ORDER0001";
    p.order.notify_url = "https://example.com/notify";
    p.order.amount.total = 100;
    p.order.payer_openid = "oSp";
    p.sub_mchid = "1900000109";
    p.sub_appid = "wxd678efh567hg6999";
    p.sub_openid = "oSub";
    REQUIRE(p.validate(wechatpay::prepay_kind::jsapi));
    const auto body = boost::json::parse(p.to_json()).as_object();
    CHECK(body.at("sp_appid") == "wx8888888888888888");
    CHECK(body.at("sp_mchid") == "1230000109");
    CHECK(body.at("sub_mchid") == "1900000109");
    CHECK(body.at("payer").at("sp_openid") == "oSp");
    CHECK(body.at("payer").at("sub_openid") == "oSub");
    CHECK_FALSE(body.contains("appid"));
    CHECK_FALSE(body.contains("mchid"));
    CHECK(p.paying_appid() == "wxd678efh567hg6999");  // the payer is named under sub_appid
    p.sub_openid.clear();
    CHECK(p.paying_appid() == "wx8888888888888888");
    p.payment_appid = "wxd678efh567hg6999";
    CHECK(p.paying_appid() == "wxd678efh567hg6999");

    wechatpay::combine_close_request close{"COMBINE0001", "wx8888888888888888",
                                           {{"1230000109", "SUB0000001", "1900000109", ""}}};
    REQUIRE(close.validate());
    CHECK(close.to_json() ==
          R"({"combine_appid":"wx8888888888888888","sub_orders":[{"mchid":"1230000109","out_trade_no":"SUB0000001","sub_mchid":"1900000109"}]})");
}
