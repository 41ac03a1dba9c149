// WeChat Pay's side: answers and notifications verified by Wechatpay-Serial, every failure its
// own errc, checked in the documented order.
#include "checks.hpp"
#include "fake_wechatpay.hpp"
#include "vectors.hpp"

#include <wechatpay/crypto.hpp>
#include <wechatpay/verifier.hpp>

#include <boost/beast/http/fields.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

using wechatpay::errc;
using wechatpay::signature_headers;
using wechatpay::verifier;
using namespace wechatpay_test;

namespace {

constexpr std::int64_t t0 = 1722850421;
constexpr std::string_view body = R"({"code_url":"weixin://wxpay/bizpayurl?pr=p4lpSuKzz"})";

const fake_wechatpay& platform() {
    return fake_wechatpay::instance();
}

// A correctly signed answer at t0 with `edit` applied to its headers.
template <class Edit>
signature_headers signed_headers(Edit edit) {
    auto h = platform().sign(body, t0);
    edit(h);
    return h;
}

signature_headers signed_headers() {
    return platform().sign(body, t0);
}

errc verify(const signature_headers& h, std::string_view b = body, std::int64_t now = t0) {
    return errc_of(platform().certificate_verifier().verify_at(h, b, now));
}

// The doc vector: an answer signed with WeChat Pay public key PUB_KEY_ID_…0006.
struct doc_answer {
    boost::json::object json =
        read_json_vector("doc_signature_vectors.json").at("response_verify").as_object();
    signature_headers headers = headers_from_json(json.at("headers").as_object());
    std::string body = json_string(json, "body");
    verifier v{{},
               wechatpay::wechatpay_public_key{"PUB_KEY_ID_0000000000000024101100397200000006",
                                               load_public_key(files::doc_wechatpay_public_key)}};
};

}  // namespace

TEST_CASE("docs vector: an answer signed with the WeChat Pay public key verifies", "[verifier][vectors]") {
    const doc_answer a;
    CHECK(a.headers.serial == "PUB_KEY_ID_0000000000000024101100397200000006");
    CHECK(a.headers.request_id == "08F5B8C2B506102C18FDDFEEA30620BE821E28EDC405-0");
    CHECK(wechatpay::answer_message(a.headers.timestamp, a.headers.nonce, a.body) ==
          json_string(a.json, "message"));
    CHECK(outcome(a.v.verify_at(a.headers, a.body, 1722850421)) == "ok");

    const verifier pinned({}, a.v.wechatpay_key(), [] { return std::int64_t{1722850421}; });
    CHECK(outcome(pinned.verify(a.headers, a.body)) == "ok");

    auto other_body = a.body;
    other_body.back() = ' ';
    CHECK(errc_of(a.v.verify_at(a.headers, other_body, 1722850421)) == errc::bad_signature);
}

TEST_CASE("wechatpay-go notify_payscore: signature verifies with certificate D7CE59D1F522D701",
          "[verifier][vectors]") {
    const auto v = read_json_vector("sdk-tests/wechatpay-go/notify_payscore.json");
    const verifier trusted(
        {load_certificate("sdk-tests/wechatpay-go/" + json_string(v, "platform_certificate_file"))});
    const auto headers = headers_from_json(v.at("headers").as_object());
    const auto now = v.at("now_unix").as_int64();
    CHECK(outcome(trusted.verify_at(headers, json_string(v, "body"), now)) == "ok");

    // The same signature appears in wechatpay-java's notification test.
    const auto note = read_vector("sdk-tests/wechatpay-java/notification_signature_note.txt");
    CHECK(note.find(headers.signature) != std::string::npos);
}

TEST_CASE("probe_signature: WECHATPAY/SIGNTEST/ is refused whatever the keys and time",
          "[verifier][vectors]") {
    const auto v = read_json_vector("signtest_probe_notification_headers.json");
    const auto headers = headers_from_json(v.at("headers").as_object());
    REQUIRE(headers.signature.rfind(wechatpay::probe_signature_prefix, 0) == 0);
    const auto body_prefix = json_string(v, "body_prefix");

    const auto r = platform().certificate_verifier().verify_at(headers, body_prefix, 1733109540);
    REQUIRE(errc_of(r) == errc::probe_signature);
    CHECK(r.error().kind() == wechatpay::error_kind::security);
    CHECK(errc_of(verifier({}).verify_at(headers, body_prefix, 1733109540)) == errc::probe_signature);
    CHECK(errc_of(verifier({}).verify_at(headers, body_prefix, t0)) == errc::probe_signature);

    // A probe over a signature we made ourselves is still a probe.
    const auto probe = signed_headers([](auto& h) { h.signature = "WECHATPAY/SIGNTEST/" + h.signature; });
    CHECK(verify(probe) == errc::probe_signature);
}

TEST_CASE("signature_headers::parse reads a header block as curl -D writes it", "[verifier]") {
    const auto h = signature_headers::parse(
        "HTTP/1.1 200 OK\r\n"
        "Server: nginx\r\n"
        "Date: Mon, 05 Aug 2024 09:33:41 GMT\r\n"
        "Content-Type: application/json; charset=utf-8\r\n"
        "wechatpay-nonce: d824f2e086d3c1df967785d13fcd22ef\r\n"
        "WECHATPAY-SIGNATURE: mfI1CPqvBrgcXfgXMFjdNIhB==\r\n"
        "Wechatpay-Timestamp: 1722850421\r\n"
        "WeChatPay-Serial:   PUB_KEY_ID_0000000000000024101100397200000006\r\n"
        "Wechatpay-Signature-Type: WECHATPAY2-SHA256-RSA2048\r\n"
        "request-id: 08F5B8C2B506102C18FDDFEEA30620BE821E28EDC405-0\r\n"
        "\r\n");
    CHECK(h.timestamp == "1722850421");
    CHECK(h.nonce == "d824f2e086d3c1df967785d13fcd22ef");
    CHECK(h.signature == "mfI1CPqvBrgcXfgXMFjdNIhB==");
    CHECK(h.serial == "PUB_KEY_ID_0000000000000024101100397200000006");
    CHECK(h.signature_type == "WECHATPAY2-SHA256-RSA2048");
    CHECK(h.request_id == "08F5B8C2B506102C18FDDFEEA30620BE821E28EDC405-0");

    // LF-only lines, no status line, absent headers stay empty.
    const auto partial = signature_headers::parse("Wechatpay-Nonce: abc\nWechatpay-Timestamp: 1\n");
    CHECK(partial.nonce == "abc");
    CHECK(partial.timestamp == "1");
    CHECK(partial.signature.empty());
    CHECK(partial.serial.empty());
    CHECK(partial.request_id.empty());
}

TEST_CASE("a parsed curl -D block of the docs' answer verifies", "[verifier][vectors]") {
    const doc_answer a;
    std::string block = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n";
    for (const auto& kv : a.json.at("headers").as_object())
        block += std::string(kv.key()) + ": " + std::string(kv.value().as_string()) + "\r\n";
    block += "\r\n";
    CHECK(outcome(a.v.verify_at(signature_headers::parse(block), a.body, 1722850421)) == "ok");
}

TEST_CASE("signature_headers::from asks the lookup for each header by name", "[verifier]") {
    const std::map<std::string, std::string, std::less<>> fields{
        {"Wechatpay-Timestamp", "1"}, {"Wechatpay-Nonce", "n"}, {"Wechatpay-Signature", "s"},
        {"Wechatpay-Serial", "x"},    {"Request-ID", "rid"},    {"Other", "o"}};
    const auto h = signature_headers::from([&](std::string_view name) {
        const auto it = fields.find(name);
        return it == fields.end() ? std::string() : it->second;
    });
    CHECK(h.timestamp == "1");
    CHECK(h.nonce == "n");
    CHECK(h.signature == "s");
    CHECK(h.serial == "x");
    CHECK(h.signature_type.empty());
    CHECK(h.request_id == "rid");
}

namespace {

// An HTTP header block carrying `h`, with `name` given a second time with `other` as its value
// (before or after the signed copy).
boost::beast::http::fields fields_with_repeat(const signature_headers& h, std::string_view name,
                                              std::string_view other, bool other_first) {
    boost::beast::http::fields f;
    const std::pair<std::string_view, std::string_view> signed_ones[] = {
        {"Wechatpay-Timestamp", h.timestamp}, {"Wechatpay-Nonce", h.nonce},
        {"Wechatpay-Signature", h.signature}, {"Wechatpay-Serial", h.serial},
        {"Wechatpay-Signature-Type", h.signature_type}, {"Request-ID", h.request_id}};
    for (const auto& [n, v] : signed_ones) {
        if (n == name && other_first) f.insert(n, other);
        f.insert(n, v);
        if (n == name && !other_first) f.insert(n, other);
    }
    return f;
}

}  // namespace

TEST_CASE("ambiguous_header: a signature header given twice is refused, whichever copy comes first",
          "[verifier][errors]") {
    const auto good = signed_headers();
    CHECK(verify(signature_headers::from_fields(fields_with_repeat(good, "Other", "", false))) == ok);
    // The second copy of each: a signature made for another body, another time, another nonce, …
    const auto other = platform().sign("{}", t0 + 1, "ANOTHERNONCE");
    const std::pair<std::string_view, std::string> repeats[] = {
        {"Wechatpay-Timestamp", other.timestamp}, {"Wechatpay-Nonce", other.nonce},
        {"Wechatpay-Signature", other.signature}, {"Wechatpay-Serial", "PUB_KEY_ID_0112233445566778899"},
        {"Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048"}};
    for (const auto& [name, value] : repeats)
        for (bool other_first : {true, false}) {
            CAPTURE(name, other_first);
            const auto h = signature_headers::from_fields(fields_with_repeat(good, name, value, other_first));
            CHECK(h.ambiguity == std::string(name) + " appears more than once");
            const auto r = platform().certificate_verifier().verify_at(h, body, t0);
            REQUIRE(errc_of(r) == errc::ambiguous_header);
            CHECK(r.error().kind() == wechatpay::error_kind::security);
            CHECK(r.error().detail == std::string(name) + " appears more than once");
        }
    // Request-ID is not signed: a repeat of it changes nothing.
    CHECK(verify(signature_headers::from_fields(fields_with_repeat(good, "Request-ID", "x", false))) == ok);
}

TEST_CASE("ambiguous_header: a raw header block repeating a signature header", "[verifier][errors]") {
    const auto h = signed_headers();
    std::string block = "HTTP/1.1 200 OK\r\nWechatpay-Timestamp: " + h.timestamp + "\r\nWechatpay-Nonce: " +
                        h.nonce + "\r\nWechatpay-Signature: " + h.signature + "\r\nWechatpay-Serial: " + h.serial +
                        "\r\nRequest-ID: a\r\nRequest-ID: b\r\n";
    CHECK(verify(signature_headers::parse(block)) == ok);
    block += "wechatpay-signature: " + platform().sign("{}", t0).signature + "\r\n";  // names are case-insensitive
    const auto parsed = signature_headers::parse(block);
    CHECK(parsed.ambiguity == "Wechatpay-Signature appears more than once");
    CHECK(verify(parsed) == errc::ambiguous_header);
}

TEST_CASE("ambiguous_header: a raw header block with a folded line or a space before a colon", "[verifier][errors]") {
    const auto h = signed_headers();
    const std::string head = "HTTP/1.1 200 OK\r\nWechatpay-Timestamp: " + h.timestamp + "\r\nWechatpay-Signature: " +
                             h.signature + "\r\nWechatpay-Serial: " + h.serial + "\r\n";
    CHECK(verify(signature_headers::parse(head + "Wechatpay-Nonce: " + h.nonce + "\r\n\r\n")) == ok);
    // An HTTP parser reads the nonce as "<nonce> other"; the signature was made over "<nonce>".
    const auto folded = signature_headers::parse(head + "Wechatpay-Nonce: " + h.nonce + "\r\n other\r\n\r\n");
    CHECK(folded.ambiguity == "a folded header line (obs-fold)");
    CHECK(verify(folded) == errc::ambiguous_header);
    const auto spaced = signature_headers::parse(head + "Wechatpay-Nonce : " + h.nonce + "\r\n\r\n");
    CHECK(verify(spaced) == errc::ambiguous_header);
}

TEST_CASE("ambiguous_header: a nonce holding a line break could move text between nonce and body",
          "[verifier][errors]") {
    // WeChat signed nonce "N" with body "X\n{…}"; the same bytes read as nonce "N\nX" and body
    // "{…}" must not verify.
    const std::string shifted_body = "X\n" + std::string(body);
    auto h = platform().sign(shifted_body, t0, "N");
    CHECK(verify(h, shifted_body) == ok);
    h.nonce = "N\nX";
    CHECK(wechatpay::answer_message(h.timestamp, h.nonce, body) ==
          wechatpay::answer_message(h.timestamp, "N", shifted_body));
    CHECK(verify(h, body) == errc::ambiguous_header);
    for (std::string_view nonce : std::initializer_list<std::string_view>{"a\rb", std::string_view("a\0b", 3), "a\x7f", "\tab"}) {
        CAPTURE(nonce);
        CHECK(verify(signed_headers([&](auto& x) { x.nonce = std::string(nonce); })) == errc::ambiguous_header);
    }
}

TEST_CASE("answer_message builds TIMESTAMP, NONCE and BODY lines", "[verifier]") {
    CHECK(wechatpay::answer_message("1", "n", "") == "1\nn\n\n");
    CHECK(wechatpay::answer_message("1722850421", "abc", "{}") == "1722850421\nabc\n{}\n");
}

TEST_CASE("a correctly signed answer verifies, with or without a signature type header", "[verifier]") {
    CHECK(verify(signed_headers()) == ok);
    CHECK(verify(signed_headers([](auto& h) { h.signature_type.clear(); })) == ok);
    // 204 answers: empty body.
    CHECK(errc_of(platform().certificate_verifier().verify_at(platform().sign("", t0), "", t0)) == ok);
}

TEST_CASE("missing_header: each signature header absent or empty", "[verifier][errors]") {
    const std::vector<std::pair<std::string_view, std::string signature_headers::*>> fields{
        {"timestamp", &signature_headers::timestamp},
        {"nonce", &signature_headers::nonce},
        {"signature", &signature_headers::signature},
        {"serial", &signature_headers::serial}};
    for (const auto& [name, member] : fields) {
        CAPTURE(name);
        auto h = signed_headers();
        h.*member = "";
        const auto r = platform().certificate_verifier().verify_at(h, body, t0);
        REQUIRE(errc_of(r) == errc::missing_header);
        CHECK(r.error().kind() == wechatpay::error_kind::security);
    }
    CHECK(verify(signature_headers{}) == errc::missing_header);
}

TEST_CASE("unsupported_signature_type: anything but WECHATPAY2-SHA256-RSA2048", "[verifier][errors]") {
    for (std::string_view type : {"WECHATPAY2-SM2-WITH-SM3", "WECHATPAY2-SHA256-RSA4096", "RSA"}) {
        CAPTURE(type);
        CHECK(verify(signed_headers([&](auto& h) { h.signature_type = std::string(type); })) ==
              errc::unsupported_signature_type);
    }
}

TEST_CASE("malformed_timestamp: a timestamp that is not a decimal number", "[verifier][errors]") {
    for (std::string_view ts : {"abc", "12x", "x12", "1.5", "0x10", "1e9", "1722850421abc", "1 2", "--1"}) {
        CAPTURE(ts);
        const auto r = platform().certificate_verifier().verify_at(
            signed_headers([&](auto& h) { h.timestamp = std::string(ts); }), body, t0);
        REQUIRE(errc_of(r) == errc::malformed_timestamp);
        CHECK(r.error().kind() == wechatpay::error_kind::security);
    }
}

TEST_CASE("negative and out-of-range timestamps are refused, without overflow", "[verifier][errors]") {
    for (std::string_view ts :
         {"-1", "-300", "-9223372036854775808", "9223372036854775807", "99999999999999999999999"}) {
        CAPTURE(ts);
        const auto e = verify(signed_headers([&](auto& h) { h.timestamp = std::string(ts); }));
        CAPTURE(e);
        CHECK(is_one_of(e, {errc::malformed_timestamp, errc::stale_timestamp}));
    }
}

TEST_CASE("stale_timestamp: more than 300 s from now, either way; exactly 300 s is accepted",
          "[verifier][errors]") {
    const auto h = signed_headers();
    CHECK(verify(h, body, t0 + 300) == ok);
    CHECK(verify(h, body, t0 - 300) == ok);
    CHECK(verify(h, body, t0 + 301) == errc::stale_timestamp);
    CHECK(verify(h, body, t0 - 301) == errc::stale_timestamp);
    CHECK(verify(h, body, t0 + 86400) == errc::stale_timestamp);
    CHECK(wechatpay::signature_window_seconds == 300);
}

TEST_CASE("verify() reads the time from the verifier's clock", "[verifier]") {
    std::int64_t now = t0;
    const auto v = platform().certificate_verifier([&now] { return now; });
    const auto h = signed_headers();
    CHECK(outcome(v.verify(h, body)) == "ok");
    now = t0 + 301;
    CHECK(errc_of(v.verify(h, body)) == errc::stale_timestamp);
    // The clock travels with with_certificates.
    const auto renewed = v.with_certificates({platform().certificate()});
    CHECK(errc_of(renewed.verify(h, body)) == errc::stale_timestamp);
    now = t0;
    CHECK(outcome(renewed.verify(h, body)) == "ok");
}

TEST_CASE("verify() without a clock uses the system time", "[verifier]") {
    const auto now = wechatpay::system_unix_time();
    const auto h = platform().sign(body, now);
    CHECK(outcome(platform().certificate_verifier().verify(h, body)) == "ok");
    const auto old = platform().sign(body, now - 1000);
    CHECK(errc_of(platform().certificate_verifier().verify(old, body)) == errc::stale_timestamp);
}

TEST_CASE("unknown_serial: a serial no certificate or public key has", "[verifier][errors]") {
    CHECK(verify(signed_headers([](auto& h) { h.serial = "F5765756002FDD78"; })) == errc::unknown_serial);
    CHECK(verify(signed_headers([](auto& h) { h.serial = "PUB_KEY_ID_0112233445566778899"; })) ==
          errc::unknown_serial);
    CHECK(errc_of(verifier({}).verify_at(signed_headers(), body, t0)) == errc::unknown_serial);
    const doc_answer a;
    CHECK(errc_of(a.v.verify_at(signed_headers(), body, t0)) == errc::unknown_serial);
}

TEST_CASE("certificate_expired: wechatpay-java's platform certificate after 2025-05-09",
          "[verifier][errors]") {
    const auto cert = load_certificate(files::java_wechatpay_cert);
    const auto s =
        UNWRAP(wechatpay::signer::create("wechatpay", load_private_key(files::java_wechatpay_key), cert));
    const verifier v({cert});
    const auto sign_at = [&](std::int64_t ts) {
        signature_headers h;
        h.timestamp = std::to_string(ts);
        h.nonce = "n0nce";
        h.signature = UNWRAP(s.sign(wechatpay::answer_message(h.timestamp, h.nonce, body)));
        h.serial = cert.serial();
        return h;
    };

    const auto now = wechatpay::system_unix_time();
    const auto r = v.verify_at(sign_at(now), body, now);
    REQUIRE(errc_of(r) == errc::certificate_expired);
    CHECK(r.error().kind() == wechatpay::error_kind::security);
    CHECK(errc_of(v.verify(sign_at(now), body)) == errc::certificate_expired);

    const auto inside = unix_time(2024, 1, 1);
    CHECK(outcome(v.verify_at(sign_at(inside), body, inside)) == "ok");
    const auto last_second = unix_time(2025, 5, 9, 2, 4, 30);
    CHECK(outcome(v.verify_at(sign_at(last_second), body, last_second)) == "ok");
    CHECK(errc_of(v.verify_at(sign_at(last_second + 1), body, last_second + 1)) == errc::certificate_expired);
    // Not yet valid counts too: D7CE59D1F522D701 starts on 2021-04-27.
    const auto before = unix_time(2021, 1, 1);
    CHECK(errc_of(platform().certificate_verifier().verify_at(platform().sign(body, before), body, before)) ==
          errc::certificate_expired);
}

TEST_CASE("malformed_signature: a signature that is not strict base64", "[verifier][errors]") {
    const auto good = signed_headers().signature;
    const std::vector<std::string> bad{
        "!!!!",
        good.substr(0, good.size() - 1),              // padding cut
        good.substr(0, 64) + "\n" + good.substr(64),  // line break inside
        good.substr(0, 64) + " " + good.substr(64),   // space inside
        " " + good,
        good + " ",
        good + "\r\n",
        [&] {
            auto s = good;
            s[10] = '-';
            return s;
        }(),  // URL-safe alphabet
    };
    for (const auto& signature : bad) {
        CAPTURE(signature);
        const auto r = platform().certificate_verifier().verify_at(
            signed_headers([&](auto& h) { h.signature = signature; }), body, t0);
        REQUIRE(errc_of(r) == errc::malformed_signature);
        CHECK(r.error().kind() == wechatpay::error_kind::security);
    }
}

TEST_CASE("bad_signature: the signature does not match the message", "[verifier][errors]") {
    const auto h = signed_headers();

    SECTION("body changed by one byte") {
        for (std::size_t i : {std::size_t{0}, body.size() / 2, body.size() - 1}) {
            std::string tampered(body);
            tampered[i] = static_cast<char>(tampered[i] ^ 0x20);
            CHECK(verify(h, tampered) == errc::bad_signature);
        }
        CHECK(verify(h, std::string(body) + "\n") == errc::bad_signature);
        CHECK(verify(h, "") == errc::bad_signature);
    }
    SECTION("nonce or timestamp changed") {
        CHECK(verify(signed_headers([](auto& h2) { h2.nonce += "x"; })) == errc::bad_signature);
        CHECK(verify(signed_headers([](auto& h2) { h2.timestamp = std::to_string(t0 + 1); })) ==
              errc::bad_signature);
    }
    SECTION("signature of another message or by another key") {
        const auto other = platform().sign("{}", t0);
        CHECK(verify(signed_headers([&](auto& h2) { h2.signature = other.signature; })) ==
              errc::bad_signature);
        const auto java_key = load_private_key(files::java_wechatpay_key);
        const auto forged = wechatpay::base64_encode(
            UNWRAP(java_key.sign_sha256(wechatpay::answer_message(h.timestamp, h.nonce, body))));
        CHECK(verify(signed_headers([&](auto& h2) { h2.signature = forged; })) == errc::bad_signature);
    }
    SECTION("well-formed base64 of the wrong length") {
        CHECK(verify(signed_headers([](auto& h2) { h2.signature = "QUJD"; })) == errc::bad_signature);
    }
    const auto r = platform().certificate_verifier().verify_at(h, "{}", t0);
    REQUIRE(errc_of(r) == errc::bad_signature);
    CHECK(r.error().kind() == wechatpay::error_kind::security);
}

TEST_CASE("checks run in the documented order", "[verifier][errors]") {
    // headers → probe → type → timestamp → serial → validity → base64 → signature.
    const auto probe_without_serial = signed_headers([](auto& h) {
        h.signature = "WECHATPAY/SIGNTEST/abc";
        h.serial.clear();
    });
    CHECK(verify(probe_without_serial) == errc::missing_header);

    const auto probe_with_bad_type = signed_headers([](auto& h) {
        h.signature = "WECHATPAY/SIGNTEST/abc";
        h.signature_type = "OTHER";
        h.timestamp = "abc";
    });
    CHECK(verify(probe_with_bad_type) == errc::probe_signature);

    const auto bad_type_and_time = signed_headers([](auto& h) {
        h.signature_type = "OTHER";
        h.timestamp = "abc";
    });
    CHECK(verify(bad_type_and_time) == errc::unsupported_signature_type);

    const auto stale_unknown = signed_headers([](auto& h) { h.serial = "UNKNOWN"; });
    CHECK(verify(stale_unknown, body, t0 + 1000) == errc::stale_timestamp);

    const auto unknown_malformed = signed_headers([](auto& h) {
        h.serial = "UNKNOWN";
        h.signature = "!!!";
    });
    CHECK(verify(unknown_malformed) == errc::unknown_serial);

    const auto before = unix_time(2021, 1, 1);
    const auto expired_malformed = signed_headers([&](auto& h) {
        h.timestamp = std::to_string(before);
        h.signature = "!!!";
    });
    CHECK(verify(expired_malformed, body, before) == errc::certificate_expired);

    CHECK(verify(signed_headers([](auto& h) { h.signature = "!!!"; }), "tampered") ==
          errc::malformed_signature);
}

TEST_CASE("public key mode: the key is picked by its PUB_KEY_ID", "[verifier]") {
    const auto v = platform().public_key_verifier();
    const auto h = platform().sign(body, t0, "nonce", platform_public_key_id);
    CHECK(outcome(v.verify_at(h, body, t0)) == "ok");
    CHECK(errc_of(v.verify_at(signed_headers(), body, t0)) == errc::unknown_serial);
}

TEST_CASE("during migration a verifier trusts both certificates and the public key", "[verifier]") {
    const auto java_cert = load_certificate(files::java_wechatpay_cert);
    const verifier v({platform().certificate(), load_certificate(files::go_cert_f576), java_cert},
                     wechatpay::wechatpay_public_key{"PUB_KEY_ID_0000000000000024101100397200000006",
                                                     load_public_key(files::doc_wechatpay_public_key)});
    CHECK(outcome(v.verify_at(signed_headers(), body, t0)) == "ok");
    const auto by_f576 = platform().sign(body, t0, "nonce", "F5765756002FDD77");
    CHECK(outcome(v.verify_at(by_f576, body, t0)) == "ok");
    const doc_answer a;
    CHECK(outcome(v.verify_at(a.headers, a.body, 1722850421)) == "ok");
    // Signed by the platform key but naming the public key id: that key does not match.
    const auto misnamed = platform().sign(body, t0, "nonce", "PUB_KEY_ID_0000000000000024101100397200000006");
    CHECK(errc_of(v.verify_at(misnamed, body, t0)) == errc::bad_signature);

    CHECK(v.knows("D7CE59D1F522D701"));
    CHECK(v.knows("F5765756002FDD77"));
    CHECK(v.knows("440024045C4A427599D09BB4E3DE0279F2E813FD"));
    CHECK(v.knows("PUB_KEY_ID_0000000000000024101100397200000006"));
    CHECK_FALSE(v.knows("PUB_KEY_ID_0112233445566778899"));
    CHECK_FALSE(v.knows(""));

    // Newest expiry first (D7CE… 08:55:23 after F576… 08:40:32 on 2031-04-25, then 2025's), then the id.
    CHECK(v.serials() == std::vector<std::string>{"D7CE59D1F522D701", "F5765756002FDD77",
                                                  "440024045C4A427599D09BB4E3DE0279F2E813FD",
                                                  "PUB_KEY_ID_0000000000000024101100397200000006"});
    CHECK(v.preferred_serial() == "PUB_KEY_ID_0000000000000024101100397200000006");
    CHECK(v.certificates().size() == 3);
    REQUIRE(v.wechatpay_key().has_value());
    CHECK(v.wechatpay_key()->id == "PUB_KEY_ID_0000000000000024101100397200000006");

    const auto by_serial = v.key_for("440024045C4A427599D09BB4E3DE0279F2E813FD");
    REQUIRE(by_serial.has_value());
    CHECK(*by_serial == java_cert.key());
    const auto by_id = v.key_for("PUB_KEY_ID_0000000000000024101100397200000006");
    REQUIRE(by_id.has_value());
    CHECK(*by_id == load_public_key(files::doc_wechatpay_public_key));
    CHECK_FALSE(v.key_for("UNKNOWN").has_value());
}

TEST_CASE("preferred_serial without a public key is the newest certificate", "[verifier]") {
    const verifier v({load_certificate(files::java_wechatpay_cert), load_certificate(files::go_cert_f576),
                      platform().certificate()});
    CHECK(v.preferred_serial() == "D7CE59D1F522D701");
    CHECK(v.serials() == std::vector<std::string>{"D7CE59D1F522D701", "F5765756002FDD77",
                                                  "440024045C4A427599D09BB4E3DE0279F2E813FD"});
    CHECK_FALSE(v.wechatpay_key().has_value());
}

TEST_CASE("with_certificates replaces the certificates and keeps the public key", "[verifier]") {
    const auto original = platform().public_key_verifier();
    const auto renewed = original.with_certificates({platform().certificate()});
    CHECK(renewed.knows("D7CE59D1F522D701"));
    CHECK(renewed.knows(platform_public_key_id));
    CHECK_FALSE(original.knows("D7CE59D1F522D701"));
    CHECK(outcome(renewed.verify_at(signed_headers(), body, t0)) == "ok");

    const auto emptied = renewed.with_certificates({});
    CHECK_FALSE(emptied.knows("D7CE59D1F522D701"));
    CHECK(emptied.knows(platform_public_key_id));
    CHECK(renewed.knows("D7CE59D1F522D701"));
}

TEST_CASE("verify never throws, whatever the input", "[verifier]") {
    const auto v = platform().certificate_verifier();
    const std::string huge(1 << 20, 'A');
    signature_headers h;
    h.timestamp = huge;
    h.nonce = huge;
    h.signature = huge;
    h.serial = huge;
    CHECK_NOTHROW(v.verify_at(h, huge, t0));
    h.timestamp = std::to_string(t0);
    h.serial = std::string(platform_serial);
    CHECK_NOTHROW(v.verify_at(h, huge, t0));
    CHECK(errc_of(v.verify_at(h, huge, t0)) == errc::bad_signature);
}
