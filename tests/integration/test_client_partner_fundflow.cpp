// A sub-merchant's fund-flow bill (GET /v3/bill/sub-merchant-fundflowbill) against the simulator
// over real TLS: the provider asks for a bound sub-merchant's bill, split into several files
// (bill_part_bytes), each AES-256-GCM with a key encrypted to the provider's certificate; the
// client decrypts them as they stream and joins them into the bill — the same bytes an
// independent one-shot decryption of the raw files gives — plain and gzip. A wrong key or
// nonce, a wrong hash, a cut stream: an error and no file. An unbound sub-merchant is refused
// as WeChat refuses it; what WeChat would refuse is refused before any I/O.
#include "partner_env.hpp"
#include "temp_dir.hpp"

#include <wechatpay/crypto.hpp>

#include "core/gzip.hpp"

#include <fstream>

using namespace wechatpay_test;
using namespace wechatpay_test::partner;
using wechatpay::errc;

namespace {

// Files of about three rows each: every bill below comes in several.
client_env_options split_env() {
    auto o = with_default_sub();
    o.sim = [](wechatpay::sim::config& c) { c.bill_part_bytes = 400; };
    return o;
}

std::string read_all(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::size_t entries(const temp_dir& dir) {
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir.path()), {}));
}

wechatpay::sub_fundflow_bill_request basic(const std::string& sub_mchid, bool gzip = false) {
    return {sub_mchid, today_cst(), "BASIC", gzip};
}

// Pays `n` orders of the sub-merchant; their out_trade_nos.
std::vector<std::string> paid_orders(client_env& env, const std::string& sub_mchid, int n) {
    std::vector<std::string> nos;
    for (int i = 0; i < n; ++i) {
        nos.push_back(new_partner_order(env, sub_mchid, 100 + i));
        REQUIRE(outcome(env.sim().pay(sub_mchid, nos.back())) == "ok");
    }
    return nos;
}

// The oracle: the raw file downloaded as it is (async_download_to), then the key unwrapped and
// the whole file decrypted in one call (oaep_decrypt, aes_gcm_decrypt: not the streaming code).
std::string decrypt_whole(client_env& env, const wechatpay::encrypted_bill_part& part, const temp_dir& dir) {
    const auto target = part.download_url.substr(part.download_url.find("/v3/"));
    const auto raw_file = dir / "raw.bin";
    auto raw = env.run(env.client().async_download_to(target, raw_file));
    REQUIRE(outcome(raw) == "ok");
    std::string key = UNWRAP(wechatpay::oaep_decrypt(shared_keys::get().merchant_key, part.encrypt_key));
    CHECK(key.size() == 32);
    auto plain = wechatpay::aes_gcm_decrypt(key, part.nonce, "", wechatpay::base64_encode(read_all(raw_file)));
    std::filesystem::remove(raw_file);
    REQUIRE(outcome(plain) == "ok");
    if (part.gzip) return UNWRAP(wechatpay::detail::gunzip(*plain, 1 << 20));
    return *plain;
}

}  // namespace

TEST_CASE("partner fund-flow bill: several encrypted files, decrypted as they stream, joined into the sub-merchant's "
          "bill, plain and gzip",
          "[client][partner][fundflow]") {
    client_env env(split_env());
    auto& c = env.client();
    temp_dir dir;
    const auto mine = paid_orders(env, sub(0).mchid, 6);
    const auto theirs = paid_orders(env, sub(1).mchid, 1);

    for (bool gzip : {false, true}) {
        CAPTURE(gzip);
        // The list, and each file decrypted by the oracle: its hash is the SHA1 of its plaintext.
        auto list = env.run(c.async_partner_fundflow_bill(basic("", gzip)));  // the default sub-merchant
        REQUIRE(outcome(list) == "ok");
        CHECK(!list->request_id.empty());
        REQUIRE(list->parts.size() >= 2);
        std::string expected;
        for (std::size_t i = 0; i < list->parts.size(); ++i) {
            const auto& part = list->parts[i];
            CHECK(part.bill_sequence == static_cast<std::int64_t>(i + 1));
            CHECK(part.hash_type == "SHA1");
            CHECK(part.gzip == gzip);
            const std::string plain = decrypt_whole(env, part, dir);
            CHECK(wechatpay::sha1_hex(plain) == part.hash_value);
            expected += plain;
        }
        CHECK(expected.starts_with("\xEF\xBB\xBF"));
        for (const auto& no : mine) CHECK(expected.find(no) != std::string::npos);
        CHECK(expected.find(theirs.front()) == std::string::npos);

        // Each file on its own, into a file.
        const auto first = dir / "first.csv";
        auto one = env.run(c.async_download_encrypted_bill_to(list->parts.front(), first));
        REQUIRE(outcome(one) == "ok");
        CHECK(read_all(first) == decrypt_whole(env, list->parts.front(), dir));
        CHECK(one->sha1 == list->parts.front().hash_value);
        std::filesystem::remove(first);

        // All at once into a file: the oracle's bytes (new keys and nonces, the same bill).
        const auto whole = dir / "bill.csv";
        auto d = env.run(c.async_partner_download_fundflow_bill(basic(sub(0).mchid, gzip), whole));
        REQUIRE(outcome(d) == "ok");
        CHECK(read_all(whole) == expected);
        CHECK(d->bill_bytes == expected.size());
        CHECK(d->parts.size() == list->parts.size());
        CHECK(!d->request_id.empty());
        std::uint64_t received = 0;
        for (const auto& p : d->parts) received += p.received_bytes;
        CHECK(d->received_bytes == received);
        if (!gzip) CHECK(d->received_bytes == expected.size() + 16 * d->parts.size());  // + a tag per file
        std::filesystem::remove(whole);

        // And into a sink.
        std::string got;
        wechatpay::download_sink sink = [&got](std::string_view piece) -> wechatpay::result<void> {
            got += piece;
            return {};
        };
        auto s = env.run(c.async_partner_download_fundflow_bill(basic(sub(0).mchid, gzip), sink));
        REQUIRE(outcome(s) == "ok");
        CHECK(got == expected);
    }
    CHECK(entries(dir) == 0);  // no temporary file left

    // The other sub-merchant's bill holds its own order only.
    const auto other = dir / "other.csv";
    REQUIRE(outcome(env.run(c.async_partner_download_fundflow_bill(basic(sub(1).mchid), other))) == "ok");
    const std::string bill = read_all(other);
    CHECK(bill.find(theirs.front()) != std::string::npos);
    for (const auto& no : mine) CHECK(bill.find(no) == std::string::npos);
}

TEST_CASE("partner fund-flow bill: a wrong key, nonce or hash, or a cut stream, leaves an error and no file",
          "[client][partner][fundflow][errors]") {
    client_env env(split_env());
    auto& c = env.client();
    temp_dir dir;
    paid_orders(env, sub(0).mchid, 3);
    const auto file = dir / "bill.csv";
    {
        std::ofstream(file) << "yesterday's";  // a file already there stays as it was
    }
    for (bool gzip : {false, true}) {
        CAPTURE(gzip);
        auto list = env.run(c.async_partner_fundflow_bill(basic(sub(0).mchid, gzip)));
        REQUIRE(outcome(list) == "ok");
        const auto good = list->parts.front();
        // The tag fails whatever was decrypted (garbage may break the gzip stream first).
        const auto refused_as_tampered = [&](const wechatpay::encrypted_bill_part& part) {
            auto d = env.run(c.async_download_encrypted_bill_to(part, file));
            INFO(outcome(d));
            REQUIRE_FALSE(d);
            CHECK((d.error().code == errc::decrypt_failed || (gzip && d.error().code == errc::malformed_gzip)));
            CHECK(read_all(file) == "yesterday's");
            CHECK(entries(dir) == 1);
        };

        auto wrong_nonce = good;
        wrong_nonce.nonce[0] = wrong_nonce.nonce[0] == 'a' ? 'b' : 'a';
        refused_as_tampered(wrong_nonce);

        // Another key, sealed to the provider's certificate as WeChat seals one.
        auto wrong_key = good;
        wrong_key.encrypt_key =
            UNWRAP(wechatpay::oaep_encrypt(shared_keys::get().merchant_cert.key(), std::string(32, 'k')));
        refused_as_tampered(wrong_key);

        // A key the provider cannot open, or not an AES-256 key: refused before the download.
        const auto downloads = env.sim_requests("/v3/billdownload/file");
        auto garbage_key = good;
        garbage_key.encrypt_key = wechatpay::base64_encode(std::string(256, 'x'));
        CHECK(errc_of(env.run(c.async_download_encrypted_bill_to(garbage_key, file))) == errc::decrypt_failed);
        auto short_key = good;
        short_key.encrypt_key = UNWRAP(wechatpay::oaep_encrypt(shared_keys::get().merchant_cert.key(), "16-byte-aes-key!"));
        CHECK(errc_of(env.run(c.async_download_encrypted_bill_to(short_key, file))) == errc::decrypt_failed);
        CHECK(env.sim_requests("/v3/billdownload/file") == downloads);

        auto wrong_hash = good;
        wrong_hash.hash_value = wechatpay::sha1_hex("another bill");
        CHECK(errc_of(env.run(c.async_download_encrypted_bill_to(wrong_hash, file))) == errc::hash_mismatch);
        CHECK(read_all(file) == "yesterday's");

        // A stream cut in the middle: a transport error, never repeated, nothing written.
        env.faults(fault("close_mid_body", "/v3/billdownload/file", {{"times", 1}}));
        const auto before = env.sim_requests("/v3/billdownload/file");
        auto cut = env.run(c.async_partner_download_fundflow_bill(basic(sub(0).mchid, gzip), file));
        REQUIRE_FALSE(cut);
        CHECK(cut.error().kind() == wechatpay::error_kind::transport);
        CHECK(env.sim_requests("/v3/billdownload/file") == before + 1);
        CHECK(read_all(file) == "yesterday's");
        CHECK(entries(dir) == 1);
    }
}

TEST_CASE("partner fund-flow bill: an unbound sub-merchant, an expired download_url and bad requests are refused",
          "[client][partner][fundflow][errors]") {
    client_env env(split_env());
    auto& c = env.client();
    temp_dir dir;
    paid_orders(env, sub(0).mchid, 1);

    // A sub-merchant not bound to the provider: WeChat's 400 INVALID_REQUEST, and no file.
    const std::string stranger = "1900009999";
    check_refused(env.run(c.async_partner_fundflow_bill(basic(stranger))), 400, "INVALID_REQUEST");
    check_refused(env.run(c.async_partner_download_fundflow_bill(basic(stranger), dir / "x.csv")), 400,
                  "INVALID_REQUEST");
    CHECK(entries(dir) == 0);
    // A day without a fund movement of that account: NO_STATEMENT_EXIST.
    check_refused(env.run(c.async_partner_fundflow_bill({sub(0).mchid, today_cst(), "OPERATION", false})), 400,
                  "NO_STATEMENT_EXIST");

    // Refused before any I/O: a bad date or account_type, a sub_mchid too long, an empty sink,
    // a download_url off the WeChat Pay host, a hash other than SHA1.
    const auto before = env.sim_requests();
    CHECK(errc_of(env.run(c.async_partner_fundflow_bill({"", "2025-02-30", "BASIC", false}))) == errc::invalid_argument);
    CHECK(errc_of(env.run(c.async_partner_fundflow_bill({"", today_cst(), "ALL", false}))) == errc::invalid_argument);
    CHECK(errc_of(env.run(c.async_partner_fundflow_bill({std::string(33, '1'), today_cst(), "BASIC", false}))) ==
          errc::invalid_argument);
    CHECK(errc_of(env.run(c.async_partner_download_fundflow_bill(basic(""), wechatpay::download_sink{}))) ==
          errc::invalid_argument);
    wechatpay::encrypted_bill_part elsewhere{1, "https://example.com/v3/billdownload/file?token=x", "k", "n", "SHA1", "0"};
    CHECK(errc_of(env.run(c.async_download_encrypted_bill_to(elsewhere, dir / "y.csv"))) == errc::invalid_argument);
    CHECK(env.sim_requests() == before);
    CHECK(entries(dir) == 0);

    // A download_url lives 30 s, as WeChat's: later it is refused, and no file.
    auto list = env.run(c.async_partner_fundflow_bill(basic(sub(0).mchid)));
    REQUIRE(outcome(list) == "ok");
    REQUIRE(outcome(env.sim().advance_clock(std::chrono::seconds(31))) == "ok");
    check_refused(env.run(c.async_download_encrypted_bill_to(list->parts.front(), dir / "late.csv")), 400,
                  "INVALID_REQUEST");
    CHECK(entries(dir) == 0);

    // No sub_mchid and no default in the config: refused before I/O.
    client_env plain;
    const auto plain_before = plain.sim_requests();
    CHECK(errc_of(plain.run(plain.client().async_partner_fundflow_bill(basic("")))) == errc::invalid_argument);
    CHECK(plain.sim_requests() == plain_before);
}
