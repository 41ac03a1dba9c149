// Several threads share one signer, one verifier, one notification handler and one APIv3 key.
// Built and run under ThreadSanitizer in CI. Catch2 v2 assertions are not thread-safe: workers
// only count failures in atomics; the test thread checks the counts after join().
#include "checks.hpp"
#include "fake_wechatpay.hpp"
#include "vectors.hpp"

#include <wechatpay/crypto.hpp>
#include <wechatpay/notification.hpp>
#include <wechatpay/signer.hpp>
#include <wechatpay/verifier.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace wechatpay_test;
namespace asio = boost::asio;

namespace {

constexpr int thread_count = 4;
constexpr std::int64_t t0 = 1700000000;

// Runs work(thread_index) on thread_count threads at once and waits for all of them.
void run_in_parallel(const std::function<void(int)>& work) {
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < thread_count; ++t)
        threads.emplace_back([&, t] {
            ++ready;
            while (ready.load() < thread_count) std::this_thread::yield();  // start together
            work(t);
        });
    for (auto& thread : threads) thread.join();
}

struct aead_sample {
    std::string nonce, plaintext, ciphertext;
};

}  // namespace

TEST_CASE("threads sign and verify thousands of distinct messages with shared objects", "[concurrency]") {
    constexpr int per_thread = 500;
    const auto merchant_cert = load_certificate(files::java_merchant_cert);
    const auto merchant_key = merchant_cert.key();
    const auto merchant = UNWRAP(
        wechatpay::signer::create("1234567891", load_private_key(files::java_merchant_key), merchant_cert));
    const auto& platform = fake_wechatpay::instance();
    const auto verifier = platform.certificate_verifier();
    const auto key = UNWRAP(wechatpay::apiv3_key::from(test_apiv3_key));

    std::vector<aead_sample> samples;
    for (int i = 0; i < 16; ++i) {
        aead_sample s{wechatpay::random_nonce(12), R"({"out_trade_no":"T)" + std::to_string(i) + R"("})", {}};
        s.ciphertext = UNWRAP(wechatpay::aead_encrypt(key, s.nonce, "transaction", s.plaintext));
        samples.push_back(std::move(s));
    }

    std::atomic<int> sign_failures{0}, merchant_signature_mismatches{0}, verify_failures{0},
        tampered_accepted{0}, decrypt_failures{0}, roundtrip_failures{0};
    std::vector<std::vector<std::string>> signatures(thread_count);

    run_in_parallel([&](int t) {
        auto& mine = signatures[static_cast<std::size_t>(t)];
        for (int i = 0; i < per_thread; ++i) {
            const auto id = std::to_string(t) + "-" + std::to_string(i);

            // The merchant signs a request; its certificate's key checks the signature.
            const std::string url = "/v3/pay/transactions/jsapi";
            const std::string request_body = R"({"out_trade_no":")" + id + R"("})";
            const auto request = merchant.sign_request("POST", url, request_body, t0 + i, "nonce" + id);
            if (!request) {
                ++sign_failures;
                continue;
            }
            mine.push_back(request->signature);
            const auto message = wechatpay::request_message("POST", url, t0 + i, "nonce" + id, request_body);
            const auto raw = wechatpay::base64_decode(request->signature);
            if (!raw || !merchant_key.verify_sha256(message, *raw)) ++merchant_signature_mismatches;

            // "WeChat Pay" answers; the shared verifier checks it.
            const std::string body = R"({"prepay_id":"wx)" + id + R"("})";
            wechatpay::signature_headers h;
            h.timestamp = std::to_string(t0 + i);
            h.nonce = "answer" + id;
            h.serial = std::string(platform_serial);
            const auto answer_signature =
                platform.signer().sign(wechatpay::answer_message(h.timestamp, h.nonce, body));
            if (!answer_signature) {
                ++sign_failures;
                continue;
            }
            h.signature = *answer_signature;
            if (!verifier.verify_at(h, body, t0 + i)) ++verify_failures;
            if (i % 10 == 0 && verifier.verify_at(h, body + " ", t0 + i)) ++tampered_accepted;

            // AEAD with the shared key: decrypt shared ciphertexts, and a fresh round trip.
            const auto& sample = samples[static_cast<std::size_t>(i) % samples.size()];
            const auto plaintext =
                wechatpay::aead_decrypt(key, sample.nonce, "transaction", sample.ciphertext);
            if (!plaintext || *plaintext != sample.plaintext) ++decrypt_failures;
            if (i % 5 == 0) {
                const auto nonce = wechatpay::random_nonce(12);
                const auto ciphertext = wechatpay::aead_encrypt(key, nonce, id, body);
                const auto back = ciphertext ? wechatpay::aead_decrypt(key, nonce, id, *ciphertext)
                                             : wechatpay::result<std::string>(ciphertext.error());
                if (!back || *back != body) ++roundtrip_failures;
            }
        }
    });

    CHECK(sign_failures.load() == 0);
    CHECK(merchant_signature_mismatches.load() == 0);
    CHECK(verify_failures.load() == 0);
    CHECK(tampered_accepted.load() == 0);
    CHECK(decrypt_failures.load() == 0);
    CHECK(roundtrip_failures.load() == 0);

    std::set<std::string> distinct;
    for (const auto& per : signatures) distinct.insert(per.begin(), per.end());
    CHECK(distinct.size() == static_cast<std::size_t>(thread_count * per_thread));
}

namespace {

struct sealed_notification {
    wechatpay::signature_headers headers;
    std::string body;
};

// A TRANSACTION.SUCCESS notification `id` around `resource`, encrypted with `key` and signed by
// the fake WeChat Pay at t0; nullopt when building it failed.
std::optional<sealed_notification> seal(const wechatpay::apiv3_key& key, const std::string& id,
                                        const std::string& resource) {
    const auto nonce = wechatpay::random_nonce(12);
    const auto ciphertext = wechatpay::aead_encrypt(key, nonce, "transaction", resource);
    if (!ciphertext) return std::nullopt;
    sealed_notification n;
    n.body = R"({"id":")" + id +
             R"(","create_time":"2015-05-20T13:29:35+08:00","resource_type":"encrypt-resource",)"
             R"("event_type":"TRANSACTION.SUCCESS","summary":"ok","resource":{)"
             R"("original_type":"transaction","algorithm":"AEAD_AES_256_GCM","ciphertext":")" +
             *ciphertext + R"(","associated_data":"transaction","nonce":")" + nonce + R"("}})";
    n.headers.timestamp = std::to_string(t0);
    n.headers.nonce = wechatpay::random_nonce();
    n.headers.serial = std::string(platform_serial);
    const auto signature =
        fake_wechatpay::instance().signer().sign(wechatpay::answer_message(n.headers.timestamp, n.headers.nonce, n.body));
    if (!signature) return std::nullopt;
    n.headers.signature = *signature;
    return n;
}

}  // namespace

TEST_CASE("one notification handler parses notifications from several threads", "[concurrency]") {
    constexpr int per_thread = 100;
    const auto key = UNWRAP(wechatpay::apiv3_key::from(test_apiv3_key));
    const wechatpay::notification_handler handler(fake_wechatpay::instance().certificate_verifier(), key);

    std::atomic<int> build_failures{0}, parse_failures{0}, wrong_content{0};
    run_in_parallel([&](int t) {
        for (int i = 0; i < per_thread; ++i) {
            const auto out_trade_no = "N" + std::to_string(t) + "x" + std::to_string(i);
            const auto resource = R"({"out_trade_no":")" + out_trade_no + R"(","amount":{"total":)" +
                                  std::to_string(i + 1) + "}}";
            const auto n = seal(key, "EV-" + out_trade_no, resource);
            if (!n) {
                ++build_failures;
                continue;
            }
            const auto parsed = handler.parse_at(n->headers, n->body, t0);
            if (!parsed) {
                ++parse_failures;
                continue;
            }
            const auto transaction = parsed->transaction();
            if (!transaction || transaction->out_trade_no != out_trade_no || !transaction->amount ||
                transaction->amount->total != i + 1)
                ++wrong_content;
        }
    });
    CHECK(build_failures.load() == 0);
    CHECK(parse_failures.load() == 0);
    CHECK(wrong_content.load() == 0);
}

namespace {

// A store a network away: every answer comes from the store's own thread (as a Redis client's
// would), some time after the question, over the in-memory store.
class threaded_store final : public wechatpay::notification_dedup {
public:
    threaded_store() : worker_([this] { serve(); }) {}
    ~threaded_store() override {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        worker_.join();
    }
    std::atomic<int> answered_elsewhere{0};

    void async_claim(std::string id, claim_handler h) override {
        enqueue([this, id = std::move(id), h = std::move(h)]() mutable { std::move(h)(memory_.try_claim(id)); });
    }
    void async_complete(std::string id, done_handler h) override {
        enqueue([this, id = std::move(id), h = std::move(h)]() mutable {
            memory_.complete(id);
            std::move(h)(wechatpay::result<void>());
        });
    }
    void async_release(std::string id, done_handler h) override {
        enqueue([this, id = std::move(id), h = std::move(h)]() mutable {
            memory_.release(id);
            std::move(h)(wechatpay::result<void>());
        });
    }

private:
    // any_completion_handler is move-only, and so is a job holding one.
    struct job {
        virtual ~job() = default;
        virtual void run() = 0;
    };
    template <class F>
    struct job_of final : job {
        explicit job_of(F work) : f(std::move(work)) {}
        void run() override { f(); }
        F f;
    };
    template <class F>
    void enqueue(F f) {
        {
            std::lock_guard lock(mutex_);
            jobs_.push_back(std::make_unique<job_of<F>>(std::move(f)));
        }
        wake_.notify_one();
    }
    void serve() {
        for (;;) {
            std::unique_ptr<job> next;
            {
                std::unique_lock lock(mutex_);
                wake_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
                if (jobs_.empty()) return;
                next = std::move(jobs_.front());
                jobs_.pop_front();
            }
            std::this_thread::sleep_for(std::chrono::microseconds(50));  // the round trip
            ++answered_elsewhere;
            next->run();
        }
    }

    wechatpay::memory_dedup memory_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::unique_ptr<job>> jobs_;
    bool stop_ = false;
    std::thread worker_;  // last: starts once the rest is built
};

}  // namespace

TEST_CASE("redeliveries racing on several io threads, with a store answering from its own thread, cause exactly "
          "one business effect per id",
          "[concurrency]") {
    constexpr int ids = 20, rounds = 5;
    const auto key = UNWRAP(wechatpay::apiv3_key::from(test_apiv3_key));
    auto store = std::make_shared<threaded_store>();
    const wechatpay::notification_handler handler(
        fake_wechatpay::instance().certificate_verifier([] { return t0; }), key, store);
    std::vector<sealed_notification> notifications;
    for (int i = 0; i < ids; ++i) {
        auto n = seal(key, "EV-RACE" + std::to_string(i), R"({"out_trade_no":"RACE)" + std::to_string(i) + R"("})");
        REQUIRE(n);
        notifications.push_back(std::move(*n));
    }
    asio::io_context ioc;
    std::set<std::thread::id> io_threads;
    std::mutex threads_mutex;
    // The merchant's effect: a coroutine that waits (its database), failing one time in three.
    std::array<std::atomic<int>, ids> effects{};
    std::atomic<int> attempts{0}, acknowledged{0}, off_io_thread{0};
    const wechatpay::notification_effect effect =
        [&](const wechatpay::notification& n) -> asio::awaitable<wechatpay::result<void>> {
        {
            std::lock_guard lock(threads_mutex);
            if (!io_threads.contains(std::this_thread::get_id())) ++off_io_thread;
        }
        asio::steady_timer db(co_await asio::this_coro::executor, std::chrono::microseconds(200));
        co_await db.async_wait(asio::as_tuple(asio::use_awaitable));
        if (attempts.fetch_add(1) % 3 == 0) co_return wechatpay::error(wechatpay::errc::invalid_argument, "busy");
        ++effects[static_cast<std::size_t>(std::stoi(n.id.substr(7)))];
        co_return wechatpay::result<void>();
    };
    // WeChat's deliveries: `rounds` of every notification at once, then each again until it
    // hears 204.
    std::function<void(const sealed_notification&)> deliver = [&](const sealed_notification& n) {
        handler.async_handle(n.headers, n.body, effect, asio::bind_executor(ioc, [&](wechatpay::notification_reply reply) {
                                 if (reply.status == 204) ++acknowledged;
                                 else deliver(n);
                             }));
    };
    for (int round = 0; round < rounds; ++round)
        for (const auto& n : notifications) deliver(n);
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(threads_mutex);
        for (int t = 0; t < thread_count; ++t) io_threads.insert(threads.emplace_back([&] { ioc.run(); }).get_id());
    }
    for (auto& t : threads) t.join();  // run() returns when every delivery was acknowledged
    for (int i = 0; i < ids; ++i) CHECK(effects[static_cast<std::size_t>(i)].load() == 1);
    CHECK(acknowledged.load() == ids * rounds);
    CHECK(off_io_thread.load() == 0);  // resumed on the io threads, never on the store's
    CHECK(store->answered_elsewhere.load() >= 3 * ids);  // claim and complete per id, releases
}

TEST_CASE("copies of keys, verifiers and signers are used from several threads at once", "[concurrency]") {
    const auto& platform = fake_wechatpay::instance();
    const auto shared_verifier = platform.certificate_verifier();
    const auto body = std::string(R"({"code_url":"weixin://wxpay/bizpayurl?pr=abc"})");
    const auto headers = platform.sign(body, t0);

    std::atomic<int> failures{0};
    std::vector<std::set<std::string>> nonces(thread_count);
    run_in_parallel([&](int t) {
        for (int i = 0; i < 200; ++i) {
            // Copies share OpenSSL objects; with_certificates builds new state from shared certificates.
            const auto copy = shared_verifier;
            const auto renewed = shared_verifier.with_certificates(shared_verifier.certificates());
            if (!copy.verify_at(headers, body, t0) || !renewed.verify_at(headers, body, t0)) ++failures;
            const auto key = renewed.key_for(platform_serial);
            if (!key || !(*key == platform.certificate().key())) ++failures;
            const auto signer_copy = platform.signer();
            if (!signer_copy.sign(body)) ++failures;
            nonces[static_cast<std::size_t>(t)].insert(wechatpay::random_nonce());
        }
    });
    CHECK(failures.load() == 0);
    std::set<std::string> all;
    for (const auto& n : nonces) all.insert(n.begin(), n.end());
    CHECK(all.size() == static_cast<std::size_t>(thread_count * 200));
}
