#include "sim/tls_setup.hpp"

#include "core/files.hpp"
#include "sim/pki.hpp"

#include <wechatpay/crypto.hpp>

#include <charconv>
#include <tuple>

namespace wechatpay::sim {

namespace asio = boost::asio;

result<asio::ip::tcp::endpoint> parse_listen(const std::string& listen) {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) return error(errc::invalid_argument, "listen: expected HOST:PORT");
    std::string host = listen.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host == "localhost") host = "127.0.0.1";
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (ec) return error(errc::invalid_argument, "listen: " + wechatpay::excerpt(host) + " is not an IP address");
    if (!address.is_loopback())
        return error(errc::invalid_argument,
                     "listen: the simulator serves loopback addresses only, not " + wechatpay::excerpt(host));
    // Decimal digits only (std::stoul took "+80", " 80" and "80abc" as 80); 0 picks a free port.
    const std::string_view digits = std::string_view(listen).substr(colon + 1);
    std::uint16_t port = 0;
    const auto [end, perr] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (digits.empty() || perr != std::errc{} || end != digits.data() + digits.size())
        return error(errc::invalid_argument, "listen: the port must be a number from 0 to 65535 (0: any free port)");
    return asio::ip::tcp::endpoint(address, static_cast<unsigned short>(port));
}

namespace {

// Reuses a generated CA + server certificate while it is still valid for another day.
bool reusable(const std::filesystem::path& dir) {
    auto cert = certificate::from_file(dir / "server.pem");
    return cert && std::filesystem::exists(dir / "ca.pem") && std::filesystem::exists(dir / "server.key") &&
           cert->valid_at(std::chrono::system_clock::now() + std::chrono::hours(24));
}

}  // namespace

result<std::filesystem::path> configure_server_tls(asio::ssl::context& ctx, const config& cfg) {
    std::filesystem::path chain, key, ca;
    if (cfg.tls_certificate && cfg.tls_private_key) {
        chain = *cfg.tls_certificate;
        key = *cfg.tls_private_key;
        ca = chain;
    } else {
        const auto dir = cfg.tls_generate_dir;
        std::error_code fec;
        std::filesystem::create_directories(dir, fec);
        if (fec) return error(errc::file_unreadable, "tls_generate_dir: cannot create " + wechatpay::excerpt(dir.string(), 256));
        chain = dir / "server.pem";
        key = dir / "server.key";
        ca = dir / "ca.pem";
        if (!reusable(dir)) {
            try {
                const std::string ca_key = generate_rsa_key();
                const key_and_cert authority{ca_key, make_ca(ca_key, "wechatpay-asio simulator CA")};
                const std::string server_key = generate_rsa_key();
                const std::string server_cert =
                    issue_certificate(server_key, authority, "127.0.0.1", {"127.0.0.1", "localhost"},
                                      std::chrono::hours(24 * 90), std::chrono::seconds(-3600), true);
                // The simulator's own files, replaced when they expire; the key is 0600 from the start.
                for (auto [path, text, secrecy] : {std::tuple{ca, &authority.cert_pem, file_secrecy::public_file},
                                                   {chain, &server_cert, file_secrecy::public_file},
                                                   {key, &server_key, file_secrecy::secret}})
                    if (auto w = write_new_file(path, *text, secrecy, true); !w) return w.error();
            } catch (const std::exception& e) {
                return error(errc::crypto_failure, std::string("tls: ") + e.what());
            }
        }
    }
    boost::system::error_code ec;
    ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    // Bounded reads (OpenSSL's own file reading would take /dev/zero to the end).
    auto chain_pem = read_file(chain, certificate_chain_limit);
    if (!chain_pem) return error(chain_pem.error().code, "tls.certificate: " + chain_pem.error().detail);
    auto key_pem = read_file(key, pem_file_limit);
    if (!key_pem) return error(key_pem.error().code, "tls.private_key: " + key_pem.error().detail);
    ctx.use_certificate_chain(asio::buffer(*chain_pem), ec);
    if (ec) return error(errc::invalid_certificate, "tls.certificate: " + wechatpay::excerpt(chain.string(), 256));
    ctx.use_private_key(asio::buffer(*key_pem), asio::ssl::context::pem, ec);
    secure_wipe(*key_pem);
    if (ec) return error(errc::not_pem, "tls.private_key: " + wechatpay::excerpt(key.string(), 256));
    if (SSL_CTX_check_private_key(ctx.native_handle()) != 1)
        return error(errc::key_mismatch, "tls.private_key does not match tls.certificate");
    // A session id context lets clients resume sessions (counted in /sim/stats).
    static constexpr unsigned char sid[] = "wechatpay-sim";
    SSL_CTX_set_session_id_context(ctx.native_handle(), sid, sizeof sid - 1);
    return ca;
}

}  // namespace wechatpay::sim
