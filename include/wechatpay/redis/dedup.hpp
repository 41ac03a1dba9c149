// Notification de-duplication shared by every instance of a merchant's servers: each
// notification id has one business effect however many instances receive its deliveries.
//
// Per id, one Redis key `wechatpay:{MCHID}:notification:ID` (the braces keep a merchant's keys in
// one Redis Cluster slot):
// - claim: SET NX with a lease (`lease`, default 60 s) holding a token of this claim. While the
//   effect runs the lease is renewed every lease/3, so a slow effect keeps its claim and an
//   instance that dies mid-effect gives the id up within `lease`.
// - complete: the key becomes "done" for `done_ttl` (25 h, beyond WeChat's last redelivery).
//   If Redis cannot be reached then, the store keeps trying in the background (the effect did
//   happen) and the error is reported; the receiver still acknowledges WeChat.
// - release (the effect failed): the key is deleted if it still holds this claim's token.
// One round trip per claim and per completion; a renewal per lease/3 of effect time.
//
// Failure semantics: if Redis cannot answer a claim (down, slow beyond command_timeout) the
// claim fails, nothing runs, and the receiver answers WeChat with a failure, so that it
// delivers again later; the store then sends a release of that claim's token (best effort), in
// case Redis ran the claim without its answer arriving in time. What remains possible, and is why a business effect should still be
// idempotent on its own key (out_trade_no): an effect whose instance is cut off from Redis for
// longer than the lease, while another instance receives a redelivery; and a Redis that loses
// its data (restart without persistence) before WeChat's last redelivery. leases_lost() counts
// completions that found their claim gone.
#pragma once

#include <wechatpay/notification_dedup.hpp>
#include <wechatpay/redis/connection.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace wechatpay::redis {

struct dedup_options {
    std::chrono::milliseconds lease{60'000};
    std::chrono::seconds done_ttl = memory_dedup::default_ttl;
    std::chrono::milliseconds retry_interval{500};  // background retries of a completion
};

class dedup final : public notification_dedup, public std::enable_shared_from_this<dedup> {
public:
    // Create with std::make_shared. Its destruction ends its renewals (the claims then lapse, as
    // a crashed instance's do) and its background retries.
    dedup(std::shared_ptr<connection> conn, std::string mchid, dedup_options opts = {});
    ~dedup() override;

    void async_claim(std::string id, claim_handler handler) override;
    void async_complete(std::string id, done_handler handler) override;
    void async_release(std::string id, done_handler handler) override;

    std::string key(std::string_view id) const;
    std::uint64_t leases_lost() const { return leases_lost_.load(); }
    std::size_t pending_completions() const;  // completed effects not yet recorded in Redis
    // Stops renewing every claim (as a crashed instance would): for tests of lease expiry.
    void abandon_claims();

private:
    struct claim_state;
    void renew(std::string id, std::shared_ptr<claim_state> c);
    void record_done(std::string id, std::string token, done_handler handler);
    std::shared_ptr<claim_state> take(const std::string& id);

    const std::shared_ptr<connection> conn_;
    const std::string prefix_;
    const dedup_options opts_;
    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<claim_state>> claims_;  // this instance's, in progress
    std::size_t pending_completions_ = 0;
    std::atomic<std::uint64_t> leases_lost_{0};
    std::atomic<std::uint64_t> counter_{0};
    std::string instance_;  // random: tokens are unique across instances and restarts
};

}  // namespace wechatpay::redis
