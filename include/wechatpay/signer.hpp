// The merchant side of WECHATPAY2-SHA256-RSA2048: signs requests (the Authorization header) and
// the payment parameters an app or page needs to start paying (the "second signature").
// Immutable after construction; sign from any number of threads at once, no locks.
#pragma once

#include <wechatpay/error.hpp>
#include <wechatpay/keys.hpp>
#include <wechatpay/payment_params.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace wechatpay {

// Unix seconds; and a nonce maker. Injectable so that tests can pin both.
using clock_function = std::function<std::int64_t()>;
using nonce_function = std::function<std::string()>;

std::int64_t system_unix_time();

// METHOD\nCANONICAL_URL\nTIMESTAMP\nNONCE\nBODY\n
std::string request_message(std::string_view method, std::string_view canonical_url,
                            std::int64_t timestamp, std::string_view nonce, std::string_view body);

// What signing a request produced: the header value and its parts.
struct signed_request {
    std::string authorization;  // WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",…
    std::int64_t timestamp = 0;
    std::string nonce;
    std::string signature;  // base64
};

class signer {
public:
    // The serial is derived from the certificate, which must belong to the key.
    static result<signer> create(std::string mchid, private_key key, const certificate& cert,
                                 clock_function clock = {}, nonce_function nonce = {});
    // The serial is given (upper-case hex, as `openssl x509 -noout -serial` prints it).
    static result<signer> create(std::string mchid, private_key key, std::string serial,
                                 clock_function clock = {}, nonce_function nonce = {});

    const std::string& mchid() const noexcept { return mchid_; }
    const std::string& serial() const noexcept { return serial_; }

    // base64(SHA256withRSA(message)).
    result<std::string> sign(std::string_view message) const;

    // Signs METHOD, CANONICAL_URL (path?query) and BODY with the clock's time and a fresh nonce.
    result<signed_request> sign_request(std::string_view method, std::string_view canonical_url,
                                        std::string_view body) const;
    // The same with a given timestamp and nonce (reproducible; the CLI's `sign`).
    result<signed_request> sign_request(std::string_view method, std::string_view canonical_url,
                                        std::string_view body, std::int64_t timestamp,
                                        std::string_view nonce) const;

    // Second signature for an APP (appid\ntimestamp\nnonce\nprepay_id\n) and for a JSAPI page or
    // mini-program (appId\ntimeStamp\nnonceStr\nprepay_id=<id>\n).
    result<app_payment> app_payment_for(std::string_view appid, std::string_view prepay_id) const;
    result<jsapi_payment> jsapi_payment_for(std::string_view appid,
                                            std::string_view prepay_id) const;
    result<app_payment> app_payment_for(std::string_view appid, std::string_view prepay_id,
                                        std::int64_t timestamp, std::string_view nonce) const;
    result<jsapi_payment> jsapi_payment_for(std::string_view appid, std::string_view prepay_id,
                                            std::int64_t timestamp, std::string_view nonce) const;

private:
    signer(std::string mchid, private_key key, std::string serial, clock_function clock,
           nonce_function nonce);
    std::int64_t now() const { return clock_ ? clock_() : system_unix_time(); }
    std::string fresh_nonce() const;

    std::string mchid_;
    private_key key_;
    std::string serial_;
    clock_function clock_;
    nonce_function nonce_;
};

}  // namespace wechatpay
