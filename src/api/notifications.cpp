// The notification receiver: verify (downloading WeChat Pay's certificates when the serial is
// unknown and the keys allow it), claim the id in the store, run the merchant's effect, mark the
// id done — each wait an asynchronous one — and the answer for WeChat, with its reason.
#include <wechatpay/notification.hpp>

#include "core/callback_error.hpp"
#include "core/notification_state.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/system_executor.hpp>
#include <boost/asio/this_coro.hpp>

#include <exception>

namespace wechatpay {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

// Hands a result, from whatever thread the store or the key source completes on, back to the
// coroutine's executor, keeping that executor's work count up meanwhile (a store's answer may
// come from its own thread while the io_context has nothing else to do).
template <class T, class Handler>
struct back_to_executor {
    decltype(asio::prefer(std::declval<asio::any_io_executor>(), asio::execution::outstanding_work.tracked)) ex;
    Handler handler;
    void operator()(result<T> r) { asio::post(ex, asio::append(std::move(handler), std::move(r))); }
};

// Starts `start(any_completion_handler<void(result<T>)>)` and resumes here with its result.
template <class T, class Start>
struct initiate_here {
    asio::any_io_executor ex;
    Start start;
    template <class Handler>
    void operator()(Handler handler) {
        using tracked = decltype(asio::prefer(ex, asio::execution::outstanding_work.tracked));
        start(asio::any_completion_handler<void(result<T>)>(back_to_executor<T, Handler>{
            tracked(asio::prefer(ex, asio::execution::outstanding_work.tracked)), std::move(handler)}));
    }
};

template <class T, class Start>
awaitable<result<T>> resumed_here(Start start) {
    asio::any_io_executor ex = co_await asio::this_coro::executor;
    initiate_here<T, Start> init{std::move(ex), std::move(start)};
    co_return co_await asio::async_initiate<const asio::use_awaitable_t<>, void(result<T>)>(std::move(init),
                                                                                           asio::use_awaitable);
}

struct refresh_keys {
    const key_source* keys;
    void operator()(asio::any_completion_handler<void(result<void>)> h) const { keys->async_refresh(std::move(h)); }
};
struct claim_id {
    notification_dedup* store;
    std::string id;
    void operator()(notification_dedup::claim_handler h) { store->async_claim(std::move(id), std::move(h)); }
};
struct complete_id {
    notification_dedup* store;
    std::string id;
    void operator()(notification_dedup::done_handler h) { store->async_complete(std::move(id), std::move(h)); }
};
struct release_id {
    notification_dedup* store;
    std::string id;
    void operator()(notification_dedup::done_handler h) { store->async_release(std::move(id), std::move(h)); }
};

error with_context(error e, std::string_view context) {
    e.detail = std::string(context) + (e.detail.empty() ? "" : ": " + e.detail);
    return e;
}

}  // namespace

awaitable<notification_reply> notification_handler::handle_op(std::shared_ptr<const state> shared, signature_headers sig,
                                                              std::string raw, notification_effect business) {
    // The steps run to the end once started: a cancellation that stopped them between claim and
    // release or complete would leave the id "in progress", refusing WeChat's redeliveries until
    // the claim lapses. The effect still sees the cancellation through its own operations.
    auto steps = [](std::shared_ptr<const state> s, signature_headers headers, std::string body,
                    notification_effect effect) -> awaitable<notification_reply> {
        const std::string_view request_id = headers.request_id;
        auto refuse = [&](error reason, log_level level = log_level::warning) {
            s->log(level, "notification refused: " + reason.to_string(), request_id);
            return reply_refused(std::move(reason));
        };
        if (!effect) co_return refuse(error(errc::invalid_argument, "no business effect given"), log_level::error);

        auto n = s->parse(headers, body, std::nullopt);
        // A serial we do not know may be a rotated platform certificate: the same download, limited
        // to one a minute, as an answer with an unknown serial prompts. Look again even when it was
        // refused: another download may have just brought the certificate.
        if (!n && n.error().is(errc::unknown_serial) && s->keys->refreshable()) {
            refresh_keys refresh{s->keys.get()};
            const auto refreshed = co_await resumed_here<void>(refresh);
            n = s->parse(headers, body, std::nullopt);
            if (!n && !refreshed) {
                error e = n.error();
                e.detail += "; certificate download: " + refreshed.error().to_string();
                n = std::move(e);
            }
        }
        if (!n) co_return refuse(n.error());
        const std::string about = "notification " + n->id;

        // The operations are named first: g++ 12 destroys a braced temporary inside a co_await twice.
        claim_id claim{s->dedup.get(), n->id};
        const auto claimed = co_await resumed_here<notification_dedup::claim>(std::move(claim));
        if (!claimed) co_return refuse(with_context(claimed.error(), about + ": the store could not claim it"), log_level::error);
        if (*claimed == notification_dedup::claim::done) co_return reply_success();  // a redelivery
        if (*claimed == notification_dedup::claim::in_progress)
            co_return refuse(error(errc::notification_in_progress, about + ": another delivery is being handled"),
                             log_level::info);

        result<void> done;
        std::exception_ptr thrown;
        try {
            done = co_await effect(*n);
        } catch (...) {
            thrown = std::current_exception();
        }
        if (thrown || !done) {
            // Not done: the next delivery runs the effect again.
            release_id release{s->dedup.get(), n->id};
            const auto released = co_await resumed_here<void>(std::move(release));
            if (!released)
                s->log(log_level::error, about + ": the store could not release it: " + released.error().to_string(),
                       request_id);
            // An exception is a failure like an error: WeChat gets a 500 and delivers again.
            if (thrown)
                co_return refuse(detail::callback_error(thrown, about + ": the business effect"), log_level::error);
            co_return refuse(with_context(done.error(), about + ": the business effect failed"));
        }
        // The effect happened: acknowledge it even if the store cannot record it, since a failure
        // would make WeChat deliver again, and the effect run twice once the claim lapses.
        complete_id complete{s->dedup.get(), n->id};
        const auto completed = co_await resumed_here<void>(std::move(complete));
        if (!completed)
            s->log(log_level::error,
                   about + ": handled, but the store could not mark it done: " + completed.error().to_string(), request_id);
        co_return reply_success();
    };
    const bool caller_throws = co_await asio::this_coro::throw_if_cancelled();
    co_await asio::this_coro::throw_if_cancelled(false);
    auto op = steps(std::move(shared), std::move(sig), std::move(raw), std::move(business));
    notification_reply reply = co_await std::move(op);
    co_await asio::this_coro::throw_if_cancelled(caller_throws);
    co_return reply;
}

asio::any_io_executor notification_handler::executor_of(const std::shared_ptr<const state>& s) {
    if (s->ex) return s->ex;
    return asio::system_executor();
}

void notification_handler::launch(asio::any_io_executor ex, awaitable<notification_reply> op, reply_handler handler) {
    auto slot = asio::get_associated_cancellation_slot(handler);
    auto handler_ex = asio::get_associated_executor(handler, ex);
    // co_spawn delivers a cancellation through `ex`: on a strand, so that it never runs beside
    // the receiver on another thread.
    if (slot.is_connected()) ex = asio::make_strand(ex);
    auto complete = [h = std::move(handler)](std::exception_ptr e, notification_reply r) mutable {
        if (e) std::rethrow_exception(e);  // a bug (or bad_alloc): let it reach run(), as Asio does
        std::move(h)(std::move(r));
    };
    asio::co_spawn(ex, std::move(op),
                   asio::bind_cancellation_slot(slot, asio::bind_executor(handler_ex, std::move(complete))));
}

}  // namespace wechatpay
