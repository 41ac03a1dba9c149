// Feeds: notifications signed and sealed in-process around the fuzzer's bytes, so that the
// envelope reader, AES-GCM and the resource models are reached past the signature check. The
// first byte picks a mode, the rest is the payload:
//   0  the payload is the whole body (signed as is): envelope JSON, /resource fields, decryption
//      of whatever ciphertext and nonce it names;
//   1  the payload is the resource's plaintext, encrypted with the APIv3 key inside a well-formed
//      envelope: then typed as a transaction and as a refund;
//   2  the payload is nonce, associated data and raw ciphertext, separated by NUL bytes.
// Keys are generated at start-up (a WeChat Pay public key, PUB_KEY_ID_FUZZ). Modes 0 and 1 also
// run the receiver (async_handle) twice with a fresh dedup store. Expects: no crash; in mode 1 the
// notification opens exactly when the payload is a JSON object, and gives back the payload; the
// receiver answers 204 or 500, and after a 204 the redelivery is a 204 that does not run the
// business effect again.
#include "fuzz_common.hpp"

#include <wechatpay/notification.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

namespace {

constexpr std::string_view key_id = "PUB_KEY_ID_FUZZ";
constexpr std::string_view apiv3_text = "0123456789abcdefghijklmnopqrstuv";

struct setup {
    wechatpay::private_key key = fuzz::identity::generate("fuzz platform").key;
    wechatpay::apiv3_key apiv3 = fuzz::must(wechatpay::apiv3_key::from(apiv3_text), "apiv3 key");
    wechatpay::verifier verifier{
        {}, wechatpay::wechatpay_public_key{std::string(key_id), key.public_part()}, [] { return fuzz::now; }};
    wechatpay::notification_handler handler{verifier, apiv3};

    // Headers WeChat Pay would send with this body.
    wechatpay::signature_headers sign(std::string_view body) const {
        wechatpay::signature_headers h;
        h.timestamp = std::to_string(fuzz::now);
        h.nonce = "fuzzNONCEfuzzNONCEfuzzNONCE01234";
        h.signature = wechatpay::base64_encode(
            fuzz::must(key.sign_sha256(wechatpay::answer_message(h.timestamp, h.nonce, body)), "sign"));
        h.serial = std::string(key_id);
        h.signature_type = std::string(wechatpay::signature_type);
        h.request_id = "fuzz-request-id";
        return h;
    }
};

const setup& keys() {
    static const setup s;
    return s;
}

std::string envelope(std::string_view nonce, std::string_view aad, std::string_view ciphertext_b64) {
    return boost::json::serialize(boost::json::object{
        {"id", "EV-2018022511223320873"},
        {"create_time", "2015-05-20T13:29:35+08:00"},
        {"resource_type", "encrypt-resource"},
        {"event_type", "TRANSACTION.SUCCESS"},
        {"summary", "支付成功"},
        {"resource", boost::json::object{{"original_type", "transaction"},
                                         {"algorithm", "AEAD_AES_256_GCM"},
                                         {"ciphertext", ciphertext_b64},
                                         {"associated_data", aad},
                                         {"nonce", nonce}}}});
}

void type_it(const wechatpay::result<wechatpay::notification>& n) {
    if (!n) return;
    (void)n->transaction();
    (void)n->refund();
}

// One delivery, run to its answer.
wechatpay::notification_reply receive(const wechatpay::notification_handler& receiver,
                                      const wechatpay::signature_headers& h, std::string_view body,
                                      const wechatpay::notification_effect& effect) {
    boost::asio::io_context ioc;
    wechatpay::notification_reply reply;
    receiver.async_handle(h, std::string(body), effect,
                          boost::asio::bind_executor(ioc, [&reply](wechatpay::notification_reply r) { reply = std::move(r); }));
    ioc.run();
    return reply;
}

// A delivery and its redelivery to a receiver whose effect succeeds when the resource reads as
// a transaction.
void receive_twice(const setup& s, const wechatpay::signature_headers& h, std::string_view body) {
    const wechatpay::notification_handler receiver(s.verifier, s.apiv3);  // its own dedup store
    int effects = 0;
    const wechatpay::notification_effect effect =
        [&](const wechatpay::notification& n) -> boost::asio::awaitable<wechatpay::result<void>> {
        ++effects;
        if (auto t = n.transaction(); !t) co_return t.error();
        co_return wechatpay::result<void>();
    };
    const auto first = receive(receiver, h, body, effect);
    fuzz::must(first.status == 204 || first.status == 500, "receiver status");
    fuzz::must((first.status == 204) != first.reason.has_value(), "a failure says why");
    const int after_first = effects;
    const auto second = receive(receiver, h, body, effect);
    fuzz::must(second.status == 204 || second.status == 500, "receiver status");
    if (first.status == 204) fuzz::must(second.status == 204 && effects == after_first, "one effect per id");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const setup& s = keys();
    const std::string_view payload = fuzz::as_view(data + 1, size - 1);
    switch (data[0] % 3) {
    case 0: {
        const auto h = s.sign(payload);
        type_it(s.handler.parse_at(h, payload, fuzz::now));
        receive_twice(s, h, payload);
        break;
    }
    case 1: {
        const std::string nonce = "fdasflkja484", aad = "transaction";
        const std::string sealed = fuzz::must(wechatpay::aead_encrypt(s.apiv3, nonce, aad, payload), "encrypt");
        const std::string body = envelope(nonce, aad, sealed);
        const auto h = s.sign(body);
        auto n = s.handler.parse_at(h, body, fuzz::now);
        receive_twice(s, h, body);
        if (body.size() > wechatpay::max_notification_body) break;
        // It opens exactly when the plaintext is a JSON object, as WeChat's always is.
        boost::system::error_code ec;
        const bool object = boost::json::parse(payload, ec).is_object() && !ec;
        if (object && !n) std::fprintf(stderr, "%s\n", n.error().to_string().c_str());
        fuzz::must(n.has_value() == object, "a sealed notification opens when its resource is a JSON object");
        if (!n) break;
        fuzz::must(n->resource == payload, "the resource is the plaintext");
        fuzz::must(n->original_type == "transaction" && n->request_id == "fuzz-request-id", "envelope fields");
        type_it(n);
        break;
    }
    case 2: {
        const auto [nonce, rest] = fuzz::split(payload, std::string_view("\0", 1));
        const auto [aad, ciphertext] = fuzz::split(rest, std::string_view("\0", 1));
        const std::string body = envelope(nonce, aad, wechatpay::base64_encode(ciphertext));
        type_it(s.handler.parse_at(s.sign(body), body, fuzz::now));
        break;
    }
    }
    return 0;
}
