// The simulator's request validation, sans-io: api::handle called directly with requests the
// merchant signed (wechatpay-go's test key, certificate D7CE59D1F522D701), no server. Cases
// found by fuzzing (fuzz/fuzz_sim_request.cpp) live here.
#include "checks.hpp"
#include "vectors.hpp"

#include <wechatpay/models.hpp>
#include <wechatpay/signer.hpp>

#include "sim/api.hpp"
#include "sim/bills.hpp"
#include "sim/clock.hpp"
#include "sim/keyring.hpp"
#include "sim/store.hpp"

#include "core/gzip.hpp"
#include "core/utf8.hpp"

#include <boost/json.hpp>

#include <cctype>
#include <cstdint>
#include <limits>
#include <algorithm>
#include <string>
#include <vector>

using namespace wechatpay_test;
using wechatpay::errc;

namespace {

constexpr std::int64_t now = 1764230400;  // 2025-11-27T16:00:00+08:00
constexpr std::string_view mchid = "1900000109";

struct sim_api {
    wechatpay::certificate cert = load_certificate(files::go_cert_d7ce);
    wechatpay::signer signer = UNWRAP(wechatpay::signer::create(std::string(mchid), load_private_key(files::go_test_key), cert));
    wechatpay::sim::config cfg = [this] {
        wechatpay::sim::config c;
        c.bills_at_once = true;
        c.merchants.push_back({std::string(mchid), {"wxd678efh567hg6787"}, cert,
                               UNWRAP(wechatpay::apiv3_key::from(test_apiv3_key)), {}, {}});
        return c;
    }();
    wechatpay::sim::store store;
    wechatpay::sim::api api{cfg, store, {}};

    wechatpay::sim::answer send(std::string method, std::string target, std::string body = {}) {
        return send_at(now, std::move(method), std::move(target), std::move(body));
    }
    wechatpay::sim::answer send_at(std::int64_t at, std::string method, std::string target, std::string body = {}) {
        auto auth = UNWRAP(signer.sign_request(method, target, body, at, "NONCE0123456789")).authorization;
        return api.handle({std::move(method), std::move(target), std::move(body), std::move(auth), "", ""}, at);
    }
};

std::string native_prepay(std::string_view out_trade_no, std::string_view total) {
    return R"({"appid":"wxd678efh567hg6787","mchid":"1900000109","description":"x","out_trade_no":")" +
           std::string(out_trade_no) + R"(","notify_url":"https://a.example/n","amount":{"total":)" +
           std::string(total) + "}}";
}

// The field a PARAM_ERROR names: the first word of its message (/body/amount/total, mchid).
std::string field_of(const wechatpay::sim::answer& a) {
    const auto doc = boost::json::parse(a.body).as_object();
    const std::string_view message = doc.at("message").as_string();
    return std::string(message.substr(0, message.find(' ')));
}

}  // namespace

// Fuzz finding (fuzz/corpus/sim_request/crash-bill-fee-overflow): an order of total
// 9223372036854775807, paid, then a trade bill: the fee (total * 6) overflowed int64 (UBSan).
// WeChat's amounts are 32-bit ints: larger ones are now a PARAM_ERROR.
TEST_CASE("sim: amounts beyond WeChat's 32-bit int are refused; bills at the largest amount", "[sim][fuzz]") {
    sim_api sim;
    for (const char* total : {"9223372036854775807", "2147483648"}) {
        INFO(total);
        const auto a = sim.send("POST", "/v3/pay/transactions/native", native_prepay("bigorder01", total));
        CHECK(a.status == 400);
        CHECK(field_of(a) == "/body/amount/total");
    }

    REQUIRE(sim.send("POST", "/v3/pay/transactions/native", native_prepay("maxorder01", "2147483647")).status == 200);
    wechatpay::sim::store::change why{};
    REQUIRE(sim.store.pay(std::string(mchid), "maxorder01", "", "", now, why));
    const auto trade = sim.send("GET", "/v3/bill/tradebill?bill_date=2025-11-27");
    CHECK(trade.status == 200);
    const auto fees = sim.send("GET", "/v3/bill/fundflowbill?bill_date=2025-11-27&account_type=FEES");
    CHECK(fees.status == 200);

    const auto refund = sim.send("POST", "/v3/refund/domestic/refunds",
                                 R"({"out_trade_no":"maxorder01","out_refund_no":"bigrefund01",)"
                                 R"("amount":{"refund":9223372036854775807,"total":9223372036854775807,"currency":"CNY"}})");
    CHECK(refund.status == 400);
    CHECK(field_of(refund) == "/body/amount/refund");
}

// Ids in API paths arrive percent-encoded (clients encode | * @): decoded strictly, a '%'
// without two hex digits after it is no id.
TEST_CASE("sim: percent_decode decodes %XX in either case and refuses malformed escapes", "[sim]") {
    using wechatpay::sim::percent_decode;
    CHECK(percent_decode("AB%7C12345") == "AB|12345");
    CHECK(percent_decode("ab%7c%2a%40") == "ab|*@");
    CHECK(percent_decode("plain_no-1") == "plain_no-1");
    CHECK(percent_decode("a+b") == "a+b");  // '+' is a space only in form queries
    CHECK(percent_decode("") == "");
    for (const char* bad : {"%", "%4", "AB%7", "%G0", "%0G", "AB%%7C"}) {
        INFO(bad);
        CHECK_FALSE(percent_decode(bad));
    }
}

// wechatpay-php's sample trade bill (a fixture of the official SDK) and the simulator's share a
// layout: a BOM, the same header row and summary header, back-tick-prefixed cells, CRLF lines.
TEST_CASE("sim: trade bills have the layout of the official SDK's sample bill", "[sim][bills]") {
    const std::string sample = read_vector("sdk-tests/wechatpay-php/bill.ALL.csv");
    CHECK(wechatpay::sha1_hex(sample) == "9bb6cd819be348f17a9cbcedddc8eb62fefbd790");  // as recorded upstream

    sim_api sim;
    REQUIRE(sim.send("POST", "/v3/pay/transactions/native", native_prepay("layout0001", "250")).status == 200);
    wechatpay::sim::store::change why{};
    REQUIRE(sim.store.pay(std::string(mchid), "layout0001", "", "", now, why));
    const auto ours = wechatpay::sim::trade_bill_csv(sim.store.orders_of(std::string(mchid)),
                                                     sim.store.refunds_of(std::string(mchid)), "2025-11-27", "ALL");
    CHECK(ours.rows == 1);

    auto lines_of = [](std::string_view text) {
        std::vector<std::string> out;
        for (std::size_t end; (end = text.find("\r\n")) != std::string_view::npos; text.remove_prefix(end + 2))
            out.emplace_back(text.substr(0, end));
        CHECK(text.empty());  // the last line ends with CRLF too
        return out;
    };
    auto cells_of = [](const std::string& row) {
        std::size_t n = 1;
        for (char c : row) n += c == ',';
        return n;
    };
    const auto theirs = lines_of(sample), mine = lines_of(ours.text);
    REQUIRE(theirs.size() >= 4);
    REQUIRE(mine.size() == 4);  // header, one payment, summary header, summary
    CHECK(mine[0] == theirs[0]);
    CHECK(mine[2] == theirs[theirs.size() - 2]);
    CHECK(cells_of(mine[1]) == cells_of(theirs[1]));
    CHECK(cells_of(mine[3]) == cells_of(theirs.back()));
    for (const auto* row : {&mine[1], &mine[3]}) {
        INFO(*row);
        std::size_t ticks = 0;
        for (std::size_t i = 0; i < row->size(); ++i) ticks += (*row)[i] == '`' && (i == 0 || (*row)[i - 1] == ',');
        CHECK(ticks == cells_of(*row));
    }
}

// WeChat's PARAM_ERROR detail is {"location","value"} and nothing else (dromara/payment-spring-boot#66:
// {"location":"body","value":"20220421191948"}); the field's path is in the message.
TEST_CASE("sim: PARAM_ERROR detail carries only location and value; the message names the field", "[sim]") {
    sim_api sim;
    auto detail = [](const wechatpay::sim::answer& a) {
        INFO(a.body);
        CHECK(a.status == 400);
        const auto doc = boost::json::parse(a.body).as_object();
        CHECK(doc.at("code").as_string() == "PARAM_ERROR");
        const auto& d = doc.at("detail").as_object();
        for (const auto& kv : d) CHECK((kv.key() == "location" || kv.key() == "value"));
        return d;
    };
    auto body = [](std::string_view amount) {
        return R"({"appid":"wxd678efh567hg6787","mchid":"1900000109","description":"x","out_trade_no":"detail0001",)"
               R"("notify_url":"https://a.example/n","amount":)" + std::string(amount) + "}";
    };
    const auto currency_answer = sim.send("POST", "/v3/pay/transactions/native", body(R"({"total":1,"currency":"XYZ"})"));
    auto currency = detail(currency_answer);
    CHECK(field_of(currency_answer) == "/body/amount/currency");
    CHECK(boost::json::parse(currency_answer.body).at("message").as_string() == "/body/amount/currency must be CNY");
    CHECK(currency.at("value").as_string() == "XYZ");
    CHECK(currency.at("location").as_string() == "body");

    const auto wrong_type_answer = sim.send("POST", "/v3/pay/transactions/native", body(R"({"total":"100"})"));
    auto wrong_type = detail(wrong_type_answer);
    CHECK(field_of(wrong_type_answer) == "/body/amount/total");
    CHECK(wrong_type.at("value").as_string() == "100");  // the value as sent

    auto zero = detail(sim.send("POST", "/v3/pay/transactions/native", body(R"({"total":0})")));
    CHECK(zero.at("value").as_int64() == 0);

    const auto missing_answer = sim.send("POST", "/v3/pay/transactions/native", body(R"({})"));
    auto missing = detail(missing_answer);
    CHECK(field_of(missing_answer) == "/body/amount/total");
    CHECK_FALSE(missing.contains("value"));  // nothing was sent
    CHECK(missing.at("location").as_string() == "body");

    const auto query_answer = sim.send("GET", "/v3/pay/transactions/out-trade-no/detail0001");
    auto query = detail(query_answer);
    CHECK(field_of(query_answer) == "mchid");
    CHECK(query.at("location").as_string() == "query");
}

// Found by fuzzing: a percent-decoded query or path value is any bytes, and echoing it as the
// PARAM_ERROR value made the answer invalid JSON (RFC 8259 §8.1 asks for UTF-8).
TEST_CASE("sim: answers echoing a percent-decoded value that is not UTF-8 stay UTF-8 JSON", "[sim][fuzz]") {
    sim_api sim;
    for (const char* target : {"/v3/bill/tradebill?bill_date=2025-11-2%efunds",
                               "/v3/bill/tradebill?bill_date=2025-11-27&bill_type=%C0%AF",
                               "/v3/bill/fundflowbill?bill_date=2025-11-27&account_type=%ED%A0%80",
                               "/v3/bill/tradebill?bill_date=2025-11-27&tar_type=GZ%F4%90%80%80",
                               "/v3/pay/transactions/out-trade-no/x%FF?mchid=1900000109",
                               "/v3/pay/transactions/out-trade-no/detail0001?mchid=%80%80"}) {
        INFO(target);
        const auto a = sim.send("GET", target);
        CHECK((a.status == 400 || a.status == 404));
        CHECK(wechatpay::detail::utf8_length(a.body));
        boost::system::error_code ec;
        const auto doc = boost::json::parse(a.body, ec);
        REQUIRE_FALSE(ec);
        CHECK(doc.at("code").as_string() != "");
    }
    const auto a = sim.send("GET", "/v3/bill/tradebill?bill_date=%E4%B8%80%ef");
    CHECK(boost::json::parse(a.body).at("detail").at("value").as_string() == "\xE4\xB8\x80\xEF\xBF\xBD");
}

// Found by fuzzing: 1e400 parses as infinity, which Boost.JSON writes back as Infinity (not JSON).
TEST_CASE("sim: a number beyond a double is refused without being quoted back", "[sim][fuzz]") {
    sim_api sim;
    for (const char* total : {"1e400", "-1e400", "[1, 1e999]", "{\"n\":-1e999}"}) {
        INFO(total);
        const auto a = sim.send("POST", "/v3/pay/transactions/native", native_prepay("infinite01", total));
        CHECK(a.status == 400);
        boost::system::error_code ec;
        const auto doc = boost::json::parse(a.body, ec);
        REQUIRE_FALSE(ec);
        CHECK(doc.at("code").as_string() == "PARAM_ERROR");
        CHECK(field_of(a) == "/body/amount/total");
        CHECK_FALSE(doc.at("detail").as_object().contains("value"));
    }
}

TEST_CASE("utf8_repaired replaces each byte that starts no well-formed sequence with U+FFFD", "[utf8]") {
    using wechatpay::detail::utf8_repaired;
    const std::string fffd = "\xEF\xBF\xBD";
    CHECK(utf8_repaired("") == "");
    CHECK(utf8_repaired("plain \xE4\xB8\x80 text") == "plain \xE4\xB8\x80 text");
    CHECK(utf8_repaired("\x80") == fffd);                              // stray continuation byte
    CHECK(utf8_repaired("\xC0\xAF") == fffd + fffd);                  // overlong '/'
    CHECK(utf8_repaired("\xED\xA0\x80") == fffd + fffd + fffd);      // a surrogate
    CHECK(utf8_repaired("\xF4\x90\x80\x80") == fffd + fffd + fffd + fffd);  // beyond U+10FFFF
    CHECK(utf8_repaired("a\xE4\xB8") == "a" + fffd + fffd);           // cut short
    CHECK(utf8_repaired("\xF0\x9F\x98\x80\xFF") == "\xF0\x9F\x98\x80" + fffd);
    for (const char* s : {"\x80", "\xC0\xAF", "\xED\xA0\x80", "a\xE4\xB8", "x\xFFy"})
        CHECK(wechatpay::detail::utf8_length(utf8_repaired(s)));
}

TEST_CASE("sim: refunds carry amount.from (the accounts named, else []); an unpaid order is RESOURCE_NOT_EXISTS",
          "[sim][refund]") {
    sim_api sim;
    REQUIRE(sim.send("POST", "/v3/pay/transactions/native", native_prepay("fromorder1", "100")).status == 200);
    auto refund = [&](std::string_view no, std::string_view amount) {
        return sim.send("POST", "/v3/refund/domestic/refunds",
                        R"({"out_trade_no":"fromorder1","out_refund_no":")" + std::string(no) + R"(","amount":)" +
                            std::string(amount) + "}");
    };
    // Unpaid: WeChat has no payment to refund (404), not a rule broken (INVALID_REQUEST).
    const auto unpaid = refund("fromrefund0", R"({"refund":10,"total":100,"currency":"CNY"})");
    CHECK(unpaid.status == 404);
    CHECK(boost::json::parse(unpaid.body).at("code").as_string() == "RESOURCE_NOT_EXISTS");

    wechatpay::sim::store::change why{};
    REQUIRE(sim.store.pay(std::string(mchid), "fromorder1", "", "", now, why));
    const auto plain = refund("fromrefund1", R"({"refund":10,"total":100,"currency":"CNY"})");
    REQUIRE(plain.status == 200);
    const auto plain_doc = boost::json::parse(plain.body);
    CHECK(plain_doc.at("amount").at("from").as_array().empty());
    CHECK(plain_doc.at("promotion_detail").as_array().empty());

    const auto split = refund("fromrefund2", R"({"refund":30,"total":100,"currency":"CNY",)"
                                             R"("from":[{"account":"AVAILABLE","amount":20},{"account":"UNAVAILABLE","amount":10}]})");
    REQUIRE(split.status == 200);
    const auto parsed = UNWRAP(wechatpay::parse_refund(split.body));
    REQUIRE(parsed.amount);
    REQUIRE(parsed.amount->from.size() == 2);
    CHECK(parsed.amount->from[0].account == "AVAILABLE");
    CHECK(parsed.amount->from[0].amount == 20);
    CHECK(parsed.amount->from[1].account == "UNAVAILABLE");
    CHECK(parsed.amount->from[1].amount == 10);

    const auto bad_account = refund("fromrefund3", R"({"refund":10,"total":100,"currency":"CNY","from":[{"account":"BASIC","amount":10}]})");
    CHECK(bad_account.status == 400);
    CHECK(field_of(bad_account) == "/body/amount/from/0/account");
    const auto twice = refund("fromrefund4", R"({"refund":10,"total":100,"currency":"CNY",)"
                                             R"("from":[{"account":"AVAILABLE","amount":5},{"account":"AVAILABLE","amount":5}]})");
    CHECK(field_of(twice) == "/body/amount/from/1/account");
    const auto short_sum = refund("fromrefund5", R"({"refund":10,"total":100,"currency":"CNY","from":[{"account":"AVAILABLE","amount":9}]})");
    CHECK(short_sum.status == 400);
    CHECK(boost::json::parse(short_sum.body).at("code").as_string() == "INVALID_REQUEST");
}

// advance() once had no limit: a step of INT64_MAX made now() overflow and a second one wrapped
// the offset negative, taking the clock backwards.
TEST_CASE("sim clock: steps of 0 to 10 years, at most 100 years ahead in all, refused moves change nothing",
          "[sim][clock]") {
    using wechatpay::sim::sim_clock;
    sim_clock clock;
    CHECK_FALSE(clock.advance(std::numeric_limits<std::int64_t>::max()));
    CHECK_FALSE(clock.advance(-1));
    CHECK_FALSE(clock.advance(sim_clock::max_step + 1));
    CHECK(clock.offset() == 0);
    CHECK(clock.advance(0));
    while (clock.offset() + sim_clock::max_step <= sim_clock::max_offset) REQUIRE(clock.advance(sim_clock::max_step));
    const std::int64_t left = sim_clock::max_offset - clock.offset();
    CHECK_FALSE(clock.advance(left + 1));
    CHECK(clock.advance(left));
    CHECK(clock.offset() == sim_clock::max_offset);
    CHECK_FALSE(clock.advance(1));
    CHECK(clock.offset() == sim_clock::max_offset);
    CHECK(wechatpay::sim::rfc3339_cst(clock.now()).ends_with("+08:00"));
}

TEST_CASE("sim: rfc3339_cst writes four-digit years and nothing for times beyond them", "[sim][clock]") {
    using wechatpay::sim::rfc3339_cst;
    CHECK(rfc3339_cst(0) == "1970-01-01T08:00:00+08:00");
    CHECK(rfc3339_cst(253402271999) == "9999-12-31T23:59:59+08:00");
    CHECK(rfc3339_cst(253402272000).empty());  // year 10000
    CHECK(rfc3339_cst(std::numeric_limits<std::int64_t>::max() - 8 * 3600).empty());  // gmtime_r fails
    CHECK(rfc3339_cst(-30610252800) == "1000-01-01T00:00:00+08:00");
    CHECK(rfc3339_cst(-30610252801).empty());  // strftime writes the year 999 with three digits
}

// ---- bills as WeChat serves them --------------------------------------------------------

namespace {

// A simulator with realistic bills (the default), not the fixture's bills at once.
struct realistic_sim : sim_api {
    realistic_sim() { cfg.bills_at_once = false; }
};

std::string code_of(const wechatpay::sim::answer& a) {
    const auto doc = boost::json::parse(a.body).as_object();
    return std::string(doc.at("code").as_string());
}

std::string token_of(const wechatpay::sim::answer& a) {
    const auto url = std::string(boost::json::parse(a.body).at("download_url").as_string());
    return url.substr(url.find("/v3/billdownload/"));
}

// The whole body of an answer, streamed or not.
std::string body_of(wechatpay::sim::answer& a, std::size_t* largest = nullptr) {
    if (!a.next_piece) return a.body;
    std::string out;
    for (std::string piece = a.next_piece(); !piece.empty(); piece = a.next_piece()) {
        if (largest) *largest = std::max(*largest, piece.size());
        out += piece;
    }
    return out;
}

constexpr std::int64_t hour = 3600;
// 2025-11-27T00:00:00+08:00, the fixture's day; `now` is 16:00 on it.
constexpr std::int64_t nov27 = now - 16 * hour;

}  // namespace

TEST_CASE("sim: day D's bill exists from 10:00 on D+1; before, 400 STATEMENT_CREATING", "[sim][bills]") {
    realistic_sim sim;
    REQUIRE(outcome(sim.api.add_synthetic_bill(R"({"bill_date":"2025-11-27","records":5})")) == "ok");
    const std::string target = "/v3/bill/tradebill?bill_date=2025-11-27";
    for (std::int64_t at : {nov27 + 16 * hour, nov27 + 24 * hour, nov27 + 33 * hour + 59 * 60 + 59}) {
        CAPTURE(at);
        const auto early = sim.send_at(at, "GET", target);
        CHECK(early.status == 400);
        CHECK(code_of(early) == "STATEMENT_CREATING");
    }
    CHECK(sim.send_at(nov27 + 34 * hour, "GET", target).status == 200);
    // The same for fund-flow bills (a day without any: NO_STATEMENT_EXIST once created).
    CHECK(code_of(sim.send_at(nov27 + 20 * hour, "GET", "/v3/bill/fundflowbill?bill_date=2025-11-27")) ==
          "STATEMENT_CREATING");
    CHECK(code_of(sim.send_at(nov27 + 35 * hour, "GET", "/v3/bill/fundflowbill?bill_date=2025-11-27")) ==
          "NO_STATEMENT_EXIST");
}

TEST_CASE("sim: only bills of the last three months can be requested", "[sim][bills]") {
    for (bool at_once : {false, true}) {
        CAPTURE(at_once);
        realistic_sim sim;
        sim.cfg.bills_at_once = at_once;
        for (const char* day : {"2025-08-27", "2025-08-28"})
            REQUIRE(outcome(sim.api.add_synthetic_bill(R"({"bill_date":")" + std::string(day) + R"(","records":1})")) == "ok");
        // now: 2025-11-27, so 2025-08-27 is the oldest day still served.
        CHECK(sim.send("GET", "/v3/bill/tradebill?bill_date=2025-08-27").status == 200);
        const auto old = sim.send("GET", "/v3/bill/tradebill?bill_date=2025-08-26");
        CHECK(old.status == 400);
        CHECK(code_of(old) == "INVALID_REQUEST");
        CHECK(code_of(sim.send("GET", "/v3/bill/fundflowbill?bill_date=2025-01-01")) == "INVALID_REQUEST");
    }
}

TEST_CASE("sim: a download_url is valid for 30 s; then, and for another merchant, it is refused", "[sim][bills]") {
    sim_api sim;
    REQUIRE(outcome(sim.api.add_synthetic_bill(R"({"bill_date":"2025-11-27","records":3})")) == "ok");
    const auto info = sim.send("GET", "/v3/bill/tradebill?bill_date=2025-11-27");
    REQUIRE(info.status == 200);
    const std::string url = token_of(info);
    auto fresh = sim.send_at(now + 30, "GET", url);
    CHECK(fresh.status == 200);
    CHECK(body_of(fresh).find("synthetic payment") != std::string::npos);
    const auto expired = sim.send_at(now + 31, "GET", url);
    CHECK(expired.status == 400);
    CHECK(code_of(expired) == "INVALID_REQUEST");
    CHECK(code_of(sim.send("GET", "/v3/billdownload/file?token=nosuchtoken")) == "INVALID_REQUEST");
}

TEST_CASE("sim: RECHARGE_REFUND is a trade bill type", "[sim][bills]") {
    sim_api sim;
    const auto a = sim.send("GET", "/v3/bill/tradebill?bill_date=2025-11-27&bill_type=RECHARGE_REFUND");
    CHECK(a.status == 400);
    CHECK(code_of(a) == "NO_STATEMENT_EXIST");  // a known type: the simulator issues no recharge coupons
    CHECK(code_of(sim.send("GET", "/v3/bill/tradebill?bill_date=2025-11-27&bill_type=RECHARGE")) == "PARAM_ERROR");
}

TEST_CASE("sim: a synthetic day of N payments is served in pieces, plain or gzip, matching its hash", "[sim][bills]") {
    sim_api sim;
    constexpr std::int64_t records = 5000;
    REQUIRE(outcome(sim.api.add_synthetic_bill(R"({"bill_date":"2025-11-27","records":5000})")) == "ok");
    for (const char* tar : {"", "&tar_type=GZIP"}) {
        CAPTURE(tar);
        const auto info = sim.send("GET", std::string("/v3/bill/tradebill?bill_date=2025-11-27") + tar);
        REQUIRE(info.status == 200);
        auto file = sim.send("GET", token_of(info));
        REQUIRE(file.status == 200);
        CHECK_FALSE(file.sign);
        REQUIRE(file.next_piece);
        std::size_t largest = 0;
        std::string bill = body_of(file, &largest);
        CHECK(largest <= 80 * 1024);  // a piece at a time, never the whole bill
        if (*tar) bill = UNWRAP(wechatpay::detail::gunzip(bill, 64 * 1024 * 1024));
        const auto hash = std::string(boost::json::parse(info.body).at("hash_value").as_string());
        CHECK(wechatpay::sha1_hex(bill) == hash);
        CHECK(std::count(bill.begin(), bill.end(), '\n') == records + 3);  // header, rows, summary header and row
        CHECK(bill.find("`5000,`") != std::string::npos);  // the summary counts them
    }
    // REFUND bills and fund-flow bills of that day are not synthetic.
    CHECK(code_of(sim.send("GET", "/v3/bill/tradebill?bill_date=2025-11-27&bill_type=REFUND")) == "NO_STATEMENT_EXIST");
}

TEST_CASE("sim: /sim/bills rules are parsed strictly", "[sim][bills]") {
    sim_api sim;
    for (const char* bad : {R"([])", R"({"records":5})", R"({"bill_date":"2025-11-27"})",
                            R"({"bill_date":"2025-13-01","records":5})", R"({"bill_date":"2025-11-27","records":0})",
                            R"({"bill_date":"2025-11-27","records":"5"})", R"({"bill_date":"2025-11-27","records":2.5})",
                            R"({"bill_date":"2025-11-27","records":10000001})",
                            R"({"bill_date":"2025-11-27","records":5,"mchid":"1234"})",
                            R"({"bill_date":"2025-11-27","records":5,"rows":5})", "not json"}) {
        CAPTURE(bad);
        CHECK(errc_of(sim.api.add_synthetic_bill(bad)) == errc::invalid_argument);
    }
    CHECK(outcome(sim.api.add_synthetic_bill(R"({"bill_date":"2025-11-27","records":10000000,"mchid":"1900000109"})")) ==
          "ok");
}

// A synthetic day's bill is hashed once, not at every bill request (a pass over the whole bill:
// seconds for millions of rows, on an io thread); a new size for the day is hashed again.
TEST_CASE("sim: a synthetic day's SHA1 is computed once per day and size", "[sim][bills]") {
    sim_api sim;
    REQUIRE(outcome(sim.api.add_synthetic_bill(R"({"bill_date":"2025-11-25","records":500})")) == "ok");
    std::string hash;
    for (const char* target : {"/v3/bill/tradebill?bill_date=2025-11-25", "/v3/bill/tradebill?bill_date=2025-11-25",
                               "/v3/bill/tradebill?bill_date=2025-11-25&bill_type=SUCCESS&tar_type=GZIP"}) {
        CAPTURE(target);
        const auto a = sim.send("GET", target);
        REQUIRE(a.status == 200);
        const std::string h(boost::json::parse(a.body).at("hash_value").as_string());
        if (hash.empty()) hash = h;
        CHECK(h == hash);
    }
    CHECK(sim.api.synthetic_hashes() == 1);
    // The hash is the bill's: a download (generated as it is served) has it.
    const auto info = boost::json::parse(sim.send("GET", "/v3/bill/tradebill?bill_date=2025-11-25").body).as_object();
    const std::string url(info.at("download_url").as_string());
    const auto file = sim.send("GET", url.substr(url.find("/v3/")));
    REQUIRE(file.status == 200);
    REQUIRE(file.next_piece);
    std::string bill;
    for (std::string piece = file.next_piece(); !piece.empty(); piece = file.next_piece()) bill += piece;
    CHECK(wechatpay::sha1_hex(bill) == hash);

    REQUIRE(outcome(sim.api.add_synthetic_bill(R"({"bill_date":"2025-11-25","records":600})")) == "ok");
    const auto bigger = sim.send("GET", "/v3/bill/tradebill?bill_date=2025-11-25");
    CHECK(std::string(boost::json::parse(bigger.body).at("hash_value").as_string()) != hash);
    CHECK(sim.api.synthetic_hashes() == 2);
}

// serial_no is hex: either case names the merchant's certificate (Beast's iequals, no home-made
// upper-casing); another serial is a SIGN_ERROR.
TEST_CASE("sim: serial_no is compared without regard to case", "[sim]") {
    sim_api sim;
    const std::string target = "/v3/pay/transactions/out-trade-no/nosuchorder?mchid=1900000109";
    const std::string auth = UNWRAP(sim.signer.sign_request("GET", target, "", now, "NONCE0123456789")).authorization;
    const std::string serial = sim.cert.serial();
    const auto at = auth.find("serial_no=\"" + serial + "\"");
    REQUIRE(at != std::string::npos);
    auto with_serial = [&](std::string s) {
        std::string a = auth;
        a.replace(at + 11, serial.size(), s);
        return sim.api.handle({"GET", target, "", a, "", ""}, now).status;
    };
    std::string lower = serial;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    REQUIRE(lower != serial);
    CHECK(with_serial(serial) == 404);  // authenticated: the order does not exist
    CHECK(with_serial(lower) == 404);
    std::string other = serial;
    other.back() = other.back() == '0' ? '1' : '0';
    CHECK(with_serial(other) == 401);
}

// Two rotations within one second tie on the time they sign from and on their certificates'
// not_before (whole seconds): the later publication signs.
TEST_CASE("sim keyring: rotations within one second sign with the latest; an overlap defers it", "[sim][certificates]") {
    using namespace std::chrono_literals;
    wechatpay::sim::sim_clock clock;
    wechatpay::sim::keyring keys({}, std::nullopt, clock);
    keys.rotate(0s);
    const auto second = keys.rotate(0s);
    CHECK(keys.for_answer("").serial == second.id.cert.serial());
    CHECK(keys.for_notification(false).serial == second.id.cert.serial());
    const auto deferred = keys.rotate(3600s);
    CHECK(keys.for_answer("").serial == second.id.cert.serial());  // published, not signing yet
    CHECK(keys.certificates().size() == 3);
    CHECK(keys.decrypting_key(deferred.id.cert.serial()).has_value());
    REQUIRE(clock.advance(3600));
    CHECK(keys.for_answer("").serial == deferred.id.cert.serial());
}
