// Inputs a hostile or careless user gives: files that never end, keys given twice or misspelt,
// numbers out of range, and a generated setup over existing keys.
#include "checks.hpp"
#include "temp_dir.hpp"

#include "core/files.hpp"
#include "sim/config.hpp"

#include <wechatpay/config.hpp>
#include <wechatpay/keys.hpp>
#include <wechatpay/sim/simulator.hpp>

#include <chrono>
#include <fstream>
#include <string>

#include <sys/stat.h>
#include <sys/types.h>

using wechatpay::errc;
using wechatpay_test::errc_of;

namespace {

template <class T>
std::string detail_of(const wechatpay::result<T>& r) {
    return r ? std::string() : r.error().detail;
}

std::filesystem::path write_text(const wechatpay_test::temp_dir& d, const std::string& name, const std::string& text) {
    const auto p = d.path() / name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
}

unsigned mode_of(const std::filesystem::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("file reads stop one byte past the limit and say which limit", "[files]") {
    const auto started = std::chrono::steady_clock::now();
    const auto key = wechatpay::read_file("/dev/zero", wechatpay::apiv3_key_file_limit);
    CHECK(errc_of(key) == errc::file_unreadable);
    CHECK(detail_of(key) == "\"/dev/zero\": larger than 4 KiB, the most an APIv3 key file holds");
    CHECK(detail_of(wechatpay::private_key::from_file("/dev/zero")) ==
          "\"/dev/zero\": larger than 64 KiB, the most a PEM key or certificate file holds");
    CHECK(errc_of(wechatpay::certificate::from_file("/dev/zero")) == errc::file_unreadable);
    CHECK(errc_of(wechatpay::public_key::from_file("/dev/urandom")) == errc::file_unreadable);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));

    const wechatpay_test::temp_dir d;
    const auto exact = write_text(d, "exact", std::string(4096, 'k'));
    CHECK(UNWRAP(wechatpay::read_file(exact, wechatpay::apiv3_key_file_limit)).size() == 4096);
    const auto over = write_text(d, "over", std::string(4097, 'k'));
    CHECK(errc_of(wechatpay::read_file(over, wechatpay::apiv3_key_file_limit)) == errc::file_unreadable);
}

TEST_CASE("a FIFO without a writer reads as empty instead of hanging", "[files]") {
    const wechatpay_test::temp_dir d;
    const auto fifo = d.path() / "fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK(UNWRAP(wechatpay::read_file(fifo, wechatpay::pem_file_limit)).empty());
}

TEST_CASE("paths in file errors are quoted and cut", "[files]") {
    const std::string path = "/nonexistent/a\r\nforged: line" + std::string(100000, 'x');
    const auto r = wechatpay::read_file(path, wechatpay::pem_file_limit);
    CHECK(errc_of(r) == errc::file_unreadable);
    CHECK(detail_of(r).find('\n') == std::string::npos);
    CHECK(detail_of(r).find("a\\r\\nforged") != std::string::npos);
    CHECK(detail_of(r).size() < 400);
}

TEST_CASE("client configs refuse unknown and duplicated keys, naming them", "[config]") {
    const wechatpay_test::temp_dir d;
    auto load = [&](const std::string& text) { return wechatpay::load_client_config(write_text(d, "c.json", text)); };
    CHECK(detail_of(load(R"({"mchidd": "1900000109"})")) == "unknown key \"mchidd\"");
    CHECK(detail_of(load(R"({"retry": {"max_attemps": 3}})")) == "unknown key \"retry.max_attemps\"");
    CHECK(detail_of(load(R"({"wechatpay": {"public_key": {"id": "PUB_KEY_ID_1", "fil": "x"}}})")) ==
          "unknown key \"wechatpay.public_key.fil\"");
    CHECK(detail_of(load(R"({"mchid": "1", "mchid": "2"})")) == "\"" + (d.path() / "c.json").string() +
                                                                   "\": duplicate key \"mchid\"");
    CHECK_THAT(detail_of(load(R"({"retry": {"max_attempts": 2, "max_attempts": 9}})")),
               Catch::EndsWith("duplicate key \"retry.max_attempts\""));
    CHECK_THAT(detail_of(load(R"({"wechatpay": {"certificates": ["a", "b"]}, "wechatpay": {}})")),
               Catch::EndsWith("duplicate key \"wechatpay\""));
}

TEST_CASE("client config numbers: out of range is said so, and messages agree with the rules", "[config]") {
    const wechatpay_test::temp_dir d;
    auto load = [&](const std::string& text) { return wechatpay::load_client_config(write_text(d, "c.json", text)); };
    CHECK(detail_of(load(R"({"retry": {"max_attempts": 1e12}})")) ==
          "retry.max_attempts: out of range: must be an integer from 1 to 100");
    CHECK(detail_of(load(R"({"retry": {"max_attempts": 2.5}})")) ==
          "retry.max_attempts: must be an integer from 1 to 100");
    CHECK(detail_of(load(R"({"retry": {"max_attempts": "3"}})")) ==
          "retry.max_attempts: must be an integer from 1 to 100");
    CHECK(detail_of(load(R"({"endpoint": {"port": 0}})")) ==
          "endpoint.port: out of range: must be an integer from 1 to 65535");
    CHECK(detail_of(load(R"({"endpoint": {"port": 65536}})")) ==
          "endpoint.port: out of range: must be an integer from 1 to 65535");
    CHECK(detail_of(load(R"({"pool": {"idle_timeout_ms": -1}})")) ==
          "pool.idle_timeout_ms: out of range: must be an integer from 1 to 2147483647");
    CHECK(detail_of(load(R"({"timeouts": {"request_ms": 18446744073709551615}})")) ==
          "timeouts.request_ms: out of range: must be an integer from 1 to 2147483647");
    CHECK(detail_of(load(R"({"certificate_refresh_s": 0})")) ==
          "certificate_refresh_s: out of range: must be an integer from 1 to 2592000");
    // An exponent form of a whole number in range is that number: the next error is elsewhere.
    CHECK(detail_of(load(R"({"retry": {"max_attempts": 1e1}})")) == "mchid: required");
}

TEST_CASE("config files that never end are refused at the config limit", "[config]") {
    CHECK(detail_of(wechatpay::load_client_config("/dev/zero")) ==
          "config file cannot be read: \"/dev/zero\": larger than 1 MiB, the most a config file holds");
    CHECK_THAT(detail_of(wechatpay::sim::load_config("/dev/zero")),
               Catch::EndsWith("larger than 1 MiB, the most a config file holds"));
    const auto env = [](const char* name) -> const char* {
        return std::string_view(name) == "WECHATPAY_APIV3_KEY_FILE" ? "/dev/zero" : nullptr;
    };
    CHECK_THAT(detail_of(wechatpay::client_config_from_env(env)),
               Catch::EndsWith("larger than 4 KiB, the most an APIv3 key file holds"));
}

TEST_CASE("simulator configs refuse unknown and duplicated keys and out-of-range numbers", "[sim][config]") {
    const auto file = std::filesystem::path("/nonexistent/sim.json");
    auto load = [&](const std::string& text) { return wechatpay::sim::load_config_text(text, file); };
    CHECK(detail_of(load(R"({"merchants": [], "treads": 2})")) == "unknown key \"treads\"");
    CHECK(detail_of(load(R"({"merchants": [{"mchid": "1", "mchidd": "2"}]})")) ==
          "unknown key \"merchants[0].mchidd\"");
    CHECK_THAT(detail_of(load(R"({"merchants": [{"mchid": "1"}, {"mchid": "1", "mchid": "2"}]})")),
               Catch::EndsWith("duplicate key \"merchants[1].mchid\""));
    CHECK(detail_of(load(R"({"threads": 1e12})")) ==
          "threads: out of range: must be an integer from 1 to 256 (0: hardware concurrency)");
    CHECK(detail_of(load(R"({"threads": -1})")) ==
          "threads: out of range: must be an integer from 1 to 256 (0: hardware concurrency)");
}

TEST_CASE("generate_test_setup refuses to overwrite, and writes secrets with mode 0600", "[sim]") {
    const wechatpay_test::temp_dir d;
    const auto dir = d.path() / "setup";
    const auto first = UNWRAP(wechatpay::sim::generate_test_setup(dir));
    for (const char* secret : {"apiclient_key.pem", "platform_key.pem", "wechatpay_pub_key_private.pem", "simulator.json"})
        CHECK(mode_of(dir / secret) == 0600);
    CHECK(mode_of(dir / "apiclient_cert.pem") == 0644);

    const auto again = wechatpay::sim::generate_test_setup(dir);
    CHECK(errc_of(again) == errc::file_unreadable);
    CHECK(detail_of(again) == "\"" + (dir / "apiclient_key.pem").string() + "\" exists: not overwritten");
    // Only one file in the way: still nothing is written.
    const wechatpay_test::temp_dir other;
    std::ofstream(other.path() / "simulator.json") << "{}";
    CHECK_THAT(detail_of(wechatpay::sim::generate_test_setup(other.path())),
               Catch::Contains("simulator.json\" exists"));
    CHECK(!std::filesystem::exists(other.path() / "apiclient_key.pem"));

    // The TLS files the simulator writes into tls/ when it starts are not to replace anything either.
    const wechatpay_test::temp_dir third;
    std::filesystem::create_directories(third.path() / "tls");
    std::ofstream(third.path() / "tls" / "server.key") << "MERCHANT SECRET";
    CHECK_THAT(detail_of(wechatpay::sim::generate_test_setup(third.path())), Catch::Contains("server.key\" exists"));
    CHECK(!std::filesystem::exists(third.path() / "apiclient_key.pem"));

    const auto replaced = UNWRAP(wechatpay::sim::generate_test_setup(dir, true));
    CHECK(replaced.apiv3_key != first.apiv3_key);
    CHECK(mode_of(dir / "apiclient_key.pem") == 0600);
}
