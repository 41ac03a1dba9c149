// gzip for bills: the simulator compresses them (tar_type=GZIP), the client inflates them.
// Both directions also work piece by piece, so that a bill of any size needs one buffer.
#pragma once

#include <wechatpay/error.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace wechatpay::detail {

std::string gzip(std::string_view data);
// errc::malformed_gzip when the data is not one complete gzip stream, or inflates past max_size.
result<std::string> gunzip(std::string_view data, std::size_t max_size);

// Where inflated or deflated pieces go; an error stops the stream and is returned as is.
using chunk_sink = std::function<result<void>(std::string_view)>;

// Inflates one gzip stream fed in pieces of any size.
class gunzip_stream {
public:
    gunzip_stream();
    ~gunzip_stream();
    gunzip_stream(const gunzip_stream&) = delete;
    gunzip_stream& operator=(const gunzip_stream&) = delete;

    // Inflates `in`, giving each inflated piece (at most 64 KiB) to `out`. errc::malformed_gzip
    // when the bytes are not gzip, or bytes follow the end of the stream.
    result<void> write(std::string_view in, const chunk_sink& out);
    // errc::malformed_gzip unless the stream ended (a truncated stream does not).
    result<void> finish() const;

private:
    struct state;
    std::unique_ptr<state> s_;
};

// Deflates into one gzip stream, piece by piece (the simulator's large bills).
class gzip_stream {
public:
    gzip_stream();
    ~gzip_stream();
    gzip_stream(const gzip_stream&) = delete;
    gzip_stream& operator=(const gzip_stream&) = delete;

    // The compressed bytes that `in` completes so far (often none: deflate buffers).
    std::string write(std::string_view in);
    // The rest, with the gzip trailer. Nothing may be written after it.
    std::string finish();

private:
    struct state;
    std::unique_ptr<state> s_;
};

}  // namespace wechatpay::detail
