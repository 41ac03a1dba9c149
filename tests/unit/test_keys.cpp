// Keys and certificates: loading (PEM and files), the config errors, serials, validity, matching.
#include "checks.hpp"
#include "embedded_keys.hpp"
#include "temp_dir.hpp"
#include "vectors.hpp"

#include <wechatpay/crypto.hpp>
#include <wechatpay/keys.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

using wechatpay::certificate;
using wechatpay::errc;
using wechatpay::private_key;
using wechatpay::public_key;
using namespace wechatpay_test;

namespace {

// A CERTIFICATE block whose DER is cut short: PEM of the right type that does not parse.
std::string truncated_certificate() {
    const auto pem = read_vector(files::go_cert_d7ce);
    const auto lines = pem_body_lines(pem);
    return "-----BEGIN CERTIFICATE-----\n" + lines.at(0) + "\n" + lines.at(1) + "\n" + lines.at(2) +
           "\n-----END CERTIFICATE-----\n";
}

}  // namespace

TEST_CASE("every vector private key loads as a 2048-bit RSA key", "[keys]") {
    for (auto file : {files::doc_private_key, files::go_test_key, files::go_mch_key, files::java_merchant_key,
                      files::java_wechatpay_key, files::axios_key}) {
        CAPTURE(file);
        const auto key = UNWRAP(private_key::from_pem(read_vector(file)));
        CHECK(key.bits() == 2048);
        CHECK(key.public_part().bits() == 2048);
    }
}

TEST_CASE("from_file reads the same key and certificate as from_pem", "[keys]") {
    const auto from_file = UNWRAP(private_key::from_file(vector_path(files::java_merchant_key)));
    const auto from_pem = load_private_key(files::java_merchant_key);
    CHECK(UNWRAP(from_file.sign_sha256("message")) == UNWRAP(from_pem.sign_sha256("message")));

    const auto cert = UNWRAP(certificate::from_file(vector_path(files::java_merchant_cert)));
    CHECK(cert.serial() == "5F1C72E2A8931B72A2E13AF8DEE92471EB397115");

    const auto pub = UNWRAP(public_key::from_file(vector_path(files::java_wechatpay_public_key)));
    CHECK(pub == load_public_key(files::java_wechatpay_public_key));
}

TEST_CASE("sign_sha256 reproduces wechatpay-java's SHA256withRSA(\"message\")", "[keys][vectors]") {
    const auto vector = read_json_vector("sdk-tests/wechatpay-java/rsa_sign_message.json");
    const auto key = load_private_key(files::java_merchant_key);
    const auto signature = UNWRAP(key.sign_sha256(json_string(vector, "message")));
    CHECK(wechatpay::base64_encode(signature) == json_string(vector, "signature_b64"));
    CHECK(load_certificate(files::java_merchant_cert).key().verify_sha256("message", signature));
}

TEST_CASE("sign_sha256 reproduces wechatpay-go's SHA256withRSA(\"source\")", "[keys][vectors]") {
    const auto expected = read_vector("sdk-tests/wechatpay-go/sign_source_expected_signature.txt");
    const auto key = load_private_key(files::go_test_key);
    const auto signature = wechatpay::base64_encode(UNWRAP(key.sign_sha256("source")));
    CHECK(expected.find(signature) != std::string::npos);
    CHECK(signature.size() == 344);
}

TEST_CASE("verify_sha256 accepts the signed message only, and never throws", "[keys]") {
    const auto key = load_private_key(files::go_test_key);
    const auto pub = load_public_key(files::go_public_key);
    const auto signature = UNWRAP(key.sign_sha256("source"));
    CHECK(pub.verify_sha256("source", signature));
    CHECK_FALSE(pub.verify_sha256("sourcf", signature));
    CHECK_FALSE(pub.verify_sha256("source\n", signature));

    auto flipped = signature;
    flipped[100] = static_cast<char>(flipped[100] ^ 0x01);
    CHECK_FALSE(pub.verify_sha256("source", flipped));

    const auto other = UNWRAP(load_private_key(files::java_merchant_key).sign_sha256("source"));
    CHECK_FALSE(pub.verify_sha256("source", other));

    for (const std::string& garbage :
         {std::string(), std::string(1, 'x'), std::string(255, 'x'), std::string(256, '\0'),
          std::string(257, 'x'), signature + "x", signature.substr(1)}) {
        CAPTURE(garbage.size());
        CHECK_FALSE(pub.verify_sha256("source", garbage));
    }
}

TEST_CASE("PEM with CRLF line endings or text around the block loads", "[keys]") {
    const auto with_crlf = [](std::string_view text) {
        std::string out;
        for (char c : text) {
            if (c == '\n') out += '\r';
            out += c;
        }
        return out;
    };
    // `openssl pkcs12 -nodes` (apiclient_cert.p12 converted) writes "Bag Attributes" first.
    const auto with_preamble = [](std::string_view text) {
        return "Bag Attributes\n    localKeyID: 01 00 00 00\nKey Attributes: <No Attributes>\n" +
               std::string(text) + "\ntrailing text\n";
    };
    const auto key_pem = read_vector(files::java_merchant_key);
    const auto expected = UNWRAP(load_private_key(files::java_merchant_key).sign_sha256("message"));
    for (const auto& pem : {with_crlf(key_pem), with_preamble(key_pem)}) {
        CAPTURE(pem.substr(0, 40));
        CHECK(UNWRAP(UNWRAP(private_key::from_pem(pem)).sign_sha256("message")) == expected);
    }
    const auto cert_pem = read_vector(files::java_merchant_cert);
    for (const auto& pem : {with_crlf(cert_pem), with_preamble(cert_pem)})
        CHECK(UNWRAP(certificate::from_pem(pem)).serial() == "5F1C72E2A8931B72A2E13AF8DEE92471EB397115");
}

TEST_CASE("public key files equal their certificates' keys and their private keys' public parts",
          "[keys][vectors]") {
    // wechatpay-go: one key pair behind two certificates and a public-key file.
    const auto go_pub = load_public_key(files::go_public_key);
    CHECK(go_pub == load_certificate(files::go_cert_f576).key());
    CHECK(go_pub == load_certificate(files::go_cert_d7ce).key());
    CHECK(go_pub == load_private_key(files::go_test_key).public_part());
    CHECK_FALSE(go_pub == load_private_key(files::go_mch_key).public_part());

    // wechatpay-java: the WeChat Pay public key is the platform certificate's key.
    const auto java_pub = load_public_key(files::java_wechatpay_public_key);
    CHECK(java_pub == load_certificate(files::java_wechatpay_cert).key());
    CHECK(java_pub == load_private_key(files::java_wechatpay_key).public_part());
    CHECK_FALSE(java_pub == load_certificate(files::java_merchant_cert).key());
    CHECK_FALSE(java_pub == go_pub);

    CHECK(load_public_key(files::doc_wechatpay_public_key).bits() == 2048);
}

TEST_CASE("public_key::pem and certificate::pem round-trip", "[keys]") {
    const auto pub = load_public_key(files::go_public_key);
    const auto pem = pub.pem();
    CHECK(pem.find("-----BEGIN PUBLIC KEY-----") != std::string::npos);
    CHECK(UNWRAP(public_key::from_pem(pem)) == pub);

    const auto cert = load_certificate(files::go_cert_d7ce);
    const auto again = UNWRAP(certificate::from_pem(cert.pem()));
    CHECK(again.serial() == cert.serial());
    CHECK(again.key() == cert.key());
    CHECK(normalise_text(cert.pem()) == normalise_text(read_vector(files::go_cert_d7ce)));
}

TEST_CASE("certificate serials are upper-case hex, as openssl x509 -serial prints them", "[keys][vectors]") {
    struct row {
        std::string_view file, serial;
    };
    const row rows[] = {
        {files::go_cert_f576, "F5765756002FDD77"},
        {files::go_cert_d7ce, "D7CE59D1F522D701"},
        {files::java_merchant_cert, "5F1C72E2A8931B72A2E13AF8DEE92471EB397115"},
        {files::java_wechatpay_cert, "440024045C4A427599D09BB4E3DE0279F2E813FD"},
        {files::java_download_plaintext, "5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC"},
        {files::axios_client_cert, "898DBAD30F416EC7"},
        {files::axios_server_cert, "BE2A2344B984167B"},
    };
    for (const auto& r : rows) {
        CAPTURE(r.file);
        CHECK(load_certificate(r.file).serial() == r.serial);
    }
}

TEST_CASE("certificate validity periods are read exactly", "[keys][vectors]") {
    const auto d7ce = load_certificate(files::go_cert_d7ce);
    CHECK(unix_seconds_of(d7ce.not_before()) == unix_time(2021, 4, 27, 8, 55, 23));
    CHECK(unix_seconds_of(d7ce.not_after()) == unix_time(2031, 4, 25, 8, 55, 23));
    CHECK(d7ce.valid_at(time_point_of(unix_time(2021, 4, 27, 8, 55, 23))));
    CHECK_FALSE(d7ce.valid_at(time_point_of(unix_time(2021, 4, 27, 8, 55, 22))));
    CHECK(d7ce.valid_at(time_point_of(unix_time(2031, 4, 25, 8, 55, 23))));
    CHECK_FALSE(d7ce.valid_at(time_point_of(unix_time(2031, 4, 25, 8, 55, 24))));
    CHECK(d7ce.valid_at(std::chrono::system_clock::now()));

    // wechatpay-java's platform certificate: 2022-05-10 .. 2025-05-09, expired now.
    const auto expired = load_certificate(files::java_wechatpay_cert);
    CHECK(unix_seconds_of(expired.not_before()) == unix_time(2022, 5, 10, 2, 4, 30));
    CHECK(unix_seconds_of(expired.not_after()) == unix_time(2025, 5, 9, 2, 4, 30));
    CHECK(expired.valid_at(time_point_of(unix_time(2024, 1, 1))));
    CHECK_FALSE(expired.valid_at(std::chrono::system_clock::now()));
}

TEST_CASE("a certificate valid until 2294 (past time_point's range) is valid now", "[keys]") {
    // fixtures_apiclient_cert.pem: notBefore 2020-06-21, notAfter 2294-04-05.
    const auto cert = load_certificate(files::axios_client_cert);
    CHECK(unix_seconds_of(cert.not_before()) == unix_time(2020, 6, 21, 2, 2, 18));
    CHECK(unix_seconds_of(cert.not_after()) > unix_seconds_of(cert.not_before()));
    CHECK(unix_seconds_of(cert.not_after()) > unix_time(2262, 1, 1));
    CHECK(cert.valid_at(std::chrono::system_clock::now()));
}

TEST_CASE("certificate::matches pairs a certificate with its private key only", "[keys][vectors]") {
    const auto go_key = load_private_key(files::go_test_key);
    const auto go_mch_key = load_private_key(files::go_mch_key);
    CHECK(load_certificate(files::go_cert_d7ce).matches(go_key));
    CHECK(load_certificate(files::go_cert_f576).matches(go_key));
    CHECK_FALSE(load_certificate(files::go_cert_d7ce).matches(go_mch_key));

    const auto merchant_key = load_private_key(files::java_merchant_key);
    const auto merchant_cert = load_certificate(files::java_merchant_cert);
    CHECK(merchant_cert.matches(merchant_key));
    CHECK_FALSE(merchant_cert.matches(load_private_key(files::java_wechatpay_key)));
    CHECK(load_certificate(files::java_wechatpay_cert).matches(load_private_key(files::java_wechatpay_key)));

    const auto axios_key = load_private_key(files::axios_key);
    CHECK(load_certificate(files::axios_client_cert).matches(axios_key));
    CHECK(load_certificate(files::axios_server_cert).matches(axios_key));
    CHECK_FALSE(load_certificate(files::axios_client_cert).matches(go_key));
}

TEST_CASE("not_pem: input that is not PEM of the expected type", "[keys][errors]") {
    const auto cert_pem = read_vector(files::go_cert_d7ce);
    const auto key_pem = read_vector(files::go_test_key);
    const auto public_pem = read_vector(files::go_public_key);
    const std::string garbage = "this is not a key";

    SECTION("private_key") {
        for (const auto& input : {std::string(), garbage, cert_pem, public_pem}) {
            CAPTURE(input);
            CHECK(errc_of(private_key::from_pem(input)) == errc::not_pem);
        }
    }
    SECTION("public_key") {
        for (const auto& input : {std::string(), garbage, cert_pem, key_pem}) {
            CAPTURE(input);
            CHECK(errc_of(public_key::from_pem(input)) == errc::not_pem);
        }
    }
    SECTION("certificate") {
        for (const auto& input : {std::string(), garbage, key_pem, public_pem}) {
            CAPTURE(input);
            CHECK(errc_of(certificate::from_pem(input)) == errc::not_pem);
        }
    }
}

TEST_CASE("encrypted_key: a password-protected private key", "[keys][errors]") {
    for (auto pem : {embedded::encrypted_pkcs8, embedded::encrypted_pkcs1}) {
        CAPTURE(pem.substr(0, 40));
        const auto r = private_key::from_pem(pem);
        REQUIRE(errc_of(r) == errc::encrypted_key);
        CHECK(r.error().kind() == wechatpay::error_kind::config);
    }
}

TEST_CASE("not_rsa: EC and Ed25519 keys", "[keys][errors]") {
    for (auto pem : {embedded::ec_p256_sec1, embedded::ec_p256_pkcs8, embedded::ed25519_pkcs8}) {
        CAPTURE(pem.substr(0, 40));
        CHECK(errc_of(private_key::from_pem(pem)) == errc::not_rsa);
    }
    CHECK(errc_of(public_key::from_pem(embedded::ec_p256_public)) == errc::not_rsa);
}

TEST_CASE("key_too_small: a 1024-bit RSA key in PKCS#8 and PKCS#1 form", "[keys][errors]") {
    for (auto pem : {embedded::rsa1024_pkcs8, embedded::rsa1024_pkcs1}) {
        CAPTURE(pem.substr(0, 40));
        const auto r = private_key::from_pem(pem);
        REQUIRE(errc_of(r) == errc::key_too_small);
        CHECK(r.error().kind() == wechatpay::error_kind::config);
    }
}

TEST_CASE("invalid_certificate: a CERTIFICATE block that does not parse", "[keys][errors]") {
    CHECK(errc_of(certificate::from_pem(truncated_certificate())) == errc::invalid_certificate);
    CHECK(errc_of(
              certificate::from_pem("-----BEGIN CERTIFICATE-----\nAAAAAAAA\n-----END CERTIFICATE-----\n")) ==
          errc::invalid_certificate);
}

TEST_CASE("file_unreadable: a missing file or a directory", "[keys][errors]") {
    const temp_dir dir;
    for (const auto& path : {dir / "missing.pem", dir.path()}) {
        CAPTURE(path);
        const auto r = private_key::from_file(path);
        REQUIRE(errc_of(r) == errc::file_unreadable);
        CHECK(r.error().kind() == wechatpay::error_kind::config);
        CHECK(errc_of(public_key::from_file(path)) == errc::file_unreadable);
        CHECK(errc_of(certificate::from_file(path)) == errc::file_unreadable);
    }
    // A readable file with the wrong content is a content error, not an unreadable file.
    const auto garbage = dir.write("garbage.pem", "garbage");
    CHECK(errc_of(private_key::from_file(garbage)) == errc::not_pem);
}

TEST_CASE("private_key::to_string and key errors never show key material", "[keys][secrets]") {
    const auto pem = read_vector(files::java_merchant_key);
    const auto key = UNWRAP(private_key::from_pem(pem));
    CHECK(key.to_string() == "private_key(RSA-2048, redacted)");
    CHECK_FALSE(contains_pem_text(key.to_string(), pem));

    for (auto refused : {embedded::rsa1024_pkcs8, embedded::encrypted_pkcs8, embedded::ec_p256_sec1}) {
        const auto r = private_key::from_pem(refused);
        REQUIRE_FALSE(r);
        CHECK_FALSE(contains_pem_text(r.error().to_string(), refused));
        CHECK_FALSE(contains_pem_text(r.error().detail, refused));
    }
}
