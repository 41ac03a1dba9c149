// The secrets watch: every diagnostic the C++ test suite sees — each error's text (through
// the checks.hpp helpers) and each client log line (client_env's logger) — is inspected for
// the secrets the tests use: private keys (any 24-character run of their PEM body) and APIv3
// keys, and the payers' phone numbers the complaint tests file. A binary in which one leaked exits non-zero at the end, naming where (the secret starred
// out).
#pragma once

#include <string>
#include <string_view>

namespace wechatpay_test::secrets {

// Registers a secret: a PEM private key (its base64 body is watched) or a raw string.
void watch_pem(std::string_view pem);
void watch(std::string_view raw);
// Registers a phone number (its digits): found however it is written, with spaces, dashes,
// dots or brackets between the digits.
void watch_phone(std::string_view digits);

// Inspects one diagnostic; `where` says what produced it.
void inspect(std::string_view where, std::string_view text);

// Whether `text` contains a watched secret (without recording it): the watch's own test.
bool contains_secret(std::string_view text);

}  // namespace wechatpay_test::secrets
