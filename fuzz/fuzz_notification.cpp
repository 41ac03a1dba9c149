// Feeds: a notification as received — a header block ("Name: value" lines, as curl -D writes),
// a blank line, the body — to notification_handler::parse_at, which verifies, reads the envelope
// and decrypts. It trusts wechatpay-go's certificate D7CE59D1F522D701 at the clock of that SDK's
// notify_payscore vector, so the seed built from that vector passes the signature check (its
// 16-byte APIv3 key is not a valid API v3 key: decryption, with a 32-byte key, then fails;
// fuzz_notification_sealed reaches past it).
// Expects: an error or a notification, never a crash; a parsed notification's resource is typed
// as a transaction and a refund (errors allowed).
#include "fuzz_common.hpp"

#include <wechatpay/notification.hpp>

namespace {

constexpr std::int64_t vector_now = 1624523846;

const wechatpay::notification_handler& handler() {
    static const wechatpay::notification_handler h(
        wechatpay::verifier({fuzz::must(wechatpay::certificate::from_pem(fuzz::read_vector(
                                            "sdk-tests/wechatpay-go/cert_D7CE59D1F522D701.pem")),
                                        "certificate")}),
        fuzz::must(wechatpay::apiv3_key::from("0123456789abcdefghijklmnopqrstuv"), "apiv3 key"));
    return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto [block, body] = fuzz::split_message(fuzz::as_view(data, size));
    const auto headers = wechatpay::signature_headers::parse(block);
    auto n = handler().parse_at(headers, body, vector_now);
    if (n) {
        fuzz::must(n->request_id == headers.request_id, "request id carried over");
        (void)n->transaction();
        (void)n->refund();
    } else {
        (void)n.error().to_string();
    }
    return 0;
}
