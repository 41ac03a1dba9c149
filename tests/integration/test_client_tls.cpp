// TLS verification is always on: a server whose certificate the client cannot trust (another
// CA, another host name, expired) is refused with an error that says why, before any request
// is sent — the simulator's counters prove it — and without a retry that would hide it.
#include "client_env.hpp"

#include "sim/pki.hpp"

#include <mutex>

using namespace wechatpay_test;
namespace pki = wechatpay::sim;

namespace {

// A CA the client trusts, another one it does not, an impostor with the trusted one's name and
// another key, and one server key: made once per binary.
struct test_pki {
    temp_dir dir;
    pki::key_and_cert trusted, stranger, impostor;
    std::string server_key = pki::generate_rsa_key();
    std::filesystem::path trusted_file, key_file;

    static const test_pki& get() {
        static const test_pki p;
        return p;
    }

    // A server certificate chain file issued by `ca`.
    std::filesystem::path server(const std::string& name, const pki::key_and_cert& ca,
                                 const std::vector<std::string>& names, std::chrono::seconds lifetime,
                                 std::chrono::seconds not_before_offset) const {
        return dir.write(name + ".pem", pki::issue_certificate(server_key, ca, names.front(), names, lifetime,
                                                               not_before_offset, true));
    }

private:
    test_pki()
        : trusted(authority("trusted test CA")),
          stranger(authority("untrusted test CA")),
          impostor(authority("trusted test CA")) {
        trusted_file = dir.write("trusted-ca.pem", trusted.cert_pem);
        key_file = dir.write("server.key", server_key);
    }
    static pki::key_and_cert authority(const std::string& name) {
        auto key = pki::generate_rsa_key();
        auto cert = pki::make_ca(key, name);
        return {std::move(key), std::move(cert)};
    }
};

// The simulator serving `chain`, and a client that trusts only test_pki's trusted CA.
client_env_options serving(std::filesystem::path chain) {
    client_env_options o;
    o.sim = [chain](wechatpay::sim::config& c) {
        c.tls_certificate = chain;
        c.tls_private_key = test_pki::get().key_file;
    };
    o.client = [](wechatpay::client_config& c) { c.endpoint.ca_file = test_pki::get().trusted_file; };
    return o;
}

std::uint64_t stat(const json::value& stats, std::string_view pointer) {
    return stats.at_pointer(pointer).to_number<std::uint64_t>();
}

}  // namespace

TEST_CASE("client: a server certificate issued by the trusted CA for 127.0.0.1 is accepted", "[client][tls]") {
    const auto& p = test_pki::get();
    client_env env(serving(p.server("good", p.trusted, {"127.0.0.1", "localhost"}, 24h, -1h)));
    auto r = env.run(env.client().async_query_by_out_trade_no("NOSUCHORDER1"));
    CHECK(errc_of(r) == wechatpay::errc::api_error);  // an answer: 404 ORDER_NOT_EXIST
    CHECK(env.sim_requests() == 1);
}

TEST_CASE("client: untrusted, wrong-host and expired server certificates are refused before any request",
          "[client][tls]") {
    const auto& p = test_pki::get();
    struct refusal {
        std::string what, chain, reason;
    };
    const refusal r = GENERATE_REF(values<refusal>({
        {"issued by a CA the client does not trust", "stranger", "unable to get local issuer certificate"},
        // Found under the trusted CA's name, refused by its key (was: "invalid padding", retried).
        {"issued by another key under the trusted CA's name", "impostor", "certificate signature failure"},
        {"issued for another host", "other-host", "does not name 127.0.0.1"},
        {"expired yesterday", "expired", "certificate has expired"},
    }));
    INFO(r.what);
    std::filesystem::path chain;
    if (r.chain == "stranger") chain = p.server("stranger", p.stranger, {"127.0.0.1", "localhost"}, 24h, -1h);
    if (r.chain == "impostor") chain = p.server("impostor", p.impostor, {"127.0.0.1", "localhost"}, 24h, -1h);
    if (r.chain == "other-host") chain = p.server("other-host", p.trusted, {"api.example.com"}, 24h, -1h);
    if (r.chain == "expired") chain = p.server("expired", p.trusted, {"127.0.0.1", "localhost"}, 24h, -48h);

    std::mutex log_mutex;  // the logger runs on the io threads
    std::vector<std::string> logged;
    auto o = serving(chain);
    o.client = [&logged, &log_mutex, trust = o.client](wechatpay::client_config& c) {
        trust(c);
        c.retry.max_attempts = 3;
        c.logger = [&logged, &log_mutex](wechatpay::log_level, std::string_view message, std::string_view) {
            std::lock_guard lock(log_mutex);
            logged.emplace_back(message);
        };
    };
    client_env env(o);
    auto result = env.run(env.client().async_query_by_out_trade_no("T1234567890"));
    REQUIRE_FALSE(result);
    const auto& e = result.error();
    INFO(e.to_string());
    CHECK(e.kind() == wechatpay::error_kind::transport);
    CHECK(e.http_status == 0);
    CHECK(e.to_string().find("server certificate refused") != std::string::npos);
    CHECK(e.to_string().find(r.reason) != std::string::npos);

    // One connection, one failed handshake, no request: the refusal is not retried. (The
    // simulator counts the handshake when it sees the connection go.)
    CHECK(eventually([&] { return stat(env.sim_stats(), "/connections_open") == 0; }));
    const auto stats = env.sim_stats();
    INFO(json::serialize(stats));
    CHECK(env.sim_requests() == 0);
    CHECK(stat(stats, "/connections_accepted") == 1);
    CHECK(stat(stats, "/tls_handshakes/failed") == 1);
    CHECK(stat(stats, "/tls_handshakes/full") == 0);
    CHECK(env.client().stats().retries == 0);
    CHECK(env.client().stats().sessions_open == 0);
    // The log says it once; nothing was retried.
    std::lock_guard lock(log_mutex);
    int refusals = 0;
    for (const auto& line : logged) {
        refusals += line.find("server certificate refused") != std::string::npos;
        CHECK(line.find("retrying") == std::string::npos);
    }
    CHECK(refusals == 1);
}
