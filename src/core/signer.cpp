#include <wechatpay/signer.hpp>

#include <wechatpay/crypto.hpp>
#include <wechatpay/requests.hpp>

#include <algorithm>
#include <chrono>
#include <utility>

namespace wechatpay {

std::int64_t system_unix_time() {
    using namespace std::chrono;
    return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

std::string request_message(std::string_view method, std::string_view canonical_url,
                            std::int64_t timestamp, std::string_view nonce, std::string_view body) {
    const std::string ts = std::to_string(timestamp);
    std::string m;
    m.reserve(method.size() + canonical_url.size() + ts.size() + nonce.size() + body.size() + 5);
    for (std::string_view line : {method, std::string_view(canonical_url), std::string_view(ts), nonce, body})
        m.append(line).push_back('\n');
    return m;
}

namespace {

// A value goes between double quotes in the header: refuse what would break out of them.
bool header_safe(std::string_view s) {
    for (unsigned char c : s)
        if (c == '"' || c == '\\' || c < 0x20 || c == 0x7f) return false;
    return true;
}

// Each field is a line of a signed message: a line break inside one would let the same
// signature stand for other fields.
bool one_line(std::string_view s) {
    return std::none_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

// The fields of a payment-parameter signature (reference §8), checked before signing.
result<void> check_payment_fields(std::string_view appid, std::string_view prepay_id, std::string_view nonce) {
    const std::pair<std::string_view, std::string_view> fields[] = {
        {"appid", appid}, {"prepay_id", prepay_id}, {"nonce", nonce}};
    for (const auto& [name, value] : fields) {
        if (value.empty()) return error(errc::invalid_argument, std::string(name) + " is required");
        if (!one_line(value)) return error(errc::invalid_argument, std::string(name) + " holds a control character");
    }
    return {};
}

std::string payment_message(std::string_view appid, std::int64_t timestamp, std::string_view nonce,
                            std::string_view package) {
    const std::string ts = std::to_string(timestamp);
    std::string m;
    for (std::string_view line : {appid, std::string_view(ts), nonce, package})
        m.append(line).push_back('\n');
    return m;
}

}  // namespace

signer::signer(std::string mchid, private_key key, std::string serial, clock_function clock,
               nonce_function nonce)
    : mchid_(std::move(mchid)), key_(std::move(key)), serial_(std::move(serial)),
      clock_(std::move(clock)), nonce_(std::move(nonce)) {}

result<signer> signer::create(std::string mchid, private_key key, const certificate& cert,
                              clock_function clock, nonce_function nonce) {
    if (!cert.matches(key))
        return error(errc::key_mismatch, "certificate serial " + cert.serial());
    return create(std::move(mchid), std::move(key), cert.serial(), std::move(clock), std::move(nonce));
}

result<signer> signer::create(std::string mchid, private_key key, std::string serial,
                              clock_function clock, nonce_function nonce) {
    if (mchid.empty() || !header_safe(mchid)) return error(errc::invalid_argument, "mchid");
    if (serial.empty() || !header_safe(serial)) return error(errc::invalid_argument, "serial");
    return signer(std::move(mchid), std::move(key), std::move(serial), std::move(clock),
                  std::move(nonce));
}

std::string signer::fresh_nonce() const { return nonce_ ? nonce_() : random_nonce(32); }

result<std::string> signer::sign(std::string_view message) const {
    auto raw = key_.sign_sha256(message);
    if (!raw) return raw.error();
    return base64_encode(*raw);
}

result<signed_request> signer::sign_request(std::string_view method, std::string_view canonical_url,
                                            std::string_view body) const {
    return sign_request(method, canonical_url, body, now(), fresh_nonce());
}

result<signed_request> signer::sign_request(std::string_view method, std::string_view canonical_url,
                                            std::string_view body, std::int64_t timestamp,
                                            std::string_view nonce) const {
    // Each is a line of the signed message and goes onto the wire as written.
    if (!is_method_token(method)) return error(errc::invalid_argument, "method " + excerpt(method) + " is not an HTTP method");
    if (!is_origin_form(canonical_url))
        return error(errc::invalid_argument, "URL " + excerpt(canonical_url) + " is not /path?query (RFC 3986 characters, %XX escapes)");
    if (nonce.empty() || !header_safe(nonce)) return error(errc::invalid_argument, "nonce");
    auto signature = sign(request_message(method, canonical_url, timestamp, nonce, body));
    if (!signature) return signature.error();

    signed_request out{{}, timestamp, std::string(nonce), std::move(*signature)};
    out.authorization.reserve(512);
    out.authorization.append("WECHATPAY2-SHA256-RSA2048 mchid=\"").append(mchid_)
        .append("\",nonce_str=\"").append(nonce)
        .append("\",timestamp=\"").append(std::to_string(timestamp))
        .append("\",serial_no=\"").append(serial_)
        .append("\",signature=\"").append(out.signature).append("\"");
    return out;
}

result<app_payment> signer::app_payment_for(std::string_view appid, std::string_view prepay_id) const {
    return app_payment_for(appid, prepay_id, now(), fresh_nonce());
}

result<jsapi_payment> signer::jsapi_payment_for(std::string_view appid,
                                                std::string_view prepay_id) const {
    return jsapi_payment_for(appid, prepay_id, now(), fresh_nonce());
}

result<app_payment> signer::app_payment_for(std::string_view appid, std::string_view prepay_id,
                                            std::int64_t timestamp, std::string_view nonce) const {
    if (auto ok = check_payment_fields(appid, prepay_id, nonce); !ok) return ok.error();
    auto sig = sign(payment_message(appid, timestamp, nonce, prepay_id));
    if (!sig) return sig.error();
    app_payment p;
    p.appid = appid;
    p.partnerid = mchid_;
    p.prepayid = prepay_id;
    p.noncestr = nonce;
    p.timestamp = std::to_string(timestamp);
    p.sign = std::move(*sig);
    return p;
}

result<jsapi_payment> signer::jsapi_payment_for(std::string_view appid, std::string_view prepay_id,
                                                std::int64_t timestamp, std::string_view nonce) const {
    if (auto ok = check_payment_fields(appid, prepay_id, nonce); !ok) return ok.error();
    std::string package = "prepay_id=" + std::string(prepay_id);
    auto sig = sign(payment_message(appid, timestamp, nonce, package));
    if (!sig) return sig.error();
    jsapi_payment p;
    p.appId = appid;
    p.timeStamp = std::to_string(timestamp);
    p.nonceStr = nonce;
    p.package = std::move(package);
    p.paySign = std::move(*sig);
    return p;
}

}  // namespace wechatpay
