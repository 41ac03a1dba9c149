#include "sim/notifier.hpp"

#include "sim/api.hpp"
#include "sim/store.hpp"

#include "core/url.hpp"
#include "http/trust.hpp"

#include <wechatpay/crypto.hpp>
#include <wechatpay/signer.hpp>
#include <wechatpay/verifier.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>

#include <charconv>
#include <deque>
#include <random>
#include <chrono>

namespace wechatpay::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using namespace std::chrono_literals;
using asio::awaitable;
using asio::ip::tcp;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

struct notifier::delivery {
    std::string id, url, event_type, outcome = "pending";
    unsigned attempts = 0;
    bool delivered = false;
};

struct notifier::shared {
    asio::io_context& ioc;
    const config& cfg;
    const keyring& keys;
    stats& st;
    asio::ssl::context tls{asio::ssl::context::tls_client};
    mutable std::mutex mutex;
    // The newest max_log deliveries (GET /sim/notifications), so that a long run's memory stays
    // bounded; `dropped` counts those gone before, and numbers them.
    static constexpr std::size_t max_log = 256;
    std::deque<delivery> log;
    std::uint64_t dropped = 0;
    bool stopped = false;

    shared(asio::io_context& i, const config& c, const keyring& k, stats& s) : ioc(i), cfg(c), keys(k), st(s) {}

    // The delivery's number for record().
    std::uint64_t add(delivery d) {
        std::lock_guard lock(mutex);
        log.push_back(std::move(d));
        if (log.size() > max_log) log.pop_front(), ++dropped;
        return dropped + log.size() - 1;
    }

    void record(std::uint64_t number, unsigned attempts, std::string outcome, bool delivered) {
        std::lock_guard lock(mutex);
        if (number < dropped) return;  // left the log, still delivered
        auto& d = log[number - dropped];
        d.attempts = attempts;
        d.outcome = std::move(outcome);
        d.delivered = delivered;
    }
};

namespace {

// Notifications only ever go to this machine: the simulator is a local test tool.
std::optional<asio::ip::address> loopback_address(const detail::http_url& u) {
    if (!u.loopback) return std::nullopt;
    if (beast::iequals(u.host, "localhost")) return asio::ip::make_address("127.0.0.1");
    boost::system::error_code ec;
    auto a = asio::ip::make_address(u.host, ec);
    if (ec) return std::nullopt;
    return a;
}

// One POST; returns "" when the receiver answers 200 or 204 (what WeChat takes as delivered:
// any other status, 2xx included, is a failure to retry), else what went wrong. One 5 s
// deadline bounds the whole try (connect, handshake, write, read), as WeChat's reply limit does.
// `ep` is where to connect: the URL's own address, or a balancer's target.
awaitable<std::string> post_once(asio::ssl::context& tls, detail::http_url u, tcp::endpoint ep, std::string body,
                                 std::vector<std::pair<std::string, std::string>> headers) {
    auto ex = co_await asio::this_coro::executor;
    const auto deadline = std::chrono::steady_clock::now() + 5s;

    http::request<http::string_body> req{http::verb::post, u.target, 11};
    req.set(http::field::host, u.host_header());
    req.set(http::field::user_agent, "wechatpay-asio-simulator");
    req.set(http::field::content_type, "application/json");
    req.set(http::field::connection, "close");
    for (auto& [k, v] : headers) req.set(k, v);
    req.body() = std::move(body);
    req.prepare_payload();
    http::response<http::string_body> res;
    beast::flat_buffer buf;

    auto exchange = [&](auto& stream) -> awaitable<std::string> {
        auto [we, wn] = co_await http::async_write(stream, req, tuple_awaitable);
        if (we) co_return "write: " + we.message();
        auto [re, rn] = co_await http::async_read(stream, buf, res, tuple_awaitable);
        if (re) co_return "read: " + re.message();
        const unsigned status = res.result_int();
        co_return status == 200 || status == 204 ? "" : "HTTP " + std::to_string(status);
    };

    if (!u.https) {
        beast::tcp_stream tcp(ex);
        tcp.expires_at(deadline);  // stays armed for every operation below
        auto [ce] = co_await tcp.async_connect(ep, tuple_awaitable);
        if (ce) co_return "connect: " + ce.message();
        co_return co_await exchange(tcp);
    }
    beast::ssl_stream<beast::tcp_stream> stream(ex, tls);
    // SSL_set_tlsext_host_name, without the macro's C-style cast.
    SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(u.host.c_str()));
    stream.set_verify_callback(asio::ssl::host_name_verification(u.host));
    stream.next_layer().expires_at(deadline);
    auto [ce] = co_await stream.next_layer().async_connect(ep, tuple_awaitable);
    if (ce) co_return "connect: " + ce.message();
    auto [he] = co_await stream.async_handshake(asio::ssl::stream_base::client, tuple_awaitable);
    if (he) {
        // OpenSSL's verdict on the receiver's certificate says more than the handshake's error.
        if (const long v = SSL_get_verify_result(stream.native_handle()); v != X509_V_OK)
            co_return std::string("TLS: receiver certificate refused: ") + X509_verify_cert_error_string(v);
        co_return "TLS: " + he.message();
    }
    auto outcome = co_await exchange(stream);
    // The outcome is decided: the close is courtesy, bounded apart.
    stream.next_layer().expires_after(1s);
    co_await stream.async_shutdown(tuple_awaitable);
    co_return outcome;
}

// WeChat's schedule after a failed try: 15s 15s 30s 3m 10m 20m 30m 30m 30m 60m 3h 3h 3h 6h 6h,
// 24 h 4 min in all (16 tries).
constexpr std::chrono::seconds retry_after[] = {15s, 15s, 30s, 3min, 10min, 20min, 30min, 30min,
                                                30min, 60min, 3h, 3h, 3h, 6h, 6h};

// A version-4 UUID: WeChat's notification ids are 36 characters, 8-4-4-4-12 hex digits.
std::string notification_id() {
    thread_local std::mt19937_64 rng{std::random_device{}()};  // unique, not secret
    unsigned char b[16];
    for (auto& byte : b) byte = static_cast<unsigned char>(rng());
    b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);
    b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
    static constexpr char hex[] = "0123456789abcdef";
    std::string id;
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) id += '-';
        id += hex[b[i] >> 4];
        id += hex[b[i] & 15];
    }
    return id;
}

// The Wechatpay-* headers of one try: a fresh timestamp, nonce and signature over the same body,
// as WeChat signs each resend (a receiver refuses timestamps older than 300 s, and the later
// tries come hours after the first).
std::vector<std::pair<std::string, std::string>> signed_headers(const notifier::shared& s, const std::string& id,
                                                                const std::string& body) {
    const auto who = s.keys.for_notification(s.cfg.notify_sign_with_public_key);
    const std::string ts = std::to_string(system_unix_time()), nonce = random_nonce(32);
    auto raw = who.key.sign_sha256(answer_message(ts, nonce, body));
    return {{"Wechatpay-Timestamp", ts},
            {"Wechatpay-Nonce", nonce},
            {"Wechatpay-Signature", raw ? base64_encode(*raw) : ""},
            {"Wechatpay-Serial", who.serial},
            {"Wechatpay-Signature-Type", std::string(signature_type)},
            {"Request-ID", "sim-notify-" + id}};
}

// A balancer target or a URL's host, when it is a loopback IP address (or localhost).
std::optional<tcp::endpoint> loopback_endpoint(const detail::http_url& u) {
    auto addr = loopback_address(u);
    if (!addr) return std::nullopt;
    return tcp::endpoint(*addr, u.port);
}

// Where try `attempt` of a notification to `u` connects: the notify_url's own address, or with
// a balancer in front of it (config::notify_balance) its targets in turn.
std::optional<tcp::endpoint> endpoint_for(const config& cfg, const detail::http_url& u, unsigned attempt) {
    const auto balanced = cfg.notify_balance.find(u.host_header());
    if (balanced == cfg.notify_balance.end() || balanced->second.empty()) return loopback_endpoint(u);
    const auto target = detail::parse_http_url("http://" + balanced->second[attempt % balanced->second.size()]);
    return target ? loopback_endpoint(*target) : std::nullopt;  // checked at start: always a target
}

awaitable<void> deliver(std::shared_ptr<notifier::shared> s, std::uint64_t index, std::string id, detail::http_url u,
                        std::string body) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (unsigned attempt = 0;; ++attempt) {
        const auto ep = endpoint_for(s->cfg, u, attempt);
        // g++ 12 mishandles a co_await inside ?: (a temporary freed twice): an if instead.
        std::string outcome = "notify_url host is not a loopback address";
        if (ep) outcome = co_await post_once(s->tls, u, *ep, body, signed_headers(*s, id, body));
        const bool ok = outcome.empty();
        s->record(index, attempt + 1, ok ? "delivered" : outcome, ok);
        if (ok) {
            ++s->st.notifications_sent;
            co_return;
        }
        ++s->st.notifications_failed;
        if (attempt >= std::size(retry_after)) co_return;
        ++s->st.notifications_retried;
        timer.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            retry_after[attempt] * s->cfg.notify_time_scale));
        auto [ec] = co_await timer.async_wait(tuple_awaitable);
        if (ec) co_return;
    }
}

}  // namespace

result<void> check_notify_ca(const std::filesystem::path& file) {
    if (file.empty()) return {};
    asio::ssl::context probe(asio::ssl::context::tls_client);
    if (auto ok = net::trust_ca_file(probe, file, "notify.ca"); !ok) return error(errc::invalid_argument, ok.error().detail);
    return {};
}

result<void> check_notify_balance(const std::map<std::string, std::vector<std::string>>& balance) {
    for (const auto& [front, targets] : balance) {
        const std::string where = "notify.balance[" + wechatpay::excerpt(front, 64) + "]";
        const auto f = detail::parse_http_url("http://" + front);
        if (!f || f->host_header() != front || f->target != "/")
            return error(errc::invalid_argument, where + ": must be \"host:port\", the port written");
        if (targets.empty()) return error(errc::invalid_argument, where + ": lists no target");
        for (const auto& t : targets) {
            const auto u = detail::parse_http_url("http://" + t);
            if (!u || u->host_header() != t || u->target != "/" || !loopback_endpoint(*u) ||
                beast::iequals(u->host, "localhost"))
                return error(errc::invalid_argument,
                             where + ": target " + wechatpay::excerpt(t, 64) + " is not a loopback \"IP:port\"");
        }
    }
    return {};
}

notifier::notifier(asio::io_context& ioc, const config& cfg, const keyring& keys, stats& st)
    : s_(std::make_shared<shared>(ioc, cfg, keys, st)) {
    s_->tls.set_verify_mode(asio::ssl::verify_peer);
    // simulator::start checked notify_ca (check_notify_ca); should the file have changed since,
    // https deliveries fail verification and say so in the log, nothing throws.
    boost::system::error_code ec;
    if (cfg.notify_ca.empty()) s_->tls.set_default_verify_paths(ec);
    else (void)net::trust_ca_file(s_->tls, cfg.notify_ca, "notify.ca");
}

notifier::~notifier() = default;

void notifier::send(notification_job job) {
    const auto u = detail::parse_http_url(job.notify_url);
    const std::string id = notification_id();
    const std::uint64_t index = s_->add({id, job.notify_url, job.event_type});
    if (!u) {
        s_->record(index, 0, job.notify_url.empty() ? "no notify_url: none given and none configured"
                                                    : "notify_url is not an http(s) URL",
                   false);
        return;
    }
    const std::int64_t now = system_unix_time();
    const std::string nonce = random_nonce(12);
    auto sealed = aead_encrypt(job.to->apiv3, nonce, job.original_type, job.resource);
    const std::string body = json::serialize(json::object{
        {"id", id},
        {"create_time", rfc3339_cst(now)},
        {"resource_type", "encrypt-resource"},
        {"event_type", job.event_type},
        {"summary", job.summary},
        {"resource", json::object{{"original_type", job.original_type},
                                  {"algorithm", "AEAD_AES_256_GCM"},
                                  {"ciphertext", sealed ? *sealed : ""},
                                  {"associated_data", job.original_type},
                                  {"nonce", nonce}}}});
    asio::co_spawn(asio::make_strand(s_->ioc), deliver(s_, index, id, *u, body), asio::detached);
}

std::string notifier::log_json() const {
    json::array list;
    std::lock_guard lock(s_->mutex);
    for (const auto& d : s_->log)
        list.push_back(json::object{{"id", d.id},
                                    {"notify_url", d.url},
                                    {"event_type", d.event_type},
                                    {"attempts", d.attempts},
                                    {"delivered", d.delivered},
                                    {"outcome", d.outcome}});
    return json::serialize(json::object{{"notifications", list}});
}

}  // namespace wechatpay::sim
