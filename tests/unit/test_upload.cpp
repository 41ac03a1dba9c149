// Uploads without sockets: the checks WeChat Pay's limits call for, the multipart body built
// and read back (what the simulator accepts and refuses), the extra-header check of a raw
// request, and encrypt_field naming the key it encrypted with.
#include "checks.hpp"
#include "fake_wechatpay.hpp"

#include "core/multipart.hpp"

#include <wechatpay/crypto.hpp>
#include <wechatpay/requests.hpp>
#include <wechatpay/verifier.hpp>

#include <catch2/catch.hpp>

#include <vector>

using wechatpay::errc;
using wechatpay::upload_file;
using namespace wechatpay_test;

namespace {

std::string filled(std::string head, std::size_t size) {
    head.resize(size, 'x');
    return head;
}
const std::string png = filled(std::string("\x89PNG\r\n\x1A\n", 8), 1000);
const std::string jpeg = filled("\xFF\xD8\xFF\xE0", 1000);
const std::string bmp = filled("BM", 1000);

errc image_check(std::string name, std::string bytes) {
    return errc_of(wechatpay::check_upload(wechatpay::image_upload_target, {std::move(name), std::move(bytes)}));
}
errc video_check(std::string name, std::string bytes) {
    return errc_of(wechatpay::check_upload(wechatpay::video_upload_target, {std::move(name), std::move(bytes)}));
}

}  // namespace

TEST_CASE("check_upload: images are JPG, BMP or PNG of at most 2 MiB, told by their magic bytes", "[upload]") {
    CHECK(image_check("a.png", png) == ok);
    CHECK(image_check("a.PNG", png) == ok);
    CHECK(image_check("a.jpg", jpeg) == ok);
    CHECK(image_check("a.bmp", bmp) == ok);
    CHECK(image_check("a.png", filled(png, wechatpay::max_image_bytes)) == ok);
    CHECK(image_check("a.png", filled(png, wechatpay::max_image_bytes + 1)) == errc::invalid_argument);
    CHECK(image_check("a.png", jpeg) == errc::invalid_argument);
    CHECK(image_check("a.jpg", png) == errc::invalid_argument);
    CHECK(image_check("a.bmp", "BM") == errc::invalid_argument);     // too short to be a bitmap
    CHECK(image_check("a.gif", "GIF89a" + png) == errc::invalid_argument);
    CHECK(image_check("a.jpeg", jpeg) == errc::invalid_argument);    // WeChat names .jpg only
    CHECK(image_check("png", png) == errc::invalid_argument);
    CHECK(image_check("a.png", "") == errc::invalid_argument);
    CHECK(image_check("", png) == errc::invalid_argument);
    CHECK(image_check(std::string(124, 'a') + ".png", png) == ok);                     // 128 bytes
    CHECK(image_check(std::string(125, 'a') + ".png", png) == errc::invalid_argument);   // 129
    for (const std::string& bad :
         std::vector<std::string>{"a\".png", "a\\b.png", "dir/a.png", "a\r\n.png", std::string("a\0.png", 6), "a\x7f.png"})
        CHECK(image_check(bad, png) == errc::invalid_argument);
    CHECK(image_check("照片.png", png) == ok);  // UTF-8 names are fine
}

TEST_CASE("check_upload: videos in WeChat's formats of at most 5 MiB at the video endpoint", "[upload]") {
    const std::string mp4 = filled(std::string("\0\0\0\x18" "ftypmp42", 12), 1000);
    CHECK(video_check("a.mp4", mp4) == ok);
    CHECK(video_check("a.mov", mp4) == ok);
    CHECK(video_check("a.mov", filled(std::string("\0\0\0\x08wide", 8), 100)) == ok);
    CHECK(video_check("a.avi", filled(std::string("RIFF\x10\0\0\0AVI LIST", 16), 100)) == ok);
    CHECK(video_check("a.mkv", filled("\x1A\x45\xDF\xA3", 100)) == ok);
    CHECK(video_check("a.flv", filled("FLV\x01", 100)) == ok);
    CHECK(video_check("a.wmv", filled("\x30\x26\xB2\x75\x8E\x66\xCF\x11", 100)) == ok);
    CHECK(video_check("a.mpeg", filled(std::string("\0\0\1\xBA", 4), 100)) == ok);
    CHECK(video_check("a.rmvb", filled(".RMF", 100)) == ok);
    CHECK(video_check("a.mp4", filled(mp4, wechatpay::max_video_bytes)) == ok);
    CHECK(video_check("a.mp4", filled(mp4, wechatpay::max_video_bytes + 1)) == errc::invalid_argument);
    CHECK(video_check("a.mkv", mp4) == errc::invalid_argument);
    CHECK(video_check("a.png", png) == errc::invalid_argument);  // an image at the video endpoint
    CHECK(errc_of(wechatpay::check_upload(wechatpay::image_upload_target, {"a.mp4", mp4})) == errc::invalid_argument);
    // Another target: any of these, within the larger limit.
    CHECK(errc_of(wechatpay::check_upload("/v3/other/upload", {"a.png", filled(png, 3 * 1024 * 1024)})) == ok);
}

TEST_CASE("build_upload: meta then file under a fresh boundary; parse_upload reads it back", "[upload]") {
    const upload_file f{"receipt.png", png};
    const auto meta = wechatpay::upload_meta(f);
    // sha256 as `openssl dgst -sha256` prints it (FIPS 180-2 "abc").
    CHECK(wechatpay::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(meta == R"({"filename":"receipt.png","sha256":")" + wechatpay::sha256_hex(png) + R"("})");
    const auto a = wechatpay::build_upload(f, "image/png"), b = wechatpay::build_upload(f, "image/png");
    CHECK(a.meta == meta);
    CHECK(a.content_type.starts_with("multipart/form-data; boundary="));
    CHECK(a.content_type != b.content_type);  // a fresh boundary each time
    const std::string boundary = a.content_type.substr(a.content_type.find('=') + 1);
    CHECK(a.body.starts_with("--" + boundary + "\r\nContent-Disposition: form-data; name=\"meta\"\r\n"));
    CHECK(a.body.ends_with("\r\n--" + boundary + "--\r\n"));
    CHECK(a.body.find("name=\"file\"; filename=\"receipt.png\"\r\nContent-Type: image/png\r\n\r\n" + png + "\r\n") !=
          std::string::npos);

    auto form = wechatpay::parse_upload(a.content_type, a.body);
    REQUIRE(outcome(form) == "ok");
    CHECK(form->meta == meta);
    CHECK(form->filename == "receipt.png");
    CHECK(form->sha256 == wechatpay::sha256_hex(png));
    CHECK(form->file == png);
    CHECK(form->file_name == "receipt.png");
    // A quoted boundary, other header case, no final CRLF.
    std::string body = a.body;
    body.resize(body.size() - 2);
    auto quoted = wechatpay::parse_upload("Multipart/Form-Data; boundary=\"" + boundary + "\"", body);
    CHECK(outcome(quoted) == "ok");
}

TEST_CASE("build_upload: a boundary found in the file, the filename or the meta is never used", "[upload]") {
    // Candidates drawn in order: each of the first ones occurs somewhere in what the body carries.
    const std::string in_file = "wechatpay-asio-INFILE0123456789", in_name = "wechatpay-asio-INNAME", fresh = "wechatpay-asio-FRESH";
    const std::string file = png + "\r\n--" + in_file + "\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n" +
                             "--" + in_file + "--\r\n";
    const upload_file f{in_name + ".png", file};
    const std::string in_meta = wechatpay::sha256_hex(file);  // only the meta holds the file's digest
    REQUIRE(file.find(in_meta) == std::string::npos);
    std::vector<std::string> candidates{in_file, in_name, in_meta, fresh};
    std::size_t drawn = 0;
    const auto a = wechatpay::build_upload(f, "image/png", [&] { return candidates.at(drawn++); });
    CHECK(drawn == 4);
    CHECK(a.content_type == "multipart/form-data; boundary=" + fresh);
    auto form = wechatpay::parse_upload(a.content_type, a.body);
    REQUIRE(outcome(form) == "ok");
    CHECK(form->file == file);
    CHECK(form->meta == a.meta);
    CHECK(form->file_name == f.filename);
    // The default boundaries: random, never one the file holds.
    const auto b = wechatpay::build_upload(f, "image/png");
    const std::string boundary = b.content_type.substr(b.content_type.find('=') + 1);
    CHECK(boundary.starts_with("wechatpay-asio-"));
    CHECK(file.find(boundary) == std::string::npos);
}

TEST_CASE("uploads: UTF-8 filenames pass whole into meta and the file part; malformed UTF-8 does not", "[upload]") {
    // Boost.JSON writes non-ASCII as it is, unescaped: the signed meta holds the UTF-8 bytes.
    const std::string name = "\xE7\x85\xA7\xE7\x89\x87 (1);a=b.png";  // 照片 (1);a=b.png
    CHECK(image_check(name, png) == ok);
    const upload_file f{name, png};
    CHECK(wechatpay::upload_meta(f) == "{\"filename\":\"" + name + "\",\"sha256\":\"" + wechatpay::sha256_hex(png) + "\"}");
    const auto a = wechatpay::build_upload(f, "image/png");
    CHECK(a.body.find("; filename=\"" + name + "\"\r\n") != std::string::npos);
    auto form = wechatpay::parse_upload(a.content_type, a.body);
    REQUIRE(outcome(form) == "ok");
    CHECK(form->filename == name);   // from meta
    CHECK(form->file_name == name);  // from Content-Disposition: the quoted ';' and '=' are text
    // Not UTF-8: stray continuation, overlong '/', a surrogate, a cut sequence, Latin-1.
    for (const std::string& bad : std::vector<std::string>{"\x80.png", "\xC0\xAF.png", "\xED\xA0\x80.png",
                                                            "a\xE7\x85.png", "caf\xE9.png"}) {
        CAPTURE(wechatpay::excerpt(bad));
        const auto r = wechatpay::check_upload(wechatpay::image_upload_target, {bad, png});
        REQUIRE(errc_of(r) == errc::invalid_argument);
        CHECK(r.error().detail.find("UTF-8") != std::string::npos);
    }
}

TEST_CASE("parse_upload: Content-Disposition parameters are tokens or quoted strings", "[upload]") {
    const auto a = wechatpay::build_upload({"a.png", png}, "image/png");
    const std::string b = a.content_type.substr(a.content_type.find('=') + 1);
    const std::string meta = "--" + b + "\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n" + a.meta + "\r\n";
    const auto file_part = [&](const std::string& disposition) {
        return meta + "--" + b + "\r\nContent-Disposition: " + disposition + "\r\n\r\n" + png + "\r\n--" + b + "--\r\n";
    };
    auto name_of = [&](const std::string& disposition) -> std::string {
        auto form = wechatpay::parse_upload(a.content_type, file_part(disposition));
        return form ? form->file_name : "(refused)";
    };
    CHECK(name_of("form-data; name=\"file\"; filename=\"a;b=c.png\"") == "a;b=c.png");
    CHECK(name_of("form-data; name=file; filename=a.png") == "a.png");
    CHECK(name_of("form-data; filename=\"x\\\"y.png\"; name=\"file\"") == "x\"y.png");
    CHECK(name_of("form-data; name=\"file\"; filename=\"a.png") == "(refused)");  // never closed
    CHECK(name_of("form-data; name=\"file\"; filename") == "(refused)");         // no value: no filename
}

TEST_CASE("parse_upload: refuses what is not meta then file, framed by its boundary", "[upload]") {
    const auto a = wechatpay::build_upload({"a.png", png}, "image/png");
    const std::string b = a.content_type.substr(a.content_type.find('=') + 1);
    const std::string meta = "--" + b + "\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n" + a.meta + "\r\n";
    const std::string file = "--" + b + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n" + png + "\r\n";
    const std::string end = "--" + b + "--\r\n";
    auto refused = [&](const std::string& content_type, const std::string& body) {
        return errc_of(wechatpay::parse_upload(content_type, body)) == errc::invalid_argument;
    };
    CHECK(outcome(wechatpay::parse_upload(a.content_type, meta + file + end)) == "ok");
    CHECK(refused(a.content_type, file + meta + end));
    CHECK(refused(a.content_type, meta + end));
    CHECK(refused(a.content_type, file + end));
    CHECK(refused(a.content_type, end));
    CHECK(refused(a.content_type, meta + file));                    // never closed
    CHECK(refused(a.content_type, meta + file + "--" + b + "xx"));  // delimiter then garbage
    CHECK(refused(a.content_type, "preamble\r\n" + meta + file + end));
    CHECK(refused(a.content_type, meta + file + "--" + b + "\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nx\r\n" + end));
    CHECK(refused(a.content_type, "--" + b + "\r\nContent-Type: text/plain\r\n\r\nx\r\n" + file + end));  // no disposition
    CHECK(refused(a.content_type, "--" + b + "\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n[1]\r\n" + file + end));
    CHECK(refused(a.content_type,
                  meta + "--" + b + "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n" + png + "\r\n" + end));
    CHECK(refused("application/json", a.body));
    CHECK(refused("multipart/form-data", a.body));
    CHECK(refused("multipart/form-data; boundary=", a.body));
    CHECK(refused("multipart/form-data; boundary=" + std::string(71, 'b'), a.body));
    CHECK(refused("multipart/form-data; boundary=a b", a.body));
    CHECK(refused("multipart/form-data; boundary=other", a.body));
}

TEST_CASE("check_extra_header: tokens and safe values only, none the SDK sets", "[request][options]") {
    CHECK(outcome(wechatpay::check_extra_header("Accept-Language", "zh-CN")) == "ok");
    CHECK(outcome(wechatpay::check_extra_header("X-Trace", "a\tb c \xE4\xB8\xAD")) == "ok");
    for (std::string name : {"Authorization", "authorization", "HOST", "Accept", "User-Agent", "Content-Length",
                             "Content-Type", "Content-Encoding", "Transfer-Encoding", "Connection", "Keep-Alive",
                             "Upgrade", "TE", "Trailer", "Expect", "Proxy-Connection", "Wechatpay-Serial",
                             "WECHATPAY-NONCE", "X Y", "X:Y", "X\r\nY", "", "X\xE4"})
        CHECK(errc_of(wechatpay::check_extra_header(name, "1")) == errc::invalid_argument);
    for (const std::string& value :
         std::vector<std::string>{"1\r\nX: y", "1\nX: y", "1\rX", std::string("1\0", 2), "\x7f", "\x1b[31m"})
        CHECK(errc_of(wechatpay::check_extra_header("X-Value", value)) == errc::invalid_argument);
}

TEST_CASE("check_extra_header: every header the SDK owns is refused in any letter case, and named",
          "[request][options]") {
    // Content-* describes the signed body (the SDK's), Accept-Encoding how the answer is read
    // (it is verified as it comes, never decoded), Proxy-Authorization is hop-by-hop.
    for (std::string name : {"Content-MD5", "content-range", "Content-Language", "Content-Location",
                             "Content-Disposition", "CONTENT-TYPE", "content-type", "cOnTeNt-LeNgTh",
                             "Accept-Encoding", "accept-encoding", "Proxy-Authorization", "AUTHORIZATION", "host",
                             "transfer-encoding", "wechatpay-serial", "WeChatPay-Serial", "Wechatpay-Signature",
                             "expect", "user-agent", "ACCEPT", "te", "trailer", "connection", "upgrade"}) {
        CAPTURE(name);
        const auto r = wechatpay::check_extra_header(name, "1");
        REQUIRE(errc_of(r) == errc::invalid_argument);
        CHECK(r.error().detail.find("header " + name + " ") != std::string::npos);
    }
    // The call's Wechatpay-Serial has its own place, and the refusal says where.
    CHECK(wechatpay::check_extra_header("wechatpay-serial", "1").error().detail.find("request_options::serial") !=
          std::string::npos);
    // Names that merely start like an owned one are the caller's.
    for (std::string name : {"Accept-Language", "Hosts", "X-Content-Type", "Contents", "X-Wechatpay-Trace", "Authorization2"})
        CHECK(outcome(wechatpay::check_extra_header(name, "1")) == "ok");
    // A value's refusal names its header too.
    CHECK(wechatpay::check_extra_header("X-Trace", "1\r\nHost: x").error().detail.find("X-Trace") != std::string::npos);
}

TEST_CASE("verifier::encrypt_field: the preferred key encrypts, and its serial comes with the ciphertext",
          "[oaep][options]") {
    const auto& platform = fake_wechatpay::instance();
    const auto by_cert = platform.certificate_verifier().encrypt_field("6217000010012345678");
    REQUIRE(outcome(by_cert) == "ok");
    CHECK(by_cert->serial == platform_serial);
    CHECK(UNWRAP(wechatpay::oaep_decrypt(platform.key(), by_cert->ciphertext)) == "6217000010012345678");
    const auto by_key = platform.public_key_verifier().encrypt_field("x");
    REQUIRE(outcome(by_key) == "ok");
    CHECK(by_key->serial == platform_public_key_id);
    CHECK(UNWRAP(wechatpay::oaep_decrypt(platform.key(), by_key->ciphertext)) == "x");
    CHECK(wechatpay::valid_key_serial(platform_serial));
    CHECK(wechatpay::valid_key_serial(platform_public_key_id));
    for (const std::string& bad :
         std::vector<std::string>{"", "not hex", "D7CE59D1F522D701\r\nX: y", "PUB_KEY_ID_1-2", std::string(65, 'A')})
        CHECK_FALSE(wechatpay::valid_key_serial(bad));
    // No key yet (certificates not downloaded): refused, nothing to name.
    CHECK(errc_of(wechatpay::verifier(std::vector<wechatpay::certificate>{}).encrypt_field("x")) == errc::invalid_argument);
}
