// sim: the WeChat Pay simulator as a process (tests in other languages, load tests, demos).
#include "commands.hpp"
#include "common.hpp"

#include <wechatpay/sim/simulator.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <csignal>
#include <filesystem>
#include <optional>
#include <cstdio>
#include <ctime>
#include <iostream>

namespace wechatpay::cli {
namespace {

namespace json = boost::json;

constexpr std::array sim_options{
    option{"config", "FILE", "simulator config (JSON; relative paths are relative to it)"},
    option{"generate", "DIR",
           "generate a merchant, a platform certificate and a public key into DIR, serve with "
           "DIR/simulator.json, and write DIR/client.json for `wechatpay request --config`"},
    option{"force", "", "with --generate: replace files already in DIR (default: refuse, exit 2)"},
    option{"max-seconds", "N", "stop after N seconds, 1 to 31536000 (default: until SIGINT or SIGTERM)"},
};

// DIR/client.json: the generated merchant's client config for the simulator now listening (its
// port is only known once it listens), so that `request --config DIR/client.json` works at once.
// Secret (0600): it holds the APIv3 key.
void write_client_config(const std::filesystem::path& dir, const sim::test_setup& setup,
                         const sim::simulator& server, bool force) {
    // The merchant is also a service provider: its first sub-merchant is the partner calls'
    // default (sub_mchid, sub_appid; a call may name the other).
    const json::object client{
        {"mchid", setup.mchid},
        {"appid", setup.appid},
        {"sub_mchid", setup.sub_merchants.at(0).mchid},
        {"sub_appid", setup.sub_merchants.at(0).appids.at(0)},
        {"merchant", json::object{{"private_key", "apiclient_key.pem"}, {"certificate", "apiclient_cert.pem"}}},
        {"apiv3_key", setup.apiv3_key},
        {"wechatpay", json::object{{"certificates", json::array{"platform_cert.pem"}},
                                   {"public_key", json::object{{"id", setup.public_key_id},
                                                               {"file", "wechatpay_pub_key.pem"}}}}},
        {"endpoint", json::object{{"host", server.host()},
                                  {"port", server.port()},
                                  {"ca_file", std::filesystem::absolute(server.ca_file()).string()}}}};
    unwrap(write_new_file(dir / "client.json", json::serialize(client) + "\n", file_secrecy::secret, force),
           "--generate");
}

int run_sim(const args& a) {
    a.require_one_of("config", "generate");
    if (a.has("force") && !a.has("generate")) usage_error("sim: --force goes with --generate");
    const bool force = a.has("force");
    // At most a year: a larger value would overflow nothing, but it is a typo.
    const std::int64_t max_seconds =
        a.has("max-seconds") ? parse_integer(a.get("max-seconds"), "max-seconds", 1, 31536000) : 0;
    sim::config cfg;
    std::optional<sim::test_setup> generated_setup;
    if (auto dir = a.find("generate")) {
        auto generated = sim::generate_test_setup(*dir, force);
        if (!generated && generated.error().is(errc::file_unreadable) && !force &&
            generated.error().detail.ends_with(" exists: not overwritten"))
            usage_error("--generate: " + generated.error().detail + " (give --force to replace it)");
        auto setup = unwrap(std::move(generated), "--generate");
        std::cerr << "wechatpay: generated mchid " << setup.mchid << ", appid " << setup.appid
                  << ", public key id " << setup.public_key_id << ", sub-merchants " << setup.sub_merchants.at(0).mchid
                  << " and " << setup.sub_merchants.at(1).mchid << " into " << wechatpay::excerpt(*dir, 256) << "\n";
        cfg = setup.sim;
        generated_setup = std::move(setup);
    } else {
        cfg = unwrap(sim::load_config(a.get("config")), "--config");
    }

    // Block the stop signals before any thread starts, so that only sigtimedwait sees them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    auto server = unwrap(sim::simulator::start(std::move(cfg)));
    if (generated_setup) write_client_config(a.get("generate"), *generated_setup, *server, force);
    print_line(server->start_line());
    std::fflush(stdout);

    if (max_seconds > 0) {
        const timespec limit{static_cast<std::time_t>(max_seconds), 0};
        sigtimedwait(&stop_signals, nullptr, &limit);
    } else {
        int sig = 0;
        sigwait(&stop_signals, &sig);
    }
    server->stop();
    return exit_ok;
}

}  // namespace

const command sim_command{
    "sim",
    "run the WeChat Pay API v3 simulator (HTTPS on loopback)",
    "sim (--config FILE | --generate DIR [--force]) [--max-seconds N]",
    "Serves WeChat Pay API v3 on a loopback address: verifies signed requests, signs its\n"
    "answers, keeps orders and refunds, serves bills, sends notifications and injects faults\n"
    "on demand (POST /sim/faults). Prints one JSON line on start:\n"
    "  {\"listening\":\"127.0.0.1:PORT\",\"ca\":\"PATH-TO-CA-PEM\"}\n"
    "then serves until SIGINT/SIGTERM or --max-seconds. A bad config exits 2 naming the field.",
    sim_options,
    0,
    run_sim,
};

}  // namespace wechatpay::cli
