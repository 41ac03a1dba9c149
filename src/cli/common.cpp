#include "common.hpp"

#include <wechatpay/signer.hpp>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace wechatpay::cli {
namespace {

void write_stdout(std::string_view text) {
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size())
        throw cli_error(exit_usage, std::string("cannot write output: ") + std::strerror(errno));
}

}  // namespace

void usage_error(const std::string& message) { throw cli_error(exit_usage, message); }

void fail(const error& e, std::string_view context) {
    const auto kind = e.kind();
    const int status =
        kind == error_kind::usage || kind == error_kind::config ? exit_usage : exit_failure;
    throw cli_error(status, context.empty() ? e.to_string()
                                            : std::string(context) + ": " + e.to_string());
}

void unwrap(const result<void>& r, std::string_view context) {
    if (!r) fail(r.error(), context);
}

std::string named(std::string_view option, std::string_view value) {
    return "--" + std::string(option) + " " + wechatpay::excerpt(value, 256);
}

std::string read_input(const std::string& path, std::string_view option, file_limit limit) {
    if (path == "-") {
        // stdin can be read only once; a second "-" would silently read nothing.
        static bool stdin_taken = false;
        if (stdin_taken)
            usage_error("--" + std::string(option) + " -: standard input is already used by "
                        "another option");
        stdin_taken = true;
        auto text = read_descriptor(0, limit);
        if (!text) usage_error(named(option, path) + ": standard input: " + text.error().detail);
        return std::move(*text);
    }
    auto text = read_file(path, limit);
    // The detail names the file (quoted) and says why: "\"/dev/zero\": larger than …".
    if (!text) usage_error("--" + std::string(option) + " " + text.error().detail);
    return std::move(*text);
}

std::string read_optional_input(const args& a, std::string_view option, file_limit limit) {
    const auto path = a.find(option);
    return path ? read_input(*path, option, limit) : std::string();
}

std::int64_t parse_integer(std::string_view text, std::string_view option, std::int64_t min, std::int64_t max) {
    std::int64_t value = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    // from_chars takes a leading '-' but no '+' or space: a digit first keeps "-0" out too.
    if (text.empty() || text.front() < '0' || text.front() > '9' || ec != std::errc{} || ptr != end ||
        value < min || value > max)
        usage_error("--" + std::string(option) + ": must be a whole number from " + std::to_string(min) + " to " +
                    std::to_string(max));
    return value;
}

namespace {

// A key or certificate from a file, or from standard input for "-".
template <class T>
T load_pem(const std::string& path, std::string_view option) {
    std::string pem = read_input(path, option, pem_file_limit);
    auto loaded = T::from_pem(pem);
    secure_wipe(pem);  // it may be a private key
    return unwrap(std::move(loaded), named(option, path));
}

}  // namespace

private_key load_private_key(const std::string& path) { return load_pem<private_key>(path, "private-key"); }

public_key load_public_key(const std::string& path) { return load_pem<public_key>(path, "public-key"); }

certificate load_certificate(const std::string& path) { return load_pem<certificate>(path, "certificate"); }

apiv3_key load_apiv3_key(const args& a) {
    a.require_one_of(apiv3_key_option.name, apiv3_key_file_option.name);
    if (const auto key = a.find(apiv3_key_option.name))
        return unwrap(apiv3_key::from(*key), "--apiv3-key");

    const std::string& path = a.get(apiv3_key_file_option.name);
    std::string text = read_input(path, apiv3_key_file_option.name, apiv3_key_file_limit);
    // Editors and `echo` end the file with a newline that is not part of the key.
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    auto key = apiv3_key::from(text);
    secure_wipe(text);
    return unwrap(std::move(key), named(apiv3_key_file_option.name, path));
}

verifier load_verifier(const args& a) {
    a.require_together(public_key_option.name, public_key_id_option.name);
    std::vector<certificate> certificates;
    for (const auto& path : a.all(certificate_option.name))
        certificates.push_back(load_certificate(path));
    std::optional<wechatpay_public_key> key;
    if (a.has(public_key_option.name))
        key = wechatpay_public_key{a.get(public_key_id_option.name),
                                   load_public_key(a.get(public_key_option.name))};
    if (certificates.empty() && !key)
        usage_error("WeChat Pay's key is needed: --certificate FILE and/or --public-key FILE "
                    "--public-key-id ID");
    return verifier(std::move(certificates), std::move(key));
}

std::int64_t parse_unix_time(const std::string& text, std::string_view option) {
    return parse_integer(text, option, 0, 253402300799);  // 9999-12-31T23:59:59Z
}

std::int64_t now_from(const args& a) {
    const auto now = a.find(now_option.name);
    return now ? parse_unix_time(*now, now_option.name) : system_unix_time();
}

void print(std::string_view text) { write_stdout(text); }

void print_line(std::string_view text) {
    write_stdout(text);
    write_stdout("\n");
}

}  // namespace wechatpay::cli
