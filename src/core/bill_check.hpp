// A bill checked while it streams in: gunzipped when it is gzip, its SHA1 computed over the
// bill itself, each piece passed on at once. Memory stays one buffer whatever the bill's size.
#pragma once

#include <wechatpay/requests.hpp>

#include "core/gzip.hpp"

#include <memory>
#include <string_view>

namespace wechatpay::detail {

// SHA1 over bytes given in pieces (the hash WeChat gives with a bill).
class sha1_hasher {
public:
    sha1_hasher();
    ~sha1_hasher();
    sha1_hasher(const sha1_hasher&) = delete;
    sha1_hasher& operator=(const sha1_hasher&) = delete;
    void update(std::string_view piece);
    std::string hex();  // lower case; once, after the last update

private:
    struct state;
    std::unique_ptr<state> s_;
};

class bill_check {
public:
    // `out` gets the bill's bytes in order; an error from it stops the download.
    bill_check(const bill_info& bill, chunk_sink out);
    ~bill_check();
    bill_check(const bill_check&) = delete;
    bill_check& operator=(const bill_check&) = delete;

    // Bytes as received (compressed when gzip).
    result<void> write(std::string_view received);
    // After the last byte: a complete gzip stream, and a SHA1 equal to the bill's hash_value
    // (errc::malformed_gzip, errc::hash_mismatch otherwise).
    result<bill_download> finish();

private:
    struct state;
    std::unique_ptr<state> s_;
};

}  // namespace wechatpay::detail
