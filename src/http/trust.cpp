#include "http/trust.hpp"

#include "core/files.hpp"

namespace wechatpay::net {

result<void> trust_ca_file(boost::asio::ssl::context& ctx, const std::filesystem::path& file, std::string_view field) {
    auto pem = read_file(file, certificate_chain_limit);
    if (!pem) return error(pem.error().code, std::string(field) + ": " + pem.error().detail);
    boost::system::error_code ec;
    ctx.add_certificate_authority(boost::asio::buffer(*pem), ec);
    if (ec)
        return error(errc::invalid_certificate, std::string(field) + ": no usable CA certificates in " +
                                                     excerpt(file.string(), 256) + " (" + ec.message() + ")");
    return {};
}

}  // namespace wechatpay::net
