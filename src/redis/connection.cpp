#include <wechatpay/redis/connection.hpp>

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <atomic>
#include <optional>
#include <utility>

namespace wechatpay::redis {

namespace asio = boost::asio;
using strand_type = asio::strand<asio::any_io_executor>;

namespace {

error redis_error(boost::system::error_code code, std::string what) {
    return error(code, "redis: " + std::move(what));
}

result<reply> copy_reply(const redisReply* r) {
    reply out;
    switch (r->type) {
    case REDIS_REPLY_ERROR:
        return redis_error(make_error_code(boost::system::errc::io_error), std::string(r->str, r->len));
    case REDIS_REPLY_STATUS: out.kind = reply::type::status; out.str.assign(r->str, r->len); break;
    case REDIS_REPLY_STRING: out.kind = reply::type::string; out.str.assign(r->str, r->len); break;
    case REDIS_REPLY_INTEGER: out.kind = reply::type::integer; out.integer = r->integer; break;
    case REDIS_REPLY_ARRAY:
        out.kind = reply::type::array;
        for (std::size_t i = 0; i < r->elements; ++i) {
            auto element = copy_reply(r->element[i]);
            if (!element) return element.error();
            out.elements.push_back(std::move(*element));
        }
        break;
    default: break;  // nil
    }
    return out;
}

// hiredis's event hooks on Asio: it asks to watch its socket for reading or writing, and is
// told when it may. The descriptor only watches: hiredis owns the socket and closes it.
struct watcher : std::enable_shared_from_this<watcher> {
    watcher(const strand_type& strand, redisAsyncContext* c) : ctx(c), fd(strand, c->c.fd) {}
    redisAsyncContext* ctx;  // null once hiredis let go of it (cleanup)
    asio::posix::stream_descriptor fd;
    bool want[2] = {false, false};     // read, write
    bool waiting[2] = {false, false};  // an async_wait is outstanding

    void arm(int dir) {
        if (!ctx || !want[dir] || waiting[dir]) return;
        waiting[dir] = true;
        const auto kind = dir == 0 ? asio::posix::descriptor_base::wait_read : asio::posix::descriptor_base::wait_write;
        fd.async_wait(kind, [self = shared_from_this(), dir](boost::system::error_code ec) {
            self->waiting[dir] = false;
            if (ec || !self->ctx || !self->want[dir]) return;
            if (dir == 0) redisAsyncHandleRead(self->ctx);
            else redisAsyncHandleWrite(self->ctx);
            self->arm(dir);  // hiredis may have let go meanwhile: arm checks
        });
    }
    static watcher& of(void* privdata) { return **static_cast<std::shared_ptr<watcher>*>(privdata); }
    static void add_read(void* p) { of(p).want[0] = true; of(p).arm(0); }
    static void del_read(void* p) { of(p).want[0] = false; }
    static void add_write(void* p) { of(p).want[1] = true; of(p).arm(1); }
    static void del_write(void* p) { of(p).want[1] = false; }
    static void cleanup(void* p) {
        auto* holder = static_cast<std::shared_ptr<watcher>*>(p);
        watcher& w = **holder;
        w.ctx = nullptr;
        boost::system::error_code ignored;
        w.fd.cancel(ignored);
        w.fd.release();  // hiredis closes the socket itself
        delete holder;   // outstanding waits keep the watcher until they complete
    }
};

}  // namespace

struct connection::impl : std::enable_shared_from_this<impl> {
    impl(asio::any_io_executor ex, options o) : strand(asio::make_strand(ex)), opts(std::move(o)), connect_timer(strand) {}
    // Reached with a context only when the executor stopped before ~connection's close ran (its
    // io_context is being destroyed): free the context, its socket and the waiting commands.
    // Nothing would run their handlers any more, so they are destroyed, not called.
    ~impl() {
        if (!ctx) return;
        dying = true;
        redisAsyncFree(std::exchange(ctx, nullptr));
    }

    strand_type strand;
    const options opts;
    redisAsyncContext* ctx = nullptr;  // on the strand only
    std::uint64_t generation = 0;      // of ctx, one per open(): a stale timer cannot mistake a new ctx for its own
    std::optional<error> closing;      // why drop() frees ctx: what the commands waiting on it complete with
    bool closed = false;               // the connection object is gone: open nothing new
    bool dying = false;                // in ~impl
    asio::steady_timer connect_timer;
    std::atomic<std::uint64_t> connects{0};

    // What keeps the asker's executor busy (its io_context's run() from returning) until its
    // handler ran: the handler's associated executor, tracked.
    using work_type = asio::any_completion_executor;

    // A command on its way: the one the reply callback or the timeout completes, whichever first.
    // It does not own the impl: hiredis owns the command (until its callback), the impl owns hiredis.
    struct command {
        std::weak_ptr<impl> owner;
        strand_type strand;
        handler_type handler;
        work_type work;
        asio::steady_timer timer;
        std::uint64_t generation = 0;  // of the connection it was sent on
        command(const std::shared_ptr<impl>& o, handler_type h, work_type w)
            : owner(o), strand(o->strand), handler(std::move(h)), work(std::move(w)), timer(strand) {}
        void finish(result<reply> r) {
            if (!handler) return;
            timer.cancel();
            // Through the strand to the handler's own executor: never inside hiredis, never inline.
            // The tracked executor goes with the handler: its io_context stays busy until it ran.
            asio::post(strand, asio::bind_executor(std::exchange(work, {}),
                                                   [h = std::move(handler), r = std::move(r)]() mutable {
                                                       std::move(h)(std::move(r));
                                                   }));
            handler = {};
        }
    };

    std::string address() const { return opts.host + ":" + std::to_string(opts.port); }

    static void on_reply(redisAsyncContext* c, void* r, void* privdata) {
        auto* holder = static_cast<std::shared_ptr<command>*>(privdata);
        const auto* self = static_cast<const impl*>(c->data);
        command& cmd = **holder;
        if (!self->dying) {  // dying: the handler is destroyed with the command (see ~impl)
            if (r) cmd.finish(copy_reply(static_cast<redisReply*>(r)));
            else if (self->closing) cmd.finish(*self->closing);
            else cmd.finish(redis_error(make_error_code(asio::error::connection_aborted),
                                        c->err ? std::string("connection lost: ") + c->errstr : "connection closed"));
        }
        delete holder;
    }
    static void on_connect(const redisAsyncContext* c, int status) {
        auto* self = static_cast<impl*>(c->data);
        if (status != REDIS_OK) {
            if (self->ctx == c) self->ctx = nullptr;  // hiredis frees it after this call
            return;
        }
        if (self->ctx == c) self->connect_timer.cancel();
    }
    static void on_disconnect(const redisAsyncContext* c, int) {
        auto* self = static_cast<impl*>(c->data);
        if (self->ctx == c) self->ctx = nullptr;  // hiredis frees it after this call
    }

    // Closes the connection: every command waiting on it completes with `why`.
    void drop(error why) {
        if (!ctx) return;
        redisAsyncContext* c = std::exchange(ctx, nullptr);
        connect_timer.cancel();
        closing = std::move(why);
        redisAsyncFree(c);
        closing.reset();
    }
    // The context of `gen` while it is still the current one.
    redisAsyncContext* current(std::uint64_t gen) const { return gen == generation ? ctx : nullptr; }
    static bool connected(const redisAsyncContext* c) { return (c->c.flags & REDIS_CONNECTED) != 0; }

    result<void> open() {
        if (ctx) return {};
        redisAsyncContext* c = redisAsyncConnect(opts.host.c_str(), opts.port);
        if (!c) return redis_error(make_error_code(boost::system::errc::not_enough_memory), "cannot allocate a context");
        if (c->err) {
            error e = redis_error(make_error_code(asio::error::connection_refused),
                                  "cannot connect to " + address() + ": " + c->errstr);
            redisAsyncFree(c);
            return e;
        }
        auto* holder = new std::shared_ptr<watcher>(std::make_shared<watcher>(strand, c));
        c->ev.data = holder;
        c->ev.addRead = watcher::add_read;
        c->ev.delRead = watcher::del_read;
        c->ev.addWrite = watcher::add_write;
        c->ev.delWrite = watcher::del_write;
        c->ev.cleanup = watcher::cleanup;
        c->data = this;
        redisAsyncSetConnectCallback(c, on_connect);
        redisAsyncSetDisconnectCallback(c, on_disconnect);
        ctx = c;
        const auto gen = ++generation;
        ++connects;
        connect_timer.expires_after(opts.connect_timeout);
        connect_timer.async_wait([weak = weak_from_this(), gen](boost::system::error_code ec) {
            const auto self = weak.lock();
            if (ec || !self) return;
            if (auto* current = self->current(gen); current && !connected(current))
                self->drop(redis_error(make_error_code(asio::error::timed_out),
                                       "connecting to " + self->address() + " timed out after " +
                                           std::to_string(self->opts.connect_timeout.count()) + " ms"));
        });
        if (!opts.password.empty()) {  // first in the pipeline; a refusal fails the commands after it
            const char* argv[] = {"AUTH", opts.password.c_str()};
            const std::size_t lens[] = {4, opts.password.size()};
            redisAsyncCommandArgv(c, nullptr, nullptr, 2, argv, lens);
        }
        return {};
    }

    void start(std::vector<std::string> args, handler_type handler, work_type work) {
        auto cmd = std::make_shared<command>(shared_from_this(), std::move(handler), std::move(work));
        if (closed) return cmd->finish(redis_error(make_error_code(asio::error::operation_aborted), "connection closed"));
        if (auto opened = open(); !opened) return cmd->finish(opened.error());
        std::vector<const char*> argv;
        std::vector<std::size_t> lens;
        for (const auto& a : args) {
            argv.push_back(a.data());
            lens.push_back(a.size());
        }
        auto* holder = new std::shared_ptr<command>(cmd);
        if (redisAsyncCommandArgv(ctx, on_reply, holder, static_cast<int>(argv.size()), argv.data(), lens.data()) !=
            REDIS_OK) {
            delete holder;
            return cmd->finish(redis_error(make_error_code(asio::error::not_connected), "the connection is closing"));
        }
        cmd->generation = generation;
        cmd->timer.expires_after(opts.command_timeout);
        cmd->timer.async_wait([cmd](boost::system::error_code ec) {
            if (ec || !cmd->handler) return;
            const auto owner = cmd->owner.lock();
            auto* sent_on = owner ? owner->current(cmd->generation) : nullptr;
            const bool connecting = sent_on && !connected(sent_on);
            cmd->finish(redis_error(make_error_code(asio::error::timed_out),
                                    connecting ? "no answer in time: still connecting to " + owner->address()
                                               : std::string("no answer in time")));
            if (sent_on)  // its answer may still come: it would be taken for the next command's
                owner->drop(redis_error(make_error_code(asio::error::connection_aborted),
                                        "connection closed: an earlier command got no answer in time"));
        });
    }
};

connection::connection(asio::any_io_executor ex, options opts)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(opts))) {}

connection::~connection() {
    asio::post(impl_->strand, [self = impl_] {
        self->closed = true;
        self->drop(redis_error(make_error_code(asio::error::operation_aborted), "connection closed"));
    });
}

void connection::exec(std::vector<std::string> args, handler_type handler) {
    // Taken here, before the strand: the asker may call run() as soon as this returns.
    auto work = asio::prefer(asio::get_associated_executor(handler, impl_->strand),
                             asio::execution::outstanding_work.tracked);
    asio::post(impl_->strand, [self = impl_, a = std::move(args), h = std::move(handler), w = std::move(work)]() mutable {
        self->start(std::move(a), std::move(h), std::move(w));
    });
}

asio::any_io_executor connection::get_executor() const { return impl_->strand; }

std::uint64_t connection::connects() const { return impl_->connects.load(); }

}  // namespace wechatpay::redis
