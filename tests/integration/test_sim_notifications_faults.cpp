// Notifications the simulator POSTs to a real receiver (reference §7), and every fault it can
// inject through POST /sim/faults, seen from a client over real sockets.
#include "client_env.hpp"
#include "notify_receiver.hpp"
#include "sim_env.hpp"

#include <wechatpay/notification.hpp>

#include <algorithm>
#include <cctype>

// The simulator's internal PKI, for the https receivers' certificates. A relative path: this
// target, unlike wechatpay_client_tests, does not have src/ among its include directories.
#include "../../src/sim/pki.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

using namespace wechatpay_test;
using wechatpay::errc;
namespace pki = wechatpay::sim;

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

// A NATIVE order naming `receiver` as its notify_url, prepaid and paid through the control API:
// the simulator now notifies the receiver. Returns the order's out_trade_no.
std::string paid_order_notifying(sim_env& env, const notify_receiver& receiver) {
    auto merchant = env.client();
    auto control = env.control();
    const std::string no = trade_no();
    prepay(merchant, prepay_body(no, 100, "native", receiver.url()));
    pay_order(control, no);
    return no;
}

wechatpay::notification_handler merchant_handler(wechatpay::verifier v = full_verifier()) {
    return wechatpay::notification_handler(std::move(v), shared_keys::get().apiv3);
}

// The simulator's record of its notifications (GET /sim/notifications).
json::array notification_log(sim_client& control) {
    auto a = UNWRAP(control.unsigned_call("GET", "/sim/notifications"));
    REQUIRE(a.status == 200);
    return a.json().at("notifications").as_array();
}

}  // namespace

// ---- notifications -----------------------------------------------------------------------

TEST_CASE("a payment POSTs TRANSACTION.SUCCESS, which notification_handler verifies and decrypts",
          "[sim][notifications]") {
    notify_receiver receiver;
    sim_env env;
    auto merchant = env.client();
    auto control = env.control();
    const std::string no = trade_no();
    prepay(merchant, prepay_body(no, 321, "native", receiver.url()));
    pay_order(control, no, "oNotified1");

    const auto got = receiver.wait_for(1);
    REQUIRE(got.size() == 1);
    const auto& d = got[0];
    CHECK(d.target == "/wechatpay/notify");
    CHECK(d.content_type.starts_with("application/json"));
    CHECK(d.headers.serial == env.keys().platform_cert.serial());
    CHECK(d.headers.signature_type == "WECHATPAY2-SHA256-RSA2048");

    const auto n = UNWRAP(merchant_handler().parse(d.headers, d.body));
    CHECK(n.event_type == "TRANSACTION.SUCCESS");
    CHECK(n.resource_type == "encrypt-resource");
    CHECK(n.summary == "支付成功");
    CHECK_FALSE(n.id.empty());
    CHECK(n.create_time.ends_with("+08:00"));
    REQUIRE(n.is_transaction());
    const auto t = UNWRAP(n.transaction());
    CHECK(t.out_trade_no == no);
    CHECK(t.trade_state == "SUCCESS");
    CHECK(t.payer_openid == "oNotified1");
    REQUIRE(t.amount);
    CHECK(t.amount->total == 321);
    // The resource is the query's transaction.
    CHECK(t.transaction_id == str_at(UNWRAP(merchant.signed_call("GET", order_path(no))), "/transaction_id"));
    // Changed bytes do not verify.
    CHECK(errc_of(merchant_handler().parse(d.headers, d.body + " ")) == errc::bad_signature);

    REQUIRE(eventually([&] {
        const auto log = notification_log(control);
        return log.size() == 1 && log[0].at("delivered").as_bool();
    }));
    const auto log = notification_log(control);
    CHECK(str_at(log[0], "/id") == n.id);
    CHECK(str_at(log[0], "/event_type") == "TRANSACTION.SUCCESS");
    CHECK(str_at(log[0], "/notify_url") == receiver.url());
    CHECK(int_at(log[0], "/attempts") == 1);
}

TEST_CASE("a refund POSTs REFUND.SUCCESS to its own notify_url, else to the merchant's refund URL, never the payment's",
          "[sim][notifications]") {
    // WeChat: a refund's notify_url, when given, wins over the refund URL set in the merchant
    // platform; the payment's notify_url is not a refund URL.
    notify_receiver order_receiver, configured_receiver, refund_receiver;
    sim_env env([&](wechatpay::sim::config& c) { c.merchants[0].refund_notify_url = configured_receiver.url(); });
    auto merchant = env.client();
    const std::string no = paid_order_notifying(env, order_receiver);
    REQUIRE(order_receiver.wait_for(1).size() == 1);

    const std::string to_configured = trade_no("R");
    REQUIRE(UNWRAP(merchant.signed_call("POST", "/v3/refund/domestic/refunds",
                                        json::serialize(refund_body(no, to_configured, 30))))
                .status == 200);
    const auto got = configured_receiver.wait_for(1);
    REQUIRE(got.size() == 1);
    const auto n = UNWRAP(merchant_handler().parse(got[0].headers, got[0].body));
    CHECK(n.event_type == "REFUND.SUCCESS");
    CHECK(n.summary == "退款成功");
    REQUIRE(n.is_refund());
    const auto r = UNWRAP(n.refund());
    CHECK(r.out_refund_no == to_configured);
    CHECK(r.out_trade_no == no);
    CHECK(r.refund_status == "SUCCESS");
    CHECK(r.mchid == env.keys().setup.mchid);
    CHECK(r.success_time.ends_with("+08:00"));
    REQUIRE(r.amount);
    CHECK(r.amount->refund == 30);
    CHECK(r.amount->total == 100);

    const std::string to_refund_url = trade_no("R");
    auto body = refund_body(no, to_refund_url, 20);
    body["notify_url"] = refund_receiver.url();
    REQUIRE(UNWRAP(merchant.signed_call("POST", "/v3/refund/domestic/refunds", json::serialize(body))).status == 200);
    const auto own = refund_receiver.wait_for(1);
    REQUIRE(own.size() == 1);
    CHECK(UNWRAP(UNWRAP(merchant_handler().parse(own[0].headers, own[0].body)).refund()).out_refund_no ==
          to_refund_url);
    CHECK(configured_receiver.wait_for(2, 300ms).size() == 1);
    CHECK(order_receiver.wait_for(2, 300ms).size() == 1);  // the payment's URL heard of no refund
}

TEST_CASE("a refund without notify_url, for a merchant with no refund URL configured, notifies no one and says so",
          "[sim][notifications]") {
    notify_receiver order_receiver;
    sim_env env;
    auto merchant = env.client();
    auto control = env.control();
    const std::string no = paid_order_notifying(env, order_receiver);
    REQUIRE(order_receiver.wait_for(1).size() == 1);
    REQUIRE(UNWRAP(merchant.signed_call("POST", "/v3/refund/domestic/refunds",
                                        json::serialize(refund_body(no, trade_no("R"), 30))))
                .status == 200);
    REQUIRE(eventually([&] { return notification_log(control).size() == 2; }));
    const auto log = notification_log(control);
    CHECK(str_at(log[1], "/event_type") == "REFUND.SUCCESS");
    CHECK(str_at(log[1], "/notify_url").empty());
    CHECK(str_at(log[1], "/outcome").starts_with("no notify_url"));
    CHECK_FALSE(log[1].at("delivered").as_bool());
    CHECK(order_receiver.wait_for(2, 300ms).size() == 1);
}

TEST_CASE("the notification log keeps the newest 256 deliveries; one that left it is still tried",
          "[sim][notifications]") {
    notify_receiver receiver(1000);  // never succeeds: the payment's tries go on after it leaves the log
    sim_env env;
    auto merchant = env.client();
    auto control = env.control();
    const std::string no = trade_no();
    prepay(merchant, prepay_body(no, 1000, "native", receiver.url()));
    pay_order(control, no);
    REQUIRE(receiver.wait_for(1).size() == 1);
    // Each refund without a notify_url (no refund URL configured) adds an entry too.
    for (int i = 0; i < 300; ++i)
        REQUIRE(UNWRAP(merchant.signed_call("POST", "/v3/refund/domestic/refunds",
                                            json::serialize(refund_body(no, trade_no("R"), 1, 1000))))
                    .status == 200);
    // Refunds complete (and notify) a moment later: once 256 have, the payment's entry is gone.
    auto only_refunds = [](const json::array& log) {
        return std::all_of(log.begin(), log.end(), [](const json::value& entry) {
            return str_at(entry, "/event_type") == "REFUND.SUCCESS" && str_at(entry, "/outcome").starts_with("no notify_url");
        });
    };
    REQUIRE(eventually([&] {
        const auto log = notification_log(control);
        return log.size() == 256 && only_refunds(log);
    }));
    // The dropped payment notification is still retried, and recording its tries is harmless.
    CHECK(receiver.wait_for(3).size() >= 3);
    const auto log = notification_log(control);
    CHECK(log.size() == 256);
    CHECK(only_refunds(log));
}

TEST_CASE("a receiver that answers 500 twice gets the notification on the third attempt", "[sim][notifications]") {
    notify_receiver receiver(2);
    sim_env env;
    auto control = env.control();
    paid_order_notifying(env, receiver);

    const auto got = receiver.wait_for(3);
    REQUIRE(got.size() == 3);
    CHECK(got[0].answered == 500);
    CHECK(got[1].answered == 500);
    CHECK(got[2].answered == 204);
    // The same notification each time (handlers dedupe by id), after WeChat's 15 s and 15 s
    // scaled by notify_time_scale 0.001.
    const auto first = UNWRAP(merchant_handler().parse(got[0].headers, got[0].body));
    for (const auto& d : got) CHECK(UNWRAP(merchant_handler().parse(d.headers, d.body)).id == first.id);
    CHECK(got[1].at - got[0].at >= 14ms);
    CHECK(got[2].at - got[1].at >= 14ms);
    CHECK(receiver.wait_for(4, 200ms).size() == 3);  // no more after the success

    REQUIRE(eventually([&] {
        const auto log = notification_log(control);
        return log.size() == 1 && log[0].at("delivered").as_bool();
    }));
    const auto log = notification_log(control);
    CHECK(int_at(log[0], "/attempts") == 3);
    CHECK(str_at(log[0], "/outcome") == "delivered");
    auto stats = UNWRAP(control.unsigned_call("GET", "/sim/stats")).json();
    CHECK(int_at(stats, "/notifications/retried") == 2);
    CHECK(int_at(stats, "/notifications/failed") == 2);
    CHECK(int_at(stats, "/notifications/sent") == 1);
}

TEST_CASE("a receiver that never succeeds gets WeChat's 16 tries, 15 intervals of 24 h 4 min in all, then no more",
          "[sim][notifications][schedule]") {
    // WeChat: 15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h — 86,640 s. Scaled by
    // 1e-5, 866 ms; the last two intervals (6 h each) 216 ms.
    notify_receiver receiver(1000);
    sim_env env([](wechatpay::sim::config& c) { c.notify_time_scale = 1e-5; });
    auto control = env.control();
    paid_order_notifying(env, receiver);

    const auto got = receiver.wait_for(16, 20s);
    REQUIRE(got.size() == 16);
    CHECK(receiver.wait_for(17, 600ms).size() == 16);  // the 16th was the last
    using std::chrono::microseconds;
    CHECK(got[15].at - got[0].at >= microseconds(866'400));
    CHECK(got[15].at - got[14].at >= microseconds(216'000));
    CHECK(got[14].at - got[13].at >= microseconds(216'000));
    REQUIRE(eventually([&] { return int_at(notification_log(control)[0], "/attempts") == 16; }));
    const auto log = notification_log(control);
    CHECK_FALSE(log[0].at("delivered").as_bool());
    CHECK(str_at(log[0], "/outcome") == "HTTP 500");
    CHECK(int_at(UNWRAP(control.unsigned_call("GET", "/sim/stats")), "/notifications/retried") == 15);

    // The id is a 36-character UUID (8-4-4-4-12 hex), as WeChat's are.
    const std::string id = UNWRAP(merchant_handler().parse(got[0].headers, got[0].body)).id;
    REQUIRE(id.size() == 36);
    for (std::size_t i = 0; i < id.size(); ++i) {
        INFO(id);
        if (i == 8 || i == 13 || i == 18 || i == 23) CHECK(id[i] == '-');
        else CHECK(std::isxdigit(static_cast<unsigned char>(id[i])));
    }
    CHECK(str_at(log[0], "/id") == id);
}

TEST_CASE("each try is signed afresh: a new timestamp, nonce and signature over the same body, each verifying",
          "[sim][notifications]") {
    // On WeChat's schedule the later tries come minutes to hours after the first: a resent
    // signature would carry a timestamp outside the receiver's 300 s window, never accepted.
    notify_receiver receiver(2);
    // 15 s scaled to 750 ms: the third try comes 1.5 s after the first, so in a later second.
    sim_env env([](wechatpay::sim::config& c) { c.notify_time_scale = 0.05; });
    paid_order_notifying(env, receiver);

    const auto got = receiver.wait_for(3, 10s);
    REQUIRE(got.size() == 3);
    const auto first = UNWRAP(merchant_handler().parse(got[0].headers, got[0].body));
    std::set<std::string> nonces, signatures;
    for (std::size_t i = 0; i < got.size(); ++i) {
        INFO("try " << i + 1);
        CHECK(got[i].body == got[0].body);  // the same notification: same id, same ciphertext
        CHECK(UNWRAP(merchant_handler().parse(got[i].headers, got[i].body)).id == first.id);
        nonces.insert(got[i].headers.nonce);
        signatures.insert(got[i].headers.signature);
        if (i > 0) CHECK(std::stoll(got[i].headers.timestamp) >= std::stoll(got[i - 1].headers.timestamp));
    }
    CHECK(nonces.size() == 3);
    CHECK(signatures.size() == 3);
    CHECK(std::stoll(got[2].headers.timestamp) > std::stoll(got[0].headers.timestamp));
}

TEST_CASE("only 200 and 204 deliver: a receiver's 202 is a failure, and the notification is resent",
          "[sim][notifications]") {
    // WeChat takes 200 or 204 as success (reference §7); 202 means "accepted, not yet handled".
    notify_receiver receiver(1, 202);
    sim_env env;
    auto control = env.control();
    paid_order_notifying(env, receiver);

    const auto got = receiver.wait_for(2);
    REQUIRE(got.size() == 2);
    CHECK(got[0].answered == 202);
    CHECK(got[1].answered == 204);
    REQUIRE(eventually([&] {
        const auto log = notification_log(control);
        return log.size() == 1 && log[0].at("delivered").as_bool();
    }));
    CHECK(int_at(notification_log(control)[0], "/attempts") == 2);
    auto stats = UNWRAP(control.unsigned_call("GET", "/sim/stats")).json();
    CHECK(int_at(stats, "/notifications/failed") == 1);
    CHECK(int_at(stats, "/notifications/sent") == 1);
}

TEST_CASE("notify sign_with public_key: notifications name and are signed by the WeChat Pay public key",
          "[sim][notifications]") {
    notify_receiver receiver;
    sim_env env([](wechatpay::sim::config& c) { c.notify_sign_with_public_key = true; });
    const std::string no = paid_order_notifying(env, receiver);
    const auto got = receiver.wait_for(1);
    REQUIRE(got.size() == 1);
    CHECK(got[0].headers.serial == env.keys().setup.public_key_id);
    const auto n = UNWRAP(merchant_handler(public_key_only_verifier()).parse(got[0].headers, got[0].body));
    CHECK(UNWRAP(n.transaction()).out_trade_no == no);
    CHECK(errc_of(merchant_handler(certificate_only_verifier()).parse(got[0].headers, got[0].body)) ==
          errc::unknown_serial);
}

TEST_CASE("notify.balance: a load balancer in front of a notify_url sends each try to its next target",
          "[sim][notifications]") {
    notify_receiver front(1000), second(1000), third;  // the first two always answer 500
    const auto address = [](const notify_receiver& r) { return r.url().substr(7, r.url().find('/', 7) - 7); };
    sim_env env([&](wechatpay::sim::config& c) {
        c.notify_balance[address(front)] = {address(front), address(second), address(third)};
    });
    auto control = env.control();
    const std::string no = paid_order_notifying(env, front);

    // Tries 1, 2, 3 reach front, second, third in turn; third answers 204: delivered.
    REQUIRE(third.wait_for(1).size() == 1);
    CHECK(front.wait_for(1, 0ms).size() == 1);
    CHECK(second.wait_for(1, 0ms).size() == 1);
    REQUIRE(eventually([&] { return notification_log(control)[0].at("delivered").as_bool(); }));
    const auto log = notification_log(control);
    CHECK(str_at(log[0], "/notify_url") == front.url());  // the URL the order named
    CHECK(int_at(log[0], "/attempts") == 3);
    // One notification, the same id at each target.
    const auto n = UNWRAP(merchant_handler().parse(third.wait_for(1)[0].headers, third.wait_for(1)[0].body));
    CHECK(UNWRAP(n.transaction()).out_trade_no == no);
    CHECK(UNWRAP(merchant_handler().parse(front.wait_for(1)[0].headers, front.wait_for(1)[0].body)).id == n.id);
    CHECK(third.wait_for(2, 100ms).size() == 1);  // delivered: no more tries
}

// ---- notifications over https ---------------------------------------------------------------

namespace {

// The CA notify_ca names, a stranger CA, and one server key: made once per binary. Both server
// certificates name 127.0.0.1, so only the issuer decides. The CAs' names differ: a namesake of
// the trusted CA is found by name and fails on its signature ("invalid padding"), not as an
// unknown issuer.
struct receiver_pki {
    temp_dir dir;
    pki::key_and_cert trusted_authority = authority("notify test CA");
    pki::key_and_cert stranger_authority = authority("untrusted notify CA");
    std::filesystem::path trusted_ca = dir.write("trusted-ca.pem", trusted_authority.cert_pem);
    std::string key_pem = pki::generate_rsa_key();
    std::filesystem::path key = dir.write("server.key", key_pem);
    tls_files trusted = server("trusted", trusted_authority);
    tls_files stranger = server("stranger", stranger_authority);

    static const receiver_pki& get() {
        static const receiver_pki p;
        return p;
    }

private:
    receiver_pki() = default;
    static pki::key_and_cert authority(const std::string& name) {
        auto k = pki::generate_rsa_key();
        auto cert = pki::make_ca(k, name);
        return {std::move(k), std::move(cert)};
    }
    tls_files server(const std::string& name, const pki::key_and_cert& ca) const {
        return {dir.write(name + ".pem", pki::issue_certificate(key_pem, ca, "127.0.0.1", {"127.0.0.1", "localhost"},
                                                               24h, -1h, true)),
                key};
    }
};

// A simulator that verifies https receivers against `ca` only.
sim_env trusting(const std::filesystem::path& ca) {
    return sim_env([ca](wechatpay::sim::config& c) { c.notify_ca = ca; });
}

}  // namespace

TEST_CASE("an https receiver whose certificate chains to notify_ca gets the notification once",
          "[sim][notifications][tls]") {
    const auto& pki = receiver_pki::get();
    notify_receiver receiver(pki.trusted);
    auto env = trusting(pki.trusted_ca);
    auto control = env.control();
    const std::string no = paid_order_notifying(env, receiver);

    const auto got = receiver.wait_for(1);
    REQUIRE(got.size() == 1);
    CHECK(got[0].target == "/wechatpay/notify");
    CHECK(got[0].answered == 204);
    // TLS changes the transport only: the body verifies and decrypts as over http.
    const auto n = UNWRAP(merchant_handler().parse(got[0].headers, got[0].body));
    CHECK(n.event_type == "TRANSACTION.SUCCESS");
    CHECK(UNWRAP(n.transaction()).out_trade_no == no);

    REQUIRE(eventually([&] {
        const auto log = notification_log(control);
        return log.size() == 1 && log[0].at("delivered").as_bool();
    }));
    const auto log = notification_log(control);
    CHECK(str_at(log[0], "/notify_url") == receiver.url());
    CHECK(str_at(log[0], "/outcome") == "delivered");
    CHECK(int_at(log[0], "/attempts") == 1);
    CHECK(receiver.wait_for(2, 100ms).size() == 1);  // delivered: no resend
    CHECK(receiver.wait_for_failed_handshakes(1, 0ms) == 0);
}

TEST_CASE("an https receiver whose certificate notify_ca does not trust gets nothing; the tries fail and retry",
          "[sim][notifications][tls]") {
    // The receiver's certificate is good for 127.0.0.1 but issued by a stranger CA: the
    // simulator must refuse it at the handshake, before a single byte of the notification.
    const auto& pki = receiver_pki::get();
    notify_receiver receiver(pki.stranger);
    auto env = trusting(pki.trusted_ca);
    auto control = env.control();
    const std::string no = paid_order_notifying(env, receiver);

    // Tries at 0, 15, 30 and 60 ms (WeChat's schedule times notify_time_scale 0.001).
    const unsigned refused = receiver.wait_for_failed_handshakes(3, 2s);
    INFO("receiver's last handshake error: " << receiver.last_handshake_error());
    CHECK(refused >= 3);
    REQUIRE(eventually([&] {
        const auto log = notification_log(control);
        return log.size() == 1 && int_at(log[0], "/attempts") >= 3;
    }, 2s));
    const auto log = notification_log(control);
    INFO(json::serialize(log));
    CHECK_FALSE(log[0].at("delivered").as_bool());
    CHECK(str_at(log[0], "/outcome").find("certificate") != std::string::npos);
    auto stats = UNWRAP(control.unsigned_call("GET", "/sim/stats")).json();
    CHECK(int_at(stats, "/notifications/sent") == 0);
    CHECK(int_at(stats, "/notifications/failed") >= 3);
    CHECK(int_at(stats, "/notifications/retried") >= 2);
    CHECK(receiver.wait_for(1, 0ms).empty());  // not one request got through
}

// ---- the receiver: reasons, and the client's keys ------------------------------------------

namespace {

using effect_result = asio::awaitable<wechatpay::result<void>>;

// Log lines a logger heard, from any thread.
struct log_sink {
    std::mutex mutex;
    std::vector<std::string> lines;
    wechatpay::logger_function logger() {
        return [this](wechatpay::log_level level, std::string_view message, std::string_view) {
            std::lock_guard lock(mutex);
            lines.push_back(std::string(wechatpay::to_string(level)) + " " + std::string(message));
        };
    }
};

}  // namespace

TEST_CASE("a real notification opened with the wrong APIv3 key is answered with its reason, logged, no secret",
          "[sim][notifications]") {
    notify_receiver receiver;
    sim_env env;
    const std::string no = paid_order_notifying(env, receiver);
    const auto got = receiver.wait_for(1);
    REQUIRE(got.size() == 1);

    log_sink log;
    const std::string wrong_hex = "ffffffffffffffffffffffffffffffff";
    const wechatpay::notification_handler handler(full_verifier(), UNWRAP(wechatpay::apiv3_key::from(wrong_hex)),
                                                  std::make_shared<wechatpay::memory_dedup>(), log.logger());
    bool ran = false;
    asio::io_context ioc;
    auto answer = asio::co_spawn(ioc,
                                 handler.async_handle(got[0].headers, got[0].body,
                                                      [&](const wechatpay::notification&) -> effect_result {
                                                          ran = true;
                                                          co_return wechatpay::result<void>();
                                                      }),
                                 asio::use_future);
    ioc.run();
    const auto reply = answer.get();
    CHECK(reply.status == 500);
    REQUIRE(reply.reason);
    CHECK(reply.reason->is(errc::decrypt_failed));
    CHECK(json::parse(reply.body).at("message").as_string() == "decryption failed");
    CHECK_FALSE(ran);
    REQUIRE(log.lines.size() == 1);
    CHECK(log.lines[0].starts_with("warning notification refused: "));
    CHECK(log.lines[0].find("decryption failed") != std::string::npos);
    for (const std::string& text : {log.lines[0], reply.body, reply.reason->to_string()}) {
        CHECK(text.find(wrong_hex) == std::string::npos);
        CHECK(text.find(shared_keys::get().setup.apiv3_key) == std::string::npos);
        CHECK(text.find(no) == std::string::npos);  // nothing of the resource
    }
    // The right key opens the same delivery.
    CHECK(outcome(merchant_handler().parse(got[0].headers, got[0].body)) == "ok");
}

TEST_CASE("download mode: a notification signed with a rotated certificate prompts the client's rate-limited download",
          "[sim][notifications][certificates]") {
    notify_receiver receiver;
    // A rotated certificate signs at once (WeChat publishes it a day before).
    client_env env({.sim = [](wechatpay::sim::config& c) { c.rotation_overlap = std::chrono::seconds(0); },
                    .keys = key_mode::download});
    // An order naming the receiver, made before the rotation (its answer needs no new certificate).
    const std::string no = trade_no("R");
    auto order = client_env::order(no);
    order.notify_url = receiver.url();
    REQUIRE(outcome(env.run(env.client().async_prepay_native(order))) == "ok");
    REQUIRE(env.sim_requests("/v3/certificates") == 1);  // the download the client starts with
    const auto handler = env.client().notifications();  // made before the rotation, too

    auto control = env.control();
    auto rotated = UNWRAP(control.unsigned_call("POST", "/sim/certificates/rotate"));
    REQUIRE(rotated.status == 200);
    const std::string new_serial = str_at(rotated, "/serial_no");
    pay_order(control, no);  // the simulator notifies, signing with the new certificate
    const auto got = receiver.wait_for(1);
    REQUIRE(got.size() == 1);
    REQUIRE(got[0].headers.serial == new_serial);
    CHECK_FALSE(env.client().current_verifier().knows(new_serial));

    std::string paid;  // written by the effect on an io thread, read after run() returned
    const wechatpay::notification_effect effect = [&](const wechatpay::notification& n) -> effect_result {
        auto t = n.transaction();
        if (!t) co_return t.error();
        paid = t->out_trade_no;
        co_return wechatpay::result<void>();
    };
    const auto reply = env.run(handler.async_handle(got[0].headers, got[0].body, effect));
    INFO((reply.reason ? reply.reason->to_string() : "no reason"));
    CHECK(reply.status == 204);
    CHECK(paid == no);
    CHECK(env.sim_requests("/v3/certificates") == 2);
    CHECK(env.client().current_verifier().knows(new_serial));

    // Within a minute of that download, a serial nobody knows prompts none (forged serials cannot
    // make the receiver download in a loop), and the answer says why.
    auto forged = got[0].headers;
    forged.serial = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
    const auto refused = env.run(handler.async_handle(forged, got[0].body, effect));
    CHECK(refused.status == 500);
    REQUIRE(refused.reason);
    CHECK(refused.reason->is(errc::unknown_serial));
    CHECK(refused.reason->detail.find("certificate download") != std::string::npos);
    CHECK(env.sim_requests("/v3/certificates") == 2);
}

// ---- faults ------------------------------------------------------------------------------

namespace {

constexpr std::string_view query_endpoint = "/v3/pay/transactions/out-trade-no/{out_trade_no}";

// A simulator with one NOTPAY order whose query the fault rules target.
struct fault_fixture {
    sim_env env;
    sim_client merchant = env.client(3s);
    sim_client control = env.control();
    std::string no = trade_no("F");

    fault_fixture() { prepay(merchant, prepay_body(no)); }

    wechatpay::result<sim_answer> query() { return merchant.signed_call("GET", order_path(no)); }

    void add(const json::object& rule) {
        auto a = UNWRAP(control.unsigned_call("POST", "/sim/faults", json::serialize(rule)));
        INFO(a.body);
        REQUIRE(a.status == 200);
    }
    void clear() { REQUIRE(UNWRAP(control.unsigned_call("DELETE", "/sim/faults")).status == 200); }
    std::int64_t injected(std::string_view kind) const {
        return int_at(env.stats(), "/faults_injected/" + std::string(kind));
    }
};

json::object fault_rule(std::string_view kind, json::object more = {}) {
    more["kind"] = kind;
    if (!more.contains("endpoint")) more["endpoint"] = query_endpoint;
    if (!more.contains("probability") && !more.contains("every")) more["every"] = 1;
    return more;
}

// The verifier's verdict on an answer.
errc verdict(const sim_answer& a) { return errc_of(full_verifier().verify(a.headers, a.body)); }

}  // namespace

TEST_CASE("each fault knob breaks one answer the way it says, and the next request on a new connection succeeds",
          "[sim][faults]") {
    using outcome_check = std::function<void(const wechatpay::result<sim_answer>&, fault_fixture&)>;
    auto transport_failure = [](const wechatpay::result<sim_answer>& r, fault_fixture&) {
        REQUIRE_FALSE(r);
        INFO(r.error().to_string());
        CHECK(r.error().code != boost::beast::error::timeout);  // closed, not stalled
    };
    auto answer_then = [](std::function<void(const sim_answer&)> more) -> outcome_check {
        return [more](const wechatpay::result<sim_answer>& r, fault_fixture&) {
            REQUIRE(r);
            INFO(r->body);
            CHECK_FALSE(r->request_id.empty());
            more(*r);
        };
    };
    struct knob {
        std::string kind;
        outcome_check check;
        json::object more = {};
    };
    const std::vector<knob> knobs = {
        {"delay", answer_then([](const sim_answer& a) {
             CHECK(a.status == 200);
             CHECK(verdict(a) == wechatpay_test::ok);
         }),
         json::object{{"delay_ms", 300}}},
        {"close_before_answer",
         [&](const wechatpay::result<sim_answer>& r, fault_fixture& f) {
             transport_failure(r, f);
             CHECK(is_closed_by_peer(r.error().code));
         }},
        {"close_mid_body",
         [&](const wechatpay::result<sim_answer>& r, fault_fixture& f) {
             transport_failure(r, f);
             // Beast read the header and part of the body, then the stream ended.
             CHECK((r.error().code == http::error::partial_message || is_closed_by_peer(r.error().code)));
         }},
        {"system_error", answer_then([](const sim_answer& a) {
             CHECK(a.status == 500);
             CHECK(code_of(a) == "SYSTEM_ERROR");
             CHECK(verdict(a) == wechatpay_test::ok);
         })},
        {"frequency_limited", answer_then([](const sim_answer& a) {
             CHECK(a.status == 429);
             CHECK(code_of(a) == "FREQUENCY_LIMITED");
             CHECK(verdict(a) == wechatpay_test::ok);
         })},
        {"bad_signature", answer_then([](const sim_answer& a) {
             CHECK(a.status == 200);
             CHECK(verdict(a) == errc::bad_signature);
         })},
        {"probe_signature", answer_then([](const sim_answer& a) {
             CHECK(a.headers.signature.starts_with("WECHATPAY/SIGNTEST/"));
             CHECK(verdict(a) == errc::probe_signature);
         })},
        {"stale_timestamp", answer_then([](const sim_answer& a) {
             CHECK(std::stoll(a.headers.timestamp) <= wechatpay::system_unix_time() - 590);
             CHECK(verdict(a) == errc::stale_timestamp);
             // It is a real signature, 10 minutes old.
             CHECK(outcome(full_verifier().verify_at(a.headers, a.body, std::stoll(a.headers.timestamp))) == "ok");
         })},
        {"unknown_serial", answer_then([](const sim_answer& a) {
             CHECK(a.headers.serial != shared_keys::get().platform_cert.serial());
             CHECK(verdict(a) == errc::unknown_serial);
         })},
        {"malformed_json", answer_then([](const sim_answer& a) {
             CHECK(a.status == 200);
             CHECK(verdict(a) == wechatpay_test::ok);
             boost::system::error_code ec;
             json::parse(a.body, ec);
             CHECK(ec);
         })},
        {"unsigned_error", answer_then([](const sim_answer& a) {
             CHECK(a.status == 502);
             CHECK(code_of(a) == "SERVICE_UNAVAILABLE");
             CHECK(without_signature(a.raw));
         })},
        {"unsigned_error", answer_then([](const sim_answer& a) {
             CHECK(a.status == 429);
             CHECK(a.body.find("<h1>429 Too Many Requests</h1>") != std::string::npos);
             CHECK(a.header("Content-Type") == "text/html");
             CHECK(without_signature(a.raw));
         }),
         json::object{{"status", 429}, {"body", "html"}}},
        {"unsigned_error", answer_then([](const sim_answer& a) {
             CHECK(a.status == 503);
             CHECK(a.body.empty());
             CHECK(without_signature(a.raw));
         }),
         json::object{{"status", 503}, {"body", "none"}}},
        {"connection_close",
         [](const wechatpay::result<sim_answer>& r, fault_fixture& f) {
             REQUIRE(r);
             CHECK(r->status == 200);
             CHECK(verdict(*r) == wechatpay_test::ok);
             CHECK(r->header("Connection") == "close");
             CHECK_FALSE(r->raw.keep_alive());
             CHECK(is_closed_by_peer(f.merchant.wait_for_server_close(2s)));
         }},
    };
    for (const auto& k : knobs) {
        DYNAMIC_SECTION("fault " << k.kind << " " << json::serialize(k.more)) {
            fault_fixture f;
            auto rule = fault_rule(k.kind, k.more);
            rule["times"] = 1;
            f.add(rule);
            const auto started = std::chrono::steady_clock::now();
            const auto r = f.query();
            const auto took = std::chrono::steady_clock::now() - started;
            k.check(r, f);
            if (k.kind == "delay") CHECK(took >= 300ms);
            CHECK(f.injected(k.kind) == 1);

            f.merchant.disconnect();
            const unsigned before = f.merchant.connections_opened();
            auto next = UNWRAP(f.query());
            CHECK(f.merchant.connections_opened() == before + 1);
            CHECK(next.status == 200);
            CHECK(verdict(next) == wechatpay_test::ok);
            CHECK(str_at(next, "/out_trade_no") == f.no);
            CHECK(f.injected(k.kind) == 1);
        }
    }
}

TEST_CASE("a fault rule with every 3 hits exactly every third request", "[sim][faults]") {
    fault_fixture f;
    f.add(fault_rule("system_error", {{"every", 3}}));
    std::vector<unsigned> statuses;
    for (int i = 0; i < 9; ++i) statuses.push_back(UNWRAP(f.query()).status);
    CHECK(statuses == std::vector<unsigned>{200, 200, 500, 200, 200, 500, 200, 200, 500});
    CHECK(f.injected("system_error") == 3);
    auto listed = UNWRAP(f.control.unsigned_call("GET", "/sim/faults")).json();
    CHECK(int_at(listed, "/faults/0/seen") == 9);
    CHECK(int_at(listed, "/faults/0/every") == 3);
}

TEST_CASE("a fault rule with times 1 applies once; DELETE /sim/faults removes every rule", "[sim][faults]") {
    fault_fixture f;
    f.add(fault_rule("frequency_limited", {{"probability", 1}, {"times", 1}}));
    CHECK(UNWRAP(f.query()).status == 429);
    for (int i = 0; i < 3; ++i) CHECK(UNWRAP(f.query()).status == 200);
    CHECK(f.injected("frequency_limited") == 1);
    CHECK(int_at(UNWRAP(f.control.unsigned_call("GET", "/sim/faults")).json(), "/faults/0/times_left") == 0);

    f.add(fault_rule("system_error"));
    CHECK(UNWRAP(f.query()).status == 500);
    f.clear();
    CHECK(UNWRAP(f.control.unsigned_call("GET", "/sim/faults")).json().at("faults").as_array().empty());
    CHECK(UNWRAP(f.query()).status == 200);
    CHECK(f.injected("system_error") == 1);
}

TEST_CASE("a fault rule for one endpoint spares the others; '*' hits every /v3/ endpoint but not /sim/",
          "[sim][faults]") {
    fault_fixture f;
    f.add(fault_rule("system_error"));
    CHECK(UNWRAP(f.query()).status == 500);
    CHECK(UNWRAP(f.merchant.signed_call("POST", prepay_path("native"), json::serialize(prepay_body(trade_no()))))
              .status == 200);
    f.clear();

    f.add(fault_rule("frequency_limited", {{"endpoint", "*"}}));
    CHECK(UNWRAP(f.query()).status == 429);
    CHECK(UNWRAP(f.merchant.signed_call("POST", prepay_path("native"), json::serialize(prepay_body(trade_no()))))
              .status == 429);
    CHECK(UNWRAP(f.merchant.signed_call("GET", "/v3/certificates")).status == 429);
    CHECK(UNWRAP(f.control.unsigned_call("GET", "/sim/stats")).status == 200);
    CHECK(f.injected("frequency_limited") == 3);
    f.clear();
    CHECK(UNWRAP(f.query()).status == 200);
}

TEST_CASE("an unsigned_error rule lists its status and body", "[sim][faults]") {
    fault_fixture f;
    f.add(fault_rule("unsigned_error", {{"status", 429}, {"body", "none"}}));
    f.add(fault_rule("unsigned_error", {{"probability", 0}}));
    auto listed = UNWRAP(f.control.unsigned_call("GET", "/sim/faults")).json();
    CHECK(int_at(listed, "/faults/0/status") == 429);
    CHECK(str_at(listed, "/faults/0/body") == "none");
    CHECK(int_at(listed, "/faults/1/status") == 502);
    CHECK(str_at(listed, "/faults/1/body") == "json");
}

TEST_CASE("fault rules with a probability of 0 never hit", "[sim][faults]") {
    fault_fixture f;
    f.add(fault_rule("system_error", {{"probability", 0}}));
    for (int i = 0; i < 5; ++i) CHECK(UNWRAP(f.query()).status == 200);
    CHECK(f.injected("system_error") == 0);
}

TEST_CASE("malformed fault rules are refused with 400 naming the problem", "[sim][faults][errors]") {
    fault_fixture f;
    struct bad {
        std::string body, mentions;
    };
    for (const auto& b : {bad{R"({"kind":"earthquake"})", "kind"}, bad{R"({"endpoint":"*"})", "kind"},
                          bad{R"({"kind":"delay"})", "delay_ms"}, bad{R"({"kind":"system_error","probability":2})", "probability"},
                          bad{R"({"kind":"system_error","every":"3"})", "every"}, bad{"[]", "object"},
                          // A misspelt or repeated key would make a rule for one endpoint a rule for all.
                          bad{R"({"kind":"system_error","endpont":"/v3/bill/tradebill"})", "endpont"},
                          bad{R"({"kind":"system_error","endpoint":"/v3/bill/tradebill","kind":"delay","delay_ms":1})",
                              "duplicate key"},
                          bad{R"({"kind":"system_error","endpoint":"/v3/bill/tradebil"})", "not an endpoint name"},
                          bad{R"({"kind":"system_error","endpoint":")" + std::string(100000, 'x') + R"("})",
                              "not an endpoint name"},
                          bad{R"({"kind":"delay","delay_ms":100000000})", "delay_ms"},
                          bad{R"({"faults":[],"extra":1})", "extra"},
                          bad{R"({"kind":"unsigned_error","status":401})", "status must be 429 or 500-599"},
                          bad{R"({"kind":"unsigned_error","status":"502"})", "status"},
                          bad{R"({"kind":"unsigned_error","body":"xml"})", "body must be"},
                          bad{R"({"kind":"unsigned_error","body":1})", "body must be"},
                          bad{R"({"kind":"system_error","status":502})", "for unsigned_error only"},
                          bad{R"({"kind":"system_error","body":"html"})", "for unsigned_error only"}}) {
        INFO(b.body);
        auto a = UNWRAP(f.control.unsigned_call("POST", "/sim/faults", b.body));
        CHECK(a.status == 400);
        CHECK(str_at(a, "/error").find(b.mentions) != std::string::npos);
    }
    CHECK(UNWRAP(f.control.unsigned_call("GET", "/sim/faults")).json().at("faults").as_array().empty());
    CHECK(UNWRAP(f.query()).status == 200);
    // The rule list is bounded: every request walks it.
    json::array many;
    for (int i = 0; i < 256; ++i) many.push_back(json::object{{"kind", "system_error"}, {"probability", 0}});
    CHECK(UNWRAP(f.control.unsigned_call("POST", "/sim/faults", json::serialize(json::object{{"faults", many}}))).status == 200);
    auto over = UNWRAP(f.control.unsigned_call("POST", "/sim/faults", R"({"kind":"system_error","probability":0})"));
    CHECK(over.status == 400);
    CHECK(str_at(over, "/error").find("at most 256") != std::string::npos);
}
