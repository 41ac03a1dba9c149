// `./dev demo --redis`: two instances of a merchant's notification receiver share one Redis
// (wechatpay::redis::dedup), behind the load balancer that WeChat's notify_url reaches: the
// simulator sends each delivery of a notification to the next instance in turn. A business
// effect that fails once, and one that outlasts WeChat's 5 s wait, make WeChat deliver again —
// to the other instance — and still every payment takes effect exactly once.
//
//   wechatpay_redis_demo [--payments N]    (N from 3 to 100, default 6)
//
// It starts Debian's redis-server itself on a free loopback port, without persistence, in a
// temporary folder with the simulator's generated keys; both are gone when it ends.
#include <wechatpay/client.hpp>
#include <wechatpay/redis/connection.hpp>
#include <wechatpay/redis/dedup.hpp>
#include <wechatpay/sim/simulator.hpp>

#include "notify_receiver.hpp"
#include "simulated_merchant.hpp"

#include <boost/asio.hpp>
#include <boost/json.hpp>

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace redis = wechatpay::redis;
using namespace wechatpay;
using namespace std::chrono_literals;

namespace {

// A free port on 127.0.0.1, as the kernel hands out.
std::uint16_t free_port() {
    asio::io_context ioc;
    asio::ip::tcp::acceptor probe(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    return probe.local_endpoint().port();
}

// Debian's redis-server on 127.0.0.1, no persistence, its files in `dir`; stopped (SIGTERM) with
// the object.
class local_redis {
public:
    explicit local_redis(const std::filesystem::path& dir) : port_(free_port()) {
        const std::string port = std::to_string(port_), where = dir.string();
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // a demo that crashes leaves no server behind
            ::execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1", "--save", "",
                     "--appendonly", "no", "--dir", where.c_str(), "--logfile", "redis.log",
                     static_cast<char*>(nullptr));
            ::_exit(127);
        }
        for (int i = 0; i < 500; ++i, std::this_thread::sleep_for(20ms)) {  // up to 10 s
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("redis-server did not start (./dev installs Debian's redis-server)");
            }
            asio::io_context ioc;
            asio::ip::tcp::socket probe(ioc);
            boost::system::error_code ec;
            probe.connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
            if (!ec) return;
        }
        stop();
        throw std::runtime_error("redis-server did not listen on 127.0.0.1:" + port);
    }
    ~local_redis() { stop(); }
    local_redis(const local_redis&) = delete;
    local_redis& operator=(const local_redis&) = delete;
    std::uint16_t port() const { return port_; }

private:
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
    std::uint16_t port_;
    pid_t pid_ = -1;
};

// What each order is for in this demo, by its position.
enum class kind { plain, fails_once, slow };
kind kind_of(int i) { return i == 1 ? kind::fails_once : i == 2 ? kind::slow : kind::plain; }

// The transcript: one line per delivery and per effect, from any io thread.
class transcript {
public:
    void line(const std::string& text) {
        std::lock_guard lock(mutex_);
        std::cout << text << std::endl;
    }
    void order_of(const std::string& id, const std::string& no) {
        std::lock_guard lock(mutex_);
        orders_[id] = no;
    }
    // The effect of notification `id` ran on `instance` (and that delivery's answer is not out yet).
    void ran(const std::string& id, const std::string& instance) {
        std::lock_guard lock(mutex_);
        ran_.insert(id + " " + instance);
    }
    // Whether this answer follows an effect on `instance`, rather than a handled notification's
    // redelivery answered from the store.
    bool answers_effect(const std::string& body, const std::string& instance) {
        std::lock_guard lock(mutex_);
        return ran_.erase(id_of(body) + " " + instance) == 1;
    }
    std::string order(const std::string& body) {
        std::lock_guard lock(mutex_);
        const auto it = orders_.find(id_of(body));
        return it == orders_.end() ? "?" : it->second;
    }

private:
    static std::string id_of(const std::string& body) {
        boost::system::error_code ec;
        const auto v = boost::json::parse(body, ec);
        const auto* id = ec || !v.is_object() ? nullptr : v.as_object().if_contains("id");
        return id && id->is_string() ? std::string(id->get_string()) : std::string();
    }
    std::mutex mutex_;
    std::map<std::string, std::string> orders_;  // notification id → out_trade_no
    std::set<std::string> ran_;                  // "id instance"
};

// One instance of the merchant's service: its own Redis connection and store, its receiver.
struct instance {
    std::string name;
    std::shared_ptr<redis::connection> conn;
    std::shared_ptr<redis::dedup> store;
    std::unique_ptr<examples::notify_receiver> receiver;

    instance(std::string n, asio::io_context& ioc, std::uint16_t redis_port, const sim::test_setup& setup,
             transcript& out, std::vector<std::string>& order_numbers)
        : name(std::move(n)) {
        redis::options where;
        where.port = redis_port;
        conn = std::make_shared<redis::connection>(ioc.get_executor(), where);
        redis::dedup_options lease;
        lease.lease = 3s;  // renewed every second while an effect runs
        store = std::make_shared<redis::dedup>(conn, setup.mchid, lease);
        notification_handler handler(verifier({certificate::from_file(setup.platform_cert).value()}),
                                     apiv3_key::from(setup.apiv3_key).value(), store);
        auto watch = [this, &out](const std::string& body, const notification_reply& r) {
            std::string why = r.reason ? r.reason->detail : "";
            if (const auto cut = why.find(": "); cut != std::string::npos) why = why.substr(cut + 2);
            if (r.status == 204 && !out.answers_effect(body, name))
                why = "handled already, by the store's record: no second effect";
            out.line("   " + name + "  " + out.order(body) + " answered " + std::to_string(r.status) +
                     (why.empty() ? "" : " (" + why + ")"));
        };
        receiver = std::make_unique<examples::notify_receiver>(ioc, std::move(handler), effect(out, order_numbers),
                                                               std::move(watch));
        receiver->start();
    }

    asio::awaitable<long long> incr(std::string key) {
        std::vector<std::string> command{"INCR", std::move(key)};  // g++ 12: no braced temporary in co_await
        auto r = co_await conn->async_exec(std::move(command), asio::use_awaitable);
        if (!r) throw exception(r.error());
        co_return r->integer;
    }

    // Marks the order paid, counted in Redis by the effect itself (demo:effects:NO).
    notification_effect effect(transcript& out, std::vector<std::string>& order_numbers) {
        return [this, &out, &order_numbers](const notification& n) -> asio::awaitable<result<void>> {
            const auto t = n.transaction();
            if (!t) co_return t.error();
            const std::string no = t->out_trade_no;
            out.order_of(n.id, no);
            const auto at = std::find(order_numbers.begin(), order_numbers.end(), no) - order_numbers.begin();
            const kind k = kind_of(static_cast<int>(at));
            if (k == kind::fails_once && co_await incr("demo:tries:" + no) == 1) {
                out.line("   " + name + "  " + no + " effect: the database is busy, fails");
                co_return error(errc::invalid_argument, "database busy (simulated)");
            }
            if (k == kind::slow) {
                out.line("   " + name + "  " + no + " effect: takes 6 s, beyond WeChat's 5 s wait (its answer will reach nobody)");
                asio::steady_timer slow(co_await asio::this_coro::executor, 6s);
                co_await slow.async_wait(asio::use_awaitable);
            }
            const long long effects = co_await incr("demo:effects:" + no);
            out.ran(n.id, name);
            out.line("   " + name + "  " + no + " effect: order marked paid (effect #" + std::to_string(effects) + ")");
            co_return result<void>();
        };
    }

    std::string address() const {
        const std::string url = receiver->url();  // http://127.0.0.1:PORT/notify
        return url.substr(7, url.find('/', 7) - 7);
    }
};

std::string text_of(redis::connection& c, std::vector<std::string> command) {
    auto r = c.async_exec(std::move(command), asio::use_future).get();
    if (!r) throw exception(r.error());
    return r->kind == redis::reply::type::integer ? std::to_string(r->integer) : r->str;
}

long long commandstat(const std::string& info, const std::string& command) {
    const std::string field = "cmdstat_" + command + ":calls=";
    const auto at = info.find(field);
    return at == std::string::npos ? 0 : std::stoll(info.substr(at + field.size()));
}

}  // namespace

int main(int argc, char** argv) try {
    int payments = 6;
    if (argc == 3 && std::string_view(argv[1]) == "--payments") {
        const std::string_view v = argv[2];
        const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), payments);
        if (ec != std::errc{} || end != v.data() + v.size()) payments = -1;
    }
    if ((argc != 1 && argc != 3) || payments < 3 || payments > 100) {
        std::cerr << "usage: wechatpay_redis_demo [--payments 3..100]\n";
        return 2;
    }

    std::string dir_name = (std::filesystem::temp_directory_path() / "wechatpay-redis-demo-XXXXXX").string();
    if (!::mkdtemp(dir_name.data())) throw std::runtime_error("cannot create " + dir_name);
    const std::filesystem::path dir = dir_name;
    struct remove_at_exit {
        std::filesystem::path d;
        ~remove_at_exit() {
            std::error_code ec;
            std::filesystem::remove_all(d, ec);
        }
    } cleanup{dir};

    local_redis store(dir);
    auto setup = sim::generate_test_setup(dir / "keys").value();
    std::cout << "wechatpay-asio Redis demo: redis-server on 127.0.0.1:" << store.port()
              << " (started here, stopped at exit); merchant " << setup.mchid << "\n";

    asio::io_context ioc;
    auto guard = asio::make_work_guard(ioc);
    std::vector<std::thread> threads;
    struct joiner {
        asio::executor_work_guard<asio::io_context::executor_type>& g;
        std::vector<std::thread>& t;
        ~joiner() {
            g.reset();
            g.get_executor().context().stop();
            for (auto& th : t) th.join();
        }
    } join_at_exit{guard, threads};

    transcript out;
    std::vector<std::string> order_numbers;
    for (int i = 0; i < payments; ++i) order_numbers.push_back("REDIS" + std::to_string(::getpid()) + "_" + std::to_string(i));
    std::vector<std::unique_ptr<instance>> fleet;
    for (const char* name : {"A", "B"})
        fleet.push_back(std::make_unique<instance>(name, ioc, store.port(), setup, out, order_numbers));
    for (int t = 0; t < 2; ++t) threads.emplace_back([&ioc] { ioc.run(); });

    // WeChat calls one notify_url; the merchant's load balancer in front of it picks an instance.
    setup.sim.threads = 1;
    setup.sim.notify_time_scale = 0.001;  // WeChat's redeliveries after 15 s, 15 s, 30 s … come after 15 ms, …
    const std::string front = fleet[0]->address();
    setup.sim.notify_balance[front] = {fleet[0]->address(), fleet[1]->address()};
    auto simulator = sim::simulator::start(std::move(setup.sim)).value();
    client wechat(ioc.get_executor(), examples::simulated_merchant(setup, *simulator));

    std::cout << "\n== Two instances, A (" << fleet[0]->address() << ") and B (" << fleet[1]->address()
              << "), one Redis; the notify_url http://" << front
              << "/notify is a load balancer: each delivery goes to the next instance\n"
              << "   (" << order_numbers[1] << "'s effect fails once; " << order_numbers[2]
              << "'s takes 6 s, and WeChat waits 5 s for an answer)\n";
    int failures = 0;
    for (const auto& no : order_numbers) {
        prepay_request r;
        r.description = "Redis demo";
        r.out_trade_no = no;
        r.notify_url = "http://" + front + "/notify";
        r.amount.total = 100;
        const auto prepaid = asio::co_spawn(ioc, wechat.async_prepay_native(std::move(r)), asio::use_future).get();
        if (!prepaid || !simulator->pay(setup.mchid, no)) {
            std::cout << "   FAIL  order " << no << (prepaid ? "" : ": " + prepaid.error().to_string()) << "\n";
            ++failures;
        }
    }

    // Until WeChat has heard a 2xx for every notification (the slow one: about 7 s).
    auto counter = [&](const char* name) {
        return boost::json::parse(simulator->stats_json()).at("notifications").at(name).to_number<long long>();
    };
    for (int waited = 0; counter("sent") < payments && waited < 30'000; waited += 20) std::this_thread::sleep_for(20ms);
    std::this_thread::sleep_for(300ms);  // a late duplicate effect would show now

    std::cout << "\n== Each payment's effect, as counted in Redis by the effects themselves\n";
    auto& check = *fleet[0]->conn;
    for (const auto& no : order_numbers) {
        const std::string effects = text_of(check, {"GET", "demo:effects:" + no});
        const bool once = effects == "1";
        failures += !once;
        std::cout << (once ? "   ok    " : "   FAIL  ") << no << ": " << (effects.empty() ? "0" : effects)
                  << " effect" << (once ? "" : "s") << "\n";
    }
    const long long sent = counter("sent"), failed = counter("failed");
    const std::string info = text_of(check, {"INFO", "commandstats"});
    const long long evals = commandstat(info, "eval");
    std::cout << "\n== Redis round trips\n"
              << "   " << payments << " notifications, " << sent + failed << " deliveries (" << failed
              << " failed: an error answer, or none within 5 s; each time WeChat delivered again, to the next instance)\n"
              << "   the shared store: " << evals
              << " round trips (INFO commandstats: a claim per delivery, a completion per effect, a release per\n"
              << "   failed effect, a lease renewal per second of the slow effect), "
              << std::to_string(evals * 100 / payments / 100) + "." + std::to_string(evals * 100 / payments % 100 / 10)
              << " per notification\n";
    if (sent != payments) ++failures;

    for (auto& i : fleet) i->receiver->stop();
    fleet.clear();  // the Redis connections close on the io threads, which still run
    asio::post(ioc, asio::use_future).get();
    std::cout << std::flush;
    std::cout << "\n" << (failures == 0 ? "Every payment took effect exactly once." : "Some steps FAILED.") << "\n";
    return failures == 0 ? 0 : 1;
} catch (const std::exception& e) {
    std::cerr << "redis demo: " << e.what() << "\n";
    return 1;
}
