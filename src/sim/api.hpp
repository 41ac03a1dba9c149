// The simulator's API v3 endpoints (reference §9): authenticate the request, validate it as
// WeChat does, run the state machine, and produce the answer (signed later by the server).
#pragma once

#include <wechatpay/sim/simulator.hpp>

#include "sim/complaints.hpp"
#include "sim/media.hpp"
#include "sim/store.hpp"
#include "sim/transfers.hpp"

#include <atomic>
#include <functional>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace wechatpay::sim {

struct incoming {
    std::string method, target;  // target = path?query, as signed
    std::string body;
    std::string authorization;
    std::string content_type;
    std::string wechatpay_serial{};  // Wechatpay-Serial: the key the body's encrypted fields (user_name, name) were sealed with
};

struct answer {
    unsigned status = 200;
    std::string body;  // empty for 204
    bool sign = true;  // not for file downloads, nor refusals of requests that did not verify
    std::string content_type = "application/json";
    // A body too large to hold, produced piece by piece (an empty piece ends it) and sent
    // chunked; `body` is then unused.
    std::function<std::string()> next_piece{};
};

// The JSON WeChat sends for a transaction / a refund (query answers and notification resources).
std::string transaction_resource(const order& o);
std::string refund_resource(const refund_record& r);
std::string refund_notification_resource(const refund_record& r);  // REFUND.* events
// A combine order as its query answers and its TRANSACTION.SUCCESS notification carry it.
std::string combine_resource(const store::combine_view& c);

// The {id} of PREFIX{id}SUFFIX: exactly one non-empty path segment, still percent-encoded.
std::optional<std::string_view> path_param(std::string_view path, std::string_view prefix,
                                           std::string_view suffix = {});

// A query parameter's value, percent-decoded ('+' stays '+', as WeChat's values never hold a
// space); "" when absent or when the query is not well-formed.
std::string query_param(std::string_view query, std::string_view name);

// A path segment percent-decoded (RFC 3986: %XX, either case of hex digit; '+' stays '+').
// nullopt when a '%' is not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view segment);

// notify_url: https without a query (http accepted for loopback receivers, for local testing).
// Its host and path go into the notification's request as written: nothing that could end a
// line or a request there.
bool valid_notify_url(std::string_view u);

// WeChat's error body: {"code","message"[,"detail":{…}]}.
answer error_answer(unsigned status, std::string_view code, std::string_view message,
                    std::string_view detail_json = {});

class api {
public:
    struct hooks {
        std::function<void(const refund_record&)> refund_created;  // schedule completion
        std::function<std::vector<platform_identity>()> certificates;  // current platform certificates
        // A COMPLAINT.* notification for the merchant's complaint notification URL.
        std::function<void(const merchant&, const std::string& url, const std::string& event_type,
                           const std::string& summary, std::string resource)>
            complaint_notify;
        // A transfer bill moved to TRANSFERING or CANCELING (complete it after the transfer
        // delay) or to a final state (send MCHTRANSFER.BILL.FINISHED to its notify_url).
        std::function<void(const transfer_record&)> transfer_changed;
        // The private key of the WeChat Pay key a Wechatpay-Serial names (keyring::decrypting_key),
        // for fields sealed by the merchant; nullopt for an unknown serial.
        std::function<std::optional<private_key>(std::string_view serial)> decrypting_key;
    };

    api(const config& cfg, store& s, hooks h) : cfg_(cfg), store_(s), hooks_(std::move(h)) {}

    // base_url for bill download URLs, e.g. https://127.0.0.1:PORT
    void set_base_url(std::string url) { base_url_ = std::move(url); }
    // The endpoint name used in statistics and fault rules: the path without ids or query, or
    // "unknown" for a path that is no endpoint.
    static std::string endpoint_of(std::string_view method, std::string_view path);
    // A name endpoint_of can give ("unknown" included).
    static bool is_endpoint_name(std::string_view name);

    // wall_now checks the request's timestamp; wall_now + clock_ahead (the simulator's clock,
    // moved by POST /sim/clock) is the time of orders, expiry and bills.
    // Every JSON answer is well-formed UTF-8, also when it echoes a percent-decoded path or query.
    answer handle(const incoming& in, std::int64_t wall_now, std::int64_t clock_ahead = 0);

    // POST /sim/bills: {"bill_date","records"[,"mchid"]} (see simulator::add_synthetic_bill).
    result<void> add_synthetic_bill(std::string_view rule);

    const merchant* find_merchant(std::string_view mchid) const;

    // Endpoints kept outside this class (profit_sharing_desk): tried, after authentication, when
    // no endpoint here serves the path; nullopt passes the request on.
    using extra_route = std::function<std::optional<answer>(const merchant&, const incoming&, std::string_view path,
                                                      std::string_view query, std::int64_t now)>;
    void add_route(extra_route r) { routes_.push_back(std::move(r)); }
    // A file served at /v3/billdownload/file for 30 s: the bill answer (hash_type, hash_value of
    // `csv`, download_url). gzip: served gzip-compressed.
    answer issue_bill(const merchant& m, const std::string& csv, bool gzip, const std::string& date, std::int64_t now);
    // The merchant who hears about `mchid`'s orders: itself, or the service provider of a
    // sub-merchant's order (sp_mchid non-empty).
    const merchant* notified_merchant(std::string_view mchid, std::string_view sp_mchid) const {
        return find_merchant(sp_mchid.empty() ? mchid : sp_mchid);
    }
    // How many times a synthetic day's bill was hashed (once per day and size, not per request).
    std::uint64_t synthetic_hashes() const { return synthetic_hashes_.load(); }

    // POST /sim/complaints: a payer complains about a paid order:
    //   {"out_trade_no"[,"mchid"],"detail","phone"[,"problem_type"("REFUND"|"SERVICE_NOT_WORK"|"OTHERS"),
    //    "apply_refund_amount","images":[{"filename","base64"}]]}
    // → {"complaint_id"}, and COMPLAINT.CREATE to the merchant's complaint URL. Errors name the field.
    result<std::string> file_complaint(std::string_view body, std::int64_t now);
    // POST /sim/complaints/{id}/events {"action_type","content"}: the payer (USER_RESPONSE,
    // CONTINUE_COMPLAINT) or WeChat's support (RESPONSE_BY_PLATFORM) moves the complaint;
    // COMPLAINT.STATE_CHANGE follows. The complaint as the merchant's detail shows it.
    result<std::string> complaint_event(std::string_view id, std::string_view body, std::int64_t now);

    // POST /sim/transfers/{out_bill_no}/{confirm|refuse|fail}: the user confirms
    // ({"real_name"} checked against the user_name sent), refuses (FAIL, fail_reason
    // "USER_REFUSED" unless given) or WeChat fails the transfer ({"fail_reason"}, default
    // "TRANSFER_RISK"). The bill as a JSON object, with "user_name_received": the decrypted name
    // the merchant sent (for tests). Errors: "no such transfer", "wrong state: …".
    result<std::string> transfer_action(std::string_view out_bill_no, std::string_view action, std::string_view body,
                                        std::int64_t now);
    // POST /sim/transfers/balance {"balance"[,"mchid"]}: the funds transfers draw on (fen).
    result<std::string> set_transfer_balance(std::string_view body);
    // The end of a bill's TRANSFERING or CANCELING, after the transfer delay.
    void finish_transfer(const std::string& mchid, const std::string& out_bill_no, std::int64_t now);
    // The resource of MCHTRANSFER.BILL.FINISHED.
    static std::string transfer_notification_resource(const transfer_record& r);

private:
    answer route(const incoming& in, std::int64_t wall_now, std::int64_t clock_ahead);
    answer transfers(const merchant& m, const incoming& in, std::string_view path, std::int64_t now);
    answer create_transfer(const merchant& m, const incoming& in, std::int64_t now);
    answer transfer_receipts(const merchant& m, std::string_view method, std::string_view path,
                             const std::string& body, std::int64_t now);
    answer receipt_download(const merchant& m, std::string_view query);
    // Service providers and combine payments (partner section of api.cpp): the answer when
    // the request is one of theirs (/v3/pay/partner/…, /v3/combine-transactions/…, or a refund,
    // refund query or bill naming sub_mchid), else nullopt.
    std::optional<answer> partner_route(const merchant& m, std::string_view method, std::string_view path,
                                        std::string_view query, const std::string& body, std::int64_t now);
    answer partner_prepay(const merchant& m, std::string_view kind, const std::string& body, std::int64_t now);
    answer combine_prepay(const merchant& m, std::string_view kind, const std::string& body, std::int64_t now);
    answer combine_close(const merchant& m, std::string_view no, const std::string& body);
    // `partner`: the order's sp_mchid, sub_appid and sub_openid, for a service provider's prepay.
    answer prepay(const merchant& m, std::string_view kind, const std::string& body, std::int64_t now,
                  const order* partner);
    answer prepay(const merchant& m, std::string_view kind, const std::string& body, std::int64_t now);
    answer query(const merchant& m, bool by_transaction, std::string_view id, std::string_view query);
    answer close(const merchant& m, std::string_view out_trade_no, const std::string& body);
    answer refund(const merchant& m, const std::string& body, std::int64_t now);
    answer query_refund(const merchant& m, std::string_view out_refund_no);
    answer bill(const merchant& m, bool trade, std::string_view query, std::int64_t now);
    answer sub_fundflow_bill(const merchant& sp, const sub_merchant& sub, std::string_view query, std::int64_t now);
    answer download(const merchant& m, std::string_view query, std::int64_t now);
    answer certificates(const merchant& m);
    answer complaints(const merchant& m, std::string_view method, std::string_view path, std::string_view query,
                      const std::string& body, std::int64_t now);
    answer complaint_step(const merchant& m, std::string_view id, std::string_view step, const std::string& body,
                          std::int64_t now);
    answer complaint_notify_url(const merchant& m, std::string_view method, const std::string& body);
    std::string complaint_json(const merchant& m, const complaint_record& c) const;
    void notify_complaint(const merchant& m, const complaint_record& c, bool created, std::string_view action_type);

    const config& cfg_;
    store& store_;
    hooks hooks_;
    std::string base_url_;
    media_store media_;
    complaint_book complaints_;
    transfer_book transfers_;
    std::vector<extra_route> routes_;  // set up before serving, read only after

    struct bill_file {
        std::string mchid, content;  // as served (gzip when asked); empty when synthetic
        std::int64_t issued = 0;     // when its download_url was given
        std::int64_t synthetic_records = 0;  // > 0: a synthetic day, generated when served
        std::string date, appid;
        bool gzip = false;
    };
    std::mutex bills_mutex_;
    std::map<std::string, bill_file> bills_;  // download token → file
    answer bill_answer(bill_file file, const std::string& hash);  // registers the download
    std::string register_download(bill_file file);                // its download_url
    std::deque<std::string> bill_tokens_;      // oldest first
    static constexpr std::size_t max_bill_downloads = 256;
    // A synthetic day and its bill's SHA1, hashed once (a pass over the whole bill: seconds for
    // millions of rows) at its first bill request, then answered from here. Bounded with the days.
    struct synthetic_day {
        std::int64_t records = 0;
        std::string sha1;  // empty until first asked
    };
    std::map<std::pair<std::string, std::string>, synthetic_day> synthetic_days_;  // (mchid, date)
    static constexpr std::size_t max_synthetic_days = 1000;
    std::atomic<std::uint64_t> synthetic_hashes_{0};
};

}  // namespace wechatpay::sim
