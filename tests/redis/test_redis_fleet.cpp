// Issue 16's fleet, as processes: three receivers (wechatpay_fleet_receiver, each its own
// process, notification_handler over HTTPS with redis::dedup) share one redis-server; the
// simulator pays 60 orders naming the three receivers' notify_urls, and its load balancer
// (config::notify_balance) sends each redelivery to the next receiver. One receiver is killed
// (SIGKILL) in the middle of an effect; its lease lapses and a redelivery completes the effect
// elsewhere. Each effect counts itself in Redis: every payment must have exactly one.
#include "io_threads.hpp"
#include "redis_server.hpp"
#include "sim_env.hpp"

#include "sim/pki.hpp"

#include <wechatpay/redis/connection.hpp>

#include <boost/asio/use_future.hpp>

#include <poll.h>
#include <sys/prctl.h>

#include <iostream>
#include <map>
#include <set>

namespace asio = boost::asio;
namespace redis = wechatpay::redis;
using namespace wechatpay_test;

namespace {

// One receiver process: started with its arguments, its port read from its first line, killed
// (SIGKILL: no goodbye) by kill() or at the end.
class fleet_process {
public:
    explicit fleet_process(std::vector<std::string> args) {
        int out[2];
        if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a test killed midway leaves no receiver behind
            ::dup2(out[1], STDOUT_FILENO);
            ::close(out[0]);
            ::close(out[1]);
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        ::close(out[1]);
        std::string line;
        pollfd p{out[0], POLLIN, 0};
        char c = 0;
        while (line.find('\n') == std::string::npos && ::poll(&p, 1, 10'000) == 1 && ::read(out[0], &c, 1) == 1)
            line += c;
        ::close(out[0]);
        if (!line.starts_with("listening ")) {
            kill();
            throw std::runtime_error("fleet receiver did not start: " + line);
        }
        port_ = static_cast<std::uint16_t>(std::stoi(line.substr(10)));
    }
    ~fleet_process() { kill(); }
    fleet_process(const fleet_process&) = delete;
    fleet_process& operator=(const fleet_process&) = delete;

    std::uint16_t port() const { return port_; }
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
    std::string notify_url() const { return "https://" + address() + "/wechatpay/notify"; }
    // True when it was running and died of the SIGKILL.
    bool kill() {
        if (pid_ <= 0) return false;
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    }

private:
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
};

// The receivers' TLS identity (a CA the simulator trusts, a certificate for 127.0.0.1) and the
// APIv3 key file, in a private directory.
struct fleet_files {
    temp_dir dir;
    std::filesystem::path ca, cert, key, apiv3;
    fleet_files() {
        namespace pki = wechatpay::sim;
        const auto ca_key = pki::generate_rsa_key();
        const pki::key_and_cert authority{ca_key, pki::make_ca(ca_key, "fleet test CA")};
        const auto server_key = pki::generate_rsa_key();
        ca = dir.write("ca.pem", authority.cert_pem);
        cert = dir.write("server.pem", pki::issue_certificate(server_key, authority, "127.0.0.1", {"127.0.0.1"}, 24h,
                                                             -1h, true));
        key = dir.write("server.key", server_key);
        apiv3 = dir.write("apiv3.key", shared_keys::get().setup.apiv3_key);
    }
};

std::string text_of(redis::connection& c, std::vector<std::string> command) {
    auto r = c.async_exec(std::move(command), asio::use_future).get();
    REQUIRE(r);
    return r->kind == redis::reply::type::integer ? std::to_string(r->integer) : r->str;
}

json::array notification_log(sim_client& control) {
    auto a = UNWRAP(control.unsigned_call("GET", "/sim/notifications"));
    REQUIRE(a.status == 200);
    return a.json().at("notifications").as_array();
}

struct payment {
    std::string no;
    std::size_t named;  // the receiver whose notify_url the order names
    bool after_kill;
};

}  // namespace

TEST_CASE("redis fleet: three receiver processes, redeliveries balanced over them, one killed mid-effect; "
          "one business effect per payment",
          "[redis][fleet]") {
    redis_server server;
    const fleet_files files;
    const auto& keys = shared_keys::get();
    constexpr int lease_ms = 1000;

    std::vector<std::unique_ptr<fleet_process>> fleet;
    for (int i = 0; i < 3; ++i)
        fleet.push_back(std::make_unique<fleet_process>(std::vector<std::string>{
            WECHATPAY_FLEET_RECEIVER, "--name", "r" + std::to_string(i), "--redis-port",
            std::to_string(server.port()), "--lease-ms", std::to_string(lease_ms), "--slow-ms", "30000", "--mchid",
            keys.setup.mchid, "--tls-cert", files.cert.string(), "--tls-key", files.key.string(), "--platform-cert",
            keys.setup.platform_cert.string(), "--apiv3-key-file", files.apiv3.string()}));

    // Each receiver's address fronts a balancer over the fleet, starting with itself: a first
    // delivery reaches the receiver the order names, its redeliveries the next ones in turn.
    sim_env env([&](wechatpay::sim::config& c) {
        c.notify_ca = files.ca;
        for (std::size_t i = 0; i < 3; ++i)
            for (std::size_t k = 0; k < 3; ++k) c.notify_balance[fleet[i]->address()].push_back(fleet[(i + k) % 3]->address());
    });
    auto merchant = env.client();
    auto control = env.control();

    io_threads io;  // before the connection: it closes on the io threads
    auto conn = std::make_shared<redis::connection>(io.ioc.get_executor(), local_redis(server.port()));

    std::vector<payment> payments;
    bool killed = false;
    auto pay = [&](std::string_view kind, std::size_t named) {
        const std::string no = trade_no(kind);
        prepay(merchant, prepay_body(no, 100, "native", fleet[named]->notify_url()));
        pay_order(control, no);
        payments.push_back({no, named, killed});
    };
    // Every notification so far delivered (a 2xx heard by the simulator).
    auto all_delivered = [&] {
        const auto log = notification_log(control);
        if (log.size() != payments.size()) return false;
        for (const auto& n : log)
            if (!n.at("delivered").as_bool()) return false;
        return true;
    };
    auto kind_of = [](int i) { return i % 10 == 3 ? "FLAKY" : i % 10 == 7 ? "LOST" : "FLEET"; };

    // 30 payments across the fleet, settled: nothing of theirs is in flight at the kill.
    for (int i = 0; i < 30; ++i) pay(kind_of(i), static_cast<std::size_t>(i) % 3);
    REQUIRE(eventually(all_delivered, 20s));

    // A slow effect on r0, killed while it runs.
    pay("SLOW", 0);
    const std::string slow = payments.back().no;
    REQUIRE(eventually([&] { return text_of(*conn, {"GET", "fleet:started:" + slow}) == "1"; }, 10s));
    REQUIRE(fleet[0]->kill());
    killed = true;
    CHECK(text_of(*conn, {"GET", "fleet:effects:" + slow}).empty());  // killed before its effect ended

    // 29 more, a third naming the dead receiver: its balancer sends the redeliveries on.
    for (int i = 30; i < 59; ++i) pay(kind_of(i), static_cast<std::size_t>(i) % 3);
    REQUIRE(eventually(all_delivered, 30s));
    std::this_thread::sleep_for(300ms);  // a late duplicate would show now

    // Exactly one effect per payment, and who ran it.
    std::map<std::string, std::vector<std::string>> ran_on;  // out_trade_no → receiver names
    auto log = conn->async_exec({"LRANGE", "fleet:log", "0", "-1"}, asio::use_future).get();
    REQUIRE(log);
    for (const auto& entry : log->elements) {
        const auto space = entry.str.find(' ');
        ran_on[entry.str.substr(0, space)].push_back(entry.str.substr(space + 1));
    }
    CHECK(payments.size() == 60);
    CHECK(ran_on.size() == payments.size());
    std::set<std::string> receivers_used;
    for (const auto& p : payments) {
        INFO(p.no << " named r" << p.named);
        CHECK(text_of(*conn, {"GET", "fleet:effects:" + p.no}) == "1");
        REQUIRE(ran_on[p.no].size() == 1);
        const std::string& who = ran_on[p.no][0];
        receivers_used.insert(who);
        const std::string named = "r" + std::to_string(p.named);
        if (p.no.starts_with("FLAKY")) {  // failed once where it landed, done by the next receiver
            CHECK(text_of(*conn, {"GET", "fleet:tries:" + p.no}) == "2");
            CHECK(who != named);
        }
        if (p.no.starts_with("LOST")) CHECK(text_of(*conn, {"GET", "fleet:lost:" + p.no}) == "1");
        if (p.after_kill) CHECK(who != "r0");
    }
    CHECK(receivers_used == std::set<std::string>{"r0", "r1", "r2"});
    // The killed effect: started twice (r0, then after the lease another), completed once, elsewhere.
    CHECK(text_of(*conn, {"GET", "fleet:started:" + slow}) == "2");
    CHECK(ran_on[slow] != std::vector<std::string>{"r0"});

    // Deliveries as the simulator made them, and Redis's own count of the store's round trips.
    std::int64_t attempts = 0;
    for (const auto& n : notification_log(control)) attempts += n.at("attempts").to_number<std::int64_t>();
    const auto evals = command_calls(*conn, "eval");
    CHECK(evals > 0);
    std::cout << "redis fleet: " << payments.size() << " notifications, " << attempts
              << " delivery attempts (some to the killed receiver), " << evals
              << " store round trips (claims, renewals, completions, releases): "
              << static_cast<double>(evals) / static_cast<double>(payments.size()) << " per notification\n";
}
