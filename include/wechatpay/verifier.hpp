// The WeChat Pay side of WECHATPAY2-SHA256-RSA2048: verifies answers and notifications with
// WeChat Pay's keys, picked by Wechatpay-Serial — platform certificates by serial and/or one
// WeChat Pay public key by its PUB_KEY_ID_… id. Immutable: a refresh builds a new verifier
// (with_certificates) and swaps it in; verify from any number of threads at once.
#pragma once

#include <wechatpay/error.hpp>
#include <wechatpay/keys.hpp>
#include <wechatpay/signer.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wechatpay {

inline constexpr std::int64_t signature_window_seconds = 300;
inline constexpr std::string_view signature_type = "WECHATPAY2-SHA256-RSA2048";
inline constexpr std::string_view probe_signature_prefix = "WECHATPAY/SIGNTEST/";

// The signature headers of an answer or a notification.
struct signature_headers {
    std::string timestamp;       // Wechatpay-Timestamp
    std::string nonce;           // Wechatpay-Nonce
    std::string signature;       // Wechatpay-Signature
    std::string serial;          // Wechatpay-Serial
    std::string signature_type;  // Wechatpay-Signature-Type (may be absent)
    std::string request_id;      // Request-ID (answers only; for diagnostics)
    // Why the headers do not say one thing (a signature header given twice: which copy counts
    // would decide the verdict; a folded line), empty when they do. verify() refuses the set
    // with errc::ambiguous_header and this text.
    std::string ambiguity;

    // From an HTTP message's headers: anything with count(name) and operator[](name), such as
    // Beast's fields or a request or response itself. Repeated headers are noted.
    template <class Fields>
    static signature_headers from_fields(const Fields& fields) {
        auto h = from([&](std::string_view n) { return std::string(fields[n]); });
        for (std::string_view name : {"Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature",
                                      "Wechatpay-Serial", "Wechatpay-Signature-Type"})
            if (fields.count(name) > 1) h.ambiguity = std::string(name) + " appears more than once";
        return h;
    }
    // From a lookup that holds one value per name (a JSON object, a map): get(name) returns the
    // value, empty when absent. For HTTP messages use from_fields, which sees repeats.
    template <class Get>
    static signature_headers from(Get&& get) {
        return {std::string(get("Wechatpay-Timestamp")), std::string(get("Wechatpay-Nonce")),
                std::string(get("Wechatpay-Signature")), std::string(get("Wechatpay-Serial")),
                std::string(get("Wechatpay-Signature-Type")), std::string(get("Request-ID")), {}};
    }
    // From a raw header block ("Name: value" lines, as curl -D writes; names case-insensitive;
    // a status line and blank lines are skipped). Repeated headers, folded (obs-fold) lines and
    // whitespace before a colon are noted, as an HTTP parser would refuse them.
    static signature_headers parse(std::string_view block);
};

// TIMESTAMP\nNONCE\nBODY\n
std::string answer_message(std::string_view timestamp, std::string_view nonce,
                           std::string_view body);

struct wechatpay_public_key {
    std::string id;  // PUB_KEY_ID_…
    public_key key;
};

// "PUB_KEY_ID_" followed by letters, digits and '_' only: the id travels as the
// Wechatpay-Serial header, where anything else could break the header.
bool valid_public_key_id(std::string_view id);
// A key's name as Wechatpay-Serial carries it: a certificate serial (1–64 hex digits) or a
// valid PUB_KEY_ID_….
bool valid_key_serial(std::string_view serial);

// A sensitive field encrypted for WeChat Pay, and the serial of the key that encrypted it: send
// that serial as the request's Wechatpay-Serial (request_options::serial), so that the request
// names this key even when a refresh has replaced the client's keys in between.
struct encrypted_field {
    std::string ciphertext;  // base64 RSA-OAEP
    std::string serial;      // certificate serial or PUB_KEY_ID_…
};

class verifier {
public:
    verifier(std::vector<certificate> certificates,
             std::optional<wechatpay_public_key> public_key = std::nullopt,
             clock_function clock = {});

    // Checks, in order: no signature header repeated, headers present, nonce without control
    // bytes (it is a line of the signed message), not a probe, signature type, timestamp well-formed and
    // within ±300 s of the clock, serial known, certificate valid now, base64, RSA signature
    // over the raw body. Each failure is its own errc (security kind); never throws.
    result<void> verify(const signature_headers& headers, std::string_view body) const;
    result<void> verify_at(const signature_headers& headers, std::string_view body,
                           std::int64_t now) const;

    bool knows(std::string_view serial) const noexcept;
    // The public key for a serial or PUB_KEY_ID (OAEP-encrypting sensitive fields).
    std::optional<public_key> key_for(std::string_view serial) const;
    // Certificate serials, newest expiry first; then the public key id, if any.
    std::vector<std::string> serials() const;
    // The serial to send in Wechatpay-Serial: the public key id, else the newest certificate.
    std::string preferred_serial() const;
    // Encrypts a sensitive field with the preferred key (RSA-OAEP, see crypto.hpp), naming it.
    // invalid_argument when there is no key yet.
    result<encrypted_field> encrypt_field(std::string_view plaintext) const;
    const std::vector<certificate>& certificates() const noexcept;
    const std::optional<wechatpay_public_key>& wechatpay_key() const noexcept;

    // A new verifier with these certificates (the public key and clock kept).
    verifier with_certificates(std::vector<certificate> certificates) const;

private:
    struct state;
    std::shared_ptr<const state> s_;
};

}  // namespace wechatpay
