// The simulator's merchant transfer bills (商家转账, user-confirm mode) as WeChat keeps them:
// created WAIT_USER_CONFIRM with a package_info (funds locked from the merchant's balance); the
// user confirms (TRANSFERING, then SUCCESS after the transfer delay) or does not (FAIL); the
// merchant may cancel before the user confirms (CANCELING, then CANCELLED); funds come back on
// FAIL and CANCELLED. A second create with the same out_bill_no and the same request is answered
// with the same bill; with another request it is refused. Electronic receipts of SUCCESS bills
// that named the payee: GENERATING, then FINISHED with a file and its SHA256. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace wechatpay::sim {

struct transfer_record {
    std::string mchid, appid, out_bill_no, transfer_bill_no, scene_id, openid, remark, notify_url, perception;
    std::string report_infos;  // the request's transfer_scene_report_infos, serialized
    std::string user_name;     // decrypted: what the merchant sent (empty when none)
    std::int64_t amount = 0, created = 0, updated = 0;
    std::string state = "WAIT_USER_CONFIRM", fail_reason, package_info;
    std::string pending_fail_reason;  // set at confirmation when the payee's name does not match
    std::string receipt_state;        // "", GENERATING, FINISHED
    std::int64_t receipt_created = 0;
    std::chrono::steady_clock::time_point receipt_ready{};
    std::string receipt_token;  // download token once FINISHED

    // Whether a retry names the same transfer: every field the merchant sent.
    bool same_request(const transfer_record& o) const;
};

class transfer_book {
public:
    static constexpr std::size_t max_transfers = 100000;
    static constexpr std::int64_t default_balance = 100'000'000'00;  // fen: 100 million yuan

    enum class outcome { created, existing, conflict, not_enough, full };
    // A new bill (numbered, state WAIT_USER_CONFIRM, funds locked), or the one of the same
    // out_bill_no; `rec` gets the stored bill.
    outcome create(transfer_record& rec, std::int64_t now);
    std::optional<transfer_record> find(const std::string& mchid, const std::string& out_bill_no) const;
    std::optional<transfer_record> find_by_transfer_no(const std::string& mchid, const std::string& no) const;
    // The bill of a control action (any merchant), by out_bill_no.
    std::optional<transfer_record> find_any(const std::string& out_bill_no) const;

    enum class refusal { none, not_found, wrong_state, no_receipt };
    // The merchant cancels: only before the user confirms (→ CANCELING).
    refusal cancel(const std::string& mchid, const std::string& no, std::int64_t now, transfer_record& out);
    // The user confirms (→ TRANSFERING; a real_name that differs from the user_name sent makes
    // it FAIL NAME_NOT_CORRECT when it completes), or WeChat ends it (→ FAIL with `reason`).
    refusal confirm(const std::string& mchid, const std::string& no, const std::string& real_name, std::int64_t now,
                    transfer_record& out);
    refusal fail(const std::string& mchid, const std::string& no, const std::string& reason, std::int64_t now,
                 transfer_record& out);
    // After the delay: TRANSFERING → SUCCESS (or FAIL), CANCELING → CANCELLED. nullopt when the
    // bill is in neither state (nothing to finish).
    std::optional<transfer_record> finish(const std::string& mchid, const std::string& no, std::int64_t now);

    // Receipts: applied for a SUCCESS bill with a user_name; ready `delay` later.
    refusal apply_receipt(const std::string& mchid, const std::string& no, std::int64_t now,
                          std::chrono::milliseconds delay, transfer_record& out);
    // The bill with its receipt state brought up to date (FINISHED once ready, with a token).
    std::optional<transfer_record> receipt(const std::string& mchid, const std::string& no, bool by_transfer_no);
    // The bill a download token names.
    std::optional<transfer_record> by_receipt_token(const std::string& mchid, const std::string& token) const;

    void set_balance(const std::string& mchid, std::int64_t fen);
    std::int64_t balance(const std::string& mchid) const;
    // The query rate: false when this query is over `qps` in the current second for the merchant.
    bool allow_query(const std::string& mchid, unsigned qps);

private:
    transfer_record* locate(const std::string& mchid, const std::string& no);
    std::int64_t& balance_of(const std::string& mchid);  // mutex_ held
    mutable std::mutex mutex_;
    std::map<std::pair<std::string, std::string>, transfer_record> bills_;  // (mchid, out_bill_no)
    std::map<std::string, std::int64_t> balances_;
    std::map<std::string, std::pair<std::int64_t, unsigned>> query_rate_;  // mchid → (second, count)
    std::uint64_t sequence_ = 0;
};

// The receipt file the simulator serves for a bill (a small PDF naming it).
std::string receipt_file(const transfer_record& r);

}  // namespace wechatpay::sim
