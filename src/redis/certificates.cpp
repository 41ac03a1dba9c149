#include <wechatpay/crypto.hpp>
#include <wechatpay/redis/certificates.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <map>

namespace wechatpay::redis {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

// KEYS[1] the answer (a hash), KEYS[2] the lock: both in the merchant's slot.
// ARGV: the signature to replace, this fetch's lock token, the lease in ms.
// Returns the answer's fields, 1 (elected: download) or 0 (another instance downloads).
constexpr const char* look_script =
    "local s = redis.call('HGET', KEYS[1], 'Wechatpay-Signature') "
    "if s and s ~= ARGV[1] then return redis.call('HGETALL', KEYS[1]) end "
    "if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then return 1 end "
    "return 0";
// ARGV: the token, the answer's TTL in ms, then field, value pairs. The lock goes if still ours.
constexpr const char* store_script =
    "redis.call('DEL', KEYS[1]) "
    "redis.call('HSET', KEYS[1], unpack(ARGV, 3)) "
    "redis.call('PEXPIRE', KEYS[1], ARGV[2]) "
    "if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end "
    "return 1";
constexpr const char* release_script =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

// The hash's fields as an answer; whatever is missing the client's checks refuse.
certificates_answer answer_of(const reply& r) {
    std::map<std::string, std::string, std::less<>> fields;
    for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) fields[r.elements[i].str] = r.elements[i + 1].str;
    certificates_answer a;
    a.headers = signature_headers::from([&](std::string_view name) {
        const auto it = fields.find(name);
        return it == fields.end() ? std::string() : it->second;
    });
    a.body = fields["body"];
    a.shared = true;
    return a;
}

std::vector<std::string> fields_of(const certificates_answer& a) {
    const auto& h = a.headers;
    return {"Wechatpay-Signature", h.signature, "Wechatpay-Timestamp", h.timestamp, "Wechatpay-Nonce", h.nonce,
            "Wechatpay-Serial",    h.serial,    "Wechatpay-Signature-Type", h.signature_type,
            "Request-ID",          h.request_id, "body", a.body};
}

}  // namespace

struct certificate_cache::fetch_op {
    static awaitable<result<certificates_answer>> download(const download_function& d) {
        auto initiate = [&d](auto handler) { d(answer_handler(std::move(handler))); };
        co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(result<certificates_answer>)>(
            initiate, asio::use_awaitable);
    }

    static awaitable<result<reply>> exec(certificate_cache& self, std::vector<std::string> args) {
        ++self.round_trips_;
        co_return co_await self.conn_->async_exec(std::move(args), asio::use_awaitable);
    }

    static awaitable<result<certificates_answer>> fallback(certificate_cache& self, const download_function& d) {
        ++self.fallbacks_;
        ++self.downloads_;
        co_return co_await download(d);
    }

    static awaitable<result<certificates_answer>> run(std::shared_ptr<certificate_cache> self, std::string replaces,
                                                      download_function d) {
        const std::string token = self->instance_ + ":" + std::to_string(++self->tokens_);
        const std::string lease = std::to_string(self->opts_.lock_lease.count());
        const auto deadline = std::chrono::steady_clock::now() + self->opts_.wait;
        co_await asio::this_coro::throw_if_cancelled(false);
        asio::steady_timer timer(co_await asio::this_coro::executor);
        for (;;) {
            std::vector<std::string> look{"EVAL", look_script, "2", self->key(), self->lock_key(), replaces, token, lease};
            auto looked = co_await exec(*self, std::move(look));
            if (!looked) co_return co_await fallback(*self, d);  // Redis down or slow: WeChat directly
            if (looked->kind == reply::type::array) {
                ++self->shared_;
                co_return answer_of(*looked);
            }
            if (looked->kind == reply::type::integer && looked->integer == 1) {  // elected
                ++self->downloads_;
                auto got = co_await download(d);
                if (got) {
                    std::vector<std::string> args{"EVAL", store_script, "2", self->key(), self->lock_key(), token,
                                                  std::to_string(self->opts_.answer_ttl.count())};
                    for (auto& f : fields_of(*got)) args.push_back(std::move(f));
                    co_await exec(*self, std::move(args));  // not stored: the others download after `wait`
                } else {
                    std::vector<std::string> release{"EVAL", release_script, "1", self->lock_key(), token};
                    co_await exec(*self, std::move(release));  // let another try
                }
                co_return got;
            }
            if (looked->kind != reply::type::integer || std::chrono::steady_clock::now() >= deadline)
                co_return co_await fallback(*self, d);
            timer.expires_after(self->opts_.poll_interval);  // another instance is downloading
            co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
            // The client shut down meanwhile: it wants nothing any more.
            if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none)
                co_return error(asio::error::operation_aborted, "certificate fetch cancelled");
        }
    }
};

certificate_cache::certificate_cache(std::shared_ptr<connection> conn, std::string mchid, certificates_options opts)
    : conn_(std::move(conn)), key_("wechatpay:{" + std::move(mchid) + "}:certificates"), opts_(opts),
      instance_(random_nonce(16)) {}

void certificate_cache::async_fetch(std::string replaces, download_function download, answer_handler handler) {
    const auto strand = conn_->get_executor();
    const auto ex = asio::get_associated_executor(handler, strand);
    const auto slot = asio::get_associated_cancellation_slot(handler);  // the client's shutdown
    auto done = [h = std::move(handler)](std::exception_ptr e, result<certificates_answer> r) mutable {
        if (e) r = error(errc::callback_exception, "certificate fetch threw");
        std::move(h)(std::move(r));
    };
    asio::co_spawn(strand, fetch_op::run(shared_from_this(), std::move(replaces), std::move(download)),
                   asio::bind_cancellation_slot(slot, asio::bind_executor(ex, std::move(done))));
}

certificate_cache::counters certificate_cache::stats() const {
    return {round_trips_.load(), downloads_.load(), shared_.load(), fallbacks_.load()};
}

}  // namespace wechatpay::redis
