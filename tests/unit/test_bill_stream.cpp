// Bills checked while they stream (core, no sockets): gzip inflated in pieces of any size, the
// SHA1 taken on the way, a truncated or corrupt stream and a wrong hash refused, and the
// download's file written beside its destination and renamed onto it only when whole; an
// encrypted bill decrypted as it streams, its GCM tag checked at the end.
#include "checks.hpp"
#include "temp_dir.hpp"

#include <wechatpay/crypto.hpp>

#include "core/bill_check.hpp"
#include "core/files.hpp"
#include "core/gcm_stream.hpp"
#include "core/gzip.hpp"

#include <fstream>
#include <random>

using namespace wechatpay_test;
using wechatpay::errc;
namespace detail = wechatpay::detail;

namespace {

// Bytes that compress poorly and well by turns: several inflate buffers' worth.
std::string sample_bill(std::size_t size) {
    std::string s;
    std::minstd_rand rng(42);
    while (s.size() < size) {
        s += "`2026-12-06 10:00:00,`wx0000,`1900000109,`";
        for (int i = 0; i < 40; ++i) s += static_cast<char>('a' + rng() % 26);
        s += "\r\n";
    }
    s.resize(size);
    return s;
}

wechatpay::bill_info info_of(const std::string& bill, bool gzip) {
    return {"SHA1", wechatpay::sha1_hex(bill), "https://example/", gzip};
}

// Feeds `received` to a check in pieces of `piece` bytes; the bill it passed on in `out`.
wechatpay::result<wechatpay::bill_download> feed(const wechatpay::bill_info& info, std::string_view received,
                                                 std::size_t piece, std::string& out, std::size_t& largest) {
    detail::bill_check check(info, [&](std::string_view s) -> wechatpay::result<void> {
        largest = std::max(largest, s.size());
        out += s;
        return {};
    });
    for (std::size_t at = 0; at < received.size(); at += piece)
        if (auto ok = check.write(received.substr(at, piece)); !ok) return ok.error();
    return check.finish();
}

}  // namespace

TEST_CASE("bill check: plain and gzip bills pass whole, in pieces of any size, hashed on the way", "[bill]") {
    const std::string bill = sample_bill(700 * 1024);
    const std::string gz = detail::gzip(bill);
    REQUIRE(gz.size() < bill.size());
    for (std::size_t piece : {std::size_t(1) << 20, std::size_t(65536), std::size_t(4093)}) {
        for (bool gzip : {false, true}) {
            CAPTURE(piece, gzip);
            std::string out;
            std::size_t largest = 0;
            auto d = feed(info_of(bill, gzip), gzip ? gz : bill, piece, out, largest);
            REQUIRE(outcome(d) == "ok");
            CHECK(out == bill);
            CHECK(largest <= (gzip ? std::size_t(64 * 1024) : piece));  // inflated: 64 KiB at most; plain: as received
            CHECK(d->bill_bytes == bill.size());
            CHECK(d->received_bytes == (gzip ? gz.size() : bill.size()));
            CHECK(d->sha1 == wechatpay::sha1_hex(bill));
        }
    }
    const std::string small = sample_bill(3000);  // byte by byte
    std::string out;
    std::size_t largest = 0;
    CHECK(outcome(feed(info_of(small, true), detail::gzip(small), 1, out, largest)) == "ok");
    CHECK(out == small);
}

TEST_CASE("bill check: a wrong hash, a truncated or corrupt gzip stream are errors", "[bill]") {
    const std::string bill = sample_bill(300 * 1024);
    const std::string gz = detail::gzip(bill);
    std::string out;
    std::size_t largest = 0;

    auto wrong = info_of(bill, false);
    wrong.hash_value = wechatpay::sha1_hex("another bill");
    CHECK(errc_of(feed(wrong, bill, 65536, out, largest)) == errc::hash_mismatch);
    // The hash is compared without regard to case (WeChat's examples use upper case).
    auto upper = info_of(bill, false);
    for (auto& c : upper.hash_value) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK(outcome(feed(upper, bill, 65536, out, largest)) == "ok");

    for (std::size_t cut : {gz.size() - 1, gz.size() - 8, gz.size() / 2, std::size_t(10)}) {
        CAPTURE(cut);
        out.clear();
        CHECK(errc_of(feed(info_of(bill, true), std::string_view(gz).substr(0, cut), 4096, out, largest)) ==
              errc::malformed_gzip);
    }
    CHECK(errc_of(feed(info_of(bill, true), bill, 4096, out, largest)) == errc::malformed_gzip);  // not gzip
    std::string corrupt = gz;
    corrupt[corrupt.size() / 2] ^= 0x55;
    CHECK(errc_of(feed(info_of(bill, true), corrupt, 4096, out, largest)) != ok);
    CHECK(errc_of(feed(info_of(bill, true), gz + "trailing", 4096, out, largest)) == errc::malformed_gzip);
}

TEST_CASE("bill check: an error from the sink stops the stream and is returned as is", "[bill]") {
    const std::string bill = sample_bill(200 * 1024);
    int calls = 0;
    detail::bill_check check(info_of(bill, false), [&](std::string_view) -> wechatpay::result<void> {
        ++calls;
        return wechatpay::error(errc::file_unreadable, "disk full");
    });
    auto r = check.write(bill);
    CHECK(errc_of(r) == errc::file_unreadable);
    CHECK(calls == 1);
}

TEST_CASE("gzip_stream and gunzip agree on a bill written in pieces", "[bill]") {
    const std::string bill = sample_bill(500 * 1024);
    detail::gzip_stream z;
    std::string gz;
    for (std::size_t at = 0; at < bill.size(); at += 10000) gz += z.write(std::string_view(bill).substr(at, 10000));
    gz += z.finish();
    CHECK(UNWRAP(detail::gunzip(gz, bill.size())) == bill);
    CHECK(errc_of(detail::gunzip(gz, bill.size() - 1)) == errc::malformed_gzip);
}

TEST_CASE("partial_file: the destination appears only on commit; otherwise nothing is left", "[bill][files]") {
    temp_dir dir;
    const auto dest = dir / "bill.csv";
    auto entries = [&] { return std::distance(std::filesystem::directory_iterator(dir.path()), {}); };
    {
        auto f = UNWRAP(wechatpay::partial_file::create(dest));
        CHECK(f.temporary().parent_path() == dir.path());
        CHECK(outcome(f.write("half a bill")) == "ok");
        CHECK(std::filesystem::exists(f.temporary()));
        CHECK_FALSE(std::filesystem::exists(dest));
    }
    CHECK(entries() == 0);  // dropped uncommitted: the temporary file is gone

    {
        std::ofstream(dest) << "yesterday's bill";
        auto f = UNWRAP(wechatpay::partial_file::create(dest));
        CHECK(outcome(f.write("a failed download")) == "ok");
    }
    std::ifstream kept(dest);
    CHECK(std::string(std::istreambuf_iterator<char>(kept), {}) == "yesterday's bill");

    auto f = UNWRAP(wechatpay::partial_file::create(dest));
    CHECK(outcome(f.write("today's ")) == "ok");
    CHECK(outcome(f.write("bill")) == "ok");
    CHECK(outcome(f.commit()) == "ok");
    std::ifstream now(dest);
    CHECK(std::string(std::istreambuf_iterator<char>(now), {}) == "today's bill");
    CHECK(entries() == 1);

    CHECK(errc_of(wechatpay::partial_file::create(dir / "no-such-dir" / "bill.csv")) == errc::file_unreadable);
}

// ---- AES-256-GCM decrypted as it streams (encrypted bills) --------------------------------

namespace {

// The one-shot encryption's bytes: ciphertext then the 16-byte tag.
std::string sealed(std::string_view key, std::string_view iv, std::string_view plain) {
    return UNWRAP(wechatpay::base64_decode(UNWRAP(wechatpay::aes_gcm_encrypt(key, iv, "", plain))));
}

// `data` through a gcm_decrypt_stream in pieces of 1 to `max_piece` bytes.
wechatpay::result<std::string> stream_open(std::string_view key, std::string_view iv, const std::string& data,
                                           std::size_t max_piece, std::mt19937& rng) {
    std::string out;
    auto gcm = detail::gcm_decrypt_stream::open(key, iv, "", [&out](std::string_view p) -> wechatpay::result<void> {
        out += p;
        return {};
    });
    if (!gcm) return gcm.error();
    std::uniform_int_distribution<std::size_t> size(1, max_piece);
    for (std::size_t at = 0; at < data.size();) {
        const std::size_t n = std::min(size(rng), data.size() - at);
        if (auto ok = gcm->write(std::string_view(data).substr(at, n)); !ok) return ok.error();
        at += n;
    }
    if (auto ok = gcm->finish(); !ok) return ok.error();
    return out;
}

}  // namespace

TEST_CASE("AES-256-GCM streamed: pieces of any size give the one-shot plaintext; the tag is checked at the end",
          "[bill][gcm]") {
    std::mt19937 rng(20261207);
    const std::string key(32, 'K'), iv = "a8607ef79034c49c";  // WeChat's example nonce: 16 characters
    for (std::size_t len : {0u, 1u, 15u, 16u, 17u, 1000u, 200000u}) {
        CAPTURE(len);
        std::string plain(len, '\0');
        for (auto& ch : plain) ch = static_cast<char>(rng());
        const std::string file = sealed(key, iv, plain);
        for (std::size_t piece : {1u, 7u, 16u, 17u, 70000u}) {
            CAPTURE(piece);
            CHECK(UNWRAP(stream_open(key, iv, file, piece, rng)) == plain);
        }
        // Any byte changed — ciphertext or tag — fails the tag.
        for (std::size_t at : {std::size_t(0), file.size() / 2, file.size() - 17, file.size() - 16, file.size() - 1}) {
            if (at >= file.size()) continue;
            CAPTURE(at);
            std::string bad = file;
            bad[at] = static_cast<char>(bad[at] ^ 0x01);
            CHECK(errc_of(stream_open(key, iv, bad, 13, rng)) == errc::decrypt_failed);
        }
        CHECK(errc_of(stream_open(std::string(32, 'L'), iv, file, 100, rng)) == errc::decrypt_failed);
        CHECK(errc_of(stream_open(key, "a8607ef79034c49d", file, 100, rng)) == errc::decrypt_failed);
    }
    // Shorter than a tag; a key that is not AES-256; no nonce.
    CHECK(errc_of(stream_open(key, iv, std::string(15, 'x'), 4, rng)) == errc::decrypt_failed);
    CHECK(errc_of(stream_open(std::string(16, 'K'), iv, sealed(key, iv, "x"), 4, rng)) == errc::invalid_argument);
    CHECK(errc_of(stream_open(key, "", sealed(key, iv, "x"), 4, rng)) == errc::invalid_argument);

    // The sink's error stops the stream, and it stays stopped.
    const std::string file = sealed(key, iv, std::string(100, 'p'));
    auto gcm = UNWRAP(detail::gcm_decrypt_stream::open(key, iv, "", [](std::string_view) -> wechatpay::result<void> {
        return wechatpay::error(errc::file_unreadable, "disk full");
    }));
    CHECK(errc_of(gcm.write(file)) == errc::file_unreadable);
    CHECK(errc_of(gcm.finish()) == errc::invalid_argument);
}
