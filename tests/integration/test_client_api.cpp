// The client's operations against the simulator over real TLS: every operation's happy path,
// validation before any I/O, WeChat's errors with their diagnostics, answers that fail
// verification, the certificate modes, notifications and the logger.
#include "client_env.hpp"
#include "fake_wechatpay.hpp"
#include "notify_receiver.hpp"

#include "sim/pki.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <array>
#include <atomic>
#include <fstream>
#include <iterator>
#include <mutex>
#include <set>
#include <sstream>

using namespace wechatpay_test;
using wechatpay::errc;
using wechatpay::prepay_kind;

namespace {

// Whether base64 `signature` is the merchant's SHA256withRSA of `message`.
bool merchant_signed(const std::string& message, const std::string& signature) {
    auto raw = wechatpay::base64_decode(signature);
    return raw && shared_keys::get().merchant_cert.key().verify_sha256(message, *raw);
}

// Pays an order through the simulator's control API, as the user would.
void pay(client_env& env, const std::string& out_trade_no) {
    REQUIRE(outcome(env.sim().pay(shared_keys::get().setup.mchid, out_trade_no, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")) == "ok");
}

// An API error's diagnostics, as Catch prints them on failure.
std::string diagnostics(const wechatpay::error& e) {
    return e.to_string() + " [" + e.api_code + "]";
}

// ---- a server that is not the simulator ----

namespace beast = boost::beast;
namespace http = beast::http;
using canned_answer = http::response<http::string_body>;

// The header block of the last signed request the server read, as it arrived.
struct last_request {
    std::mutex mutex;
    std::string head;
};

asio::awaitable<void> answer_each_request(asio::ip::tcp::socket socket, asio::ssl::context& tls, const canned_answer& answer,
                                          std::atomic<int>& requests, last_request& last) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), tls);
    stream.next_layer().expires_after(10s);
    const auto tuple = asio::as_tuple(asio::use_awaitable);
    if (auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, tuple); ec) co_return;
    beast::flat_buffer buffer;
    for (;;) {
        http::request<http::string_body> req;
        if (auto [ec, n] = co_await http::async_read(stream, buffer, req, tuple); ec) co_return;
        if (!req[http::field::authorization].starts_with("WECHATPAY2-SHA256-RSA2048 ")) co_return;
        {
            std::ostringstream head;
            head << req.base();
            std::lock_guard lock(last.mutex);
            last.head = head.str();
        }
        ++requests;
        canned_answer res = answer;
        res.keep_alive(req.keep_alive());
        if (!res.chunked()) res.prepare_payload();  // a chunked answer stays chunked: no Content-Length
        if (auto [ec, n] = co_await http::async_write(stream, res, tuple); ec || !res.keep_alive()) co_return;
    }
}

asio::awaitable<void> accept_all(asio::ip::tcp::acceptor& acceptor, asio::ssl::context& tls, const canned_answer& answer,
                                 std::atomic<int>& requests, last_request& last) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
        asio::co_spawn(acceptor.get_executor(), answer_each_request(std::move(socket), tls, answer, requests, last),
                       asio::detached);
    }
}

// A few lines of Beast playing WeChat Pay's front end, with nothing of the simulator but a
// certificate helper: a TLS server on 127.0.0.1 that answers every signed request with one
// canned answer, exactly as given (headers and body), on a thread of its own.
class canned_server {
public:
    explicit canned_server(canned_answer answer) : answer_(std::move(answer)) {
        namespace pki = wechatpay::sim;
        const std::string ca_key = pki::generate_rsa_key(), server_key = pki::generate_rsa_key();
        const pki::key_and_cert ca{ca_key, pki::make_ca(ca_key, "canned server test CA")};
        ca_file_ = dir_.write("ca.pem", ca.cert_pem);
        tls_.use_certificate_chain(asio::buffer(
            pki::issue_certificate(server_key, ca, "127.0.0.1", {"127.0.0.1"}, 24h, -1h, true)));
        tls_.use_private_key(asio::buffer(server_key), asio::ssl::context::pem);
        asio::co_spawn(ioc_, accept_all(acceptor_, tls_, answer_, requests_, last_), asio::detached);
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~canned_server() {
        ioc_.stop();
        thread_.join();
    }
    canned_server(const canned_server&) = delete;
    canned_server& operator=(const canned_server&) = delete;

    // Points a client at this server (and trusts only its CA).
    client_tweak client() const {
        return [port = acceptor_.local_endpoint().port(), ca = ca_file_](wechatpay::client_config& c) {
            c.endpoint = {"127.0.0.1", "", port, ca};
        };
    }
    int requests() const { return requests_.load(); }
    // The header block of the last signed request, as the server read it ("Name: value\r\n"…).
    std::string last_head() {
        std::lock_guard lock(last_.mutex);
        return last_.head;
    }

private:
    temp_dir dir_;
    asio::io_context ioc_;  // destroyed after everything its coroutines use
    canned_answer answer_;
    asio::ssl::context tls_{asio::ssl::context::tls_server};
    asio::ip::tcp::acceptor acceptor_{ioc_, {asio::ip::make_address("127.0.0.1"), 0}};
    std::filesystem::path ca_file_;
    std::atomic<int> requests_{0};
    last_request last_;
    std::thread thread_;
};

canned_answer canned(unsigned status, std::string body, std::string_view content_type = "application/json") {
    canned_answer res{static_cast<http::status>(status), 11};
    res.set(http::field::server, "nginx");
    res.set("Request-ID", "08C9E2ACB40610A80118E7D4C2AF0620C8B00C2886-0");
    if (!body.empty()) res.set(http::field::content_type, content_type);
    res.body() = std::move(body);
    return res;
}

// Signs `res` as WeChat Pay does, with wechatpay-go's test key (fake_wechatpay): the client of
// these tests trusts that key's certificate.
void sign_as_wechatpay(canned_answer& res) {
    const auto h = fake_wechatpay::instance().sign(res.body(), wechatpay::system_unix_time(), "canned0nonce0canned0nonce0canned");
    res.set("Wechatpay-Timestamp", h.timestamp);
    res.set("Wechatpay-Nonce", h.nonce);
    res.set("Wechatpay-Signature", h.signature);
    res.set("Wechatpay-Serial", h.serial);
    res.set("Wechatpay-Signature-Type", h.signature_type);
}

// A client of `server` that trusts fake_wechatpay's platform certificate only.
client_env_options client_of(const canned_server& server) {
    return {.client = [tweak = server.client()](wechatpay::client_config& c) {
        tweak(c);
        c.wechatpay_certificates = {fake_wechatpay::instance().certificate()};
        c.wechatpay_public_key.reset();
    }};
}

constexpr std::string_view sign_error_body = R"({"code":"SIGN_ERROR","message":"签名错误，请检查后再试"})";

}  // namespace

// ---- happy paths --------------------------------------------------------------------------

TEST_CASE("client: APP and JSAPI prepays return payment parameters the merchant signed", "[client][prepay]") {
    client_env env;
    const auto& k = shared_keys::get();

    auto app = env.run(env.client().async_prepay_app(client_env::order(trade_no("APP"), 600, prepay_kind::app)));
    REQUIRE(outcome(app) == "ok");
    CHECK(!app->prepay_id.empty());
    CHECK(app->payment.prepayid == app->prepay_id);
    CHECK(app->payment.appid == k.setup.appid);
    CHECK(app->payment.partnerid == k.setup.mchid);
    CHECK(app->payment.package == "Sign=WXPay");
    CHECK(merchant_signed(app->payment.appid + "\n" + app->payment.timestamp + "\n" + app->payment.noncestr + "\n" +
                              app->payment.prepayid + "\n",
                          app->payment.sign));

    auto js = env.run(env.client().async_prepay_jsapi(client_env::order(trade_no("JS"), 1999, prepay_kind::jsapi)));
    REQUIRE(outcome(js) == "ok");
    CHECK(js->payment.package == "prepay_id=" + js->prepay_id);
    CHECK(js->payment.appId == k.setup.appid);
    CHECK(js->payment.signType == "RSA");
    CHECK(merchant_signed(js->payment.appId + "\n" + js->payment.timeStamp + "\n" + js->payment.nonceStr + "\n" +
                              js->payment.package + "\n",
                          js->payment.paySign));
    // A signature of other bytes does not pass the same check.
    CHECK_FALSE(merchant_signed(js->payment.appId + "\n", js->payment.paySign));
}

TEST_CASE("client: NATIVE and H5 prepays return their URLs", "[client][prepay]") {
    client_env env;
    auto code = env.run(env.client().async_prepay_native(client_env::order(trade_no("NAT"))));
    REQUIRE(outcome(code) == "ok");
    CHECK(code->starts_with("weixin://"));
    auto h5 = env.run(env.client().async_prepay_h5(client_env::order(trade_no("H5"), 300, prepay_kind::h5)));
    REQUIRE(outcome(h5) == "ok");
    CHECK(h5->starts_with("https://"));
}

TEST_CASE("client: queries follow an order from NOTPAY to SUCCESS, close closes", "[client][query]") {
    client_env env;
    auto& c = env.client();
    const std::string no = env.new_order(250);

    auto before = env.run(c.async_query_by_out_trade_no(no));
    REQUIRE(outcome(before) == "ok");
    CHECK(before->trade_state == "NOTPAY");
    CHECK(before->out_trade_no == no);

    pay(env, no);
    auto paid = env.run(c.async_query_by_out_trade_no(no));
    REQUIRE(outcome(paid) == "ok");
    CHECK(paid->trade_state == "SUCCESS");
    CHECK(paid->trade_type == "NATIVE");
    REQUIRE(!paid->transaction_id.empty());
    REQUIRE(paid->amount);
    CHECK(paid->amount->total == 250);
    CHECK(!paid->raw.empty());

    auto by_id = env.run(c.async_query_by_transaction_id(paid->transaction_id));
    REQUIRE(outcome(by_id) == "ok");
    CHECK(by_id->out_trade_no == no);
    CHECK(by_id->trade_state == "SUCCESS");

    const std::string unpaid = env.new_order();
    CHECK(outcome(env.run(c.async_close_order(unpaid))) == "ok");
    auto closed = env.run(c.async_query_by_out_trade_no(unpaid));
    REQUIRE(outcome(closed) == "ok");
    CHECK(closed->trade_state == "CLOSED");
}

TEST_CASE("client: a refund is PROCESSING, then SUCCESS after the refund delay", "[client][refund]") {
    client_env env;
    auto& c = env.client();
    const std::string no = env.new_order(100);
    pay(env, no);

    wechatpay::refund_request r;
    r.out_trade_no = no;
    r.out_refund_no = "R" + no;
    r.reason = "商品已售完";
    r.refund = 60;
    r.total = 100;
    auto refunded = env.run(c.async_refund(r));
    REQUIRE(outcome(refunded) == "ok");
    CHECK(refunded->out_refund_no == r.out_refund_no);
    CHECK(refunded->out_trade_no == no);
    CHECK(!refunded->refund_id.empty());
    CHECK((refunded->status == "PROCESSING" || refunded->status == "SUCCESS"));

    std::string status;
    for (int i = 0; i < 50 && status != "SUCCESS"; ++i) {
        std::this_thread::sleep_for(50ms);
        auto q = env.run(c.async_query_refund(r.out_refund_no));
        REQUIRE(outcome(q) == "ok");
        REQUIRE(q->amount);
        CHECK(q->amount->refund == 60);
        status = q->status;
    }
    CHECK(status == "SUCCESS");
}

TEST_CASE("client: an order paid with a coupon shows it in the query, the notification and its refunds",
          "[client][query][refund][notification][coupon]") {
    notify_receiver receiver;
    client_env env;
    auto& c = env.client();
    const std::string no = trade_no("C");
    auto order = client_env::order(no, 1000);
    order.notify_url = receiver.url();
    REQUIRE(outcome(env.run(c.async_prepay_native(order))) == "ok");

    // An order paid without a coupon has no promotion_detail at all, as WeChat answers.
    const std::string plain = env.new_order(100);
    pay(env, plain);
    auto plain_q = env.run(c.async_query_by_out_trade_no(plain));
    REQUIRE(outcome(plain_q) == "ok");
    CHECK(plain_q->raw.find("promotion_detail") == std::string::npos);
    CHECK(plain_q->amount->payer_total == 100);

    const json::object coupon{{"coupon_id", "109519"}, {"name", "单品惠-6"}, {"scope", "GLOBAL"}, {"type", "NOCASH"},
                              {"amount", 200}, {"stock_id", "931386"}, {"wechatpay_contribute", 50},
                              {"merchant_contribute", 150}};
    auto control = env.control();
    auto refused = UNWRAP(control.unsigned_call("POST", "/sim/orders/" + no + "/pay",
                                                json::serialize(json::object{{"coupon", json::object{{"amount", 1000}}}})));
    CHECK(refused.status == 400);  // the payer pays something
    CHECK(refused.body.find("coupon.amount") != std::string::npos);
    auto paid = UNWRAP(control.unsigned_call("POST", "/sim/orders/" + no + "/pay",
                                             json::serialize(json::object{{"coupon", coupon}})));
    INFO(paid.body);
    REQUIRE(paid.status == 200);

    const auto check_transaction = [](const wechatpay::transaction& t) {
        REQUIRE(t.amount);
        CHECK(t.amount->total == 1000);
        CHECK(t.amount->payer_total == 800);
        REQUIRE(t.promotion_detail.size() == 1);
        const auto& p = t.promotion_detail[0];
        CHECK(p.coupon_id == "109519");
        CHECK(p.name == "单品惠-6");
        CHECK(p.scope == "GLOBAL");
        CHECK(p.type == "NOCASH");
        CHECK(p.amount == 200);
        CHECK(p.stock_id == "931386");
        CHECK(p.wechatpay_contribute == 50);
        CHECK(p.merchant_contribute == 150);
        CHECK(p.other_contribute == 0);
        CHECK(p.currency == "CNY");
    };
    auto q = env.run(c.async_query_by_out_trade_no(no));
    REQUIRE(outcome(q) == "ok");
    check_transaction(*q);

    const auto deliveries = receiver.wait_for(1);
    REQUIRE(deliveries.size() == 1);
    const auto handler = c.notifications();
    auto n = handler.parse(deliveries[0].headers, deliveries[0].body);
    REQUIRE(outcome(n) == "ok");
    REQUIRE(n->is_transaction());
    auto notified = n->transaction();
    REQUIRE(outcome(notified) == "ok");
    check_transaction(*notified);

    // Refunds return the coupon in proportion (200 of 1000): 300 of 1000 refunds 60 of it, and
    // the rest of the order the rest of the coupon, to the fen.
    wechatpay::refund_request r;
    r.out_trade_no = no;
    r.out_refund_no = "R1" + no;
    r.notify_url = receiver.url();
    r.refund = 300;
    r.total = 1000;
    r.from = {{"AVAILABLE", 200}, {"UNAVAILABLE", 100}};
    auto first = env.run(c.async_refund(r));
    REQUIRE(outcome(first) == "ok");
    REQUIRE(first->amount);
    CHECK(first->amount->refund == 300);
    CHECK(first->amount->payer_total == 800);
    CHECK(first->amount->discount_refund == 60);
    CHECK(first->amount->payer_refund == 240);
    CHECK(first->amount->settlement_total == 800);  // a NOCASH coupon is not settled
    CHECK(first->amount->settlement_refund == 240);
    REQUIRE(first->amount->from.size() == 2);
    CHECK(first->amount->from[0].account == "AVAILABLE");
    CHECK(first->amount->from[0].amount == 200);
    CHECK(first->amount->from[1].account == "UNAVAILABLE");
    CHECK(first->amount->from[1].amount == 100);
    REQUIRE(first->promotion_detail.size() == 1);
    CHECK(first->promotion_detail[0].coupon_id == "109519");  // promotion_id in refunds
    CHECK(first->promotion_detail[0].type == "DISCOUNT");
    CHECK(first->promotion_detail[0].scope == "GLOBAL");
    CHECK(first->promotion_detail[0].amount == 200);
    CHECK(first->promotion_detail[0].refund_amount == 60);

    r.out_refund_no = "R2" + no;
    r.refund = 699;
    r.from.clear();
    auto second = env.run(c.async_refund(r));
    REQUIRE(outcome(second) == "ok");
    CHECK(second->amount->discount_refund == 139);  // 200 * 999 / 1000 - 60, rounded down
    CHECK(second->amount->from.empty());
    r.out_refund_no = "R3" + no;
    r.refund = 1;
    auto last = env.run(c.async_refund(r));
    REQUIRE(outcome(last) == "ok");
    CHECK(last->amount->discount_refund == 1);  // the coupon's last fen
    CHECK(last->amount->payer_refund == 0);

    auto queried = env.run(c.async_query_refund("R1" + no));
    REQUIRE(outcome(queried) == "ok");
    CHECK(queried->amount->discount_refund == 60);
    CHECK(queried->promotion_detail.size() == 1);

    // The REFUND.SUCCESS notifications say what the payer got back.
    const auto all = receiver.wait_for(4);
    REQUIRE(all.size() == 4);
    std::set<std::int64_t> payer_refunds;
    for (std::size_t i = 1; i < all.size(); ++i) {
        auto rn = handler.parse(all[i].headers, all[i].body);
        REQUIRE(outcome(rn) == "ok");
        REQUIRE(rn->is_refund());
        auto refund = rn->refund();
        REQUIRE(outcome(refund) == "ok");
        REQUIRE(refund->amount);
        CHECK(refund->amount->payer_total == 800);
        payer_refunds.insert(*refund->amount->payer_refund);
    }
    CHECK(payer_refunds == std::set<std::int64_t>{0, 240, 560});
}

TEST_CASE("client: bills are downloaded, inflated and checked against their SHA1", "[client][bill]") {
    client_env env;
    auto& c = env.client();
    const std::string no = env.new_order(321);
    pay(env, no);

    SECTION("trade bill, gzip") {
        const wechatpay::trade_bill_request req{today_cst(), "ALL", true};
        auto info = env.run(c.async_trade_bill(req));
        REQUIRE(outcome(info) == "ok");
        CHECK(info->gzip);
        CHECK(info->hash_type == "SHA1");
        auto file = env.run(c.async_download_bill(*info));
        REQUIRE(outcome(file) == "ok");
        CHECK(wechatpay::sha1_hex(*file) == info->hash_value);
        CHECK(file->find(no) != std::string::npos);
    }
    SECTION("trade bill, plain") {
        const wechatpay::trade_bill_request req{today_cst(), "SUCCESS", false};
        auto info = env.run(c.async_trade_bill(req));
        REQUIRE(outcome(info) == "ok");
        CHECK_FALSE(info->gzip);
        auto file = env.run(c.async_download_bill(*info));
        REQUIRE(outcome(file) == "ok");
        CHECK(file->find(no) != std::string::npos);
    }
    SECTION("fundflow bill, gzip and plain") {
        for (bool gzip : {true, false}) {
            const wechatpay::fundflow_bill_request req{today_cst(), "BASIC", gzip};
            auto info = env.run(c.async_fundflow_bill(req));
            REQUIRE(outcome(info) == "ok");
            auto file = env.run(c.async_download_bill(*info));
            REQUIRE(outcome(file) == "ok");
            CHECK(wechatpay::sha1_hex(*file) == info->hash_value);
        }
    }
    SECTION("a hash that does not match is hash_mismatch") {
        const wechatpay::trade_bill_request req{today_cst(), "ALL", false};
        auto info = env.run(c.async_trade_bill(req));
        REQUIRE(outcome(info) == "ok");
        auto tampered = *info;
        tampered.hash_value = wechatpay::sha1_hex("something else");
        auto file = env.run(c.async_download_bill(tampered));
        CHECK(errc_of(file) == errc::hash_mismatch);
        if (!file) CHECK(!file.error().request_id.empty());
    }
}

TEST_CASE("client: certificates() in certificate, public-key and combined modes", "[client][certificates]") {
    const auto& k = shared_keys::get();
    SECTION("certificate mode") {
        client_env env({.keys = key_mode::certificate});
        auto certs = env.run(env.client().async_certificates());
        REQUIRE(outcome(certs) == "ok");
        REQUIRE(certs->size() == 1);
        CHECK(certs->front().serial() == k.platform_cert.serial());
    }
    SECTION("combined mode") {
        client_env env({.keys = key_mode::both});
        auto certs = env.run(env.client().async_certificates());
        REQUIRE(outcome(certs) == "ok");
        REQUIRE(certs->size() == 1);
        CHECK(certs->front().serial() == k.platform_cert.serial());
    }
    SECTION("public-key mode: no platform certificates, and nothing asked of /v3/certificates") {
        // WeChat answers a public-key merchant's /v3/certificates with an error (404
        // RESOURCE_NOT_EXISTS, or 500 SYSTEM_ERROR for some): the client does not ask.
        client_env env({.sim = [](wechatpay::sim::config& c) { c.certificates.clear(); }, .keys = key_mode::public_key});
        env.faults(fault("system_error", "/v3/certificates", {{"every", 1}}));
        auto certs = env.run(env.client().async_certificates());
        REQUIRE(outcome(certs) == "ok");
        CHECK(certs->empty());
        CHECK(env.sim_requests("/v3/certificates") == 0);
        // Calls verify with the public key.
        const std::string no = env.new_order();
        CHECK(outcome(env.run(env.client().async_query_by_out_trade_no(no))) == "ok");
    }
    SECTION("download mode: the first call downloads them") {
        client_env env({.keys = key_mode::download});
        const std::string no = env.new_order();
        CHECK(outcome(env.run(env.client().async_query_by_out_trade_no(no))) == "ok");
        CHECK(env.client().current_verifier().certificates().size() == 1);
        CHECK(env.client().stats().certificate_refreshes >= 1);
    }
}

TEST_CASE("client: in download mode a /v3/certificates that keeps failing is a bounded failure each caller sees",
          "[client][certificates]") {
    // A merchant with only a WeChat Pay public key, configured for certificate download: WeChat
    // answers 404 RESOURCE_NOT_EXISTS (or 500 SYSTEM_ERROR). Calls fail with that answer, and
    // the downloads stay rate-limited: no loop.
    const auto start = std::chrono::steady_clock::now();
    client_env env({.sim = [](wechatpay::sim::config& c) {
                        c.certificates.clear();
                        c.certificates_not_found = true;  // 404; the default is 500, below
                    },
                    .client = [](wechatpay::client_config& c) { c.retry.max_attempts = 2; },
                    .keys = key_mode::download});
    auto first = env.run(env.client().async_query_by_out_trade_no("NOSUCHORDER1"));
    REQUIRE(errc_of(first) == errc::api_error);
    CHECK(first.error().http_status == 404);
    CHECK(first.error().api_code == "RESOURCE_NOT_EXISTS");
    // Regression guard (it passed before, too): WeChat's code and message reach the caller as
    // sent, not the "no platform certificates" the client prefixes to detail.
    CHECK(first.error().api_message.starts_with("无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥"));

    env.faults(fault("system_error", "/v3/certificates", {{"every", 1}}));
    std::set<unsigned> statuses;
    for (int i = 0; i < 20; ++i) {
        auto r = env.run(env.client().async_query_by_out_trade_no("NOSUCHORDER1"));
        REQUIRE(errc_of(r) == errc::api_error);
        statuses.insert(r.error().http_status);
    }
    CHECK(env.sim_requests(query_endpoint) == 0);  // no call went out unverifiable
    // At most the first download, then one on-demand download (two attempts) per 5 s.
    const auto windows = 1 + (std::chrono::steady_clock::now() - start) / 5s;
    CHECK(env.sim_requests("/v3/certificates") <= 2 + 2 * windows);
    // Once a 500 download has happened, callers see it; before, the 404 (within 5 s of it).
    for (unsigned s : statuses) CHECK((s == 404 || s == 500));
    REQUIRE(eventually([&] {
        auto r = env.run(env.client().async_query_by_out_trade_no("NOSUCHORDER1"));
        return !r && r.error().http_status == 500 && r.error().api_code == "SYSTEM_ERROR";
    }, 15s));
}

TEST_CASE("client: in download mode the simulator's default 500 SYSTEM_ERROR for a public-key merchant is bounded too",
          "[client][certificates]") {
    // WeChat's answer to a new merchant's /v3/certificates (wechatpay-apiv3/wechatpay-java#302),
    // the simulator's default: retried within max_attempts, then reported; never a loop.
    const auto start = std::chrono::steady_clock::now();
    client_env env({.sim = [](wechatpay::sim::config& c) { c.certificates.clear(); },
                    .client = [](wechatpay::client_config& c) { c.retry.max_attempts = 2; },
                    .keys = key_mode::download});
    for (int i = 0; i < 10; ++i) {
        auto r = env.run(env.client().async_query_by_out_trade_no("NOSUCHORDER1"));
        REQUIRE(errc_of(r) == errc::api_error);
        CHECK(r.error().http_status == 500);
        CHECK(r.error().api_code == "SYSTEM_ERROR");
        CHECK(r.error().api_message == "系统繁忙，请稍后重试");
    }
    CHECK(env.sim_requests(query_endpoint) == 0);
    const auto windows = 1 + (std::chrono::steady_clock::now() - start) / 5s;
    CHECK(env.sim_requests("/v3/certificates") <= 2 + 2 * windows);
}

TEST_CASE("client: request() is a signed, verified escape hatch", "[client][request]") {
    client_env env;
    const std::string no = env.new_order(777);
    auto a = env.run(env.client().async_request("GET", order_path(no), ""));
    REQUIRE(outcome(a) == "ok");
    CHECK(a->status == 200);
    CHECK(a->verified);
    CHECK(!a->request_id.empty());
    CHECK(json::parse(a->body).at("out_trade_no").as_string() == no);

    // Any HTTP status is a value here.
    auto missing = env.run(env.client().async_request("GET", order_path("NO_SUCH_ORDER_1"), ""));
    REQUIRE(outcome(missing) == "ok");
    CHECK(missing->status == 404);
    CHECK(json::parse(missing->body).at("code").as_string() == "ORDER_NOT_EXIST");
}

// ---- validation ---------------------------------------------------------------------------

TEST_CASE("client: invalid requests are refused before any I/O", "[client][validation]") {
    client_env env;
    auto& c = env.client();
    std::vector<std::pair<std::string, errc>> seen;
    auto note = [&seen](const std::string& what, errc e) { seen.emplace_back(what, e); };

    auto bad_no = client_env::order("x");  // too short
    note("prepay_native short out_trade_no", errc_of(env.run(c.async_prepay_native(bad_no))));
    auto no_description = client_env::order(trade_no("V"));
    no_description.description.clear();
    note("prepay_app without description", errc_of(env.run(c.async_prepay_app(no_description))));
    auto zero = client_env::order(trade_no("V"), 0);
    note("prepay_native total 0", errc_of(env.run(c.async_prepay_native(zero))));
    note("prepay_jsapi without openid", errc_of(env.run(c.async_prepay_jsapi(client_env::order(trade_no("V"))))));
    note("prepay_h5 without scene_info", errc_of(env.run(c.async_prepay_h5(client_env::order(trade_no("V"))))));
    note("query without out_trade_no", errc_of(env.run(c.async_query_by_out_trade_no(""))));
    note("query without transaction_id", errc_of(env.run(c.async_query_by_transaction_id(""))));
    note("close without out_trade_no", errc_of(env.run(c.async_close_order(""))));
    note("query_refund without out_refund_no", errc_of(env.run(c.async_query_refund(""))));
    wechatpay::refund_request too_much;
    too_much.out_trade_no = trade_no("V");
    too_much.out_refund_no = "R" + too_much.out_trade_no;
    too_much.refund = 200;
    too_much.total = 100;
    note("refund over the total", errc_of(env.run(c.async_refund(too_much))));
    const wechatpay::trade_bill_request bad_date{"2026/11/27", "ALL", false};
    note("trade_bill with a bad date", errc_of(env.run(c.async_trade_bill(bad_date))));
    const wechatpay::fundflow_bill_request bad_fund{"yesterday", "BASIC", false};
    note("fundflow_bill with a bad date", errc_of(env.run(c.async_fundflow_bill(bad_fund))));
    const wechatpay::bill_info elsewhere{"SHA1", "00", "https://evil.example.com/v3/billdownload/file?token=x", false};
    note("download_bill from another host", errc_of(env.run(c.async_download_bill(elsewhere))));
    note("request with an unknown method", errc_of(env.run(c.async_request("FETCH", "/v3/certificates", ""))));
    note("request with a relative target", errc_of(env.run(c.async_request("GET", "v3/certificates", ""))));

    for (const auto& [what, e] : seen) {
        INFO(what);
        CHECK(e == errc::invalid_argument);
    }
    CHECK(env.sim_requests() == 0);
    CHECK(int_at(env.sim_stats(), "/connections_accepted") == 0);
    CHECK(env.client().stats().connects == 0);
}

TEST_CASE("client: request() sends only origin-form targets and method tokens, refusing the rest before any I/O",
          "[client][validation][request]") {
    client_env env;
    auto& c = env.client();
    // Each would put other bytes on the wire than those signed, or let the target end the
    // request line: the first smuggles a second request over the signed connection.
    const std::string_view bad_targets[] = {
        "/v3/certificates HTTP/1.1\r\nHost: x\r\n\r\nGET /v3/pay/transactions/id/1?mchid=1",
        "/v3/certificates\r\nX-Injected: 1",
        "/v3/certificates\nX-Injected: 1",
        "/v3/certificates\rX",
        "/v3/cert ificates",
        "/v3/certificates\t",
        std::string_view("/v3/certificates\0", 17),
        "/v3/certificates\x7f",
        "/v3/pay/transactions/out-trade-no/\xe8\xae\xa2\xe5\x8d\x95?mchid=1",  // UTF-8: must be %XX
        "/v3/certificates#fragment",
        "/v3/certificates?a=%",
        "/v3/certificates?a=%4",
        "/v3/certificates?a=%zz",
        "/v3/certificates?a=\"b\"",
        "/v3/certificates?a=<b>",
        "/v3/certificates?a={b}",
        "/v3/certificates?a=b|c",
        "/v3/certificates?a=b\\c",
        "/v3/certificates?a=b^c",
        "/v3/certificates?a=b`c",
        "",
        "v3/certificates",
        "https://api.mch.weixin.qq.com/v3/certificates",
        "*",
    };
    for (std::string_view target : bad_targets) {
        CAPTURE(target);
        const auto r = env.run(c.async_request("GET", std::string(target), ""));
        REQUIRE(errc_of(r) == errc::invalid_argument);
        // The error quotes the target escaped and cut: no raw line break reaches a log.
        CHECK(r.error().to_string().find_first_of("\r\n") == std::string::npos);
        CHECK(r.error().to_string().size() < 300);
    }
    for (std::string_view method : {"GET\r\nX-Injected: 1", "GET /v3/x", "get", "", "G\x00T", "FETCH", "M-SEARCH"}) {
        CAPTURE(method);
        CHECK(errc_of(env.run(c.async_request(std::string(method), "/v3/certificates", ""))) == errc::invalid_argument);
    }
    // A download URL from an answer is held to the same rule.
    const std::string origin = "https://" + c.config().endpoint.host + ":" + std::to_string(c.config().endpoint.port);
    const wechatpay::bill_info injected{"SHA1", "00", origin + "/v3/billdownload/file?token=x\r\nX: 1", false};
    CHECK(errc_of(env.run(c.async_download_bill(injected))) == errc::invalid_argument);
    CHECK(env.sim_requests() == 0);
    CHECK(int_at(env.sim_stats(), "/connections_accepted") == 0);
    CHECK(c.stats().connects == 0);

    // Every character origin-form allows goes out as written: WeChat answers, the client does
    // not refuse.
    const auto fine = env.run(c.async_request("GET", "/v3/pay/transactions/out-trade-no/A%20B-._~!$&'()*+,;=:@?mchid=" +
                                                   c.config().mchid + "&x=/?%E8%AE%A2",
                                              ""));
    REQUIRE(fine);
    CHECK(fine->status == 404);
}

// ---- WeChat's errors ----------------------------------------------------------------------

TEST_CASE("client: WeChat's errors are api_error with status, code and Request-ID", "[client][api-error]") {
    client_env env;
    auto& c = env.client();
    auto check_api_error = [](const auto& r, unsigned status, const std::string& code) {
        REQUIRE(errc_of(r) == errc::api_error);
        INFO(diagnostics(r.error()));
        CHECK(r.error().http_status == status);
        CHECK(r.error().api_code == code);
        CHECK(!r.error().api_message.empty());
        CHECK(!r.error().request_id.empty());
        CHECK(r.error().kind() == wechatpay::error_kind::api);
    };
    const auto before = c.stats().retries;

    SECTION("ORDER_NOT_EXIST") {
        check_api_error(env.run(c.async_query_by_out_trade_no("NO_SUCH_ORDER_2")), 404, "ORDER_NOT_EXIST");
        check_api_error(env.run(c.async_close_order("NO_SUCH_ORDER_3")), 404, "ORDER_NOT_EXIST");
    }
    SECTION("OUT_TRADE_NO_USED") {
        const std::string no = env.new_order(100);
        check_api_error(env.run(c.async_prepay_native(client_env::order(no, 200))), 403, "OUT_TRADE_NO_USED");
    }
    SECTION("ORDERPAID on closing a paid order") {
        const std::string no = env.new_order();
        pay(env, no);
        check_api_error(env.run(c.async_close_order(no)), 400, "ORDERPAID");
    }
    SECTION("RESOURCE_NOT_EXISTS for an unknown refund") {
        check_api_error(env.run(c.async_query_refund("NO_SUCH_REFUND_1")), 404, "RESOURCE_NOT_EXISTS");
    }
    SECTION("INVALID_REQUEST for a bill of the future") {
        const wechatpay::trade_bill_request future{"2099-01-01", "ALL", false};
        check_api_error(env.run(c.async_trade_bill(future)), 400, "INVALID_REQUEST");
    }
    SECTION("NO_STATEMENT_EXIST for a day without records") {
        const wechatpay::trade_bill_request quiet{days_ago_cst(5), "ALL", false};
        check_api_error(env.run(c.async_trade_bill(quiet)), 400, "NO_STATEMENT_EXIST");
    }
    SECTION("ORDER_CLOSED on a prepay of a closed order") {
        const std::string no = env.new_order(100);
        REQUIRE(outcome(env.run(c.async_close_order(no))) == "ok");
        check_api_error(env.run(c.async_prepay_native(client_env::order(no, 100))), 400, "ORDER_CLOSED");
    }
    SECTION("APPID_MCHID_NOT_MATCH for an appid the merchant does not own") {
        auto order = client_env::order(trade_no("A"));
        order.appid = "wx0000000000000000";
        check_api_error(env.run(c.async_prepay_native(order)), 400, "APPID_MCHID_NOT_MATCH");
    }
    SECTION("RESOURCE_NOT_EXISTS for a refund of an unpaid order, INVALID_REQUEST for more than was paid") {
        wechatpay::refund_request r;
        r.out_trade_no = env.new_order(100);
        r.out_refund_no = "R" + r.out_trade_no;
        r.refund = 10;
        r.total = 100;
        check_api_error(env.run(c.async_refund(r)), 404, "RESOURCE_NOT_EXISTS");
        REQUIRE(env.sim().pay(shared_keys::get().setup.mchid, r.out_trade_no));
        r.refund = 60;
        REQUIRE(outcome(env.run(c.async_refund(r))) == "ok");
        r.out_refund_no += "2";
        check_api_error(env.run(c.async_refund(r)), 400, "INVALID_REQUEST");  // 60 of the 40 left
    }
    SECTION("PARAM_ERROR from WeChat, through the raw request the client does not validate") {
        auto r = env.run(c.async_request("GET", "/v3/bill/tradebill?bill_date=" + today_cst() + "&bill_type=EVERYTHING", ""));
        REQUIRE(outcome(r) == "ok");  // a verified answer, whatever its status
        CHECK(r->status == 400);
        CHECK(r->body.find("PARAM_ERROR") != std::string::npos);
    }
    // A 4xx is never retried.
    CHECK(c.stats().retries == before);
}

// WeChat answers a request whose signature it could not verify without signing the answer: the
// client reads it as WeChat's error, unverified, instead of reporting a missing header.
TEST_CASE("client: a merchant WeChat does not know, a wrong serial or a wrong key is an unverified api_error",
          "[client][api-error][unsigned]") {
    auto check_unsigned = [](const wechatpay::error& e, unsigned status, const std::string& code) {
        INFO(diagnostics(e));
        CHECK(errc_of(e) == errc::api_error);
        CHECK(e.http_status == status);
        CHECK(e.api_code == code);
        CHECK_FALSE(e.api_message.empty());
        CHECK_FALSE(e.request_id.empty());
        CHECK_FALSE(e.verified());
        CHECK(e.to_string().find("unverified") != std::string::npos);
    };
    struct wrong_merchant {
        std::string what, code;
        unsigned status;
        client_tweak tweak;
    };
    const auto w = GENERATE(
        wrong_merchant{"a serial WeChat does not know", "SIGN_ERROR", 401,
                       [](wechatpay::client_config& c) {
                           c.merchant_certificate.reset();
                           c.merchant_serial = "5F1C72E2A8931B72A2E13AF8DEE92471EB397115";
                       }},
        wrong_merchant{"a merchant key that is not the certificate's", "SIGN_ERROR", 401,
                       [](wechatpay::client_config& c) {
                           c.merchant_serial = c.merchant_certificate->serial();
                           c.merchant_certificate.reset();
                           c.merchant_key = UNWRAP(wechatpay::private_key::from_file(shared_keys::get().dir / "platform_key.pem"));
                       }},
        wrong_merchant{"an mchid WeChat has no merchant for", "MCH_NOT_EXISTS", 400,
                       [](wechatpay::client_config& c) { c.mchid = "1900009999"; }});
    INFO(w.what);
    client_env env({.client = w.tweak});
    auto r = env.run(env.client().async_query_by_out_trade_no("NO_SUCH_ORDER_4"));
    REQUIRE_FALSE(r);
    check_unsigned(r.error(), w.status, w.code);
    CHECK(env.client().stats().retries == 0);

    // The raw escape hatch hands it over as an answer, marked unverified.
    auto raw = env.run(env.client().async_request("GET", order_path("NO_SUCH_ORDER_4"), ""));
    REQUIRE(outcome(raw) == "ok");
    CHECK(raw->status == w.status);
    CHECK_FALSE(raw->verified);
    CHECK_FALSE(raw->request_id.empty());
    CHECK(json::parse(raw->body).at("code").as_string() == w.code);
}

TEST_CASE("client: a non-2xx answer whose signature fails is still a security error", "[client][unsigned]") {
    client_env env;
    env.faults(fault("bad_signature", query_endpoint, {{"every", 1}}));
    auto r = env.run(env.client().async_query_by_out_trade_no("NO_SUCH_ORDER_6"));  // a signed 404
    REQUIRE(errc_of(r) == errc::bad_signature);
    CHECK(r.error().http_status == 404);
    CHECK(r.error().verified());
    CHECK(env.client().stats().retries == 0);
    auto raw = env.run(env.client().async_request("GET", order_path("NO_SUCH_ORDER_6"), ""));
    CHECK(errc_of(raw) == errc::bad_signature);
}

// The same answers from a server that is not the simulator: what WeChat sends, byte for byte.
TEST_CASE("client: a foreign server's unsigned 401 SIGN_ERROR is WeChat's error; forged and partial signatures are not",
          "[client][unsigned]") {
    SECTION("401 SIGN_ERROR without Wechatpay-* headers: api_error, unverified, not retried") {
        canned_server server(canned(401, std::string(sign_error_body)));
        client_env env(client_of(server));
        auto r = env.run(env.client().async_query_by_out_trade_no("C_FOREIGN_1"));
        REQUIRE(errc_of(r) == errc::api_error);
        INFO(diagnostics(r.error()));
        CHECK(r.error().http_status == 401);
        CHECK(r.error().api_code == "SIGN_ERROR");
        CHECK(r.error().api_message == "签名错误，请检查后再试");
        CHECK(r.error().request_id == "08C9E2ACB40610A80118E7D4C2AF0620C8B00C2886-0");
        CHECK_FALSE(r.error().verified());
        CHECK(server.requests() == 1);
        CHECK(env.sim_requests() == 0);  // the simulator beside it saw nothing
    }
    SECTION("the same 401 signed by WeChat Pay's key: api_error, verified") {
        auto answer = canned(401, std::string(sign_error_body));
        sign_as_wechatpay(answer);
        canned_server server(std::move(answer));
        client_env env(client_of(server));
        auto r = env.run(env.client().async_query_by_out_trade_no("C_FOREIGN_2"));
        REQUIRE(errc_of(r) == errc::api_error);
        CHECK(r.error().api_code == "SIGN_ERROR");
        CHECK(r.error().verified());
    }
    SECTION("a 401 whose signature is over other bytes: bad_signature") {
        auto answer = canned(401, std::string(sign_error_body));
        sign_as_wechatpay(answer);
        answer.body() = R"({"code":"SIGN_ERROR","message":"changed"})";
        canned_server server(std::move(answer));
        client_env env(client_of(server));
        auto r = env.run(env.client().async_query_by_out_trade_no("C_FOREIGN_3"));
        CHECK(errc_of(r) == errc::bad_signature);
        CHECK(r.error().http_status == 401);
    }
    SECTION("a 401 with only some signature headers: verified, so missing_header") {
        for (std::string_view kept : {"Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial"}) {
            INFO("only " << kept);
            auto answer = canned(401, std::string(sign_error_body));
            sign_as_wechatpay(answer);
            for (std::string_view dropped : {"Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial"})
                if (dropped != kept) answer.erase(dropped);
            canned_server server(std::move(answer));
            client_env env(client_of(server));
            auto r = env.run(env.client().async_query_by_out_trade_no("C_FOREIGN_4"));
            CHECK(errc_of(r) == errc::missing_header);
            CHECK(r.error().kind() == wechatpay::error_kind::security);
        }
    }
    SECTION("a 200 without Wechatpay-* headers: forged, missing_header") {
        canned_server server(canned(200, R"({"out_trade_no":"C_FOREIGN_5","trade_state":"SUCCESS"})"));
        client_env env(client_of(server));
        auto r = env.run(env.client().async_query_by_out_trade_no("C_FOREIGN_5"));
        CHECK(errc_of(r) == errc::missing_header);
        auto raw = env.run(env.client().async_request("GET", order_path("C_FOREIGN_5"), ""));
        CHECK(errc_of(raw) == errc::missing_header);
    }
    SECTION("a gateway's 502 page without headers: retried, then an api_error quoting the page") {
        canned_server server(canned(502,
                                    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>"
                                    "<center><h1>502 Bad Gateway</h1></center></body>\r\n</html>\r\n",
                                    "text/html"));
        client_env env(client_of(server));
        auto r = env.run(env.client().async_query_by_out_trade_no("C_FOREIGN_6"));
        REQUIRE(errc_of(r) == errc::api_error);
        INFO(diagnostics(r.error()));
        CHECK(r.error().http_status == 502);
        CHECK(r.error().api_code.empty());
        CHECK(r.error().api_message.starts_with(R"("<html>\r\n<head><title>502 Bad Gateway</title>)"));
        CHECK(r.error().detail.find("not WeChat's") != std::string::npos);
        CHECK_FALSE(r.error().verified());
        CHECK(server.requests() == 3);  // max_attempts
        CHECK(env.client().stats().retries == 2);
    }
    SECTION("an error body with a field of the wrong type: the other fields are kept") {
        const std::pair<std::string, std::array<std::string, 3>> cases[] = {
            // body → api_code, api_message, api_detail
            {R"({"code":"PARAM_ERROR","message":42,"detail":{"location":"body"}})",
             {"PARAM_ERROR", "", R"({"location":"body"})"}},
            {R"({"code":["SIGN_ERROR"],"message":"签名错误，请检查后再试","detail":null})",
             {"", "签名错误，请检查后再试", "null"}},
            {R"({"code":"SYSTEM_ERROR","message":"系统繁忙，请稍后重试","detail":"text"})",
             {"SYSTEM_ERROR", "系统繁忙，请稍后重试", R"("text")"}}};
        for (const auto& [body, expected] : cases) {
            INFO(body);
            canned_server server(canned(400, body));
            client_env env(client_of(server));
            auto r = env.run(env.client().async_query_by_out_trade_no("C_FOREIGN_7"));
            REQUIRE(errc_of(r) == errc::api_error);
            CHECK(r.error().http_status == 400);
            CHECK(r.error().api_code == expected[0]);
            CHECK(r.error().api_message == expected[1]);
            CHECK(r.error().api_detail == expected[2]);
            CHECK((r.error().detail.find("not WeChat's") != std::string::npos) == expected[0].empty());
        }
    }
}

// ---- answers that fail verification -------------------------------------------------------

TEST_CASE("client: answers that fail verification are security errors", "[client][verification]") {
    struct expectation {
        const char* fault;
        errc expected;
        key_mode keys;
    };
    const auto e = GENERATE(expectation{"bad_signature", errc::bad_signature, key_mode::both},
                            expectation{"probe_signature", errc::probe_signature, key_mode::both},
                            expectation{"stale_timestamp", errc::stale_timestamp, key_mode::both},
                            expectation{"unknown_serial", errc::unknown_serial, key_mode::both},
                            expectation{"unknown_serial", errc::unknown_serial, key_mode::certificate},
                            expectation{"unknown_serial", errc::unknown_serial, key_mode::public_key},
                            expectation{"bad_signature", errc::bad_signature, key_mode::public_key});
    INFO(e.fault << " with keys mode " << static_cast<int>(e.keys));
    client_env env({.keys = e.keys});
    const std::string no = env.new_order();
    env.faults(fault(e.fault, query_endpoint, {{"every", 1}}));

    auto r = env.run(env.client().async_query_by_out_trade_no(no));
    REQUIRE(errc_of(r) == e.expected);
    CHECK(r.error().kind() == wechatpay::error_kind::security);
    CHECK(!r.error().request_id.empty());
    CHECK(env.client().stats().retries == 0);
    // Configured keys: nothing was downloaded.
    CHECK(env.sim_requests("/v3/certificates") == 0);
}

TEST_CASE("client: a well-signed answer that is not JSON is malformed_json", "[client][verification]") {
    client_env env;
    const std::string no = env.new_order();
    env.faults(fault("malformed_json", query_endpoint, {{"every", 1}}));
    auto r = env.run(env.client().async_query_by_out_trade_no(no));
    REQUIRE(errc_of(r) == errc::malformed_json);
    CHECK(!r.error().request_id.empty());

    env.faults(fault("malformed_json", "/v3/pay/transactions/app", {{"every", 1}}));
    auto prepay = env.run(env.client().async_prepay_app(client_env::order(trade_no("MJ"), 100, prepay_kind::app)));
    REQUIRE(errc_of(prepay) == errc::malformed_json);
    CHECK(!prepay.error().request_id.empty());
}

// ---- notifications ------------------------------------------------------------------------

TEST_CASE("client: notifications() verifies and decrypts a callback signed by WeChat Pay", "[client][notification]") {
    client_env env({.keys = key_mode::certificate});
    const auto& k = shared_keys::get();
    const auto& platform = k.setup.sim.certificates.front();

    const std::string resource = json::serialize(json::object{
        {"mchid", k.setup.mchid}, {"appid", k.setup.appid}, {"out_trade_no", "NOTIFY_1"},
        {"transaction_id", "4200000000202611270000000001"}, {"trade_type", "NATIVE"}, {"trade_state", "SUCCESS"},
        {"trade_state_desc", "支付成功"}, {"bank_type", "OTHERS"}, {"success_time", rfc3339_cst(std::time(nullptr))},
        {"payer", json::object{{"openid", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}}},
        {"amount", json::object{{"total", 100}, {"payer_total", 100}, {"currency", "CNY"}, {"payer_currency", "CNY"}}}});
    const std::string nonce = wechatpay::random_nonce(12);
    const std::string sealed = UNWRAP(wechatpay::aead_encrypt(k.apiv3, nonce, "transaction", resource));
    const std::string body = json::serialize(json::object{
        {"id", "EV-1"}, {"create_time", rfc3339_cst(std::time(nullptr))}, {"resource_type", "encrypt-resource"},
        {"event_type", "TRANSACTION.SUCCESS"}, {"summary", "支付成功"},
        {"resource", json::object{{"original_type", "transaction"}, {"algorithm", "AEAD_AES_256_GCM"},
                                  {"ciphertext", sealed}, {"associated_data", "transaction"}, {"nonce", nonce}}}});
    wechatpay::signature_headers h;
    h.timestamp = std::to_string(std::time(nullptr));
    h.nonce = wechatpay::random_nonce(32);
    h.serial = platform.cert.serial();
    h.signature_type = "WECHATPAY2-SHA256-RSA2048";
    h.signature = wechatpay::base64_encode(UNWRAP(platform.key.sign_sha256(h.timestamp + "\n" + h.nonce + "\n" + body + "\n")));

    const auto handler = env.client().notifications();
    auto event = handler.parse(h, body);
    REQUIRE(outcome(event) == "ok");
    CHECK(event->event_type == "TRANSACTION.SUCCESS");
    CHECK(event->is_transaction());
    auto t = event->transaction();
    REQUIRE(outcome(t) == "ok");
    CHECK(t->out_trade_no == "NOTIFY_1");
    CHECK(t->trade_state == "SUCCESS");

    auto forged = body;
    forged[forged.size() - 2] = ' ';
    CHECK(errc_of(handler.parse(h, forged)) == errc::bad_signature);
}

// ---- logger -------------------------------------------------------------------------------

TEST_CASE("client: the logger hears about retries and failures, never a secret", "[client][logger]") {
    struct log_sink {
        std::mutex mutex;
        std::vector<std::string> lines;
    };
    auto sink = std::make_shared<log_sink>();
    client_env env({.client = [sink](wechatpay::client_config& cfg) {
                        cfg.logger = [sink](wechatpay::log_level level, std::string_view message, std::string_view id) {
                            std::lock_guard lock(sink->mutex);
                            sink->lines.push_back(std::string(wechatpay::to_string(level)) + " " + std::string(message) +
                                                  " " + std::string(id));
                        };
                    },
                    .keys = key_mode::download});
    const std::string no = env.new_order();
    env.faults(fault("system_error", query_endpoint, {{"times", 1}}));
    CHECK(outcome(env.run(env.client().async_query_by_out_trade_no(no))) == "ok");
    env.faults(fault("bad_signature", query_endpoint, {{"times", 1}}));
    CHECK(errc_of(env.run(env.client().async_query_by_out_trade_no(no))) == errc::bad_signature);

    const auto& k = shared_keys::get();
    std::ifstream in(k.setup.merchant_key);
    const std::string key_pem{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    REQUIRE(key_pem.find("PRIVATE KEY") != std::string::npos);
    std::lock_guard lock(sink->mutex);
    CHECK(sink->lines.size() >= 2);
    for (const auto& line : sink->lines) {
        INFO(line);
        CHECK(line.find(k.setup.apiv3_key) == std::string::npos);
        CHECK_FALSE(contains_pem_text(line, key_pem));
        CHECK(line.find("PRIVATE KEY") == std::string::npos);
    }
}

TEST_CASE("client: a raw request's extra headers reach the server as given, beside the SDK's own",
          "[client][request][options]") {
    auto answer = canned(200, R"({"out_trade_no":"C_HEADERS_1","trade_state":"NOTPAY"})");
    sign_as_wechatpay(answer);
    canned_server server(std::move(answer));
    client_env env(client_of(server));
    wechatpay::request_options o;
    o.headers = {{"Accept-Language", "en"}, {"X-Trace", "a\tb c"}, {"x-lower-case", "\xE4\xB8\xAD"}};
    o.serial = "5157F09EFDC096DE15EBE81A47057A72";  // the call's, not the client's preferred key
    auto r = env.run(env.client().async_request("GET", order_path("C_HEADERS_1"), "", o));
    REQUIRE(outcome(r) == "ok");
    CHECK(r->verified);
    const std::string head = server.last_head();
    INFO(head);
    CHECK(head.find("\r\nAccept-Language: en\r\n") != std::string::npos);
    CHECK(head.find("\r\nX-Trace: a\tb c\r\n") != std::string::npos);
    CHECK(head.find("\r\nx-lower-case: \xE4\xB8\xAD\r\n") != std::string::npos);
    const auto serial = head.find("\r\nWechatpay-Serial: 5157F09EFDC096DE15EBE81A47057A72\r\n");
    CHECK(serial != std::string::npos);
    CHECK(head.find("Wechatpay-Serial:", serial + 3) == std::string::npos);  // once
    CHECK(head.find("\r\nAuthorization: WECHATPAY2-SHA256-RSA2048 ") != std::string::npos);
    CHECK(head.find("\r\nAccept: application/json\r\n") != std::string::npos);
}

TEST_CASE("client: an error answer is read up to 4 MiB whatever the call's limit, from its Content-Length",
          "[client][limits]") {
    // Unsigned, as a gateway's error page would be: the raw request's limit is 256 MiB and a
    // streamed download has none, but neither reads more than 4 MiB of an error.
    const std::string big(5 * 1024 * 1024, 'x');
    canned_server server(canned(403, big, "text/plain"));
    client_env env(client_of(server));
    auto raw = env.run(env.client().async_request("GET", order_path("C_LIMIT_1"), ""));
    REQUIRE_FALSE(raw);
    CHECK(raw.error().code == boost::beast::http::error::body_limit);
    temp_dir dir;
    auto download = env.run(env.client().async_download_to("/v3/billdownload/file?token=C_LIMIT_2", dir / "bill.csv"));
    REQUIRE_FALSE(download);
    CHECK(download.error().code == boost::beast::http::error::body_limit);
    CHECK_FALSE(std::filesystem::exists(dir / "bill.csv"));
    const wechatpay::bill_info bill{"SHA1", std::string(40, '0'),
                                    "https://127.0.0.1:" + std::to_string(env.client().config().endpoint.port) +
                                        "/v3/billdownload/file?token=C_LIMIT_3"};
    auto streamed = env.run(env.client().async_download_bill_to(bill, dir / "bill.csv"));
    REQUIRE_FALSE(streamed);
    CHECK(streamed.error().code == boost::beast::http::error::body_limit);
    CHECK(server.requests() == 3);  // each asked once: a too-large answer is not retried
    CHECK(env.client().stats().retries == 0);
    CHECK(env.client().stats().discarded == static_cast<std::uint64_t>(server.requests()));  // bodies unread: closed
}

TEST_CASE("client: a GET whose answer is over the call's limit fails at once, not retried", "[client][limits][retry]") {
    // A typed query reads at most 4 MiB. The same GET would bring the same answer: not
    // transient, so max_attempts does not apply. Signed or not, nothing of it is read.
    auto answer = canned(200, std::string(5 * 1024 * 1024, ' '));
    sign_as_wechatpay(answer);
    canned_server server(std::move(answer));
    auto options = client_of(server);
    options.client = [tweak = options.client](wechatpay::client_config& c) {
        tweak(c);
        c.retry.max_attempts = 4;
    };
    client_env env(options);
    auto q = env.run(env.client().async_query_by_out_trade_no("C_LIMIT_5"));
    REQUIRE_FALSE(q);
    CHECK(q.error().code == boost::beast::http::error::body_limit);
    CHECK(server.requests() == 1);
    CHECK(env.client().stats().retries == 0);
    // A raw GET (256 MiB limit) under its limit is read; the limit is the call's.
    auto raw = env.run(env.client().async_request("GET", order_path("C_LIMIT_6"), ""));
    REQUIRE(outcome(raw) == "ok");
    CHECK(raw->body.size() == 5 * 1024 * 1024);
    CHECK(server.requests() == 2);
}

TEST_CASE("client: a complaint image stream ends at 32 MiB with body_limit, leaving no file behind",
          "[client][limits][complaints]") {
    // WeChat keeps images of at most 2 MB; an unsigned answer that goes on past 32 MiB is cut
    // there (client.hpp, async_download_complaint_image), refused from its Content-Length when
    // it has one, and fails by beast's http::error::body_limit either way.
    constexpr std::size_t cap = std::size_t{32} << 20;
    for (const bool chunked : {false, true}) {
        INFO((chunked ? "chunked" : "Content-Length"));
        auto answer = canned(200, std::string(cap + 1024 * 1024, 'i'), "image/jpeg");
        if (chunked) answer.chunked(true);
        canned_server server(std::move(answer));
        client_env env(client_of(server));
        temp_dir dir;
        auto to_file = env.run(env.client().async_download_complaint_image("SIMbigimage1", dir / "big.jpg"), 30s);
        REQUIRE_FALSE(to_file);
        CHECK(to_file.error().code == boost::beast::http::error::body_limit);
        CHECK(std::filesystem::is_empty(dir.path()));  // neither the file nor its temporary
        std::size_t given = 0;
        auto to_sink = env.run(env.client().async_download_complaint_image(
                                   "SIMbigimage2", wechatpay::download_sink([&given](std::string_view piece) -> wechatpay::result<void> {
                                       given += piece.size();
                                       return {};
                                   })),
                               30s);
        REQUIRE_FALSE(to_sink);
        CHECK(to_sink.error().code == boost::beast::http::error::body_limit);
        CHECK(given <= cap);
        if (!chunked) CHECK(given == 0);  // refused from the header: no byte read
        CHECK(server.requests() == 2);    // not retried
    }
}

TEST_CASE("client: an error answer within 4 MiB is read whole", "[client][limits]") {
    canned_server server(canned(403, std::string(3 * 1024 * 1024, 'y'), "text/plain"));
    client_env env(client_of(server));
    auto raw = env.run(env.client().async_request("GET", order_path("C_LIMIT_4"), ""));
    REQUIRE(outcome(raw) == "ok");
    CHECK(raw->status == 403);
    CHECK(raw->body.size() == 3 * 1024 * 1024);
    CHECK_FALSE(raw->verified);
}
