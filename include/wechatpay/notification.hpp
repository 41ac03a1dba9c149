// Callbacks WeChat Pay POSTs to notify_url (reference §7): verify the signature over the raw
// body, check the time window, decrypt the resource with the APIv3 key, hand back a typed event;
// and the receiver around it: the merchant's business effect once per notification id, and
// the answer for WeChat, with the reason whenever it is not a success.
#pragma once

#include <wechatpay/complaints.hpp>
#include <wechatpay/profit_sharing.hpp>
#include <wechatpay/config.hpp>
#include <wechatpay/crypto.hpp>
#include <wechatpay/error.hpp>
#include <wechatpay/models.hpp>
#include <wechatpay/notification_dedup.hpp>
#include <wechatpay/transfers.hpp>
#include <wechatpay/verifier.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace wechatpay {

inline constexpr std::size_t max_notification_body = 64 * 1024;

struct notification {
    std::string id;
    std::string create_time;
    std::string event_type;  // TRANSACTION.SUCCESS, REFUND.SUCCESS, …, COMPLAINT.CREATE, COMPLAINT.STATE_CHANGE
    std::string summary;
    std::string resource_type;  // encrypt-resource
    std::string original_type;  // transaction, refund, …
    std::string resource;       // the decrypted resource: JSON text (an object)
    std::string request_id;
    bool combine = false;  // a combine payment's transaction: it holds combine_out_trade_no

    bool is_transaction() const noexcept { return original_type == "transaction" && !combine; }
    bool is_combine_transaction() const noexcept { return original_type == "transaction" && combine; }
    bool is_refund() const noexcept { return original_type == "refund"; }
    // COMPLAINT.CREATE / COMPLAINT.STATE_CHANGE (sent to the complaint notification URL): the
    // resource names the complaint and what happened; fetch the rest with async_complaint.
    bool is_complaint() const noexcept { return event_type.starts_with("COMPLAINT."); }
    result<wechatpay::transaction> transaction() const { return parse_transaction(resource); }
    result<wechatpay::combine_transaction> combine_transaction() const { return parse_combine_transaction(resource); }
    result<wechatpay::refund> refund() const { return parse_refund(resource); }
    result<wechatpay::complaint_event> complaint_event() const { return parse_complaint_event(resource); }
    // MCHTRANSFER.BILL.FINISHED (original_type mch_payment): a transfer bill reached SUCCESS,
    // FAIL or CANCELLED. Handled once per notification id like any other (notification_dedup).
    bool is_transfer_bill() const noexcept { return event_type == "MCHTRANSFER.BILL.FINISHED"; }
    result<wechatpay::transfer_bill> transfer_bill() const { return parse_transfer_bill(resource); }
    // PROFITSHARING.SUCCESS (a split reached a receiver) / PROFITSHARING.RETURN (a return):
    // 分账动账通知. De-duplicated by id like every other notification.
    bool is_profit_sharing() const noexcept { return event_type.starts_with("PROFITSHARING."); }
    result<wechatpay::split_event> split_event() const { return parse_split_event(resource); }
};

// What to answer WeChat: success is 204 with no body; a failure (WeChat will retry) is a
// 500 with {"code":"FAIL","message":"…"}, the message saying what kind of failure it was.
// A reply made without reply_success() (default-constructed) is that failure: nothing is
// acknowledged unless it was handled.
struct notification_reply {
    unsigned status = 500;
    std::string body = R"({"code":"FAIL","message":"FAIL"})";
    std::string content_type = "application/json";  // empty when there is no body
    // Why the delivery was not acknowledged (bad signature, unknown serial, stale timestamp,
    // decryption failure, malformed resource, another delivery in progress, the store's or the
    // effect's error); empty on success. Never holds a key or the decrypted resource.
    std::optional<error> reason;
};
notification_reply reply_success();
notification_reply reply_failure(std::string_view message = "FAIL");
notification_reply reply_refused(error reason);  // reply_failure naming the kind of reason

// The merchant's business effect for one notification (mark the order paid, …), a coroutine,
// so that it may wait for a database without blocking an io thread:
//   [&](const wechatpay::notification& n) -> asio::awaitable<wechatpay::result<void>> {…}
// An error, or an exception (errc::callback_exception, or a wechatpay::exception's error),
// makes the receiver answer failure with that reason and release the id: WeChat's next
// delivery runs the effect again.
using notification_effect = std::function<boost::asio::awaitable<result<void>>(const notification&)>;

// Where a notification_handler gets WeChat Pay's keys. A client's follows its refreshes and,
// in certificate-download mode, downloads the certificates again (the same rate-limited
// download an answer with an unknown serial prompts) when a notification names one it does
// not know.
class key_source {
public:
    virtual ~key_source() = default;
    virtual verifier current() const = 0;
    virtual bool refreshable() const { return false; }
    // Only when refreshable(): fetch the keys again; current() then has them. Completes once,
    // from any thread.
    virtual void async_refresh(boost::asio::any_completion_handler<void(result<void>)> handler) const;
};

class notification_handler {
public:
    // Fixed keys. Copies share `dedup`: by default one in-memory store (see memory_dedup).
    // `logger` hears every refused delivery and every store failure (never a secret).
    notification_handler(verifier v, apiv3_key key,
                         std::shared_ptr<notification_dedup> dedup = std::make_shared<memory_dedup>(),
                         logger_function logger = {});
    // Keys from `keys`; a receiver launched with a token that has no executor of its own runs
    // on `ex` (client::notifications() gives the client's).
    notification_handler(std::shared_ptr<const key_source> keys, apiv3_key key,
                         std::shared_ptr<notification_dedup> dedup, logger_function logger = {},
                         boost::asio::any_io_executor ex = {});

    // Over 64 KiB: body_too_large. Then verifier::verify (its errors, including a timestamp
    // outside ±300 s: a replay) with the keys at hand (no download), then the envelope
    // (malformed_json, unsupported_algorithm), then decryption (decrypt_failed), then the
    // decrypted resource, which must be a JSON object (malformed_json).
    result<notification> parse(const signature_headers& headers, std::string_view body) const;
    result<notification> parse_at(const signature_headers& headers, std::string_view body,
                                  std::int64_t now) const;

    // The whole receiver, completing with void(notification_reply): parse (after a download of
    // WeChat Pay's certificates when the serial is unknown and the keys can be refreshed), claim
    // the id in the store, run `effect`, mark the id done — and the answer for WeChat. A
    // redelivery of a handled notification is acknowledged without running `effect`; one that
    // arrives while the first is still being handled, or after a failed effect, a failed check
    // or a store that could not answer, is answered with a failure so that WeChat tries again.
    // Every failure carries its reason (reply.reason) and is logged. Arguments are taken at
    // initiation. With the default token an awaitable; with another token the receiver runs on
    // the token's associated executor, else the handler's (see the constructor).
    template <class Token = boost::asio::use_awaitable_t<>>
    auto async_handle(signature_headers headers, std::string body, notification_effect effect,
                      Token&& token = {}) const {
        if constexpr (std::is_same_v<std::decay_t<Token>, boost::asio::use_awaitable_t<>>) {
            return handle_op(s_, std::move(headers), std::move(body), std::move(effect));
        } else {
            return boost::asio::async_initiate<Token, void(notification_reply)>(
                [](auto handler, std::shared_ptr<const state> s, signature_headers h, std::string b,
                   notification_effect e) {
                    // The token's executor, before type erasure hides its type.
                    boost::asio::any_io_executor ex = boost::asio::get_associated_executor(handler, executor_of(s));
                    launch(std::move(ex), handle_op(s, std::move(h), std::move(b), std::move(e)),
                           reply_handler(std::move(handler)));
                },
                token, s_, std::move(headers), std::move(body), std::move(effect));
        }
    }

    notification_dedup& dedup() const;

private:
    struct state;  // keys, APIv3 key, store, logger, executor: shared by copies
    using reply_handler = boost::asio::any_completion_handler<void(notification_reply)>;
    static boost::asio::awaitable<notification_reply> handle_op(std::shared_ptr<const state> s,
                                                                signature_headers headers, std::string body,
                                                                notification_effect effect);
    static boost::asio::any_io_executor executor_of(const std::shared_ptr<const state>& s);
    static void launch(boost::asio::any_io_executor ex, boost::asio::awaitable<notification_reply> op,
                       reply_handler handler);
    std::shared_ptr<const state> s_;
};

}  // namespace wechatpay
