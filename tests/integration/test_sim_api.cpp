// The simulator's API v3 as a merchant sees it over real TLS: authentication as WeChat checks
// it, every endpoint's happy path and its documented errors, signed answers, bills and
// certificates (reference §2, §3, §9, §10).
#include "sim_env.hpp"

#include <wechatpay/models.hpp>

#include <openssl/evp.h>
#include <zlib.h>

#include <cctype>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace wechatpay_test;
using wechatpay::errc;

namespace {

// Checks what every API answer carries: a Request-ID and a signature that verifies.
void check_signed(const sim_answer& a, const wechatpay::verifier& v = full_verifier()) {
    INFO("status " << a.status << ", body " << a.body);
    CHECK_FALSE(a.request_id.empty());
    CHECK(a.headers.signature_type == "WECHATPAY2-SHA256-RSA2048");
    CHECK(signature_of(a, v) == "ok");
}

// Checks an error answer: status, WeChat's code and message, a Request-ID.
void check_error_body(const sim_answer& a, unsigned status, std::string_view code) {
    INFO("body " << a.body);
    CHECK(a.status == status);
    CHECK(code_of(a) == code);
    CHECK_FALSE(str_at(a, "/message").empty());
    CHECK_FALSE(a.request_id.empty());
}

// An error answer to a verified request: signed.
void check_error(const sim_answer& a, unsigned status, std::string_view code) {
    check_error_body(a, status, code);
    check_signed(a);
}

// A refusal of a request whose signature could not be verified: WeChat does not sign it.
void check_refusal(const sim_answer& a, unsigned status, std::string_view code) {
    check_error_body(a, status, code);
    CHECK(without_signature(a.raw));
}

std::string sha1_hex(std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), md, &len, EVP_sha1(), nullptr);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 15];
    }
    return out;
}

// zlib's inflate of a gzip member; throws when the data is not gzip.
std::string gunzip(std::string_view data) {
    z_stream z{};
    if (inflateInit2(&z, 15 + 16) != Z_OK) throw std::runtime_error("inflateInit2");
    std::string out;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    int rc = Z_OK;
    char chunk[16384];
    while (rc == Z_OK) {
        z.next_out = reinterpret_cast<Bytef*>(chunk);
        z.avail_out = sizeof chunk;
        rc = inflate(&z, Z_NO_FLUSH);
        out.append(chunk, sizeof chunk - z.avail_out);
    }
    inflateEnd(&z);
    if (rc != Z_STREAM_END) throw std::runtime_error("not a complete gzip stream");
    return out;
}

// The lines of a CSV bill (CRLF separated, the last line ends too).
std::vector<std::string> lines_of(std::string_view text) {
    std::vector<std::string> lines;
    while (!text.empty()) {
        const auto end = text.find("\r\n");
        lines.emplace_back(text.substr(0, end));
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 2);
    }
    return lines;
}

// A paid order of `total` fen, ready for refunds and bills.
std::string paid_order(sim_client& merchant, sim_client& control, std::int64_t total = 100) {
    const std::string no = trade_no("P");
    prepay(merchant, prepay_body(no, total));
    pay_order(control, no);
    return no;
}

// A path segment percent-encoded as clients send it: RFC 3986 unreserved characters stay, every
// other byte is %XX (upper case, or lower case when asked).
std::string encoded(std::string_view segment, bool lower = false) {
    const char* hex = lower ? "0123456789abcdef" : "0123456789ABCDEF";
    std::string out;
    for (const char c : segment) {
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += hex[static_cast<unsigned char>(c) >> 4];
            out += hex[static_cast<unsigned char>(c) & 15];
        }
    }
    return out;
}

// The object with every object's keys in reverse order, recursively: the same JSON to WeChat.
json::value keys_reversed(const json::value& v) {
    if (const auto* o = v.if_object()) {
        json::object r;
        for (auto it = o->end(); it != o->begin();) {
            --it;
            r[it->key()] = keys_reversed(it->value());
        }
        return r;
    }
    return v;
}

// Polls the refund until it reaches `status` (after refund_delay).
bool refund_reaches(sim_client& merchant, std::string_view out_refund_no, std::string_view status) {
    return eventually([&] {
        auto a = merchant.signed_call("GET", refund_path(out_refund_no));
        return a && a->status == 200 && str_at(*a, "/status") == status;
    });
}

}  // namespace

// ---- authentication (reference §2) -------------------------------------------------------

TEST_CASE("a correctly signed request is accepted and the answer is signed with the platform certificate",
          "[sim][auth]") {
    sim_env env;
    auto merchant = env.client();
    auto a = prepay(merchant, prepay_body(trade_no()));
    check_signed(a);
    CHECK(a.headers.serial == env.keys().platform_cert.serial());
    CHECK(signature_of(a, certificate_only_verifier()) == "ok");
    CHECK(errc_of(public_key_only_verifier().verify(a.headers, a.body)) == errc::unknown_serial);
}

TEST_CASE("answers are signed with the public key when the request's Wechatpay-Serial names its id",
          "[sim][auth]") {
    sim_env env;
    auto merchant = env.client();
    const header_list ask_public_key{{"Wechatpay-Serial", env.keys().setup.public_key_id}};
    const std::string no = trade_no();

    auto created = UNWRAP(merchant.signed_call("POST", prepay_path("native"), json::serialize(prepay_body(no)),
                                               ask_public_key));
    CHECK(created.status == 200);
    CHECK(created.headers.serial == env.keys().setup.public_key_id);
    check_signed(created);
    CHECK(signature_of(created, public_key_only_verifier()) == "ok");
    CHECK(errc_of(certificate_only_verifier().verify(created.headers, created.body)) == errc::unknown_serial);

    // Error answers too.
    auto missing = UNWRAP(merchant.signed_call("GET", order_path("NOSUCHORDER1"), {}, ask_public_key));
    check_error(missing, 404, "ORDER_NOT_EXIST");
    CHECK(missing.headers.serial == env.keys().setup.public_key_id);

    // Naming the platform certificate keeps the certificate.
    auto by_cert = UNWRAP(merchant.signed_call("GET", order_path(no), {},
                                               {{"Wechatpay-Serial", env.keys().platform_cert.serial()}}));
    CHECK(by_cert.headers.serial == env.keys().platform_cert.serial());
    check_signed(by_cert);
}

TEST_CASE("requests WeChat Pay refuses get 401 SIGN_ERROR or 400 MCH_NOT_EXISTS, unsigned, with a Request-ID",
          "[sim][auth]") {
    sim_env env;
    const auto& k = env.keys();
    auto anonymous = env.control();
    // WeChat signs only answers to requests whose signature it verified: none of these, whether
    // the request asks for certificate or public-key signatures.
    const bool ask_public_key = GENERATE(false, true);
    header_list headers;
    if (ask_public_key) headers.emplace_back("Wechatpay-Serial", k.setup.public_key_id);

    const std::string no = trade_no();
    const std::string target = prepay_path("native");
    const std::string body = json::serialize(prepay_body(no));
    // Each Authorization is made just before its request is sent, so that slow machines do not
    // move a timestamp back inside the window; the margins leave seconds of slack either way.
    auto authorization_by = [&](wechatpay::signer s, std::string signed_body) {
        return [s = std::move(s), signed_body = std::move(signed_body), &target] {
            return UNWRAP(s.sign_request("POST", target, signed_body)).authorization;
        };
    };
    auto fixed = [](std::string value) { return [value = std::move(value)] { return value; }; };
    using wechatpay::system_unix_time;

    struct refusal {
        std::string what;
        std::function<std::string()> authorization;
        unsigned status;
        std::string code;
    };
    const std::vector<refusal> refusals = {
        {"no Authorization header", fixed(""), 401, "SIGN_ERROR"},
        {"another scheme", fixed("Bearer abc"), 401, "SIGN_ERROR"},
        {"a header missing its signature",
         fixed("WECHATPAY2-SHA256-RSA2048 mchid=\"" + k.setup.mchid + "\",nonce_str=\"abc\",timestamp=\"" +
               std::to_string(system_unix_time()) + "\",serial_no=\"" + k.merchant_cert.serial() + "\""),
         401, "SIGN_ERROR"},
        {"an unterminated quote", fixed("WECHATPAY2-SHA256-RSA2048 mchid=\"1900000001"), 401, "SIGN_ERROR"},
        {"a body changed after signing", authorization_by(merchant_signer(), body + " "), 401, "SIGN_ERROR"},
        {"a serial_no that is not the merchant certificate's",
         authorization_by(wechatpay::signer::create(k.setup.mchid, k.merchant_key, "0123456789ABCDEF").value(), body),
         401, "SIGN_ERROR"},
        {"a timestamp 305 s old", authorization_by(merchant_signer([] { return system_unix_time() - 305; }), body),
         401, "SIGN_ERROR"},
        {"a timestamp 305 s ahead", authorization_by(merchant_signer([] { return system_unix_time() + 305; }), body),
         401, "SIGN_ERROR"},
        {"a signature by another key",
         authorization_by(wechatpay::signer::create(k.setup.mchid,
                                                    wechatpay::private_key::from_file(k.dir / "platform_key.pem").value(),
                                                    k.merchant_cert.serial())
                              .value(),
                          body),
         401, "SIGN_ERROR"},
        {"an unknown mchid",
         authorization_by(wechatpay::signer::create("1900009999", k.merchant_key, k.merchant_cert).value(), body), 400,
         "MCH_NOT_EXISTS"},
    };
    for (const auto& r : refusals) {
        INFO(r.what << (ask_public_key ? " (public-key signatures asked for)" : ""));
        header_list h = headers;
        if (auto authorization = r.authorization(); !authorization.empty()) h.emplace_back("Authorization", authorization);
        check_refusal(UNWRAP(anonymous.unsigned_call("POST", target, body, h)), r.status, r.code);
    }
    // None of them created the order.
    auto merchant = env.client();
    check_error(UNWRAP(merchant.signed_call("GET", order_path(no))), 404, "ORDER_NOT_EXIST");
}

TEST_CASE("a timestamp 295 s old is still inside WeChat's window", "[sim][auth]") {
    sim_env env;
    // Read at signing time, with seconds of slack for a slow machine.
    sim_client merchant(env.sim(), merchant_signer([] { return wechatpay::system_unix_time() - 295; }));
    auto a = UNWRAP(merchant.signed_call("POST", prepay_path("app"), json::serialize(prepay_body(trade_no(), 1, "app"))));
    CHECK(a.status == 200);
    check_signed(a);
}

// ---- prepay ------------------------------------------------------------------------------

TEST_CASE("the four prepays answer prepay_id, code_url or h5_url and create NOTPAY orders", "[sim][prepay]") {
    sim_env env;
    auto merchant = env.client();
    struct kind {
        std::string path_kind, answer_field, prefix, trade_type;
    };
    const std::vector<kind> kinds = {{"jsapi", "/prepay_id", "wx", "JSAPI"},
                                     {"app", "/prepay_id", "wx", "APP"},
                                     {"native", "/code_url", "weixin://wxpay/bizpayurl?pr=", "NATIVE"},
                                     {"h5", "/h5_url", "https://", "MWEB"}};
    for (const auto& k : kinds) {
        INFO(k.path_kind);
        const std::string no = trade_no(k.path_kind);
        auto a = prepay(merchant, prepay_body(no, 1, k.path_kind), k.path_kind);
        check_signed(a);
        const auto answer = a.json();
        CHECK(answer.as_object().size() == 1);
        CHECK(str_at(answer, k.answer_field).starts_with(k.prefix));

        auto q = UNWRAP(merchant.signed_call("GET", order_path(no)));
        REQUIRE(q.status == 200);
        check_signed(q);
        const auto t = UNWRAP(wechatpay::parse_transaction(q.body));
        CHECK(t.out_trade_no == no);
        CHECK(t.trade_type.empty());  // as WeChat: named once paid
        CHECK(t.trade_state == "NOTPAY");
        CHECK(t.appid == env.keys().setup.appid);
        CHECK(t.mchid == env.keys().setup.mchid);
        CHECK(t.transaction_id.empty());
        REQUIRE(t.amount);
        CHECK(t.amount->total == 1);
        REQUIRE(env.sim().pay(env.keys().setup.mchid, no));
        const auto paid = UNWRAP(wechatpay::parse_transaction(UNWRAP(merchant.signed_call("GET", order_path(no))).body));
        CHECK(paid.trade_type == k.trade_type);
    }
}

TEST_CASE("prepay parameters WeChat refuses answer 400 PARAM_ERROR whose message starts with the body path",
          "[sim][prepay][errors]") {
    sim_env env;
    auto merchant = env.client();
    struct bad {
        std::string what, kind, field;
        std::function<void(json::object&)> change;
    };
    auto amount = [](json::object& o) -> json::object& { return o["amount"].as_object(); };
    const std::vector<bad> cases = {
        {"total 0", "native", "/amount/total", [&](json::object& o) { amount(o)["total"] = 0; }},
        {"total negative", "native", "/amount/total", [&](json::object& o) { amount(o)["total"] = -5; }},
        {"total as a string", "native", "/amount/total", [&](json::object& o) { amount(o)["total"] = "100"; }},
        {"total missing", "native", "/amount/total", [&](json::object& o) { amount(o).erase("total"); }},
        {"currency USD", "native", "/amount/currency", [&](json::object& o) { amount(o)["currency"] = "USD"; }},
        {"a 5-character out_trade_no", "native", "/out_trade_no", [](json::object& o) { o["out_trade_no"] = "ABCDE"; }},
        {"an out_trade_no with '#'", "native", "/out_trade_no", [](json::object& o) { o["out_trade_no"] = "ABC#DEF1"; }},
        {"an out_trade_no with a space", "native", "/out_trade_no",
         [](json::object& o) { o["out_trade_no"] = "ABC DEF1"; }},
        {"a 33-character out_trade_no", "native", "/out_trade_no",
         [](json::object& o) { o["out_trade_no"] = std::string(33, 'A'); }},
        {"description of 128 characters", "native", "/description",
         [](json::object& o) { o["description"] = std::string(128, 'd'); }},
        {"description of 128 Chinese characters", "native", "/description",
         [](json::object& o) {
             std::string s;
             for (int i = 0; i < 128; ++i) s += "商";
             o["description"] = s;
         }},
        {"description missing", "native", "/description", [](json::object& o) { o.erase("description"); }},
        {"notify_url with a query string", "native", "/notify_url",
         [](json::object& o) { o["notify_url"] = "https://merchant.example.com/notify?order=1"; }},
        {"notify_url over plain http to another host", "native", "/notify_url",
         [](json::object& o) { o["notify_url"] = "http://merchant.example.com/notify"; }},
        {"notify_url missing", "native", "/notify_url", [](json::object& o) { o.erase("notify_url"); }},
        // Its path becomes the notification's request target: nothing that could end the line.
        {"notify_url whose path would inject a header", "native", "/notify_url",
         [](json::object& o) { o["notify_url"] = "http://127.0.0.1:9/notify HTTP/1.1\r\nX-Injected: 1\r\n\r\nGET /x"; }},
        {"notify_url with a line feed in the path", "native", "/notify_url",
         [](json::object& o) { o["notify_url"] = "https://merchant.example.com/a\nb"; }},
        {"notify_url with a space in the host", "native", "/notify_url",
         [](json::object& o) { o["notify_url"] = "https://merchant.example.com\r\nX: 1/notify"; }},
        {"notify_url with a fragment", "native", "/notify_url",
         [](json::object& o) { o["notify_url"] = "https://merchant.example.com/notify#x"; }},
        {"appid missing", "native", "/appid", [](json::object& o) { o.erase("appid"); }},
        {"mchid of another merchant", "native", "/mchid", [](json::object& o) { o["mchid"] = "1900009999"; }},
        {"time_expire that is not RFC 3339", "native", "/time_expire",
         [](json::object& o) { o["time_expire"] = "2026-13-01 10:00"; }},
        {"jsapi without payer.openid", "jsapi", "/payer/openid", [](json::object& o) { o.erase("payer"); }},
        {"h5 without scene_info.h5_info.type", "h5", "/scene_info/h5_info/type",
         [](json::object& o) { o["scene_info"].as_object().erase("h5_info"); }},
        {"h5 without scene_info.payer_client_ip", "h5", "/scene_info/payer_client_ip",
         [](json::object& o) { o["scene_info"].as_object().erase("payer_client_ip"); }},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        const std::string no = trade_no("E");
        auto body = prepay_body(no, 100, c.kind);
        c.change(body);
        auto a = UNWRAP(merchant.signed_call("POST", prepay_path(c.kind), json::serialize(body)));
        check_error(a, 400, "PARAM_ERROR");
        CHECK(str_at(a, "/message").starts_with("/body" + c.field + " "));
        CHECK(str_at(a, "/detail/location") == "body");
    }

    SECTION("a body that is not JSON") {
        const std::string text = "{\"appid\":";
        check_error(UNWRAP(merchant.signed_call("POST", prepay_path("native"), text)), 400, "PARAM_ERROR");
    }
    SECTION("127 characters of description are accepted") {
        auto body = prepay_body(trade_no());
        std::string s;
        for (int i = 0; i < 127; ++i) s += "商";
        body["description"] = s;
        CHECK(UNWRAP(merchant.signed_call("POST", prepay_path("native"), json::serialize(body))).status == 200);
    }
    SECTION("out_trade_no of 6 and of 32 characters from the whole alphabet is accepted") {
        for (const std::string& no : {trade_no().substr(0, 3) + "a-_", std::string("Az09_-|*") + std::string(24, 'x')}) {
            INFO(no);
            CHECK(UNWRAP(merchant.signed_call("POST", prepay_path("native"), json::serialize(prepay_body(no)))).status ==
                  200);
        }
    }
}

TEST_CASE("an appid the merchant does not own answers 400 APPID_MCHID_NOT_MATCH", "[sim][prepay][errors]") {
    sim_env env;
    auto merchant = env.client();
    auto body = prepay_body(trade_no());
    body["appid"] = "wx0000000000000000";
    check_error(UNWRAP(merchant.signed_call("POST", prepay_path("native"), json::serialize(body))), 400,
                "APPID_MCHID_NOT_MATCH");
}

TEST_CASE("a repeated out_trade_no: same parameters give the same prepay, others 403 OUT_TRADE_NO_USED",
          "[sim][prepay]") {
    sim_env env;
    auto merchant = env.client();
    const std::string no = trade_no();
    const auto body = prepay_body(no, 100, "jsapi");
    const auto first = prepay(merchant, body, "jsapi");
    const auto again = prepay(merchant, body, "jsapi");
    CHECK(str_at(again, "/prepay_id") == str_at(first, "/prepay_id"));

    auto changed = body;
    changed["amount"].as_object()["total"] = 101;
    check_error(UNWRAP(merchant.signed_call("POST", prepay_path("jsapi"), json::serialize(changed))), 403,
                "OUT_TRADE_NO_USED");
    changed = body;
    changed["description"] = "another description";
    check_error(UNWRAP(merchant.signed_call("POST", prepay_path("jsapi"), json::serialize(changed))), 403,
                "OUT_TRADE_NO_USED");

    // Once paid, the same parameters no longer give a prepay: the order is done.
    auto control = env.control();
    pay_order(control, no);
    check_error(UNWRAP(merchant.signed_call("POST", prepay_path("jsapi"), json::serialize(body))), 400, "ORDERPAID");
}

TEST_CASE("a repeated prepay with the same parameters in another key order is the same prepay", "[sim][prepay]") {
    // JSON objects are unordered: another serialiser (or SDK) retrying the same order sends the
    // same parameters, and WeChat answers the same prepay.
    sim_env env;
    auto merchant = env.client();
    const std::string no = trade_no();
    auto body = prepay_body(no, 100, "jsapi");
    body["scene_info"] = json::object{{"payer_client_ip", "14.23.150.211"}, {"device_id", "013467007045764"}};
    const auto first = prepay(merchant, body, "jsapi");
    const json::value reversed = keys_reversed(body);
    REQUIRE(json::serialize(reversed) != json::serialize(body));
    CHECK(str_at(prepay(merchant, reversed.as_object(), "jsapi"), "/prepay_id") == str_at(first, "/prepay_id"));

    // Reordered and changed is still a change.
    auto changed = reversed.as_object();
    changed["amount"].as_object()["total"] = 101;
    check_error(UNWRAP(merchant.signed_call("POST", prepay_path("jsapi"), json::serialize(changed))), 403,
                "OUT_TRADE_NO_USED");
}

TEST_CASE("a repeated out_trade_no with the same body on another prepay kind is OUT_TRADE_NO_USED",
          "[sim][prepay]") {
    sim_env env;
    auto merchant = env.client();
    const auto body = prepay_body(trade_no());
    prepay(merchant, body, "native");
    auto a = UNWRAP(merchant.signed_call("POST", prepay_path("app"), json::serialize(body)));
    CHECK(a.status == 403);
    CHECK(code_of(a) == "OUT_TRADE_NO_USED");
}

// ---- query, close, expiry, payment ---------------------------------------------------------

TEST_CASE("orders are found by out_trade_no and by transaction_id; unknown ones are 404 ORDER_NOT_EXIST",
          "[sim][query]") {
    sim_env env;
    auto merchant = env.client();
    auto control = env.control();
    const std::string no = trade_no();
    auto body = prepay_body(no, 888);
    body["attach"] = "自定义数据";
    prepay(merchant, body);
    pay_order(control, no, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o");

    auto by_no = UNWRAP(merchant.signed_call("GET", order_path(no)));
    REQUIRE(by_no.status == 200);
    check_signed(by_no);
    const auto t = UNWRAP(wechatpay::parse_transaction(by_no.body));
    CHECK(t.trade_state == "SUCCESS");
    CHECK(t.trade_state_desc == "支付成功");
    CHECK(t.transaction_id.size() == 28);
    CHECK(t.payer_openid == "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o");
    CHECK(t.attach == "自定义数据");
    CHECK(t.success_time.ends_with("+08:00"));
    CHECK_FALSE(t.bank_type.empty());
    REQUIRE(t.amount);
    CHECK(t.amount->total == 888);
    CHECK(t.amount->payer_total == 888);
    CHECK(t.amount->currency == "CNY");

    auto by_id = UNWRAP(merchant.signed_call("GET", order_by_id_path(t.transaction_id)));
    REQUIRE(by_id.status == 200);
    check_signed(by_id);
    CHECK(by_id.body == by_no.body);

    check_error(UNWRAP(merchant.signed_call("GET", order_path("NOSUCHORDER1"))), 404, "ORDER_NOT_EXIST");
    check_error(UNWRAP(merchant.signed_call("GET", order_by_id_path("4200000000000000000000000000"))), 404,
                "ORDER_NOT_EXIST");
    // WeChat assigns a transaction_id when the user pays: an unpaid order has none to be found by.
    const std::string unpaid = trade_no();
    prepay(merchant, prepay_body(unpaid));
    const auto open = UNWRAP(merchant.signed_call("GET", order_path(unpaid)));
    CHECK(str_at(open, "/trade_state") == "NOTPAY");
    CHECK_FALSE(UNWRAP(wechatpay::parse_transaction(open.body)).transaction_id.size());
    const std::string guessed = t.transaction_id.substr(0, 16) + std::string(12, '0');
    CHECK(UNWRAP(merchant.signed_call("GET", order_by_id_path(guessed))).status == 404);
    // The query string names the merchant.
    auto no_mchid = UNWRAP(merchant.signed_call("GET", "/v3/pay/transactions/out-trade-no/" + no));
    check_error(no_mchid, 400, "PARAM_ERROR");
    CHECK(str_at(no_mchid, "/detail/location") == "query");
}

TEST_CASE("close: 204 and the order is CLOSED; a paid order answers 400 ORDERPAID", "[sim][close]") {
    sim_env env;
    auto merchant = env.client();
    auto control = env.control();
    const std::string close_body = json::serialize(json::object{{"mchid", env.keys().setup.mchid}});
    auto close_path = [](std::string_view no) { return "/v3/pay/transactions/out-trade-no/" + std::string(no) + "/close"; };

    const std::string no = trade_no();
    const auto body = prepay_body(no);
    prepay(merchant, body);
    auto closed = UNWRAP(merchant.signed_call("POST", close_path(no), close_body));
    CHECK(closed.status == 204);
    CHECK(closed.body.empty());
    check_signed(closed);  // over an empty body line
    auto q = UNWRAP(merchant.signed_call("GET", order_path(no)));
    CHECK(str_at(q, "/trade_state") == "CLOSED");
    CHECK(str_at(q, "/trade_state_desc") == "订单已关闭");

    CHECK(UNWRAP(merchant.signed_call("POST", close_path(no), close_body)).status == 204);  // again: still 204
    check_error(UNWRAP(merchant.signed_call("POST", prepay_path("native"), json::serialize(body))), 400, "ORDER_CLOSED");
    CHECK(UNWRAP(control.unsigned_call("POST", "/sim/orders/" + no + "/pay")).status == 409);
    CHECK_FALSE(env.sim().pay(env.keys().setup.mchid, no));

    const std::string paid = paid_order(merchant, control);
    check_error(UNWRAP(merchant.signed_call("POST", close_path(paid), close_body)), 400, "ORDERPAID");
    CHECK(str_at(UNWRAP(merchant.signed_call("GET", order_path(paid))), "/trade_state") == "SUCCESS");

    check_error(UNWRAP(merchant.signed_call("POST", close_path("NOSUCHORDER1"), close_body)), 404, "ORDER_NOT_EXIST");
    // Without an order number the path names no order, let alone one called "close".
    for (const char* path : {"/v3/pay/transactions/out-trade-no//close", "/v3/pay/transactions/out-trade-no/close",
                             "/v3/pay/transactions/out-trade-no/a/b/close"}) {
        INFO(path);
        check_error(UNWRAP(merchant.signed_call("POST", path, close_body)), 404, "NOT_FOUND");
    }
    auto no_mchid = UNWRAP(merchant.signed_call("POST", close_path(no), "{}"));
    check_error(no_mchid, 400, "PARAM_ERROR");
    CHECK(str_at(no_mchid, "/message").starts_with("/body/mchid "));
}

TEST_CASE("ids in paths are percent-decoded: query, close, pay and refund query with | * @",
          "[sim][query][close][refund]") {
    // WeChat allows | * in out_trade_no and @ in out_refund_no; clients percent-encode them in
    // the path (wechatpay::client does), so the server must decode before looking the id up.
    sim_env env;
    auto merchant = env.client();
    auto control = env.control();
    const std::string mchid = env.keys().setup.mchid;
    auto query_path = [&](const std::string& segment) {
        return "/v3/pay/transactions/out-trade-no/" + segment + "?mchid=" + mchid;
    };

    const std::string no = "AB|" + trade_no("*");
    prepay(merchant, prepay_body(no));
    REQUIRE(query_path(encoded(no)).find("AB%7C") != std::string::npos);
    for (bool lower : {false, true}) {
        INFO(query_path(encoded(no, lower)));
        auto q = UNWRAP(merchant.signed_call("GET", query_path(encoded(no, lower))));
        check_signed(q);
        CHECK(q.status == 200);
        CHECK(str_at(q, "/out_trade_no") == no);
    }
    auto paid = UNWRAP(control.unsigned_call("POST", "/sim/orders/" + encoded(no) + "/pay"));
    INFO(paid.body);
    CHECK(paid.status == 200);
    CHECK(str_at(UNWRAP(merchant.signed_call("GET", query_path(encoded(no)))), "/trade_state") == "SUCCESS");

    const std::string rno = "R@" + trade_no("|*");
    REQUIRE(UNWRAP(merchant.signed_call("POST", "/v3/refund/domestic/refunds",
                                        json::serialize(refund_body(no, rno, 10))))
                .status == 200);
    auto r = UNWRAP(merchant.signed_call("GET", refund_path(encoded(rno))));
    check_signed(r);
    CHECK(r.status == 200);
    CHECK(str_at(r, "/out_refund_no") == rno);

    const std::string open = "CL*" + trade_no("|");
    prepay(merchant, prepay_body(open));
    const std::string close_body = json::serialize(json::object{{"mchid", mchid}});
    auto closed = UNWRAP(merchant.signed_call(
        "POST", "/v3/pay/transactions/out-trade-no/" + encoded(open) + "/close", close_body));
    CHECK(closed.status == 204);
    CHECK(str_at(UNWRAP(merchant.signed_call("GET", query_path(encoded(open)))), "/trade_state") == "CLOSED");

    // A '%' without two hex digits is not an id at all: 400, as a malformed request line.
    for (const char* bad : {"AB%7", "AB%ZZ12345", "AB12345%", "%G1ABCDEF"}) {
        INFO(bad);
        auto a = UNWRAP(merchant.signed_call("GET", query_path(bad)));
        check_error(a, 400, "PARAM_ERROR");
        CHECK(str_at(a, "/detail/location") == "path");
        CHECK(UNWRAP(merchant.signed_call("GET", refund_path(bad))).status == 400);
        CHECK(UNWRAP(control.unsigned_call("POST", "/sim/orders/" + std::string(bad) + "/pay")).status == 400);
    }
    // Decoding yields an id, not a path: an encoded '/' is part of it (and no order has one).
    check_error(UNWRAP(merchant.signed_call("GET", query_path("AB%2F12345"))), 404, "ORDER_NOT_EXIST");
}

TEST_CASE("query answers carry the fields WeChat sends in each state", "[sim][query]") {
    // As captured from WeChat: an unpaid order has no transaction_id, trade_type, attach, payer,
    // bank_type or success_time, and its amount only total and payer_currency; scene_info is
    // there in every state, promotion_detail only once a coupon paid part of the order.
    sim_env env;
    auto merchant = env.client();
    auto control = env.control();
    const std::string no = trade_no();
    auto body = prepay_body(no, 300);
    body["attach"] = "kept for later";
    prepay(merchant, body);
    const auto unpaid = UNWRAP(merchant.signed_call("GET", order_path(no))).json();
    CHECK(str_at(unpaid, "/trade_state") == "NOTPAY");
    CHECK(str_at(unpaid, "/trade_state_desc") == "订单未支付");
    for (const char* absent : {"/transaction_id", "/trade_type", "/attach", "/payer", "/bank_type", "/success_time",
                               "/amount/currency", "/amount/payer_total"}) {
        INFO(absent);
        CHECK(at(unpaid, absent) == nullptr);
    }
    CHECK(int_at(unpaid, "/amount/total") == 300);
    CHECK(str_at(unpaid, "/amount/payer_currency") == "CNY");
    CHECK(at(unpaid, "/promotion_detail") == nullptr);
    CHECK(at(unpaid, "/scene_info/device_id"));
    const auto t_unpaid = UNWRAP(wechatpay::parse_transaction(json::serialize(unpaid)));
    CHECK(t_unpaid.attach.empty());
    CHECK(t_unpaid.promotion_detail.empty());

    pay_order(control, no);
    const auto paid = UNWRAP(merchant.signed_call("GET", order_path(no))).json();
    CHECK(str_at(paid, "/trade_state_desc") == "支付成功");
    CHECK(str_at(paid, "/attach") == "kept for later");
    CHECK(str_at(paid, "/trade_type") == "NATIVE");
    CHECK(str_at(paid, "/amount/currency") == "CNY");
    CHECK(int_at(paid, "/amount/payer_total") == 300);
    CHECK(at(paid, "/promotion_detail") == nullptr);  // no coupon
    const auto t_paid = UNWRAP(wechatpay::parse_transaction(json::serialize(paid)));
    CHECK(t_paid.attach == "kept for later");
    CHECK_FALSE(t_paid.payer_openid.empty());
}

TEST_CASE("time_expire stops payment, not the order: NOTPAY until the merchant closes it", "[sim][query][clock]") {
    // WeChat: past time_expire the user can no longer pay, and the order stays NOTPAY (WeChat
    // closes it itself only much later); the merchant closes it.
    sim_env env;
    auto merchant = env.client();
    auto control = env.control();
    const std::string mchid = env.keys().setup.mchid;
    const std::string no = trade_no();
    auto body = prepay_body(no);
    body["time_expire"] = rfc3339_cst(std::time(nullptr) + 600);
    prepay(merchant, body);

    // The simulator's clock, an hour on: the expiry has passed, no sleeping.
    auto moved = UNWRAP(control.unsigned_call("POST", "/sim/clock", R"({"advance_s":3600})"));
    REQUIRE(moved.status == 200);
    CHECK(int_at(moved, "/offset_s") == 3600);
    CHECK(str_at(UNWRAP(merchant.signed_call("GET", order_path(no))), "/trade_state") == "NOTPAY");
    auto refused = UNWRAP(control.unsigned_call("POST", "/sim/orders/" + no + "/pay"));
    CHECK(refused.status == 409);
    CHECK(str_at(refused, "/error").find("time_expire") != std::string::npos);
    CHECK_FALSE(env.sim().pay(mchid, no));
    CHECK(str_at(UNWRAP(merchant.signed_call("GET", order_path(no))), "/trade_state") == "NOTPAY");
    const std::string close_body = json::serialize(json::object{{"mchid", mchid}});
    CHECK(UNWRAP(merchant.signed_call("POST", "/v3/pay/transactions/out-trade-no/" + no + "/close", close_body)).status ==
          204);
    CHECK(str_at(UNWRAP(merchant.signed_call("GET", order_path(no))), "/trade_state") == "CLOSED");

    // One an hour beyond the simulator's clock is still payable.
    const std::int64_t sim_now = std::time(nullptr) + 3600;
    const std::string open = trade_no();
    body = prepay_body(open);
    body["time_expire"] = rfc3339_cst(sim_now + 3600);
    prepay(merchant, body);
    CHECK(env.sim().pay(mchid, open));
    CHECK(str_at(UNWRAP(merchant.signed_call("GET", order_path(open))), "/trade_state") == "SUCCESS");
}

TEST_CASE("a time_expire under a minute away, or past, is raised to a minute from now, not refused",
          "[sim][prepay][clock]") {
    sim_env env;
    auto merchant = env.client();
    const std::string mchid = env.keys().setup.mchid;
    const std::string past = trade_no(), soon = trade_no();
    auto body = prepay_body(past);
    body["time_expire"] = rfc3339_cst(std::time(nullptr) - 3600);
    REQUIRE(prepay(merchant, body).status == 200);
    body = prepay_body(soon);
    body["time_expire"] = rfc3339_cst(std::time(nullptr) + 5);
    REQUIRE(prepay(merchant, body).status == 200);
    // Ten seconds on, both are still payable (the raised expiry is a minute away)...
    REQUIRE(outcome(env.sim().advance_clock(10s)) == "ok");
    CHECK(env.sim().pay(mchid, past));
    // ...and past the minute, no longer.
    REQUIRE(outcome(env.sim().advance_clock(60s)) == "ok");
    CHECK_FALSE(env.sim().pay(mchid, soon));
    CHECK(str_at(UNWRAP(merchant.signed_call("GET", order_path(soon))), "/trade_state") == "NOTPAY");

    // A malformed one is still PARAM_ERROR, naming the value.
    body = prepay_body(trade_no());
    body["time_expire"] = "2026-13-01 10:00";
    auto refused = UNWRAP(merchant.signed_call("POST", prepay_path("native"), json::serialize(body)));
    check_error(refused, 400, "PARAM_ERROR");
    CHECK(str_at(refused, "/message").starts_with("/body/time_expire "));
    CHECK(str_at(refused, "/detail/value") == "2026-13-01 10:00");
}

TEST_CASE("/sim/clock moves forward only, and says where it stands", "[sim][clock]") {
    sim_env env;
    auto control = env.control();
    auto now = UNWRAP(control.unsigned_call("GET", "/sim/clock"));
    REQUIRE(now.status == 200);
    CHECK(int_at(now, "/offset_s") == 0);
    CHECK(str_at(now, "/now").ends_with("+08:00"));
    // Strict like /sim/faults: a misspelt or extra key, or one given twice, is refused.
    for (const char* bad : {R"({"advance_s":-1})", R"({"advance_s":1.5})", R"({})", "[1]", R"({"advance_s":315360001})",
                            R"({"advance":60})", R"({"advance_s":60,"by":1})", R"({"advance_s":60,"advance_s":1})"}) {
        INFO(bad);
        auto refused = UNWRAP(control.unsigned_call("POST", "/sim/clock", bad));
        CHECK(refused.status == 400);
        CHECK(code_of(refused) == "PARAM_ERROR");
        CHECK(str_at(refused, "/message").find("advance_s") != std::string::npos);
    }
    CHECK(int_at(UNWRAP(control.unsigned_call("GET", "/sim/clock")), "/offset_s") == 0);
    // In-process too: never backwards, never an overflowing step.
    CHECK(errc_of(env.sim().advance_clock(-5s)) == errc::invalid_argument);
    CHECK(errc_of(env.sim().advance_clock(std::chrono::seconds::max())) == errc::invalid_argument);
    CHECK(int_at(UNWRAP(control.unsigned_call("POST", "/sim/clock", R"({"advance_s":86400})")), "/offset_s") == 86400);
}

TEST_CASE("/sim/clock runs at most 100 years ahead in all, in steps of at most 10 years", "[sim][clock]") {
    // Without a cap on the total, steps added up until now() overflowed (UB) and the offset wrapped.
    sim_env env;
    auto control = env.control();
    for (int i = 0; i < 10; ++i)
        REQUIRE(UNWRAP(control.unsigned_call("POST", "/sim/clock", R"({"advance_s":315360000})")).status == 200);
    auto at_cap = UNWRAP(control.unsigned_call("GET", "/sim/clock"));
    CHECK(int_at(at_cap, "/offset_s") == 3153600000);
    CHECK(str_at(at_cap, "/now").ends_with("+08:00"));
    auto refused = UNWRAP(control.unsigned_call("POST", "/sim/clock", R"({"advance_s":1})"));
    CHECK(refused.status == 400);
    CHECK(code_of(refused) == "PARAM_ERROR");
    CHECK(str_at(refused, "/message").starts_with("advance_s "));
    CHECK(errc_of(env.sim().advance_clock(1s)) == errc::invalid_argument);
    CHECK(outcome(env.sim().advance_clock(0s)) == "ok");
    CHECK(int_at(UNWRAP(control.unsigned_call("GET", "/sim/clock")), "/offset_s") == 3153600000);
}

TEST_CASE("orders are paid through POST /sim/orders/{no}/pay and simulator::pay", "[sim][pay]") {
    sim_env env;
    auto merchant = env.client();
    auto control = env.control();
    const std::string by_http = trade_no(), in_process = trade_no();
    prepay(merchant, prepay_body(by_http));
    prepay(merchant, prepay_body(in_process));

    auto paid = UNWRAP(control.unsigned_call("POST", "/sim/orders/" + by_http + "/pay",
                                             R"({"openid":"oPayer1","bank_type":"CMB_CREDIT"})"));
    CHECK(paid.status == 200);
    CHECK(str_at(paid, "/paid") == by_http);
    auto q = UNWRAP(merchant.signed_call("GET", order_path(by_http)));
    CHECK(str_at(q, "/trade_state") == "SUCCESS");
    CHECK(str_at(q, "/payer/openid") == "oPayer1");
    CHECK(str_at(q, "/bank_type") == "CMB_CREDIT");
    CHECK(UNWRAP(control.unsigned_call("POST", "/sim/orders/" + by_http + "/pay")).status == 409);  // paid already
    CHECK(UNWRAP(control.unsigned_call("POST", "/sim/orders/NOSUCHORDER1/pay")).status == 404);
    CHECK(UNWRAP(control.unsigned_call("POST", "/sim/orders/" + in_process + "/pay", "[1]")).status == 400);
    // The body is read as WeChat's answers are (unknown keys pass, a wrong type is named), and a
    // coupon must be one WeChat could report; nothing refused pays the order.
    for (const auto& [body, why] : std::vector<std::pair<std::string, std::string>>{
             {R"({"openid":7})", "/openid must be a string"},
             {R"({"coupon":{"amount":"10"}})", "/coupon/amount must be an integer"},
             {R"({"coupon":[]})", "/coupon must be an object"},
             {R"({"coupon":{}})", "coupon.amount: must be an integer from 1"},
             {R"({"coupon":{"amount":10,"type":"FREE"}})", "coupon.type: must be CASH or NOCASH"},
             {R"({"coupon":{"amount":10,"scope":"ALL"}})", "coupon.scope: must be GLOBAL or SINGLE"},
             {R"({"coupon":{"amount":10,"merchant_contribute":4,"other_contribute":5}})", "must add up to the amount"},
             {R"({"coupon":{"amount":100}})", "coupon.amount: must be below the order's total"}}) {
        INFO(body);
        auto refused = UNWRAP(control.unsigned_call("POST", "/sim/orders/" + in_process + "/pay", body));
        CHECK(refused.status == 400);
        CHECK(refused.body.find(why) != std::string::npos);
    }
    CHECK(str_at(UNWRAP(merchant.signed_call("GET", order_path(in_process))), "/trade_state") == "NOTPAY");

    CHECK(env.sim().pay(env.keys().setup.mchid, in_process, "oPayer2"));
    q = UNWRAP(merchant.signed_call("GET", order_path(in_process)));
    CHECK(str_at(q, "/trade_state") == "SUCCESS");
    CHECK(str_at(q, "/payer/openid") == "oPayer2");
    CHECK_FALSE(env.sim().pay(env.keys().setup.mchid, in_process));
    CHECK_FALSE(env.sim().pay(env.keys().setup.mchid, "NOSUCHORDER1"));
}

// ---- refunds -------------------------------------------------------------------------------

TEST_CASE("refunds: PROCESSING, then SUCCESS after refund_delay, and the order becomes REFUND", "[sim][refund]") {
    sim_env env;
    auto merchant = env.client();
    auto control = env.control();
    const std::string no = paid_order(merchant, control);
    const std::string rno = trade_no("R");

    const auto asked = std::chrono::steady_clock::now();
    auto created = UNWRAP(merchant.signed_call("POST", "/v3/refund/domestic/refunds",
                                               json::serialize(refund_body(no, rno, 60))));
    REQUIRE(created.status == 200);
    check_signed(created);
    const auto r = UNWRAP(wechatpay::parse_refund(created.body));
    CHECK(r.status == "PROCESSING");
    CHECK(r.out_refund_no == rno);
    CHECK(r.out_trade_no == no);
    CHECK_FALSE(r.refund_id.empty());
    CHECK_FALSE(r.transaction_id.empty());
    REQUIRE(r.amount);
    CHECK(r.amount->refund == 60);
    CHECK(r.amount->total == 100);
    CHECK(r.success_time.empty());

    // The same out_refund_no again is the same refund.
    auto repeated = UNWRAP(merchant.signed_call("POST", "/v3/refund/domestic/refunds",
                                                json::serialize(refund_body(no, rno, 60))));
    CHECK(repeated.status == 200);
    CHECK(str_at(repeated, "/refund_id") == r.refund_id);

    REQUIRE(refund_reaches(merchant, rno, "SUCCESS"));
    CHECK(std::chrono::steady_clock::now() - asked >= 200ms);
    auto done = UNWRAP(merchant.signed_call("GET", refund_path(rno)));
    check_signed(done);
    CHECK(str_at(done, "/refund_id") == r.refund_id);
    CHECK(str_at(done, "/success_time").ends_with("+08:00"));
    CHECK(str_at(UNWRAP(merchant.signed_call("GET", order_path(no))), "/trade_state") == "REFUND");
}

TEST_CASE("refunds WeChat refuses: unpaid order, more than remains, changed repeat, unknown ones",
          "[sim][refund][errors]") {
    sim_env env;
    auto merchant = env.client();
    auto control = env.control();
    auto refund = [&](const json::object& body) {
        return UNWRAP(merchant.signed_call("POST", "/v3/refund/domestic/refunds", json::serialize(body)));
    };

    const std::string unpaid = trade_no();
    prepay(merchant, prepay_body(unpaid));
    // As WeChat: 404 RESOURCE_NOT_EXISTS (no paid order to refund), not INVALID_REQUEST.
    check_error(refund(refund_body(unpaid, trade_no("R"), 10)), 404, "RESOURCE_NOT_EXISTS");

    const std::string no = paid_order(merchant, control);
    const std::string first = trade_no("R");
    REQUIRE(refund(refund_body(no, first, 60)).status == 200);
    check_error(refund(refund_body(no, trade_no("R"), 41)), 400, "INVALID_REQUEST");  // 40 remain
    check_error(refund(refund_body(no, first, 30)), 400, "INVALID_REQUEST");          // same no, other amount
    check_error(refund(refund_body(no, trade_no("R"), 10, 99)), 400, "INVALID_REQUEST");  // wrong total
    check_error(refund(refund_body("NOSUCHORDER1", trade_no("R"), 10)), 404, "RESOURCE_NOT_EXISTS");

    // The rest, by transaction_id.
    const std::string txn = str_at(UNWRAP(merchant.signed_call("GET", order_path(no))), "/transaction_id");
    auto by_txn = refund_body(no, trade_no("R"), 40);
    by_txn.erase("out_trade_no");
    by_txn["transaction_id"] = txn;
    auto rest = refund(by_txn);
    CHECK(rest.status == 200);
    CHECK(str_at(rest, "/out_trade_no") == no);

    auto bad = refund_body(no, trade_no("R"), 0);
    auto zero = refund(bad);
    check_error(zero, 400, "PARAM_ERROR");
    CHECK(str_at(zero, "/message").starts_with("/body/amount/refund "));
    bad = refund_body(no, trade_no("R"), 1);
    bad["amount"].as_object()["currency"] = "USD";
    check_error(refund(bad), 400, "PARAM_ERROR");

    check_error(UNWRAP(merchant.signed_call("GET", refund_path("NOSUCHREFUND1"))), 404, "RESOURCE_NOT_EXISTS");
}

TEST_CASE("out_refund_no takes up to 64 characters of 0-9 A-Z a-z _ - | * @, not 65", "[sim][refund]") {
    sim_env env;
    auto merchant = env.client();
    auto control = env.control();
    const std::string no = paid_order(merchant, control);
    const std::string long_no = trade_no("R");
    for (const std::string& rno : {"R@" + trade_no(), long_no + std::string(64 - long_no.size(), '9')}) {
        INFO(rno);
        auto a = UNWRAP(merchant.signed_call("POST", "/v3/refund/domestic/refunds",
                                             json::serialize(refund_body(no, rno, 1))));
        CHECK(a.status == 200);
    }
    const std::string over = long_no + std::string(65 - long_no.size(), '9');
    auto too_long = UNWRAP(merchant.signed_call("POST", "/v3/refund/domestic/refunds",
                                                json::serialize(refund_body(no, over, 1))));
    check_error(too_long, 400, "PARAM_ERROR");
    CHECK(str_at(too_long, "/message").starts_with("/body/out_refund_no "));
}

// ---- bills -------------------------------------------------------------------------------

namespace {

struct bill {
    std::string hash_value, download_url, file;  // file: as downloaded
    sim_answer download;
};

// Applies for a bill and downloads it with a signed request.
bill fetch_bill(sim_client& merchant, const std::string& apply_target) {
    auto applied = UNWRAP(merchant.signed_call("GET", apply_target));
    INFO(apply_target << ": " << applied.body);
    REQUIRE(applied.status == 200);
    check_signed(applied);
    bill b;
    CHECK(str_at(applied, "/hash_type") == "SHA1");
    b.hash_value = str_at(applied, "/hash_value");
    b.download_url = str_at(applied, "/download_url");
    const auto path = b.download_url.find("/v3/");
    REQUIRE(path != std::string::npos);
    b.download = UNWRAP(merchant.signed_call("GET", b.download_url.substr(path)));
    REQUIRE(b.download.status == 200);
    b.file = b.download.body;
    return b;
}

}  // namespace

TEST_CASE("trade and fund flow bills for today (CST): the download is signed as a request, not as an answer, "
          "and its SHA1 is hash_value",
          "[sim][bills]") {
    sim_env env;
    auto merchant = env.client();
    auto control = env.control();
    const std::string kept = paid_order(merchant, control, 250);
    const std::string refunded = paid_order(merchant, control, 100);
    const std::string rno = trade_no("R");
    REQUIRE(UNWRAP(merchant.signed_call("POST", "/v3/refund/domestic/refunds",
                                        json::serialize(refund_body(refunded, rno, 30))))
                .status == 200);
    REQUIRE(refund_reaches(merchant, rno, "SUCCESS"));
    const std::string unpaid = trade_no();
    prepay(merchant, prepay_body(unpaid));
    // The bill date is the payment's date in China Standard Time.
    const std::string date = str_at(UNWRAP(merchant.signed_call("GET", order_path(kept))), "/success_time").substr(0, 10);
    REQUIRE(date.size() == 10);

    const std::string tar_type = GENERATE(std::string(), std::string("GZIP"));
    const std::string tar = tar_type.empty() ? "" : "&tar_type=" + tar_type;
    const std::string base = "https://127.0.0.1:" + std::to_string(env.sim().port()) + "/v3/billdownload/file?";
    auto content_of = [&](const bill& b) { return tar_type.empty() ? b.file : gunzip(b.file); };

    SECTION("trade bill") {
        const auto b = fetch_bill(merchant, "/v3/bill/tradebill?bill_date=" + date + "&bill_type=ALL" + tar);
        CHECK(b.download_url.starts_with(base));
        CHECK_FALSE(b.download.has_header("Wechatpay-Signature"));
        CHECK_FALSE(b.download.has_header("Wechatpay-Serial"));
        CHECK_FALSE(b.download.request_id.empty());
        const std::string csv = content_of(b);
        if (!tar_type.empty()) CHECK(b.file != csv);
        CHECK(sha1_hex(csv) == b.hash_value);
        REQUIRE(csv.starts_with("\xEF\xBB\xBF"));
        const auto lines = lines_of(std::string_view(csv).substr(3));
        REQUIRE(lines.size() == 6);  // header, 2 payments, 1 refund, summary header, summary
        CHECK(lines[0].starts_with("交易时间,公众账号ID,商户号,"));
        int payments = 0, refunds = 0;
        for (std::size_t i = 1; i < 4; ++i) {
            INFO(lines[i]);
            CHECK(lines[i].starts_with("`" + date + " "));
            const bool refund_row = lines[i].find("`" + rno + ",") != std::string::npos;
            if (lines[i].find("`" + kept + ",") != std::string::npos) {
                ++payments;
                CHECK(lines[i].find("`SUCCESS,") != std::string::npos);
                CHECK(lines[i].find("`2.50,") != std::string::npos);
            } else if (lines[i].find("`" + refunded + ",") != std::string::npos) {
                ++(refund_row ? refunds : payments);
                CHECK(lines[i].find(refund_row ? "`REFUND," : "`SUCCESS,") != std::string::npos);
            }
            CHECK(lines[i].find(unpaid) == std::string::npos);
        }
        CHECK(payments == 2);
        CHECK(refunds == 1);
        CHECK(lines[4].starts_with("总交易单数,应结订单总金额,退款总金额,"));
        CHECK(lines[5].starts_with("`3,`3.50,`0.30,"));
    }
    SECTION("fund flow bill") {
        const auto b = fetch_bill(merchant, "/v3/bill/fundflowbill?bill_date=" + date + "&account_type=BASIC" + tar);
        CHECK(b.download_url.starts_with(base));
        CHECK_FALSE(b.download.has_header("Wechatpay-Signature"));
        const std::string csv = content_of(b);
        CHECK(sha1_hex(csv) == b.hash_value);
        REQUIRE(csv.starts_with("\xEF\xBB\xBF"));
        const auto lines = lines_of(std::string_view(csv).substr(3));
        REQUIRE(lines.size() == 6);  // header, 2 incomes, 1 refund, summary header, summary
        CHECK(lines[0].starts_with("记账时间,微信支付业务单号,资金流水单号,"));
        for (std::size_t i = 1; i < 4; ++i) CHECK(lines[i].starts_with("`" + date + " "));
        CHECK(lines[4] == "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额");
        CHECK(lines[5] == "`3,`2,`3.50,`1,`0.30");
    }
    SECTION("the download needs a signed request") {
        const auto b = fetch_bill(merchant, "/v3/bill/tradebill?bill_date=" + date + tar);
        auto anonymous = env.control();
        check_refusal(UNWRAP(anonymous.unsigned_call("GET", b.download_url.substr(b.download_url.find("/v3/")))), 401,
                      "SIGN_ERROR");
        check_error(UNWRAP(merchant.signed_call("GET", "/v3/billdownload/file?token=nosuchtoken")), 400,
                    "INVALID_REQUEST");
    }
}

TEST_CASE("POST /sim/bills makes a day of synthetic payments, served chunked, unsigned, and hashed", "[sim][bills]") {
    sim_env env;
    auto control = env.control();
    auto merchant = env.client();
    const std::string day = rfc3339_cst(std::time(nullptr) - 2 * 86400).substr(0, 10);
    auto bad = UNWRAP(control.unsigned_call("POST", "/sim/bills", R"({"bill_date":")" + day + R"(","records":0})"));
    CHECK(bad.status == 400);
    CHECK(bad.body.find("records") != std::string::npos);
    CHECK(UNWRAP(control.unsigned_call("GET", "/sim/bills")).status == 405);
    auto ok = UNWRAP(control.unsigned_call("POST", "/sim/bills", R"({"bill_date":")" + day + R"(","records":2000})"));
    REQUIRE(ok.status == 200);

    auto info = UNWRAP(merchant.signed_call("GET", "/v3/bill/tradebill?bill_date=" + day));
    REQUIRE(info.status == 200);
    const auto url = str_at(info.json(), "/download_url");
    auto file = UNWRAP(merchant.signed_call("GET", url.substr(url.find("/v3/"))));
    REQUIRE(file.status == 200);
    CHECK(file.header("Transfer-Encoding") == "chunked");
    CHECK_FALSE(file.has_header("Wechatpay-Signature"));
    CHECK(sha1_hex(file.body) == str_at(info.json(), "/hash_value"));
    CHECK(std::count(file.body.begin(), file.body.end(), '\n') == 2000 + 3);
    // The connection goes on after a chunked answer.
    CHECK(UNWRAP(merchant.signed_call("GET", "/v3/bill/tradebill?bill_date=" + day)).status == 200);
}

TEST_CASE("bill applications WeChat refuses: malformed or future date, unknown type, a day without records", "[sim][bills][errors]") {
    sim_env env;
    auto merchant = env.client();
    const std::string tomorrow = rfc3339_cst(std::time(nullptr) + 86400).substr(0, 10);
    for (const char* target : {"/v3/bill/tradebill?bill_date=2026-1-1", "/v3/bill/tradebill",
                                     "/v3/bill/tradebill?bill_date=2025-01-01&bill_type=NOPE",
                                     "/v3/bill/tradebill?bill_date=2025-01-01&tar_type=ZIP",
                                     "/v3/bill/fundflowbill?bill_date=2025-01-01&account_type=NOPE"}) {
        INFO(target);
        auto a = UNWRAP(merchant.signed_call("GET", target));
        check_error(a, 400, "PARAM_ERROR");
        CHECK(str_at(a, "/detail/location") == "query");
    }
    check_error(UNWRAP(merchant.signed_call("GET", "/v3/bill/tradebill?bill_date=" + tomorrow)), 400,
                "INVALID_REQUEST");

    // A day without a record of the asked type has no bill, as at WeChat.
    auto control = env.control();
    paid_order(merchant, control);
    const std::string today = rfc3339_cst(std::time(nullptr)).substr(0, 10);
    const std::string quiet = rfc3339_cst(std::time(nullptr) - 5 * 86400).substr(0, 10);
    for (const std::string& target : std::vector<std::string>{"/v3/bill/tradebill?bill_date=" + quiet,
                                                              "/v3/bill/tradebill?bill_date=" + today + "&bill_type=REFUND",
                                                              "/v3/bill/fundflowbill?bill_date=" + quiet,
                                                              "/v3/bill/fundflowbill?bill_date=" + today +
                                                                  "&account_type=OPERATION"}) {
        INFO(target);
        check_error(UNWRAP(merchant.signed_call("GET", target)), 400, "NO_STATEMENT_EXIST");
    }
    CHECK(UNWRAP(merchant.signed_call("GET", "/v3/bill/tradebill?bill_date=" + today)).status == 200);
}

TEST_CASE("a sub-merchant's fund-flow bill application WeChat refuses: no or unknown account_type or algorithm "
          "(SM4_GCM not simulated), an unbound or missing sub_mchid, a bad date",
          "[sim][bills][partner][errors]") {
    sim_env env;
    auto provider = env.client();
    const std::string sub = env.keys().setup.sub_merchants.at(0).mchid;
    const std::string base = "/v3/bill/sub-merchant-fundflowbill?sub_mchid=" + sub + "&bill_date=2025-01-01";
    for (const std::string& target :
         {base + "&algorithm=AEAD_AES_256_GCM", base + "&account_type=NOPE&algorithm=AEAD_AES_256_GCM",
          base + "&account_type=BASIC", base + "&account_type=BASIC&algorithm=SM4_GCM",
          base + "&account_type=BASIC&algorithm=RSA", base + "&account_type=BASIC&algorithm=AEAD_AES_256_GCM&tar_type=ZIP",
          "/v3/bill/sub-merchant-fundflowbill?sub_mchid=" + sub + "&bill_date=2025-1-1&account_type=BASIC"
          "&algorithm=AEAD_AES_256_GCM",
          std::string("/v3/bill/sub-merchant-fundflowbill?bill_date=2025-01-01&account_type=BASIC")}) {
        INFO(target);
        auto a = UNWRAP(provider.signed_call("GET", target));
        check_error(a, 400, "PARAM_ERROR");
        CHECK(str_at(a, "/detail/location") == "query");
    }
    check_error(UNWRAP(provider.signed_call("GET", "/v3/bill/sub-merchant-fundflowbill?sub_mchid=1999999999"
                                                   "&bill_date=2025-01-01&account_type=BASIC&algorithm=AEAD_AES_256_GCM")),
                400, "INVALID_REQUEST");
}

// ---- certificates ---------------------------------------------------------------------------

TEST_CASE("/v3/certificates decrypts with the APIv3 key to the platform certificate", "[sim][certificates]") {
    sim_env env;
    auto merchant = env.client();
    auto a = UNWRAP(merchant.signed_call("GET", "/v3/certificates"));
    REQUIRE(a.status == 200);
    check_signed(a);
    const auto doc = a.json();
    const auto& data = doc.at("data").as_array();
    REQUIRE(data.size() == 1);
    const auto& item = data[0];
    CHECK(str_at(item, "/encrypt_certificate/algorithm") == "AEAD_AES_256_GCM");
    CHECK(str_at(item, "/encrypt_certificate/associated_data") == "certificate");
    CHECK(str_at(item, "/effective_time").ends_with("+08:00"));
    CHECK(str_at(item, "/expire_time").ends_with("+08:00"));
    const auto pem = UNWRAP(wechatpay::aead_decrypt(env.keys().apiv3, str_at(item, "/encrypt_certificate/nonce"),
                                                    str_at(item, "/encrypt_certificate/associated_data"),
                                                    str_at(item, "/encrypt_certificate/ciphertext")));
    const auto cert = UNWRAP(wechatpay::certificate::from_pem(pem));
    CHECK(cert.serial() == str_at(item, "/serial_no"));
    CHECK(cert.serial() == env.keys().platform_cert.serial());
    CHECK(cert.pem() == env.keys().platform_cert.pem());
    // The answer verifies with the certificate it carries.
    CHECK(signature_of(a, wechatpay::verifier({cert})) == "ok");
}

TEST_CASE("with the public key only, /v3/certificates is 500 SYSTEM_ERROR (or 404) and answers use the public key",
          "[sim][certificates]") {
    // As WeChat answers a new merchant (wechatpay-apiv3/wechatpay-java#302); others get 404
    // RESOURCE_NOT_EXISTS (binarywang/WxJava#3728), certificates_not_found.
    sim_env env([](wechatpay::sim::config& c) { c.certificates.clear(); });
    auto merchant = env.client();
    auto a = UNWRAP(merchant.signed_call("GET", "/v3/certificates"));
    check_error(a, 500, "SYSTEM_ERROR");
    CHECK(str_at(a, "/message") == "系统繁忙，请稍后重试");
    CHECK(a.headers.serial == env.keys().setup.public_key_id);
    sim_env older([](wechatpay::sim::config& c) {
        c.certificates.clear();
        c.certificates_not_found = true;
    });
    auto older_merchant = older.client();
    auto not_found = UNWRAP(older_merchant.signed_call("GET", "/v3/certificates"));
    check_error(not_found, 404, "RESOURCE_NOT_EXISTS");
    CHECK(str_at(not_found, "/message").starts_with("无可用的平台证书"));
    CHECK(signature_of(a, public_key_only_verifier()) == "ok");
    auto created = prepay(merchant, prepay_body(trade_no()));
    CHECK(created.headers.serial == env.keys().setup.public_key_id);
    CHECK(signature_of(created, public_key_only_verifier()) == "ok");
}

TEST_CASE("an unknown /v3/ path answers 404, signed", "[sim][errors]") {
    sim_env env;
    auto merchant = env.client();
    auto a = UNWRAP(merchant.signed_call("GET", "/v3/no/such/api"));
    CHECK(a.status == 404);
    check_signed(a);
    CHECK_FALSE(code_of(a).empty());
}
