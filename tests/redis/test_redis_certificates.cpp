// WeChat Pay's platform certificates shared through Redis (redis/certificates.hpp) by a fleet
// of clients in certificate-download mode, against the simulator (real TLS on loopback) and a
// real redis-server: separate client processes (certificates_fleet_member) for one download per
// rotation and for an elected downloader that dies; clients in this process for a tampered
// cache entry and for Redis down or stuck.
#include "client_env.hpp"
#include "io_threads.hpp"
#include "redis_server.hpp"

#include <wechatpay/redis/certificates.hpp>
#include <wechatpay/redis/connection.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <mutex>
#include <sstream>

namespace redis = wechatpay::redis;
using namespace wechatpay_test;

namespace {

constexpr std::string_view certificates_endpoint = "/v3/certificates";

std::int64_t downloads(const sim_env& env) {
    const auto stats = env.stats();
    const auto* n = stats.at("requests").as_object().if_contains(certificates_endpoint);
    return n ? n->to_number<std::int64_t>() : 0;
}

std::string rotate(const sim_env& env) {
    auto control = env.control();
    auto rotated = UNWRAP(control.unsigned_call("POST", "/sim/certificates/rotate"));
    REQUIRE(rotated.status == 200);
    return str_at(rotated, "/serial_no");
}

std::string paid_order(const sim_env& env) {
    auto merchant = env.client();
    const std::string no = trade_no("F");
    prepay(merchant, prepay_body(no));
    return no;
}

// One instance of the fleet as its own process, spoken to line by line over pipes.
class fleet_process {
public:
    fleet_process(const wechatpay::sim::simulator& sim, std::uint16_t redis_port, std::chrono::milliseconds lease = 15s) {
        ::signal(SIGPIPE, SIG_IGN);  // a write to a killed member must fail, not kill the test
        const auto& k = shared_keys::get();
        // Built before fork: the child only execs.
        std::vector<std::string> env{"WECHATPAY_MCHID=" + k.setup.mchid,
                                     "WECHATPAY_APPID=" + k.setup.appid,
                                     "WECHATPAY_PRIVATE_KEY_FILE=" + k.setup.merchant_key.string(),
                                     "WECHATPAY_CERTIFICATE_FILE=" + k.setup.merchant_cert.string(),
                                     "WECHATPAY_APIV3_KEY=" + k.setup.apiv3_key,
                                     "WECHATPAY_HOST=" + sim.host(),
                                     "WECHATPAY_PORT=" + std::to_string(sim.port()),
                                     "WECHATPAY_CA_FILE=" + sim.ca_file().string()};
        const std::string port = std::to_string(redis_port), lease_ms = std::to_string(lease.count());
        std::vector<char*> envp, argv{const_cast<char*>("certificates_fleet_member"), const_cast<char*>(port.c_str()),
                                      const_cast<char*>(lease_ms.c_str()), nullptr};
        for (auto& e : env) envp.push_back(e.data());
        envp.push_back(nullptr);
        int to_child[2], from_child[2];
        if (::pipe2(to_child, O_CLOEXEC) != 0 || ::pipe2(from_child, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork");
        if (pid_ == 0) {
            ::dup2(to_child[0], 0);
            ::dup2(from_child[1], 1);
            ::execve(WECHATPAY_FLEET_MEMBER, argv.data(), envp.data());
            ::_exit(127);
        }
        ::close(to_child[0]);
        ::close(from_child[1]);
        in_ = to_child[1];
        out_ = from_child[0];
    }
    ~fleet_process() {
        if (pid_ > 0) {
            send("quit");
            for (int i = 0; i < 250 && ::waitpid(pid_, nullptr, WNOHANG) == 0; ++i)
                std::this_thread::sleep_for(20ms);
            kill();
        }
        ::close(in_);
        ::close(out_);
    }
    fleet_process(const fleet_process&) = delete;
    fleet_process& operator=(const fleet_process&) = delete;

    void send(std::string line) {
        line += '\n';
        [[maybe_unused]] auto n = ::write(in_, line.data(), line.size());
    }
    // The member's next line, or "timeout" / "eof".
    std::string line(std::chrono::milliseconds within = 30s) {
        const auto deadline = std::chrono::steady_clock::now() + within;
        for (;;) {
            if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
                std::string l = buffer_.substr(0, nl);
                buffer_.erase(0, nl + 1);
                return l;
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left <= 0ms) return "timeout";
            pollfd p{out_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
            char buf[512];
            const auto n = ::read(out_, buf, sizeof buf);
            if (n <= 0) return "eof";
            buffer_.append(buf, static_cast<std::size_t>(n));
        }
    }
    void kill() {  // as a crash: no goodbye
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
    // "stats" as numbers by name.
    std::map<std::string, std::int64_t> stats() {
        send("stats");
        std::map<std::string, std::int64_t> out;
        std::istringstream in(line());
        std::string word;
        in >> word;
        while (in >> word)
            if (auto eq = word.find('='); eq != std::string::npos) out[word.substr(0, eq)] = std::stoll(word.substr(eq + 1));
        return out;
    }

private:
    pid_t pid_ = -1;
    int in_ = -1, out_ = -1;
    std::string buffer_;
};

std::int64_t total(std::vector<std::unique_ptr<fleet_process>>& fleet, const std::string& name) {
    std::int64_t n = 0;
    for (auto& p : fleet) n += p->stats()[name];
    return n;
}

// A client of this process with its own io_context, Redis connection and shared cache.
struct member {
    io_threads io;  // first: destroyed last, after what runs on it
    std::shared_ptr<redis::connection> conn;
    std::shared_ptr<redis::certificate_cache> cache;
    std::unique_ptr<wechatpay::client> client;
    std::vector<std::string> warnings;  // written by the logger until client is destroyed
    std::mutex warnings_mutex;

    member(const wechatpay::sim::simulator& sim, std::uint16_t redis_port,
           std::chrono::milliseconds timeouts = roomy_timeouts) {
        conn = std::make_shared<redis::connection>(io.ioc.get_executor(), local_redis(redis_port, timeouts));
        cache = std::make_shared<redis::certificate_cache>(conn, shared_keys::get().setup.mchid);
        auto cfg = client_config_for(sim, key_mode::download);
        cfg.certificate_source = cache;
        cfg.logger = [this](wechatpay::log_level l, std::string_view message, std::string_view) {
            secrets::inspect("log", message);
            std::lock_guard lock(warnings_mutex);
            if (l == wechatpay::log_level::warning) warnings.emplace_back(message);
        };
        client = UNWRAP(wechatpay::client::create(io.ioc.get_executor(), std::move(cfg)));
    }
    ~member() {
        client.reset();
        cache.reset();
        conn.reset();
    }
    bool has_certificates() const { return !client->current_verifier().certificates().empty(); }
    std::vector<std::string> logged_warnings() {
        std::lock_guard lock(warnings_mutex);
        return warnings;
    }
};

wechatpay::result<redis::reply> exec(redis::connection& c, std::vector<std::string> args) {
    return c.async_exec(std::move(args), asio::use_future).get();
}

// The test's own connection to Redis, to look at and tamper with what the fleet shares.
struct redis_link {
    io_threads io;
    std::shared_ptr<redis::connection> conn;
    explicit redis_link(std::uint16_t port)
        : conn(std::make_shared<redis::connection>(io.ioc.get_executor(), local_redis(port))) {}
    ~redis_link() { conn.reset(); }
};

}  // namespace

TEST_CASE("certificates through Redis: a fleet of client processes downloads once per rotation, and each verifies "
          "answers signed with the new serial",
          "[redis][certificates][processes]") {
    redis_server server;
    // A rotated certificate signs at once (WeChat publishes it a day before): every member meets
    // the new serial in its next answer.
    sim_env env([](wechatpay::sim::config& c) { c.rotation_overlap = 0s; });
    const std::string no = paid_order(env);
    const std::string first_serial = shared_keys::get().platform_cert.serial();

    constexpr int members = 4;
    std::vector<std::unique_ptr<fleet_process>> fleet;
    for (int i = 0; i < members; ++i) fleet.push_back(std::make_unique<fleet_process>(env.sim(), server.port()));
    for (auto& p : fleet) CHECK(p->line() == "ready " + first_serial);
    CHECK(downloads(env) == 1);  // one for the fleet's start
    CHECK(total(fleet, "downloads") == 1);
    CHECK(total(fleet, "shared") == members - 1);
    CHECK(total(fleet, "fallbacks") == 0);

    const auto trips_before = total(fleet, "round_trips");
    const std::string serial = rotate(env);
    REQUIRE(serial != first_serial);
    auto merchant = env.client();
    CHECK(UNWRAP(merchant.signed_call("GET", order_path(no))).headers.serial == serial);  // what the fleet meets
    for (auto& p : fleet) p->send("query " + no + " " + serial);  // all at once
    for (auto& p : fleet) CHECK(p->line() == "ok knows=1");
    CHECK(downloads(env) == 2);  // one more for the whole fleet
    CHECK(total(fleet, "downloads") == 2);
    CHECK(total(fleet, "refreshes") == members * 2);
    CHECK(total(fleet, "fallbacks") == 0);
    const auto trips = total(fleet, "round_trips") - trips_before;
    // The elected member: look + store; each other: look (and polls while it downloads).
    CHECK(trips >= 2 + (members - 1));
    std::printf("fleet of %d processes, one rotation: %lld Redis round trips, 1 download\n", members,
                static_cast<long long>(trips));
}

TEST_CASE("certificates through Redis: an elected downloader that dies leaves its lock to lapse; another instance "
          "then downloads",
          "[redis][certificates][processes]") {
    redis_server server;
    sim_env env;
    // The first download hangs long enough for its process to be killed during it.
    {
        auto control = env.control();
        auto added = UNWRAP(control.unsigned_call(
            "POST", "/sim/faults",
            json::serialize(json::object{{"kind", "delay"}, {"endpoint", certificates_endpoint}, {"delay_ms", 5000}, {"times", 1}})));
        REQUIRE(added.status == 200);
    }
    redis_link redis(server.port());
    const std::string lock_key = "wechatpay:{" + shared_keys::get().setup.mchid + "}:certificates:lock";
    auto locked = [&] {
        auto r = exec(*redis.conn, {"EXISTS", lock_key});
        return r && r->integer == 1;
    };

    // A lease long enough for `next` (a process to start, under ASan too) to find the lock held.
    constexpr auto lease = 10s;
    fleet_process doomed(env.sim(), server.port(), lease);
    REQUIRE(eventually(locked, 20s));  // elected
    // Killed once its download reached the simulator (delayed there): under ASan, the lock comes
    // well before the request.
    REQUIRE(eventually([&] { return downloads(env) == 1; }, 20s));
    doomed.kill();
    CHECK(locked());  // its lock outlives it, for its lease

    fleet_process next(env.sim(), server.port(), lease);
    CHECK(next.line(lease + 30s) == "ready " + shared_keys::get().platform_cert.serial());
    const auto st = next.stats();
    CHECK(st.at("downloads") == 1);  // elected once the lease lapsed
    CHECK(st.at("fallbacks") == 0);
    CHECK(st.at("round_trips") >= 3);  // it waited: looked more than once
    CHECK_FALSE(locked());              // released with the answer stored
    CHECK(downloads(env) == 2);         // the dead one's and the next one's
}

TEST_CASE("certificates through Redis: a tampered cached answer is refused and replaced by a download",
          "[redis][certificates]") {
    redis_server server;
    sim_env env;
    redis_link redis(server.port());
    const std::string key = "wechatpay:{" + shared_keys::get().setup.mchid + "}:certificates";

    member first(env.sim(), server.port());
    REQUIRE(eventually([&] { return first.has_certificates(); }, 10s));
    REQUIRE(downloads(env) == 1);
    auto genuine = UNWRAP(exec(*redis.conn, {"HGET", key, "body"}));
    REQUIRE(genuine.kind == redis::reply::type::string);
    const auto genuine_time = UNWRAP(exec(*redis.conn, {"HGET", key, "Wechatpay-Timestamp"}));

    struct tamper {
        std::string name, field, value;
    };
    auto body = genuine.str;
    body[body.find("\"serial_no\":\"") + 13] ^= 1;  // a listed serial changed
    const std::vector<tamper> cases{
        {"the body changed", "body", body},
        {"a signature from elsewhere", "Wechatpay-Signature", std::string(344, 'A')},
        {"the timestamp moved", "Wechatpay-Timestamp", std::to_string(std::stoll(genuine_time.str) - 1)},
        {"a serial nobody knows", "Wechatpay-Serial", "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"},
    };
    std::int64_t expected = 1;
    for (const auto& t : cases) {
        INFO(t.name);
        REQUIRE(exec(*redis.conn, {"HSET", key, t.field, t.value}));
        member next(env.sim(), server.port());
        REQUIRE(eventually([&] { return next.has_certificates(); }, 10s));
        CHECK(downloads(env) == ++expected);  // refused, then downloaded
        const auto st = next.cache->stats();
        CHECK(st.shared == 1);
        CHECK(st.downloads == 1);
        const auto warned = next.logged_warnings();
        REQUIRE(warned.size() == 1);
        CHECK(warned[0].find("shared certificate list refused") != std::string::npos);
        // The download replaced the tampered answer: the next instance takes it as it is.
        member after(env.sim(), server.port());
        REQUIRE(eventually([&] { return after.has_certificates(); }, 10s));
        CHECK(downloads(env) == expected);
        CHECK(after.cache->stats().shared == 1);
        CHECK(after.logged_warnings().empty());
    }
}

TEST_CASE("certificates through Redis: a genuine answer older than the installed one, or one that brings no new "
          "certificate when a serial is unknown, is replaced by a download",
          "[redis][certificates]") {
    redis_server server;
    sim_env env;
    redis_link redis(server.port());
    const std::string key = "wechatpay:{" + shared_keys::get().setup.mchid + "}:certificates";
    auto saved = [&] { return UNWRAP(exec(*redis.conn, {"HGETALL", key})).elements; };
    auto restore = [&](const std::vector<redis::reply>& fields) {
        std::vector<std::string> args{"HSET", key};
        for (const auto& f : fields) args.push_back(f.str);
        REQUIRE(exec(*redis.conn, {"DEL", key}));
        REQUIRE(exec(*redis.conn, std::move(args)));
    };
    auto warned = [](member& m, std::string_view what) {
        for (const auto& w : m.logged_warnings())
            if (w.find(what) != std::string::npos) return true;
        return false;
    };

    member first(env.sim(), server.port());
    REQUIRE(eventually([&] { return first.has_certificates(); }, 10s));
    const auto older = saved();
    std::this_thread::sleep_for(1100ms);  // Wechatpay-Timestamp counts seconds
    REQUIRE(exec(*redis.conn, {"DEL", key}));
    member second(env.sim(), server.port());  // downloads a newer answer, the same certificates
    REQUIRE(eventually([&] { return second.has_certificates(); }, 10s));
    REQUIRE(downloads(env) == 2);

    SECTION("a replayed older answer") {
        restore(older);
        CHECK(outcome(second.client->async_certificates(asio::use_future).get()) == "ok");
        CHECK(warned(second, "older than the installed one"));
        CHECK(downloads(env) == 3);
        CHECK(second.cache->stats().shared == 1);
    }
    SECTION("an unknown serial: a newer shared answer without a new certificate cannot help") {
        const std::string no = paid_order(env);
        auto control = env.control();
        REQUIRE(UNWRAP(control.unsigned_call(
                           "POST", "/sim/faults",
                           json::serialize(json::object{{"kind", "unknown_serial"}, {"endpoint", query_endpoint}, {"times", 1}})))
                    .status == 200);
        auto r = first.client->async_query_by_out_trade_no(no, asio::use_future).get();
        CHECK(errc_of(r) == wechatpay::errc::unknown_serial);
        CHECK(warned(first, "brings no new certificate"));
        CHECK(downloads(env) == 3);  // then it downloaded itself
        CHECK(first.cache->stats().downloads == 2);
    }
}

TEST_CASE("certificates through Redis: Redis down or stuck, each instance downloads directly", "[redis][certificates]") {
    redis_server server;
    sim_env env;
    SECTION("down") { server.stop(); }
    SECTION("stuck (no answer within command_timeout)") { server.pause(); }
    member alone(env.sim(), server.port(), gone_timeouts);
    REQUIRE(eventually([&] { return alone.has_certificates(); }, 10s));
    CHECK(downloads(env) == 1);
    const auto st = alone.cache->stats();
    CHECK(st.fallbacks == 1);
    CHECK(st.downloads == 1);
    CHECK(st.shared == 0);
    // And calls verify with them.
    const std::string no = paid_order(env);
    auto r = alone.client->async_query_by_out_trade_no(no, asio::use_future).get();
    CHECK(outcome(r) == "ok");
    server.resume();
}
