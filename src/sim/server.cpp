// The simulator's HTTPS server: accept loop, one coroutine per keep-alive connection, the
// /sim/ control API, fault injection and answer signing.
#include <wechatpay/sim/simulator.hpp>

#include "sim/api.hpp"
#include "sim/clock.hpp"
#include "sim/config.hpp"
#include "sim/faults.hpp"
#include "sim/fields.hpp"
#include "sim/keyring.hpp"
#include "sim/notifier.hpp"
#include "sim/profit_sharing.hpp"
#include "sim/stats.hpp"
#include "sim/store.hpp"
#include "sim/tls_setup.hpp"

#include "core/json_reader.hpp"
#include "core/json_strict.hpp"
#include "core/utf8.hpp"

#include <wechatpay/signer.hpp>
#include <wechatpay/verifier.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>

#include <array>
#include <atomic>
#include <sstream>
#include <thread>

namespace wechatpay::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using namespace std::chrono_literals;
using asio::awaitable;
using asio::ip::tcp;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

using request = http::request<http::string_body>;
constexpr std::uint32_t max_header = 8 * 1024;  // request line and header fields, as Beast's default
using response = http::response<http::string_body>;

namespace {
// Why POST /sim/clock and simulator::advance_clock refuse a move.
const std::string clock_limits = "advance_s must be an integer from 0 to " + std::to_string(sim_clock::max_step) +
                                 ", the clock's offset at most " + std::to_string(sim_clock::max_offset) + " in all";
}  // namespace

// A coupon, in POST /sim/orders/{no}/pay's body (a plain function of this namespace, for the
// reader's argument-dependent lookup).
void read(const detail::json_reader& r, coupon& c) {
    r("coupon_id", c.coupon_id);
    r("name", c.name);
    r("scope", c.scope);
    r("type", c.type);
    r("amount", c.amount);
    r("stock_id", c.stock_id);
    r("wechatpay_contribute", c.wechatpay_contribute);
    r("merchant_contribute", c.merchant_contribute);
    r("other_contribute", c.other_contribute);
}

namespace {

// POST /sim/orders/{no}/pay's body, every key optional: {"mchid","openid","bank_type","coupon"}.
struct pay_body {
    std::string mchid, openid, bank_type;
    std::optional<coupon> used;
};
void read(const detail::json_reader& r, pay_body& b) {
    r("mchid", b.mchid);
    r("openid", b.openid);
    r("bank_type", b.bank_type);
    r("coupon", b.used);
}

// The coupon's fields as WeChat's promotion_detail names them (商户订单号查询订单, "优惠功能",
// https://pay.weixin.qq.com/doc/v3/merchant/4013070356): amount required, the rest defaulted;
// the contributions, when given, add up to the amount.
result<void> check_coupon(coupon& c) {
    auto bad = [](std::string why) { return error(errc::invalid_argument, "coupon." + why); };
    if (c.amount < 1 || c.amount > 2147483647) return bad("amount: must be an integer from 1 to the order's total - 1");
    if (c.type != "CASH" && c.type != "NOCASH") return bad("type: must be CASH or NOCASH");
    if (c.scope != "GLOBAL" && c.scope != "SINGLE") return bad("scope: must be GLOBAL or SINGLE");
    if (c.coupon_id.empty() || c.coupon_id.size() > 32) return bad("coupon_id: must be 1 to 32 characters");
    const std::int64_t parts[] = {c.wechatpay_contribute, c.merchant_contribute, c.other_contribute};
    std::int64_t sum = 0;
    for (std::int64_t part : parts) {
        if (part < 0 || part > c.amount) return bad("*_contribute: must be integers from 0 to the amount");
        sum += part;
    }
    if (sum == 0) c.merchant_contribute = c.amount;
    else if (sum != c.amount) return bad("*_contribute: must add up to the amount");
    return {};
}

// A parser error that says the bytes are not HTTP/1.1, not that the client went away.
bool malformed(const boost::system::error_code& ec) {
    return ec.category() == http::make_error_code(http::error::bad_value).category() &&
           ec != http::error::end_of_stream && ec != http::error::partial_message && ec != http::error::short_read;
}
}  // namespace

struct simulator::impl {
    // Declared before the io_context, so that they outlive the coroutine frames it destroys.
    config cfg;
    stats counters;
    asio::ssl::context tls{asio::ssl::context::tls_server};
    asio::io_context ioc;

    tcp::acceptor acceptor{ioc};
    tcp::endpoint local;
    std::filesystem::path ca;
    std::vector<std::thread> threads;
    std::atomic<bool> stopped{false};
    std::atomic<std::uint64_t> request_ids{0};
    std::atomic<std::uint64_t> coupon_ids{0};

    store orders;
    fault_plan faults;
    sim_clock clock;
    keyring keys;
    notifier notify;
    api endpoints;
    profit_sharing_desk splits{cfg, orders};

    explicit impl(config c)
        : cfg(std::move(c)),
          keys(cfg.certificates, cfg.public_key, clock),
          notify(ioc, cfg, keys, counters),
          endpoints(cfg, orders,
                    api::hooks{[this](const refund_record& r) { schedule_refund(r); },
                               [this] { return keys.certificates(); },
                               [this](const merchant& m, const std::string& url, const std::string& event_type,
                                      const std::string& summary, std::string resource) {
                                   notify.send({&m, url, event_type, summary, "complaint", std::move(resource)});
                               },
                               [this](const transfer_record& r) { transfer_changed(r); },
                               [this](std::string_view serial) { return keys.decrypting_key(serial); }}) {
        wire_profit_sharing();
    }

    // ---- profit sharing (sim/profit_sharing.hpp) -------------------------------------------

    void wire_profit_sharing() {
        splits.set_hooks(
            {[this](std::string_view serial) { return keys.decrypting_key(serial); },
             [this](std::chrono::milliseconds after, std::function<void()> f) {
                 asio::co_spawn(asio::make_strand(ioc), run_later(after, std::move(f)), asio::detached);
             },
             [this](const merchant& m, const std::string& event_type, const std::string& summary, std::string resource) {
                 if (!m.profit_sharing_notify_url.empty())
                     notify.send({&m, m.profit_sharing_notify_url, event_type, summary, "profitsharing", std::move(resource)});
             },
             [this](const merchant& m, const std::string& csv, bool gzip, const std::string& date) {
                 return endpoints.issue_bill(m, csv, gzip, date, clock.now());
             }});
        endpoints.add_route([this](const merchant& m, const incoming& in, std::string_view path, std::string_view query,
                                   std::int64_t now) -> std::optional<answer> {
            if (!profit_sharing_desk::serves(path)) return std::nullopt;
            return splits.handle(m, in.method, path, query, in.body, in.wechatpay_serial, now);
        });
    }

    static awaitable<void> run_later(std::chrono::milliseconds after, std::function<void()> f) {
        asio::steady_timer timer(co_await asio::this_coro::executor, after);
        auto [ec] = co_await timer.async_wait(tuple_awaitable);
        if (!ec) f();
    }

    // ---- business events ----------------------------------------------------------------

    void paid(const order& o) {
        // A sub-merchant's order notifies its service provider (encrypted with the provider's key).
        notify.send({endpoints.notified_merchant(o.mchid, o.sp_mchid), o.notify_url, "TRANSACTION.SUCCESS", "支付成功",
                     "transaction", transaction_resource(o)});
    }

    // A transfer bill confirmed or cancelled completes after the (scaled) transfer delay; a final
    // one is notified (MCHTRANSFER.BILL.FINISHED, original_type mch_payment) to its notify_url.
    void transfer_changed(const transfer_record& r) {
        if (r.state == "TRANSFERING" || r.state == "CANCELING") {
            const auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.transfer_delay * cfg.notify_time_scale);
            asio::co_spawn(asio::make_strand(ioc), finish_transfer_later(r.mchid, r.out_bill_no, delay), asio::detached);
        } else if ((r.state == "SUCCESS" || r.state == "FAIL" || r.state == "CANCELLED") && !r.notify_url.empty()) {
            notify.send({endpoints.find_merchant(r.mchid), r.notify_url, "MCHTRANSFER.BILL.FINISHED", "商家转账单据终态通知",
                         "mch_payment", api::transfer_notification_resource(r)});
        }
    }

    awaitable<void> finish_transfer_later(std::string mchid, std::string out_bill_no, std::chrono::milliseconds delay) {
        asio::steady_timer timer(co_await asio::this_coro::executor, std::max(delay, std::chrono::milliseconds(1)));
        auto [ec] = co_await timer.async_wait(tuple_awaitable);
        if (ec) co_return;
        endpoints.finish_transfer(mchid, out_bill_no, clock.now());
    }

    void schedule_refund(const refund_record& r) {
        asio::co_spawn(asio::make_strand(ioc), complete_refund_later(r.mchid, r.out_refund_no), asio::detached);
    }

    awaitable<void> complete_refund_later(std::string mchid, std::string out_refund_no) {
        asio::steady_timer timer(co_await asio::this_coro::executor, cfg.refund_delay);
        auto [ec] = co_await timer.async_wait(tuple_awaitable);
        if (ec) co_return;
        auto r = orders.complete_refund(mchid, out_refund_no, clock.now());
        if (!r) co_return;
        // A refund naming no notify_url notifies the merchant's configured refund URL, as WeChat
        // does (never the payment's notify_url).
        const merchant* m = endpoints.notified_merchant(mchid, r->sp_mchid);
        notify.send({m, r->notify_url.empty() ? m->refund_notify_url : r->notify_url, "REFUND.SUCCESS", "退款成功",
                     "refund", refund_notification_resource(*r)});
    }

    result<void> pay(std::string_view mchid, std::string_view out_trade_no, std::string_view openid,
                     std::string_view bank_type, const coupon* used = nullptr) {
        // The merchants' orders, then their sub-merchants' (a service provider's orders).
        std::vector<std::string> owners;
        for (const auto& m : cfg.merchants) owners.push_back(m.mchid);
        for (const auto& m : cfg.merchants)
            for (const auto& sub : m.sub_merchants) owners.push_back(sub.mchid);
        for (const auto& owner : owners) {
            if (!mchid.empty() && owner != mchid) continue;
            store::change why{};
            auto o = orders.pay(owner, std::string(out_trade_no), std::string(openid), std::string(bank_type),
                                clock.now(), why, used);
            if (o) {
                paid(*o);
                return {};
            }
            if (why == store::change::closed) return error(errc::invalid_argument, "order is closed");
            if (why == store::change::combined)
                return error(errc::invalid_argument, "order is a combine order's sub-order: pay the combine order");
            if (why == store::change::paid) return error(errc::invalid_argument, "order is already paid");
            if (why == store::change::coupon_too_large)
                return error(errc::invalid_argument, "coupon.amount: must be below the order's total (the payer pays the rest)");
            if (why == store::change::expired)
                return error(errc::invalid_argument, "order has expired (time_expire passed): it can no longer be paid");
        }
        return error(errc::invalid_argument, "no such order");
    }

    result<void> pay_combine(std::string_view mchid, std::string_view no, std::string_view openid) {
        for (const auto& m : cfg.merchants) {
            if (!mchid.empty() && m.mchid != mchid) continue;
            store::change why{};
            auto c = orders.pay_combine(m.mchid, std::string(no), std::string(openid), clock.now(), why);
            if (c) {
                // One TRANSACTION.SUCCESS for the whole combine order, to the combine merchant.
                notify.send({&m, c->record.notify_url, "TRANSACTION.SUCCESS", "支付成功", "transaction",
                             combine_resource(*c)});
                return {};
            }
            if (why == store::change::closed) return error(errc::invalid_argument, "combine order is closed");
            if (why == store::change::paid) return error(errc::invalid_argument, "combine order is already paid");
            if (why == store::change::expired)
                return error(errc::invalid_argument, "combine order has expired (time_expire passed)");
        }
        return error(errc::invalid_argument, "no such order");
    }

    // ---- answers ------------------------------------------------------------------------

    std::string next_request_id() {
        std::ostringstream s;
        s << "08" << std::hex << std::uppercase << system_unix_time() << "SIM" << std::dec << ++request_ids;
        return s.str();
    }

    static response json_response(unsigned status, std::string body, unsigned version, bool keep_alive) {
        response res{static_cast<http::status>(status), version};
        res.set(http::field::server, "wechatpay-asio-simulator");
        if (!body.empty()) res.set(http::field::content_type, "application/json; charset=utf-8");
        res.body() = std::move(body);
        res.keep_alive(keep_alive);
        res.prepare_payload();
        return res;
    }

    // Signs an answer as WeChat Pay does, or forges it as the fault set asks.
    void sign(response& res, std::string_view request_serial, const fault_set& f) {
        const auto who = keys.for_answer(request_serial);
        std::int64_t ts = system_unix_time();
        if (f.has(fault::stale_timestamp)) ts -= 600;
        const std::string t = std::to_string(ts), nonce = random_nonce(32);
        const std::string signed_body = f.has(fault::bad_signature) ? res.body() + " " : res.body();
        auto raw = who.key.sign_sha256(answer_message(t, nonce, signed_body));
        std::string signature = raw ? base64_encode(*raw) : "";
        if (f.has(fault::probe_signature)) signature = std::string(probe_signature_prefix) + signature;
        res.set("Wechatpay-Timestamp", t);
        res.set("Wechatpay-Nonce", nonce);
        res.set("Wechatpay-Signature", signature);
        res.set("Wechatpay-Serial", f.has(fault::unknown_serial) ? "7E5C1F8B0D2A4A6E9F3B1C5D7E9A0B2C4D6E8F01" : who.serial);
        res.set("Wechatpay-Signature-Type", signature_type);
    }

    // What a gateway in front of WeChat Pay answers when it gives up: never signed.
    static answer unsigned_error_answer(const fault_set& f) {
        answer a;
        const unsigned s = f.error_status;
        if (f.body == error_body::json) {
            a = s == 429   ? error_answer(s, "FREQUENCY_LIMITED", "too many requests")
                : s == 500 ? error_answer(s, "SYSTEM_ERROR", "system error, retry with the same parameters")
                           : error_answer(s, "SERVICE_UNAVAILABLE", "service unavailable, retry later");
        } else {
            a.status = s;
            if (f.body == error_body::html) {
                const std::string line = std::to_string(s) + " " + std::string(http::obsolete_reason(static_cast<http::status>(s)));
                a.body = "<html>\r\n<head><title>" + line + "</title></head>\r\n<body>\r\n<center><h1>" + line +
                         "</h1></center>\r\n<hr><center>stgw</center>\r\n</body>\r\n</html>\r\n";
                a.content_type = "text/html";
            }
        }
        a.sign = false;
        return a;
    }

    answer api_result(const request& req, const fault_set& f) {
        answer a;
        if (f.has(fault::unsigned_error)) a = unsigned_error_answer(f);
        else if (f.has(fault::system_error)) a = error_answer(500, "SYSTEM_ERROR", "system error, retry with the same parameters");
        else if (f.has(fault::frequency_limited)) a = error_answer(429, "FREQUENCY_LIMITED", "too many requests");
        else
            a = endpoints.handle({std::string(req.method_string()), std::string(req.target()), req.body(),
                                  std::string(req[http::field::authorization]),
                                  std::string(req[http::field::content_type]), std::string(req["Wechatpay-Serial"])},
                                 system_unix_time(), clock.offset());
        if (f.has(fault::malformed_json)) a.body = R"({"code_url":"weixin://wxpay/bizpayurl?pr=)";
        return a;
    }

    response api_answer(const request& req, const fault_set& f, answer a) {
        response res = json_response(a.status, std::move(a.body), req.version(),
                                     req.keep_alive() && !f.has(fault::connection_close));
        if (!a.content_type.starts_with("application/json")) res.set(http::field::content_type, a.content_type);
        res.set("Request-ID", next_request_id());
        if (a.sign) sign(res, req["Wechatpay-Serial"], f);
        return res;
    }

    // An answer produced piece by piece (a large bill), sent chunked: the simulator holds one
    // piece at a time. close_mid_body drops the connection after the first piece. False when
    // the connection cannot go on.
    awaitable<bool> write_streamed(beast::ssl_stream<beast::tcp_stream>& stream, const request& req, answer& a,
                                   const fault_set& f) {
        http::response<http::buffer_body> res{static_cast<http::status>(a.status), req.version()};
        res.set(http::field::server, "wechatpay-asio-simulator");
        res.set(http::field::content_type, a.content_type);
        res.set("Request-ID", next_request_id());
        res.keep_alive(req.keep_alive() && !f.has(fault::connection_close));
        res.chunked(true);
        res.body().data = nullptr;
        res.body().more = true;
        http::response_serializer<http::buffer_body> sr{res};
        stream.next_layer().expires_after(30s);
        auto [hec, hn] = co_await http::async_write_header(stream, sr, tuple_awaitable);
        if (hec) co_return false;
        for (bool first = true;; first = false) {
            std::string piece = a.next_piece();
            if (!first && f.has(fault::close_mid_body)) co_return false;  // abrupt: no last chunk
            res.body().data = piece.empty() ? nullptr : piece.data();
            res.body().size = piece.size();
            res.body().more = !piece.empty();
            stream.next_layer().expires_after(30s);
            auto [ec, n] = co_await http::async_write(stream, sr, tuple_awaitable);
            if (ec == http::error::need_buffer) ec = {};
            if (ec) co_return false;
            if (piece.empty()) break;
        }
        co_return res.keep_alive();
    }

    // The methods a control endpoint takes, as an Allow header lists them; empty for no endpoint.
    static std::string_view control_methods(std::string_view path) {
        if (path_param(path, "/sim/orders/", "/pay") || path == "/sim/certificates/rotate" ||
            path_param(path, "/sim/combine-orders/", "/pay"))
            return "POST";
        if (path == "/sim/clock") return "GET, POST";
        if (path == "/sim/faults") return "GET, POST, DELETE";
        if (path == "/sim/bills" || path == "/sim/complaints" || path_param(path, "/sim/complaints/", "/events"))
            return "POST";
        if (path == "/sim/stats" || path == "/sim/notifications") return "GET";
        if (path == "/sim/transfers/balance" || path_param(path, "/sim/transfers/", "/confirm") ||
            path_param(path, "/sim/transfers/", "/refuse") || path_param(path, "/sim/transfers/", "/fail"))
            return "POST";
        return {};
    }

    response control(const request& req) {
        const std::string_view target = req.target();
        const std::string_view path = target.substr(0, target.find('?'));
        const bool post = req.method() == http::verb::post;
        auto reply = [&](unsigned status, std::string body) {
            // Ids in paths are percent-decoded and may be any bytes; JSON must stay UTF-8.
            if (!detail::utf8_length(body)) body = detail::utf8_repaired(body);
            return json_response(status, std::move(body), req.version(), req.keep_alive());
        };
        auto fail = [&](unsigned status, const std::string& message) {
            return reply(status, json::serialize(json::object{{"error", message}}));
        };
        const std::string_view allow = control_methods(path);
        if (allow.empty()) return fail(404, "no such control endpoint");
        bool allowed = false;
        for (std::string_view rest = allow; !rest.empty() && !allowed;) {
            const auto comma = rest.find(", ");
            allowed = rest.substr(0, comma) == req.method_string();
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 2);
        }
        if (!allowed) {
            auto res = fail(405, "method not allowed: use " + std::string(allow));
            res.set(http::field::allow, allow);
            return res;
        }
        const auto paid_no = post ? path_param(path, "/sim/orders/", "/pay") : std::nullopt;
        if (paid_no) {
            // The order number arrives percent-encoded, as in the API's paths.
            const auto decoded = percent_decode(*paid_no);
            if (!decoded) return fail(400, "order number is not valid percent-encoding");
            const std::string& no = *decoded;
            auto body = req.body().empty() ? result<pay_body>(pay_body{}) : detail::read_json_object<pay_body>(req.body());
            if (!body) {
                const bool not_object = body.error().detail.starts_with("not ");
                return fail(400, not_object ? "body must be a JSON object" : body.error().detail);
            }
            if (body->used) {
                if (body->used->coupon_id.empty()) body->used->coupon_id = "SIMCOUPON" + std::to_string(++coupon_ids);
                if (body->used->stock_id.empty()) body->used->stock_id = "SIMSTOCK1";
                if (body->used->name.empty()) body->used->name = "模拟代金券";
                if (auto checked = check_coupon(*body->used); !checked) return fail(400, checked.error().detail);
            }
            auto r = pay(body->mchid, no, body->openid, body->bank_type, body->used ? &*body->used : nullptr);
            if (!r) {
                const std::string& why = r.error().detail;
                return fail(why == "no such order" ? 404 : why.starts_with("coupon.") ? 400 : 409, why);
            }
            return reply(200, json::serialize(json::object{{"paid", no}}));
        }
        if (const auto combine_no = post ? path_param(path, "/sim/combine-orders/", "/pay") : std::nullopt) {
            const auto decoded = percent_decode(*combine_no);
            if (!decoded) return fail(400, "order number is not valid percent-encoding");
            std::string mchid, openid;
            auto doc = req.body().empty() ? std::optional<json::object>(json::object{}) : body_object(req.body());
            if (!doc) return fail(400, "body must be a JSON object");
            for (auto [key, out] : {std::pair{"mchid", &mchid}, {"openid", &openid}})
                if (auto* v = doc->if_contains(key); v && v->is_string()) *out = v->get_string();
            auto r = pay_combine(mchid, *decoded, openid);
            if (!r) return fail(r.error().detail == "no such order" ? 404 : 409, r.error().detail);
            return reply(200, json::serialize(json::object{{"paid", *decoded}}));
        }
        if (path == "/sim/faults") {
            if (req.method() == http::verb::delete_) faults.clear();
            else if (post)
                if (auto r = faults.add(req.body()); !r) return fail(400, r.error().detail);
            return reply(200, faults.to_json());
        }
        if (path == "/sim/complaints") {
            auto r = endpoints.file_complaint(req.body(), clock.now());
            if (!r) return fail(r.error().detail.ends_with("no such order") ? 404 : 400, r.error().detail);
            return reply(200, *r);
        }
        if (const auto complained = path_param(path, "/sim/complaints/", "/events")) {
            const auto id = percent_decode(*complained);
            if (!id) return fail(400, "complaint id is not valid percent-encoding");
            auto r = endpoints.complaint_event(*id, req.body(), clock.now());
            if (!r) return fail(r.error().detail == "no such complaint" ? 404 : 400, r.error().detail);
            return reply(200, *r);
        }
        if (path == "/sim/transfers/balance") {
            auto r = endpoints.set_transfer_balance(req.body());
            if (!r) return fail(400, r.error().detail);
            return reply(200, *r);
        }
        for (std::string_view action : {"confirm", "refuse", "fail"}) {
            const auto raw = path_param(path, "/sim/transfers/", "/" + std::string(action));
            if (!raw) continue;
            const auto no = percent_decode(*raw);
            if (!no) return fail(400, "out_bill_no is not valid percent-encoding");
            auto r = endpoints.transfer_action(*no, action, req.body(), clock.now());
            if (!r) return fail(r.error().detail == "no such transfer" ? 404 : 409, r.error().detail);
            return reply(200, *r);
        }
        if (path == "/sim/bills") {
            if (auto r = endpoints.add_synthetic_bill(req.body()); !r) return fail(400, r.error().detail);
            return reply(200, req.body());
        }
        if (path == "/sim/certificates/rotate") {
            const auto p = keys.rotate(cfg.rotation_overlap);
            return reply(200, json::serialize(json::object{{"serial_no", p.id.cert.serial()},
                                                           {"signs_from", rfc3339_cst(p.signs_from)}}));
        }
        if (path == "/sim/clock") {
            if (post) {
                // Strict, like /sim/faults: a misspelt key must not pass for a move of nothing.
                auto clock_error = [&](const std::string& why) {
                    return reply(400, json::serialize(json::object{{"code", "PARAM_ERROR"}, {"message", why}}));
                };
                const auto doc = parse_json_strict(req.body());
                const json::object* o = doc ? doc->if_object() : nullptr;
                if (!o) return clock_error("body must be {\"advance_s\": N}");
                if (auto bad = unknown_key(*o, {"advance_s"})) return clock_error("unknown key \"" + *bad + "\" beside advance_s");
                const json::value* by = o->if_contains("advance_s");
                if (!by || !by->is_int64() || !clock.advance(by->get_int64())) return clock_error(clock_limits);
            }
            return reply(200, json::serialize(json::object{{"offset_s", clock.offset()}, {"now", rfc3339_cst(clock.now())}}));
        }
        if (path == "/sim/stats") return reply(200, counters.to_json());
        return reply(200, notify.log_json());  // /sim/notifications
    }

    // ---- connections --------------------------------------------------------------------

    awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(ioc), tuple_awaitable);
            if (ec) {
                if (stopped || ec == asio::error::operation_aborted) co_return;
                continue;  // e.g. EMFILE: keep serving the connections we have
            }
            ++counters.connections_accepted;
            asio::co_spawn(socket.get_executor(), serve(std::move(socket)), asio::detached);
        }
    }

    // A lingering close: read and drop what the client is still sending (bounded in bytes and
    // time), so that closing does not answer its unread bytes with a reset that can destroy
    // the answer we just sent before the client reads it.
    static awaitable<void> drain(beast::ssl_stream<beast::tcp_stream>& stream) {
        std::array<char, 16 * 1024> sink;
        stream.next_layer().expires_after(2s);
        for (std::size_t total = 0; total < 8 * 1024 * 1024;) {
            auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), tuple_awaitable);
            if (ec) break;
            total += n;
        }
    }

    // Answers a request the parser refused (too large, not HTTP/1.1) as WeChat answers its
    // errors — JSON, Request-ID — then lets the client finish sending (the caller closes).
    // Unsigned: WeChat signs only answers to requests whose signature it verified.
    awaitable<void> refuse(beast::ssl_stream<beast::tcp_stream>& stream, unsigned status, std::string_view message) {
        auto res = json_response(status, json::serialize(json::object{{"code", "PARAM_ERROR"}, {"message", message}}),
                                 11, false);
        res.set("Request-ID", next_request_id());
        counters.answer(status);
        stream.next_layer().expires_after(5s);
        co_await http::async_write(stream, res, tuple_awaitable);
        co_await drain(stream);
    }

    awaitable<void> serve(tcp::socket socket) {
        ++counters.connections_open;
        struct open_guard {
            std::atomic<std::uint64_t>& n;
            ~open_guard() { --n; }
        } guard{counters.connections_open};

        beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), tls);
        stream.next_layer().expires_after(10s);
        auto [hs] = co_await stream.async_handshake(asio::ssl::stream_base::server, tuple_awaitable);
        if (hs) {
            ++counters.handshakes_failed;
            co_return;
        }
        ++(SSL_session_reused(stream.native_handle()) ? counters.handshakes_resumed : counters.handshakes_full);

        beast::flat_buffer buffer;
        for (;;) {
            // Waiting for the next request is bounded by the idle timeout, as at WeChat.
            stream.next_layer().expires_after(cfg.idle_timeout);
            http::request_parser<http::string_body> parser;
            parser.header_limit(max_header);
            // An upload endpoint takes its file limit whatever max_body says. Beast checks a
            // Content-Length against the limit as the header ends: allow the largest upload
            // there, then hold the request to its target's own limit.
            parser.body_limit(std::max<std::uint64_t>(cfg.max_body, media_store::max_request_body));
            auto [rec, n] = co_await http::async_read_header(stream, buffer, parser, tuple_awaitable);
            if (!rec) {
                const std::uint64_t limit =
                    std::max<std::uint64_t>(cfg.max_body, media_store::body_limit(parser.get().method_string(), parser.get().target()));
                if (parser.content_length().value_or(0) > limit) rec = http::error::body_limit;
                else parser.body_limit(limit);
            }
            if (!rec) std::tie(rec, n) = co_await http::async_read(stream, buffer, parser, tuple_awaitable);
            if (rec == http::error::body_limit) {
                co_await refuse(stream, 413, "request body too large");
                break;
            }
            if (rec == http::error::header_limit) {
                co_await refuse(stream, 431, "request header fields too large");
                break;
            }
            // Not HTTP/1.1 (a bad Content-Length, method, target, field…): 400, saying what.
            if (malformed(rec)) {
                const std::string why = "malformed request: " + rec.message();  // named: g++ 12 and co_await
                co_await refuse(stream, 400, why);
                break;
            }
            if (rec) co_return;  // closed, cut short or idle timeout: drop the connection
            request req = parser.release();
            stream.next_layer().expires_never();

            const std::string_view target = req.target();
            fault_set f;
            response res;
            if (target.starts_with("/sim/")) {
                res = control(req);
            } else {
                const std::string endpoint =
                    api::endpoint_of(req.method_string(), target.substr(0, target.find('?')));
                counters.request(endpoint);
                f = faults.pick(endpoint);
                counters.faults(f);
                if (f.has(fault::delay)) {
                    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(f.delay_ms));
                    co_await t.async_wait(tuple_awaitable);
                }
                if (f.has(fault::close_before_answer)) co_return;  // abrupt close: no TLS close_notify
                answer a = api_result(req, f);
                if (a.next_piece) {
                    counters.answer(a.status);
                    if (!co_await write_streamed(stream, req, a, f)) co_return;
                    continue;
                }
                res = api_answer(req, f, std::move(a));
            }
            counters.answer(res.result_int());
            stream.next_layer().expires_after(30s);
            if (f.has(fault::close_mid_body)) {
                std::ostringstream whole;
                whole << res;
                const std::string wire = whole.str();
                const std::size_t cut = wire.size() - res.body().size() / 2 - 1;
                co_await asio::async_write(stream, asio::buffer(wire.data(), cut), tuple_awaitable);
                co_return;
            }
            auto [wec, wn] = co_await http::async_write(stream, res, tuple_awaitable);
            if (wec || !res.keep_alive()) break;
        }
        stream.next_layer().expires_after(2s);
        co_await stream.async_shutdown(tuple_awaitable);
    }
};

simulator::simulator(std::unique_ptr<impl> i) : impl_(std::move(i)) {}

simulator::~simulator() { stop(); }

result<std::unique_ptr<simulator>> simulator::start(config cfg) {
    if (cfg.merchants.empty()) return error(errc::invalid_argument, "merchants: at least one is required");
    if (cfg.certificates.empty() && !cfg.public_key)
        return error(errc::invalid_argument, "wechatpay: a platform certificate or a public key is required");
    if (auto why = check_config(cfg); !why) return why.error();
    auto endpoint = parse_listen(cfg.listen);
    if (!endpoint) return endpoint.error();

    auto i = std::make_unique<impl>(std::move(cfg));
    auto ca = configure_server_tls(i->tls, i->cfg);
    if (!ca) return ca.error();
    i->ca = *ca;

    boost::system::error_code ec;
    i->acceptor.open(endpoint->protocol(), ec);
    if (!ec) i->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) i->acceptor.bind(*endpoint, ec);
    if (!ec) i->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return error(ec, "listen: cannot listen on " + i->cfg.listen);
    i->local = i->acceptor.local_endpoint();
    // Download URLs name the address the simulator listens on, as WeChat's name its own host.
    const std::string host = i->local.address().to_string();
    i->endpoints.set_base_url("https://" + (i->local.address().is_v6() ? "[" + host + "]" : host) + ":" +
                              std::to_string(i->local.port()));

    impl& s = *i;
    asio::co_spawn(s.ioc, s.accept_loop(), asio::detached);
    const unsigned n = s.cfg.threads ? s.cfg.threads : std::max(1u, std::thread::hardware_concurrency());
    for (unsigned t = 0; t < n; ++t) s.threads.emplace_back([&s] { s.ioc.run(); });
    return std::unique_ptr<simulator>(new simulator(std::move(i)));
}

void simulator::stop() {
    if (!impl_ || impl_->stopped.exchange(true)) return;
    impl_->ioc.stop();
    for (auto& t : impl_->threads) t.join();
    boost::system::error_code ec;
    impl_->acceptor.close(ec);  // no thread runs the io_context any more
}

std::string simulator::host() const { return impl_->local.address().to_string(); }
std::uint16_t simulator::port() const { return impl_->local.port(); }
std::filesystem::path simulator::ca_file() const { return impl_->ca; }

std::string simulator::start_line() const {
    const auto ep = impl_->local;
    const std::string host = ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
    return json::serialize(json::object{{"listening", host + ":" + std::to_string(ep.port())},
                                        {"ca", std::filesystem::absolute(impl_->ca).string()}});
}

result<void> simulator::pay_combine(std::string_view combine_mchid, std::string_view combine_out_trade_no,
                                    std::string_view openid) {
    return impl_->pay_combine(combine_mchid, combine_out_trade_no, openid);
}

result<void> simulator::pay(std::string_view mchid, std::string_view out_trade_no, std::string_view openid) {
    return impl_->pay(mchid, out_trade_no, openid, "");
}

result<std::string> simulator::transfer_action(std::string_view out_bill_no, std::string_view action,
                                               std::string_view json) {
    return impl_->endpoints.transfer_action(out_bill_no, action, json, impl_->clock.now());
}

result<void> simulator::set_transfer_balance(std::string_view json) {
    auto r = impl_->endpoints.set_transfer_balance(json);
    if (!r) return r.error();
    return {};
}

result<std::string> simulator::file_complaint(std::string_view json) {
    return impl_->endpoints.file_complaint(json, impl_->clock.now());
}

std::string simulator::stats_json() const { return impl_->counters.to_json(); }

result<void> simulator::advance_clock(std::chrono::seconds by) {
    if (!impl_->clock.advance(by.count())) return error(errc::invalid_argument, clock_limits);
    return {};
}

result<void> simulator::add_faults(std::string_view rules) { return impl_->faults.add(rules); }

result<void> simulator::add_synthetic_bill(std::string_view rule) { return impl_->endpoints.add_synthetic_bill(rule); }

void simulator::clear_faults() { impl_->faults.clear(); }

}  // namespace wechatpay::sim
