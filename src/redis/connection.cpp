#include <wechatpay/redis/connection.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <atomic>

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

    strand_type strand;
    const options opts;
    redisAsyncContext* ctx = nullptr;  // on the strand only
    bool closed = false;               // the connection object is gone: open nothing new
    asio::steady_timer connect_timer;
    std::atomic<std::uint64_t> connects{0};

    // A command on its way: the one the reply callback or the timeout completes, whichever first.
    struct command {
        std::shared_ptr<impl> owner;
        handler_type handler;
        asio::steady_timer timer;
        redisAsyncContext* sent_on = nullptr;
        command(std::shared_ptr<impl> o, handler_type h)
            : owner(std::move(o)), handler(std::move(h)), timer(owner->strand) {}
        void finish(result<reply> r) {
            if (!handler) return;
            timer.cancel();
            // Through the strand to the handler's own executor: never inside hiredis, never inline.
            auto ex = asio::get_associated_executor(handler, owner->strand);
            asio::post(owner->strand, asio::bind_executor(ex, [h = std::move(handler), r = std::move(r)]() mutable {
                           std::move(h)(std::move(r));
                       }));
            handler = {};
        }
    };

    static void on_reply(redisAsyncContext* c, void* r, void* privdata) {
        auto* holder = static_cast<std::shared_ptr<command>*>(privdata);
        command& cmd = **holder;
        if (r) cmd.finish(copy_reply(static_cast<redisReply*>(r)));
        else cmd.finish(redis_error(make_error_code(asio::error::connection_aborted),
                                    c && c->err ? std::string("connection lost: ") + c->errstr : "connection closed"));
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

    // Closes the connection: every command waiting on it completes with an error.
    void drop() {
        if (!ctx) return;
        redisAsyncContext* c = std::exchange(ctx, nullptr);
        connect_timer.cancel();
        redisAsyncFree(c);
    }

    result<void> open() {
        if (ctx) return {};
        redisAsyncContext* c = redisAsyncConnect(opts.host.c_str(), opts.port);
        if (!c) return redis_error(make_error_code(boost::system::errc::not_enough_memory), "cannot allocate a context");
        if (c->err) {
            error e = redis_error(make_error_code(asio::error::connection_refused),
                                  "cannot connect to " + opts.host + ":" + std::to_string(opts.port) + ": " + c->errstr);
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
        ++connects;
        connect_timer.expires_after(opts.connect_timeout);
        connect_timer.async_wait([self = shared_from_this(), c](boost::system::error_code ec) {
            if (!ec && self->ctx == c && !(c->c.flags & REDIS_CONNECTED)) self->drop();
        });
        if (!opts.password.empty()) {  // first in the pipeline; a refusal fails the commands after it
            const char* argv[] = {"AUTH", opts.password.c_str()};
            const std::size_t lens[] = {4, opts.password.size()};
            redisAsyncCommandArgv(c, nullptr, nullptr, 2, argv, lens);
        }
        return {};
    }

    void start(std::vector<std::string> args, handler_type handler) {
        auto cmd = std::make_shared<command>(shared_from_this(), std::move(handler));
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
        cmd->sent_on = ctx;
        cmd->timer.expires_after(opts.command_timeout);
        cmd->timer.async_wait([cmd](boost::system::error_code ec) {
            if (ec || !cmd->handler) return;
            cmd->finish(redis_error(make_error_code(asio::error::timed_out), "no answer in time"));
            if (cmd->owner->ctx == cmd->sent_on) cmd->owner->drop();  // its answer may still come
        });
    }
};

connection::connection(asio::any_io_executor ex, options opts)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(opts))) {}

connection::~connection() {
    asio::post(impl_->strand, [self = impl_] {
        self->closed = true;
        self->drop();
    });
}

void connection::exec(std::vector<std::string> args, handler_type handler) {
    asio::post(impl_->strand, [self = impl_, a = std::move(args), h = std::move(handler)]() mutable {
        self->start(std::move(a), std::move(h));
    });
}

asio::any_io_executor connection::get_executor() const { return impl_->strand; }

std::uint64_t connection::connects() const { return impl_->connects.load(); }

}  // namespace wechatpay::redis
