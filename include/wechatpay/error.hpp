// Errors: a code that says what went wrong, plus the diagnostics a payments engineer needs
// (HTTP status, WeChat's code/message/detail, Request-ID). Every fallible call returns result<T>.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

namespace wechatpay {

// Each value belongs to exactly one error_kind (see kind_of). Values are stable: they are
// part of the public interface and of the CLI's diagnostics.
enum class errc {
    // usage: the caller passed something unusable
    invalid_argument = 1,
    // config: keys, certificates and settings that cannot be used
    not_pem,              // input is not PEM of the expected type
    encrypted_key,        // private key is password-protected: decrypt it first
    not_rsa,              // key is not RSA
    key_too_small,        // RSA key shorter than 2048 bits
    key_mismatch,         // private key does not belong to the certificate
    invalid_certificate,  // certificate cannot be parsed
    invalid_apiv3_key,    // APIv3 key is not exactly 32 bytes
    file_unreadable,      // a key/certificate/config file cannot be read
    // security: the answer or notification cannot be trusted
    missing_header,       // a Wechatpay-* signature header is absent or empty
    probe_signature,      // WECHATPAY/SIGNTEST/ probe: never valid, by design
    malformed_signature,  // signature is not strict base64
    unsupported_signature_type,  // Wechatpay-Signature-Type other than WECHATPAY2-SHA256-RSA2048
    malformed_timestamp,  // Wechatpay-Timestamp is not a decimal Unix time
    stale_timestamp,      // timestamp more than 300 s away from now
    unknown_serial,       // no certificate or public key with that serial / id
    certificate_expired,  // the certificate named by the serial is outside its validity period
    bad_signature,        // RSA signature does not match the message
    decrypt_failed,       // AES-GCM tag mismatch or OAEP failure: wrong key or tampered data
    hash_mismatch,        // a downloaded file's SHA1 differs from the hash WeChat gave
    // protocol: well-signed but unusable content
    malformed_base64,     // data that must be base64 is not
    malformed_json,       // body is not the JSON we expect
    body_too_large,       // body over the accepted limit
    unsupported_algorithm,  // resource algorithm other than AEAD_AES_256_GCM
    malformed_gzip,       // a gzip download that does not inflate
    // api: WeChat Pay answered with an error status; see http_status, api_code, api_message
    api_error,
    // internal: OpenSSL refused an operation that should not fail
    crypto_failure,
    // Added later, numbered after the others to keep their values (kinds noted):
    ambiguous_header,  // security: a signature header repeated, or holding a line break
    notification_in_progress,  // protocol: another delivery of this notification is being handled
    callback_exception,  // internal: a callback of the caller's (a download sink, a business effect) threw
};

enum class error_kind { usage, config, security, protocol, transport, api, internal };

const boost::system::error_category& wechatpay_category() noexcept;
boost::system::error_code make_error_code(errc e) noexcept;
error_kind kind_of(const boost::system::error_code& code) noexcept;
const char* to_string(error_kind k) noexcept;

// An error with its diagnostics. `detail` is our own text (names fields, serials, paths; never
// a secret). Server-provided text (api_message, api_detail) may echo user input, so it is kept
// out of exception::what() and to_string(); read it explicitly.
//
// WeChat Pay signs an answer only when it verified the request's signature, so its commonest
// error for a new integration, 401 SIGN_ERROR (wrong key or serial), comes without signature
// headers, and so may a 5xx or 429 from a gateway in front of it. Such an answer is still an
// api_error with its status, code, message and Request-ID, marked unverified: nobody proved
// they came from WeChat Pay.
struct error {
    boost::system::error_code code;
    std::string detail;        // our description of what failed
    unsigned http_status = 0;  // 0 when there was no HTTP answer
    std::string api_code;      // WeChat's "code", e.g. PARAM_ERROR
    std::string api_message;   // WeChat's "message" (server text); for a body that is not
                               // WeChat's JSON (a gateway's HTML page), its start, escaped
    std::string api_detail;    // WeChat's "detail" object as raw JSON (server text)
    std::string request_id;    // Request-ID header, whenever there was an answer
    bool unverified = false;   // an api_error read from an answer whose signature was not checked

    error() = default;
    error(errc e, std::string detail = {});
    error(boost::system::error_code c, std::string detail = {});

    error_kind kind() const noexcept { return kind_of(code); }
    bool is(errc e) const noexcept { return code == make_error_code(e); }
    // False for an api_error from an answer without WeChat Pay's signature (see above).
    bool verified() const noexcept { return !unverified; }
    // One line: kind, code message, our detail, status, "unverified", WeChat code, Request-ID.
    std::string to_string() const;
};

template <class T>
using result = boost::system::result<T, error>;

class exception : public std::runtime_error {
public:
    explicit exception(error e);
    const wechatpay::error& err() const noexcept { return error_; }

private:
    wechatpay::error error_;
};

// Caller or server text as it may appear inside an error's detail or a log line: between double
// quotes, control bytes, quotes, backslashes and non-ASCII bytes escaped (\n, \xHH), and cut
// after `max` bytes of input with the full length noted, so that it can neither forge a log line
// nor flood one.
// (Not named quoted: argument-dependent lookup would pick std::quoted for std::string.)
std::string excerpt(std::string_view text, std::size_t max = 64);

// Called by result<T>::value() on failure (found by argument-dependent lookup).
[[noreturn]] void throw_exception_from_error(const error& e, const boost::source_location& loc);

}  // namespace wechatpay

namespace boost::system {
template <>
struct is_error_code_enum<wechatpay::errc> : std::true_type {};
}  // namespace boost::system
