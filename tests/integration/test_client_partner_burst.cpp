// A burst of mixed direct and partner calls on one client (4 io threads), answered through
// futures on every thread at once: each answer is the order of the sub-merchant (or the direct
// merchant) it was asked for. With the concurrency tests: CI runs it under ThreadSanitizer.
#include "partner_env.hpp"

#include <atomic>

using namespace wechatpay_test;
using namespace wechatpay_test::partner;

TEST_CASE("partner: a burst of mixed direct and partner calls on one client (4 io threads) never crosses answers",
          "[client][partner][concurrency]") {
    client_env env(with_default_sub(4));
    auto& c = env.client();
    constexpr int per_kind = 12;
    struct expected {
        std::string owner;  // "" for the provider's own (direct) orders
        std::string no;
        std::int64_t total;
    };
    std::vector<expected> orders;
    for (int i = 0; i < per_kind; ++i) {
        orders.push_back({"", env.new_order(100 + i), 100 + i});
        orders.push_back({sub(0).mchid, new_partner_order(env, sub(0).mchid, 200 + i), 200 + i});
        orders.push_back({sub(1).mchid, new_partner_order(env, sub(1).mchid, 300 + i), 300 + i});
    }
    // Every query at once, twice over, through futures: the answers arrive on 4 threads.
    std::vector<std::future<wechatpay::result<wechatpay::transaction>>> futures;
    for (int round = 0; round < 2; ++round)
        for (const auto& o : orders)
            futures.push_back(o.owner.empty() ? c.async_query_by_out_trade_no(o.no, asio::use_future)
                                              : c.async_partner_query_by_out_trade_no(o.owner, o.no, asio::use_future));
    std::atomic<int> mismatches{0};
    for (std::size_t i = 0; i < futures.size(); ++i) {
        const auto& want = orders[i % orders.size()];
        auto got = client_env::wait(futures[i], 30s);
        REQUIRE(outcome(got) == "ok");
        const bool right = got->out_trade_no == want.no && got->amount && got->amount->total == want.total &&
                           (want.owner.empty() ? got->mchid == sp_mchid() && !got->is_partner()
                                               : got->sub_mchid == want.owner && got->sp_mchid == sp_mchid());
        if (!right) ++mismatches;
    }
    CHECK(mismatches == 0);
    CHECK(env.sim_requests("/v3/pay/partner/transactions/out-trade-no/{out_trade_no}") == 4 * per_kind);
}
