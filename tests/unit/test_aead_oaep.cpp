// AEAD_AES_256_GCM with the APIv3 key, the raw AES-GCM API, and RSA-OAEP for sensitive fields.
#include "checks.hpp"
#include "vectors.hpp"

#include <wechatpay/crypto.hpp>
#include <wechatpay/keys.hpp>

#include <string>
#include <string_view>

using wechatpay::apiv3_key;
using wechatpay::errc;
using namespace wechatpay_test;

namespace {

apiv3_key make_key(std::string_view bytes) {
    return UNWRAP(apiv3_key::from(bytes));
}

// The base64 text of `ciphertext_b64` after `edit` changed its decoded bytes.
template <class Edit>
std::string edit_decoded(std::string_view ciphertext_b64, Edit edit) {
    auto bytes = UNWRAP(wechatpay::base64_decode(ciphertext_b64));
    edit(bytes);
    return wechatpay::base64_encode(bytes);
}

// wechatpay-java AeadAesCipherTest: API_V3_KEY, "message" <-> ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=.
struct java_aead_vector {
    boost::json::object json = read_json_vector("sdk-tests/wechatpay-java/aes_gcm_message.json");
    apiv3_key key = make_key(json_string(json, "key_raw"));
    std::string nonce = json_string(json, "nonce");
    std::string aad = json_string(json, "associated_data");
    std::string ciphertext = json_string(json, "ciphertext_b64");
    std::string plaintext = json_string(json, "plaintext");
};

}  // namespace

TEST_CASE("apiv3_key::from takes exactly 32 bytes", "[aead]") {
    const auto key = make_key(test_apiv3_key);
    CHECK(key.bytes() == test_apiv3_key);
    CHECK(key.to_string() == "apiv3_key(redacted)");

    for (std::size_t n : {0u, 1u, 16u, 24u, 31u, 33u, 64u}) {
        CAPTURE(n);
        const std::string candidate(n, 'k');
        const auto r = apiv3_key::from(candidate);
        REQUIRE(errc_of(r) == errc::invalid_apiv3_key);
        CHECK(r.error().kind() == wechatpay::error_kind::config);
    }
}

TEST_CASE("a refused APIv3 key does not appear in the error", "[aead][secrets]") {
    const std::string almost = "S3cr3tApiV3KeyThatIs31BytesLong";
    REQUIRE(almost.size() == 31);
    const auto r = apiv3_key::from(almost);
    REQUIRE_FALSE(r);
    CHECK(r.error().to_string().find("S3cr3t") == std::string::npos);
    CHECK(r.error().detail.find("S3cr3t") == std::string::npos);
}

TEST_CASE("wechatpay-java AEAD vector: encrypts and decrypts exactly", "[aead][vectors]") {
    const java_aead_vector v;
    CHECK(UNWRAP(wechatpay::aead_decrypt(v.key, v.nonce, v.aad, v.ciphertext)) == v.plaintext);
    CHECK(UNWRAP(wechatpay::aead_encrypt(v.key, v.nonce, v.aad, v.plaintext)) == v.ciphertext);
}

TEST_CASE("decrypt_failed: wrong AAD, nonce or key, tampered or cut ciphertext", "[aead][errors]") {
    const java_aead_vector v;
    const auto decrypt = [&](const apiv3_key& key, std::string_view nonce, std::string_view aad,
                             std::string_view ciphertext) {
        return errc_of(wechatpay::aead_decrypt(key, nonce, aad, ciphertext));
    };
    CHECK(decrypt(v.key, v.nonce, "associatedDatb", v.ciphertext) == errc::decrypt_failed);
    CHECK(decrypt(v.key, v.nonce, "", v.ciphertext) == errc::decrypt_failed);
    CHECK(decrypt(v.key, "uluk4a9R25RX", v.aad, v.ciphertext) == errc::decrypt_failed);
    CHECK(decrypt(make_key(test_apiv3_key), v.nonce, v.aad, v.ciphertext) == errc::decrypt_failed);

    const auto flip_first = edit_decoded(v.ciphertext, [](std::string& b) { b[0] ^= 0x01; });
    CHECK(decrypt(v.key, v.nonce, v.aad, flip_first) == errc::decrypt_failed);
    const auto flip_tag = edit_decoded(v.ciphertext, [](std::string& b) { b.back() ^= 0x80; });
    CHECK(decrypt(v.key, v.nonce, v.aad, flip_tag) == errc::decrypt_failed);
    const auto cut_tag = edit_decoded(v.ciphertext, [](std::string& b) { b.resize(b.size() - 4); });
    CHECK(decrypt(v.key, v.nonce, v.aad, cut_tag) == errc::decrypt_failed);
    const auto just_the_tag = edit_decoded(v.ciphertext, [](std::string& b) { b.erase(0, b.size() - 16); });
    CHECK(decrypt(v.key, v.nonce, v.aad, just_the_tag) == errc::decrypt_failed);
    const auto extra_byte = edit_decoded(v.ciphertext, [](std::string& b) { b += '\0'; });
    CHECK(decrypt(v.key, v.nonce, v.aad, extra_byte) == errc::decrypt_failed);
}

TEST_CASE("invalid_argument: AES-GCM lengths the cipher cannot take, before OpenSSL sees them",
          "[aead][errors]") {
    const java_aead_vector v;
    const auto key = v.key.bytes();
    auto refused = [](const wechatpay::result<std::string>& r, std::string_view says) {
        INFO((r ? std::string("accepted") : r.error().to_string()));
        return errc_of(r) == errc::invalid_argument && r.error().detail.find(says) != std::string::npos;
    };
    // The raw API takes what OpenSSL takes: 1 to 128 bytes of IV (129 was crypto_failure).
    for (std::size_t n : {std::size_t{0}, std::size_t{129}, std::size_t{4096}}) {
        CAPTURE(n);
        const std::string iv(n, 'n');
        CHECK(refused(wechatpay::aes_gcm_encrypt(key, iv, v.aad, "x"), "nonce must be 1 to 128 bytes"));
        CHECK(refused(wechatpay::aes_gcm_decrypt(key, iv, v.aad, v.ciphertext), "nonce must be 1 to 128 bytes"));
    }
    for (std::size_t n : {std::size_t{1}, std::size_t{128}}) {
        const std::string iv(n, 'n');
        const auto sealed = UNWRAP(wechatpay::aes_gcm_encrypt(key, iv, v.aad, "x"));
        CHECK(UNWRAP(wechatpay::aes_gcm_decrypt(key, iv, v.aad, sealed)) == "x");
    }
    // API v3's framing: WeChat's nonce is 12 characters, nothing else.
    for (std::string_view nonce : {"", "fdasflkja48", "fdasflkja4845", "0123456789abcdef"}) {
        CAPTURE(nonce);
        CHECK(refused(wechatpay::aead_decrypt(v.key, nonce, v.aad, v.ciphertext), "nonce must be 12 characters"));
        CHECK(refused(wechatpay::aead_encrypt(v.key, nonce, v.aad, "x"), "nonce must be 12 characters"));
    }
    // A ciphertext shorter than the 16-byte tag is no sealed message at all.
    const auto cut_into_tag = edit_decoded(v.ciphertext, [](std::string& b) { b.resize(15); });
    for (std::string_view short_one : {std::string_view(cut_into_tag), std::string_view()}) {
        CHECK(refused(wechatpay::aead_decrypt(v.key, v.nonce, v.aad, short_one), "at least the 16-byte tag"));
        CHECK(refused(wechatpay::aes_gcm_decrypt(key, v.nonce, v.aad, short_one), "at least the 16-byte tag"));
    }
}

TEST_CASE("malformed_base64: an AEAD ciphertext that is not base64", "[aead][errors]") {
    const java_aead_vector v;
    for (std::string_view bad :
         {"not base64!", "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI", " ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI="}) {
        CAPTURE(bad);
        const auto r = wechatpay::aead_decrypt(v.key, v.nonce, v.aad, bad);
        REQUIRE(errc_of(r) == errc::malformed_base64);
        CHECK(r.error().kind() == wechatpay::error_kind::protocol);
    }
}

TEST_CASE("a decryption error does not show the APIv3 key", "[aead][secrets]") {
    const java_aead_vector v;
    const auto wrong = make_key(test_apiv3_key);
    const auto r = wechatpay::aead_decrypt(wrong, v.nonce, v.aad, v.ciphertext);
    REQUIRE_FALSE(r);
    CHECK(r.error().to_string().find(test_apiv3_key) == std::string::npos);
    CHECK(r.error().kind() == wechatpay::error_kind::security);
}

TEST_CASE("AEAD round-trips empty, short, UTF-8 and large plaintexts", "[aead]") {
    const auto key = make_key(test_apiv3_key);
    const std::string large(200 * 1024, 'x');
    for (const std::string& plaintext :
         {std::string(), std::string("a"), std::string(R"({"payer":{"openid":"张三"}})"), large}) {
        CAPTURE(plaintext.size());
        const auto ciphertext =
            UNWRAP(wechatpay::aead_encrypt(key, "fdasflkja484", "transaction", plaintext));
        CHECK(UNWRAP(wechatpay::base64_decode(ciphertext)).size() == plaintext.size() + 16);
        CHECK(UNWRAP(wechatpay::aead_decrypt(key, "fdasflkja484", "transaction", ciphertext)) == plaintext);
    }
    // Empty associated data is allowed (reference §5).
    const auto no_aad = UNWRAP(wechatpay::aead_encrypt(key, "fdasflkja484", "", "data"));
    CHECK(UNWRAP(wechatpay::aead_decrypt(key, "fdasflkja484", "", no_aad)) == "data");
}

TEST_CASE("aes_gcm with a 32-byte key is aead with the same key", "[aead]") {
    const java_aead_vector v;
    CHECK(UNWRAP(wechatpay::aes_gcm_encrypt(v.key.bytes(), v.nonce, v.aad, v.plaintext)) == v.ciphertext);
    CHECK(UNWRAP(wechatpay::aes_gcm_decrypt(v.key.bytes(), v.nonce, v.aad, v.ciphertext)) == v.plaintext);
}

TEST_CASE("wechatpay-go aes_gcm_hello_world: AES-128-GCM through the raw API", "[aead][vectors]") {
    const auto v = read_json_vector("sdk-tests/wechatpay-go/aes_gcm_hello_world.json");
    const auto key = json_string(v, "key");
    const auto nonce = json_string(v, "nonce");
    const auto aad = json_string(v, "associated_data");
    const auto ciphertext = json_string(v, "ciphertext_b64");
    REQUIRE(key.size() == 16);

    CHECK(UNWRAP(wechatpay::aes_gcm_decrypt(key, nonce, aad, ciphertext)) == json_string(v, "plaintext"));
    CHECK(UNWRAP(wechatpay::aes_gcm_encrypt(key, nonce, aad, json_string(v, "plaintext"))) == ciphertext);

    // The negative cases of wechatpay-go's test.
    CHECK(errc_of(wechatpay::aes_gcm_decrypt("testAPIv3Key1111", nonce, aad, ciphertext)) ==
          errc::decrypt_failed);
    CHECK(errc_of(wechatpay::aes_gcm_decrypt(key, nonce, aad, "not base64!")) == errc::malformed_base64);
    CHECK_FALSE(wechatpay::aes_gcm_decrypt("testAPIv3Key0", nonce, aad, ciphertext));  // 13 bytes

    // API v3 itself only takes 32-byte keys.
    CHECK(errc_of(apiv3_key::from(key)) == errc::invalid_apiv3_key);
}

TEST_CASE("aes_gcm round-trips with 16, 24 and 32-byte keys", "[aead]") {
    for (std::string_view key :
         {"0123456789abcdef", "0123456789abcdef01234567", "0123456789abcdef0123456789abcdef"}) {
        CAPTURE(key.size());
        const auto ciphertext = UNWRAP(wechatpay::aes_gcm_encrypt(key, "123456789012", "aad", "hello"));
        CHECK(UNWRAP(wechatpay::aes_gcm_decrypt(key, "123456789012", "aad", ciphertext)) == "hello");
    }
    const auto c16 = UNWRAP(wechatpay::aes_gcm_encrypt("0123456789abcdef", "123456789012", "", "x"));
    const auto c32 =
        UNWRAP(wechatpay::aes_gcm_encrypt("0123456789abcdef0123456789abcdef", "123456789012", "", "x"));
    CHECK(c16 != c32);
}

TEST_CASE("wechatpay-axios-plugin vectors: AES-256-GCM with a 16-byte IV both ways", "[aead][vectors]") {
    const auto v = read_json_vector("sdk-tests/wechatpay-axios-plugin/aes_gcm_16byte_iv.json");
    const auto key = json_string(v, "key");
    const auto iv = json_string(v, "iv");
    REQUIRE(iv.size() == 16);
    for (const auto& item : v.at("cases").as_array()) {
        const auto& c = item.as_object();
        const auto plaintext = json_string(c, "plaintext");
        const auto aad = json_string(c, "aad");
        const auto ciphertext = json_string(c, "ciphertext_b64");
        CAPTURE(plaintext, aad);
        CHECK(UNWRAP(wechatpay::aes_gcm_encrypt(key, iv, aad, plaintext)) == ciphertext);
        CHECK(UNWRAP(wechatpay::aes_gcm_decrypt(key, iv, aad, ciphertext)) == plaintext);
        CHECK(errc_of(wechatpay::aes_gcm_decrypt(key, iv.substr(0, 12), aad, ciphertext)) ==
              errc::decrypt_failed);
    }
}

TEST_CASE("wechatpay-go certificates_response.json decrypts to cert D7CE59D1F522D701", "[aead][vectors]") {
    const auto v = read_json_vector("sdk-tests/wechatpay-go/certificates_response.json");
    const auto body = boost::json::parse(json_string(v, "response_body")).as_object();
    const auto& entry = body.at("data").as_array().at(0).as_object();
    const auto& encrypted = entry.at("encrypt_certificate").as_object();
    CHECK(json_string(encrypted, "algorithm") == "AEAD_AES_256_GCM");

    const auto pem = UNWRAP(wechatpay::aes_gcm_decrypt(
        json_string(v, "apiv3_key"), json_string(encrypted, "nonce"),
        json_string(encrypted, "associated_data"), json_string(encrypted, "ciphertext")));
    const auto expected_file = "sdk-tests/wechatpay-go/" + json_string(v, "expected_plaintext_file");
    CHECK(normalise_text(pem) == normalise_text(read_vector(expected_file)));

    const auto cert = UNWRAP(wechatpay::certificate::from_pem(pem));
    CHECK(cert.serial() == json_string(entry, "serial_no"));
    CHECK(cert.serial() == "D7CE59D1F522D701");
    CHECK(cert.pem() == load_certificate(expected_file).pem());
}

TEST_CASE("wechatpay-java download_certificate_response.json decrypts with API_V3_KEY", "[aead][vectors]") {
    const auto config = read_json_vector("sdk-tests/wechatpay-java/test_config.json");
    const auto key = make_key(json_string(config, "API_V3_KEY"));
    const auto body = read_json_vector("sdk-tests/wechatpay-java/download_certificate_response.json");
    const auto& entry = body.at("data").as_array().at(0).as_object();
    const auto& encrypted = entry.at("encrypt_certificate").as_object();

    const auto pem = UNWRAP(wechatpay::aead_decrypt(key, json_string(encrypted, "nonce"),
                                                    json_string(encrypted, "associated_data"),
                                                    json_string(encrypted, "ciphertext")));
    CHECK(normalise_text(pem) == normalise_text(read_vector(files::java_download_plaintext)));
    const auto cert = UNWRAP(wechatpay::certificate::from_pem(pem));
    CHECK(cert.serial() == "5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC");
    CHECK(cert.serial() == json_string(entry, "serial_no"));
    CHECK(cert.serial() == json_string(config, "DOWNLOAD_CERTIFICATE_SERIAL_NUMBER"));
}

TEST_CASE("wechatpay-go rsa_oaep_decrypt: OAEP-SHA1 ciphertext decrypts to \"hello world\"",
          "[oaep][vectors]") {
    const auto v = read_json_vector("sdk-tests/wechatpay-go/rsa_oaep_decrypt.json");
    const auto key = load_private_key("sdk-tests/wechatpay-go/" + json_string(v, "private_key_file"));
    CHECK(UNWRAP(wechatpay::oaep_decrypt(key, json_string(v, "ciphertext_b64"))) ==
          json_string(v, "plaintext"));
}

TEST_CASE("wechatpay-java rsa_decrypt: the OAEP case decrypts, the PKCS#1 v1.5 case is refused",
          "[oaep][vectors]") {
    const auto v = read_json_vector("sdk-tests/wechatpay-java/rsa_decrypt.json");
    const auto key = load_private_key(files::java_merchant_key);
    const auto& oaep = v.at("oaep_sha1").as_object();
    CHECK(UNWRAP(wechatpay::oaep_decrypt(key, json_string(oaep, "ciphertext_b64"))) ==
          json_string(oaep, "plaintext"));
    const auto& pkcs1 = v.at("pkcs1v15").as_object();
    CHECK(errc_of(wechatpay::oaep_decrypt(key, json_string(pkcs1, "ciphertext_b64"))) ==
          errc::decrypt_failed);
}

TEST_CASE("OAEP round-trips up to 214 bytes with a 2048-bit key and is randomised", "[oaep]") {
    const auto key = load_private_key(files::java_wechatpay_key);
    const auto pub = load_certificate(files::java_wechatpay_cert).key();
    for (const std::string& plaintext :
         {std::string("张三"), std::string("13800138000"), std::string(214, 'p')}) {
        CAPTURE(plaintext.size());
        const auto ciphertext = UNWRAP(wechatpay::oaep_encrypt(pub, plaintext));
        CHECK(UNWRAP(wechatpay::base64_decode(ciphertext)).size() == 256);
        CHECK(UNWRAP(wechatpay::oaep_decrypt(key, ciphertext)) == plaintext);
    }
    CHECK(UNWRAP(wechatpay::oaep_encrypt(pub, "x")) != UNWRAP(wechatpay::oaep_encrypt(pub, "x")));
    // 2048 bits leave 256 - 2*20 - 2 = 214 bytes for the message.
    CHECK_FALSE(wechatpay::oaep_encrypt(pub, std::string(215, 'p')));
}

TEST_CASE("OAEP errors: wrong key, tampered or cut ciphertext, bad base64", "[oaep][errors]") {
    const auto key = load_private_key(files::java_wechatpay_key);
    const auto pub = load_certificate(files::java_wechatpay_cert).key();
    const auto ciphertext = UNWRAP(wechatpay::oaep_encrypt(pub, "13800138000"));

    const auto other = load_private_key(files::java_merchant_key);
    const auto r = wechatpay::oaep_decrypt(other, ciphertext);
    REQUIRE(errc_of(r) == errc::decrypt_failed);
    CHECK(r.error().kind() == wechatpay::error_kind::security);
    CHECK_FALSE(contains_pem_text(r.error().to_string(), read_vector(files::java_merchant_key)));

    const auto tampered = edit_decoded(ciphertext, [](std::string& b) { b[128] ^= 0x01; });
    CHECK(errc_of(wechatpay::oaep_decrypt(key, tampered)) == errc::decrypt_failed);
    const auto cut = edit_decoded(ciphertext, [](std::string& b) { b.resize(255); });
    CHECK(errc_of(wechatpay::oaep_decrypt(key, cut)) == errc::decrypt_failed);
    CHECK(errc_of(wechatpay::oaep_decrypt(key, "")) == errc::decrypt_failed);
    CHECK(errc_of(wechatpay::oaep_decrypt(key, "@@@@")) == errc::malformed_base64);
}
