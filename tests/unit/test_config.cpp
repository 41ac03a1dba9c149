// Client configuration: the JSON file (every field, relative paths, errors naming the field),
// WECHATPAY_* environment variables, validate() and a to_string() that never shows a secret.
#include "checks.hpp"
#include "temp_dir.hpp"
#include "vectors.hpp"

#include <wechatpay/config.hpp>

#include <boost/json.hpp>

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

using wechatpay::client_config;
using wechatpay::endpoint_class;
using wechatpay::errc;
using wechatpay::load_client_config;
using namespace wechatpay_test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

constexpr std::string_view public_key_id = "PUB_KEY_ID_0114232134912410000000000000";

// A temp dir holding the key files in keys/ and a config.json that names them relatively.
struct config_dir {
    temp_dir dir;

    config_dir() {
        std::filesystem::create_directory(dir / "keys");
        dir.write("keys/merchant_key.pem", read_vector(files::java_merchant_key));
        dir.write("keys/merchant_cert.pem", read_vector(files::java_merchant_cert));
        dir.write("keys/platform_a.pem", read_vector(files::java_wechatpay_cert));
        dir.write("keys/platform_b.pem", read_vector(files::go_cert_f576));
        dir.write("keys/wechatpay_public_key.pem", read_vector(files::java_wechatpay_public_key));
    }

    // Every setting, none at its default.
    static json::object full() {
        return json::parse(R"({
            "mchid": "1900000109", "appid": "wxd678efh567hg6787",
            "merchant": {"private_key": "keys/merchant_key.pem", "certificate": "keys/merchant_cert.pem"},
            "apiv3_key": "0123456789abcdefghijklmnopqrstuv",
            "wechatpay": {"certificates": ["keys/platform_a.pem", "keys/platform_b.pem"],
                          "public_key": {"id": "PUB_KEY_ID_0114232134912410000000000000",
                                         "file": "keys/wechatpay_public_key.pem"}},
            "endpoint": {"host": "127.0.0.1", "backup_host": "", "port": 8443, "ca_file": "ca/test_ca.pem"},
            "pool": {"max_sessions": 8, "idle_timeout_ms": 3000, "max_age_ms": 60000, "acquire_timeout_ms": 250,
                     "keep_alive": false},
            "timeouts": {"connect_ms": 1500, "request_ms": 2500},
            "retry": {"max_attempts": 5, "base_delay_ms": 10, "max_delay_ms": 400, "rate_limited_delay_ms": 700},
            "user_agent": "shop/2.0", "certificate_refresh_s": 3600
        })").as_object();
    }

    // Only what a client needs: mchid, the key and serial, the APIv3 key (certificates download).
    static json::object minimal() {
        return json::parse(R"({"mchid": "1900000109",
            "merchant": {"private_key": "keys/merchant_key.pem", "serial": "5F1C72E2A8931B72A2E13AF8DEE92471EB397115"},
            "apiv3_key": "0123456789abcdefghijklmnopqrstuv"})").as_object();
    }

    std::filesystem::path write(const json::object& config) const {
        return dir.write("config.json", json::serialize(config));
    }
    wechatpay::result<client_config> load(const json::object& config) const { return load_client_config(write(config)); }
};

// A configuration built in code that validate() accepts; tests break one field at a time.
client_config valid_config() {
    client_config cfg;
    cfg.mchid = "1900000109";
    cfg.merchant_key = load_private_key(files::java_merchant_key);
    cfg.merchant_certificate = load_certificate(files::java_merchant_cert);
    cfg.apiv3 = UNWRAP(wechatpay::apiv3_key::from(test_apiv3_key));
    return cfg;
}

// The error detail of a failed result (empty on success).
template <class T>
std::string detail_of(const wechatpay::result<T>& r) {
    return r ? std::string() : r.error().detail;
}

// An injectable getenv over a fixed set of variables.
std::function<const char*(const char*)> env_of(const std::map<std::string, std::string>& vars) {
    return [&vars](const char* name) -> const char* {
        const auto it = vars.find(name);
        return it == vars.end() ? nullptr : it->second.c_str();
    };
}

}  // namespace

TEST_CASE("log levels have names", "[config]") {
    CHECK(std::string_view(to_string(wechatpay::log_level::debug)) == "debug");
    CHECK(std::string_view(to_string(wechatpay::log_level::info)) == "info");
    CHECK(std::string_view(to_string(wechatpay::log_level::warning)) == "warning");
    CHECK(std::string_view(to_string(wechatpay::log_level::error)) == "error");
}

TEST_CASE("load_client_config reads every field of the file", "[config]") {
    const config_dir d;
    const auto cfg = UNWRAP(d.load(config_dir::full()));

    CHECK(cfg.mchid == "1900000109");
    CHECK(cfg.appid == "wxd678efh567hg6787");
    REQUIRE(cfg.merchant_key);
    CHECK(cfg.merchant_key->public_part() == load_private_key(files::java_merchant_key).public_part());
    REQUIRE(cfg.merchant_certificate);
    CHECK(cfg.merchant_certificate->serial() == "5F1C72E2A8931B72A2E13AF8DEE92471EB397115");
    CHECK(cfg.merchant_serial.empty());
    REQUIRE(cfg.apiv3);
    CHECK(cfg.apiv3->bytes() == test_apiv3_key);
    REQUIRE(cfg.wechatpay_certificates.size() == 2);
    CHECK(cfg.wechatpay_certificates[0].serial() == "440024045C4A427599D09BB4E3DE0279F2E813FD");
    CHECK(cfg.wechatpay_certificates[1].serial() == "F5765756002FDD77");
    REQUIRE(cfg.wechatpay_public_key);
    CHECK(cfg.wechatpay_public_key->id == public_key_id);
    CHECK(cfg.wechatpay_public_key->key == load_public_key(files::java_wechatpay_public_key));
    CHECK_FALSE(cfg.downloads_certificates());
    CHECK(cfg.certificate_refresh == 3600s);

    CHECK(cfg.endpoint.host == "127.0.0.1");
    CHECK(cfg.endpoint.backup_host.empty());
    CHECK(cfg.endpoint.port == 8443);
    CHECK(cfg.endpoint.ca_file == d.dir / "ca/test_ca.pem");
    CHECK(cfg.pool.max_sessions == 8);
    CHECK(cfg.pool.idle_timeout == 3000ms);
    CHECK(cfg.pool.max_age == 60000ms);
    CHECK(cfg.pool.acquire_timeout == 250ms);
    CHECK_FALSE(cfg.pool.keep_alive);
    CHECK(cfg.timeouts.connect == 1500ms);
    CHECK(cfg.timeouts.request == 2500ms);
    CHECK(cfg.retry.max_attempts == 5);
    CHECK(cfg.retry.base_delay == 10ms);
    CHECK(cfg.retry.max_delay == 400ms);
    CHECK(cfg.retry.rate_limited_delay == 700ms);
    CHECK(cfg.user_agent == "shop/2.0");
}

TEST_CASE("a minimal file keeps the documented defaults", "[config]") {
    const config_dir d;
    const auto cfg = UNWRAP(d.load(config_dir::minimal()));
    const client_config defaults;

    CHECK(cfg.mchid == "1900000109");
    CHECK(cfg.appid.empty());
    CHECK(cfg.merchant_key.has_value());
    CHECK_FALSE(cfg.merchant_certificate.has_value());
    CHECK(cfg.merchant_serial == "5F1C72E2A8931B72A2E13AF8DEE92471EB397115");
    CHECK(cfg.downloads_certificates());
    CHECK(cfg.certificate_refresh == defaults.certificate_refresh);
    CHECK(cfg.endpoint.host == "api.mch.weixin.qq.com");
    CHECK(cfg.endpoint.backup_host == "api2.mch.weixin.qq.com");
    CHECK(cfg.endpoint.port == 443);
    CHECK(cfg.endpoint.ca_file.empty());
    CHECK(cfg.pool.max_sessions == defaults.pool.max_sessions);
    CHECK(cfg.pool.idle_timeout == defaults.pool.idle_timeout);
    CHECK(cfg.pool.max_age == defaults.pool.max_age);
    CHECK(cfg.pool.acquire_timeout == defaults.pool.acquire_timeout);
    CHECK(cfg.pool.keep_alive);
    CHECK(cfg.timeouts.connect == defaults.timeouts.connect);
    CHECK(cfg.timeouts.request == defaults.timeouts.request);
    CHECK(cfg.retry.max_attempts == defaults.retry.max_attempts);
    CHECK(cfg.retry.base_delay == defaults.retry.base_delay);
    CHECK(cfg.user_agent == defaults.user_agent);
}

TEST_CASE("rate_limits: WeChat's limits or exact buckets, over the documented rates", "[config][limiter]") {
    const config_dir d;
    CHECK_FALSE(UNWRAP(d.load(config_dir::minimal())).rate_limits);  // none unless asked
    auto config = config_dir::minimal();
    config["rate_limits"] = json::parse(R"({"payment_query": 1800, "refund": {"per_second": 50, "burst": 5},
                                             "transfer_create": 0, "transfer_query": null})");
    const auto cfg = UNWRAP(d.load(config));
    REQUIRE(cfg.rate_limits);
    const auto& t = *cfg.rate_limits;
    const auto at = [&t](endpoint_class c) { return t[static_cast<std::size_t>(c)]; };
    CHECK(at(endpoint_class::payment_query).per_second == wechatpay::rate::under(1800).per_second);
    CHECK(at(endpoint_class::payment_query).burst == wechatpay::rate::under(1800).burst);
    CHECK(at(endpoint_class::refund).per_second == 50);
    CHECK(at(endpoint_class::refund).burst == 5);
    CHECK_FALSE(at(endpoint_class::transfer_create).limited());  // 0: unlimited
    // Classes not named (or null) keep documented_rates().
    CHECK(at(endpoint_class::transfer_query).per_second ==
          wechatpay::documented_rates()[static_cast<std::size_t>(endpoint_class::transfer_query)].per_second);
    CHECK_FALSE(at(endpoint_class::prepay).limited());
    CHECK_THAT(cfg.to_string(), Catch::Contains("rate_limits: payment_query 1260/s burst 180, refund 50/s burst 5, "
                                                "transfer_query 70/s burst 10, profit_sharing 21/s burst 3"));
}

TEST_CASE("relative paths are relative to the config file; absolute ones are kept", "[config]") {
    const config_dir d;
    // The working directory is elsewhere: only resolving against the file's directory finds keys/.
    REQUIRE_FALSE(std::filesystem::exists("keys/merchant_key.pem"));
    auto config = config_dir::minimal();
    SECTION("relative") {
        CHECK(outcome(d.load(config)) == "ok");
    }
    SECTION("absolute") {
        config["merchant"].as_object()["private_key"] = (d.dir / "keys/merchant_key.pem").string();
        config["endpoint"] = {{"ca_file", "/etc/ssl/certs/ca-certificates.crt"}};
        const auto cfg = UNWRAP(d.load(config));
        CHECK(cfg.endpoint.ca_file == "/etc/ssl/certs/ca-certificates.crt");
    }
    SECTION("a key file missing next to the config names the resolved path") {
        config["merchant"].as_object()["private_key"] = "keys/absent.pem";
        const auto r = d.load(config);
        CHECK(errc_of(r) == errc::file_unreadable);
        CHECK(detail_of(r) ==
              "merchant.private_key: file cannot be read: \"" + (d.dir / "keys/absent.pem").string() +
                  "\": No such file or directory");
    }
}

TEST_CASE("every load error names its field", "[config]") {
    const config_dir d;
    struct failure_case {
        const char* what;
        std::function<void(json::object&)> change;
        errc expected;
        std::string detail_prefix;
    };
    auto merchant = [](json::object& c) -> json::object& { return c["merchant"].as_object(); };
    const std::vector<failure_case> cases = {
        {"mchid not a string", [](json::object& c) { c["mchid"] = 1900000109; },
         errc::invalid_argument, "mchid: must be a string"},
        {"merchant not an object", [](json::object& c) { c["merchant"] = "keys/merchant_key.pem"; },
         errc::invalid_argument, "merchant: must be an object"},
        {"private key not PEM", [&](json::object& c) { merchant(c)["private_key"] = "keys/merchant_cert.pem"; },
         errc::not_pem, "merchant.private_key: \"" + (d.dir / "keys/merchant_cert.pem").string() + "\": "},
        {"certificate unreadable", [&](json::object& c) { merchant(c)["certificate"] = "keys/none.pem"; },
         errc::file_unreadable,
         "merchant.certificate: file cannot be read: \"" + (d.dir / "keys/none.pem").string() + "\""},
        {"certificate of another key", [&](json::object& c) { merchant(c)["certificate"] = "keys/platform_a.pem"; },
         errc::key_mismatch, "merchant.certificate: "},
        {"serial not a string", [&](json::object& c) { merchant(c)["serial"] = json::array{}; },
         errc::invalid_argument, "merchant.serial: must be a string"},
        {"APIv3 key too short", [](json::object& c) { c["apiv3_key"] = "0123456789abcdefghijklmnopqrstu"; },
         errc::invalid_apiv3_key, "apiv3_key: must be 32 bytes"},
        {"certificates not an array", [](json::object& c) { c["wechatpay"] = {{"certificates", "keys/platform_a.pem"}}; },
         errc::invalid_argument, "wechatpay.certificates: must be an array of file names"},
        {"second certificate unreadable",
         [](json::object& c) { c["wechatpay"] = {{"certificates", {"keys/platform_a.pem", "keys/gone.pem"}}}; },
         errc::file_unreadable, "wechatpay.certificates[1]: file cannot be read: "},
        {"public key without a file",
         [](json::object& c) { c["wechatpay"] = {{"public_key", {{"id", "PUB_KEY_ID_1"}}}}; },
         errc::invalid_argument, "wechatpay.public_key.file: required"},
        {"public key without an id",
         [](json::object& c) { c["wechatpay"] = {{"public_key", {{"file", "keys/wechatpay_public_key.pem"}}}}; },
         errc::invalid_argument, "wechatpay.public_key.id: required"},
        {"public key id without its prefix",
         [](json::object& c) {
             c["wechatpay"] = {{"public_key", {{"id", "0114232134912410"}, {"file", "keys/wechatpay_public_key.pem"}}}};
         },
         errc::invalid_argument, "wechatpay.public_key.id: must start with PUB_KEY_ID_"},
        {"public key file holds a private key",
         [](json::object& c) {
             c["wechatpay"] = {{"public_key", {{"id", "PUB_KEY_ID_1"}, {"file", "keys/merchant_key.pem"}}}};
         },
         errc::not_pem, "wechatpay.public_key.file: "},
        {"port out of range", [](json::object& c) { c["endpoint"] = {{"port", 70000}}; },
         errc::invalid_argument, "endpoint.port: out of range: must be an integer from 1 to 65535"},
        {"port zero", [](json::object& c) { c["endpoint"] = {{"port", 0}}; },
         errc::invalid_argument, "endpoint.port: out of range: must be an integer from 1 to 65535"},
        {"empty host", [](json::object& c) { c["endpoint"] = {{"host", ""}}; },
         errc::invalid_argument, "endpoint.host: required"},
        {"host given as a URL", [](json::object& c) { c["endpoint"] = {{"host", "https://api.mch.weixin.qq.com"}}; },
         errc::invalid_argument, "endpoint.host: must be a host name, not a URL"},
        {"pool not an object", [](json::object& c) { c["pool"] = 5; },
         errc::invalid_argument, "pool: must be an object"},
        {"max_sessions a string", [](json::object& c) { c["pool"] = {{"max_sessions", "many"}}; },
         errc::invalid_argument, "pool.max_sessions: must be an integer from 1 to 100000"},
        {"max_sessions zero", [](json::object& c) { c["pool"] = {{"max_sessions", 0}}; },
         errc::invalid_argument, "pool.max_sessions: out of range: must be an integer from 1 to 100000"},
        {"keep_alive not a boolean", [](json::object& c) { c["pool"] = {{"keep_alive", "no"}}; },
         errc::invalid_argument, "pool.keep_alive: must be true or false"},
        {"idle timeout zero", [](json::object& c) { c["pool"] = {{"idle_timeout_ms", 0}}; },
         errc::invalid_argument, "pool.idle_timeout_ms: out of range: must be an integer from 1 to 2147483647"},
        {"connect timeout zero", [](json::object& c) { c["timeouts"] = {{"connect_ms", 0}}; },
         errc::invalid_argument, "timeouts.connect_ms: out of range: must be an integer from 1 to 2147483647"},
        {"request timeout fractional", [](json::object& c) { c["timeouts"] = {{"request_ms", 1.5}}; },
         errc::invalid_argument, "timeouts.request_ms: must be an integer from 1 to 2147483647"},
        {"max_attempts zero", [](json::object& c) { c["retry"] = {{"max_attempts", 0}}; },
         errc::invalid_argument, "retry.max_attempts: out of range: must be an integer from 1 to 100"},
        {"negative delay", [](json::object& c) { c["retry"] = {{"base_delay_ms", -1}}; },
         errc::invalid_argument, "retry.base_delay_ms: out of range: must be an integer from 0 to 2147483647"},
        {"refresh zero", [](json::object& c) { c["certificate_refresh_s"] = 0; },
         errc::invalid_argument, "certificate_refresh_s: out of range: must be an integer from 1 to 2592000"},
        {"user agent with a line break", [](json::object& c) { c["user_agent"] = "a\r\nX-Injected: 1"; },
         errc::invalid_argument, "user_agent: must not contain control characters"},
        {"mchid with letters", [](json::object& c) { c["mchid"] = "19000x"; },
         errc::invalid_argument, "mchid: must be digits only"},
        {"no mchid", [](json::object& c) { c.erase("mchid"); },
         errc::invalid_argument, "mchid: required"},
        {"no private key", [&](json::object& c) { merchant(c).erase("private_key"); },
         errc::invalid_argument, "merchant.private_key: required"},
        {"neither certificate nor serial", [&](json::object& c) { merchant(c).erase("serial"); },
         errc::invalid_argument, "merchant.certificate: required"},
        {"no APIv3 key in download mode", [](json::object& c) { c.erase("apiv3_key"); },
         errc::invalid_argument, "apiv3_key: required"},
        {"rate limits not an object", [](json::object& c) { c["rate_limits"] = 100; },
         errc::invalid_argument, "rate_limits: must be an object"},
        {"rate limit of an unknown class", [](json::object& c) { c["rate_limits"] = {{"refund", 50}, {"transfer_queries", 100}}; },
         errc::invalid_argument, "unknown key \"rate_limits.transfer_queries\""},
        {"rate limit negative", [](json::object& c) { c["rate_limits"] = {{"transfer_query", -1}}; },
         errc::invalid_argument, "rate_limits.transfer_query: out of range: must be a number from 0 to 1e+06"},
        {"rate limit a string", [](json::object& c) { c["rate_limits"] = {{"refund", "150/s"}}; },
         errc::invalid_argument, "rate_limits.refund: must be a number"},
        {"bucket with a burst below one", [](json::object& c) { c["rate_limits"] = {{"prepay", {{"per_second", 10}, {"burst", 0.5}}}}; },
         errc::invalid_argument, "rate_limits.prepay.burst: out of range: must be a number from 1 to 1e+06"},
        {"bucket with an unknown key", [](json::object& c) { c["rate_limits"] = {{"prepay", {{"rate", 10}}}}; },
         errc::invalid_argument, "unknown key \"rate_limits.prepay.rate\""},
        {"bucket without its rate", [](json::object& c) { c["rate_limits"] = {{"prepay", {{"burst", 10}}}}; },
         errc::invalid_argument, "rate_limits.prepay.per_second: required"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.what);
        auto config = config_dir::minimal();
        c.change(config);
        const auto r = d.load(config);
        CHECK(errc_of(r) == c.expected);
        CHECK_THAT(detail_of(r), Catch::StartsWith(c.detail_prefix));
    }
}

TEST_CASE("a file that cannot be read or parsed is refused", "[config]") {
    const config_dir d;
    const auto missing = load_client_config(d.dir / "absent.json");
    CHECK(errc_of(missing) == errc::file_unreadable);
    CHECK_THAT(detail_of(missing), Catch::Contains("absent.json"));

    const auto syntax = load_client_config(d.dir.write("config.json", "{\n  \"mchid\": \"1\",\n  oops\n}"));
    CHECK(errc_of(syntax) == errc::invalid_argument);
    CHECK_THAT(detail_of(syntax), Catch::Contains("config.json\": not JSON (line 3)"));

    const auto array = load_client_config(d.dir.write("config.json", "[]"));
    CHECK(errc_of(array) == errc::invalid_argument);
    CHECK_THAT(detail_of(array), Catch::EndsWith("not a JSON object"));
}

TEST_CASE("no error shows a secret", "[config]") {
    const config_dir d;
    auto config = config_dir::minimal();
    const std::string short_key = "s3cr3t-apiv3-key-0123456789abcd";  // 31 bytes
    config["apiv3_key"] = short_key;
    const auto r = d.load(config);
    REQUIRE(errc_of(r) == errc::invalid_apiv3_key);
    CHECK(r.error().to_string().find(short_key) == std::string::npos);
    CHECK(r.error().to_string().find("s3cr3t") == std::string::npos);
}

TEST_CASE("to_string shows every setting but never the private key or the APIv3 key", "[config]") {
    const config_dir d;
    auto cfg = UNWRAP(d.load(config_dir::full()));
    cfg.merchant_serial = "5F1C72E2A8931B72A2E13AF8DEE92471EB397115";
    const std::string text = cfg.to_string();
    CAPTURE(text);

    for (std::string_view expected :
         {"mchid: 1900000109\n", "appid: wxd678efh567hg6787\n", "merchant.private_key: (redacted)\n",
          "merchant.certificate: serial 5F1C72E2A8931B72A2E13AF8DEE92471EB397115\n",
          "merchant.serial: 5F1C72E2A8931B72A2E13AF8DEE92471EB397115\n", "apiv3_key: (redacted)\n",
          "wechatpay.certificates: 440024045C4A427599D09BB4E3DE0279F2E813FD, F5765756002FDD77\n",
          "wechatpay.public_key.id: PUB_KEY_ID_0114232134912410000000000000\n", "certificate_refresh_s: 3600\n",
          "endpoint.host: 127.0.0.1\n", "endpoint.backup_host: (none)\n", "endpoint.port: 8443\n",
          "pool.max_sessions: 8\n", "pool.idle_timeout_ms: 3000\n", "pool.max_age_ms: 60000\n",
          "pool.acquire_timeout_ms: 250\n", "pool.keep_alive: false\n", "timeouts.connect_ms: 1500\n",
          "timeouts.request_ms: 2500\n",
          "retry.max_attempts: 5\n", "retry.base_delay_ms: 10\n", "retry.max_delay_ms: 400\n",
          "retry.rate_limited_delay_ms: 700\n", "user_agent: shop/2.0\n", "logger: (none)\n"}) {
        CHECK_THAT(text, Catch::Contains(std::string(expected)));
    }
    CHECK_THAT(text, Catch::Contains("endpoint.ca_file: " + (d.dir / "ca/test_ca.pem").string()));
    CHECK_FALSE(contains_pem_text(text, read_vector(files::java_merchant_key)));
    CHECK(text.find(test_apiv3_key) == std::string::npos);

    const client_config empty;
    CHECK_THAT(empty.to_string(), Catch::Contains("merchant.private_key: (none)\n"));
    CHECK_THAT(empty.to_string(), Catch::Contains("apiv3_key: (none)\n"));
    CHECK_THAT(empty.to_string(), Catch::Contains("endpoint.ca_file: (system store)\n"));
    CHECK_THAT(empty.to_string(), Catch::Contains("wechatpay.certificates: (downloaded from /v3/certificates)\n"));
}

TEST_CASE("client_config_from_env reads every WECHATPAY_ variable", "[config]") {
    const config_dir d;
    const auto keys = d.dir / "keys";
    const auto apiv3_file = d.dir.write("apiv3.txt", std::string(test_apiv3_key) + "\r\n");
    std::map<std::string, std::string> vars = {
        {"WECHATPAY_MCHID", "1900000109"},
        {"WECHATPAY_APPID", "wxd678efh567hg6787"},
        {"WECHATPAY_PRIVATE_KEY_FILE", (keys / "merchant_key.pem").string()},
        {"WECHATPAY_CERTIFICATE_FILE", (keys / "merchant_cert.pem").string()},
        {"WECHATPAY_APIV3_KEY_FILE", apiv3_file.string()},
        {"WECHATPAY_PLATFORM_CERTIFICATES", (keys / "platform_a.pem").string() + ":" + (keys / "platform_b.pem").string()},
        {"WECHATPAY_PUBLIC_KEY_FILE", (keys / "wechatpay_public_key.pem").string()},
        {"WECHATPAY_PUBLIC_KEY_ID", std::string(public_key_id)},
        {"WECHATPAY_HOST", "127.0.0.1"},
        {"WECHATPAY_BACKUP_HOST", "127.0.0.2"},
        {"WECHATPAY_PORT", "8443"},
        {"WECHATPAY_CA_FILE", "/tmp/ca.pem"},
    };

    SECTION("all of them") {
        const auto cfg = UNWRAP(wechatpay::client_config_from_env(env_of(vars)));
        CHECK(cfg.mchid == "1900000109");
        CHECK(cfg.appid == "wxd678efh567hg6787");
        CHECK(cfg.merchant_key.has_value());
        REQUIRE(cfg.merchant_certificate);
        CHECK(cfg.merchant_certificate->serial() == "5F1C72E2A8931B72A2E13AF8DEE92471EB397115");
        REQUIRE(cfg.apiv3);
        CHECK(cfg.apiv3->bytes() == test_apiv3_key);  // the file's line break trimmed
        REQUIRE(cfg.wechatpay_certificates.size() == 2);
        CHECK(cfg.wechatpay_certificates[1].serial() == "F5765756002FDD77");
        REQUIRE(cfg.wechatpay_public_key);
        CHECK(cfg.wechatpay_public_key->id == public_key_id);
        CHECK(cfg.endpoint.host == "127.0.0.1");
        CHECK(cfg.endpoint.backup_host == "127.0.0.2");
        CHECK(cfg.endpoint.port == 8443);
        CHECK(cfg.endpoint.ca_file == "/tmp/ca.pem");
    }
    SECTION("the APIv3 key inline and a serial instead of the certificate") {
        vars.erase("WECHATPAY_APIV3_KEY_FILE");
        vars.erase("WECHATPAY_CERTIFICATE_FILE");
        vars["WECHATPAY_APIV3_KEY"] = std::string(test_apiv3_key);
        vars["WECHATPAY_SERIAL"] = "5F1C72E2A8931B72A2E13AF8DEE92471EB397115";
        const auto cfg = UNWRAP(wechatpay::client_config_from_env(env_of(vars)));
        CHECK(cfg.apiv3->bytes() == test_apiv3_key);
        CHECK_FALSE(cfg.merchant_certificate.has_value());
        CHECK(cfg.merchant_serial == "5F1C72E2A8931B72A2E13AF8DEE92471EB397115");
    }
    SECTION("errors name the variable") {
        struct failure_case {
            std::string name, value;
            errc expected;
            std::string detail_prefix;
        };
        const std::vector<failure_case> cases = {
            {"WECHATPAY_PRIVATE_KEY_FILE", "/nonexistent/key.pem", errc::file_unreadable,
             "WECHATPAY_PRIVATE_KEY_FILE: file cannot be read: \"/nonexistent/key.pem\""},
            {"WECHATPAY_CERTIFICATE_FILE", (keys / "merchant_key.pem").string(), errc::not_pem,
             "WECHATPAY_CERTIFICATE_FILE: "},
            {"WECHATPAY_APIV3_KEY", std::string(test_apiv3_key), errc::invalid_argument,
             "WECHATPAY_APIV3_KEY_FILE: set either it or WECHATPAY_APIV3_KEY"},
            {"WECHATPAY_APIV3_KEY_FILE", "/nonexistent/apiv3", errc::file_unreadable,
             "WECHATPAY_APIV3_KEY_FILE: file cannot be read: \"/nonexistent/apiv3\""},
            {"WECHATPAY_PLATFORM_CERTIFICATES", (keys / "platform_a.pem").string() + ":/nonexistent.pem",
             errc::file_unreadable, "WECHATPAY_PLATFORM_CERTIFICATES: file cannot be read: \"/nonexistent.pem\""},
            {"WECHATPAY_PUBLIC_KEY_ID", "", errc::invalid_argument,
             "WECHATPAY_PUBLIC_KEY_ID: required with WECHATPAY_PUBLIC_KEY_FILE"},
            {"WECHATPAY_PORT", "443x", errc::invalid_argument, "WECHATPAY_PORT: must be a port number"},
            {"WECHATPAY_PORT", "0", errc::invalid_argument, "WECHATPAY_PORT: must be a port number"},
            {"WECHATPAY_PORT", "65536", errc::invalid_argument, "WECHATPAY_PORT: must be a port number"},
            {"WECHATPAY_MCHID", "", errc::invalid_argument, "mchid: required"},
        };
        for (const auto& c : cases) {
            CAPTURE(c.name, c.value);
            auto changed = vars;
            changed[c.name] = c.value;
            const auto r = wechatpay::client_config_from_env(env_of(changed));
            CHECK(errc_of(r) == c.expected);
            CHECK_THAT(detail_of(r), Catch::StartsWith(c.detail_prefix));
        }
    }
    SECTION("a wrong APIv3 key file does not show its content") {
        d.dir.write("apiv3.txt", "not-the-key-but-secret\n");
        const auto r = wechatpay::client_config_from_env(env_of(vars));
        CHECK(errc_of(r) == errc::invalid_apiv3_key);
        CHECK_THAT(detail_of(r), Catch::StartsWith("WECHATPAY_APIV3_KEY_FILE: must be 32 bytes"));
        CHECK(r.error().to_string().find("secret") == std::string::npos);
    }
}

TEST_CASE("an empty environment fails on the first required field", "[config]") {
    const std::map<std::string, std::string> none;
    const auto r = wechatpay::client_config_from_env(env_of(none));
    CHECK(errc_of(r) == errc::invalid_argument);
    CHECK(detail_of(r) == "mchid: required");
}

TEST_CASE("validate names the first invalid field", "[config]") {
    CHECK(outcome(valid_config().validate()) == "ok");

    struct failure_case {
        const char* what;
        std::function<void(client_config&)> change;
        errc expected;
        std::string detail_prefix;
    };
    const std::vector<failure_case> cases = {
        {"mchid empty", [](client_config& c) { c.mchid.clear(); }, errc::invalid_argument, "mchid: required"},
        {"mchid not digits", [](client_config& c) { c.mchid = "12 34"; }, errc::invalid_argument,
         "mchid: must be digits only"},
        {"no key", [](client_config& c) { c.merchant_key.reset(); }, errc::invalid_argument,
         "merchant.private_key: required"},
        {"no certificate nor serial", [](client_config& c) { c.merchant_certificate.reset(); },
         errc::invalid_argument, "merchant.certificate: required (or merchant.serial)"},
        {"certificate of another key",
         [](client_config& c) { c.merchant_certificate = load_certificate(files::java_wechatpay_cert); },
         errc::key_mismatch, "merchant.certificate: serial 440024045C4A427599D09BB4E3DE0279F2E813FD"},
        {"serial differing from the certificate's", [](client_config& c) { c.merchant_serial = "ABCDEF"; },
         errc::invalid_argument, "merchant.serial: \"ABCDEF\" differs"},
        {"serial that is not hex (it goes into the Authorization header)",
         [](client_config& c) {
             c.merchant_certificate.reset();
             c.merchant_serial = "5F1C\r\nX-Injected: 1";
         },
         errc::invalid_argument, "merchant.serial: must be the certificate's serial number in hex"},
        {"host with characters no host name has", [](client_config& c) { c.endpoint.host = "api.example.com\"<x>"; },
         errc::invalid_argument, "endpoint.host: must be a host name"},
        {"host with non-ASCII bytes", [](client_config& c) { c.endpoint.host = "支付.example.com"; },
         errc::invalid_argument, "endpoint.host: must be a host name"},
        {"no APIv3 key in download mode", [](client_config& c) { c.apiv3.reset(); }, errc::invalid_argument,
         "apiv3_key: required"},
        {"public key id", [](client_config& c) {
             c.wechatpay_public_key = wechatpay::wechatpay_public_key{"KEY_1", load_public_key(files::java_wechatpay_public_key)};
         },
         errc::invalid_argument, "wechatpay.public_key.id: must start with PUB_KEY_ID_"},
        {"public key id that would inject a header (it is sent as Wechatpay-Serial)", [](client_config& c) {
             c.wechatpay_public_key = wechatpay::wechatpay_public_key{"PUB_KEY_ID_1\r\nX-Injected: 1",
                                                                       load_public_key(files::java_wechatpay_public_key)};
         },
         errc::invalid_argument, "wechatpay.public_key.id: must start with PUB_KEY_ID_ and hold only"},
        {"host empty", [](client_config& c) { c.endpoint.host.clear(); }, errc::invalid_argument,
         "endpoint.host: required"},
        {"backup host a URL", [](client_config& c) { c.endpoint.backup_host = "https://api2.mch.weixin.qq.com/"; },
         errc::invalid_argument, "endpoint.backup_host: must be a host name"},
        {"port zero", [](client_config& c) { c.endpoint.port = 0; }, errc::invalid_argument, "endpoint.port"},
        {"no sessions", [](client_config& c) { c.pool.max_sessions = 0; }, errc::invalid_argument,
         "pool.max_sessions: must be ≥ 1"},
        {"max age zero", [](client_config& c) { c.pool.max_age = 0ms; }, errc::invalid_argument,
         "pool.max_age_ms: must be > 0"},
        {"acquire timeout negative", [](client_config& c) { c.pool.acquire_timeout = -1ms; },
         errc::invalid_argument, "pool.acquire_timeout_ms: must be > 0"},
        {"connect timeout zero", [](client_config& c) { c.timeouts.connect = 0ms; }, errc::invalid_argument,
         "timeouts.connect_ms: must be > 0"},
        {"request timeout zero", [](client_config& c) { c.timeouts.request = 0ms; }, errc::invalid_argument,
         "timeouts.request_ms: must be > 0"},
        {"no attempts", [](client_config& c) { c.retry.max_attempts = 0; }, errc::invalid_argument,
         "retry.max_attempts: must be ≥ 1"},
        {"max delay below base delay", [](client_config& c) { c.retry.max_delay = 50ms; },
         errc::invalid_argument, "retry.max_delay_ms: must be ≥ retry.base_delay_ms"},
        {"refresh zero", [](client_config& c) { c.certificate_refresh = 0s; }, errc::invalid_argument,
         "certificate_refresh_s: must be > 0"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.what);
        auto cfg = valid_config();
        c.change(cfg);
        const auto r = cfg.validate();
        CHECK(errc_of(r) == c.expected);
        CHECK_THAT(detail_of(r), Catch::StartsWith(c.detail_prefix));
    }
}

TEST_CASE("validate accepts the other key set-ups", "[config]") {
    SECTION("a serial alone (in any case) and platform certificates without an APIv3 key") {
        auto cfg = valid_config();
        cfg.merchant_certificate.reset();
        cfg.merchant_serial = "5f1c72e2a8931b72a2e13af8dee92471eb397115";
        cfg.apiv3.reset();
        cfg.wechatpay_certificates = {load_certificate(files::java_wechatpay_cert)};
        CHECK(outcome(cfg.validate()) == "ok");
    }
    SECTION("the certificate with its own serial, and a WeChat Pay public key") {
        auto cfg = valid_config();
        cfg.merchant_serial = "5f1c72e2a8931b72a2e13af8dee92471eb397115";
        cfg.apiv3.reset();
        cfg.wechatpay_public_key =
            wechatpay::wechatpay_public_key{std::string(public_key_id), load_public_key(files::java_wechatpay_public_key)};
        CHECK(outcome(cfg.validate()) == "ok");
    }
}

TEST_CASE("unsigned_download_paths: validate takes plain absolute path prefixes only, naming the entry", "[config]") {
    auto cfg = valid_config();
    cfg.unsigned_download_paths = {"/v3/billdownload/file", "/v3/merchant-service/images/", "/v3/x-y_z.~/a:b@c"};
    CHECK(outcome(cfg.validate()) == "ok");
    cfg.unsigned_download_paths = {};
    CHECK(outcome(cfg.validate()) == "ok");  // every answer verifies
    for (const std::string bad : {"", "v3/billdownload/file", "/", "/v3/billdownload/file?token=", "/v3/bill#x",
                                  "/v3/bill download", "/v3/%62illdownload/file", "/v3/billdownload%2Ffile",
                                  "/v3/../v3/billdownload/file", "/v3/./billdownload/", "/v3/billdownload/..",
                                  "/v3//billdownload/", "/v3/billdownload//", "//v3/", "/v3/\xE8\xB4\xA6\xE5\x8D\x95"}) {
        CAPTURE(bad);
        cfg.unsigned_download_paths = {"/v3/billdownload/file", bad};
        const auto r = cfg.validate();
        CHECK(errc_of(r) == errc::invalid_argument);
        CHECK_THAT(detail_of(r), Catch::StartsWith("unsigned_download_paths[1]: "));
    }
}

TEST_CASE("unsigned_download_paths: the config file replaces the list, checked like any other field", "[config]") {
    const config_dir d;
    auto file = config_dir::minimal();
    CHECK(UNWRAP(d.load(file)).unsigned_download_paths == client_config{}.unsigned_download_paths);
    file["unsigned_download_paths"] = json::array{"/v3/billdownload/file", "/v3/transfer/bill-receipt/"};
    CHECK(UNWRAP(d.load(file)).unsigned_download_paths ==
          std::vector<std::string>{"/v3/billdownload/file", "/v3/transfer/bill-receipt/"});
    file["unsigned_download_paths"] = json::array{};
    CHECK(UNWRAP(d.load(file)).unsigned_download_paths.empty());
    file["unsigned_download_paths"] = json::array{"/v3/billdownload/file", "/v3/../pay/"};
    CHECK_THAT(detail_of(d.load(file)), Catch::StartsWith("unsigned_download_paths[1]: "));
    file["unsigned_download_paths"] = "/v3/billdownload/file";
    CHECK_THAT(detail_of(d.load(file)), Catch::StartsWith("unsigned_download_paths: must be an array of strings"));
    file["unsigned_download_paths"] = json::array{"/v3/billdownload/file", 7};
    CHECK_THAT(detail_of(d.load(file)), Catch::StartsWith("unsigned_download_paths: must be an array of strings"));
}

TEST_CASE("a service provider's config: sp_mchid/sp_appid name mchid/appid, sub_mchid/sub_appid the default "
          "sub-merchant",
          "[config][partner]") {
    config_dir d;
    auto sp = config_dir::minimal();
    sp.erase("mchid");
    sp["sp_mchid"] = "1230000109";
    sp["sp_appid"] = "wx8888888888888888";
    sp["sub_mchid"] = "1900000109";
    sp["sub_appid"] = "wxd678efh567hg6999";
    auto cfg = d.load(sp);
    REQUIRE(outcome(cfg) == "ok");
    CHECK(cfg->mchid == "1230000109");
    CHECK(cfg->appid == "wx8888888888888888");
    CHECK(cfg->sub_mchid == "1900000109");
    CHECK(cfg->sub_appid == "wxd678efh567hg6999");
    CHECK(cfg->to_string().find("sub_mchid: 1900000109") != std::string::npos);

    sp["mchid"] = "1230000109";  // both spellings, the same value: fine
    CHECK(outcome(d.load(sp)) == "ok");
    sp["mchid"] = "1230000110";
    CHECK(detail_of(d.load(sp)).find("sp_mchid: differs from mchid") != std::string::npos);
    sp["mchid"] = "1230000109";
    sp["sub_mchid"] = "19000x";
    CHECK(detail_of(d.load(sp)) == "sub_mchid: must be digits only");
    sp["sub_mchid"] = 1900000109;
    CHECK(detail_of(d.load(sp)).find("sub_mchid") != std::string::npos);

    const std::map<std::string, std::string> vars{
        {"WECHATPAY_MCHID", "1230000109"},
        {"WECHATPAY_PRIVATE_KEY_FILE", (d.dir / "keys/merchant_key.pem").string()},
        {"WECHATPAY_SERIAL", "5F1C72E2A8931B72A2E13AF8DEE92471EB397115"},
        {"WECHATPAY_SUB_MCHID", "1900000109"},
        {"WECHATPAY_SUB_APPID", "wxsub"},
        {"WECHATPAY_APIV3_KEY", "0123456789abcdefghijklmnopqrstuv"}};
    auto from_env = wechatpay::client_config_from_env(env_of(vars));
    REQUIRE(outcome(from_env) == "ok");
    CHECK(from_env->sub_mchid == "1900000109");
    CHECK(from_env->sub_appid == "wxsub");
}
