// WeChat Pay's platform certificates: download, decrypt, check, install; refreshed in the
// background (certificate-download mode) and when an answer names an unknown serial.
#include "api/client_impl.hpp"

#include "core/encrypted_resource.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

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

awaitable<result<std::vector<certificate>>> client::impl::refresh_certificates() {
    if (!cfg.apiv3) co_return error(errc::invalid_argument, "apiv3_key: needed to decrypt certificates");
    // The list's signature is checked below, against the certificates it brings.
    call c = get("/v3/certificates");
    c.verify = false;
    result<net::response> res;
    co_await send(c, res);
    if (!res) co_return res.error();
    const auto headers = signature_headers::from_fields(*res);
    // Errors are read unchecked: the keys to check them may be what is being downloaded.
    if (res->result_int() != 200) co_return api_error_from(*res, "GET /v3/certificates", false);
    auto certs = open_list(res->body(), *cfg.apiv3);
    if (!certs) {
        error e = certs.error();
        e.request_id = std::string((*res)["Request-ID"]);
        co_return e;
    }

    // Trust the list only if its answer verifies with a certificate in it or one we trust.
    std::vector<certificate> candidates = *certs;
    for (const auto& trusted : current_keys().certificates()) candidates.push_back(trusted);
    const verifier check = current_keys().with_certificates(candidates);
    if (auto ok = check.verify(headers, res->body()); !ok) {
        error e = ok.error();
        e.detail = "certificate list: " + e.detail;
        co_return e;
    }
    {
        std::lock_guard lock(keys_mutex);
        keys = keys.with_certificates(*certs);
    }
    ++refreshes;
    log(log_level::info, "platform certificates refreshed: " + std::to_string(certs->size()),
        (*res)["Request-ID"]);
    co_return certs;
}

struct client::impl::certificate_download {
    explicit certificate_download(const asio::any_io_executor& ex)
        : done(ex, asio::steady_timer::time_point::max()) {}
    asio::steady_timer done;  // cancelled when the download ends: wakes every waiter
    std::optional<result<void>> outcome;
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
        download = self->download_in_flight = std::make_shared<certificate_download>(self->refresh_strand);
        asio::co_spawn(self->refresh_strand, run_download(self, download), asio::detached);
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
        auto r = co_await self->refresh_certificates();
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
    // Also wakes the calls waiting for a download (the download itself ends on its own).
    asio::post(refresh_strand, [self = shared_from_this()] {
        self->stop_refresh->emit(asio::cancellation_type::terminal);
        if (self->download_in_flight) self->download_in_flight->done.cancel();
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
