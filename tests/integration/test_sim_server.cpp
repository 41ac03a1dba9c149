// The simulator as a server: request limits, idle keep-alive connections, loopback-only
// listening, statistics (connections, TLS handshakes, requests, answers), certificate rotation;
// and its config loading, in-process and through `wechatpay sim`.
#include "sim_env.hpp"

#include <sys/wait.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

using namespace wechatpay_test;
using wechatpay::errc;

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;

// What the simulator answered to bytes sent as written, and how the connection ended after it.
struct raw_answer {
    boost::system::error_code read_ec;  // of the answer
    beast::http::response<beast::http::string_body> res;
    boost::system::error_code after;  // of a read after the answer: the server's close
};

// Sends `wire` as written over a new TLS connection to the simulator (what sim_client, which
// writes only well-formed requests, cannot) and reads one answer; every step within 10 s.
raw_answer raw_exchange(const wechatpay::sim::simulator& sim, const std::string& wire) {
    asio::io_context ioc;
    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.load_verify_file(sim.ca_file().string());
    tls.set_verify_mode(asio::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, tls);
    raw_answer out;
    auto step = [&](auto start) {
        stream.next_layer().expires_after(10s);
        start();
        ioc.restart();
        ioc.run();
    };
    auto store = [&out](boost::system::error_code e, auto&&...) { out.read_ec = e; };
    const asio::ip::tcp::endpoint to(asio::ip::make_address(sim.host()), sim.port());
    step([&] { stream.next_layer().async_connect(to, store); });
    if (!out.read_ec) step([&] { stream.async_handshake(asio::ssl::stream_base::client, store); });
    if (out.read_ec) return out;
    // Written and read at once: the server may answer before it has read all of it.
    beast::flat_buffer buffer;
    step([&] {
        asio::async_write(stream, asio::buffer(wire), [](boost::system::error_code, std::size_t) {});
        beast::http::async_read(stream, buffer, out.res, [&](boost::system::error_code e, std::size_t) {
            out.read_ec = e;
            stream.next_layer().cancel();  // a write still stuck behind an early answer is abandoned
        });
    });
    if (out.read_ec || out.res.keep_alive()) return out;
    // Done sending: the server, draining what a client still sends, sees the end and closes.
    boost::system::error_code ignored;
    stream.next_layer().socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    char byte = 0;
    step([&] {
        stream.async_read_some(asio::buffer(&byte, 1), [&](boost::system::error_code e, std::size_t n) {
            out.after = n ? make_error_code(errc::invalid_argument) : e;
        });
    });
    return out;
}

}  // namespace

// ---- limits and connections ---------------------------------------------------------------

TEST_CASE("a request body over max_body answers 413 and the connection closes; max_body itself is accepted",
          "[sim][server]") {
    // A small limit keeps the whole request in one TLS record, so the server has read all of it
    // before it answers and closes (see the 1 MiB case below for what happens otherwise).
    sim_env env([](wechatpay::sim::config& c) { c.max_body = 4096; });
    auto merchant = env.client();
    auto a = UNWRAP(merchant.signed_call("POST", prepay_path("native"), std::string(4097, 'x')));
    CHECK(a.status == 413);
    CHECK_FALSE(a.raw.keep_alive());
    CHECK(code_of(a) == "PARAM_ERROR");
    CHECK_FALSE(a.request_id.empty());
    CHECK(without_signature(a.raw));  // refused before its signature could be checked
    CHECK(int_at(env.stats(), "/answers/413") == 1);

    auto at_limit = UNWRAP(merchant.signed_call("POST", prepay_path("native"), std::string(4096, 'x')));
    CHECK(at_limit.status == 400);  // read whole: the API finds no JSON in it
    CHECK(code_of(at_limit) == "PARAM_ERROR");
    CHECK(merchant.connections_opened() == 2);

    // The default limit is 1 MiB: exactly that much reaches the API.
    sim_env default_limit;
    auto big = default_limit.client();
    auto mib = UNWRAP(big.signed_call("POST", prepay_path("native"), std::string(1024 * 1024, 'x')));
    CHECK(mib.status == 400);
    CHECK(code_of(mib) == "PARAM_ERROR");
}

TEST_CASE("a request body over 1 MiB answers 413, even while the client is still sending it",
          "[sim][server]") {
    // The server answers after the header, while most of the body is still on its way. Closing
    // with unread bytes would make the kernel send a reset that can destroy the 413 in the
    // client's receive buffer; the server must drain the rest first (a lingering close).
    sim_env env;
    auto merchant = env.client();
    for (int i = 0; i < 5; ++i) {
        auto r = merchant.signed_call("POST", prepay_path("native"), std::string(1024 * 1024 + 1, 'x'));
        INFO("attempt " << i << ": " << (r ? "answered" : r.error().to_string()));
        REQUIRE(r);
        CHECK(r->status == 413);
        CHECK_FALSE(r->raw.keep_alive());
    }
}

TEST_CASE("oversized request headers answer 431 and a malformed Content-Length 400, then the connection closes",
          "[sim][server]") {
    sim_env env;
    const std::string start = "GET /v3/certificates HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    auto check_refused = [&](const std::string& wire, unsigned status, std::string_view says) {
        const auto a = raw_exchange(env.sim(), wire);
        INFO("read: " << a.read_ec.message() << "; after: " << a.after.message());
        REQUIRE_FALSE(a.read_ec);  // was: the connection dropped without an answer
        CHECK(a.res.result_int() == status);
        CHECK_FALSE(a.res.keep_alive());
        const auto body = json::parse(a.res.body());
        CHECK(str_at(body, "/code") == "PARAM_ERROR");
        CHECK(str_at(body, "/message").find(says) != std::string::npos);
        CHECK_FALSE(a.res["Request-ID"].empty());
        CHECK(without_signature(a.res));  // the request was never verified: WeChat signs no answer to it
        CHECK(is_closed_by_peer(a.after));
    };
    SECTION("a header field over 8 KiB, or the header as a whole") {
        check_refused(start + "X-Padding: " + std::string(9000, 'a') + "\r\n\r\n", 431, "header fields too large");
        std::string many = start;
        for (int i = 0; i < 200; ++i) many += "X-Field-" + std::to_string(i) + ": " + std::string(40, 'v') + "\r\n";
        check_refused(many + "\r\n", 431, "header fields too large");
        // 64 KiB more of header still on its way when the server answers: drained, not reset.
        check_refused(start + "X-Padding: " + std::string(64 * 1024, 'a') + "\r\n\r\n", 431,
                      "header fields too large");
    }
    SECTION("Content-Length that is not one decimal number") {
        for (const std::string value : {"abc", "-1", "5x", "0x10", "1 2", "99999999999999999999999"}) {
            INFO("Content-Length: " << value);
            check_refused("POST /v3/refund/domestic/refunds HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + value +
                              "\r\n\r\n{}",
                          400, "Content-Length");
        }
        check_refused("POST /v3/refund/domestic/refunds HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n"
                      "Content-Length: 3\r\n\r\n{}",
                      400, "Content-Length");
    }
    SECTION("other bytes that are not HTTP/1.1") {
        check_refused("GET /v3/certificates HTTP/1.1\r\nBad Field: x\r\n\r\n", 400, "malformed request");
        check_refused("G(T /v3/certificates HTTP/1.1\r\n\r\n", 400, "malformed request");
    }
    // A header under the limit is served as usual (401: it is not signed).
    const auto fine = raw_exchange(env.sim(), start + "X-Padding: " + std::string(4000, 'a') + "\r\n\r\n");
    REQUIRE_FALSE(fine.read_ec);
    CHECK(fine.res.result_int() == 401);
    CHECK(fine.res.keep_alive());
}

TEST_CASE("the server closes a keep-alive connection idle for idle_timeout, not one in use", "[sim][server]") {
    sim_env env([](wechatpay::sim::config& c) { c.idle_timeout = 300ms; });
    auto merchant = env.client();
    const std::string no = trade_no();
    prepay(merchant, prepay_body(no));
    // Requests 100 ms apart keep one connection alive well past 300 ms.
    for (int i = 0; i < 5; ++i) {
        std::this_thread::sleep_for(100ms);
        CHECK(UNWRAP(merchant.signed_call("GET", order_path(no))).status == 200);
    }
    CHECK(merchant.connections_opened() == 1);

    const auto idle_since = std::chrono::steady_clock::now();
    const auto ended = merchant.wait_for_server_close(3s);
    const auto idle_for = std::chrono::steady_clock::now() - idle_since;
    INFO(ended.message());
    CHECK(is_closed_by_peer(ended));
    CHECK(idle_for >= 250ms);
    CHECK(idle_for < 2s);
    CHECK(UNWRAP(merchant.signed_call("GET", order_path(no))).status == 200);
    CHECK(merchant.connections_opened() == 2);
}

TEST_CASE("simulator::start refuses to listen anywhere but loopback", "[sim][server][config]") {
    for (const char* listen : {"0.0.0.0:0", "10.0.0.1:0", "[::]:0", "example.com:0", "127.0.0.1", "127.0.0.1:99999"}) {
        INFO(listen);
        auto cfg = test_config();
        cfg.listen = listen;
        auto s = wechatpay::sim::simulator::start(cfg);
        REQUIRE_FALSE(s);
        CHECK(s.error().detail.starts_with("listen"));
    }
    auto cfg = test_config();
    cfg.listen = "localhost:0";
    auto s = UNWRAP(wechatpay::sim::simulator::start(cfg));
    CHECK(s->host() == "127.0.0.1");
    CHECK(s->port() != 0);
    CHECK(s->start_line() == "{\"listening\":\"127.0.0.1:" + std::to_string(s->port()) + "\",\"ca\":\"" +
                                 std::filesystem::absolute(s->ca_file()).string() + "\"}");
}

TEST_CASE("control API: unknown /sim/ paths answer 404", "[sim][server]") {
    sim_env env;
    auto control = env.control();
    auto a = UNWRAP(control.unsigned_call("GET", "/sim/nothing-here"));
    CHECK(a.status == 404);
    CHECK_FALSE(str_at(a, "/error").empty());
}

TEST_CASE("control API: a method an endpoint does not take answers 405 with Allow, and does nothing",
          "[sim][server]") {
    sim_env env;
    auto control = env.control();
    const std::string rule = R"({"kind":"system_error","endpoint":"*"})";
    struct refused {
        std::string method, path, allow;
    };
    for (const auto& r : {refused{"PUT", "/sim/faults", "GET, POST, DELETE"},
                          refused{"PATCH", "/sim/faults", "GET, POST, DELETE"},
                          refused{"GET", "/sim/certificates/rotate", "POST"},
                          refused{"GET", "/sim/orders/T1234567/pay", "POST"},
                          refused{"POST", "/sim/stats", "GET"},
                          refused{"DELETE", "/sim/notifications", "GET"}}) {
        INFO(r.method << " " << r.path);
        auto a = UNWRAP(control.unsigned_call(r.method, r.path, rule));
        CHECK(a.status == 405);
        CHECK(a.header("Allow") == r.allow);
        CHECK(str_at(a, "/error") == "method not allowed: use " + r.allow);
    }
    // Nothing happened: no fault rule was added, no certificate rotated.
    CHECK(UNWRAP(control.unsigned_call("GET", "/sim/faults")).body == R"({"faults":[]})");
    CHECK(UNWRAP(env.client().signed_call("GET", "/v3/certificates")).json().at("data").as_array().size() == 1);
    // The methods each takes still work.
    CHECK(UNWRAP(control.unsigned_call("GET", "/sim/stats")).status == 200);
    CHECK(UNWRAP(control.unsigned_call("DELETE", "/sim/faults")).status == 200);
    CHECK(UNWRAP(control.unsigned_call("POST", "/sim/orders/T1234567/pay")).status == 404);  // no such order
}

TEST_CASE("/sim/stats stays bounded: requests to paths that are no endpoint are counted as unknown",
          "[sim][server][stats]") {
    sim_env env;
    auto merchant = env.client();
    const int probes = 300;
    for (int i = 0; i < probes; ++i) {
        auto a = UNWRAP(merchant.signed_call("GET", "/v3/probe/" + std::to_string(i) + std::string(200, 'x')));
        REQUIRE(a.status == 404);
    }
    CHECK(UNWRAP(merchant.signed_call("GET", "/v3/certificates")).status == 200);
    const auto s = env.stats();
    INFO(json::serialize(s));
    CHECK(s.at("requests").as_object().size() == 2);
    CHECK(int_at(s, "/requests/unknown") == probes);
    CHECK(int_at(s, "/requests/~1v3~1certificates") == 1);
    CHECK(json::serialize(s).size() < 2048);  // was 70 KB: one key per probe
}

TEST_CASE("/sim/stats counts connections, full and resumed TLS handshakes, requests per endpoint and answers per "
          "status",
          "[sim][server][stats]") {
    sim_env env;
    auto merchant = env.client();
    const std::string no = trade_no();
    prepay(merchant, prepay_body(no));
    CHECK(UNWRAP(merchant.signed_call("GET", order_path(no))).status == 200);
    CHECK(UNWRAP(merchant.signed_call("GET", order_path("NOSUCHORDER1"))).status == 404);
    CHECK(merchant.connections_opened() == 1);
    CHECK_FALSE(merchant.last_handshake_resumed());

    // A second connection that offers the first one's TLS session resumes it.
    merchant.disconnect();
    merchant.resume_sessions(true);
    CHECK(UNWRAP(merchant.signed_call("GET", order_path(no))).status == 200);
    CHECK(merchant.connections_opened() == 2);
    CHECK(merchant.last_handshake_resumed());
    // A third without the offer does not.
    merchant.disconnect();
    merchant.resume_sessions(false);
    CHECK(UNWRAP(merchant.signed_call("GET", "/v3/certificates")).status == 200);
    merchant.disconnect();

    REQUIRE(eventually([&] { return int_at(env.stats(), "/connections_open") == 0; }));
    const auto s = env.stats();
    INFO(json::serialize(s));
    CHECK(int_at(s, "/connections_accepted") == 3);
    CHECK(int_at(s, "/tls_handshakes/full") == 2);
    CHECK(int_at(s, "/tls_handshakes/resumed") == 1);
    CHECK(int_at(s, "/tls_handshakes/failed") == 0);
    CHECK(s.at("requests").as_object().size() == 3);
    CHECK(int_at(s, "/requests/~1v3~1pay~1transactions~1native") == 1);
    CHECK(int_at(s, "/requests/~1v3~1pay~1transactions~1out-trade-no~1{out_trade_no}") == 3);
    CHECK(int_at(s, "/requests/~1v3~1certificates") == 1);
    CHECK(s.at("answers").as_object().size() == 2);
    CHECK(int_at(s, "/answers/200") == 4);
    CHECK(int_at(s, "/answers/404") == 1);

    // The same numbers over HTTP; the stats request is answered after its snapshot.
    auto control = env.control();
    auto over_http = UNWRAP(control.unsigned_call("GET", "/sim/stats"));
    REQUIRE(over_http.status == 200);
    CHECK(int_at(over_http.json(), "/connections_accepted") == 4);
    CHECK(int_at(over_http.json(), "/answers/200") == 4);
    CHECK(int_at(env.stats(), "/answers/200") == 5);
}

TEST_CASE("a client that does not trust the simulator's CA fails the handshake, counted as failed", "[sim][server][stats]") {
    sim_env env;
    // Any other CA: the merchant certificate's issuer is not the simulator's TLS CA.
    sim_client stranger(env.sim().host(), env.sim().port(), env.keys().setup.merchant_cert, merchant_signer(), 3s);
    auto r = stranger.signed_call("GET", "/v3/certificates");
    REQUIRE_FALSE(r);
    CHECK(r.error().code.category() == boost::asio::error::get_ssl_category());
    REQUIRE(eventually([&] { return int_at(env.stats(), "/tls_handshakes/failed") == 1; }));
    CHECK(int_at(env.stats(), "/tls_handshakes/full") == 0);
}

TEST_CASE("/sim/certificates/rotate: the new certificate is listed at once and signs a day later; old-only "
          "verifiers fail from then until refreshed",
          "[sim][server][certificates][clock]") {
    // WeChat: the certificate to come joins the /v3/certificates list 24 hours before it is used.
    sim_env env;
    auto merchant = env.client();
    auto control = env.control();
    const auto old_only = certificate_only_verifier();
    const std::string old_serial = env.keys().platform_cert.serial();

    const std::time_t asked = std::time(nullptr);
    auto rotated = UNWRAP(control.unsigned_call("POST", "/sim/certificates/rotate"));
    const std::time_t answered = std::time(nullptr);
    REQUIRE(rotated.status == 200);
    const std::string new_serial = str_at(rotated, "/serial_no");
    REQUIRE_FALSE(new_serial.empty());
    CHECK(new_serial != old_serial);
    // signs_from is a day after the rotation, on the simulator's clock (still the wall clock's).
    const std::string signs_from = str_at(rotated, "/signs_from");
    std::optional<std::time_t> from;
    for (std::time_t t = asked; t <= answered; ++t)
        if (signs_from == rfc3339_cst(t + 86400)) from = t + 86400;
    REQUIRE(from);

    // During the overlap: both listed, the old one still signs.
    auto listed = UNWRAP(merchant.signed_call("GET", "/v3/certificates"));
    REQUIRE(listed.status == 200);
    CHECK(listed.headers.serial == old_serial);
    CHECK(outcome(old_only.verify(listed.headers, listed.body)) == "ok");
    auto before = prepay(merchant, prepay_body(trade_no()));
    CHECK(before.headers.serial == old_serial);

    // Exactly at signs_from the new one signs; a second before, the old one still does. The
    // simulator's time is the wall clock's plus the offset: the second before is checked only
    // when the wall clock did not tick meanwhile (it is then certain), the moment itself always.
    auto advance_to = [&](std::time_t sim_time) {
        const std::time_t wall = std::time(nullptr);
        const std::int64_t offset = int_at(UNWRAP(control.unsigned_call("GET", "/sim/clock")), "/offset_s");
        const std::int64_t by = std::max<std::int64_t>(0, sim_time - wall - offset);
        REQUIRE(UNWRAP(control.unsigned_call("POST", "/sim/clock", "{\"advance_s\":" + std::to_string(by) + "}")).status ==
                200);
        return wall;
    };
    const std::time_t wall = advance_to(*from - 1);
    const auto second_before = prepay(merchant, prepay_body(trade_no()));
    if (std::time(nullptr) == wall) CHECK(second_before.headers.serial == old_serial);
    advance_to(*from);
    CHECK(prepay(merchant, prepay_body(trade_no())).headers.serial == new_serial);

    listed = UNWRAP(merchant.signed_call("GET", "/v3/certificates"));
    REQUIRE(listed.status == 200);
    CHECK(listed.headers.serial == new_serial);
    CHECK(errc_of(old_only.verify(listed.headers, listed.body)) == errc::unknown_serial);
    std::vector<wechatpay::certificate> downloaded;
    const auto list = listed.json();
    for (const auto& item : list.at("data").as_array()) {
        const auto pem = UNWRAP(wechatpay::aead_decrypt(env.keys().apiv3, str_at(item, "/encrypt_certificate/nonce"),
                                                        str_at(item, "/encrypt_certificate/associated_data"),
                                                        str_at(item, "/encrypt_certificate/ciphertext")));
        downloaded.push_back(UNWRAP(wechatpay::certificate::from_pem(pem)));
        CHECK(downloaded.back().serial() == str_at(item, "/serial_no"));
    }
    REQUIRE(downloaded.size() == 2);
    std::vector<std::string> serials{downloaded[0].serial(), downloaded[1].serial()};
    std::sort(serials.begin(), serials.end());
    std::vector<std::string> expected{old_serial, new_serial};
    std::sort(expected.begin(), expected.end());
    CHECK(serials == expected);

    const auto refreshed = old_only.with_certificates(downloaded);
    CHECK(outcome(refreshed.verify(listed.headers, listed.body)) == "ok");
    auto answer = prepay(merchant, prepay_body(trade_no()));
    CHECK(answer.headers.serial == new_serial);
    CHECK(errc_of(old_only.verify(answer.headers, answer.body)) == errc::unknown_serial);
    CHECK(outcome(refreshed.verify(answer.headers, answer.body)) == "ok");
    // Asking for the public key still gets the public key.
    auto by_key = UNWRAP(merchant.signed_call("GET", "/v3/certificates", {},
                                              {{"Wechatpay-Serial", env.keys().setup.public_key_id}}));
    CHECK(by_key.headers.serial == env.keys().setup.public_key_id);
    CHECK(signature_of(by_key) == "ok");
}

// ---- config ------------------------------------------------------------------------------

namespace {

// A config that loads: the shared setup's files by absolute path.
json::object good_config() {
    const auto& k = shared_keys::get();
    return {{"listen", "127.0.0.1:0"},
            {"threads", 2},
            {"tls_generate_dir", (k.dir / "tls").string()},
            {"merchants", json::array{json::object{{"mchid", k.setup.mchid},
                                                   {"appids", json::array{k.setup.appid}},
                                                   {"certificate", k.setup.merchant_cert.string()},
                                                   {"apiv3_key", k.setup.apiv3_key}}}},
            {"wechatpay",
             json::object{{"certificates", json::array{json::object{{"certificate", k.setup.platform_cert.string()},
                                                                    {"private_key", (k.dir / "platform_key.pem").string()}}}},
                          {"public_key", json::object{{"id", k.setup.public_key_id},
                                                      {"private_key", (k.dir / "wechatpay_pub_key_private.pem").string()}}}}}};
}

json::object& merchant0(json::object& c) { return c["merchants"].as_array()[0].as_object(); }
json::object& wechatpay_of(json::object& c) { return c["wechatpay"].as_object(); }
json::object& certificate0(json::object& c) { return wechatpay_of(c)["certificates"].as_array()[0].as_object(); }

struct bad_config {
    std::string what, field;
    std::function<void(json::object&)> change;
};

const std::vector<bad_config>& bad_configs() {
    static const std::vector<bad_config> list = {
        {"missing merchant certificate file", "merchants[0].certificate",
         [](json::object& c) { merchant0(c)["certificate"] = "/nonexistent/apiclient_cert.pem"; }},
        {"apiv3_key of 31 bytes", "merchants[0].apiv3_key",
         [](json::object& c) { merchant0(c)["apiv3_key"] = std::string(31, 'k'); }},
        {"platform key of another certificate", "wechatpay.certificates[0].private_key",
         [](json::object& c) { certificate0(c)["private_key"] = shared_keys::get().setup.merchant_key.string(); }},
        {"merchant without mchid", "merchants[0].mchid", [](json::object& c) { merchant0(c).erase("mchid"); }},
        {"no merchants", "merchants", [](json::object& c) { c["merchants"] = json::array(); }},
        {"public key id without PUB_KEY_ID_", "wechatpay.public_key.id",
         [](json::object& c) { wechatpay_of(c)["public_key"].as_object()["id"] = "KEY1"; }},
        {"neither certificates nor public key", "wechatpay.certificates",
         [](json::object& c) { c["wechatpay"] = json::object(); }},
        {"notify.sign_with unknown", "notify.sign_with",
         [](json::object& c) { c["notify"] = json::object{{"sign_with", "hmac"}}; }},
        {"notify.balance not an object", "notify.balance",
         [](json::object& c) { c["notify"] = json::object{{"balance", json::array{"127.0.0.1:9001"}}}; }},
        {"notify.balance entry not a list", R"(notify.balance["127.0.0.1:9000"])",
         [](json::object& c) { c["notify"] = json::object{{"balance", {{"127.0.0.1:9000", "127.0.0.1:9001"}}}}; }},
        {"notify.balance target not a string", R"(notify.balance["127.0.0.1:9000"])",
         [](json::object& c) { c["notify"] = json::object{{"balance", {{"127.0.0.1:9000", json::array{9001}}}}}; }},
        {"notify.balance front without its port", R"(notify.balance["127.0.0.1"])",
         [](json::object& c) { c["notify"] = json::object{{"balance", {{"127.0.0.1", json::array{"127.0.0.1:9001"}}}}}; }},
        {"notify.balance without targets", R"(notify.balance["127.0.0.1:9000"])",
         [](json::object& c) { c["notify"] = json::object{{"balance", {{"127.0.0.1:9000", json::array()}}}}; }},
        {"notify.balance target off this machine", R"(notify.balance["127.0.0.1:9000"])",
         [](json::object& c) { c["notify"] = json::object{{"balance", {{"127.0.0.1:9000", json::array{"10.0.0.5:9001"}}}}}; }},
        {"notify.balance target a name", R"(notify.balance["127.0.0.1:9000"])",
         [](json::object& c) { c["notify"] = json::object{{"balance", {{"127.0.0.1:9000", json::array{"localhost:9001"}}}}}; }},
        {"notify.balance target with a path", R"(notify.balance["127.0.0.1:9000"])",
         [](json::object& c) { c["notify"] = json::object{{"balance", {{"127.0.0.1:9000", json::array{"127.0.0.1:9001/x"}}}}}; }},
        {"notify.time_scale 0", "notify.time_scale", [](json::object& c) { c["notify"] = json::object{{"time_scale", 0}}; }},
        // retry_after × scale would overflow a duration.
        {"notify.time_scale 1e300", "notify.time_scale",
         [](json::object& c) { c["notify"] = json::object{{"time_scale", 1e300}}; }},
        // Sent as the Wechatpay-Serial header of every answer and notification.
        {"public key id that would inject a header", "wechatpay.public_key.id",
         [](json::object& c) { wechatpay_of(c)["public_key"].as_object()["id"] = "PUB_KEY_ID_1\r\nX-Injected: yes"; }},
        {"threads as a string", "threads", [](json::object& c) { c["threads"] = "two"; }},
        // A file of no byte would never hold a row.
        {"bill_part_bytes 0", "bill_part_bytes", [](json::object& c) { c["bill_part_bytes"] = 0; }},
        {"bill_part_bytes as a string", "bill_part_bytes", [](json::object& c) { c["bill_part_bytes"] = "1k"; }},
        {"negative idle_timeout_ms", "idle_timeout_ms", [](json::object& c) { c["idle_timeout_ms"] = -1; }},
        // 0 would close every connection before its first request.
        {"idle_timeout_ms 0", "idle_timeout_ms", [](json::object& c) { c["idle_timeout_ms"] = 0; }},
        // -1 used to wrap to 4294967295 threads (a hang), 100000 aborted in std::thread.
        {"threads -1", "threads", [](json::object& c) { c["threads"] = -1; }},
        {"threads 100000", "threads", [](json::object& c) { c["threads"] = 100000; }},
        {"threads 257", "threads", [](json::object& c) { c["threads"] = 257; }},
        {"threads 2.5", "threads", [](json::object& c) { c["threads"] = 2.5; }},
        {"refund_notify_url with a query", "merchants[0].refund_notify_url",
         [](json::object& c) { merchant0(c)["refund_notify_url"] = "https://m.example/refunds?x=1"; }},
        {"refund_notify_url over plain http to another host", "merchants[0].refund_notify_url",
         [](json::object& c) { merchant0(c)["refund_notify_url"] = "http://m.example/refunds"; }},
        {"refund_notify_url not a string", "merchants[0].refund_notify_url",
         [](json::object& c) { merchant0(c)["refund_notify_url"] = 1; }},
        {"rotation_overlap_s negative", "wechatpay.rotation_overlap_s",
         [](json::object& c) { wechatpay_of(c)["rotation_overlap_s"] = -1; }},
        {"certificates_not_found not a boolean", "wechatpay.certificates_not_found",
         [](json::object& c) { wechatpay_of(c)["certificates_not_found"] = "yes"; }},
        {"two merchants with one mchid", "merchants[1].mchid",
         [](json::object& c) { c["merchants"].as_array().push_back(merchant0(c)); }},
        // Used to throw out of simulator::start (load_verify_file without an error code).
        {"notify.ca not PEM", "notify.ca",
         [](json::object& c) { c["notify"] = json::object{{"ca", (shared_keys::get().dir / "simulator.json").string()}}; }},
    };
    return list;
}

std::filesystem::path write_config(const temp_dir& dir, const json::object& c, std::string_view name = "sim.json") {
    return dir.write(name, json::serialize(c));
}

std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

TEST_CASE("sim::load_config loads a good config, and the simulator it describes serves", "[sim][config]") {
    temp_dir dir;
    auto good = good_config();
    merchant0(good)["refund_notify_url"] = "https://merchant.example/refunds";
    wechatpay_of(good)["rotation_overlap_s"] = 5;
    good["notify"] = json::object{{"balance", {{"pay.example.com:443", json::array{"127.0.0.1:9001", "[::1]:9002"}}}}};
    auto cfg = UNWRAP(wechatpay::sim::load_config(write_config(dir, good)));
    CHECK(cfg.notify_balance == std::map<std::string, std::vector<std::string>>{
                                    {"pay.example.com:443", {"127.0.0.1:9001", "[::1]:9002"}}});
    CHECK_FALSE(cfg.certificates_not_found);
    wechatpay_of(good)["certificates_not_found"] = true;
    CHECK(UNWRAP(wechatpay::sim::load_config(write_config(dir, good, "not_found.json"))).certificates_not_found);
    CHECK(cfg.merchants.size() == 1);
    CHECK(cfg.merchants[0].refund_notify_url == "https://merchant.example/refunds");
    CHECK(cfg.rotation_overlap == 5s);
    CHECK(cfg.certificates.size() == 1);
    REQUIRE(cfg.public_key);
    CHECK(cfg.public_key->id == shared_keys::get().setup.public_key_id);
    CHECK(cfg.threads == 2);
    CHECK(cfg.bill_part_bytes == std::uint64_t(16) << 30);  // WeChat's split, by default
    good["bill_part_bytes"] = 4096;
    CHECK(UNWRAP(wechatpay::sim::load_config(write_config(dir, good, "parts.json"))).bill_part_bytes == 4096);
    auto s = UNWRAP(wechatpay::sim::simulator::start(std::move(cfg)));
    sim_client merchant(*s, merchant_signer());
    auto a = UNWRAP(merchant.signed_call("GET", "/v3/certificates"));
    CHECK(a.status == 200);
    CHECK(signature_of(a) == "ok");
}

TEST_CASE("sim::load_config: threads 0 (hardware concurrency) to 256, idle_timeout_ms from 1", "[sim][config]") {
    temp_dir dir;
    for (int threads : {0, 1, 256}) {
        INFO(threads);
        auto c = good_config();
        c["threads"] = threads;
        c["idle_timeout_ms"] = 1;
        auto cfg = UNWRAP(wechatpay::sim::load_config(write_config(dir, c)));
        CHECK(cfg.threads == static_cast<unsigned>(threads));
        CHECK(cfg.idle_timeout == 1ms);
    }
    auto c = good_config();
    c.erase("threads");
    CHECK(UNWRAP(wechatpay::sim::load_config(write_config(dir, c))).threads == 0);
}

TEST_CASE("simulator::start refuses what load_config refuses, naming the field, and throws nothing", "[sim][config]") {
    // In-process configs skip load_config: start holds them to the same rules.
    temp_dir dir;
    const auto not_pem = dir.write("ca.pem", "not a certificate\n");
    struct bad_start {
        std::string field;
        std::function<void(wechatpay::sim::config&)> change;
    };
    for (const auto& bad : {
             bad_start{"threads", [](auto& c) { c.threads = 100000; }},
             bad_start{"idle_timeout_ms", [](auto& c) { c.idle_timeout = 0ms; }},
             bad_start{"merchants[1].mchid", [](auto& c) { c.merchants.push_back(c.merchants[0]); }},
             bad_start{"notify.ca", [&](auto& c) { c.notify_ca = not_pem; }},
             bad_start{"notify.ca", [&](auto& c) { c.notify_ca = dir.path(); }},
             bad_start{"merchants[0].refund_notify_url", [](auto& c) { c.merchants[0].refund_notify_url = "ftp://x/y"; }},
             bad_start{"wechatpay.rotation_overlap_s", [](auto& c) { c.rotation_overlap = -1s; }},
             bad_start{R"(notify.balance["127.0.0.1:9000"])", [](auto& c) { c.notify_balance["127.0.0.1:9000"] = {}; }},
             bad_start{R"(notify.balance["127.0.0.1:9000"])",
                       [](auto& c) { c.notify_balance["127.0.0.1:9000"] = {"127.0.0.1:9001", "192.0.2.1:9001"}; }},
         }) {
        INFO(bad.field);
        auto cfg = test_config();
        bad.change(cfg);
        wechatpay::result<std::unique_ptr<wechatpay::sim::simulator>> s = wechatpay::error(errc::invalid_argument, "");
        REQUIRE_NOTHROW(s = wechatpay::sim::simulator::start(std::move(cfg)));
        REQUIRE_FALSE(s);
        INFO(s.error().to_string());
        CHECK(s.error().detail.starts_with(bad.field));
    }
    // A PEM CA bundle loads.
    auto cfg = test_config();
    cfg.notify_ca = shared_keys::get().setup.platform_cert;
    CHECK(wechatpay::sim::simulator::start(std::move(cfg)));
}

TEST_CASE("sim::load_config errors name the field", "[sim][config]") {
    temp_dir dir;
    for (const auto& bad : bad_configs()) {
        INFO(bad.what);
        auto c = good_config();
        bad.change(c);
        auto r = wechatpay::sim::load_config(write_config(dir, c));
        REQUIRE_FALSE(r);
        INFO(r.error().to_string());
        CHECK(r.error().detail.starts_with(bad.field));
        CHECK(r.error().detail.find(shared_keys::get().setup.apiv3_key) == std::string::npos);
    }
    // A listen address that is not loopback loads, and start refuses it naming listen.
    auto c = good_config();
    c["listen"] = "0.0.0.0:0";
    auto cfg = UNWRAP(wechatpay::sim::load_config(write_config(dir, c)));
    auto s = wechatpay::sim::simulator::start(std::move(cfg));
    REQUIRE_FALSE(s);
    CHECK(s.error().detail.starts_with("listen"));

    CHECK(errc_of(wechatpay::sim::load_config(dir / "missing.json")) == errc::file_unreadable);
    CHECK_FALSE(wechatpay::sim::load_config(dir.write("text.json", "listen: 127.0.0.1")));
}

#ifdef WECHATPAY_CLI

namespace {

struct cli_run {
    int exit_status = -1;
    std::string out, err;
};

// Runs `wechatpay sim --config FILE` (bounded by --max-seconds should it start after all).
cli_run run_sim_cli(const temp_dir& dir, const std::filesystem::path& config) {
    const auto out = dir / "stdout.txt", err = dir / "stderr.txt";
    const std::string command = std::string("'") + WECHATPAY_CLI + "' sim --config '" + config.string() +
                                "' --max-seconds 5 >'" + out.string() + "' 2>'" + err.string() + "'";
    const int status = std::system(command.c_str());
    cli_run r;
    if (status != -1 && WIFEXITED(status)) r.exit_status = WEXITSTATUS(status);
    r.out = read_text(out);
    r.err = read_text(err);
    return r;
}

std::size_t line_count(std::string_view s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

TEST_CASE("wechatpay sim --config with a bad config exits 2 with one stderr line naming the field", "[sim][config][cli]") {
    temp_dir dir;
    auto check_refused = [&](const json::object& c, const std::string& field) {
        const auto r = run_sim_cli(dir, write_config(dir, c));
        INFO("stderr: " << r.err);
        CHECK(r.exit_status == 2);
        CHECK(r.out.empty());
        CHECK(line_count(r.err) == 1);
        CHECK(r.err.find(field) != std::string::npos);
        CHECK(r.err.find(shared_keys::get().setup.apiv3_key) == std::string::npos);
    };
    for (const auto& bad : bad_configs()) {
        INFO(bad.what);
        auto c = good_config();
        bad.change(c);
        check_refused(c, bad.field);
    }
    auto c = good_config();
    c["listen"] = "10.0.0.1:0";
    check_refused(c, "listen");
}

TEST_CASE("wechatpay sim --config with a file that is not JSON exits 2", "[sim][config][cli]") {
    temp_dir dir;
    const auto r = run_sim_cli(dir, dir.write("sim.json", "listen = 127.0.0.1:0\n"));
    INFO("stderr: " << r.err);
    CHECK(r.exit_status == 2);
    CHECK(line_count(r.err) == 1);
}

#endif  // WECHATPAY_CLI
