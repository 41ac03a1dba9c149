// The client's operations: each builds its request, calls impl::send_ok, and maps the answer.
#include "api/client_impl.hpp"

#include <wechatpay/crypto.hpp>

#include "core/bill_check.hpp"
#include "core/callback_error.hpp"
#include "core/files.hpp"
#include "core/gcm_stream.hpp"
#include "core/json_reader.hpp"
#include "core/multipart.hpp"
#include "core/url.hpp"
#include "http/trust.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/json.hpp>

#include <cctype>
#include <limits>


namespace wechatpay {

namespace json = boost::json;
using asio::awaitable;
using verb = net::http::verb;

namespace {

verifier initial_keys(const client_config& cfg) {
    return verifier(cfg.wechatpay_certificates, cfg.wechatpay_public_key);
}

// Everything a client needs checked before it is built: the config, the CA file, the signer.
result<signer> checked_signer(const client_config& cfg) {
    if (auto ok = cfg.validate(); !ok) return ok.error();
    if (!cfg.endpoint.ca_file.empty() && !std::filesystem::is_regular_file(cfg.endpoint.ca_file))
        return error(errc::file_unreadable, "endpoint.ca_file: " + excerpt(cfg.endpoint.ca_file.string(), 256) +
                                                " is not a regular file");
    if (cfg.merchant_certificate) return signer::create(cfg.mchid, *cfg.merchant_key, *cfg.merchant_certificate);
    return signer::create(cfg.mchid, *cfg.merchant_key, cfg.merchant_serial);
}

// One string field of a JSON answer (prepay_id, code_url, h5_url, media_id), read like every
// other answer (detail::json_reader).
struct named_field {
    std::string_view name;
    std::string value;
};
void read(const detail::json_reader& r, named_field& f) { r(f.name, f.value); }

result<std::string> field_of(const net::response& res, std::string_view name) {
    auto f = detail::read_json_object(res.body(), named_field{name, {}});
    if (!f || f->value.empty()) {
        error e(errc::malformed_json, "answer has no " + std::string(name));
        e.request_id = std::string(res["Request-ID"]);
        return e;
    }
    return std::move(f->value);
}

}  // namespace

result<std::string> answer_field(const net::response& res, std::string_view name) { return field_of(res, name); }

client::impl::impl(asio::any_io_executor executor, client_config config, signer s)
    : ex(executor), cfg(std::move(config)), merchant(std::move(s)), keys(initial_keys(cfg)),
      refresh_strand(asio::make_strand(executor)) {
    tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    tls.set_verify_mode(asio::ssl::verify_peer);
    boost::system::error_code ec;
    if (cfg.endpoint.ca_file.empty()) {
        tls.set_default_verify_paths(ec);
        if (ec) throw exception(error(errc::invalid_certificate, "the system's CA certificates cannot be loaded"));
    } else if (auto trusted = net::trust_ca_file(tls, cfg.endpoint.ca_file, "endpoint.ca_file"); !trusted) {
        throw exception(trusted.error());  // read bounded: OpenSSL would read any file to its end
    }
    // Client-side session cache, so that new connections can resume (fewer full handshakes).
    SSL_CTX_set_session_cache_mode(tls.native_handle(), SSL_SESS_CACHE_CLIENT);
    primary = std::make_shared<net::session_pool>(
        ex, cfg.pool, tls, net::pool_target{cfg.endpoint.host, cfg.endpoint.port, cfg.timeouts.connect});
    if (!cfg.notification_dedup) cfg.notification_dedup = std::make_shared<memory_dedup>();
    if (!cfg.certificate_source) cfg.certificate_source = std::make_shared<direct_certificates>();
    if (!cfg.rate_limiter && cfg.rate_limits) cfg.rate_limiter = std::make_shared<memory_rate_limiter>(*cfg.rate_limits);
    // api2 backs up api only: a client pointed elsewhere never sends its calls to production.
    const endpoint_config production;
    if (cfg.endpoint.host != production.host && cfg.endpoint.backup_host == production.backup_host)
        cfg.endpoint.backup_host.clear();
    if (!cfg.endpoint.backup_host.empty() && cfg.endpoint.backup_host != cfg.endpoint.host)
        backup = std::make_shared<net::session_pool>(
            ex, cfg.pool, tls, net::pool_target{cfg.endpoint.backup_host, cfg.endpoint.port, cfg.timeouts.connect});
}

result<std::unique_ptr<client>> client::create(asio::any_io_executor ex, client_config cfg) {
    try {
        return std::make_unique<client>(std::move(ex), std::move(cfg));
    } catch (const exception& e) {
        return e.err();
    }
}

client::client(asio::any_io_executor ex, client_config cfg) {
    auto s = checked_signer(cfg).value();
    impl_ = std::make_shared<impl>(std::move(ex), std::move(cfg), std::move(s));
    if (impl_->cfg.downloads_certificates()) impl_->start_refresh_loop();
}

client& client::operator=(client&& other) noexcept {
    if (this != &other) {
        shutdown();
        impl_ = std::move(other.impl_);
    }
    return *this;
}

client::~client() { shutdown(); }

void client::shutdown() {
    if (impl_) impl_->shutdown();
}

client::executor_type client::get_executor() const noexcept { return impl_->ex; }

void client::impl::shutdown() {
    if (stopped.exchange(true)) return;
    stop_refresh_loop();
    primary->shutdown();
    if (backup) backup->shutdown();
}

template <class T>
void client::launch(impl_ptr self, op_result<T> op, completion_handler<T> handler) {
    // The handler's slot reaches the coroutine's cancellation state; its executor delivers
    // the completion (co_spawn dispatches through it).
    auto slot = asio::get_associated_cancellation_slot(handler);
    auto handler_ex = asio::get_associated_executor(handler, self->ex);
    auto complete = [h = std::move(handler)](std::exception_ptr e, result<T> r) mutable {
        if (e) std::rethrow_exception(e);  // a bug (or bad_alloc): let it reach run(), as Asio does
        std::move(h)(std::move(r));
    };
    auto bound = asio::bind_cancellation_slot(slot, asio::bind_executor(handler_ex, std::move(complete)));
    // co_spawn delivers a cancellation to the coroutine through its executor: a strand, so that
    // it never runs beside the coroutine on another io thread. Only cancellable calls pay for it.
    if (slot.is_connected()) asio::co_spawn(net::make_strand(self->ex), std::move(op), std::move(bound));
    else asio::co_spawn(self->ex, std::move(op), std::move(bound));
}

template void client::launch(impl_ptr, op_result<app_prepay>, completion_handler<app_prepay>);
template void client::launch(impl_ptr, op_result<jsapi_prepay>, completion_handler<jsapi_prepay>);
template void client::launch(impl_ptr, op_result<std::string>, completion_handler<std::string>);
template void client::launch(impl_ptr, op_result<transaction>, completion_handler<transaction>);
template void client::launch(impl_ptr, op_result<void>, completion_handler<void>);
template void client::launch(impl_ptr, op_result<wechatpay::refund>, completion_handler<wechatpay::refund>);
template void client::launch(impl_ptr, op_result<bill_info>, completion_handler<bill_info>);
template void client::launch(impl_ptr, op_result<bill_download>, completion_handler<bill_download>);
template void client::launch(impl_ptr, op_result<std::vector<certificate>>,
                             completion_handler<std::vector<certificate>>);
template void client::launch(impl_ptr, op_result<api_response>, completion_handler<api_response>);
template void client::launch(impl_ptr, op_result<complaint_page>, completion_handler<complaint_page>);
template void client::launch(impl_ptr, op_result<std::vector<wechatpay::complaint>>,
                             completion_handler<std::vector<wechatpay::complaint>>);
template void client::launch(impl_ptr, op_result<wechatpay::complaint>, completion_handler<wechatpay::complaint>);
template void client::launch(impl_ptr, op_result<negotiation_page>, completion_handler<negotiation_page>);
template void client::launch(impl_ptr, op_result<complaint_notify_url>, completion_handler<complaint_notify_url>);
template void client::launch(impl_ptr, op_result<image_download>, completion_handler<image_download>);
template void client::launch(impl_ptr, op_result<transfer_bill>, completion_handler<transfer_bill>);
template void client::launch(impl_ptr, op_result<transfer_receipt>, completion_handler<transfer_receipt>);
template void client::launch(impl_ptr, op_result<receipt_download>, completion_handler<receipt_download>);
template void client::launch(impl_ptr, op_result<split_order>, completion_handler<split_order>);
template void client::launch(impl_ptr, op_result<split_return>, completion_handler<split_return>);
template void client::launch(impl_ptr, op_result<unsplit_amount>, completion_handler<unsplit_amount>);
template void client::launch(impl_ptr, op_result<receiver_answer>, completion_handler<receiver_answer>);
template void client::launch(impl_ptr, op_result<combine_transaction>, completion_handler<combine_transaction>);
template void client::launch(impl_ptr, op_result<encrypted_bill_list>, completion_handler<encrypted_bill_list>);
template void client::launch(impl_ptr, op_result<sub_fundflow_bill_download>,
                             completion_handler<sub_fundflow_bill_download>);

// ---- payments ---------------------------------------------------------------------------

namespace {

// Fills the client's defaults and refuses what WeChat would refuse, before any I/O.
result<prepay_request> prepared(prepay_request req, prepay_kind kind, const client_config& cfg) {
    if (req.appid.empty()) req.appid = cfg.appid;
    if (req.mchid.empty()) req.mchid = cfg.mchid;
    if (auto ok = req.validate(kind); !ok) return ok.error();
    return req;
}

}  // namespace

client::op_result<app_prepay> client::prepay_app_op(impl_ptr self, prepay_request req) {
    WECHATPAY_TRY(r, prepared(std::move(req), prepay_kind::app, self->cfg));
    WECHATPAY_SEND_OK(res, post("/v3/pay/transactions/app", r->to_json()));
    WECHATPAY_TRY(id, with_request_id(field_of(*res, "prepay_id"), *res));
    WECHATPAY_TRY(pay, self->merchant.app_payment_for(r->appid, *id));
    co_return app_prepay{*id, std::move(*pay)};
}

client::op_result<jsapi_prepay> client::prepay_jsapi_op(impl_ptr self, prepay_request req) {
    WECHATPAY_TRY(r, prepared(std::move(req), prepay_kind::jsapi, self->cfg));
    WECHATPAY_SEND_OK(res, post("/v3/pay/transactions/jsapi", r->to_json()));
    WECHATPAY_TRY(id, with_request_id(field_of(*res, "prepay_id"), *res));
    WECHATPAY_TRY(pay, self->merchant.jsapi_payment_for(r->appid, *id));
    co_return jsapi_prepay{*id, std::move(*pay)};
}

client::op_result<std::string> client::prepay_native_op(impl_ptr self, prepay_request req) {
    WECHATPAY_TRY(r, prepared(std::move(req), prepay_kind::native, self->cfg));
    WECHATPAY_SEND_OK(res, post("/v3/pay/transactions/native", r->to_json()));
    co_return with_request_id(field_of(*res, "code_url"), *res);
}

client::op_result<std::string> client::prepay_h5_op(impl_ptr self, prepay_request req) {
    WECHATPAY_TRY(r, prepared(std::move(req), prepay_kind::h5, self->cfg));
    WECHATPAY_SEND_OK(res, post("/v3/pay/transactions/h5", r->to_json()));
    co_return with_request_id(field_of(*res, "h5_url"), *res);
}

client::op_result<transaction> client::query_by_out_trade_no_op(impl_ptr self, std::string out_trade_no) {
    if (out_trade_no.empty()) co_return error(errc::invalid_argument, "out_trade_no is required");
    WECHATPAY_SEND_OK(res, get("/v3/pay/transactions/out-trade-no/" +
                                                              encode_path_segment(out_trade_no) +
                                                              "?mchid=" + self->cfg.mchid));
    co_return with_request_id(parse_transaction(res->body()), *res);
}

client::op_result<transaction> client::query_by_transaction_id_op(impl_ptr self, std::string transaction_id) {
    if (transaction_id.empty()) co_return error(errc::invalid_argument, "transaction_id is required");
    WECHATPAY_SEND_OK(res, get("/v3/pay/transactions/id/" +
                                                              encode_path_segment(transaction_id) +
                                                              "?mchid=" + self->cfg.mchid));
    co_return with_request_id(parse_transaction(res->body()), *res);
}

client::op_result<void> client::close_order_op(impl_ptr self, std::string out_trade_no) {
    if (out_trade_no.empty()) co_return error(errc::invalid_argument, "out_trade_no is required");
    const std::string body = json::serialize(json::object{{"mchid", self->cfg.mchid}});
    WECHATPAY_SEND_OK(res, post("/v3/pay/transactions/out-trade-no/" +
                                                               encode_path_segment(out_trade_no) + "/close",
                                               body));
    co_return result<void>{};
}

// ---- refunds ----------------------------------------------------------------------------

client::op_result<wechatpay::refund> client::refund_op(impl_ptr self, refund_request req) {
    if (auto ok = req.validate(); !ok) co_return ok.error();
    WECHATPAY_SEND_OK(res, post("/v3/refund/domestic/refunds", req.to_json()));
    co_return with_request_id(parse_refund(res->body()), *res);
}

client::op_result<wechatpay::refund> client::query_refund_op(impl_ptr self, std::string out_refund_no) {
    if (out_refund_no.empty()) co_return error(errc::invalid_argument, "out_refund_no is required");
    WECHATPAY_SEND_OK(res, get("/v3/refund/domestic/refunds/" +
                                                              encode_path_segment(out_refund_no)));
    co_return with_request_id(parse_refund(res->body()), *res);
}

// ---- bills ------------------------------------------------------------------------------

client::op_result<bill_info> client::trade_bill_op(impl_ptr self, trade_bill_request req) {
    if (auto ok = req.validate(); !ok) co_return ok.error();
    WECHATPAY_SEND_OK(res, get("/v3/bill/tradebill?" + req.query()));
    auto info = with_request_id(parse_bill_info(res->body()), *res);
    if (info) info->gzip = req.gzip;
    co_return info;
}

client::op_result<bill_info> client::fundflow_bill_op(impl_ptr self, fundflow_bill_request req) {
    if (auto ok = req.validate(); !ok) co_return ok.error();
    WECHATPAY_SEND_OK(res, get("/v3/bill/fundflowbill?" + req.query()));
    auto info = with_request_id(parse_bill_info(res->body()), *res);
    if (info) info->gzip = req.gzip;
    co_return info;
}

result<std::string> wechatpay_host_target(const client_config& cfg, std::string_view download_url) {
    const auto url = detail::parse_http_url(download_url);
    if (!url) return error(errc::invalid_argument, "download_url is not an https URL");  // its token stays out of errors
    const auto ours = [&](const std::string& host) { return !host.empty() && boost::beast::iequals(url->host, host); };
    if (!url->https || url->port != cfg.endpoint.port || !(ours(cfg.endpoint.host) || ours(cfg.endpoint.backup_host)))
        return error(errc::invalid_argument, "download_url is not on the configured WeChat Pay host");
    return url->target;
}

namespace {

// The download URL as a request target: only ever sent with our signature to WeChat Pay's own
// hosts (the URL must name one of them, over https, on the configured port), and only as a
// plain path?query.
result<std::string> download_target(const client_config& cfg, const bill_info& bill) {
    auto target = wechatpay_host_target(cfg, bill.download_url);
    if (!target) return target;
    if (!boost::beast::iequals(bill.hash_type, "SHA1")) return error(errc::unsupported_algorithm, "hash_type " + excerpt(bill.hash_type, 16));
    return target;
}

// No limit of its own on a streamed body: its sink decides what is too much.
constexpr std::uint64_t unbounded = std::numeric_limits<std::uint64_t>::max();

// The bill streamed through the check (gunzip, SHA1) into `out`: the one download path.
awaitable<result<bill_download>> stream_bill(std::shared_ptr<client::impl> self, bill_info bill,
                                             detail::chunk_sink out) {
    WECHATPAY_TRY(target, download_target(self->cfg, bill));
    detail::bill_check check(bill, std::move(out));
    const net::body_sink sink = [&check](std::string_view piece) { return check.write(piece); };
    call c = get(std::move(*target));
    // Unbounded only when it streams: an answer that must verify first is read whole.
    if (self->unsigned_download(c.method, c.target)) c.body_limit = unbounded;
    c.sink = &sink;
    WECHATPAY_SEND_OK(res, std::move(c));
    auto done = with_request_id(check.finish(), *res);
    if (done) done->request_id = std::string((*res)["Request-ID"]);
    co_return done;
}

// The caller's sink: an exception from it ends the download as an error it returned would
// (the session, its body unread, is discarded).
detail::chunk_sink guarded(const download_sink& sink) {
    return [&sink](std::string_view piece) -> result<void> {
        try {
            return sink(piece);
        } catch (...) {
            return detail::callback_error(std::current_exception(), "download sink");
        }
    };
}

}  // namespace

client::op_result<bill_download> client::download_bill_to_sink_op(impl_ptr self, bill_info bill, download_sink sink) {
    if (!sink) co_return error(errc::invalid_argument, "download sink is empty");
    detail::chunk_sink out = guarded(sink);
    co_return co_await stream_bill(self, std::move(bill), std::move(out));
}

client::op_result<bill_download> client::download_bill_to_file_op(impl_ptr self, bill_info bill,
                                                                 std::filesystem::path file) {
    WECHATPAY_TRY(out, partial_file::create(file));
    detail::chunk_sink to_file = [&out](std::string_view piece) { return out->write(piece); };
    auto got = co_await stream_bill(self, std::move(bill), std::move(to_file));
    if (!got) co_return got;  // `out` removes what was written
    if (auto kept = out->commit(); !kept) co_return kept.error();
    co_return got;
}

client::op_result<std::string> client::download_bill_op(impl_ptr self, bill_info bill) {
    std::string file;
    detail::chunk_sink to_memory = [&file](std::string_view piece) -> result<void> {
        if (file.size() + piece.size() > max_bill_in_memory)
            return error(errc::body_too_large, "bill larger than 64 MiB: use async_download_bill_to");
        file += piece;
        return {};
    };
    auto got = co_await stream_bill(self, std::move(bill), std::move(to_memory));
    if (!got) co_return got.error();
    co_return file;
}

// ---- encrypted bills (a sub-merchant's fund-flow bill) ------------------------------------

namespace {

// The file's AES key: encrypt_key opened with the merchant private key (WeChat encrypts it to
// the merchant certificate). Errors say which step failed, never what the key is.
result<std::string> bill_key(const client_config& cfg, const encrypted_bill_part& part) {
    if (!cfg.merchant_key) return error(errc::invalid_argument, "encrypted bill: no merchant private key");
    auto key = oaep_decrypt(*cfg.merchant_key, part.encrypt_key);
    if (!key) return error(errc::decrypt_failed, "encrypt_key: not decryptable with the merchant private key");
    if (key->size() != 32) {
        secure_wipe(*key);
        return error(errc::decrypt_failed, "encrypt_key: not a 32-byte AES-256 key");
    }
    return key;
}

// One encrypted file: decrypted as it arrives (detail::gcm_decrypt_stream), then through the
// same check as any bill (gunzip, SHA1) into `out`. At the end the tag is checked first (a
// tampered file is decrypt_failed, unless its garbage already broke the gzip stream), then the
// hash.
awaitable<result<bill_download>> stream_encrypted_bill(std::shared_ptr<client::impl> self,
                                                       const encrypted_bill_part& part, detail::chunk_sink out) {
    const bill_info as_bill{part.hash_type, part.hash_value, part.download_url, part.gzip};
    WECHATPAY_TRY(target, download_target(self->cfg, as_bill));
    detail::bill_check check(as_bill, std::move(out));
    detail::chunk_sink to_check = [&check](std::string_view piece) { return check.write(piece); };
    WECHATPAY_TRY(key, bill_key(self->cfg, part));
    // Empty associated data ("附加数据包(填空)", docs/partner/apis/combine-payment-identity/
    // bill-download/get-sub-mch-fund-flow-bill.html); the nonce's characters are the IV.
    auto gcm = detail::gcm_decrypt_stream::open(*key, part.nonce, "", std::move(to_check));
    secure_wipe(*key);  // OpenSSL's context holds it now, and wipes it when freed
    if (!gcm) co_return gcm.error();
    std::uint64_t received = 0;
    const net::body_sink sink = [&gcm, &received](std::string_view piece) {
        received += piece.size();
        return gcm->write(piece);
    };
    call c = get(std::move(*target));
    if (self->unsigned_download(c.method, c.target)) c.body_limit = unbounded;
    c.sink = &sink;
    WECHATPAY_SEND_OK(res, std::move(c));
    if (auto tag = gcm->finish(); !tag) co_return with_request_id(result<bill_download>(tag.error()), *res);
    auto done = with_request_id(check.finish(), *res);
    if (done) {
        done->received_bytes = received;
        done->request_id = std::string((*res)["Request-ID"]);
    }
    co_return done;
}

// Every file of the list, in order, into `out`.
awaitable<result<sub_fundflow_bill_download>> stream_encrypted_bills(std::shared_ptr<client::impl> self,
                                                                     encrypted_bill_list list, detail::chunk_sink out) {
    sub_fundflow_bill_download all;
    all.request_id = std::move(list.request_id);
    for (const auto& part : list.parts) {
        auto got = co_await stream_encrypted_bill(self, part, out);
        if (!got) co_return got.error();
        all.received_bytes += got->received_bytes;
        all.bill_bytes += got->bill_bytes;
        all.parts.push_back(std::move(*got));
    }
    co_return all;
}

}  // namespace

client::op_result<bill_download> client::download_encrypted_bill_op(impl_ptr self, encrypted_bill_part part,
                                                                   std::filesystem::path file) {
    WECHATPAY_TRY(out, partial_file::create(file));
    detail::chunk_sink to_file = [&out](std::string_view piece) { return out->write(piece); };
    auto got = co_await stream_encrypted_bill(self, part, std::move(to_file));
    if (!got) co_return got;  // `out` removes what was written
    if (auto kept = out->commit(); !kept) co_return kept.error();
    co_return got;
}

client::op_result<sub_fundflow_bill_download> client::partner_fundflow_bill_to_file_op(impl_ptr self,
                                                                                       sub_fundflow_bill_request req,
                                                                                       std::filesystem::path file) {
    auto list = co_await partner_fundflow_bill_op(self, std::move(req));
    if (!list) co_return list.error();
    WECHATPAY_TRY(out, partial_file::create(file));
    detail::chunk_sink to_file = [&out](std::string_view piece) { return out->write(piece); };
    auto got = co_await stream_encrypted_bills(self, std::move(*list), std::move(to_file));
    if (!got) co_return got;  // `out` removes what was written
    if (auto kept = out->commit(); !kept) co_return kept.error();
    co_return got;
}

client::op_result<sub_fundflow_bill_download> client::partner_fundflow_bill_to_sink_op(impl_ptr self,
                                                                                       sub_fundflow_bill_request req,
                                                                                       download_sink sink) {
    if (!sink) co_return error(errc::invalid_argument, "download sink is empty");
    auto list = co_await partner_fundflow_bill_op(self, std::move(req));
    if (!list) co_return list.error();
    detail::chunk_sink out = guarded(sink);
    co_return co_await stream_encrypted_bills(self, std::move(*list), std::move(out));
}

client::op_result<api_response> client::download_to_op(impl_ptr self, std::string target, std::filesystem::path file) {
    if (!is_origin_form(target))
        co_return error(errc::invalid_argument,
                        "target " + excerpt(target) + " is not /path?query (RFC 3986 characters, %XX escapes)");
    WECHATPAY_TRY(out, partial_file::create(file));
    const bool unsigned_answer = self->unsigned_download(verb::get, target);
    const net::body_sink sink = [&out](std::string_view piece) { return out->write(piece); };
    call c = get(std::move(target));
    // A download streams without a limit; an answer to verify is read whole first.
    if (unsigned_answer) c.body_limit = unbounded;
    c.sink = &sink;
    result<net::response> res;
    co_await self->send(c, res);
    if (!res) co_return res.error();
    const unsigned status = res->result_int();
    if (status / 100 == 2)
        if (auto kept = out->commit(); !kept) co_return kept.error();
    co_return api_response{status, std::move(res->body()), std::string((*res)["Request-ID"]), !unsigned_answer};
}

// ---- keys and the rest ------------------------------------------------------------------

client::op_result<std::vector<certificate>> client::certificates_op(impl_ptr self) {
    // A merchant verifying with the WeChat Pay public key alone has no certificates to fetch,
    // and WeChat answers such a merchant's /v3/certificates with an error (404, or 500 for
    // some): nothing is sent.
    if (self->cfg.wechatpay_public_key && self->cfg.wechatpay_certificates.empty()) co_return std::vector<certificate>{};
    co_return co_await self->refresh_certificates(false);
}

namespace {

result<void> check_options(const request_options& o) {
    if (!o.serial.empty() && !valid_key_serial(o.serial))
        return error(errc::invalid_argument, "serial " + excerpt(o.serial) + " is neither a certificate serial nor a PUB_KEY_ID_…");
    for (auto h = o.headers.begin(); h != o.headers.end(); ++h) {
        if (auto ok = check_extra_header(h->first, h->second); !ok) return ok.error();
        if (std::any_of(o.headers.begin(), h, [&](const auto& earlier) { return boost::beast::iequals(earlier.first, h->first); }))
            return error(errc::invalid_argument, "header " + h->first + " is given twice");
    }
    return {};
}

// `signed_kind`: an answer send() verified unless it was an unsigned error answer (a download's
// it never verifies).
api_response response_of(result<net::response>& res, bool signed_kind) {
    const bool verified = signed_kind && !unsigned_error_answer(*res);
    return api_response{res->result_int(), std::move(res->body()), std::string((*res)["Request-ID"]), verified};
}

// The signed, checked multipart call of an upload (the caller checked the target).
result<call> upload_call(std::string target, const upload_file& file) {
    auto mime = checked_media_type(target.substr(0, target.find('?')), file.filename, file.bytes);
    if (!mime) return mime.error();
    auto form = build_upload(file, *mime);
    call c = post(std::move(target), std::move(form.body));
    c.content_type = std::move(form.content_type);
    c.signed_body = std::move(form.meta);
    return c;
}

}  // namespace

client::op_result<api_response> client::request_op(impl_ptr self, std::string method, std::string target,
                                                  std::string body, request_options options) {
    // Refused before any I/O: both go onto the wire and into the signed message as written.
    if (!is_api_method(method))
        co_return error(errc::invalid_argument, "method " + excerpt(method) + " is not GET, POST, PUT, PATCH or DELETE");
    const verb v = net::http::string_to_verb(method);
    if (!is_origin_form(target))
        co_return error(errc::invalid_argument,
                        "target " + excerpt(target) + " is not /path?query (RFC 3986 characters, %XX escapes)");
    if (auto ok = check_options(options); !ok) co_return ok.error();
    const bool download = self->unsigned_download(v, target);
    call c = post(std::move(target), std::move(body));
    c.method = v;
    c.retry_safe = v == verb::get;  // other methods' effects are unknown here
    c.body_limit = 256 * 1024 * 1024;
    c.serial = std::move(options.serial);
    c.headers = std::move(options.headers);
    result<net::response> res;
    co_await self->send(c, res);
    if (!res) co_return res.error();
    co_return response_of(res, !download);
}

client::op_result<api_response> client::upload_op(impl_ptr self, std::string target, upload_file file) {
    if (!is_origin_form(target))
        co_return error(errc::invalid_argument,
                        "target " + excerpt(target) + " is not /path?query (RFC 3986 characters, %XX escapes)");
    auto c = upload_call(std::move(target), file);
    if (!c) co_return c.error();
    result<net::response> res;
    co_await self->send(*c, res);
    if (!res) co_return res.error();
    co_return response_of(res, true);
}

client::op_result<std::string> client::media_upload_op(impl_ptr self, std::string target, upload_file file) {
    auto c = upload_call(std::move(target), file);
    if (!c) co_return c.error();
    c->api_errors = true;
    result<net::response> res;
    co_await self->send(*c, res);
    if (!res) co_return res.error();
    co_return with_request_id(field_of(*res, "media_id"), *res);
}

result<encrypted_field> client::encrypt_field(std::string_view plaintext) const {
    return impl_->current_keys().encrypt_field(plaintext);
}

namespace {

// The client's WeChat Pay keys for its notification handlers: the current ones, and in
// certificate-download mode the on-demand download calls share (at most one a minute).
class client_keys final : public key_source {
public:
    explicit client_keys(std::shared_ptr<client::impl> impl) : impl_(std::move(impl)) {}
    verifier current() const override { return impl_->current_keys(); }
    bool refreshable() const override { return impl_->cfg.downloads_certificates(); }
    void async_refresh(asio::any_completion_handler<void(result<void>)> handler) const override {
        asio::co_spawn(impl_->ex, impl_->fresh_certificates(true),
                       [impl = impl_, h = std::move(handler)](std::exception_ptr e, result<void> r) mutable {
                           if (e) std::rethrow_exception(e);
                           std::move(h)(std::move(r));
                       });
    }

private:
    std::shared_ptr<client::impl> impl_;
};

}  // namespace

notification_handler client::notifications() const {
    if (!impl_->cfg.apiv3) throw exception(error(errc::invalid_argument, "apiv3_key: needed for notifications"));
    return notification_handler(std::make_shared<client_keys>(impl_), *impl_->cfg.apiv3, impl_->cfg.notification_dedup,
                                impl_->cfg.logger, impl_->ex);
}

verifier client::current_verifier() const { return impl_->current_keys(); }
const signer& client::merchant_signer() const { return impl_->merchant; }
const client_config& client::config() const { return impl_->cfg; }

client_stats client::stats() const {
    client_stats s;
    for (const auto* pool : {impl_->primary.get(), impl_->backup.get()}) {
        if (!pool) continue;
        const auto c = pool->counters();
        s.sessions_open += c.open;
        s.sessions_idle += c.idle;
        s.sessions_in_use += c.in_use;
        s.connects += c.connects;
        s.handshakes += c.handshakes;
        s.resumed_handshakes += c.resumed_handshakes;
        s.reuses += c.reuses;
        s.waits += c.waits;
        s.acquire_timeouts += c.acquire_timeouts;
        s.discarded += c.discarded;
    }
    s.calls = impl_->calls;
    s.retries = impl_->retries;
    s.failovers = impl_->failovers;
    s.certificate_refreshes = impl_->refreshes;
    return s;
}

}  // namespace wechatpay
