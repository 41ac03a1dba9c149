// The demo of `./dev demo`: the three things every WeChat Pay API v3 integration does, shown
// with the official test vectors so that each step can be checked against a known answer.
//   1. sign a prepay request (Authorization header) and the page's payment parameters;
//   2. verify an answer signed by WeChat Pay, and refuse tampered and probe answers;
//   3. verify and decrypt a notification, and decrypt downloaded platform certificates.
// Exit status 0 only when every step matched its vector.
#include <wechatpay/wechatpay.hpp>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace wechatpay;

namespace {

fs::path vectors;
int failures = 0;

std::string slurp(const fs::path& p) {
    std::ifstream in(vectors / p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + (vectors / p).string());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

json::object load(const fs::path& p) { return json::parse(slurp(p)).as_object(); }
std::string str(const json::value& v) { return std::string(v.as_string()); }

void check(bool ok, std::string_view what) {
    std::cout << (ok ? "   ok    " : "   FAIL  ") << what << "\n";
    if (!ok) ++failures;
}

void heading(std::string_view title) { std::cout << "\n== " << title << "\n"; }

void sign_requests() {
    heading("1. Sign a JSAPI prepay request and the page's payment parameters");
    auto v = load("doc_signature_vectors.json");
    const auto& req = v["request_sign"].as_object();
    auto key = private_key::from_file(vectors / "doc_test_private_key_pkcs8.pem").value();
    std::cout << "   merchant key: " << key.to_string() << "\n";
    auto s = signer::create("1900007291", key, std::string("1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C")).value();

    auto signed_req = s.sign_request(str(req.at("method")), str(req.at("canonical_url")),
                                     str(req.at("body")),
                                     std::stoll(str(req.at("timestamp"))), str(req.at("nonce_str")))
                          .value();
    std::cout << "   POST " << str(req.at("canonical_url")) << "\n   Authorization: "
              << signed_req.authorization.substr(0, 120) << "…\n";
    check(signed_req.signature == str(req.at("signature")),
          "request signature equals the official docs' signature");

    const auto& pay = v["pay_sign"].as_object();
    const auto ts = std::stoll(str(pay.at("timeStamp")));
    auto page = s.jsapi_payment_for(str(pay.at("appId")), str(pay.at("prepay_id")), ts,
                                    str(pay.at("nonceStr"))).value();
    std::cout << "   wx.requestPayment(" << to_json(page).substr(0, 140) << "…)\n";
    check(page.paySign == str(pay.at("jsapi_paySign")), "JSAPI paySign equals the official vector");
    auto app = s.app_payment_for(str(pay.at("appId")), str(pay.at("prepay_id")), ts,
                                 str(pay.at("nonceStr"))).value();
    check(app.sign == str(pay.at("app_sign")), "APP sign equals the official vector");
}

void verify_answers() {
    heading("2. Verify an answer signed with the WeChat Pay public key");
    auto v = load("doc_signature_vectors.json")["response_verify"].as_object();
    const auto& hdr = v["headers"].as_object();
    auto headers = signature_headers::from([&](std::string_view name) {
        auto* f = hdr.if_contains(name);
        return f ? str(*f) : std::string();
    });
    auto key = public_key::from_file(vectors / str(v["public_key_file"])).value();
    verifier wechat({}, wechatpay_public_key{headers.serial, key});
    const std::string body = str(v["body"]);
    const std::int64_t answered_at = std::stoll(headers.timestamp);

    std::cout << "   200 OK " << body << "\n   Wechatpay-Serial: " << headers.serial << "\n";
    check(wechat.verify_at(headers, body, answered_at).has_value(), "genuine answer verifies");

    std::string tampered = body;
    tampered[tampered.size() - 3] ^= 1;
    auto r1 = wechat.verify_at(headers, tampered, answered_at);
    check(!r1 && r1.error().is(errc::bad_signature), "one flipped body bit: " + (r1 ? "" : r1.error().to_string()));

    auto r2 = wechat.verify_at(headers, body, answered_at + 301);
    check(!r2 && r2.error().is(errc::stale_timestamp), "replayed 301 s later: " + (r2 ? "" : r2.error().to_string()));

    auto probe_v = load("signtest_probe_notification_headers.json")["headers"].as_object();
    signature_headers probe = headers;
    probe.signature = str(probe_v["Wechatpay-Signature"]);
    auto r3 = wechat.verify_at(probe, body, answered_at);
    check(!r3 && r3.error().is(errc::probe_signature), "WECHATPAY/SIGNTEST/ probe: " + (r3 ? "" : r3.error().to_string()));
}

void open_notifications() {
    heading("3. Verify and decrypt a notification (wechatpay-go's test vector)");
    auto v = load("sdk-tests/wechatpay-go/notify_payscore.json");
    const auto& hdr = v["headers"].as_object();
    auto headers = signature_headers::from([&](std::string_view name) {
        auto* f = hdr.if_contains(name);
        return f ? str(*f) : std::string();
    });
    auto cert = certificate::from_file(vectors / "sdk-tests/wechatpay-go" /
                                       str(v["platform_certificate_file"])).value();
    verifier wechat({cert});
    const std::string body = str(v["body"]);
    check(wechat.verify_at(headers, body, v["now_unix"].to_number<std::int64_t>()).has_value(),
          "notification signed by platform certificate " + cert.serial() + " verifies");

    // That SDK's test key is 16 bytes (AES-128); real APIv3 keys are 32 (AEAD_AES_256_GCM).
    const json::value envelope = json::parse(body);
    const auto& res = envelope.at("resource").as_object();
    auto plain = aes_gcm_decrypt(str(v["apiv3_key"]), str(res.at("nonce")),
                                 str(res.at("associated_data")), str(res.at("ciphertext")));
    std::cout << "   resource: " << (plain ? *plain : plain.error().to_string()) << "\n";
    check(plain && *plain == str(v["expected_plaintext"]), "resource decrypts to the expected JSON");

    heading("4. Decrypt downloaded platform certificates (wechatpay-java's test vector)");
    auto list = load("sdk-tests/wechatpay-java/download_certificate_response.json");
    auto key = apiv3_key::from(str(load("sdk-tests/wechatpay-java/test_config.json")["API_V3_KEY"])).value();
    for (const auto& item : list["data"].as_array()) {
        const auto& enc = item.at("encrypt_certificate").as_object();
        auto pem = aead_decrypt(key, str(enc.at("nonce")), str(enc.at("associated_data")),
                                str(enc.at("ciphertext")));
        auto c = pem ? certificate::from_pem(*pem) : result<certificate>(pem.error());
        std::cout << "   " << str(item.at("serial_no")) << " -> "
                  << (c ? "certificate " + c->serial() : c.error().to_string()) << "\n";
        check(c && c->serial() == str(item.at("serial_no")), "decrypted certificate carries the listed serial");
    }
}

}  // namespace

int main(int argc, char** argv) {
    vectors = "tests/vectors";
    for (int i = 1; i + 1 < argc; ++i)
        if (std::string_view(argv[i]) == "--vectors") vectors = argv[i + 1];
    try {
        std::cout << "wechatpay-asio demo: API v3 signing, verification and decryption\n"
                  << "(official test vectors from " << vectors.string() << ")\n";
        sign_requests();
        verify_answers();
        open_notifications();
    } catch (const std::exception& e) {
        std::cerr << "demo: " << e.what() << "\n";
        return 1;
    }
    std::cout << "\n" << (failures == 0 ? "All steps matched their vectors." : "Some steps FAILED.") << "\n";
    return failures == 0 ? 0 : 1;
}
