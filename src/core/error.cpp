#include <wechatpay/error.hpp>

namespace wechatpay {
namespace {

class category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "wechatpay"; }

    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
        case errc::invalid_argument: return "invalid argument";
        case errc::not_pem: return "not a PEM of the expected type";
        case errc::encrypted_key: return "private key is encrypted";
        case errc::not_rsa: return "key is not RSA";
        case errc::key_too_small: return "RSA key shorter than 2048 bits";
        case errc::key_mismatch: return "private key does not match the certificate";
        case errc::invalid_certificate: return "invalid certificate";
        case errc::invalid_apiv3_key: return "APIv3 key must be exactly 32 bytes";
        case errc::file_unreadable: return "file cannot be read";
        case errc::missing_header: return "signature header missing";
        case errc::probe_signature: return "probe signature (WECHATPAY/SIGNTEST/)";
        case errc::malformed_signature: return "signature is not valid base64";
        case errc::unsupported_signature_type: return "unsupported signature type";
        case errc::malformed_timestamp: return "malformed timestamp";
        case errc::stale_timestamp: return "timestamp outside the 300 s window";
        case errc::unknown_serial: return "unknown WeChat Pay serial";
        case errc::certificate_expired: return "WeChat Pay certificate not valid now";
        case errc::bad_signature: return "signature verification failed";
        case errc::decrypt_failed: return "decryption failed";
        case errc::hash_mismatch: return "downloaded file does not match its hash";
        case errc::malformed_base64: return "malformed base64";
        case errc::malformed_json: return "malformed JSON";
        case errc::body_too_large: return "body too large";
        case errc::unsupported_algorithm: return "unsupported algorithm";
        case errc::malformed_gzip: return "malformed gzip data";
        case errc::api_error: return "WeChat Pay answered with an error";
        case errc::crypto_failure: return "OpenSSL operation failed";
        case errc::ambiguous_header: return "ambiguous signature header";
        case errc::notification_in_progress: return "notification being handled";
        case errc::callback_exception: return "a callback threw an exception";
        }
        return "unknown wechatpay error";
    }
};

}  // namespace

const boost::system::error_category& wechatpay_category() noexcept {
    static const category instance;
    return instance;
}

boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), wechatpay_category()};
}

error_kind kind_of(const boost::system::error_code& code) noexcept {
    if (code.category() != wechatpay_category()) return error_kind::transport;
    const auto e = static_cast<errc>(code.value());
    if (e == errc::invalid_argument) return error_kind::usage;
    if (e == errc::ambiguous_header) return error_kind::security;
    if (e == errc::notification_in_progress) return error_kind::protocol;
    if (e <= errc::file_unreadable) return error_kind::config;
    if (e <= errc::hash_mismatch) return error_kind::security;
    if (e <= errc::malformed_gzip) return error_kind::protocol;
    if (e == errc::api_error) return error_kind::api;
    return error_kind::internal;
}

const char* to_string(error_kind k) noexcept {
    switch (k) {
    case error_kind::usage: return "usage";
    case error_kind::config: return "config";
    case error_kind::security: return "security";
    case error_kind::protocol: return "protocol";
    case error_kind::transport: return "transport";
    case error_kind::api: return "api";
    case error_kind::internal: return "internal";
    }
    return "unknown";
}

error::error(errc e, std::string d) : code(make_error_code(e)), detail(std::move(d)) {}
error::error(boost::system::error_code c, std::string d) : code(c), detail(std::move(d)) {}

namespace {

// Appends `text` with every byte outside printable ASCII, and `"` and `\`, escaped.
void append_escaped(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    for (unsigned char c : text) {
        if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (c == '\t') out += "\\t";
        else if (c == '"' || c == '\\') out += {'\\', static_cast<char>(c)};
        else if (c < 0x20 || c >= 0x7f) out += {'\\', 'x', hex[c >> 4], hex[c & 15]};
        else out += static_cast<char>(c);
    }
}

}  // namespace

std::string error::to_string() const {
    std::string s = wechatpay::to_string(kind());
    s += " error: ";
    s += code.message();
    if (!detail.empty()) s += ": " + detail;
    if (http_status != 0) s += " [HTTP " + std::to_string(http_status) + "]";
    if (unverified) s += " [unverified: the answer was not signed]";
    // Both come from the server: escaped, so that they cannot break the line.
    if (!api_code.empty()) {
        s += " [";
        append_escaped(s, api_code.substr(0, 64));
        s += "]";
    }
    if (!request_id.empty()) {
        s += " [Request-ID ";
        append_escaped(s, request_id.substr(0, 128));
        s += "]";
    }
    return s;
}

std::string excerpt(std::string_view text, std::size_t max) {
    std::string out = "\"";
    append_escaped(out, text.substr(0, max));
    out += '"';
    if (text.size() > max) out += "... (" + std::to_string(text.size()) + " bytes)";
    return out;
}

exception::exception(wechatpay::error e) : std::runtime_error(e.to_string()), error_(std::move(e)) {}

void throw_exception_from_error(const error& e, const boost::source_location&) {
    throw exception(e);
}

}  // namespace wechatpay
