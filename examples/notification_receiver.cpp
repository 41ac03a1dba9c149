// A notification receiver that survives WeChat Pay's retries. The simulator delivers each
// payment's notification on WeChat's retry schedule (shrunk a thousandfold here); the
// merchant's business effect fails the first N deliveries of each (say its database is down),
// so WeChat delivers again, and in the end each payment has exactly one business effect.
//
//   notification_receiver [--orders K] [--fail-first N]
#include <wechatpay/client.hpp>
#include <wechatpay/sim/simulator.hpp>

#include "notify_receiver.hpp"
#include "simulated_merchant.hpp"

#include <boost/asio.hpp>
#include <boost/json.hpp>

#include <charconv>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace wechatpay;
using namespace std::chrono_literals;

namespace {

// The merchant's side: what happened to each notification id.
class ledger {
public:
    explicit ledger(int fail_first) : fail_first_(fail_first) {}

    // A coroutine: a real effect would co_await its database here, not block an io thread.
    notification_effect effect() {
        return [this](const notification& n) -> asio::awaitable<result<void>> {
            std::lock_guard lock(mutex_);
            auto& e = by_id_[n.id];
            if (e.failures < fail_first_) {
                ++e.failures;
                co_return error(errc::invalid_argument, "database unavailable (simulated)");
            }
            ++e.effects;  // e.g. mark the order paid and ship it
            co_return result<void>();
        };
    }

    struct entry {
        int failures = 0, effects = 0;
    };
    std::map<std::string, entry> snapshot() const {
        std::lock_guard lock(mutex_);
        return by_id_;
    }

private:
    const int fail_first_;
    mutable std::mutex mutex_;
    std::map<std::string, entry> by_id_;
};

asio::awaitable<bool> order_and_pay(client& wechat, sim::simulator& simulator, std::string no, std::string notify_url) {
    prepay_request r;
    r.description = "notification example";
    r.out_trade_no = no;
    r.notify_url = std::move(notify_url);
    r.amount.total = 1;
    auto url = co_await wechat.async_prepay_native(std::move(r));
    if (!url) {
        std::cerr << "prepay " << no << ": " << url.error().to_string() << "\n";
        co_return false;
    }
    co_return simulator.pay(wechat.config().mchid, no).has_value();
}

}  // namespace

int main(int argc, char** argv) try {
    int orders = 20, fail_first = 3;
    // Whole numbers in range, or the usage: a loose "5abc" or a huge count is a mistake.
    auto count = [](std::string_view text, int max) {
        int v = -1;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc{} || end != text.data() + text.size() || v < 0 || v > max) v = -1;
        return v;
    };
    for (int i = 1; i < argc; i += 2) {
        const std::string_view a = argv[i], value = i + 1 < argc ? argv[i + 1] : "";
        if (a == "--orders") orders = count(value, 10000);
        else if (a == "--fail-first") fail_first = count(value, 10);
        else orders = -1;
        if (orders < 1 || fail_first < 0) {
            std::cerr << "usage: notification_receiver [--orders 1..10000] [--fail-first 0..10]\n";
            return 2;
        }
    }

    const auto dir = std::filesystem::temp_directory_path() / ("wechatpay-receiver-" + std::to_string(::getpid()));
    auto setup = sim::generate_test_setup(dir).value();
    setup.sim.threads = 1;
    setup.sim.notify_time_scale = 0.001;  // WeChat's 15 s, 15 s, 30 s, 3 min … become 15 ms, 15 ms, …
    auto simulator = sim::simulator::start(std::move(setup.sim)).value();

    asio::io_context ioc;
    auto guard = asio::make_work_guard(ioc);
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) threads.emplace_back([&] { ioc.run(); });

    client wechat(ioc.get_executor(), examples::simulated_merchant(setup, *simulator));
    ledger merchant(fail_first);
    examples::notify_receiver receiver(ioc, wechat, merchant.effect());
    receiver.start();
    std::cout << "receiver on " << receiver.url() << "; each notification's first " << fail_first
              << " deliveries fail\n";

    int failures = 0;
    for (int i = 0; i < orders; ++i) {
        const std::string no = "NR" + std::to_string(::getpid()) + "_" + std::to_string(i);
        auto paid = asio::co_spawn(ioc, order_and_pay(wechat, *simulator, no, receiver.url()), asio::use_future);
        if (!paid.get()) ++failures;
    }

    // Wait until every payment took effect, then a little longer: a late duplicate would show.
    auto effected = [&] {
        int n = 0;
        for (const auto& [id, e] : merchant.snapshot()) n += e.effects > 0;
        return n;
    };
    for (int waited = 0; effected() < orders && waited < 20000; waited += 20) std::this_thread::sleep_for(20ms);
    std::this_thread::sleep_for(200ms);

    const auto book = merchant.snapshot();
    const auto stats = boost::json::parse(simulator->stats_json()).at("notifications");
    int effects = 0;
    for (const auto& [id, e] : book) {
        effects += e.effects;
        if (e.effects != 1 || e.failures != fail_first) {
            std::cout << "   FAIL  " << id << ": " << e.failures << " failures, " << e.effects << " effects\n";
            ++failures;
        }
    }
    std::cout << orders << " payments, " << book.size() << " notification ids, " << receiver.deliveries()
              << " deliveries, " << effects << " business effects\n"
              << "simulator: " << boost::json::serialize(stats) << "\n";
    if (static_cast<int>(book.size()) != orders || effects != orders) ++failures;
    // At least one failed delivery per simulated outage, each answered with a failure; more
    // only if a delivery timed out on a very slow machine.
    if (receiver.deliveries() < orders * (fail_first + 1)) ++failures;
    if (stats.at("retried").to_number<int>() < orders * fail_first) ++failures;

    receiver.stop();
    guard.reset();
    ioc.stop();
    for (auto& t : threads) t.join();
    std::filesystem::remove_all(dir);
    std::cout << (failures == 0 ? "Exactly one business effect per payment." : "FAILED") << "\n";
    return failures == 0 ? 0 : 1;
} catch (const std::exception& e) {
    std::cerr << "notification_receiver: " << e.what() << "\n";
    return 1;
}
