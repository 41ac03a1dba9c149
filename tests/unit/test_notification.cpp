// Notifications end to end: built and signed here as WeChat Pay would (fake_wechatpay), then
// verified, decrypted and typed by notification_handler; and the real wechatpay-go vector.
#include "checks.hpp"
#include "fake_wechatpay.hpp"
#include "vectors.hpp"

#include <wechatpay/crypto.hpp>
#include <wechatpay/notification.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

using wechatpay::errc;
using wechatpay::notification_handler;
using wechatpay::signature_headers;
using namespace wechatpay_test;

namespace {

constexpr std::int64_t t0 = 1700000000;

constexpr std::string_view transaction_json =
    R"({"mchid":"1230000109","appid":"wxd678efh567hg6787","out_trade_no":"1217752501201407033233368018",)"
    R"("transaction_id":"4200000000000000000000000001","trade_type":"JSAPI","trade_state":"SUCCESS",)"
    R"("trade_state_desc":"支付成功","bank_type":"CMC","attach":"order-7","success_time":"2018-06-08T10:34:56+08:00",)"
    R"("payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},)"
    R"("amount":{"total":100,"payer_total":90,"currency":"CNY","payer_currency":"CNY"},)"
    R"("scene_info":{"device_id":"013467007045764"},)"
    R"("promotion_detail":[{"coupon_id":"109519","name":"单品惠-6","scope":"SINGLE","type":"CASH","amount":10,)"
    R"("stock_id":"931386","wechatpay_contribute":0,"merchant_contribute":10,"other_contribute":0,"currency":"CNY",)"
    R"("goods_detail":[{"goods_id":"M1006","quantity":1,"unit_price":100,"discount_amount":10,"goods_remark":"备注"}]}]})";

constexpr std::string_view refund_json =
    R"({"mchid":"1900000100","transaction_id":"1008450740201411110005820873","out_trade_no":"20150806125346",)"
    R"("refund_id":"50200207182018070300011301001","out_refund_no":"7752501201407033233368018",)"
    R"("refund_status":"SUCCESS","success_time":"2018-06-08T10:34:56+08:00",)"
    R"("user_received_account":"招商银行信用卡0403",)"
    R"("amount":{"total":999,"refund":999,"payer_total":999,"payer_refund":999}})";

wechatpay::apiv3_key test_key() {
    return UNWRAP(wechatpay::apiv3_key::from(test_apiv3_key));
}

// The parts of a notification; body() encrypts the resource with `key` and lays out the JSON.
struct notification_parts {
    std::string id = "EV-2018022511223320873";
    std::string create_time = "2015-05-20T13:29:35+08:00";
    std::string event_type = "TRANSACTION.SUCCESS";
    std::string summary = "支付成功";
    std::string original_type = "transaction";
    std::string algorithm = "AEAD_AES_256_GCM";
    std::string associated_data = "transaction";
    std::string nonce = "fdasflkja484";
    std::string resource = std::string(transaction_json);

    boost::json::object json(const wechatpay::apiv3_key& key) const {
        boost::json::object res{
            {"original_type", original_type},
            {"algorithm", algorithm},
            {"ciphertext", UNWRAP(wechatpay::aead_encrypt(key, nonce, associated_data, resource))},
            {"associated_data", associated_data},
            {"nonce", nonce}};
        return {{"id", id},
                {"create_time", create_time},
                {"resource_type", "encrypt-resource"},
                {"event_type", event_type},
                {"summary", summary},
                {"resource", res}};
    }
    std::string body(const wechatpay::apiv3_key& key = test_key()) const {
        return boost::json::serialize(json(key));
    }
};

struct signed_body {
    signature_headers headers;
    std::string body;
};

// `body` signed by the fake WeChat Pay at t0, naming its certificate (or `serial`).
signed_body sign(std::string body, std::string_view serial = platform_serial) {
    auto headers = fake_wechatpay::instance().sign(body, t0, "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", serial);
    return {std::move(headers), std::move(body)};
}

notification_handler make_handler(const wechatpay::apiv3_key& key = test_key()) {
    return notification_handler(fake_wechatpay::instance().certificate_verifier(), key);
}

errc parse_errc(const signed_body& n) {
    return errc_of(make_handler().parse_at(n.headers, n.body, t0));
}

namespace asio = boost::asio;
using effect_result = asio::awaitable<wechatpay::result<void>>;

// Log lines a handler's logger heard.
struct log_lines {
    std::vector<std::string> lines;
    wechatpay::logger_function logger() {
        return [this](wechatpay::log_level level, std::string_view message, std::string_view) {
            lines.push_back(std::string(wechatpay::to_string(level)) + " " + std::string(message));
        };
    }
};

// A receiver whose clock reads `now`, with its own store and logger.
notification_handler receiver_at(const std::int64_t& now, log_lines* log = nullptr,
                                 const wechatpay::apiv3_key& key = test_key(),
                                 std::shared_ptr<wechatpay::notification_dedup> store = nullptr) {
    return notification_handler(fake_wechatpay::instance().certificate_verifier([&now] { return now; }), key,
                                store ? std::move(store) : std::make_shared<wechatpay::memory_dedup>(),
                                log ? log->logger() : wechatpay::logger_function{});
}

// One delivery through async_handle, run to its answer on an io_context of this thread.
wechatpay::notification_reply deliver(const notification_handler& h, const signed_body& n,
                                      wechatpay::notification_effect effect) {
    asio::io_context ioc;
    auto answer = asio::co_spawn(ioc, h.async_handle(n.headers, n.body, std::move(effect)), asio::use_future);
    ioc.run();
    return answer.get();
}

}  // namespace

TEST_CASE("a signed TRANSACTION.SUCCESS notification is verified, decrypted and typed", "[notification]") {
    const notification_parts parts;
    const auto n = sign(parts.body());
    const auto parsed = UNWRAP(make_handler().parse_at(n.headers, n.body, t0 + 5));

    CHECK(parsed.id == parts.id);
    CHECK(parsed.create_time == parts.create_time);
    CHECK(parsed.event_type == "TRANSACTION.SUCCESS");
    CHECK(parsed.summary == "支付成功");
    CHECK(parsed.resource_type == "encrypt-resource");
    CHECK(parsed.original_type == "transaction");
    CHECK(parsed.resource == transaction_json);
    CHECK(parsed.request_id == n.headers.request_id);
    CHECK(parsed.is_transaction());
    CHECK_FALSE(parsed.is_refund());

    const auto t = UNWRAP(parsed.transaction());
    CHECK(t.mchid == "1230000109");
    CHECK(t.appid == "wxd678efh567hg6787");
    CHECK(t.out_trade_no == "1217752501201407033233368018");
    CHECK(t.transaction_id == "4200000000000000000000000001");
    CHECK(t.trade_type == "JSAPI");
    CHECK(t.trade_state == "SUCCESS");
    CHECK(t.trade_state_desc == "支付成功");
    CHECK(t.bank_type == "CMC");
    CHECK(t.attach == "order-7");
    CHECK(t.success_time == "2018-06-08T10:34:56+08:00");
    CHECK(t.payer_openid == "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o");
    REQUIRE(t.amount.has_value());
    CHECK(t.amount->total == 100);
    CHECK(t.amount->payer_total == 90);
    CHECK(t.amount->currency == "CNY");
    CHECK(t.amount->payer_currency == "CNY");
    CHECK(t.device_id == "013467007045764");
    REQUIRE(t.promotion_detail.size() == 1);
    CHECK(t.promotion_detail[0].coupon_id == "109519");
    CHECK(t.promotion_detail[0].merchant_contribute == 10);
    REQUIRE(t.promotion_detail[0].goods_detail.size() == 1);
    CHECK(t.promotion_detail[0].goods_detail[0].goods_id == "M1006");
    CHECK(t.raw == transaction_json);
}

TEST_CASE("a REFUND.SUCCESS notification gives a typed refund", "[notification]") {
    notification_parts parts;
    parts.event_type = "REFUND.SUCCESS";
    parts.summary = "退款成功";
    parts.original_type = "refund";
    parts.associated_data = "refund";
    parts.resource = std::string(refund_json);
    const auto n = sign(parts.body());
    const auto parsed = UNWRAP(make_handler().parse_at(n.headers, n.body, t0));

    CHECK(parsed.is_refund());
    CHECK_FALSE(parsed.is_transaction());
    CHECK(parsed.event_type == "REFUND.SUCCESS");
    const auto r = UNWRAP(parsed.refund());
    CHECK(r.mchid == "1900000100");
    CHECK(r.transaction_id == "1008450740201411110005820873");
    CHECK(r.out_trade_no == "20150806125346");
    CHECK(r.refund_id == "50200207182018070300011301001");
    CHECK(r.out_refund_no == "7752501201407033233368018");
    CHECK(r.refund_status == "SUCCESS");
    CHECK(r.status.empty());
    CHECK(r.success_time == "2018-06-08T10:34:56+08:00");
    CHECK(r.user_received_account == "招商银行信用卡0403");
    REQUIRE(r.amount.has_value());
    CHECK(r.amount->total == 999);
    CHECK(r.amount->refund == 999);
    CHECK(r.amount->payer_total == 999);
    CHECK(r.amount->payer_refund == 999);
    CHECK_FALSE(r.amount->settlement_refund.has_value());
}

TEST_CASE("public key mode: a notification naming PUB_KEY_ID_… is verified with that key", "[notification]") {
    const auto n = sign(notification_parts{}.body(), platform_public_key_id);
    const notification_handler handler(fake_wechatpay::instance().public_key_verifier(), test_key());
    const auto parsed = UNWRAP(handler.parse_at(n.headers, n.body, t0));
    CHECK(parsed.resource == transaction_json);
    // The certificate-only handler does not know that id.
    CHECK(parse_errc(n) == errc::unknown_serial);
}

TEST_CASE("parse() checks the time window against the verifier's clock", "[notification]") {
    const auto n = sign(notification_parts{}.body());
    std::int64_t now = t0 + 300;
    const notification_handler handler(
        fake_wechatpay::instance().certificate_verifier([&now] { return now; }), test_key());
    CHECK(outcome(handler.parse(n.headers, n.body)) == "ok");
    now = t0 + 301;
    CHECK(errc_of(handler.parse(n.headers, n.body)) == errc::stale_timestamp);
}

TEST_CASE("body_too_large: over 64 KiB is refused first; exactly 64 KiB is accepted",
          "[notification][errors]") {
    const auto body = notification_parts{}.body();
    REQUIRE(body.size() < wechatpay::max_notification_body);
    CHECK(wechatpay::max_notification_body == 64 * 1024);

    // JSON allows trailing whitespace: pad a valid notification to the limit.
    const auto at_limit = sign(body + std::string(wechatpay::max_notification_body - body.size(), ' '));
    REQUIRE(at_limit.body.size() == 64 * 1024);
    CHECK(outcome(make_handler().parse_at(at_limit.headers, at_limit.body, t0)) == "ok");

    const auto over = sign(at_limit.body + " ");
    const auto r = make_handler().parse_at(over.headers, over.body, t0);
    REQUIRE(errc_of(r) == errc::body_too_large);
    CHECK(r.error().kind() == wechatpay::error_kind::protocol);
    // Checked before the signature: no headers at all still gives body_too_large.
    CHECK(errc_of(make_handler().parse_at(signature_headers{}, over.body, t0)) == errc::body_too_large);
}

TEST_CASE("signature failures are the verifier's errors", "[notification][errors]") {
    const auto n = sign(notification_parts{}.body());
    CHECK(errc_of(make_handler().parse_at(n.headers, n.body + " ", t0)) == errc::bad_signature);
    CHECK(errc_of(make_handler().parse_at(n.headers, n.body, t0 + 301)) == errc::stale_timestamp);
    CHECK(errc_of(make_handler().parse_at(signature_headers{}, n.body, t0)) == errc::missing_header);

    auto probe = n.headers;
    probe.signature = "WECHATPAY/SIGNTEST/" + probe.signature;
    CHECK(errc_of(make_handler().parse_at(probe, n.body, t0)) == errc::probe_signature);

    // The real probe headers of signtest_probe_notification_headers.json.
    const auto v = read_json_vector("signtest_probe_notification_headers.json");
    const auto real_probe = headers_from_json(v.at("headers").as_object());
    CHECK(errc_of(make_handler().parse_at(real_probe, json_string(v, "body_prefix"), 1733109540)) ==
          errc::probe_signature);
}

TEST_CASE("malformed_json: a signed body that is not a notification envelope", "[notification][errors]") {
    const auto good = notification_parts{}.json(test_key());
    const auto without = [&](std::string_view field) {
        auto resource = good.at("resource").as_object();
        resource.erase(field);
        auto envelope = good;
        envelope["resource"] = resource;
        return boost::json::serialize(envelope);
    };
    const auto with_resource = [&](boost::json::value resource) {
        auto envelope = good;
        envelope["resource"] = std::move(resource);
        return boost::json::serialize(envelope);
    };
    auto numeric_ciphertext = good.at("resource").as_object();
    numeric_ciphertext["ciphertext"] = 12345;
    auto no_resource = good;
    no_resource.erase("resource");

    const std::string bodies[] = {
        "not json",
        "",
        "[]",
        "{",
        boost::json::serialize(good) + "}",
        boost::json::serialize(no_resource),
        with_resource("encrypted"),
        with_resource(nullptr),
        without("ciphertext"),
        without("nonce"),
        boost::json::serialize(boost::json::object{{"resource", numeric_ciphertext}}),
    };
    for (const auto& body : bodies) {
        CAPTURE(body);
        const auto r = make_handler().parse_at(sign(body).headers, body, t0);
        REQUIRE(errc_of(r) == errc::malformed_json);
        CHECK(r.error().kind() == wechatpay::error_kind::protocol);
    }
}

TEST_CASE("unsupported_algorithm: a resource not in AEAD_AES_256_GCM", "[notification][errors]") {
    for (std::string_view algorithm : {"AEAD_AES_128_GCM", "AES_256_GCM", "aead_aes_256_gcm", "SM4_GCM"}) {
        CAPTURE(algorithm);
        notification_parts parts;
        parts.algorithm = std::string(algorithm);
        const auto n = sign(parts.body());
        const auto r = make_handler().parse_at(n.headers, n.body, t0);
        REQUIRE(errc_of(r) == errc::unsupported_algorithm);
        CHECK(r.error().kind() == wechatpay::error_kind::protocol);
    }
}

TEST_CASE("decrypt_failed: a well-signed resource that does not decrypt", "[notification][errors]") {
    SECTION("encrypted with another APIv3 key") {
        const auto other = UNWRAP(wechatpay::apiv3_key::from("ZYXWVUTSRQPONMLKJIHGFEDCBA987654"));
        CHECK(parse_errc(sign(notification_parts{}.body(other))) == errc::decrypt_failed);
    }
    SECTION("associated data or nonce changed after encryption") {
        auto json = notification_parts{}.json(test_key());
        json["resource"].as_object()["associated_data"] = "refund";
        CHECK(parse_errc(sign(boost::json::serialize(json))) == errc::decrypt_failed);
        json = notification_parts{}.json(test_key());
        json["resource"].as_object()["nonce"] = "fdasflkja485";
        CHECK(parse_errc(sign(boost::json::serialize(json))) == errc::decrypt_failed);
    }
    SECTION("ciphertext tampered") {
        auto json = notification_parts{}.json(test_key());
        auto& ciphertext = json["resource"].as_object()["ciphertext"];
        auto bytes = UNWRAP(wechatpay::base64_decode(ciphertext.as_string()));
        bytes[3] = static_cast<char>(bytes[3] ^ 0x04);
        ciphertext = wechatpay::base64_encode(bytes);
        CHECK(parse_errc(sign(boost::json::serialize(json))) == errc::decrypt_failed);
    }
    SECTION("the real wechatpay-go notification with a 32-byte key it was not made for") {
        const auto v = read_json_vector("sdk-tests/wechatpay-go/notify_payscore.json");
        const notification_handler handler(wechatpay::verifier({load_certificate(files::go_cert_d7ce)}),
                                           test_key());
        const auto r = handler.parse_at(headers_from_json(v.at("headers").as_object()),
                                        json_string(v, "body"), v.at("now_unix").as_int64());
        REQUIRE(errc_of(r) == errc::decrypt_failed);
        CHECK(r.error().kind() == wechatpay::error_kind::security);
        CHECK(r.error().to_string().find(test_apiv3_key) == std::string::npos);
    }
}

TEST_CASE("malformed_json: a well-signed resource whose nonce or ciphertext AES-GCM cannot take",
          "[notification][errors]") {
    // Authentic (the signature holds) but unusable: a protocol error naming the field, never
    // internal (OpenSSL refusing a 129-byte IV) nor decrypt_failed (which blames key or tampering).
    auto with = [](std::string_view field, std::string value) {
        auto json = notification_parts{}.json(test_key());
        json["resource"].as_object()[field] = std::move(value);
        return boost::json::serialize(json);
    };
    auto cut = notification_parts{}.json(test_key());
    const auto sealed = UNWRAP(wechatpay::base64_decode(cut["resource"].as_object()["ciphertext"].as_string()));
    const std::string bodies[] = {
        with("nonce", std::string(129, 'n')),
        with("nonce", std::string(4096, 'n')),
        with("nonce", "fdasflkja4841"),
        with("nonce", "fdasflkja48"),
        with("ciphertext", wechatpay::base64_encode(sealed.substr(0, 15))),
    };
    for (const auto& body : bodies) {
        CAPTURE(body);
        const auto r = make_handler().parse_at(sign(body).headers, body, t0);
        INFO((r ? std::string("accepted") : r.error().to_string()));
        REQUIRE(errc_of(r) == errc::malformed_json);
        CHECK(r.error().kind() == wechatpay::error_kind::protocol);
        CHECK(r.error().detail.starts_with("/resource: AE"));
        bool ran = false;
        const std::int64_t now = t0;
        const auto reply = deliver(receiver_at(now), sign(body), [&](const wechatpay::notification&) -> effect_result {
            ran = true;
            co_return wechatpay::result<void>();
        });
        CHECK(reply.status == 500);
        REQUIRE(reply.reason);
        CHECK(reply.reason->is(errc::malformed_json));
        CHECK_FALSE(ran);
    }
}

TEST_CASE("a resource ciphertext that is not base64 is a protocol error", "[notification][errors]") {
    auto json = notification_parts{}.json(test_key());
    json["resource"].as_object()["ciphertext"] = "not base64!";
    const auto e = parse_errc(sign(boost::json::serialize(json)));
    CAPTURE(e);
    CHECK(is_one_of(e, {errc::malformed_base64, errc::malformed_json}));
}

TEST_CASE("wechatpay-go notify_payscore: verified at its time, resource decrypts with its 16-byte key",
          "[notification][vectors]") {
    const auto v = read_json_vector("sdk-tests/wechatpay-go/notify_payscore.json");
    const auto headers = headers_from_json(v.at("headers").as_object());
    const auto body = json_string(v, "body");
    const wechatpay::verifier trusted({load_certificate(files::go_cert_d7ce)});
    CHECK(outcome(trusted.verify_at(headers, body, v.at("now_unix").as_int64())) == "ok");

    const auto envelope = boost::json::parse(body).as_object();
    const auto& resource = envelope.at("resource").as_object();
    const auto plaintext = UNWRAP(wechatpay::aes_gcm_decrypt(
        json_string(v, "apiv3_key"), json_string(resource, "nonce"), json_string(resource, "associated_data"),
        json_string(resource, "ciphertext")));
    CHECK(plaintext == json_string(v, "expected_plaintext"));

    // wechatpay-java's notification test carries the same resource.
    const auto java = read_json_vector("sdk-tests/wechatpay-java/wechat_pay_notification.json");
    CHECK(java.at("resource") == envelope.at("resource"));
}

TEST_CASE("reply_success is 204 without a body; reply_failure a 500 with FAIL JSON", "[notification]") {
    const auto success = wechatpay::reply_success();
    CHECK(success.status == 204);
    CHECK(success.body.empty());
    CHECK(success.content_type.empty());

    const auto failure = wechatpay::reply_failure();
    CHECK(failure.status == 500);
    CHECK(failure.content_type.find("application/json") == 0);
    const auto json = boost::json::parse(failure.body).as_object();
    CHECK(json_string(json, "code") == "FAIL");
    CHECK(json.contains("message"));

    const std::string message = "验签失败 \"quoted\"\n\\";
    const auto custom = wechatpay::reply_failure(message);
    CHECK(custom.status == 500);
    const auto custom_json = boost::json::parse(custom.body).as_object();
    CHECK(json_string(custom_json, "code") == "FAIL");
    CHECK(json_string(custom_json, "message") == message);
}

// ---- exactly one business effect (notification_dedup) ------------------------------------

TEST_CASE("async_handle(): WeChat's redeliveries of one notification cause exactly one effect", "[notification][dedup]") {
    std::int64_t now = t0;
    const auto handler = receiver_at(now);
    const auto n = sign(notification_parts{}.body());
    int effects = 0;
    int failures_left = 3;
    std::vector<std::string> handled;
    const wechatpay::notification_effect effect = [&](const wechatpay::notification& got) -> effect_result {
        if (failures_left > 0) {
            --failures_left;
            co_return wechatpay::error(errc::invalid_argument, "database unavailable");
        }
        ++effects;
        handled.push_back(got.id);
        co_return wechatpay::result<void>();
    };
    // The merchant's effect fails three times: each answer is a failure naming the effect's
    // error, and the id is released, so WeChat's retry runs the effect again.
    for (int i = 0; i < 3; ++i) {
        now = t0 + i;
        const auto reply = deliver(handler, n, effect);
        CHECK(reply.status == 500);
        REQUIRE(reply.reason);
        CHECK(reply.reason->is(errc::invalid_argument));
        CHECK(reply.reason->detail.find("database unavailable") != std::string::npos);
        CHECK(reply.reason->detail.find("EV-2018022511223320873") != std::string::npos);
    }
    CHECK(effects == 0);
    // Then it succeeds once; every later delivery (even after the 204) is acknowledged only.
    now = t0 + 3;
    const auto success = deliver(handler, n, effect);
    CHECK(success.status == 204);
    CHECK_FALSE(success.reason);
    for (int i = 0; i < 5; ++i) {
        now = t0 + 4 + i;
        CHECK(deliver(handler, n, effect).status == 204);
    }
    CHECK(effects == 1);
    // A copy of the handler shares the memory; another notification id is handled on its own.
    now = t0;
    const auto copy = handler;
    CHECK(deliver(copy, n, effect).status == 204);
    notification_parts other;
    other.id = "EV-2018022511223320874";
    CHECK(deliver(copy, sign(other.body()), effect).status == 204);
    CHECK(handled == std::vector<std::string>{"EV-2018022511223320873", "EV-2018022511223320874"});
}

TEST_CASE("async_handle(): a refused notification says why, to the logger and in the reply, never a secret",
          "[notification][dedup]") {
    std::int64_t now = t0;
    log_lines log;
    const auto handler = receiver_at(now, &log);
    const auto n = sign(notification_parts{}.body());
    int effects = 0;
    const wechatpay::notification_effect effect = [&](const wechatpay::notification&) -> effect_result {
        ++effects;
        co_return wechatpay::result<void>();
    };
    const std::string wrong_key_hex = "ffffffffffffffffffffffffffffffff";
    const auto wrong_key = UNWRAP(wechatpay::apiv3_key::from(wrong_key_hex));
    log_lines wrong_key_log;

    struct refusal {
        const char* what;
        std::function<wechatpay::notification_reply()> run;
        errc expected;
        std::string log_words;
    };
    auto probe = n;
    probe.headers.signature = "WECHATPAY/SIGNTEST/" + probe.headers.signature;
    notification_parts not_json;
    not_json.resource = "paid, but not JSON";
    const refusal refusals[] = {
        {"tampered", [&] { return deliver(handler, {n.headers, n.body + " "}, effect); }, errc::bad_signature,
         "signature verification failed"},
        {"unknown serial", [&] { return deliver(handler, sign(n.body, "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"), effect); },
         errc::unknown_serial, "unknown WeChat Pay serial"},
        {"a replay outside 300 s",
         [&] {
             now = t0 + 301;
             auto r = deliver(handler, n, effect);
             now = t0;
             return r;
         },
         errc::stale_timestamp, "timestamp outside the 300 s window"},
        {"probe", [&] { return deliver(handler, probe, effect); }, errc::probe_signature, "probe signature"},
        {"wrong APIv3 key", [&] { return deliver(receiver_at(now, &wrong_key_log, wrong_key), n, effect); },
         errc::decrypt_failed, "decryption failed"},
        {"resource not JSON", [&] { return deliver(handler, sign(not_json.body()), effect); }, errc::malformed_json,
         "not a JSON object"},
    };
    for (const auto& r : refusals) {
        CAPTURE(r.what);
        log.lines.clear();
        wrong_key_log.lines.clear();
        const auto reply = r.run();
        CHECK(reply.status == 500);
        REQUIRE(reply.reason);
        CHECK(reply.reason->is(r.expected));
        // WeChat hears the kind of failure; the merchant's log hears all of it.
        const auto body = boost::json::parse(reply.body).as_object();
        CHECK(json_string(body, "code") == "FAIL");
        CHECK(json_string(body, "message") == reply.reason->code.message());
        auto lines = log.lines;
        lines.insert(lines.end(), wrong_key_log.lines.begin(), wrong_key_log.lines.end());
        REQUIRE(lines.size() == 1);
        CHECK(lines[0].starts_with("warning notification refused: "));
        CHECK(lines[0].find(r.log_words) != std::string::npos);
        // Never a secret: neither key, nor anything of the decrypted resource.
        for (const std::string& text : {lines[0], reply.body, reply.reason->to_string()}) {
            CHECK(text.find(wrong_key_hex) == std::string::npos);
            CHECK(text.find(std::string(test_apiv3_key)) == std::string::npos);
            CHECK(text.find("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o") == std::string::npos);
            CHECK(text.find("1217752501201407033233368018") == std::string::npos);
            CHECK(text.find("paid, but not JSON") == std::string::npos);
        }
    }
    CHECK(effects == 0);
    // None of them was remembered: the genuine delivery is handled.
    CHECK(deliver(handler, n, effect).status == 204);
    CHECK(effects == 1);
}

TEST_CASE("async_handle(): an effect that throws is a 500 with its reason, the id released, nothing escaping",
          "[notification][dedup]") {
    const std::int64_t now = t0;
    log_lines log;
    auto store = std::make_shared<wechatpay::memory_dedup>();
    const auto handler = receiver_at(now, &log, test_key(), store);
    const auto n = sign(notification_parts{}.body());
    int effects = 0;
    enum class how { before_awaiting, while_awaited, wechatpay_error, none } mode = how::before_awaiting;
    // The std::function itself throws (before any awaitable exists), or the coroutine throws
    // once awaited, after a suspension of its own.
    const wechatpay::notification_effect effect = [&](const wechatpay::notification&) -> effect_result {
        if (mode == how::before_awaiting) throw std::runtime_error("crash in the merchant's code");
        return [](how m, int& count) -> effect_result {
            const auto ex = co_await asio::this_coro::executor;
            co_await asio::post(ex, asio::use_awaitable);
            if (m == how::while_awaited) throw std::logic_error("crash after a database call");
            if (m == how::wechatpay_error) throw wechatpay::exception(wechatpay::error(errc::invalid_argument, "bad row"));
            ++count;
            co_return wechatpay::result<void>();
        }(mode, effects);
    };
    for (const auto& [m, expected, text] :
         {std::tuple{how::before_awaiting, errc::callback_exception, "the business effect threw \"crash in the merchant's code\""},
          std::tuple{how::while_awaited, errc::callback_exception, "the business effect threw \"crash after a database call\""},
          std::tuple{how::wechatpay_error, errc::invalid_argument, "the business effect: bad row"}}) {
        mode = m;
        CAPTURE(text);
        const auto reply = deliver(handler, n, effect);  // the awaitable form
        CHECK(reply.status == 500);
        CHECK(reply.content_type == "application/json");
        REQUIRE(reply.reason);
        CHECK(reply.reason->is(expected));
        CHECK(reply.reason->detail.find(text) != std::string::npos);
        CHECK(reply.reason->detail.find("EV-2018022511223320873") != std::string::npos);
        CHECK(store->size() == 0);  // released
    }
    CHECK(std::count_if(log.lines.begin(), log.lines.end(),
                        [](const std::string& l) { return l.find("the business effect threw") != std::string::npos; }) == 2);
    // The callback form: the reply reaches the callback, nothing reaches run().
    mode = how::while_awaited;
    asio::io_context ioc;
    std::optional<wechatpay::notification_reply> got;
    handler.async_handle(n.headers, n.body, effect, asio::bind_executor(ioc, [&](wechatpay::notification_reply r) {
                             got = std::move(r);
                         }));
    CHECK_NOTHROW(ioc.run());
    REQUIRE(got);
    CHECK(got->status == 500);
    CHECK(got->reason);
    // The next delivery runs the effect.
    mode = how::none;
    CHECK(deliver(handler, n, effect).status == 204);
    CHECK(effects == 1);
}

TEST_CASE("a notification_reply made without reply_success() acknowledges nothing", "[notification]") {
    const wechatpay::notification_reply reply;
    CHECK(reply.status == 500);
    const auto failure = wechatpay::reply_failure();
    CHECK(reply.body == failure.body);
    CHECK(reply.content_type == failure.content_type);
    CHECK_FALSE(reply.reason);
}

namespace {

// A store a network away, as far as the handler can tell: the in-memory store behind it, each
// answer given later (queued) and failing while `down` is set (say Redis cannot be reached).
class remote_store final : public wechatpay::notification_dedup {
public:
    bool down = false;
    bool complete_down = false;
    std::vector<std::function<void()>> pending;  // answers not given yet
    wechatpay::memory_dedup memory;

    void answer_all() {
        while (!pending.empty()) {
            auto next = std::move(pending.front());
            pending.erase(pending.begin());
            next();
        }
    }
    void async_claim(std::string id, claim_handler h) override {
        auto answer = [this, id = std::move(id), h = std::make_shared<claim_handler>(std::move(h))]() mutable {
            if (down) std::move(*h)(wechatpay::error(boost::asio::error::connection_refused, "redis 127.0.0.1:6379"));
            else std::move(*h)(memory.try_claim(id));
        };
        pending.push_back(std::move(answer));
    }
    void async_complete(std::string id, done_handler h) override {
        if (complete_down) return std::move(h)(wechatpay::error(boost::asio::error::timed_out, "redis SET"));
        memory.complete(id);
        std::move(h)(wechatpay::result<void>());
    }
    void async_release(std::string id, done_handler h) override {
        memory.release(id);
        std::move(h)(wechatpay::result<void>());
    }
};

}  // namespace

TEST_CASE("async_handle(): a store that cannot answer: failure with its reason, nothing marked, the next delivery runs",
          "[notification][dedup]") {
    const std::int64_t now = t0;
    log_lines log;
    auto store = std::make_shared<remote_store>();
    const auto handler = receiver_at(now, &log, test_key(), store);
    const auto n = sign(notification_parts{}.body());
    int effects = 0;
    const wechatpay::notification_effect effect = [&](const wechatpay::notification&) -> effect_result {
        ++effects;
        co_return wechatpay::result<void>();
    };
    // The claim's answer comes later, from outside the receiver: the io_context waits for it.
    asio::io_context ioc;
    auto first = asio::co_spawn(ioc, handler.async_handle(n.headers, n.body, effect), asio::use_future);
    ioc.poll();
    CHECK(first.wait_for(std::chrono::seconds(0)) == std::future_status::timeout);
    REQUIRE(store->pending.size() == 1);
    store->down = true;
    store->answer_all();
    ioc.run();
    const auto refused = first.get();
    CHECK(refused.status == 500);
    REQUIRE(refused.reason);
    CHECK(refused.reason->code == boost::asio::error::connection_refused);
    CHECK(refused.reason->detail.find("the store could not claim it") != std::string::npos);
    CHECK(effects == 0);
    REQUIRE(log.lines.size() == 1);
    CHECK(log.lines[0].starts_with("error notification refused: "));
    CHECK(store->memory.size() == 0);  // not marked in progress, let alone done

    // The store is back: the redelivery runs the effect.
    store->down = false;
    asio::io_context again;
    auto second = asio::co_spawn(again, handler.async_handle(n.headers, n.body, effect), asio::use_future);
    again.poll();
    store->answer_all();
    again.run();
    CHECK(second.get().status == 204);
    CHECK(effects == 1);
    CHECK(store->memory.try_claim("EV-2018022511223320873") ==
          wechatpay::notification_dedup::claim::done);

    // A store that cannot record a completed effect: the effect happened, so WeChat is told so
    // (a failure would make it run twice), and the merchant's log hears it.
    notification_parts other;
    other.id = "EV-STORE-COMPLETE";
    store->complete_down = true;
    log.lines.clear();
    const auto m = sign(other.body());
    asio::io_context third;
    auto done = asio::co_spawn(third, handler.async_handle(m.headers, m.body, effect), asio::use_future);
    third.poll();
    store->answer_all();
    third.run();
    CHECK(done.get().status == 204);
    CHECK(effects == 2);
    REQUIRE(log.lines.size() == 1);
    CHECK(log.lines[0].find("EV-STORE-COMPLETE: handled, but the store could not mark it done") != std::string::npos);
}

TEST_CASE("async_handle(): a second delivery while the first is being handled is refused as in progress",
          "[notification][dedup]") {
    const std::int64_t now = t0;
    const auto handler = receiver_at(now);
    const auto n = sign(notification_parts{}.body());
    asio::io_context ioc;
    asio::steady_timer gate(ioc, asio::steady_timer::time_point::max());
    int effects = 0;
    // The first effect waits (a slow database) until the second delivery has been answered.
    const wechatpay::notification_effect slow = [&](const wechatpay::notification&) -> effect_result {
        co_await gate.async_wait(asio::as_tuple(asio::use_awaitable));
        ++effects;
        co_return wechatpay::result<void>();
    };
    auto first = asio::co_spawn(ioc, handler.async_handle(n.headers, n.body, slow), asio::use_future);
    ioc.poll();
    auto second = asio::co_spawn(ioc, handler.async_handle(n.headers, n.body, slow), asio::use_future);
    ioc.poll();
    REQUIRE(second.wait_for(std::chrono::seconds(0)) == std::future_status::ready);
    const auto busy = second.get();
    CHECK(busy.status == 500);
    REQUIRE(busy.reason);
    CHECK(busy.reason->is(errc::notification_in_progress));
    gate.cancel();
    ioc.run();
    CHECK(first.get().status == 204);
    CHECK(effects == 1);
}

// A cancellation (a server dropping the connection's coroutine, `||` with a timer) that came
// while the effect ran once stopped the receiver before it released the id: every redelivery
// was then refused as "in progress" until the claim lapsed, a day later.
TEST_CASE("async_handle(): a delivery cancelled during its effect releases the id for the next one",
          "[notification][dedup]") {
    const std::int64_t now = t0;
    const auto handler = receiver_at(now);
    const auto n = sign(notification_parts{}.body());
    asio::io_context ioc;
    asio::steady_timer never(ioc, asio::steady_timer::time_point::max());
    bool wait = true;
    int effects = 0;
    const wechatpay::notification_effect effect = [&](const wechatpay::notification&) -> effect_result {
        if (wait) {
            auto [ec] = co_await never.async_wait(asio::as_tuple(asio::use_awaitable));
            co_return wechatpay::result<void>(wechatpay::error(ec));
        }
        ++effects;
        co_return wechatpay::result<void>();
    };
    asio::cancellation_signal cancel;
    std::optional<wechatpay::notification_reply> first;
    handler.async_handle(n.headers, n.body, effect,
                         asio::bind_cancellation_slot(cancel.slot(), asio::bind_executor(ioc, [&](wechatpay::notification_reply r) {
                             first = std::move(r);
                         })));
    ioc.poll();
    REQUIRE_FALSE(first);
    cancel.emit(asio::cancellation_type::terminal);
    ioc.run();
    REQUIRE(first);
    CHECK(first->status == 500);
    wait = false;
    CHECK(deliver(handler, n, effect).status == 204);
    CHECK(effects == 1);
}

namespace {

// Keys that start without WeChat Pay's certificate and get it on refresh, as a client in
// certificate-download mode does when a certificate is rotated.
class rotating_keys final : public wechatpay::key_source {
public:
    explicit rotating_keys(const std::int64_t& now) : now_(now) {}
    mutable int refreshes = 0;
    wechatpay::verifier current() const override {
        const auto& fake = fake_wechatpay::instance();
        if (refreshes > 0) return fake.certificate_verifier([this] { return now_; });
        return wechatpay::verifier({}, fake.public_key_verifier().wechatpay_key(), [this] { return now_; });
    }
    bool refreshable() const override { return true; }
    void async_refresh(boost::asio::any_completion_handler<void(wechatpay::result<void>)> h) const override {
        ++refreshes;
        std::move(h)(wechatpay::result<void>());
    }

private:
    const std::int64_t& now_;
};

}  // namespace

TEST_CASE("async_handle(): an unknown serial prompts the key source's refresh, then verifies", "[notification]") {
    const std::int64_t now = t0;
    auto keys = std::make_shared<rotating_keys>(now);
    const notification_handler handler(keys, test_key(), std::make_shared<wechatpay::memory_dedup>());
    const auto n = sign(notification_parts{}.body());
    CHECK(errc_of(handler.parse_at(n.headers, n.body, t0)) == errc::unknown_serial);  // parse() never downloads
    CHECK(keys->refreshes == 0);
    int effects = 0;
    const auto reply = deliver(handler, n, [&](const wechatpay::notification&) -> effect_result {
        ++effects;
        co_return wechatpay::result<void>();
    });
    CHECK(reply.status == 204);
    CHECK(keys->refreshes == 1);
    CHECK(effects == 1);
}

TEST_CASE("a combine payment's TRANSACTION.SUCCESS is recognised and typed with its sub-orders", "[notification]") {
    notification_parts parts;
    parts.resource =
        R"({"combine_appid":"wxd678efh567hg6787","combine_mchid":"1900000109","combine_out_trade_no":"P20150806125346",)"
        R"("scene_info":{"device_id":"POS1:1"},"combine_payer_info":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},)"
        R"("sub_orders":[{"mchid":"1900000109","trade_type":"JSAPI","trade_state":"SUCCESS","bank_type":"CMC",)"
        R"("attach":"深圳分店","success_time":"2015-05-20T13:29:35+08:00","transaction_id":"1009660380201506130728806387",)"
        R"("out_trade_no":"20150806125346","sub_mchid":"1230000109",)"
        R"("amount":{"total_amount":10,"currency":"CNY","payer_amount":9,"payer_currency":"CNY"}},)"
        R"({"mchid":"1900000110","trade_type":"JSAPI","trade_state":"SUCCESS","bank_type":"OTHERS",)"
        R"("transaction_id":"1009660380201506130728806388","out_trade_no":"20150806125347",)"
        R"("amount":{"total_amount":20,"currency":"CNY","payer_amount":20,"payer_currency":"CNY"}}]})";
    const auto n = sign(parts.body());
    const auto parsed = UNWRAP(make_handler().parse_at(n.headers, n.body, t0));
    CHECK(parsed.event_type == "TRANSACTION.SUCCESS");
    CHECK(parsed.is_combine_transaction());
    CHECK_FALSE(parsed.is_transaction());  // not an empty plain transaction
    CHECK_FALSE(parsed.is_refund());

    const auto c = UNWRAP(parsed.combine_transaction());
    CHECK(c.combine_appid == "wxd678efh567hg6787");
    CHECK(c.combine_mchid == "1900000109");
    CHECK(c.combine_out_trade_no == "P20150806125346");
    CHECK(c.payer_openid == "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o");
    CHECK(c.device_id == "POS1:1");
    CHECK(c.raw == parts.resource);
    REQUIRE(c.sub_orders.size() == 2);
    const auto& a = c.sub_orders[0];
    CHECK(a.mchid == "1900000109");
    CHECK(a.sub_mchid == "1230000109");
    CHECK(a.trade_type == "JSAPI");
    CHECK(a.trade_state == "SUCCESS");
    CHECK(a.bank_type == "CMC");
    CHECK(a.attach == "深圳分店");
    CHECK(a.success_time == "2015-05-20T13:29:35+08:00");
    CHECK(a.transaction_id == "1009660380201506130728806387");
    CHECK(a.out_trade_no == "20150806125346");
    REQUIRE(a.amount);
    CHECK(a.amount->total_amount == 10);
    CHECK(a.amount->currency == "CNY");
    CHECK(a.amount->payer_amount == 9);
    CHECK(a.amount->payer_currency == "CNY");
    CHECK(c.sub_orders[1].out_trade_no == "20150806125347");
    REQUIRE(c.sub_orders[1].amount);
    CHECK(c.sub_orders[1].amount->total_amount == 20);

    // A plain payment's notification stays a plain transaction.
    const auto plain = sign(notification_parts{}.body());
    const auto p = UNWRAP(make_handler().parse_at(plain.headers, plain.body, t0));
    CHECK(p.is_transaction());
    CHECK_FALSE(p.is_combine_transaction());
    // A wrongly typed sub-order field is named.
    const auto wrong = wechatpay::parse_combine_transaction(R"({"sub_orders":[{"amount":{"total_amount":"10"}}]})");
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().detail == "/sub_orders/0/amount/total_amount must be an integer");
}

TEST_CASE("memory_dedup: claims, in progress, done, release, expiry and a bounded size", "[notification][dedup]") {
    using claim = wechatpay::notification_dedup::claim;
    std::int64_t now = 1000;
    wechatpay::memory_dedup d(3, std::chrono::seconds(60), [&now] { return now; });
    CHECK(d.try_claim("a") == claim::first);
    CHECK(d.try_claim("a") == claim::in_progress);  // a concurrent redelivery must be retried later
    d.release("a");
    CHECK(d.try_claim("a") == claim::first);
    d.complete("a");
    CHECK(d.try_claim("a") == claim::done);
    d.release("a");  // a completed id stays completed
    CHECK(d.try_claim("a") == claim::done);

    // Expiry: after ttl the id is forgotten.
    now += 61;
    CHECK(d.try_claim("a") == claim::first);
    d.complete("a");

    // Bounded: the oldest claim goes first when a fourth id arrives.
    for (const char* id : {"b", "c"}) {
        CHECK(d.try_claim(id) == claim::first);
        d.complete(id);
    }
    CHECK(d.size() == 3);
    CHECK(d.try_claim("d") == claim::first);
    CHECK(d.size() == 3);
    CHECK(d.try_claim("a") == claim::first);  // forgotten: it was the oldest
    CHECK(d.try_claim("c") == claim::done);
    for (int i = 0; i < 1000; ++i) {
        const std::string id = "x" + std::to_string(i);
        d.try_claim(id);
        d.complete(id);
        CHECK(d.size() <= 3);
    }
}

TEST_CASE("memory_dedup: an id in progress is never forgotten for room, and a stale claim evicts nothing",
          "[notification][dedup]") {
    using claim = wechatpay::notification_dedup::claim;
    std::int64_t now = 1000;
    wechatpay::memory_dedup d(2, std::chrono::seconds(60), [&now] { return now; });
    CHECK(d.try_claim("slow") == claim::first);  // its effect is still running …
    for (int i = 0; i < 10; ++i) {
        const std::string id = "fast" + std::to_string(i);
        CHECK(d.try_claim(id) == claim::first);
        d.complete(id);
    }
    CHECK(d.try_claim("slow") == claim::in_progress);  // … so a redelivery must wait
    d.complete("slow");
    CHECK(d.try_claim("slow") == claim::done);

    // Released and claimed again within the same second: the first claim's queue entry is
    // stale and must not make room by forgetting the second.
    wechatpay::memory_dedup e(2, std::chrono::seconds(60), [&now] { return now; });
    CHECK(e.try_claim("a") == claim::first);
    e.release("a");
    CHECK(e.try_claim("a") == claim::first);
    e.complete("a");
    CHECK(e.try_claim("b") == claim::first);
    e.complete("b");
    CHECK(e.try_claim("a") == claim::done);
    CHECK(e.try_claim("b") == claim::done);
}

TEST_CASE("memory_dedup: by default a completed id outlasts WeChat's last redelivery (24 h 4 min)",
          "[notification][dedup]") {
    using claim = wechatpay::notification_dedup::claim;
    using namespace std::chrono;
    // WeChat's 15 intervals between its 16 tries, as the simulator sends them.
    const seconds schedule[] = {15s, 15s, 30s, 3min, 10min, 20min, 30min, 30min, 30min, 60min, 3h, 3h, 3h, 6h, 6h};
    seconds span{0};
    for (auto s : schedule) span += s;
    CHECK(span == wechatpay::notification_redelivery_span);
    CHECK(span == 24h + 4min);

    const std::int64_t first = 1'800'000'000;
    std::int64_t now = first;
    wechatpay::memory_dedup d(100, wechatpay::memory_dedup::default_ttl, [&now] { return now; });
    CHECK(d.try_claim("EV-1") == claim::first);  // the first delivery, handled
    d.complete("EV-1");
    // Every redelivery WeChat may still make (its 204 lost) is acknowledged, the last included.
    for (auto s : schedule) {
        now += s.count();
        CHECK(d.try_claim("EV-1") == claim::done);
    }
    CHECK(now - first == span.count());
    // The default-constructed store too (its clock is the system's: only its ttl is checked here).
    CHECK(wechatpay::memory_dedup::default_ttl > wechatpay::notification_redelivery_span);
}

namespace {

// A store whose answers come from a thread of its own (a Redis client's), never the caller's.
class threaded_store final : public wechatpay::notification_dedup {
public:
    threaded_store() : guard_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
    ~threaded_store() override {
        guard_.reset();
        thread_.join();
    }
    wechatpay::memory_dedup memory;
    std::atomic<int> answers{0};

    void async_claim(std::string id, claim_handler h) override {
        asio::post(io_, [this, id = std::move(id), h = std::move(h)]() mutable {
            ++answers;
            std::move(h)(memory.try_claim(id));
        });
    }
    void async_complete(std::string id, done_handler h) override {
        asio::post(io_, [this, id = std::move(id), h = std::move(h)]() mutable {
            ++answers;
            memory.complete(id);
            std::move(h)(wechatpay::result<void>());
        });
    }
    void async_release(std::string id, done_handler h) override {
        asio::post(io_, [this, id = std::move(id), h = std::move(h)]() mutable {
            ++answers;
            memory.release(id);
            std::move(h)(wechatpay::result<void>());
        });
    }

private:
    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> guard_;
    std::thread thread_;
};

}  // namespace

TEST_CASE("async_handle(): the effect and the completion run on the caller's executor, wherever the store answers",
          "[notification][executor]") {
    const std::int64_t now = t0;
    auto store = std::make_shared<threaded_store>();
    const auto handler = receiver_at(now, nullptr, test_key(), store);
    asio::io_context ioc;
    const auto strand = asio::make_strand(ioc);
    std::atomic<int> effect_off_strand{0}, effects{0};
    const wechatpay::notification_effect effect = [&](const wechatpay::notification&) -> effect_result {
        if (!strand.running_in_this_thread()) ++effect_off_strand;
        ++effects;
        co_return wechatpay::result<void>();
    };
    notification_parts parts;
    // A token bound to the caller's strand: the receiver runs there, and completes there.
    std::optional<wechatpay::notification_reply> by_callback;
    bool callback_on_strand = false;
    const auto first = sign(parts.body());
    handler.async_handle(first.headers, first.body, effect, asio::bind_executor(strand, [&](wechatpay::notification_reply r) {
                             callback_on_strand = strand.running_in_this_thread();
                             by_callback = std::move(r);
                         }));
    // The awaitable form from a coroutine on the strand resumes there after each store answer.
    parts.id = "EV-2018022511223320875";
    const auto second = sign(parts.body());
    std::optional<wechatpay::notification_reply> by_await;
    bool resumed_on_strand = false;
    auto awaiting = [&]() -> asio::awaitable<void> {
        auto reply = co_await handler.async_handle(second.headers, second.body, effect);
        resumed_on_strand = strand.running_in_this_thread();
        by_await = std::move(reply);
    };
    asio::co_spawn(strand, awaiting(), asio::detached);
    ioc.run();
    REQUIRE(by_callback);
    CHECK(by_callback->status == 204);
    CHECK(callback_on_strand);
    REQUIRE(by_await);
    CHECK(by_await->status == 204);
    CHECK(resumed_on_strand);
    CHECK(effects.load() == 2);
    CHECK(effect_off_strand.load() == 0);
    CHECK(store->answers.load() == 4);  // two claims, two completions, each from the store's thread
}
