// The openssl command line as an independent oracle: signatures, OAEP, serials, validity dates
// and key formats must agree with what OpenSSL's own tool produces and accepts.
#include "checks.hpp"
#include "temp_dir.hpp"
#include "vectors.hpp"

#include <wechatpay/crypto.hpp>
#include <wechatpay/keys.hpp>
#include <wechatpay/signer.hpp>
#include <wechatpay/verifier.hpp>

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <vector>

using wechatpay::certificate;
using wechatpay::errc;
using wechatpay::private_key;
using wechatpay::public_key;
using namespace wechatpay_test;

namespace {

struct command_result {
    int status = -1;
    std::string output;  // stdout and stderr
};

command_result run(const std::string& command) {
    command_result r;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (!pipe) return r;
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) r.output.append(buffer, n);
    r.status = ::pclose(pipe);
    return r;
}

// Runs an openssl command; the test stops (showing the command and its output) if it fails.
std::string openssl(const std::string& arguments) {
    const auto r = run("openssl " + arguments);
    INFO("openssl " << arguments << "\n" << r.output);
    REQUIRE(r.status == 0);
    return r.output;
}

std::string quoted(const std::filesystem::path& p) {
    return "'" + p.string() + "'";
}

// "serial=0123…\n" → "0123…"
std::string value_after(std::string_view output, std::string_view prefix) {
    const auto at = output.find(prefix);
    if (at == std::string_view::npos) return {};
    auto value = output.substr(at + prefix.size());
    return std::string(value.substr(0, value.find('\n')));
}

// "2021-04-27 08:55:23Z" (openssl x509 -dateopt iso_8601) → Unix seconds.
std::int64_t iso_date_seconds(const std::string& text) {
    REQUIRE(text.size() >= 19);
    return unix_time(std::stoi(text.substr(0, 4)), static_cast<unsigned>(std::stoi(text.substr(5, 2))),
                     static_cast<unsigned>(std::stoi(text.substr(8, 2))), std::stoi(text.substr(11, 2)),
                     std::stoi(text.substr(14, 2)), std::stoi(text.substr(17, 2)));
}

// Messages of many lengths (empty, around SHA-256 block edges, multi-KB), random bytes
// including NUL and 0xFF, plus UTF-8 text and a real request message.
std::vector<std::string> sample_messages() {
    std::mt19937 gen(20240805);
    std::uniform_int_distribution<int> byte(0, 255);
    std::vector<std::string> messages;
    for (std::size_t n : {0u, 1u, 2u, 3u, 55u, 56u, 63u, 64u, 65u, 119u, 1000u, 4096u, 65537u}) {
        std::string m(n, '\0');
        for (auto& c : m) c = static_cast<char>(byte(gen));
        messages.push_back(std::move(m));
    }
    messages.emplace_back("商户号 1900007291 — ünïcödé ✓ 😀\n");
    messages.push_back(wechatpay::request_message("POST", "/v3/pay/transactions/jsapi", 1554208460,
                                                  "593BEC0C930BF1AFEB40B4A08C8FB242",
                                                  R"({"description":"Image形象店-深圳腾大-QQ公仔"})"));
    return messages;
}

}  // namespace

TEST_CASE("openssl dgst verifies our signatures and makes byte-identical ones", "[oracle]") {
    const temp_dir dir;
    const auto key_file = vector_path(files::java_merchant_key);
    const auto cert = load_certificate(files::java_merchant_cert);
    const auto pub_file = dir.write(
        "pub.pem", openssl("x509 -noout -pubkey -in " + quoted(vector_path(files::java_merchant_cert))));
    const auto s =
        UNWRAP(wechatpay::signer::create("1234567891", load_private_key(files::java_merchant_key), cert));

    int index = 0;
    for (const auto& message : sample_messages()) {
        CAPTURE(index, message.size());
        const auto msg_file = dir.write("msg" + std::to_string(index) + ".bin", message);
        const auto ours = UNWRAP(wechatpay::base64_decode(UNWRAP(s.sign(message))));
        const auto sig_file = dir.write("sig" + std::to_string(index) + ".bin", ours);

        const auto verified = openssl("dgst -sha256 -verify " + quoted(pub_file) + " -signature " +
                                      quoted(sig_file) + " " + quoted(msg_file));
        CHECK(verified.find("Verified OK") != std::string::npos);

        const auto theirs_file = dir / ("theirs" + std::to_string(index) + ".bin");
        openssl("dgst -sha256 -sign " + quoted(key_file) + " -out " + quoted(theirs_file) + " " +
                quoted(msg_file));
        const auto theirs = read_file(theirs_file);
        CHECK(theirs == ours);
        CHECK(cert.key().verify_sha256(message, theirs));
        ++index;
    }
}

TEST_CASE("our verifier accepts an answer signed by openssl dgst", "[oracle]") {
    const temp_dir dir;
    const std::string body = R"({"prepay_id":"wx26112221580621e9b071c00d9e093b0000"})";
    const auto message = wechatpay::answer_message("1700000000", "openssl-nonce", body);
    const auto msg_file = dir.write("answer.bin", message);
    const auto sig_file = dir / "answer.sig";
    openssl("dgst -sha256 -sign " + quoted(vector_path(files::go_test_key)) + " -out " + quoted(sig_file) +
            " " + quoted(msg_file));

    wechatpay::signature_headers h;
    h.timestamp = "1700000000";
    h.nonce = "openssl-nonce";
    h.signature = wechatpay::base64_encode(read_file(sig_file));
    h.serial = "D7CE59D1F522D701";
    const wechatpay::verifier v({load_certificate(files::go_cert_d7ce)});
    CHECK(outcome(v.verify_at(h, body, 1700000000)) == "ok");
    CHECK(errc_of(v.verify_at(h, body + " ", 1700000000)) == errc::bad_signature);
}

TEST_CASE("OAEP-SHA1 interoperates with openssl pkeyutl in both directions", "[oracle][oaep]") {
    const temp_dir dir;
    const auto key_file = vector_path(files::java_wechatpay_key);
    const auto pub_file = vector_path(files::java_wechatpay_public_key);
    const auto key = load_private_key(files::java_wechatpay_key);
    const auto pub = load_public_key(files::java_wechatpay_public_key);
    const std::string oaep_sha1 =
        " -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha1 -pkeyopt rsa_mgf1_md:sha1";

    std::mt19937 gen(7);
    std::uniform_int_distribution<int> byte(0, 255);
    std::string random_bytes(214, '\0');
    for (auto& c : random_bytes) c = static_cast<char>(byte(gen));

    int index = 0;
    for (const std::string& plaintext :
         {std::string("x"), std::string("张三"), std::string("110101199003077777"), std::string(100, '\0'),
          random_bytes}) {
        CAPTURE(index, plaintext.size());
        const auto name = std::to_string(index++);
        const auto pt_file = dir.write("pt" + name, plaintext);

        // openssl encrypts, we decrypt.
        const auto theirs_file = dir / ("theirs" + name);
        openssl("pkeyutl -encrypt -pubin -inkey " + quoted(pub_file) + oaep_sha1 + " -in " + quoted(pt_file) +
                " -out " + quoted(theirs_file));
        CHECK(UNWRAP(wechatpay::oaep_decrypt(key, wechatpay::base64_encode(read_file(theirs_file)))) ==
              plaintext);

        // We encrypt, openssl decrypts.
        const auto ours = UNWRAP(wechatpay::base64_decode(UNWRAP(wechatpay::oaep_encrypt(pub, plaintext))));
        const auto ours_file = dir.write("ours" + name, ours);
        const auto back_file = dir / ("back" + name);
        openssl("pkeyutl -decrypt -inkey " + quoted(key_file) + oaep_sha1 + " -in " + quoted(ours_file) +
                " -out " + quoted(back_file));
        CHECK(read_file(back_file) == plaintext);
    }

    // OAEP with SHA-256 is a different scheme: refused.
    const auto pt_file = dir.write("pt-sha256", "hello");
    const auto sha256_file = dir / "sha256";
    openssl("pkeyutl -encrypt -pubin -inkey " + quoted(pub_file) +
            " -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -in " + quoted(pt_file) + " -out " +
            quoted(sha256_file));
    CHECK(errc_of(wechatpay::oaep_decrypt(key, wechatpay::base64_encode(read_file(sha256_file)))) ==
          errc::decrypt_failed);
}

TEST_CASE("certificate::serial equals openssl x509 -serial for long, short and leading-zero serials",
          "[oracle][keys]") {
    const temp_dir dir;
    const auto key_file = vector_path(files::doc_private_key);
    const auto key = load_private_key(files::doc_private_key);
    for (std::string_view serial :
         {"0x0123456789ABCDEF0123456789ABCDEF", "0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "0x80",
          "0xFF00", "0x00AB", "0x0100", "0x0A", "1", "0"}) {
        CAPTURE(serial);
        const auto cert_file = dir / "cert.pem";
        openssl("req -x509 -new -key " + quoted(key_file) + " -subj /CN=oracle -days 30 -set_serial " +
                std::string(serial) + " -out " + quoted(cert_file));
        const auto expected = value_after(openssl("x509 -noout -serial -in " + quoted(cert_file)), "serial=");
        const auto cert = UNWRAP(certificate::from_file(cert_file));
        CHECK(cert.serial() == expected);
        CHECK(cert.matches(key));
        CHECK(UNWRAP(wechatpay::signer::create("1", key, cert)).serial() == expected);
    }

    for (auto file :
         {files::go_cert_d7ce, files::go_cert_f576, files::java_merchant_cert, files::java_wechatpay_cert,
          files::java_download_plaintext, files::axios_client_cert, files::axios_server_cert}) {
        CAPTURE(file);
        const auto expected =
            value_after(openssl("x509 -noout -serial -in " + quoted(vector_path(file))), "serial=");
        CHECK(load_certificate(file).serial() == expected);
    }
}

TEST_CASE("certificate validity and key equal openssl x509's", "[oracle][keys]") {
    const temp_dir dir;
    for (auto file : {files::go_cert_d7ce, files::go_cert_f576, files::java_merchant_cert,
                      files::java_wechatpay_cert, files::java_download_plaintext, files::axios_server_cert}) {
        CAPTURE(file);
        const auto path = quoted(vector_path(file));
        const auto dates = openssl("x509 -noout -startdate -enddate -dateopt iso_8601 -in " + path);
        const auto cert = load_certificate(file);
        CHECK(unix_seconds_of(cert.not_before()) == iso_date_seconds(value_after(dates, "notBefore=")));
        CHECK(unix_seconds_of(cert.not_after()) == iso_date_seconds(value_after(dates, "notAfter=")));

        const auto pub_pem = openssl("x509 -noout -pubkey -in " + path);
        CHECK(cert.key() == UNWRAP(public_key::from_pem(pub_pem)));
    }
}

TEST_CASE("keys written by openssl load in PKCS#8 and PKCS#1 form, RSA PUBLIC KEY too", "[oracle][keys]") {
    const temp_dir dir;
    for (int bits : {2048, 3072}) {
        CAPTURE(bits);
        const auto pkcs8 = dir / ("key" + std::to_string(bits) + ".pem");
        openssl("genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:" + std::to_string(bits) + " -out " +
                quoted(pkcs8));
        const auto pkcs1_pem = openssl("pkey -traditional -in " + quoted(pkcs8));
        REQUIRE(pkcs1_pem.find("-----BEGIN RSA PRIVATE KEY-----") != std::string::npos);
        const auto rsa_public_pem = openssl("rsa -RSAPublicKey_out -in " + quoted(pkcs8));
        REQUIRE(rsa_public_pem.find("-----BEGIN RSA PUBLIC KEY-----") != std::string::npos);
        const auto spki_pem = openssl("pkey -pubout -in " + quoted(pkcs8));

        const auto from_pkcs8 = UNWRAP(private_key::from_file(pkcs8));
        const auto from_pkcs1 = UNWRAP(private_key::from_pem(pkcs1_pem));
        CHECK(from_pkcs8.bits() == static_cast<unsigned>(bits));
        CHECK(from_pkcs1.bits() == static_cast<unsigned>(bits));
        CHECK(UNWRAP(from_pkcs8.sign_sha256("m")) == UNWRAP(from_pkcs1.sign_sha256("m")));

        const auto rsa_public = UNWRAP(public_key::from_pem(rsa_public_pem));
        CHECK(rsa_public == UNWRAP(public_key::from_pem(spki_pem)));
        CHECK(rsa_public == from_pkcs8.public_part());
        CHECK(rsa_public.bits() == static_cast<unsigned>(bits));
    }
}

TEST_CASE("password-protected keys written by openssl are encrypted_key", "[oracle][keys][errors]") {
    const temp_dir dir;
    const auto source = quoted(vector_path(files::doc_private_key));
    const std::string commands[] = {
        "pkcs8 -topk8 -v2 aes-256-cbc -passout pass:x -in " + source,
        "pkcs8 -topk8 -v2 des3 -passout pass:x -in " + source,
        "rsa -aes256 -passout pass:x -traditional -in " + source,
    };
    for (const auto& command : commands) {
        CAPTURE(command);
        const auto pem = openssl(command);
        CHECK(errc_of(private_key::from_pem(pem)) == errc::encrypted_key);
        const auto file = dir.write("encrypted.pem", pem);
        CHECK(errc_of(private_key::from_file(file)) == errc::encrypted_key);
    }
}
