// Feeds: an answer as received — a header block ("Name: value" lines, names case-insensitive),
// a blank line, the body — to signature_headers::parse and verifier::verify_at. The verifier
// trusts wechatpay-go's certificate D7CE59D1F522D701 and the docs' WeChat Pay public key
// PUB_KEY_ID_…0006; it runs at each reference vector's clock, so seeds built from the vectors
// verify. Expects: ok or an errc, never a crash; the parsed headers survive a round trip
// (written back as a block and parsed again, they are the same).
#include "fuzz_common.hpp"

namespace {

const wechatpay::verifier& trusted() {
    static const wechatpay::verifier v(
        {fuzz::must(wechatpay::certificate::from_pem(
                        fuzz::read_vector("sdk-tests/wechatpay-go/cert_D7CE59D1F522D701.pem")),
                    "certificate")},
        wechatpay::wechatpay_public_key{
            "PUB_KEY_ID_0000000000000024101100397200000006",
            fuzz::must(wechatpay::public_key::from_pem(fuzz::read_vector(
                           "doc_wechatpay_public_key_PUB_KEY_ID_0000000000000024101100397200000006.pem")),
                       "public key")});
    return v;
}

bool same(const wechatpay::signature_headers& a, const wechatpay::signature_headers& b) {
    return a.timestamp == b.timestamp && a.nonce == b.nonce && a.signature == b.signature &&
           a.serial == b.serial && a.signature_type == b.signature_type && a.request_id == b.request_id;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto [block, body] = fuzz::split_message(fuzz::as_view(data, size));
    const auto h = wechatpay::signature_headers::parse(block);

    const std::string rewritten = "HTTP/1.1 200 OK\r\nWechatpay-Timestamp: " + h.timestamp +
                                  "\nWechatpay-Nonce: " + h.nonce + "\nWechatpay-Signature: " + h.signature +
                                  "\nWechatpay-Serial: " + h.serial + "\nWechatpay-Signature-Type: " +
                                  h.signature_type + "\nRequest-ID: " + h.request_id + "\n";
    fuzz::must(same(h, wechatpay::signature_headers::parse(rewritten)), "headers round trip");

    for (const std::int64_t now : {std::int64_t{1722850421}, std::int64_t{1624523846}}) {
        auto ok = trusted().verify_at(h, body, now);
        if (!ok) {
            fuzz::must(ok.error().request_id == h.request_id, "errors carry the Request-ID");
            (void)ok.error().to_string();
        }
    }
    return 0;
}
