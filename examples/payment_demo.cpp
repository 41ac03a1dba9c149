// The demo of `./dev demo`: the whole life of a payment, against the built-in simulator (or,
// with --config, against WeChat Pay itself), then a burst of concurrent calls.
//
//   wechatpay_demo [--config client.json --notify-url URL [--openid ID]] [--burst N]
//                  [--concurrency C] [--threads T] [--partner]   (--help says more)
//
// --partner (`./dev demo --partner`): the payment life as a service provider for the two
// sub-merchants bound to it in the simulator, then a combine payment across both.
//
// Without --config it starts the simulator in-process with freshly generated keys (in a temporary
// folder removed at exit), and runs a small notification receiver, so nothing but this program
// is needed. With --config nobody pays the orders, so it waits for no payment or notification.
#include <wechatpay/client.hpp>
#include <wechatpay/sim/simulator.hpp>

#include "notify_receiver.hpp"
#include "simulated_merchant.hpp"

#include <boost/asio.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <future>
#include <iostream>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

namespace asio = boost::asio;
using namespace wechatpay;
using namespace std::chrono_literals;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto no_throw = asio::as_tuple(use_awaitable);

namespace {

// ---- the merchant's notify_url ---------------------------------------------------------------

// The business effect of the walkthrough: queue each (verified, decrypted, first-time) event
// for the steps that wait for it.
class event_queue {
public:
    wechatpay::notification_effect effect() {
        return [this](const notification& n) -> awaitable<result<void>> {
            std::lock_guard lock(mutex_);
            events_.push_back(n);
            co_return result<void>();
        };
    }

    // The next event, waiting up to `limit`.
    awaitable<std::optional<notification>> next(std::chrono::milliseconds limit) {
        asio::steady_timer t(co_await asio::this_coro::executor);
        for (auto waited = 0ms; waited < limit; waited += 20ms) {
            {
                std::lock_guard lock(mutex_);
                if (!events_.empty()) {
                    auto e = std::move(events_.front());
                    events_.pop_front();
                    co_return e;
                }
            }
            t.expires_after(20ms);
            co_await t.async_wait(no_throw);
        }
        co_return std::nullopt;
    }

private:
    std::mutex mutex_;
    std::deque<notification> events_;
};

// ---- the walkthrough ------------------------------------------------------------------------

struct demo {
    client& wechat;
    event_queue& events;
    sim::simulator* simulator;  // null against the real WeChat Pay
    std::string notify_url;     // what orders name: the local receiver, or --notify-url
    std::string openid;         // the JSAPI payer; empty: no JSAPI leg
    int failures = 0;
    std::string first_order;  // an order that exists, for the burst's queries

    void step(bool ok, const std::string& what) {
        std::cout << (ok ? "   ok    " : "   FAIL  ") << what << "\n";
        if (!ok) ++failures;
    }
    template <class T>
    bool check(const result<T>& r, const std::string& what) {
        step(r.has_value(), r ? what : what + ": " + r.error().to_string());
        return r.has_value();
    }

    static std::string new_trade_no(const char* kind) {
        static std::atomic<unsigned> n{0};
        return std::string("DEMO") + kind + std::to_string(std::time(nullptr)) + std::to_string(++n);
    }

    prepay_request order(const std::string& no, std::int64_t fen, const char* what) {
        prepay_request r;
        r.description = what;
        r.out_trade_no = no;
        r.notify_url = notify_url;
        r.amount.total = fen;
        return r;
    }

    // The user pays (simulated), the notification arrives, the query agrees.
    awaitable<void> pay_and_confirm(const std::string& no) {
        if (!simulator) co_return;  // a real payment needs a real user
        step(simulator->pay(wechat.config().mchid, no, openid).has_value(),
             "the user pays " + no + " (simulator control API)");
        auto event = co_await events.next(5s);
        bool ok = event && event->event_type == "TRANSACTION.SUCCESS";
        if (ok) {
            auto t = event->transaction();
            ok = t && t->out_trade_no == no && t->trade_state == "SUCCESS";
        }
        step(ok, "notification TRANSACTION.SUCCESS arrived, verified and decrypted");
        auto q = co_await wechat.async_query_by_out_trade_no(no);
        if (check(q, "query by out_trade_no"))
            std::cout << "         trade_state " << q->trade_state << ", transaction_id " << q->transaction_id << "\n";
        if (q) {
            auto by_id = co_await wechat.async_query_by_transaction_id(q->transaction_id);
            step(by_id && by_id->out_trade_no == no, "query by transaction_id finds the same order");
        }
    }

    awaitable<void> walkthrough() {
        std::cout << "\n== APP: prepay, payment parameters for the app's SDK\n";
        const std::string app_no = new_trade_no("APP");
        auto app = co_await wechat.async_prepay_app(order(app_no, 600, "Game coins x 600"));
        first_order = app_no;
        if (check(app, "prepay_app " + app_no))
            std::cout << "         " << to_json(app->payment) << "\n";  // whole: the app needs `sign`
        if (app) co_await pay_and_confirm(app_no);

        std::cout << "\n== JSAPI / mini-program: prepay, parameters for wx.requestPayment\n";
        if (openid.empty()) {
            // WeChat Pay rejects a JSAPI order without a payer, and only a real user has one.
            std::cout << "   skip  no --openid: the JSAPI leg needs the payer's openid under appid "
                      << wechat.config().appid << "\n";
        } else {
            const std::string js_no = new_trade_no("JSAPI");
            auto js_req = order(js_no, 1999, "Monthly pass");
            js_req.payer_openid = openid;
            auto js = co_await wechat.async_prepay_jsapi(js_req);
            if (check(js, "prepay_jsapi " + js_no)) std::cout << "         " << to_json(js->payment) << "\n";
            if (js) co_await pay_and_confirm(js_no);
        }

        std::cout << "\n== Native: a QR code to scan\n";
        const std::string native_no = new_trade_no("NATIVE");
        auto code = co_await wechat.async_prepay_native(order(native_no, 100, "Sticker pack"));
        if (check(code, "prepay_native " + native_no)) std::cout << "         code_url " << *code << "\n";
        if (code) co_await pay_and_confirm(native_no);

        std::cout << "\n== H5: a mobile web page\n";
        const std::string h5_no = new_trade_no("H5");
        auto h5_req = order(h5_no, 300, "Skin bundle");
        h5_req.scene_info = scene_info{"203.0.113.7", {}, {}, h5_info{"Wap", "Demo", "https://example.com", {}, {}}};
        auto h5 = co_await wechat.async_prepay_h5(h5_req);
        if (check(h5, "prepay_h5 " + h5_no)) std::cout << "         h5_url " << *h5 << "\n";
        if (h5) co_await pay_and_confirm(h5_no);

        std::cout << "\n== Close an unpaid order\n";
        const std::string unpaid = new_trade_no("CLOSE");
        if (check(co_await wechat.async_prepay_app(order(unpaid, 50, "Abandoned cart")), "prepay " + unpaid)) {
            check(co_await wechat.async_close_order(unpaid), "close " + unpaid);
            auto q = co_await wechat.async_query_by_out_trade_no(unpaid);
            step(q && q->trade_state == "CLOSED", "query says CLOSED");
        }

        if (!simulator || !app) co_return;
        std::cout << "\n== Refund the APP order\n";
        refund_request rr;
        rr.out_trade_no = app_no;
        rr.out_refund_no = "R" + app_no;
        rr.reason = "Customer changed their mind";
        rr.notify_url = notify_url;
        rr.refund = 600;
        rr.total = 600;
        auto refunded = co_await wechat.async_refund(rr);
        if (check(refunded, "refund " + rr.out_refund_no)) std::cout << "         status " << refunded->status << "\n";
        auto event = co_await events.next(10s);
        step(event && event->event_type == "REFUND.SUCCESS" && event->refund() &&
                 event->refund()->out_refund_no == rr.out_refund_no,
             "notification REFUND.SUCCESS arrived, verified and decrypted");
        auto rq = co_await wechat.async_query_refund(rr.out_refund_no);
        step(rq && rq->status == "SUCCESS", "query refund says SUCCESS");

        std::cout << "\n== Today's trade bill (gzip), downloaded and checked against its SHA1\n";
        const std::time_t cst = std::time(nullptr) + 8 * 3600;
        char date[16];
        std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&cst));
        const trade_bill_request today{date, "ALL", true};  // g++ 12: no braced lists inside co_await
        auto bill = co_await wechat.async_trade_bill(today);
        if (check(bill, std::string("trade bill for ") + date)) {
            auto file = co_await wechat.async_download_bill(*bill);
            if (check(file, "download, gunzip, SHA1 matches hash_value")) {
                const auto lines = std::count(file->begin(), file->end(), '\n');
                std::cout << "         " << lines << " lines; first row: "
                          << file->substr(file->find('\n') + 1, 60) << "…\n";
            }
        }
        if (simulator) co_await complaint(date);
        if (simulator) co_await payout();
        if (simulator) co_await split();
    }

    // A prize paid out to a player: the transfer bill is created (the name sealed for WeChat
    // Pay), the player confirms it in WeChat (simulated), the notification arrives, the query
    // agrees. After a failed create the rule is: same out_bill_no again, never a new one.
    awaitable<void> payout() {
        std::cout << "\n== A payout: transfer, the user confirms, notification, final query\n";
        transfer_bill_request prize;
        prize.out_bill_no = "DEMOPAYOUT" + std::to_string(std::time(nullptr));
        prize.transfer_scene_id = "1000";
        prize.openid = openid.empty() ? "o-demo-winner" : openid;
        prize.transfer_amount = 888;
        prize.transfer_remark = "周赛一等奖";
        prize.notify_url = notify_url;
        prize.user_recv_perception = "现金奖励";
        prize.transfer_scene_report_infos = {{"活动名称", "周赛"}, {"奖励说明", "一等奖"}};
        prize.user_name = "张三";  // sealed with WeChat Pay's key; never printed
        auto bill = co_await wechat.async_create_transfer(prize);
        if (!check(bill, "transfer " + prize.out_bill_no + " created")) co_return;
        std::cout << "         " << bill->to_string() << "\n";
        step(bill->state == transfer_state::wait_user_confirm && !bill->confirm.package.empty(),
             "WAIT_USER_CONFIRM: {mchId, appId, package} ready for requestMerchantTransfer");
        check(simulator->transfer_action(prize.out_bill_no, "confirm"), "the user confirms in WeChat (simulator control API)");
        auto event = co_await events.next(10s);
        while (event && !event->is_transfer_bill()) event = co_await events.next(10s);  // the complaint's STATE_CHANGEs
        auto done = event && event->is_transfer_bill() ? event->transfer_bill()
                                                       : result<transfer_bill>(error(errc::malformed_json, "none"));
        step(done && done->out_bill_no == prize.out_bill_no && done->state == transfer_state::success,
             "notification MCHTRANSFER.BILL.FINISHED arrived, verified and decrypted: SUCCESS");
        auto q = co_await wechat.async_query_transfer_by_out_bill_no(prize.out_bill_no);
        step(q && q->state == transfer_state::success, "query by out_bill_no says SUCCESS");
    }

    // A split order (settle_info.profit_sharing): paid, a receiver added (its name encrypted for
    // WeChat Pay), split a minute later, the rest unfrozen, nothing left to split.
    awaitable<void> split() {
        std::cout << "\n== Profit sharing: an order paid for splitting, a receiver added, split, the rest unfrozen\n";
        const std::string no = new_trade_no("PS");
        auto req = order(no, 1000, "Tournament entry");
        req.profit_sharing = true;
        if (!check(co_await wechat.async_prepay_native(req), "prepay " + no + " with settle_info.profit_sharing = true"))
            co_return;
        // The complaint's later COMPLAINT.STATE_CHANGE notifications are not this leg's events.
        while (co_await events.next(500ms)) {
        }
        co_await pay_and_confirm(no);
        auto paid = co_await wechat.async_query_by_out_trade_no(no);
        if (!paid || paid->transaction_id.empty()) co_return;
        const std::string txn = paid->transaction_id;
        receiver_request who;
        who.type = "PERSONAL_OPENID";
        who.account = openid;
        who.name = "张三";
        who.relation_type = "PARTNER";
        check(co_await wechat.async_add_split_receiver(who), "receiver " + openid + " added (name encrypted, never printed)");
        step(simulator->advance_clock(61s).has_value(), "a minute passes (simulator clock): WeChat allows the split now");
        split_request s;
        s.transaction_id = txn;
        s.out_order_no = new_trade_no("S");
        s.receivers = {{"PERSONAL_OPENID", openid, "张三", 300, "赛事奖金分成"}};
        auto created = co_await wechat.async_split(s);
        if (!check(created, "split 3.00 of 10.00 to the receiver: " + (created ? created->state_text : std::string()))) co_return;
        auto done = co_await finished(txn, s.out_order_no);
        step(done && !done->receivers.empty() && done->receivers[0].result == split_result::success,
             "query: FINISHED, the receiver's share SUCCESS");
        unfreeze_request rest{txn, new_trade_no("U"), "解冻剩余资金"};
        if (!check(co_await wechat.async_unfreeze_split(rest), "unfreeze the remaining 7.00 to the merchant")) co_return;
        done = co_await finished(txn, rest.out_order_no);
        step(done.has_value(), "query: the unfreeze FINISHED");
        auto left = co_await wechat.async_unsplit_amount(txn);
        step(left && left->unsplit_amount == 0, "remaining unsplit amount: 0");
    }

    // The split once WeChat processed it (the simulator: 2 s × time_scale), or nullopt.
    awaitable<std::optional<split_order>> finished(std::string txn, std::string out_order_no) {
        asio::steady_timer t(co_await asio::this_coro::executor);
        for (int i = 0; i < 100; ++i) {
            auto q = co_await wechat.async_query_split(txn, out_order_no);
            if (q && q->state == split_state::finished) co_return *q;
            t.expires_after(100ms);
            co_await t.async_wait(no_throw);
        }
        co_return std::nullopt;
    }

    // The payer of the first order complains (simulated); the notification arrives; the
    // merchant lists the complaint, answers it with an uploaded image and completes it.
    awaitable<void> complaint(const std::string& date) {
        std::cout << "\n== A customer complaint: notified, listed, answered with an image, completed\n";
        auto url = co_await wechat.async_create_complaint_notify_url(notify_url);
        check(url, "complaint notification URL registered");
        const std::string filing = "{\"out_trade_no\":\"" + first_order +
                                   "\",\"detail\":\"扣了两次钱\",\"phone\":\"13800138000\"}";
        if (!check(simulator->file_complaint(filing), "the payer of " + first_order + " complains")) co_return;
        auto event = co_await events.next(5s);
        auto about = event && event->is_complaint() ? event->complaint_event() : result<complaint_event>(error(errc::malformed_json, "none"));
        step(about && event->event_type == "COMPLAINT.CREATE",
             "notification COMPLAINT.CREATE arrived, verified and decrypted");
        if (!about) co_return;
        complaint_list_request range;
        range.begin_date = date;
        range.end_date = date;
        auto page = co_await wechat.async_list_complaints(range);
        step(page && !page->data.empty() && page->data.front().complaint_id == about->complaint_id,
             "the complaint is listed (payer_phone decrypted, never printed)");
        upload_file picture{"refund.png", std::string("\x89PNG\r\n\x1A\n", 8) + std::string(1024, '\x7f')};
        auto media = co_await wechat.async_upload_complaint_image(std::move(picture));
        if (!check(media, "image uploaded")) co_return;
        complaint_response answer;
        answer.response_content = "已为您全额退款，请查收";
        answer.response_images = {*media};
        check(co_await wechat.async_respond_complaint(about->complaint_id, answer), "answered the payer");
        check(co_await wechat.async_complete_complaint(about->complaint_id), "complete");
        auto detail = co_await wechat.async_complaint(about->complaint_id);
        step(detail && detail->complaint_state == "PROCESSED", "the complaint is PROCESSED");
    }

    // ---- service provider (--partner) ----

    static std::string today() {
        const std::time_t cst = std::time(nullptr) + 8 * 3600;
        char date[16];
        std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&cst));
        return date;
    }

    // The next TRANSACTION.SUCCESS / REFUND.* event, skipping none: each leg waits for its own.
    awaitable<std::optional<notification>> next_event() { co_return co_await events.next(10s); }

    // One sub-merchant's payment life, the client acting as its service provider.
    awaitable<void> partner_leg(const sim::sub_merchant& sub) {
        const std::string& sub_mchid = sub.mchid;
        const std::string sub_appid = sub.appids.empty() ? std::string() : sub.appids.front();
        std::cout << "\n== Sub-merchant " << sub_mchid << " (service provider " << wechat.config().mchid
                  << "): JSAPI in the sub-merchant's mini-program " << sub_appid << "\n";
        partner_prepay_request js;
        js.order = order(new_trade_no("SPJS"), 2500, "Studio pass");
        js.sub_mchid = sub_mchid;
        js.sub_appid = sub_appid;
        js.sub_openid = "oSub" + sub_mchid + "Payer0000000001";
        const std::string js_no = js.order.out_trade_no;
        auto prepay = co_await wechat.async_partner_prepay_jsapi(js);
        if (!check(prepay, "partner prepay_jsapi " + js_no + " for sub_mchid " + sub_mchid)) co_return;
        std::cout << "         appId " << prepay->payment.appId << " (the sub_appid), signed by the provider\n";
        step(simulator->pay(sub_mchid, js_no).has_value(), "the user pays " + js_no + " (simulator control API)");
        auto event = co_await next_event();
        auto paid = event && event->is_transaction() ? event->transaction() : result<transaction>(error(errc::malformed_json, "none"));
        step(paid && paid->sub_mchid == sub_mchid && paid->out_trade_no == js_no,
             "notification TRANSACTION.SUCCESS for sub_mchid " + sub_mchid + " reached the provider, decrypted");
        auto q = co_await wechat.async_partner_query_by_out_trade_no(sub_mchid, js_no);
        if (check(q, "query by out_trade_no (sp_mchid + sub_mchid " + sub_mchid + ")"))
            std::cout << "         trade_state " << q->trade_state << ", transaction_id " << q->transaction_id
                      << ", sub_openid " << q->sub_openid << "\n";
        if (q) {
            auto by_id = co_await wechat.async_partner_query_by_transaction_id(sub_mchid, q->transaction_id);
            step(by_id && by_id->out_trade_no == js_no && by_id->sub_mchid == sub_mchid,
                 "query by transaction_id finds the same order of " + sub_mchid);
        }

        std::cout << "\n== Sub-merchant " << sub_mchid << ": Native order closed unpaid\n";
        partner_prepay_request qr;
        qr.order = order(new_trade_no("SPNAT"), 900, "Poster");
        qr.sub_mchid = sub_mchid;
        const std::string qr_no = qr.order.out_trade_no;
        if (check(co_await wechat.async_partner_prepay_native(qr), "partner prepay_native " + qr_no)) {
            check(co_await wechat.async_partner_close_order(sub_mchid, qr_no), "close " + qr_no + " of " + sub_mchid);
            auto closed = co_await wechat.async_partner_query_by_out_trade_no(sub_mchid, qr_no);
            step(closed && closed->trade_state == "CLOSED", "query says CLOSED");
        }

        std::cout << "\n== Sub-merchant " << sub_mchid << ": partial refund, refund query, its own trade bill\n";
        refund_request rr;
        rr.sub_mchid = sub_mchid;
        rr.out_trade_no = js_no;
        rr.out_refund_no = "R" + js_no;
        rr.notify_url = notify_url;
        rr.refund = 500;
        rr.total = 2500;
        check(co_await wechat.async_partner_refund(rr), "refund " + rr.out_refund_no + " (sub_mchid " + sub_mchid + ")");
        auto refunded = co_await next_event();
        step(refunded && refunded->event_type == "REFUND.SUCCESS", "notification REFUND.SUCCESS reached the provider");
        auto rq = co_await wechat.async_partner_query_refund(sub_mchid, rr.out_refund_no);
        step(rq && rq->status == "SUCCESS", "query refund says SUCCESS");
        const std::string date = today();
        const trade_bill_request bill_day{date, "ALL", false};
        auto bill = co_await wechat.async_partner_trade_bill(sub_mchid, bill_day);
        if (check(bill, "trade bill of " + sub_mchid + " for " + date)) {
            auto file = co_await wechat.async_download_bill(*bill);
            step(file && file->find(js_no) != std::string::npos,
                 "downloaded, SHA1 matches, it lists " + js_no);
        }
    }

    // A cart across both sub-merchants paid at once: one combine order, one payment.
    awaitable<void> combine_leg(const std::vector<sim::sub_merchant>& subs) {
        std::cout << "\n== Combine payment across";
        for (const auto& s : subs) std::cout << " " << s.mchid;
        std::cout << ": one JSAPI payment for " << subs.size() << " sub-orders\n";
        combine_prepay_request req;
        req.combine_out_trade_no = new_trade_no("CMB");
        req.notify_url = notify_url;
        req.payer_openid = openid;
        std::int64_t fen = 1200;
        for (const auto& s : subs) {
            combine_sub_order_request o;
            o.sub_mchid = s.mchid;
            o.out_trade_no = new_trade_no("CMBS");
            o.total_amount = fen;
            fen += 300;
            o.description = "Cart item";
            o.attach = "shop " + s.mchid;
            req.sub_orders.push_back(o);
        }
        auto prepay = co_await wechat.async_combine_prepay_jsapi(req);
        if (!check(prepay, "combine prepay_jsapi " + req.combine_out_trade_no)) co_return;
        std::cout << "         appId " << prepay->payment.appId << " (the combine_appid)\n";
        step(simulator->pay_combine(wechat.config().mchid, req.combine_out_trade_no, openid).has_value(),
             "the user pays the whole combine order (simulator control API)");
        auto event = co_await next_event();
        auto paid = event && event->is_combine_transaction() ? event->combine_transaction()
                                                             : result<combine_transaction>(error(errc::malformed_json, "none"));
        step(paid && paid->combine_out_trade_no == req.combine_out_trade_no,
             "notification TRANSACTION.SUCCESS (combine) reached the provider, decrypted");
        auto q = co_await wechat.async_combine_query(req.combine_out_trade_no);
        if (check(q, "combine query")) {
            for (const auto& s : q->sub_orders)
                std::cout << "         sub-order " << s.out_trade_no << " of sub_mchid " << s.sub_mchid << ": "
                          << s.trade_state << ", transaction_id " << s.transaction_id << "\n";
            step(std::all_of(q->sub_orders.begin(), q->sub_orders.end(),
                             [](const combine_sub_order& s) { return s.trade_state == "SUCCESS"; }),
                 "every sub-order SUCCESS, each with its own transaction_id");
        }
    }

    awaitable<void> partner_walkthrough(std::vector<sim::sub_merchant> subs) {
        for (const auto& sub : subs) co_await partner_leg(sub);
        co_await combine_leg(subs);
    }
};

// ---- the burst ------------------------------------------------------------------------------

struct burst_result {
    std::vector<double> latencies_ms;
    std::atomic<std::uint64_t> errors{0};
    std::mutex mutex;
};

// Even calls prepay a new APP order (two signatures: request and app parameters); odd calls
// query an order that exists.
awaitable<void> burst_worker(client& wechat, std::atomic<int>& next, int total, burst_result& out,
                             std::string notify_url, std::string known_order) {
    std::vector<double> mine;
    const std::string prefix = "BURST" + std::to_string(std::time(nullptr)) + "N";
    for (int i; (i = next++) < total;) {
        const auto start = std::chrono::steady_clock::now();
        bool ok;
        if (i % 2 == 0) {
            prepay_request r;
            r.description = "Burst order";
            r.out_trade_no = prefix + std::to_string(i);
            r.notify_url = notify_url;
            r.amount.total = 100 + i % 900;
            ok = (co_await wechat.async_prepay_app(std::move(r))).has_value();
        } else {
            ok = (co_await wechat.async_query_by_out_trade_no(known_order)).has_value();
        }
        mine.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        if (!ok) ++out.errors;
    }
    std::lock_guard lock(out.mutex);
    out.latencies_ms.insert(out.latencies_ms.end(), mine.begin(), mine.end());
}

double percentile(std::vector<double>& v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

// ---- the process ----------------------------------------------------------------------------

constexpr const char* usage_text =
    "usage: wechatpay_demo [--config FILE --notify-url URL [--openid ID]] [--burst N]\n"
    "                      [--concurrency C] [--threads T]\n"
    "\n"
    "A whole payment (APP, JSAPI, Native, H5, close, refund, bill), then a burst of calls.\n"
    "Without --config: against a simulator started in-process, with keys generated into a\n"
    "temporary folder (/tmp/wechatpay-demo-*) that is removed when the demo ends.\n"
    "\n"
    "  --config FILE     client config (JSON; see README): run against its endpoint, e.g. WeChat\n"
    "                    Pay itself. Real orders are created (and one closed); nobody pays them,\n"
    "                    so no payment, refund, bill or notification is waited for.\n"
    "  --notify-url URL  with --config (and required there): the https notify_url the orders\n"
    "                    name. WeChat Pay cannot reach the demo's own receiver on 127.0.0.1.\n"
    "  --openid ID       the JSAPI payer (an openid under the config's appid); with --config the\n"
    "                    JSAPI leg is skipped without it. Simulator default: a test openid.\n"
    "  --burst N         calls in the burst: APP prepays and queries (default 5000 with the\n"
    "                    simulator, 0 with --config: each prepay is a real order)\n"
    "  --concurrency C   coroutines in the burst (default 256; at most 64 connections)\n"
    "  --threads T       io threads (default 2)\n"
    "  --partner         the payment life as a service provider for the simulator's two\n"
    "                    sub-merchants (each named by its sub_mchid), then a combine payment\n"
    "                    across both; simulator only\n"
    "\n"
    "Exit 0 when every step succeeded, 1 when one failed, 2 for a bad command line.\n";

struct options {
    std::string config_file, notify_url, openid;
    std::optional<int> burst;  // default depends on --config
    int concurrency = 256;
    unsigned threads = 2;
    bool partner = false;
};

struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

int parse_count(std::string_view option, std::string_view text, int min, int max) {
    int v = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size() || v < min || v > max)
        throw usage_error(std::string(option) + " wants a whole number from " + std::to_string(min) + " to " +
                          std::to_string(max));
    return v;
}

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--help" || a == "-h") {
            std::cout << usage_text;
            std::exit(0);
        }
        if (a == "--partner") {
            o.partner = true;
            continue;
        }
        if (i + 1 == argc) throw usage_error(std::string(a) + " wants a value (--help lists the options)");
        const std::string_view v = argv[++i];
        if (a == "--config") o.config_file = v;
        else if (a == "--notify-url") o.notify_url = v;
        else if (a == "--openid") o.openid = v;
        else if (a == "--burst") o.burst = parse_count(a, v, 0, 10'000'000);
        else if (a == "--concurrency") o.concurrency = parse_count(a, v, 1, 100'000);
        else if (a == "--threads") o.threads = static_cast<unsigned>(parse_count(a, v, 1, 256));
        else throw usage_error("unknown option " + wechatpay::excerpt(a) + " (--help lists them)");
    }
    if (o.partner && o.burst.value_or(0) > 0) throw usage_error("--partner runs no burst: leave --burst out");
    if (o.partner && !o.config_file.empty())
        throw usage_error("--partner runs against the simulator: its sub-merchants are bound to the generated provider");
    if (o.config_file.empty() && !o.notify_url.empty())
        throw usage_error("--notify-url goes with --config: the simulator notifies the demo's own receiver");
    if (!o.config_file.empty() && o.notify_url.empty())
        throw usage_error("--config needs --notify-url URL: orders must name an https URL that WeChat Pay "
                          "can reach, and it cannot reach the demo's receiver on 127.0.0.1");
    return o;
}

// The simulator's generated keys: a fresh folder, gone when the demo ends however it ends
// (the destructor on returns and exceptions, remove_now() on SIGINT/SIGTERM).
class temp_keys {
public:
    std::filesystem::path create() {
        std::string name = (std::filesystem::temp_directory_path() / "wechatpay-demo-XXXXXX").string();
        if (!::mkdtemp(name.data())) throw std::runtime_error("cannot create " + name + ": " + std::strerror(errno));
        dir_ = name;
        return dir_;
    }
    void remove_now() noexcept {
        std::error_code ec;
        if (dir_.empty()) return;
        std::filesystem::remove_all(dir_, ec);
        // Say so rather than leave keys behind in silence (out of file descriptors, …).
        if (ec) std::cerr << "demo: cannot remove " << dir_.string() << ": " << ec.message() << "\n";
        dir_.clear();
    }
    ~temp_keys() { remove_now(); }

private:
    std::filesystem::path dir_;
};

// The io threads, stopped and joined on every way out, before the client they serve is
// destroyed (a joinable std::thread would otherwise terminate the demo on an exception).
class io_threads {
public:
    io_threads(asio::io_context& ioc, unsigned n) : ioc_(ioc), work_(ioc.get_executor()) {
        for (unsigned t = 0; t < n; ++t) threads_.emplace_back([this] { ioc_.run(); });
    }
    void stop() {
        work_.reset();
        ioc_.stop();
        for (auto& t : threads_)
            if (t.joinable()) t.join();
    }
    ~io_threads() { stop(); }

private:
    asio::io_context& ioc_;
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    std::vector<std::thread> threads_;
};

}  // namespace

int main(int argc, char** argv) {
    options opt;
    try {
        opt = parse(argc, argv);
    } catch (const usage_error& e) {
        std::cerr << "demo: " << e.what() << "\n";
        return 2;
    }
    try {
        temp_keys keys;  // declared first: removed once everything else is gone
        asio::io_context ioc;
        // Ctrl-C skips the destructors; the keys still go.
        asio::signal_set signals(ioc, SIGINT, SIGTERM);
        signals.async_wait([&keys](const boost::system::error_code& ec, int signo) {
            if (ec) return;
            keys.remove_now();
            std::cerr << "\ndemo: interrupted\n";
            std::_Exit(128 + signo);
        });

        std::unique_ptr<sim::simulator> simulator;
        client_config cfg;
        std::vector<sim::sub_merchant> sub_merchants;
        if (!opt.config_file.empty()) {
            cfg = load_client_config(opt.config_file).value();
            std::cout << "wechatpay-asio demo against " << cfg.endpoint.host << " (" << opt.config_file << ")\n"
                      << "(orders name notify_url " << opt.notify_url
                      << "; nobody pays them here, so no notification is waited for)\n";
        } else {
            const auto dir = keys.create();
            auto setup = sim::generate_test_setup(dir).value();
            setup.sim.threads = 1;
            setup.sim.refund_delay = 300ms;
            setup.sim.bills_at_once = true;  // today's bill now, not after 10:00 tomorrow
            simulator = sim::simulator::start(std::move(setup.sim)).value();
            std::cout << "wechatpay-asio demo: the simulator listens on " << simulator->start_line() << "\n"
                      << "(merchant " << setup.mchid << ", keys generated in " << dir.string()
                      << ", removed at exit)\n";
            cfg = examples::simulated_merchant(setup, *simulator);
            sub_merchants = setup.sub_merchants;
            if (opt.partner)
                std::cout << "(as service provider " << setup.mchid << " for sub-merchants "
                          << sub_merchants.at(0).mchid << " and " << sub_merchants.at(1).mchid << ")\n";
            if (opt.openid.empty()) opt.openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
        }
        // Thousands of real orders are never a default.
        const int burst = opt.burst.value_or(simulator && !opt.partner ? 5000 : 0);
        const int concurrency = opt.concurrency;
        const unsigned threads = opt.threads;
        cfg.pool.max_sessions = static_cast<std::size_t>(std::max(1, std::min(concurrency, 64)));

        client wechat(ioc.get_executor(), cfg);
        event_queue events;
        examples::notify_receiver notify(ioc, wechat, events.effect());
        notify.start();
        const std::string notify_url = simulator ? notify.url() : opt.notify_url;
        io_threads pool(ioc, threads);
        demo d{wechat, events, simulator.get(), notify_url, opt.openid, 0, {}};
        if (opt.partner) asio::co_spawn(ioc, d.partner_walkthrough(sub_merchants), asio::use_future).get();
        else asio::co_spawn(ioc, d.walkthrough(), asio::use_future).get();

        if (burst > 0) {
            std::cout << "\n== Burst: " << burst << " calls (APP prepays and queries), concurrency " << concurrency
                      << ", " << threads << " io threads\n";
            burst_result out;
            std::atomic<int> next{0};
            const auto start = std::chrono::steady_clock::now();
            std::vector<std::future<void>> workers;
            for (int w = 0; w < concurrency; ++w)
                workers.push_back(asio::co_spawn(
                    ioc, burst_worker(wechat, next, burst, out, notify_url, d.first_order), asio::use_future));
            auto finished = [&] {
                return std::all_of(workers.begin(), workers.end(),
                                   [](auto& f) { return f.wait_for(0ms) == std::future_status::ready; });
            };
            while (!finished()) {
                const int done = std::min(next.load(), burst);
                std::printf("\r   [%-40s] %5d/%d", std::string(static_cast<std::size_t>(40 * done / burst), '#').c_str(), done, burst);
                std::fflush(stdout);
                std::this_thread::sleep_for(100ms);
            }
            for (auto& f : workers) f.get();
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            const auto st = wechat.stats();
            std::printf("\r   [%-40s] %5d/%d\n", std::string(40, '#').c_str(), burst, burst);
            std::printf("   %.0f calls/s, p50 %.1f ms, p99 %.1f ms, %llu errors, %llu connections (%llu TLS handshakes, %llu resumed)\n",
                        burst / seconds, percentile(out.latencies_ms, 0.50), percentile(out.latencies_ms, 0.99),
                        static_cast<unsigned long long>(out.errors.load()), static_cast<unsigned long long>(st.connects),
                        static_cast<unsigned long long>(st.handshakes), static_cast<unsigned long long>(st.resumed_handshakes));
            if (simulator) std::cout << "   simulator: " << simulator->stats_json().substr(0, 120) << "…\n";
            if (out.errors) ++d.failures;
        }

        notify.stop();
        pool.stop();
        std::cout << "\n" << (d.failures == 0 ? "Every step succeeded." : "Some steps FAILED.") << "\n";
        return d.failures == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "demo: " << e.what() << "\n";
        return 1;
    }
}
