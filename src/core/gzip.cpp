#include "core/gzip.hpp"

#include <zlib.h>

#include <stdexcept>

namespace wechatpay::detail {

namespace {
Bytef* bytes(std::string_view s) { return reinterpret_cast<Bytef*>(const_cast<char*>(s.data())); }
}  // namespace

std::string gzip(std::string_view data) {
    z_stream z{};
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::bad_alloc();
    std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
    z.next_in = bytes(data);
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&z, Z_FINISH);  // one call: the output buffer has deflateBound's room
    out.resize(z.total_out);
    deflateEnd(&z);
    if (rc != Z_STREAM_END) throw std::runtime_error("deflate");
    return out;
}

result<std::string> gunzip(std::string_view data, std::size_t max_size) {
    z_stream z{};
    if (inflateInit2(&z, 15 + 16) != Z_OK) throw std::bad_alloc();
    std::string out;
    char buf[64 * 1024];
    z.next_in = bytes(data);
    z.avail_in = static_cast<uInt>(data.size());
    int rc = Z_OK;
    while (rc == Z_OK && out.size() <= max_size) {
        z.next_out = reinterpret_cast<Bytef*>(buf);
        z.avail_out = sizeof buf;
        rc = inflate(&z, Z_NO_FLUSH);
        out.append(buf, sizeof buf - z.avail_out);
        if (rc == Z_BUF_ERROR && z.avail_in == 0) break;  // truncated input
    }
    inflateEnd(&z);
    if (out.size() > max_size) return error(errc::malformed_gzip, "inflates past " + std::to_string(max_size) + " bytes");
    if (rc != Z_STREAM_END) return error(errc::malformed_gzip, "not one complete gzip stream");
    return out;
}

}  // namespace wechatpay::detail
