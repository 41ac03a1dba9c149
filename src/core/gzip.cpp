#include "core/gzip.hpp"

#include <zlib.h>

#include <stdexcept>

namespace wechatpay::detail {

namespace {
Bytef* bytes(std::string_view s) { return reinterpret_cast<Bytef*>(const_cast<char*>(s.data())); }
constexpr std::size_t piece = 64 * 1024;
}  // namespace

std::string gzip(std::string_view data) {
    gzip_stream z;
    std::string out = z.write(data);
    return out + z.finish();
}

result<std::string> gunzip(std::string_view data, std::size_t max_size) {
    std::string out;
    gunzip_stream z;
    auto ok = z.write(data, [&](std::string_view s) -> result<void> {
        if (out.size() + s.size() > max_size)
            return error(errc::malformed_gzip, "inflates past " + std::to_string(max_size) + " bytes");
        out += s;
        return {};
    });
    if (!ok) return ok.error();
    if (auto done = z.finish(); !done) return done.error();
    return out;
}

// ---- inflate ----------------------------------------------------------------------------

struct gunzip_stream::state {
    z_stream z{};
    bool ended = false;
    state() {
        if (inflateInit2(&z, 15 + 16) != Z_OK) throw std::bad_alloc();
    }
    ~state() { inflateEnd(&z); }
};

gunzip_stream::gunzip_stream() : s_(std::make_unique<state>()) {}
gunzip_stream::~gunzip_stream() = default;

result<void> gunzip_stream::write(std::string_view in, const chunk_sink& out) {
    z_stream& z = s_->z;
    if (s_->ended && !in.empty()) return error(errc::malformed_gzip, "bytes after the end of the gzip stream");
    char buf[piece];
    z.next_in = bytes(in);
    z.avail_in = static_cast<uInt>(in.size());
    for (;;) {
        z.next_out = reinterpret_cast<Bytef*>(buf);
        z.avail_out = sizeof buf;
        const int rc = inflate(&z, Z_NO_FLUSH);
        if (rc == Z_NEED_DICT || rc == Z_DATA_ERROR || rc == Z_MEM_ERROR || rc == Z_STREAM_ERROR)
            return error(errc::malformed_gzip, "not a gzip stream");
        if (const std::size_t n = sizeof buf - z.avail_out; n > 0)
            if (auto sent = out(std::string_view(buf, n)); !sent) return sent;
        if (rc == Z_STREAM_END) {
            s_->ended = true;
            break;
        }
        if (z.avail_out != 0) break;  // the input is used up
    }
    if (s_->ended && z.avail_in > 0) return error(errc::malformed_gzip, "bytes after the end of the gzip stream");
    return {};
}

result<void> gunzip_stream::finish() const {
    if (!s_->ended) return error(errc::malformed_gzip, "not one complete gzip stream (truncated)");
    return {};
}

// ---- deflate ----------------------------------------------------------------------------

struct gzip_stream::state {
    z_stream z{};
    state() {
        if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            throw std::bad_alloc();
    }
    ~state() { deflateEnd(&z); }

    std::string run(std::string_view in, int flush) {
        std::string out;
        char buf[piece];
        z.next_in = bytes(in);
        z.avail_in = static_cast<uInt>(in.size());
        int rc = Z_OK;
        do {
            z.next_out = reinterpret_cast<Bytef*>(buf);
            z.avail_out = sizeof buf;
            rc = deflate(&z, flush);
            if (rc == Z_STREAM_ERROR) throw std::runtime_error("deflate");
            out.append(buf, sizeof buf - z.avail_out);
        } while (z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
        return out;
    }
};

gzip_stream::gzip_stream() : s_(std::make_unique<state>()) {}
gzip_stream::~gzip_stream() = default;
std::string gzip_stream::write(std::string_view in) { return s_->run(in, Z_NO_FLUSH); }
std::string gzip_stream::finish() { return s_->run({}, Z_FINISH); }

}  // namespace wechatpay::detail
