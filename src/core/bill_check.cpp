#include "core/bill_check.hpp"

#include "core/openssl.hpp"

#include <boost/beast/core/string.hpp>

#include <optional>

namespace wechatpay::detail {

struct sha1_hasher::state {
    md_ctx_ptr ctx{EVP_MD_CTX_new()};
};

sha1_hasher::sha1_hasher() : s_(std::make_unique<state>()) {
    if (!s_->ctx || EVP_DigestInit_ex(s_->ctx.get(), EVP_sha1(), nullptr) != 1)
        throw exception(error(errc::crypto_failure, "SHA-1: " + last_openssl_error()));
}
sha1_hasher::~sha1_hasher() = default;

void sha1_hasher::update(std::string_view piece) {
    if (EVP_DigestUpdate(s_->ctx.get(), piece.data(), piece.size()) != 1)
        throw exception(error(errc::crypto_failure, "SHA-1: " + last_openssl_error()));
}

std::string sha1_hasher::hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (EVP_DigestFinal_ex(s_->ctx.get(), md, &len) != 1)
        throw exception(error(errc::crypto_failure, "SHA-1: " + last_openssl_error()));
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) (out += digits[md[i] >> 4]) += digits[md[i] & 15];
    return out;
}

struct bill_check::state {
    std::string expected;
    chunk_sink out;
    std::optional<gunzip_stream> inflate;  // when the download is gzip
    sha1_hasher sha1;
    bill_download summary;
    chunk_sink hashed;  // the bill's bytes: hashed, counted, passed on

    state(const bill_info& bill, chunk_sink o) : expected(bill.hash_value), out(std::move(o)) {
        if (bill.gzip) inflate.emplace();
        hashed = [this](std::string_view piece) -> result<void> {
            sha1.update(piece);
            summary.bill_bytes += piece.size();
            return out(piece);
        };
    }
};

bill_check::bill_check(const bill_info& bill, chunk_sink out) : s_(std::make_unique<state>(bill, std::move(out))) {}
bill_check::~bill_check() = default;

result<void> bill_check::write(std::string_view received) {
    s_->summary.received_bytes += received.size();
    if (s_->inflate) return s_->inflate->write(received, s_->hashed);
    return s_->hashed(received);
}

result<bill_download> bill_check::finish() {
    if (s_->inflate)
        if (auto ended = s_->inflate->finish(); !ended) return ended.error();
    std::string digest = s_->sha1.hex();
    if (!boost::beast::iequals(digest, s_->expected)) return error(errc::hash_mismatch, "bill SHA1 differs from hash_value");
    s_->summary.sha1 = std::move(digest);
    return s_->summary;
}

}  // namespace wechatpay::detail
