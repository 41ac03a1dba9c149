#include "sim/tls_setup.hpp"

#include "core/files.hpp"
#include "sim/pki.hpp"

#include <fstream>

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
    if (ec) return error(errc::invalid_argument, "listen: '" + host + "' is not an IP address");
    if (!address.is_loopback())
        return error(errc::invalid_argument, "listen: the simulator serves loopback addresses only, not " + host);
    unsigned long port = 0;
    try {
        std::size_t used = 0;
        port = std::stoul(listen.substr(colon + 1), &used);
        if (used != listen.size() - colon - 1 || port > 65535) throw std::out_of_range("port");
    } catch (const std::exception&) {
        return error(errc::invalid_argument, "listen: bad port");
    }
    return asio::ip::tcp::endpoint(address, static_cast<unsigned short>(port));
}

namespace {

result<void> write_file(const std::filesystem::path& p, const std::string& content) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) return error(errc::file_unreadable, "cannot write " + p.string());
    return {};
}

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
        if (fec) return error(errc::file_unreadable, "tls_generate_dir: cannot create " + dir.string());
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
                for (auto [path, text] : {std::pair{ca, &authority.cert_pem}, {chain, &server_cert}, {key, &server_key}})
                    if (auto w = write_file(path, *text); !w) return w.error();
                std::filesystem::permissions(key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
            } catch (const std::exception& e) {
                return error(errc::crypto_failure, std::string("tls: ") + e.what());
            }
        }
    }
    boost::system::error_code ec;
    ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    ctx.use_certificate_chain_file(chain.string(), ec);
    if (ec) return error(errc::invalid_certificate, "tls.certificate: " + chain.string());
    ctx.use_private_key_file(key.string(), asio::ssl::context::pem, ec);
    if (ec) return error(errc::not_pem, "tls.private_key: " + key.string());
    if (SSL_CTX_check_private_key(ctx.native_handle()) != 1)
        return error(errc::key_mismatch, "tls.private_key does not match tls.certificate");
    // A session id context lets clients resume sessions (counted in /sim/stats).
    static constexpr unsigned char sid[] = "wechatpay-sim";
    SSL_CTX_set_session_id_context(ctx.native_handle(), sid, sizeof sid - 1);
    return ca;
}

}  // namespace wechatpay::sim
