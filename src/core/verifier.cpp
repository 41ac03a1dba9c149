#include <wechatpay/verifier.hpp>

#include <wechatpay/crypto.hpp>

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>

namespace wechatpay {
namespace {

// A serial from the wire, made safe for an error message: serials are hex or PUB_KEY_ID_…
std::string printable_serial(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 64))
        out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '?';
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

std::optional<std::int64_t> parse_unix_time(std::string_view s) {
    if (s.empty() || s.size() > 18) return std::nullopt;
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || s.front() == '-' || s.front() == '+')
        return std::nullopt;
    return v;
}

}  // namespace

signature_headers signature_headers::parse(std::string_view block) {
    signature_headers h;
    const std::pair<std::string_view, std::string*> fields[] = {
        {"Wechatpay-Timestamp", &h.timestamp},       {"Wechatpay-Nonce", &h.nonce},
        {"Wechatpay-Signature", &h.signature},       {"Wechatpay-Serial", &h.serial},
        {"Wechatpay-Signature-Type", &h.signature_type}, {"Request-ID", &h.request_id}};
    bool seen[std::size(fields)] = {};
    while (!block.empty()) {
        const auto eol = block.find('\n');
        const std::string_view line = block.substr(0, eol);
        block.remove_prefix(eol == std::string_view::npos ? block.size() : eol + 1);
        // A line that continues the one above (obs-fold) would make a value other than the one
        // read here: HTTP/1.1 parsers refuse it, and so does verify().
        if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
            if (!trim(line).empty()) h.ambiguity = "a folded header line (obs-fold)";
            continue;
        }
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) continue;  // status line or blank line
        const std::string_view name = trim(line.substr(0, colon));
        for (std::size_t i = 0; i < std::size(fields); ++i) {
            const auto& [field, target] = fields[i];
            if (!boost::beast::iequals(name, field)) continue;
            if (name.size() != colon) h.ambiguity = "whitespace before ':' after " + std::string(field);
            if (seen[i] && field != "Request-ID") h.ambiguity = std::string(field) + " appears more than once";
            seen[i] = true;
            *target = trim(line.substr(colon + 1));
        }
    }
    return h;
}

bool valid_public_key_id(std::string_view id) {
    return id.starts_with("PUB_KEY_ID_") && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
           });
}

std::string answer_message(std::string_view timestamp, std::string_view nonce, std::string_view body) {
    std::string m;
    m.reserve(timestamp.size() + nonce.size() + body.size() + 3);
    m.append(timestamp).append("\n").append(nonce).append("\n").append(body).append("\n");
    return m;
}

struct verifier::state {
    std::vector<certificate> certificates;  // newest expiry first
    std::optional<wechatpay_public_key> public_key;
    clock_function clock;
};

verifier::verifier(std::vector<certificate> certificates, std::optional<wechatpay_public_key> pk,
                   clock_function clock) {
    std::sort(certificates.begin(), certificates.end(),
              [](const certificate& a, const certificate& b) { return a.not_after() > b.not_after(); });
    s_ = std::make_shared<const state>(state{std::move(certificates), std::move(pk), std::move(clock)});
}

verifier verifier::with_certificates(std::vector<certificate> certificates) const {
    return verifier(std::move(certificates), s_->public_key, s_->clock);
}

const std::vector<certificate>& verifier::certificates() const noexcept { return s_->certificates; }
const std::optional<wechatpay_public_key>& verifier::wechatpay_key() const noexcept {
    return s_->public_key;
}

bool verifier::knows(std::string_view serial) const noexcept {
    if (s_->public_key && s_->public_key->id == serial) return true;
    return std::any_of(s_->certificates.begin(), s_->certificates.end(),
                       [&](const certificate& c) { return boost::beast::iequals(c.serial(), serial); });
}

std::optional<public_key> verifier::key_for(std::string_view serial) const {
    if (s_->public_key && s_->public_key->id == serial) return s_->public_key->key;
    for (const auto& c : s_->certificates)
        if (boost::beast::iequals(c.serial(), serial)) return c.key();
    return std::nullopt;
}

std::vector<std::string> verifier::serials() const {
    std::vector<std::string> out;
    for (const auto& c : s_->certificates) out.push_back(c.serial());
    if (s_->public_key) out.push_back(s_->public_key->id);
    return out;
}

std::string verifier::preferred_serial() const {
    if (s_->public_key) return s_->public_key->id;
    return s_->certificates.empty() ? std::string() : s_->certificates.front().serial();
}

bool valid_key_serial(std::string_view s) {
    return valid_public_key_id(s) || (!s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
                                          return std::isxdigit(static_cast<unsigned char>(c)) != 0;
                                      }));
}

result<encrypted_field> verifier::encrypt_field(std::string_view plaintext) const {
    std::string serial = preferred_serial();
    const auto key = key_for(serial);
    if (!key) return error(errc::invalid_argument, "no WeChat Pay key to encrypt with (no certificate downloaded yet)");
    auto ciphertext = oaep_encrypt(*key, plaintext);
    if (!ciphertext) return ciphertext.error();
    return encrypted_field{std::move(*ciphertext), std::move(serial)};
}

result<void> verifier::verify(const signature_headers& headers, std::string_view body) const {
    return verify_at(headers, body, s_->clock ? s_->clock() : system_unix_time());
}

result<void> verifier::verify_at(const signature_headers& h, std::string_view body,
                                 std::int64_t now) const {
    auto fail = [&](errc e, std::string detail = {}) {
        error err(e, std::move(detail));
        err.request_id = h.request_id;
        return result<void>(std::move(err));
    };
    const std::pair<std::string_view, const std::string*> required[] = {
        {"Wechatpay-Timestamp", &h.timestamp}, {"Wechatpay-Nonce", &h.nonce},
        {"Wechatpay-Signature", &h.signature}, {"Wechatpay-Serial", &h.serial}};
    if (!h.ambiguity.empty()) return fail(errc::ambiguous_header, h.ambiguity);
    for (auto& [name, value] : required)
        if (value->empty()) return fail(errc::missing_header, std::string(name));
    // The nonce is a line of the signed message: a line break inside it would let one
    // signature stand for another split of nonce and body.
    if (std::any_of(h.nonce.begin(), h.nonce.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
        return fail(errc::ambiguous_header, "Wechatpay-Nonce holds a control character");

    if (h.signature.starts_with(probe_signature_prefix)) return fail(errc::probe_signature);
    if (!h.signature_type.empty() && h.signature_type != signature_type)
        return fail(errc::unsupported_signature_type);

    const auto ts = parse_unix_time(h.timestamp);
    if (!ts) return fail(errc::malformed_timestamp);
    if (*ts > now + signature_window_seconds || *ts < now - signature_window_seconds)
        return fail(errc::stale_timestamp, std::to_string(*ts - now) + " s from now");

    std::optional<public_key> key;
    if (s_->public_key && s_->public_key->id == h.serial) {
        key = s_->public_key->key;
    } else {
        for (const auto& c : s_->certificates) {
            if (!boost::beast::iequals(c.serial(), h.serial)) continue;
            if (!c.valid_at(std::chrono::system_clock::from_time_t(static_cast<std::time_t>(now))))
                return fail(errc::certificate_expired, "serial " + c.serial());
            key = c.key();
            break;
        }
    }
    if (!key) return fail(errc::unknown_serial, "serial " + printable_serial(h.serial));

    auto signature = base64_decode(h.signature);
    if (!signature) return fail(errc::malformed_signature);
    if (!key->verify_sha256(answer_message(h.timestamp, h.nonce, body), *signature))
        return fail(errc::bad_signature, "serial " + printable_serial(h.serial));
    return {};
}

}  // namespace wechatpay
