// Many merchants' threads at once against a simulator with 2 io threads: keep-alive HTTPS
// connections, prepays, queries and payments interleaved; every signed answer must verify.
// Built and run under ThreadSanitizer in CI (label `concurrency`). Catch2 v2 assertions are not
// thread-safe: workers count outcomes in atomics, the test thread checks them after join().
#include "sim_env.hpp"

#include <thread>
#include <vector>

using namespace wechatpay_test;

TEST_CASE("8 client threads against 2 server threads: every answer is right and verifies", "[sim][concurrency]") {
    constexpr int client_threads = 8;
    constexpr int rounds = 25;  // 4 requests a round: 100 per thread
    sim_env env;
    REQUIRE(int_at(env.stats(), "/connections_accepted") == 0);
    const auto verifier = full_verifier();
    std::vector<wechatpay::signer> signers;
    for (int t = 0; t < client_threads; ++t) signers.push_back(merchant_signer());

    std::atomic<int> verified{0}, paid{0}, transport_errors{0}, unexpected_status{0}, bad_signatures{0},
        wrong_content{0};
    std::atomic<unsigned> connections{0};
    std::atomic<int> ready{0};

    auto work = [&](int t) {
        sim_client client(env.sim(), signers[static_cast<std::size_t>(t)]);
        ++ready;
        while (ready.load() < client_threads) std::this_thread::yield();  // start together
        // One answer: the expected status, then (for API answers) the signature.
        auto expect = [&](const wechatpay::result<sim_answer>& r, unsigned status, bool is_signed) -> bool {
            if (!r) return ++transport_errors, false;
            if (r->status != status) return ++unexpected_status, false;
            if (!is_signed) return true;
            if (!verifier.verify(r->headers, r->body)) return ++bad_signatures, false;
            ++verified;
            return true;
        };
        for (int i = 0; i < rounds; ++i) {
            const std::string no = "C" + std::to_string(t) + "_" + std::to_string(i) + "_" + trade_no("");
            auto created = client.signed_call("POST", prepay_path("native"), json::serialize(prepay_body(no, 1 + i)));
            if (!expect(created, 200, true)) continue;
            auto before = client.signed_call("GET", order_path(no));
            if (expect(before, 200, true) && str_at(*before, "/trade_state") != "NOTPAY") ++wrong_content;
            auto pay = client.unsigned_call("POST", "/sim/orders/" + no + "/pay");
            if (expect(pay, 200, false)) ++paid;
            auto after = client.signed_call("GET", order_path(no));
            if (expect(after, 200, true) &&
                (str_at(*after, "/trade_state") != "SUCCESS" || int_at(*after, "/amount/total") != 1 + i))
                ++wrong_content;
        }
        connections += client.connections_opened();
    };
    const auto started = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < client_threads; ++t) threads.emplace_back(work, t);
    for (auto& thread : threads) thread.join();
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    INFO(client_threads * rounds * 4 << " requests in " << took.count() << " ms");

    CHECK(transport_errors == 0);
    CHECK(unexpected_status == 0);
    CHECK(bad_signatures == 0);
    CHECK(wrong_content == 0);
    CHECK(verified == client_threads * rounds * 3);
    CHECK(paid == client_threads * rounds);
    // Keep-alive: one connection per client thread.
    CHECK(connections == client_threads);
    const auto s = env.stats();
    CHECK(int_at(s, "/connections_accepted") == client_threads);
    CHECK(int_at(s, "/requests/~1v3~1pay~1transactions~1native") == client_threads * rounds);
    CHECK(int_at(s, "/requests/~1v3~1pay~1transactions~1out-trade-no~1{out_trade_no}") == client_threads * rounds * 2);
    CHECK(int_at(s, "/answers/200") == client_threads * rounds * 4);
}
