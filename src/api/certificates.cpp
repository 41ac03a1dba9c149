// WeChat Pay's platform certificates: download, decrypt, check, install; refreshed in the
// background (certificate-download mode) and when an answer names an unknown serial.
#include "api/client_impl.hpp"

#include "core/encrypted_resource.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <charconv>
#include <random>

namespace wechatpay {

using asio::awaitable;
using detail::json_reader;

namespace {

struct certificate_entry {
    std::string serial_no, effective_time, expire_time;
    detail::encrypted_resource encrypt_certificate;
};
struct certificate_list {
    std::vector<certificate_entry> data;
};

void read(const json_reader& r, certificate_entry& e) {
    r("serial_no", e.serial_no);
    r("effective_time", e.effective_time);
    r("expire_time", e.expire_time);
    r("encrypt_certificate", e.encrypt_certificate);
}
void read(const json_reader& r, certificate_list& l) { r("data", l.data); }

// Decrypts every listed certificate; each must carry the serial it is listed under.
result<std::vector<certificate>> open_list(std::string_view body, const apiv3_key& key) {
    auto list = detail::read_json_object<certificate_list>(body);
    if (!list) return list.error();
    std::vector<certificate> out;
    for (const auto& e : list->data) {
        auto pem = detail::open(e.encrypt_certificate, key, "/data/encrypt_certificate");
        if (!pem) return pem.error();
        auto cert = certificate::from_pem(*pem);
        if (!cert) return cert.error();
        if (cert->serial() != e.serial_no)
            return error(errc::invalid_certificate, "listed serial differs from the certificate's");
        out.push_back(std::move(*cert));
    }
    return out;
}

}  // namespace

// A shared answer is checked at its own timestamp (it may be hours old), so that timestamp must
// be sane: not ahead of now, not older than a refresh period, not older than what we have.
result<std::int64_t> shared_answer_time(std::string_view timestamp, std::int64_t now, std::int64_t max_age,
                                        std::int64_t installed) {
    std::int64_t ts = 0;
    const auto [end, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), ts);
    if (ec != std::errc() || end != timestamp.data() + timestamp.size() || timestamp.empty())
        return error(errc::malformed_timestamp, "shared certificate list");
    if (ts > now + signature_window_seconds) return error(errc::stale_timestamp, "shared certificate list from the future");
    if (ts < now - max_age) return error(errc::stale_timestamp, "shared certificate list older than certificate_refresh");
    if (ts < installed) return error(errc::stale_timestamp, "shared certificate list older than the installed one");
    return ts;
}

result<std::vector<certificate>> client::impl::open_answer(const certificates_answer& a) const {
    auto certs = open_list(a.body, *cfg.apiv3);
    if (!certs) {
        error e = certs.error();
        e.request_id = a.headers.request_id;
        return e;
    }
    // Trust the list only if its answer verifies with a certificate in it or one we trust.
    std::vector<certificate> candidates = *certs;
    const verifier current = current_keys();
    for (const auto& trusted : current.certificates()) candidates.push_back(trusted);
    const verifier check = current.with_certificates(candidates);
    result<void> ok;
    if (a.shared) {
        std::int64_t installed = 0;
        {
            std::lock_guard lock(keys_mutex);
            installed = installed_timestamp;
        }
        const auto max_age = std::chrono::duration_cast<std::chrono::seconds>(cfg.certificate_refresh).count();
        auto ts = shared_answer_time(a.headers.timestamp, system_unix_time(), max_age, installed);
        ok = ts ? check.verify_at(a.headers, a.body, *ts) : result<void>(ts.error());
    } else {
        ok = check.verify(a.headers, a.body);
    }
    if (!ok) {
        error e = ok.error();
        e.detail = "certificate list: " + e.detail;
        return e;
    }
    return certs;
}

awaitable<result<certificates_answer>> client::impl::download_certificates(std::shared_ptr<impl> self) {
    // The list's signature is checked below, against the certificates it brings.
    call c = get("/v3/certificates");
    c.verify = false;
    result<net::response> res;
    co_await self->send(c, res);
    if (!res) co_return res.error();
    // Errors are read unchecked: the keys to check them may be what is being downloaded.
    if (res->result_int() != 200) co_return api_error_from(*res, "GET /v3/certificates", false);
    certificates_answer a{signature_headers::from_fields(*res), std::move(res->body()), false};
    if (auto certs = self->open_answer(a); !certs) co_return certs.error();
    co_return a;
}

awaitable<result<certificates_answer>> client::impl::fetch_certificates(std::string replaces) {
    certificate_source::download_function download = [self = shared_from_this()](certificate_source::answer_handler h) {
        const auto completion_ex = asio::get_associated_executor(h, self->ex);
        auto done = [h = std::move(h)](std::exception_ptr e, result<certificates_answer> r) mutable {
            if (e) r = error(errc::callback_exception, "certificate download threw");
            std::move(h)(std::move(r));
        };
        asio::co_spawn(self->ex, download_certificates(self), asio::bind_executor(completion_ex, std::move(done)));
    };
    auto initiate = [source = cfg.certificate_source, &replaces, &download](auto handler) {
        source->async_fetch(std::move(replaces), std::move(download), certificate_source::answer_handler(std::move(handler)));
    };
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(result<certificates_answer>)>(
        initiate, asio::use_awaitable);
}

awaitable<result<std::vector<certificate>>> client::impl::refresh_certificates(bool on_demand) {
    if (!cfg.apiv3) co_return error(errc::invalid_argument, "apiv3_key: needed to decrypt certificates");
    std::string replaces;
    {
        std::lock_guard lock(keys_mutex);
        replaces = installed_signature;
    }
    // A shared answer that fails a check is replaced (another fetch, which downloads unless yet
    // another instance brought a newer one meanwhile): three fetches at most.
    for (int round = 1;; ++round) {
        auto got = co_await fetch_certificates(replaces);
        if (!got) co_return got.error();
        auto certs = open_answer(*got);
        if (certs && got->shared && on_demand) {
            // An unknown serial wants a certificate we lack: an answer without one cannot help.
            const verifier current = current_keys();
            bool brings_new = false;
            for (const auto& c : *certs) brings_new |= !current.knows(c.serial());
            if (!brings_new) certs = error(errc::unknown_serial, "shared certificate list brings no new certificate");
        }
        if (!certs) {
            if (!got->shared || round == 3) co_return certs.error();
            log(log_level::warning, "shared certificate list refused, fetching another: " + certs.error().to_string(),
                got->headers.request_id);
            replaces = got->headers.signature;
            continue;
        }
        {
            std::lock_guard lock(keys_mutex);
            keys = keys.with_certificates(*certs);
            installed_signature = got->headers.signature;
            std::int64_t ts = 0;
            std::from_chars(got->headers.timestamp.data(), got->headers.timestamp.data() + got->headers.timestamp.size(), ts);
            installed_timestamp = std::max(installed_timestamp, ts);
        }
        ++refreshes;
        log(log_level::info,
            std::string(got->shared ? "platform certificates from another instance: " : "platform certificates refreshed: ") +
                std::to_string(certs->size()),
            got->headers.request_id);
        co_return certs;
    }
}

struct client::impl::certificate_download {
    certificate_download(const asio::any_io_executor& ex, bool demand)
        : done(ex, asio::steady_timer::time_point::max()), on_demand(demand) {}
    asio::steady_timer done;  // cancelled when the download ends: wakes every waiter
    std::optional<result<void>> outcome;
    bool on_demand;  // for an unknown serial: refuses a shared list that brings no new certificate
    asio::cancellation_signal stop;  // shutdown(): ends a wait for another instance's download
};

awaitable<result<void>> client::impl::fresh_certificates(bool on_demand) {
    co_return co_await asio::co_spawn(refresh_strand, join_download(shared_from_this(), on_demand),
                                      asio::use_awaitable);
}

// On refresh_strand. The download itself runs detached: a waiter's cancellation ends that
// waiter's wait, not the download the others wait for.
awaitable<result<void>> client::impl::join_download(std::shared_ptr<impl> self, bool on_demand) {
    co_await asio::this_coro::throw_if_cancelled(false);
    if (self->stopped) co_return error(asio::error::shut_down, "certificate download: the client is shut down");
    auto download = self->download_in_flight;
    if (!download) {
        const auto now = std::chrono::steady_clock::now();
        if (on_demand && self->last_on_demand != std::chrono::steady_clock::time_point{}) {
            // After a failed download, try again sooner, and say what went wrong meanwhile.
            const auto& failed = self->last_download_error;
            if (now - self->last_on_demand < (failed ? std::chrono::seconds(5) : std::chrono::seconds(60))) {
                if (failed) co_return *failed;
                co_return error(errc::unknown_serial, "platform certificates were downloaded less than a minute ago");
            }
        }
        if (on_demand) self->last_on_demand = now;
        download = self->download_in_flight = std::make_shared<certificate_download>(self->refresh_strand, on_demand);
        asio::co_spawn(self->refresh_strand, run_download(self, download),
                       asio::bind_cancellation_slot(download->stop.slot(), asio::detached));
    }
    if (!download->outcome) co_await download->done.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!download->outcome && self->stopped)  // woken by shutdown()
        co_return error(asio::error::shut_down, "certificate download: the client is shut down");
    if (!download->outcome) co_return error(asio::error::operation_aborted, "cancelled waiting for certificates");
    co_return *download->outcome;
}

awaitable<void> client::impl::run_download(std::shared_ptr<impl> self, std::shared_ptr<certificate_download> download) {
    // Whatever happens (a user logger may throw), the waiters are woken with an outcome.
    try {
        auto r = co_await self->refresh_certificates(download->on_demand);
        download->outcome = r ? result<void>{} : result<void>(r.error());
    } catch (const std::exception& e) {
        download->outcome = result<void>(error(errc::crypto_failure, std::string("certificate download: ") + e.what()));
    }
    self->last_download_error = download->outcome->has_value() ? std::nullopt : std::optional(download->outcome->error());
    self->download_in_flight.reset();
    download->done.cancel();
}

verifier client::impl::current_keys() const {
    std::lock_guard lock(keys_mutex);
    return keys;
}

void client::impl::start_refresh_loop() {
    asio::co_spawn(refresh_strand, refresh_loop(weak_from_this(), stop_refresh),
                   asio::bind_cancellation_slot(stop_refresh->slot(), asio::detached));
}

void client::impl::stop_refresh_loop() {
    // Also wakes the calls waiting for a download and ends its wait for another instance's (the
    // download itself ends on its own).
    asio::post(refresh_strand, [self = shared_from_this()] {
        self->stop_refresh->emit(asio::cancellation_type::terminal);
        if (self->download_in_flight) {
            self->download_in_flight->done.cancel();
            self->download_in_flight->stop.emit(asio::cancellation_type::terminal);
        }
    });
}

// Downloads at once, then every certificate_refresh (±10% jitter, so a fleet does not refresh
// in step; a minute after a failure, if that is sooner) until ~client emits the stop signal.
// Holds the client only while downloading.
awaitable<void> client::impl::refresh_loop(std::weak_ptr<impl> weak, std::shared_ptr<asio::cancellation_signal>) {
    co_await asio::this_coro::throw_if_cancelled(false);
    std::minstd_rand rng{std::random_device{}()};
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        std::chrono::milliseconds period;
        {
            auto self = weak.lock();
            if (!self) co_return;
            auto r = co_await join_download(self, false);
            if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none)
                co_return;  // ~client stopped us while downloading
            period = std::chrono::duration_cast<std::chrono::milliseconds>(self->cfg.certificate_refresh);
            if (!r) {
                self->log(log_level::warning, "certificate refresh failed: " + r.error().to_string());
                period = std::min<std::chrono::milliseconds>(period, std::chrono::minutes(1));
            }
        }
        const auto jitter = std::uniform_int_distribution<std::int64_t>(-period.count() / 10, period.count() / 10)(rng);
        timer.expires_after(period + std::chrono::milliseconds(jitter));
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;  // stopped by ~client
    }
}

}  // namespace wechatpay
