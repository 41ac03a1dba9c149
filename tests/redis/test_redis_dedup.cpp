// wechatpay::redis against a real redis-server started by the test (redis_server.hpp): the
// connection (replies, reconnects, timeouts, a server that is gone) and the shared notification
// store, alone and behind notification_handler, with several stores standing for several
// instances of a merchant's servers.
#include "checks.hpp"
#include "fake_wechatpay.hpp"
#include "io_threads.hpp"
#include "redis_server.hpp"
#include "sim_env.hpp"
#include "vectors.hpp"

#include <wechatpay/crypto.hpp>
#include <wechatpay/notification.hpp>
#include <wechatpay/redis/connection.hpp>
#include <wechatpay/redis/dedup.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace redis = wechatpay::redis;
using wechatpay::errc;
using wechatpay::result;
using claim = wechatpay::notification_dedup::claim;
using namespace std::chrono_literals;
using namespace wechatpay_test;

namespace {


result<redis::reply> exec(redis::connection& c, std::vector<std::string> args) {
    return c.async_exec(std::move(args), asio::use_future).get();
}

result<claim> try_claim(wechatpay::notification_dedup& d, std::string id) {
    std::promise<result<claim>> p;
    d.async_claim(std::move(id), [&p](result<claim> r) { p.set_value(std::move(r)); });
    return p.get_future().get();
}
claim claim_of(wechatpay::notification_dedup& d, std::string id) {
    auto r = try_claim(d, std::move(id));
    REQUIRE(r);
    return *r;
}
result<void> complete(wechatpay::notification_dedup& d, std::string id) {
    std::promise<result<void>> p;
    d.async_complete(std::move(id), [&p](result<void> r) { p.set_value(std::move(r)); });
    return p.get_future().get();
}
result<void> release(wechatpay::notification_dedup& d, std::string id) {
    std::promise<result<void>> p;
    d.async_release(std::move(id), [&p](result<void> r) { p.set_value(std::move(r)); });
    return p.get_future().get();
}

// One instance of a merchant's receivers: its own connection and store.
struct instance {
    std::shared_ptr<redis::connection> conn;
    std::shared_ptr<redis::dedup> store;
    instance(asio::io_context& ioc, std::uint16_t port, redis::dedup_options o = {},
             std::chrono::milliseconds timeouts = roomy_timeouts)
        : conn(std::make_shared<redis::connection>(ioc.get_executor(), local_redis(port, timeouts))),
          store(std::make_shared<redis::dedup>(conn, "1900000109", o)) {}
};

// A field of INFO's answer, e.g. ("clients", "connected_clients"); -1 when absent.
long long info_field(redis::connection& c, const std::string& section, const std::string& name) {
    auto r = exec(c, {"INFO", section});
    if (!r) return -1;
    const auto at = r->str.find(name + ":");
    return at == std::string::npos ? -1 : std::stoll(r->str.substr(at + name.size() + 1));
}

std::string text_of(redis::connection& c, const std::string& key) {
    auto r = exec(c, {"GET", key});
    REQUIRE(r);
    return r->kind == redis::reply::type::nil ? "(nil)" : r->str;
}

}  // namespace

TEST_CASE("redis connection: replies of each type, binary-safe, and an error reply as an error", "[redis]") {
    redis_server server;
    io_threads io;
    redis::connection c(io.ioc.get_executor(), local_redis(server.port()));

    const std::string binary("a\0b\r\nc", 6);
    auto set = exec(c, {"SET", "k", binary});
    REQUIRE(set);
    CHECK(set->kind == redis::reply::type::status);
    CHECK(set->str == "OK");
    auto got = exec(c, {"GET", "k"});
    REQUIRE(got);
    CHECK(got->kind == redis::reply::type::string);
    CHECK(got->str == binary);
    CHECK(exec(c, {"GET", "absent"})->kind == redis::reply::type::nil);
    auto incr = exec(c, {"INCRBY", "n", "41"});
    REQUIRE(incr);
    CHECK(incr->integer == 41);
    exec(c, {"RPUSH", "l", "x", "y"});
    auto list = exec(c, {"LRANGE", "l", "0", "-1"});
    REQUIRE(list);
    REQUIRE(list->elements.size() == 2);
    CHECK(list->elements[1].str == "y");

    auto wrong = exec(c, {"INCR", "k"});
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().detail.find("redis: ERR") != std::string::npos);
    CHECK(exec(c, {"PING"})->str == "PONG");  // the connection survives an error reply
    CHECK(c.connects() == 1);
}

TEST_CASE("redis connection: many commands from many threads, pipelined in order", "[redis]") {
    redis_server server;
    io_threads io;
    redis::connection c(io.ioc.get_executor(), local_redis(server.port()));
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            std::vector<std::future<result<redis::reply>>> answers;
            for (int i = 0; i < 250; ++i)
                answers.push_back(c.async_exec({"RPUSH", "t" + std::to_string(t), std::to_string(i)}, asio::use_future));
            for (int i = 0; i < 250; ++i)
                if (auto r = answers[static_cast<std::size_t>(i)].get(); r && r->integer == i + 1) ++ok;
        });
    for (auto& t : threads) t.join();
    CHECK(ok == 1000);
    CHECK(c.connects() == 1);
}

TEST_CASE("redis connection: no server, a stuck server, a restarted server", "[redis][errors]") {
    redis_server server;
    io_threads io;
    redis::connection c(io.ioc.get_executor(), local_redis(server.port(), gone_timeouts));
    REQUIRE(exec(c, {"SET", "k", "v"}));

    // Stuck: the command times out (no hang) and the connection is dropped.
    server.pause();
    const auto start = std::chrono::steady_clock::now();
    auto stuck = exec(c, {"GET", "k"});
    REQUIRE_FALSE(stuck);
    CHECK(stuck.error().code == asio::error::timed_out);
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    server.resume();
    CHECK(exec(c, {"GET", "k"})->str == "v");  // reconnected
    CHECK(c.connects() == 2);

    // Gone: an error at once, every time, never a hang.
    server.stop();
    for (int i = 0; i < 3; ++i) {
        auto gone = exec(c, {"GET", "k"});
        REQUIRE_FALSE(gone);
        CHECK(gone.error().detail.find("redis:") == 0);
    }
    // Back, empty (no persistence): the next command reconnects.
    server.start();
    auto back = exec(c, {"GET", "k"});
    REQUIRE(back);
    CHECK(back->kind == redis::reply::type::nil);
}

namespace {

// A loopback port whose connects never complete: its listener's accept queue (backlog 0) is
// full of connections nobody accepts, so the kernel drops further SYNs.
class full_listener {
public:
    full_listener() {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(listener_, 0) != 0 ||
            ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
            throw std::runtime_error("cannot listen on loopback");
        port_ = ntohs(a.sin_port);
        for (int i = 0; i < 8; ++i) {  // until one hangs
            const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
            if (s < 0) break;
            fillers_.push_back(s);
            [[maybe_unused]] const int connecting = ::connect(s, reinterpret_cast<sockaddr*>(&a), len);
            pollfd p{s, POLLOUT, 0};
            if (::poll(&p, 1, 300) == 0) return;
        }
        throw std::runtime_error("the accept queue never filled");
    }
    ~full_listener() {
        for (int s : fillers_) ::close(s);
        ::close(listener_);
    }
    full_listener(const full_listener&) = delete;
    full_listener& operator=(const full_listener&) = delete;
    std::uint16_t port() const { return port_; }

private:
    int listener_ = -1;
    std::uint16_t port_ = 0;
    std::vector<int> fillers_;
};

}  // namespace

TEST_CASE("redis connection: an asker's io_context runs until its answer came", "[redis][executor]") {
    asio::io_context asker;  // first: outlives what the connection's threads may still post to it
    redis_server server;
    io_threads io;
    redis::connection c(io.ioc.get_executor(), local_redis(server.port()));
    const auto strand = asio::make_strand(asker);
    int answers = 0;
    bool on_strand = false;
    // No thread, no work guard: run() returns once nothing is left to do for it. A blocking pop
    // answers (nil) after 200 ms: run() is called long before.
    c.async_exec({"BLPOP", "absent", "0.2"}, asio::bind_executor(strand, [&](result<redis::reply> r) {
                     CHECK(r);
                     on_strand = strand.running_in_this_thread();
                     ++answers;
                 }));
    c.async_exec({"PING"}, asio::bind_executor(asker, [&](result<redis::reply> r) {
                     CHECK(r);
                     ++answers;
                 }));
    asker.run();
    CHECK(answers == 2);
    CHECK(on_strand);
}

TEST_CASE("redis connection: a connect that does not complete times out, and says so", "[redis][errors]") {
    full_listener nobody;
    io_threads io;
    const std::string address = "127.0.0.1:" + std::to_string(nobody.port());
    auto ping = [&](std::chrono::milliseconds connect_timeout, std::chrono::milliseconds command_timeout) {
        auto o = local_redis(nobody.port());
        o.connect_timeout = connect_timeout;
        o.command_timeout = command_timeout;
        redis::connection c(io.ioc.get_executor(), o);
        return exec(c, {"PING"});
    };
    const auto connect_late = ping(gone_timeouts, roomy_timeouts);
    REQUIRE_FALSE(connect_late);
    CHECK(connect_late.error().code == asio::error::timed_out);
    CHECK(connect_late.error().detail == "redis: connecting to " + address + " timed out after 500 ms");
    // The command's own timeout first: it says the connect was still on its way.
    const auto command_late = ping(roomy_timeouts, gone_timeouts);
    REQUIRE_FALSE(command_late);
    CHECK(command_late.error().code == asio::error::timed_out);
    CHECK(command_late.error().detail == "redis: no answer in time: still connecting to " + address);
}

TEST_CASE("redis connection: its io_context stopped before it closed, nothing of it stays open", "[redis][executor]") {
    redis_server server;
    io_threads observer_io;
    redis::connection observer(observer_io.ioc.get_executor(), local_redis(server.port()));
    REQUIRE(info_field(observer, "clients", "connected_clients") == 1);
    {
        io_threads io;
        auto c = std::make_unique<redis::connection>(io.ioc.get_executor(), local_redis(server.port(), 60s));
        REQUIRE(exec(*c, {"PING"}));
        c->async_exec({"BLPOP", "never", "0"}, [](result<redis::reply>) {});  // waits for ever
        REQUIRE(eventually([&] { return info_field(observer, "clients", "blocked_clients") == 1; }, 20s));
        io.stop();  // as a server that shuts down at once
        c.reset();  // its close is posted, and never runs
    }  // the io_context is destroyed: the connection's socket closes, the waiting command goes
    CHECK(eventually([&] { return info_field(observer, "clients", "connected_clients") == 1; }, 20s));
}

TEST_CASE("redis dedup: two instances, one effect per id; keys namespaced per merchant with WeChat's span",
          "[redis][dedup]") {
    redis_server server;
    io_threads io;
    instance a(io.ioc, server.port()), b(io.ioc, server.port());

    CHECK(claim_of(*a.store, "EV-1") == claim::first);
    CHECK(claim_of(*b.store, "EV-1") == claim::in_progress);
    CHECK(claim_of(*a.store, "EV-1") == claim::in_progress);  // a second delivery to the same instance
    REQUIRE(complete(*a.store, "EV-1"));
    CHECK(claim_of(*b.store, "EV-1") == claim::done);
    CHECK(claim_of(*a.store, "EV-1") == claim::done);

    const std::string key = a.store->key("EV-1");
    CHECK(key == "wechatpay:{1900000109}:notification:EV-1");
    CHECK(text_of(*a.conn, key) == "done");
    auto ttl = exec(*a.conn, {"TTL", key});
    REQUIRE(ttl);
    CHECK(ttl->integer > wechatpay::notification_redelivery_span.count());

    // A failed effect releases the id: the next delivery, on any instance, runs it again.
    CHECK(claim_of(*a.store, "EV-2") == claim::first);
    REQUIRE(release(*a.store, "EV-2"));
    CHECK(claim_of(*b.store, "EV-2") == claim::first);
    REQUIRE(complete(*b.store, "EV-2"));
    CHECK(a.store->leases_lost() == 0);
    CHECK(b.store->leases_lost() == 0);
}

TEST_CASE("redis dedup: many deliveries of many ids racing on two instances give one first claim each",
          "[redis][dedup][concurrency]") {
    redis_server server;
    io_threads io;
    instance a(io.ioc, server.port()), b(io.ioc, server.port());
    constexpr int ids = 200;
    std::atomic<int> firsts{0}, other{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            auto& store = t % 2 ? *a.store : *b.store;
            for (int i = 0; i < ids; ++i) {
                auto c = try_claim(store, "EV-race-" + std::to_string(i));
                if (c && *c == claim::first) ++firsts;
                else if (c) ++other;
            }
        });
    for (auto& t : threads) t.join();
    CHECK(firsts == ids);
    CHECK(other == 3 * ids);
}

TEST_CASE("redis dedup: a slow effect keeps its claim; a dead instance's claim lapses after the lease",
          "[redis][dedup]") {
    redis_server server;
    io_threads io;
    redis::dedup_options short_lease;
    short_lease.lease = 3s;  // renewed every second: a slow machine's round trips fit many times
    instance a(io.ioc, server.port(), short_lease), b(io.ioc, server.port(), short_lease);
    auto lease_left = [&](const std::string& id) {
        auto r = exec(*a.conn, {"PTTL", a.store->key(id)});
        REQUIRE(r);
        return std::chrono::milliseconds(r->integer);
    };

    // Still running well past its first lease: renewed, so no other instance takes it.
    REQUIRE(claim_of(*a.store, "EV-slow") == claim::first);
    const auto first_lease_end = std::chrono::steady_clock::now() + short_lease.lease;
    std::this_thread::sleep_until(first_lease_end + 1s);
    CHECK(lease_left("EV-slow") > 0ms);
    CHECK(claim_of(*b.store, "EV-slow") == claim::in_progress);
    REQUIRE(complete(*a.store, "EV-slow"));
    CHECK(claim_of(*b.store, "EV-slow") == claim::done);
    CHECK(a.store->leases_lost() == 0);

    // Dead mid-effect (no more renewals): within the lease, another instance may handle it.
    REQUIRE(claim_of(*a.store, "EV-dead") == claim::first);
    REQUIRE(claim_of(*a.store, "EV-late") == claim::first);
    a.store->abandon_claims();
    CHECK(claim_of(*b.store, "EV-dead") == claim::in_progress);
    auto taken_by_b = [&](const std::string& id) {
        return eventually(
            [&] {
                auto r = try_claim(*b.store, id);
                return r && *r == claim::first;
            },
            20s);
    };
    REQUIRE(taken_by_b("EV-dead"));
    REQUIRE(complete(*b.store, "EV-dead"));
    // Had the dead instance finished after all, its completion is counted as a lost lease.
    REQUIRE(complete(*a.store, "EV-dead"));
    CHECK(a.store->leases_lost() == 0);  // already done: nothing was lost
    REQUIRE(taken_by_b("EV-late"));
    REQUIRE(complete(*a.store, "EV-late"));
    CHECK(a.store->leases_lost() == 1);
}

TEST_CASE("redis dedup: Redis down at a claim refuses the delivery; down at completion, it is recorded later",
          "[redis][dedup][errors]") {
    redis_server server;
    io_threads io;
    redis::dedup_options fast_retry;
    fast_retry.retry_interval = 50ms;
    instance a(io.ioc, server.port(), fast_retry, gone_timeouts), b(io.ioc, server.port(), fast_retry, gone_timeouts);

    server.stop();
    auto refused = try_claim(*a.store, "EV-down");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().detail.find("claiming notification EV-down") != std::string::npos);
    server.start();

    REQUIRE(claim_of(*a.store, "EV-done-later") == claim::first);
    server.stop();
    auto unrecorded = complete(*a.store, "EV-done-later");
    REQUIRE_FALSE(unrecorded);
    CHECK(unrecorded.error().detail.find("will retry") != std::string::npos);
    CHECK(a.store->pending_completions() == 1);
    server.start();  // empty: the claim is gone with the restart
    for (int i = 0; i < 200 && a.store->pending_completions() > 0; ++i) std::this_thread::sleep_for(20ms);
    CHECK(a.store->pending_completions() == 0);
    CHECK(claim_of(*b.store, "EV-done-later") == claim::done);
}

namespace {

// A loopback relay in front of the redis-server for the first `muted` connections it accepts,
// it passes what the client sends and swallows the answers (counted): as answers lost or late
// beyond command_timeout, after Redis ran the commands. Later connections pass both ways.
class answer_eating_relay {
public:
    answer_eating_relay(asio::io_context& ioc, std::uint16_t upstream, int muted)
        : state_(std::make_shared<state>(ioc, upstream, muted)) {
        accept(state_);
    }
    ~answer_eating_relay() {
        asio::post(state_->strand, [s = state_] {
            boost::system::error_code ignored;
            s->acceptor.close(ignored);
            for (auto& weak : s->sockets)
                if (auto socket = weak.lock()) socket->close(ignored);
        });
    }
    answer_eating_relay(const answer_eating_relay&) = delete;
    answer_eating_relay& operator=(const answer_eating_relay&) = delete;

    std::uint16_t port() const { return state_->port; }
    std::size_t swallowed() const { return state_->swallowed.load(); }

private:
    using tcp = asio::ip::tcp;
    using socket_ptr = std::shared_ptr<tcp::socket>;
    struct state {
        state(asio::io_context& ioc, std::uint16_t up, int m)
            : strand(asio::make_strand(ioc)), acceptor(strand, {asio::ip::make_address("127.0.0.1"), 0}),
              port(acceptor.local_endpoint().port()), upstream(up), muted(m) {}
        asio::strand<asio::io_context::executor_type> strand;  // what follows is used on it
        tcp::acceptor acceptor;
        const std::uint16_t port;
        std::uint16_t upstream;
        int muted;
        std::vector<std::weak_ptr<tcp::socket>> sockets;
        std::atomic<std::size_t> swallowed{0};
    };

    static void close(const socket_ptr& a, const socket_ptr& b) {
        boost::system::error_code ignored;
        a->close(ignored);
        b->close(ignored);
    }
    static void pump(std::shared_ptr<state> s, socket_ptr from, socket_ptr to, bool swallow) {
        auto buffer = std::make_shared<std::array<char, 4096>>();
        from->async_read_some(asio::buffer(*buffer), [s, from, to, swallow, buffer](boost::system::error_code ec,
                                                                                    std::size_t n) {
            if (ec) return close(from, to);
            if (swallow) {
                s->swallowed += n;
                return pump(s, from, to, swallow);
            }
            asio::async_write(*to, asio::buffer(*buffer, n), [s, from, to, buffer](boost::system::error_code wec, std::size_t) {
                if (wec) return close(from, to);
                pump(s, from, to, false);
            });
        });
    }
    static void accept(std::shared_ptr<state> s) {
        s->acceptor.async_accept([s](boost::system::error_code ec, tcp::socket accepted) {  // on the strand
            if (ec) return;  // closed
            auto client = std::make_shared<tcp::socket>(std::move(accepted));
            auto server = std::make_shared<tcp::socket>(s->strand);
            s->sockets.push_back(client);
            s->sockets.push_back(server);
            const bool swallow = s->muted > 0;
            if (swallow) --s->muted;
            server->async_connect({asio::ip::make_address("127.0.0.1"), s->upstream},
                                  [s, client, server, swallow](boost::system::error_code cec) {
                                      if (cec) return close(client, server);
                                      pump(s, client, server, false);
                                      pump(s, server, client, swallow);
                                  });
            accept(s);
        });
    }

    std::shared_ptr<state> state_;
};

}  // namespace

TEST_CASE("redis dedup: a claim whose answer was lost, though Redis ran it, is released: the next delivery runs",
          "[redis][dedup][errors]") {
    redis_server server;
    io_threads io;
    answer_eating_relay relay(io.ioc, server.port(), 1);
    instance a(io.ioc, relay.port(), {}, 1s), b(io.ioc, server.port());

    auto lost = try_claim(*a.store, "EV-lost-answer");
    REQUIRE_FALSE(lost);
    CHECK(lost.error().code == asio::error::timed_out);
    REQUIRE(eventually([&] { return relay.swallowed() > 0; }, 20s));  // Redis did answer: it ran the claim
    // Without the release, the key would hold a's token for the 60 s lease: in progress for every
    // redelivery. The release went out on a's next connection, which the relay lets through.
    CHECK(eventually([&] { return text_of(*b.conn, a.store->key("EV-lost-answer")) == "(nil)"; }, 20s));
    CHECK(claim_of(*b.store, "EV-lost-answer") == claim::first);
    REQUIRE(complete(*b.store, "EV-lost-answer"));
}

namespace {

// A TRANSACTION.SUCCESS notification for `out_trade_no`, signed now by the fake WeChat Pay.
struct delivery {
    wechatpay::signature_headers headers;
    std::string body;
};
delivery notification_for(const std::string& id, const std::string& out_trade_no) {
    const auto key = UNWRAP(wechatpay::apiv3_key::from(test_apiv3_key));
    boost::json::object resource{{"mchid", "1900000109"},       {"appid", "wxd678efh567hg6787"},
                                 {"out_trade_no", out_trade_no}, {"transaction_id", "42000" + out_trade_no},
                                 {"trade_type", "JSAPI"},        {"trade_state", "SUCCESS"},
                                 {"amount", {{"total", 100}, {"payer_total", 100}, {"currency", "CNY"}}}};
    const std::string plain = boost::json::serialize(resource);
    boost::json::object envelope{
        {"id", id},
        {"create_time", "2026-12-07T10:00:00+08:00"},
        {"resource_type", "encrypt-resource"},
        {"event_type", "TRANSACTION.SUCCESS"},
        {"summary", "支付成功"},
        {"resource",
         {{"original_type", "transaction"},
          {"algorithm", "AEAD_AES_256_GCM"},
          {"ciphertext", UNWRAP(wechatpay::aead_encrypt(key, "fdasflkja484", "transaction", plain))},
          {"associated_data", "transaction"},
          {"nonce", "fdasflkja484"}}}};
    std::string body = boost::json::serialize(envelope);
    auto headers = fake_wechatpay::instance().sign(body, wechatpay::system_unix_time(), wechatpay::random_nonce());
    return {std::move(headers), std::move(body)};
}

}  // namespace

TEST_CASE("redis dedup behind notification_handler: redeliveries spread over three instances, one effect each; "
          "Redis down means a 500 and a later delivery", "[redis][dedup]") {
    redis_server server;
    io_threads io;
    const auto key = UNWRAP(wechatpay::apiv3_key::from(test_apiv3_key));
    std::vector<instance> instances;
    std::vector<wechatpay::notification_handler> receivers;
    for (int i = 0; i < 3; ++i) {
        instances.emplace_back(io.ioc, server.port());
        receivers.emplace_back(fake_wechatpay::instance().certificate_verifier(), key, instances.back().store);
    }
    std::mutex mutex;
    std::map<std::string, int> effects;  // out_trade_no → business effects
    const wechatpay::notification_effect effect =
        [&](const wechatpay::notification& n) -> asio::awaitable<result<void>> {
        const auto ex = co_await asio::this_coro::executor;
        asio::steady_timer slow(ex, 20ms);  // a database round trip
        co_await slow.async_wait(asio::use_awaitable);
        const auto t = n.transaction();
        std::lock_guard lock(mutex);
        ++effects[t ? t->out_trade_no : "?"];
        co_return result<void>();
    };
    auto deliver = [&](int to, const delivery& d) {
        return asio::co_spawn(io.ioc, receivers[static_cast<std::size_t>(to)].async_handle(d.headers, d.body, effect),
                              asio::use_future);
    };

    // 30 payments, each delivered to every instance at once, then once more to each.
    std::vector<std::future<wechatpay::notification_reply>> answers;
    for (int p = 0; p < 30; ++p) {
        const auto d = notification_for("EV-" + std::to_string(p), "order-" + std::to_string(p));
        for (int to = 0; to < 3; ++to) answers.push_back(deliver(to, d));
    }
    for (auto& a : answers) a.get();
    for (int p = 0; p < 30; ++p) {
        const auto d = notification_for("EV-" + std::to_string(p), "order-" + std::to_string(p));
        for (int to = 0; to < 3; ++to) CHECK(deliver(to, d).get().status == 204);
    }
    CHECK(effects.size() == 30);
    for (const auto& [order, count] : effects) CHECK(count == 1);

    // Round trips, as Redis counted them: one per delivery (the claim) and one per effect (done).
    const auto evals = command_calls(*instances[0].conn, "eval");
    CHECK(evals == 6 * 30 + 30);
    UNSCOPED_INFO("redis round trips: " << evals << " for 30 notifications delivered 6 times each");

    // Redis down: a failure for WeChat (it delivers again later), with the reason, no effect.
    server.stop();
    const auto d = notification_for("EV-down", "order-down");
    const auto refused = deliver(1, d).get();
    CHECK(refused.status == 500);
    REQUIRE(refused.reason);
    CHECK(refused.reason->detail.find("could not claim") != std::string::npos);
    CHECK(effects.count("order-down") == 0);
    server.start();
    CHECK(deliver(2, d).get().status == 204);
    CHECK(deliver(0, d).get().status == 204);
    CHECK(effects["order-down"] == 1);
}
