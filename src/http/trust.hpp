// The CA certificates a TLS context trusts, read from a PEM bundle without letting OpenSSL read
// the file itself (it would read /dev/zero or a huge file to the end).
#pragma once

#include <wechatpay/error.hpp>

#include <boost/asio/ssl/context.hpp>

#include <filesystem>
#include <string_view>

namespace wechatpay::net {

// Adds every certificate of `file` (at most certificate_chain_limit bytes, read bounded) to
// `ctx`'s trust store. Errors name `field` and the file, quoted.
result<void> trust_ca_file(boost::asio::ssl::context& ctx, const std::filesystem::path& file, std::string_view field);

}  // namespace wechatpay::net
