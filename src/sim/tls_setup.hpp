// The simulator's listening address and TLS identity.
#pragma once

#include <wechatpay/sim/simulator.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

namespace wechatpay::sim {

// "127.0.0.1:0", "[::1]:8443", "localhost:0": loopback only (anything else is refused).
result<boost::asio::ip::tcp::endpoint> parse_listen(const std::string& listen);

// Loads the configured certificate chain and key, or generates (and reuses on later starts) a
// CA and a certificate for 127.0.0.1/localhost in tls_generate_dir. Returns the CA file.
result<std::filesystem::path> configure_server_tls(boost::asio::ssl::context& ctx, const config& cfg);

}  // namespace wechatpay::sim
