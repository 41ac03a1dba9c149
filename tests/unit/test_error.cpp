// Error codes, kinds, the one-line description and the exception behind result<T>::value().
#include "checks.hpp"
#include "embedded_keys.hpp"
#include "vectors.hpp"

#include <wechatpay/error.hpp>

#include <boost/system/errc.hpp>

#include <set>
#include <string>
#include <utility>
#include <vector>

using wechatpay::errc;
using wechatpay::error_kind;
using namespace wechatpay_test;

namespace {

// Every errc with the kind its comment in error.hpp gives it.
const std::vector<std::pair<errc, error_kind>>& all_codes() {
    static const std::vector<std::pair<errc, error_kind>> codes{
        {errc::invalid_argument, error_kind::usage},
        {errc::not_pem, error_kind::config},
        {errc::encrypted_key, error_kind::config},
        {errc::not_rsa, error_kind::config},
        {errc::key_too_small, error_kind::config},
        {errc::key_mismatch, error_kind::config},
        {errc::invalid_certificate, error_kind::config},
        {errc::invalid_apiv3_key, error_kind::config},
        {errc::file_unreadable, error_kind::config},
        {errc::missing_header, error_kind::security},
        {errc::probe_signature, error_kind::security},
        {errc::malformed_signature, error_kind::security},
        {errc::unsupported_signature_type, error_kind::security},
        {errc::malformed_timestamp, error_kind::security},
        {errc::stale_timestamp, error_kind::security},
        {errc::unknown_serial, error_kind::security},
        {errc::certificate_expired, error_kind::security},
        {errc::bad_signature, error_kind::security},
        {errc::decrypt_failed, error_kind::security},
        {errc::hash_mismatch, error_kind::security},
        {errc::malformed_base64, error_kind::protocol},
        {errc::malformed_json, error_kind::protocol},
        {errc::body_too_large, error_kind::protocol},
        {errc::unsupported_algorithm, error_kind::protocol},
        {errc::malformed_gzip, error_kind::protocol},
        {errc::api_error, error_kind::api},
        {errc::crypto_failure, error_kind::internal},
        {errc::ambiguous_header, error_kind::security},
        {errc::notification_in_progress, error_kind::protocol},
        {errc::callback_exception, error_kind::internal},
    };
    return codes;
}

// An API error as the transport would report it, with server text that must stay out of what().
wechatpay::error api_failure() {
    wechatpay::error e(errc::api_error, "POST /v3/pay/transactions/jsapi");
    e.http_status = 401;
    e.api_code = "SIGN_ERROR";
    e.api_message = "signature mismatch for <script>user input</script>";
    e.api_detail = R"({"location":"body","value":"USER-SECRET-VALUE"})";
    e.request_id = "08F5B8C2B506102C18FDDFEEA30620BE821E28EDC405-0";
    return e;
}

}  // namespace

TEST_CASE("each errc belongs to the kind its declaration says", "[error]") {
    for (const auto& [code, kind] : all_codes()) {
        CAPTURE(code);
        CHECK(wechatpay::kind_of(wechatpay::make_error_code(code)) == kind);
        CHECK(wechatpay::error(code).kind() == kind);
    }
}

TEST_CASE("errc values are stable and numbered from 1", "[error]") {
    CHECK(static_cast<int>(errc::invalid_argument) == 1);
    CHECK(static_cast<int>(errc::not_pem) == 2);
    CHECK(static_cast<int>(errc::missing_header) == 10);
    CHECK(static_cast<int>(errc::decrypt_failed) == 19);
    CHECK(static_cast<int>(errc::hash_mismatch) == 20);
    CHECK(static_cast<int>(errc::malformed_base64) == 21);
    CHECK(static_cast<int>(errc::malformed_gzip) == 25);
    CHECK(static_cast<int>(errc::api_error) == 26);
    CHECK(static_cast<int>(errc::crypto_failure) == 27);
    CHECK(static_cast<int>(errc::ambiguous_header) == 28);
    CHECK(static_cast<int>(errc::notification_in_progress) == 29);
    CHECK(static_cast<int>(errc::callback_exception) == 30);
}

TEST_CASE("error codes live in the wechatpay category with a distinct message each", "[error]") {
    std::set<std::string> messages;
    for (const auto& [code, kind] : all_codes()) {
        const boost::system::error_code ec = code;  // is_error_code_enum
        CAPTURE(code);
        CHECK(ec == wechatpay::make_error_code(code));
        CHECK(&ec.category() == &wechatpay::wechatpay_category());
        CHECK(ec.value() == static_cast<int>(code));
        CHECK_FALSE(ec.message().empty());
        messages.insert(ec.message());
    }
    CHECK(messages.size() == all_codes().size());
}

TEST_CASE("error kinds have distinct names", "[error]") {
    std::set<std::string> names;
    for (auto k : {error_kind::usage, error_kind::config, error_kind::security, error_kind::protocol,
                   error_kind::transport, error_kind::api, error_kind::internal}) {
        const std::string name = wechatpay::to_string(k);
        CHECK_FALSE(name.empty());
        names.insert(name);
    }
    CHECK(names.size() == 7);
}

TEST_CASE("network errors from other categories are transport errors", "[error]") {
    const auto refused = boost::system::errc::make_error_code(boost::system::errc::connection_refused);
    CHECK(wechatpay::kind_of(refused) == error_kind::transport);
    const wechatpay::error e(refused, "connect api.mch.weixin.qq.com:443");
    CHECK(e.kind() == error_kind::transport);
    CHECK_FALSE(e.is(errc::api_error));
    CHECK(e.to_string().find("api.mch.weixin.qq.com") != std::string::npos);
}

TEST_CASE("error::is and kind follow the code", "[error]") {
    const wechatpay::error e(errc::stale_timestamp, "timestamp 1 is 1722850420 s from now");
    CHECK(e.is(errc::stale_timestamp));
    CHECK_FALSE(e.is(errc::bad_signature));
    CHECK(e.kind() == error_kind::security);
    CHECK(e.detail == "timestamp 1 is 1722850420 s from now");
    CHECK(e.http_status == 0);
    CHECK(e.request_id.empty());
}

TEST_CASE("to_string is one line with kind, code, detail, status, WeChat code and Request-ID", "[error]") {
    const auto e = api_failure();
    const auto text = e.to_string();
    CAPTURE(text);
    CHECK(text.find('\n') == std::string::npos);
    CHECK(text.find(wechatpay::to_string(error_kind::api)) != std::string::npos);
    CHECK(text.find(e.code.message()) != std::string::npos);
    CHECK(text.find("POST /v3/pay/transactions/jsapi") != std::string::npos);
    CHECK(text.find("401") != std::string::npos);
    CHECK(text.find("SIGN_ERROR") != std::string::npos);
    CHECK(text.find("08F5B8C2B506102C18FDDFEEA30620BE821E28EDC405-0") != std::string::npos);
    // Server text may echo user input: never in to_string().
    CHECK(text.find("user input") == std::string::npos);
    CHECK(text.find("USER-SECRET-VALUE") == std::string::npos);
}

TEST_CASE("an api_error from an unsigned answer says so in to_string() and verified()", "[error]") {
    auto e = api_failure();
    CHECK(e.verified());
    CHECK(e.to_string().find("unverified") == std::string::npos);
    e.unverified = true;
    CHECK_FALSE(e.verified());
    const auto text = e.to_string();
    CAPTURE(text);
    CHECK(text.find("[HTTP 401] [unverified: the answer was not signed] [SIGN_ERROR]") != std::string::npos);
    CHECK(text.find("08F5B8C2B506102C18FDDFEEA30620BE821E28EDC405-0") != std::string::npos);
    CHECK(wechatpay::exception(e).what() == text);
    // Other errors are verified (there was no unsigned answer to doubt).
    CHECK(wechatpay::error(errc::bad_signature).verified());
}

TEST_CASE("result::value() throws wechatpay::exception carrying the error", "[error]") {
    const wechatpay::result<int> failed = api_failure();
    CHECK_THROWS_AS(failed.value(), wechatpay::exception);
    try {
        (void)failed.value();
        FAIL("value() did not throw");
    } catch (const wechatpay::exception& ex) {
        CHECK(ex.err().is(errc::api_error));
        CHECK(ex.err().http_status == 401);
        CHECK(ex.err().api_message == api_failure().api_message);
        CHECK(ex.err().request_id == api_failure().request_id);
        const std::string what = ex.what();
        CHECK(what.find("SIGN_ERROR") != std::string::npos);
        CHECK(what.find("user input") == std::string::npos);
        CHECK(what.find("USER-SECRET-VALUE") == std::string::npos);
    }

    const wechatpay::result<void> failed_void = wechatpay::error(errc::bad_signature, "serial X");
    CHECK_THROWS_AS(failed_void.value(), wechatpay::exception);
    CHECK_THROWS_AS(wechatpay::throw_exception_from_error(wechatpay::error(errc::invalid_argument),
                                                          BOOST_CURRENT_LOCATION),
                    std::runtime_error);

    const wechatpay::result<int> fine = 42;
    CHECK(fine.value() == 42);
}

TEST_CASE("the secrets watch recognises private key material and the APIv3 key", "[error][secrets]") {
    namespace secrets = wechatpay_test::secrets;
    const auto body_line = wechatpay_test::pem_body_lines(wechatpay_test::embedded::rsa1024_pkcs8).at(3);
    CHECK(secrets::contains_secret("error: key " + body_line + " rejected"));
    CHECK(secrets::contains_secret(body_line.substr(20, 30)));  // a fragment is enough
    std::string with_key = "apiv3 ";
    with_key += wechatpay_test::test_apiv3_key;
    CHECK(secrets::contains_secret(with_key));
    CHECK_FALSE(secrets::contains_secret("config error: merchant.private_key: not PEM (/etc/key.pem)"));
}

TEST_CASE("excerpt() keeps caller text from forging or flooding a line", "[error]") {
    using wechatpay::excerpt;
    CHECK(excerpt("apiclient_key.pem") == R"("apiclient_key.pem")");
    CHECK(excerpt("a\r\nX-Forged: 1") == R"("a\r\nX-Forged: 1")");
    CHECK(excerpt(std::string_view("\0\x7f\x1b\"\\", 5)) == R"("\x00\x7f\x1b\"\\")");
    CHECK(excerpt("\xe5\xbe\xae") == R"("\xe5\xbe\xae")");  // non-ASCII bytes are escaped, not passed on
    const std::string huge(100000, 'p');
    const std::string q = excerpt(huge);
    CHECK(q == "\"" + std::string(64, 'p') + "\"... (100000 bytes)");
    CHECK(excerpt(huge, 8).size() < 40);
}

TEST_CASE("server text in to_string() cannot break the line", "[error]") {
    wechatpay::error e(errc::api_error, "GET /v3/x");
    e.api_code = "PARAM_ERROR\nforged line";
    e.request_id.assign(1000, 'r');
    e.request_id.append("\r\n");
    const std::string s = e.to_string();
    CHECK(s.find('\n') == std::string::npos);
    CHECK(s.find('\r') == std::string::npos);
    CHECK(s.find("[PARAM_ERROR\\nforged line]") != std::string::npos);
    CHECK(s.size() < 400);
}
