// The raw request beyond a JSON body, against the simulator over real TLS: extra headers and an
// explicit Wechatpay-Serial, sensitive fields encrypted with the key they name (the openssl
// command line decrypts them with the simulator's private keys), and multipart uploads whose
// signature covers the meta part — the client's checks before any I/O and the simulator's own.
#include "client_env.hpp"

#include "core/multipart.hpp"

#include <cstdio>
#include <fstream>

using namespace wechatpay_test;
using wechatpay::errc;

namespace {

std::string filled(std::string head, std::size_t size) {
    head.resize(size, 'x');
    return head;
}
std::string png(std::size_t size = 4096) { return filled(std::string("\x89PNG\r\n\x1A\n", 8), size); }
std::string jpeg(std::size_t size = 4096) { return filled("\xFF\xD8\xFF\xE0", size); }
std::string mp4(std::size_t size) { return filled(std::string("\0\0\0\x18" "ftypmp42", 12), size); }

// A signed multipart request made by hand (the client would refuse what some tests send):
// the signature covers `signed_part`, the meta JSON unless a test says otherwise.
sim_answer post_multipart(client_env& env, std::string_view target, std::string_view content_type,
                          std::string_view body, std::string_view signed_part) {
    sim_client c(env.sim());
    const auto auth = UNWRAP(merchant_signer().sign_request("POST", target, signed_part));
    return UNWRAP(c.unsigned_call("POST", target, body,
                                  {{"Authorization", auth.authorization}, {"Content-Type", std::string(content_type)}}));
}

sim_answer post_upload(client_env& env, std::string_view target, const wechatpay::upload_file& f,
                       std::string_view mime = "image/png") {
    const auto form = wechatpay::build_upload(f, mime);
    return post_multipart(env, target, form.content_type, form.body, form.meta);
}

sim_answer get_image(client_env& env, std::string_view media_id) {
    sim_client c(env.sim(), merchant_signer());
    return UNWRAP(c.signed_call("GET", "/v3/merchant-service/images/" + std::string(media_id)));
}

std::string shell(const std::string& command) {
    std::string out;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    REQUIRE(pipe);
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
    INFO(command << "\n" << out);
    REQUIRE(::pclose(pipe) == 0);
    return out;
}

// The openssl command line decrypts an OAEP (SHA-1) ciphertext with a private key file.
std::string openssl_oaep_decrypt(const std::string& ciphertext_b64, const std::filesystem::path& key) {
    temp_dir dir;
    const auto in = dir.path() / "c.bin";
    std::ofstream(in, std::ios::binary) << UNWRAP(wechatpay::base64_decode(ciphertext_b64));
    return shell("openssl pkeyutl -decrypt -inkey '" + key.string() + "' -in '" + in.string() +
                 "' -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha1 -pkeyopt rsa_mgf1_md:sha1");
}

std::size_t calls(client_env& env) { return env.client().stats().calls; }

}  // namespace

// ---- extra headers and the Wechatpay-Serial of a call --------------------------------------

TEST_CASE("client: extra headers go out with a raw request; unsafe or SDK-owned ones are refused before any I/O",
          "[client][request][options]") {
    client_env env;
    const std::string no = env.new_order();
    wechatpay::request_options ok;
    ok.headers = {{"Accept-Language", "en"}, {"X-Trace", "a\tb c"}};
    auto a = env.run(env.client().async_request("GET", order_path(no), "", ok));
    REQUIRE(outcome(a) == "ok");
    CHECK(a->status == 200);
    CHECK(a->verified);

    const std::vector<std::pair<std::string, std::string>> refused = {
        {"X-Injected", "1\r\nAuthorization: forged"},  // CR LF: a second header
        {"X-Injected", "1\nHost: evil"},
        {"X-Nul", std::string("a\0b", 3)},
        {"X Bad", "1"},                                 // not a token
        {"X-Injected\r\nHost", "evil"},
        {"", "1"},
        {"Authorization", "WECHATPAY2-SHA256-RSA2048 forged"},
        {"host", "evil.example"},
        {"Content-Length", "0"},
        {"Transfer-Encoding", "chunked"},
        {"Content-Type", "text/plain"},
        {"Connection", "close"},
        {"Wechatpay-Serial", "PUB_KEY_ID_0000"},  // only through request_options::serial
        {"wechatpay-timestamp", "1"},
    };
    const auto before = calls(env);
    for (const auto& [name, value] : refused) {
        wechatpay::request_options o;
        o.headers = {{name, value}};
        auto r = env.run(env.client().async_request("GET", order_path(no), "", o));
        INFO(wechatpay::excerpt(name) << ": " << wechatpay::excerpt(value));
        CHECK(errc_of(r) == errc::invalid_argument);
    }
    wechatpay::request_options twice;
    twice.headers = {{"X-Trace", "1"}, {"x-trace", "2"}};
    CHECK(errc_of(env.run(env.client().async_request("GET", order_path(no), "", twice))) == errc::invalid_argument);
    for (std::string serial : {"PUB_KEY_ID_1\r\nX: y", "not hex", "5157F09EFDC096DE15EBE81A47057A72\n"}) {
        wechatpay::request_options o;
        o.serial = serial;
        CHECK(errc_of(env.run(env.client().async_request("GET", order_path(no), "", o))) == errc::invalid_argument);
    }
    CHECK(calls(env) == before);  // nothing was sent
    CHECK(env.sim_requests() == 2);  // the prepay and the first query only
}

TEST_CASE("client: request_options::serial is the call's Wechatpay-Serial, not the preferred key",
          "[client][request][options]") {
    // The client trusts the WeChat Pay public key only. Naming the platform certificate makes
    // the simulator sign with that certificate, as WeChat Pay does: an answer this client
    // cannot verify proves the named serial went out instead of the preferred PUB_KEY_ID.
    client_env env({.keys = key_mode::public_key});
    const std::string no = env.new_order();
    CHECK(outcome(env.run(env.client().async_request("GET", order_path(no), ""))) == "ok");
    wechatpay::request_options o;
    o.serial = shared_keys::get().platform_cert.serial();
    auto r = env.run(env.client().async_request("GET", order_path(no), "", o));
    CHECK(errc_of(r) == errc::unknown_serial);
    o.serial = shared_keys::get().setup.public_key_id;
    CHECK(outcome(env.run(env.client().async_request("GET", order_path(no), "", o))) == "ok");
}

TEST_CASE("client: encrypt_field names the key it used; the simulator's private key decrypts it (openssl)",
          "[client][request][oaep]") {
    const auto& k = shared_keys::get();
    const auto dir = k.setup.platform_cert.parent_path();
    const std::string secret = "张三 6217000010012345678";
    {
        client_env env({.keys = key_mode::both});  // the public key is preferred
        auto f = env.client().encrypt_field(secret);
        REQUIRE(outcome(f) == "ok");
        CHECK(f->serial == k.setup.public_key_id);
        CHECK(openssl_oaep_decrypt(f->ciphertext, dir / "wechatpay_pub_key_private.pem") == secret);
        // A fresh random padding each time: the ciphertexts differ, the serial does not.
        auto g = env.client().encrypt_field(secret);
        CHECK(g->ciphertext != f->ciphertext);
        CHECK(g->serial == f->serial);
    }
    {
        client_env env({.keys = key_mode::certificate});
        auto f = env.client().encrypt_field(secret);
        REQUIRE(outcome(f) == "ok");
        CHECK(f->serial == k.platform_cert.serial());
        CHECK(openssl_oaep_decrypt(f->ciphertext, dir / "platform_key.pem") == secret);
    }
}

// ---- uploads: the client ---------------------------------------------------------------------

TEST_CASE("client: an image upload answers a media_id; the simulator serves complaint images unsigned",
          "[client][upload]") {
    client_env env;
    const std::string image = png(300 * 1024);
    auto id = env.run(env.client().async_upload_image({"receipt.png", image}));
    REQUIRE(outcome(id) == "ok");
    CHECK(!id->empty());
    // A merchant media upload is no complaint image: the complaint image download does not serve it.
    CHECK(get_image(env, *id).status == 404);
    auto complaint = post_upload(env, wechatpay::complaint_image_upload_target, {"receipt.png", image});
    REQUIRE(complaint.status == 200);
    auto got = get_image(env, str_at(complaint, "/media_id"));
    CHECK(got.status == 200);
    CHECK(wechatpay::sha256_hex(got.body) == wechatpay::sha256_hex(image));  // no 300 KB diff on failure
    CHECK(got.header("Content-Type") == "image/png");
    CHECK_FALSE(got.has_header("Wechatpay-Signature"));  // files are not signed, as at WeChat

    // The complaint-image endpoint through the raw upload: the answer verified, any status a value.
    auto raw = env.run(env.client().async_upload(std::string(wechatpay::complaint_image_upload_target),
                                                 {"evidence.JPG", jpeg(2 * 1024 * 1024)}));
    REQUIRE(outcome(raw) == "ok");
    CHECK(raw->status == 200);
    CHECK(raw->verified);
    const auto media_id = str_at(json::parse(raw->body), "/media_id");
    CHECK(wechatpay::sha256_hex(get_image(env, media_id).body) == wechatpay::sha256_hex(jpeg(2 * 1024 * 1024)));

    auto video = env.run(env.client().async_upload_video({"clip.mp4", mp4(3 * 1024 * 1024)}));
    REQUIRE(outcome(video) == "ok");
    // Videos are not served as complaint images.
    CHECK(get_image(env, *video).status == 404);
    CHECK(get_image(env, "SIMnosuchmedia").status == 404);
}

TEST_CASE("client: uploads WeChat Pay would refuse are refused before any I/O", "[client][upload]") {
    client_env env;
    auto& c = env.client();
    auto image = [&](std::string name, std::string bytes) {
        return errc_of(env.run(c.async_upload_image({std::move(name), std::move(bytes)})));
    };
    CHECK(image("big.png", png(wechatpay::max_image_bytes + 1)) == errc::invalid_argument);
    CHECK(image("fake.png", jpeg()) == errc::invalid_argument);         // magic bytes, not the name
    CHECK(image("clip.mp4", mp4(4096)) == errc::invalid_argument);      // a video at the image endpoint
    CHECK(image("notes.txt", "hello") == errc::invalid_argument);
    CHECK(image("noextension", png()) == errc::invalid_argument);
    CHECK(image("", png()) == errc::invalid_argument);
    CHECK(image("a\"b.png", png()) == errc::invalid_argument);           // would break the part header
    CHECK(image("a\r\nX: y.png", png()) == errc::invalid_argument);
    CHECK(image(std::string(125, 'n') + ".png", png()) == errc::invalid_argument);  // 129 bytes
    CHECK(image("empty.png", "") == errc::invalid_argument);
    CHECK(errc_of(env.run(c.async_upload_video({"big.mp4", mp4(wechatpay::max_video_bytes + 1)}))) ==
          errc::invalid_argument);
    CHECK(errc_of(env.run(c.async_upload("v3/merchant/media/upload", {"a.png", png()}))) == errc::invalid_argument);
    CHECK(calls(env) == 0);
    CHECK(env.sim_requests() == 0);
}

TEST_CASE("client: an upload is retried after a 500; a refused one is an api_error with WeChat's code",
          "[client][upload]") {
    client_env env;
    env.faults(fault("system_error", "/v3/merchant/media/upload", {{"times", 1}}));
    auto r = env.run(env.client().async_upload_image({"a.png", png()}));
    REQUIRE(outcome(r) == "ok");  // the second attempt stores it (a repeated upload is harmless)
    env.faults(fault("frequency_limited", "/v3/merchant/media/upload", {{"times", 10}}));
    auto limited = env.run(env.client().async_upload_image({"a.png", png()}));
    REQUIRE_FALSE(limited);
    CHECK(limited.error().kind() == wechatpay::error_kind::api);
    CHECK(limited.error().http_status == 429);
    CHECK(limited.error().api_code == "FREQUENCY_LIMITED");
}

// ---- uploads: the simulator's checks ------------------------------------------------------

TEST_CASE("sim: an upload signed over the multipart body instead of meta is 401 SIGN_ERROR", "[sim][upload]") {
    client_env env;
    const auto form = wechatpay::build_upload({"a.png", png()}, "image/png");
    auto wrong = post_multipart(env, wechatpay::image_upload_target, form.content_type, form.body, form.body);
    CHECK(wrong.status == 401);
    CHECK(code_of(wrong) == "SIGN_ERROR");
    auto right = post_multipart(env, wechatpay::image_upload_target, form.content_type, form.body, form.meta);
    CHECK(right.status == 200);
    CHECK(!str_at(right, "/media_id").empty());
    CHECK(signature_of(right) == "ok");
}

TEST_CASE("sim: only a POST to a served upload endpoint is read as an upload, and only after the signature",
          "[sim][upload]") {
    client_env env;
    const auto form = wechatpay::build_upload({"a.png", png()}, "image/png");
    // A signed GET carrying a multipart body is signed over that body, not over a meta part.
    constexpr std::string_view certificates = "/v3/certificates";
    sim_client c(env.sim());
    const auto send = [&](std::string_view method, std::string_view target, std::string_view body,
                          std::string_view signed_part) {
        const auto auth = UNWRAP(merchant_signer().sign_request(method, target, signed_part));
        return UNWRAP(c.unsigned_call(method, target, body,
                                      {{"Authorization", auth.authorization}, {"Content-Type", form.content_type}}));
    };
    auto get_over_meta = send("GET", certificates, form.body, form.meta);
    CHECK(get_over_meta.status == 401);
    CHECK(code_of(get_over_meta) == "SIGN_ERROR");
    CHECK(send("GET", certificates, form.body, form.body).status == 200);
    // The marketing image upload is not served: a form there is no upload either.
    auto marketing = send("POST", wechatpay::marketing_image_upload_target, form.body, form.meta);
    CHECK(marketing.status == 401);
    CHECK(code_of(marketing) == "SIGN_ERROR");
    // A bad signature is refused before the form's shape: 401, not 400.
    const std::string unclosed = form.body.substr(0, form.body.rfind("\r\n--"));
    auto forged = post_multipart(env, wechatpay::image_upload_target, form.content_type, unclosed, "not the meta");
    CHECK(forged.status == 401);
    CHECK(code_of(forged) == "SIGN_ERROR");
    auto signed_unclosed = post_multipart(env, wechatpay::image_upload_target, form.content_type, unclosed, form.meta);
    CHECK(signed_unclosed.status == 400);
    CHECK(code_of(signed_unclosed) == "PARAM_ERROR");
}

TEST_CASE("sim: the upload body limit is for POSTs to served upload endpoints only", "[sim][upload]") {
    client_env env;  // max_body: the default 1 MiB
    const std::string over = std::string(1024 * 1024 + 1, 'x');
    sim_client c(env.sim(), merchant_signer());
    for (const auto& [method, target] : std::vector<std::pair<std::string, std::string_view>>{
             {"PUT", wechatpay::video_upload_target},
             {"GET", wechatpay::video_upload_target},
             {"POST", wechatpay::marketing_image_upload_target}}) {
        INFO(method << " " << target);
        auto r = c.signed_call(method, target, over);
        REQUIRE(r);
        CHECK(r->status == 413);
    }
    // A served upload takes its own limit: a 1 MiB+ image reaches the endpoint.
    auto image = post_upload(env, wechatpay::image_upload_target, {"big.png", png(1024 * 1024 + 1)});
    CHECK(image.status == 200);
}

TEST_CASE("sim: uploads checked as WeChat Pay does: sha256, type, size", "[sim][upload]") {
    client_env env;
    const std::string image = png();
    // meta names another file's digest.
    auto form = wechatpay::build_upload({"a.png", image}, "image/png");
    const std::string good_sha = wechatpay::sha256_hex(image), bad_sha = wechatpay::sha256_hex(image + "x");
    auto tampered = form;
    tampered.meta.replace(tampered.meta.find(good_sha), good_sha.size(), bad_sha);
    tampered.body.replace(tampered.body.find(good_sha), good_sha.size(), bad_sha);
    auto a = post_multipart(env, wechatpay::image_upload_target, tampered.content_type, tampered.body, tampered.meta);
    CHECK(a.status == 400);
    CHECK(code_of(a) == "PARAM_ERROR");

    // The digest is compared exactly: the official SDKs send it in lower-case hex.
    auto upper = form;
    std::string upper_sha = good_sha;
    std::transform(upper_sha.begin(), upper_sha.end(), upper_sha.begin(), [](unsigned char ch) { return std::toupper(ch); });
    upper.meta.replace(upper.meta.find(good_sha), good_sha.size(), upper_sha);
    upper.body.replace(upper.body.find(good_sha), good_sha.size(), upper_sha);
    auto b = post_multipart(env, wechatpay::image_upload_target, upper.content_type, upper.body, upper.meta);
    CHECK(b.status == 400);
    CHECK(code_of(b) == "PARAM_ERROR");

    auto over = post_upload(env, wechatpay::image_upload_target, {"big.png", png(wechatpay::max_image_bytes + 1)});
    CHECK(over.status == 400);
    CHECK(code_of(over) == "PARAM_ERROR");
    auto fake = post_upload(env, wechatpay::complaint_image_upload_target, {"fake.png", jpeg()});
    CHECK(fake.status == 400);
    auto video_as_image = post_upload(env, wechatpay::image_upload_target, {"clip.mp4", mp4(4096)}, "video/mp4");
    CHECK(video_as_image.status == 400);
    auto big_video = post_upload(env, wechatpay::video_upload_target, {"clip.mp4", mp4(wechatpay::max_video_bytes + 1)},
                                 "video/mp4");
    CHECK(big_video.status == 400);
    CHECK(code_of(big_video) == "PARAM_ERROR");
}

TEST_CASE("sim: malformed multipart is 400 PARAM_ERROR", "[sim][upload]") {
    client_env env;
    const std::string image = png();
    const auto form = wechatpay::build_upload({"a.png", image}, "image/png");
    const std::string boundary = form.content_type.substr(form.content_type.find('=') + 1);
    const std::string meta_part = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"meta\"\r\n"
                                  "Content-Type: application/json\r\n\r\n" + form.meta + "\r\n";
    const std::string file_part = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; "
                                  "filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n" + image + "\r\n";
    const std::string end = "--" + boundary + "--\r\n";
    // Each signed over what the server authenticates: the meta part it found, else the whole body.
    struct bad {
        std::string what, content_type, body, signed_part;
    };
    const std::string not_json = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\nnot json\r\n";
    const std::vector<bad> cases = {
        {"file before meta", form.content_type, file_part + meta_part + end, form.meta},
        {"no file", form.content_type, meta_part + end, form.meta},
        {"no meta", form.content_type, file_part + end, file_part + end},
        {"a third part", form.content_type,
         meta_part + file_part + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nx\r\n" + end,
         form.meta},
        {"not closed", form.content_type, meta_part + file_part, form.meta},
        {"another boundary", "multipart/form-data; boundary=other", form.body, form.body},
        {"no boundary", "multipart/form-data", form.body, form.body},
        {"boundary too long", "multipart/form-data; boundary=" + std::string(71, 'b'), form.body, form.body},
        {"meta not JSON", form.content_type, not_json + file_part + end, "not json"},
        {"file without filename", form.content_type,
         meta_part + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n" + image + "\r\n" + end,
         form.meta},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        auto a = post_multipart(env, wechatpay::image_upload_target, c.content_type, c.body, c.signed_part);
        CHECK(a.status == 400);
        CHECK(code_of(a) == "PARAM_ERROR");
        // Signed over anything else: the signature is checked first.
        CHECK(post_multipart(env, wechatpay::image_upload_target, c.content_type, c.body, "other").status == 401);
    }
    // A JSON body at an upload endpoint is no upload.
    sim_client signed_client(env.sim(), merchant_signer());
    auto json_body = UNWRAP(signed_client.signed_call("POST", wechatpay::image_upload_target, R"({"filename":"a.png"})"));
    CHECK(json_body.status == 400);
    CHECK(code_of(json_body) == "PARAM_ERROR");
}

TEST_CASE("sim: stored uploads are bounded; the oldest go first", "[sim][upload]") {
    client_env env;
    const auto first = str_at(post_upload(env, wechatpay::complaint_image_upload_target, {"first.png", png(1024)}), "/media_id");
    REQUIRE(get_image(env, first).status == 200);
    // 32 images of 2 MiB exceed the 64 MiB the simulator keeps: the first is gone.
    for (int i = 0; i < 32; ++i)
        REQUIRE(post_upload(env, wechatpay::complaint_image_upload_target, {"big.png", png(wechatpay::max_image_bytes)}).status == 200);
    CHECK(get_image(env, first).status == 404);
    const auto kept = str_at(post_upload(env, wechatpay::complaint_image_upload_target, {"kept.png", png(1024)}), "/media_id");
    REQUIRE(get_image(env, kept).status == 200);
    // 256 more small ones: the count bound.
    for (int i = 0; i < 256; ++i)
        REQUIRE(post_upload(env, wechatpay::complaint_image_upload_target, {"s.png", png(64)}).status == 200);
    CHECK(get_image(env, kept).status == 404);
}
