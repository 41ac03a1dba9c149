// What the verbs share: exit statuses, errors that end the command, reading inputs and keys
// with errors that name the option, and the options several verbs accept.
#pragma once

#include "args.hpp"

#include "core/files.hpp"

#include <wechatpay/crypto.hpp>
#include <wechatpay/error.hpp>
#include <wechatpay/keys.hpp>
#include <wechatpay/verifier.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace wechatpay::cli {

inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;  // verification or decryption failed
inline constexpr int exit_usage = 2;    // bad command line, unreadable file, unusable key

// Ends the command: main prints "wechatpay: <what()>" on stderr and exits with status().
// Messages never contain key material.
class cli_error : public std::runtime_error {
public:
    cli_error(int status, const std::string& message)
        : std::runtime_error(message), status_(status) {}
    int status() const noexcept { return status_; }

private:
    int status_;
};

[[noreturn]] void usage_error(const std::string& message);
// A library error: usage and config errors (the caller's input) exit 2, the rest (signature,
// decryption, malformed data) exit 1. `context` says which input it was about.
[[noreturn]] void fail(const error& e, std::string_view context = {});

template <class T>
T unwrap(result<T> r, std::string_view context = {}) {
    if (!r) fail(r.error(), context);
    return std::move(*r);
}
void unwrap(const result<void>& r, std::string_view context = {});

// The bytes of a file, or of standard input for "-" (once per run: two inputs cannot both
// come from stdin), read up to `limit` (a usage error saying which limit beyond it). `option`
// names the input in errors.
std::string read_input(const std::string& path, std::string_view option, file_limit limit);
// The input named by the option; empty when the option is absent.
std::string read_optional_input(const args& a, std::string_view option, file_limit limit);

// What the CLI's other inputs can hold. A body: the client's limit on an answer's body.
inline constexpr file_limit body_file_limit{4 * 1024 * 1024, "a request, answer or notification body"};
inline constexpr file_limit headers_file_limit{64 * 1024, "a headers file"};
// A signed message: a body and its request line, timestamp and nonce.
inline constexpr file_limit message_file_limit{4 * 1024 * 1024 + 64 * 1024, "a message to sign"};

// "--OPTION VALUE" as errors show it: the value quoted, cut after 256 bytes.
std::string named(std::string_view option, std::string_view value);

// A whole decimal integer in [min, max]; otherwise a usage error naming the option and the range
// ("--max-seconds: must be a whole number from 1 to 31536000"). No sign, spaces or suffixes.
std::int64_t parse_integer(std::string_view text, std::string_view option, std::int64_t min, std::int64_t max);

private_key load_private_key(const std::string& path);
public_key load_public_key(const std::string& path);
certificate load_certificate(const std::string& path);
// From --apiv3-key or --apiv3-key-file (exactly one).
apiv3_key load_apiv3_key(const args& a);
// WeChat Pay's keys from --certificate… and/or --public-key with --public-key-id.
verifier load_verifier(const args& a);

// Decimal Unix seconds, up to the year 9999.
std::int64_t parse_unix_time(const std::string& text, std::string_view option);
// --now, else the system clock.
std::int64_t now_from(const args& a);

// Standard output, bytes as given; print_line adds a newline.
void print(std::string_view text);
void print_line(std::string_view text);

// Options shared by several verbs.
inline constexpr option private_key_option{"private-key", "FILE",
                                           "merchant private key, PEM (apiclient_key.pem)", true};
inline constexpr option apiv3_key_option{"apiv3-key", "KEY", "APIv3 key, 32 characters"};
inline constexpr option apiv3_key_file_option{
    "apiv3-key-file", "FILE",
    "the APIv3 key from a file ('-' = stdin), out of sight of ps"};
inline constexpr option nonce_option{"nonce", "NONCE", "nonce string", true};
inline constexpr option certificate_option{
    "certificate", "FILE", "WeChat Pay platform certificate, PEM", false, true};
inline constexpr option public_key_option{"public-key", "FILE", "WeChat Pay public key, PEM"};
inline constexpr option public_key_id_option{"public-key-id", "ID",
                                             "its id, PUB_KEY_ID_... (with --public-key)"};
inline constexpr option now_option{"now", "UNIX_TIME",
                                   "check the timestamp against this time, not the clock"};

}  // namespace wechatpay::cli
