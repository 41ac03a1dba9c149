// WeChat Pay's platform certificates shared by every instance of a merchant's servers in
// certificate-download mode: one download of /v3/certificates per rotation for the fleet.
//
// Redis holds the last downloaded answer, raw (signature headers + body), in the hash
// `wechatpay:{MCHID}:certificates`; every instance verifies and decrypts it itself
// (certificates_answer::shared). A fetch is one Lua script: the cached answer if it is not the
// one to replace; otherwise `SET NX PX` of `wechatpay:{MCHID}:certificates:lock` elects this
// instance to download. The elected one downloads, stores the answer and drops the lock (one
// more script); the others poll every poll_interval until the new answer is there. An elected
// instance that dies leaves its lock to lapse after lock_lease; a waiter then takes it.
//
// Failure semantics: Redis down or slower than command_timeout — the instance downloads from
// WeChat directly (the client's own rules still bound that: one download at a time, on-demand
// ones at most once a minute); so does a waiter that saw no new answer within `wait`. A cached
// answer that fails the client's checks (tampered, older than what it has) is replaced: the
// client fetches again naming it, and this instance downloads.
#pragma once

#include <wechatpay/certificate_source.hpp>
#include <wechatpay/redis/connection.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace wechatpay::redis {

struct certificates_options {
    // Above a download's usual time (a lease that lapses mid-download lets a second instance
    // download too: harmless, one more download).
    std::chrono::milliseconds lock_lease{15'000};
    std::chrono::milliseconds wait{20'000};  // for another's download, then download directly
    std::chrono::milliseconds poll_interval{100};
    std::chrono::milliseconds answer_ttl{std::chrono::hours(25)};  // clients refuse it after certificate_refresh anyway
};

class certificate_cache final : public certificate_source, public std::enable_shared_from_this<certificate_cache> {
public:
    // Create with std::make_shared.
    certificate_cache(std::shared_ptr<connection> conn, std::string mchid, certificates_options opts = {});

    void async_fetch(std::string replaces, download_function download, answer_handler handler) override;

    std::string key() const { return key_; }
    std::string lock_key() const { return key_ + ":lock"; }

    // For tests and monitoring.
    struct counters {
        std::uint64_t round_trips = 0;  // Redis commands sent
        std::uint64_t downloads = 0;    // downloads this instance ran (elected or fallback)
        std::uint64_t shared = 0;       // answers taken from Redis
        std::uint64_t fallbacks = 0;    // direct downloads: Redis failed, or waited in vain
    };
    counters stats() const;

private:
    struct fetch_op;
    const std::shared_ptr<connection> conn_;
    const std::string key_;
    const certificates_options opts_;
    const std::string instance_;  // random: lock tokens are unique across instances
    std::atomic<std::uint64_t> tokens_{0}, round_trips_{0}, downloads_{0}, shared_{0}, fallbacks_{0};
};

}  // namespace wechatpay::redis
