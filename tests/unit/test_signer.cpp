// The merchant side: request signatures (Authorization) and the second signature for payments.
#include "checks.hpp"
#include "vectors.hpp"

#include <wechatpay/crypto.hpp>
#include <wechatpay/payment_params.hpp>
#include <wechatpay/signer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

using namespace std::string_view_literals;
using wechatpay::errc;
using wechatpay::signer;
using namespace wechatpay_test;

namespace {

// The docs' example merchant: key doc_test_private_key_pkcs8.pem, mchid from the request body
// and the serial printed in the docs' Authorization example.
constexpr std::string_view doc_mchid = "1900007291";
constexpr std::string_view doc_serial = "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C";

signer doc_signer(wechatpay::clock_function clock = {}, wechatpay::nonce_function nonce = {}) {
    return UNWRAP(signer::create(std::string(doc_mchid), load_private_key(files::doc_private_key),
                                 std::string(doc_serial), std::move(clock), std::move(nonce)));
}

// `SCHEME k1="v1",k2="v2",…` split into the scheme and the parameters.
struct authorization {
    std::string scheme;
    std::map<std::string, std::string> params;
    std::size_t count = 0;  // parameters seen, duplicates included
};

authorization parse_authorization(std::string_view header) {
    authorization a;
    const auto space = header.find(' ');
    a.scheme = std::string(header.substr(0, space));
    if (space == std::string_view::npos) return a;
    auto rest = header.substr(space + 1);
    while (!rest.empty()) {
        const auto eq = rest.find("=\"");
        if (eq == std::string_view::npos) break;
        const auto close = rest.find('"', eq + 2);
        if (close == std::string_view::npos) break;
        a.params[std::string(rest.substr(0, eq))] = std::string(rest.substr(eq + 2, close - eq - 2));
        ++a.count;
        rest = rest.substr(close + 1);
        if (!rest.empty() && rest.front() == ',') rest.remove_prefix(1);
    }
    return a;
}

std::set<std::string> keys_of(const boost::json::object& o) {
    std::set<std::string> keys;
    for (const auto& kv : o) keys.emplace(kv.key());
    return keys;
}

bool is_alphanumeric(std::string_view s) {
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
    return true;
}

}  // namespace

TEST_CASE("request_message builds METHOD, URL, TIMESTAMP, NONCE and BODY lines", "[signer][vectors]") {
    const auto doc = read_json_vector("doc_signature_vectors.json").at("request_sign").as_object();
    CHECK(wechatpay::request_message(json_string(doc, "method"), json_string(doc, "canonical_url"),
                                     std::stoll(json_string(doc, "timestamp")), json_string(doc, "nonce_str"),
                                     json_string(doc, "body")) == json_string(doc, "message"));

    const auto go = read_json_vector("sdk-tests/wechatpay-go/authorization_header_format.json");
    for (const auto& item : go.at("cases").as_array()) {
        const auto& c = item.as_object();
        CAPTURE(json_string(c, "method"));
        CHECK(wechatpay::request_message(json_string(c, "method"), json_string(c, "canonical_url"),
                                         go.at("timestamp").as_int64(), json_string(go, "nonce_str"),
                                         json_string(c, "body")) == json_string(c, "message"));
    }
}

TEST_CASE("docs vector: sign_request gives the documented signature and Authorization", "[signer][vectors]") {
    const auto doc = read_json_vector("doc_signature_vectors.json").at("request_sign").as_object();
    const auto timestamp = std::stoll(json_string(doc, "timestamp"));
    const auto signed_req =
        UNWRAP(doc_signer().sign_request(json_string(doc, "method"), json_string(doc, "canonical_url"),
                                         json_string(doc, "body"), timestamp, json_string(doc, "nonce_str")));

    CHECK(signed_req.signature == json_string(doc, "signature"));
    CHECK(signed_req.timestamp == timestamp);
    CHECK(signed_req.nonce == json_string(doc, "nonce_str"));

    const auto auth = parse_authorization(signed_req.authorization);
    CHECK(auth.scheme == "WECHATPAY2-SHA256-RSA2048");
    CHECK(auth.count == 5);
    CHECK(auth.params == std::map<std::string, std::string>{{"mchid", std::string(doc_mchid)},
                                                            {"nonce_str", json_string(doc, "nonce_str")},
                                                            {"timestamp", json_string(doc, "timestamp")},
                                                            {"serial_no", std::string(doc_serial)},
                                                            {"signature", json_string(doc, "signature")}});
}

TEST_CASE("docs vector: JSAPI and APP payment parameters carry the documented signatures",
          "[signer][vectors]") {
    const auto doc = read_json_vector("doc_signature_vectors.json").at("pay_sign").as_object();
    const auto s = doc_signer();
    const auto timestamp = std::stoll(json_string(doc, "timeStamp"));
    const auto prepay_id = json_string(doc, "prepay_id");

    const auto jsapi = UNWRAP(
        s.jsapi_payment_for(json_string(doc, "appId"), prepay_id, timestamp, json_string(doc, "nonceStr")));
    CHECK(jsapi.appId == json_string(doc, "appId"));
    CHECK(jsapi.timeStamp == json_string(doc, "timeStamp"));
    CHECK(jsapi.nonceStr == json_string(doc, "nonceStr"));
    CHECK(jsapi.package == "prepay_id=" + prepay_id);
    CHECK(jsapi.signType == "RSA");
    CHECK(jsapi.paySign == json_string(doc, "jsapi_paySign"));

    const auto app = UNWRAP(
        s.app_payment_for(json_string(doc, "appId"), prepay_id, timestamp, json_string(doc, "nonceStr")));
    CHECK(app.appid == json_string(doc, "appId"));
    CHECK(app.partnerid == doc_mchid);
    CHECK(app.prepayid == prepay_id);
    CHECK(app.package == "Sign=WXPay");
    CHECK(app.noncestr == json_string(doc, "nonceStr"));
    CHECK(app.timestamp == json_string(doc, "timeStamp"));
    CHECK(app.sign == json_string(doc, "app_sign"));

    // The documented messages are what was signed.
    CHECK(UNWRAP(s.sign(json_string(doc, "jsapi_message"))) == jsapi.paySign);
    CHECK(UNWRAP(s.sign(json_string(doc, "app_message"))) == app.sign);
}

TEST_CASE("wechatpay-go vector: signer::sign(\"source\")", "[signer][vectors]") {
    const auto s = UNWRAP(signer::create("1234567890", load_private_key(files::go_test_key),
                                         load_certificate(files::go_cert_d7ce)));
    const auto expected = read_vector("sdk-tests/wechatpay-go/sign_source_expected_signature.txt");
    const auto signature = UNWRAP(s.sign("source"));
    CHECK(expected.find("\n" + signature + "\n") != std::string::npos);
}

TEST_CASE("Authorization has the parameters of wechatpay-go's header layout", "[signer][vectors]") {
    const auto go = read_json_vector("sdk-tests/wechatpay-go/authorization_header_format.json");
    const auto s = UNWRAP(signer::create(json_string(go, "mchid"), load_private_key(files::go_test_key),
                                         json_string(go, "serial_no")));
    for (const auto& item : go.at("cases").as_array()) {
        const auto& c = item.as_object();
        CAPTURE(json_string(c, "method"));
        const auto signed_req = UNWRAP(
            s.sign_request(json_string(c, "method"), json_string(c, "canonical_url"), json_string(c, "body"),
                           go.at("timestamp").as_int64(), json_string(go, "nonce_str")));
        const auto ours = parse_authorization(signed_req.authorization);
        auto theirs = parse_authorization(json_string(c, "authorization"));
        CHECK(ours.scheme == "WECHATPAY2-SHA256-RSA2048");
        // Same parameters and values; only the (mock) signature differs.
        theirs.params["signature"] = signed_req.signature;
        CHECK(ours.params == theirs.params);
        CHECK(signed_req.signature == UNWRAP(s.sign(json_string(c, "message"))));
    }
}

TEST_CASE("signer::create takes the serial from a certificate of the same key", "[signer]") {
    const auto merchant = UNWRAP(signer::create("1234567891", load_private_key(files::java_merchant_key),
                                                load_certificate(files::java_merchant_cert)));
    CHECK(merchant.serial() == "5F1C72E2A8931B72A2E13AF8DEE92471EB397115");
    CHECK(merchant.mchid() == "1234567891");

    const auto axios_key = load_private_key(files::axios_key);
    CHECK(UNWRAP(signer::create("1", axios_key, load_certificate(files::axios_client_cert))).serial() ==
          "898DBAD30F416EC7");
    CHECK(UNWRAP(signer::create("1", axios_key, load_certificate(files::axios_server_cert))).serial() ==
          "BE2A2344B984167B");

    const auto given = UNWRAP(signer::create("1234567891", load_private_key(files::java_merchant_key),
                                             std::string("5F1C72E2A8931B72A2E13AF8DEE92471EB397115")));
    CHECK(given.serial() == "5F1C72E2A8931B72A2E13AF8DEE92471EB397115");
}

TEST_CASE("key_mismatch: signer::create with a certificate of another key", "[signer][errors]") {
    struct row {
        std::string_view key, cert;
    };
    const row rows[] = {{files::go_mch_key, files::go_cert_d7ce},
                        {files::java_merchant_key, files::java_wechatpay_cert},
                        {files::doc_private_key, files::axios_client_cert}};
    for (const auto& r : rows) {
        CAPTURE(r.key, r.cert);
        const auto s = signer::create("1", load_private_key(r.key), load_certificate(r.cert));
        REQUIRE(errc_of(s) == errc::key_mismatch);
        CHECK(s.error().kind() == wechatpay::error_kind::config);
        CHECK_FALSE(contains_pem_text(s.error().to_string(), read_vector(r.key)));
    }
}

TEST_CASE("default nonces are 32 characters of [0-9A-Za-z], fresh for every request", "[signer]") {
    const auto s = doc_signer();
    std::set<std::string> nonces;
    const auto before = wechatpay::system_unix_time();
    for (int i = 0; i < 50; ++i) {
        const auto r = UNWRAP(s.sign_request("GET", "/v3/certificates", ""));
        CHECK(r.nonce.size() == 32);
        CHECK(is_alphanumeric(r.nonce));
        CHECK(r.timestamp >= before);
        CHECK(r.timestamp <= wechatpay::system_unix_time());
        CHECK(parse_authorization(r.authorization).params.at("nonce_str") == r.nonce);
        nonces.insert(r.nonce);
    }
    CHECK(nonces.size() == 50);

    const auto app1 = UNWRAP(s.app_payment_for("wx1", "prepay1"));
    const auto app2 = UNWRAP(s.app_payment_for("wx1", "prepay1"));
    CHECK(app1.noncestr.size() == 32);
    CHECK(app1.noncestr != app2.noncestr);
    const auto jsapi = UNWRAP(s.jsapi_payment_for("wx1", "prepay1"));
    CHECK(jsapi.nonceStr.size() == 32);
    CHECK(is_alphanumeric(jsapi.nonceStr));
}

TEST_CASE("system_unix_time is the system clock in seconds", "[signer]") {
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    CHECK(wechatpay::system_unix_time() >= now);
    CHECK(wechatpay::system_unix_time() <= now + 2);
}

TEST_CASE("an injected clock and nonce maker are used for every signature", "[signer]") {
    std::atomic<int> calls{0};
    const auto s = doc_signer([] { return std::int64_t{1700000000}; },
                              [&calls] { return "NONCE" + std::to_string(++calls); });

    const auto first = UNWRAP(s.sign_request("POST", "/v3/refund/domestic/refunds", R"({"a":1})"));
    CHECK(first.timestamp == 1700000000);
    CHECK(first.nonce == "NONCE1");
    const auto auth = parse_authorization(first.authorization);
    CHECK(auth.params.at("timestamp") == "1700000000");
    CHECK(auth.params.at("nonce_str") == "NONCE1");
    CHECK(first.signature == UNWRAP(s.sign(wechatpay::request_message("POST", "/v3/refund/domestic/refunds",
                                                                      1700000000, "NONCE1", R"({"a":1})"))));

    const auto second = UNWRAP(s.sign_request("GET", "/v3/certificates", ""));
    CHECK(second.nonce == "NONCE2");

    const auto app = UNWRAP(s.app_payment_for("wx8888888888888888", "WX1217752501201407033233368018"));
    CHECK(app.timestamp == "1700000000");
    CHECK(app.noncestr == "NONCE3");
    CHECK(app.sign ==
          UNWRAP(s.sign("wx8888888888888888\n1700000000\nNONCE3\nWX1217752501201407033233368018\n")));

    const auto jsapi =
        UNWRAP(s.jsapi_payment_for("wx8888888888888888", "wx2017033010242291fcfe0db70013231072"));
    CHECK(jsapi.timeStamp == "1700000000");
    CHECK(jsapi.nonceStr == "NONCE4");
    CHECK(jsapi.paySign ==
          UNWRAP(s.sign(
              "wx8888888888888888\n1700000000\nNONCE4\nprepay_id=wx2017033010242291fcfe0db70013231072\n")));
}

TEST_CASE("payment parameters' to_json holds exactly the front-end fields", "[signer]") {
    const auto s = doc_signer();
    SECTION("APP") {
        const auto app = UNWRAP(s.app_payment_for("wx2421b1c4370ec43b", "wx2014\"quoted", 1554208460,
                                                  "593BEC0C930BF1AFEB40B4A08C8FB242"));
        const auto json = boost::json::parse(wechatpay::to_json(app)).as_object();
        CHECK(keys_of(json) == std::set<std::string>{"appid", "partnerid", "prepayid", "package", "noncestr",
                                                     "timestamp", "sign"});
        CHECK(json_string(json, "appid") == app.appid);
        CHECK(json_string(json, "partnerid") == std::string(doc_mchid));
        CHECK(json_string(json, "prepayid") == "wx2014\"quoted");
        CHECK(json_string(json, "package") == "Sign=WXPay");
        CHECK(json_string(json, "noncestr") == app.noncestr);
        CHECK(json_string(json, "timestamp") == "1554208460");
        CHECK(json_string(json, "sign") == app.sign);
    }
    SECTION("JSAPI") {
        const auto jsapi =
            UNWRAP(s.jsapi_payment_for("wx2421b1c4370ec43b", "wx201410272009395522657a690389285100",
                                       1554208460, "593BEC0C930BF1AFEB40B4A08C8FB242"));
        const auto json = boost::json::parse(wechatpay::to_json(jsapi)).as_object();
        CHECK(keys_of(json) ==
              std::set<std::string>{"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"});
        CHECK(json_string(json, "appId") == "wx2421b1c4370ec43b");
        CHECK(json_string(json, "timeStamp") == "1554208460");
        CHECK(json_string(json, "nonceStr") == "593BEC0C930BF1AFEB40B4A08C8FB242");
        CHECK(json_string(json, "package") == "prepay_id=wx201410272009395522657a690389285100");
        CHECK(json_string(json, "signType") == "RSA");
        CHECK(json_string(json, "paySign") == jsapi.paySign);
    }
}

TEST_CASE("signer signatures verify with the merchant certificate's key", "[signer]") {
    const auto cert = load_certificate(files::java_merchant_cert);
    const auto s = UNWRAP(signer::create("1234567891", load_private_key(files::java_merchant_key), cert));
    for (std::string_view message : {""sv, "message"sv, "多字节 UTF-8 ✓\n"sv, "a\0b"sv}) {
        const auto signature = UNWRAP(wechatpay::base64_decode(UNWRAP(s.sign(message))));
        CHECK(cert.key().verify_sha256(message, signature));
    }
}

TEST_CASE("sign_request refuses a method or URL that is not one line of HTTP, before signing", "[signer][errors]") {
    const auto s = doc_signer();
    CHECK(s.sign_request("GET", "/v3/certificates", "", 1554208460, "N"));
    // A line break in either would make the signed message ambiguous and put other bytes on the
    // wire than those signed.
    for (const auto& [method, url] : std::initializer_list<std::pair<std::string_view, std::string_view>>{
             {"GET\n/v3/x", "/v3/certificates"}, {"GET /v3/x", "/v3/certificates"}, {"", "/v3/certificates"},
             {"GET", "/v3/certificates\n1554208460"}, {"GET", "/v3/certificates\r\nX-Injected: 1"},
             {"GET", "/v3/a b"}, {"GET", "/v3/a#f"}, {"GET", "/v3/\xe8\xae\xa2"}, {"GET", "v3/certificates"}, {"GET", ""}}) {
        CAPTURE(method, url);
        const auto r = s.sign_request(method, url, "", 1554208460, "N");
        REQUIRE(errc_of(r) == errc::invalid_argument);
        CHECK(r.error().detail.find('\n') == std::string::npos);
    }
    for (std::string_view nonce : {"", "a\nb", "a\"b", "a\\b", "a\rb"}) {
        CAPTURE(nonce);
        CHECK(errc_of(s.sign_request("GET", "/v3/certificates", "", 1554208460, nonce)) == errc::invalid_argument);
    }
}

TEST_CASE("payment parameters refuse fields that would add lines to the signed message", "[signer][errors]") {
    const auto s = doc_signer();
    const std::string_view appid = "wx8888888888888888", prepay = "wx201410272009395522657a690389285100", nonce = "N";
    CHECK(s.app_payment_for(appid, prepay, 1554208460, nonce));
    CHECK(s.jsapi_payment_for(appid, prepay, 1554208460, nonce));
    // "appid\nts\nnonce\nprepay\n": a prepay_id "X\nY" would sign what another split of the
    // fields also reads as.
    for (const auto& [a, p, n] : std::initializer_list<std::tuple<std::string_view, std::string_view, std::string_view>>{
             {"wx88\n1554208460", prepay, nonce}, {appid, "wx2014\nextra", nonce}, {appid, prepay, "N\nX"},
             {appid, "wx2014\r", nonce}, {appid, prepay, std::string_view("N\0", 2)}, {"", prepay, nonce},
             {appid, "", nonce}, {appid, prepay, ""}}) {
        CAPTURE(a, p, n);
        CHECK(errc_of(s.app_payment_for(a, p, 1554208460, n)) == errc::invalid_argument);
        CHECK(errc_of(s.jsapi_payment_for(a, p, 1554208460, n)) == errc::invalid_argument);
    }
}
