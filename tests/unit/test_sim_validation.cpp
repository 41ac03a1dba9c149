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
#include "sim/store.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace wechatpay_test;

namespace {

constexpr std::int64_t now = 1764230400;  // 2025-11-27T16:00:00+08:00
constexpr std::string_view mchid = "1900000109";

struct sim_api {
    wechatpay::certificate cert = load_certificate(files::go_cert_d7ce);
    wechatpay::signer signer = UNWRAP(wechatpay::signer::create(std::string(mchid), load_private_key(files::go_test_key), cert));
    wechatpay::sim::config cfg = [this] {
        wechatpay::sim::config c;
        c.merchants.push_back({std::string(mchid), {"wxd678efh567hg6787"}, cert,
                               UNWRAP(wechatpay::apiv3_key::from(test_apiv3_key)), {}});
        return c;
    }();
    wechatpay::sim::store store;
    wechatpay::sim::api api{cfg, store, {}};

    wechatpay::sim::answer send(std::string method, std::string target, std::string body = {}) {
        auto auth = UNWRAP(signer.sign_request(method, target, body, now, "NONCE0123456789")).authorization;
        return api.handle({std::move(method), std::move(target), std::move(body), std::move(auth), ""}, now);
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
