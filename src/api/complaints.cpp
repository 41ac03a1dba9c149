// The client's complaints 2.0 operations (complaints.hpp): each checks its arguments before any
// I/O, sends through impl::send, and maps the answer; payer_phone is decrypted here with the
// merchant key and goes nowhere else (no log line, no error text holds it).
#include "api/client_impl.hpp"

#include "core/bill_check.hpp"
#include "core/files.hpp"

#include <wechatpay/crypto.hpp>

#include <boost/json.hpp>

#include <limits>

namespace wechatpay {

namespace json = boost::json;
using asio::awaitable;
using verb = net::http::verb;

namespace {

constexpr std::string_view complaints_path = "/v3/merchant-service/complaints-v2";
constexpr std::string_view notifications_path = "/v3/merchant-service/complaint-notifications";
constexpr std::string_view images_path = "/v3/merchant-service/images/";

result<void> check_complaint_id(std::string_view id) {
    if (id.empty()) return error(errc::invalid_argument, "complaint_id: required");
    if (id.size() > 64) return error(errc::invalid_argument, "complaint_id: must be ≤ 64 characters");
    return {};
}

std::string complaint_target(std::string_view id, std::string_view suffix = {}) {
    std::string target(complaints_path);
    target += '/';
    target += encode_path_segment(id);
    target.append(suffix);
    return target;
}

// payer_phone arrives as base64 RSA-OAEP ciphertext under the merchant's certificate. The
// error names the field and the complaint, never the text.
result<void> decrypt_phone(const client_config& cfg, complaint& c) {
    if (c.payer_phone.empty()) return {};
    if (!cfg.merchant_key) return error(errc::invalid_argument, "merchant_key: needed to decrypt payer_phone");
    auto plain = oaep_decrypt(*cfg.merchant_key, c.payer_phone);
    if (!plain) {
        error e = plain.error();
        e.detail = "complaint " + c.complaint_id + ": /payer_phone cannot be decrypted with the merchant key";
        return e;
    }
    secure_wipe(c.payer_phone);
    c.payer_phone = std::move(*plain);
    return {};
}

call with_method(call c, verb method) {
    c.method = method;
    c.retry_safe = method == verb::get || method == verb::put || method == verb::delete_;  // idempotent
    return c;
}

}  // namespace

client::op_result<complaint_page> client::list_complaints_op(impl_ptr self, complaint_list_request req) {
    if (auto ok = req.validate(); !ok) co_return ok.error();
    WECHATPAY_SEND_OK(res, get(std::string(complaints_path) + "?" + req.query()));
    WECHATPAY_TRY(page, with_request_id(parse_complaint_page(res->body()), *res));
    for (auto& c : page->data)
        if (auto ok = decrypt_phone(self->cfg, c); !ok) co_return with_request_id(result<complaint_page>(ok.error()), *res);
    co_return std::move(*page);
}

client::op_result<std::vector<wechatpay::complaint>> client::list_all_complaints_op(impl_ptr self,
                                                                                   complaint_list_request req) {
    WECHATPAY_TRY(windows, req.windows());
    std::vector<wechatpay::complaint> all;
    for (auto& page_req : *windows) {
        for (page_req.offset = 0;; page_req.offset += page_req.limit) {
            auto page = co_await list_complaints_op(self, page_req);
            if (!page) co_return page.error();
            const std::size_t got = page->data.size();
            for (auto& c : page->data) all.push_back(std::move(c));
            if (got < static_cast<std::size_t>(page_req.limit)) break;
        }
    }
    co_return all;
}

client::op_result<wechatpay::complaint> client::complaint_op(impl_ptr self, std::string complaint_id) {
    if (auto ok = check_complaint_id(complaint_id); !ok) co_return ok.error();
    WECHATPAY_SEND_OK(res, get(complaint_target(complaint_id)));
    WECHATPAY_TRY(c, with_request_id(parse_complaint(res->body()), *res));
    if (auto ok = decrypt_phone(self->cfg, *c); !ok) co_return with_request_id(result<complaint>(ok.error()), *res);
    co_return std::move(*c);
}

client::op_result<negotiation_page> client::complaint_negotiations_op(impl_ptr self, negotiation_request req) {
    if (auto ok = req.validate(); !ok) co_return ok.error();
    WECHATPAY_SEND_OK(res, get(complaint_target(req.complaint_id, "/negotiation-historys") + "?limit=" +
                               std::to_string(req.limit) + "&offset=" + std::to_string(req.offset)));
    co_return with_request_id(parse_negotiation_page(res->body()), *res);
}

client::op_result<void> client::respond_complaint_op(impl_ptr self, std::string complaint_id,
                                                     complaint_response response) {
    if (auto ok = check_complaint_id(complaint_id); !ok) co_return ok.error();
    if (response.complainted_mchid.empty()) response.complainted_mchid = self->cfg.mchid;
    if (auto ok = response.validate(); !ok) co_return ok.error();
    call c = post(complaint_target(complaint_id, "/response"), response.to_json());
    c.retry_safe = false;  // a second answer would reach the payer twice
    WECHATPAY_SEND_OK(res, std::move(c));
    co_return result<void>{};
}

client::op_result<void> client::complete_complaint_op(impl_ptr self, std::string complaint_id) {
    if (auto ok = check_complaint_id(complaint_id); !ok) co_return ok.error();
    const std::string body = json::serialize(json::object{{"complainted_mchid", self->cfg.mchid}});
    WECHATPAY_SEND_OK(res, post(complaint_target(complaint_id, "/complete"), body));
    co_return result<void>{};
}

client::op_result<void> client::update_refund_progress_op(impl_ptr self, std::string complaint_id,
                                                          refund_progress progress) {
    if (auto ok = check_complaint_id(complaint_id); !ok) co_return ok.error();
    if (auto ok = progress.validate(); !ok) co_return ok.error();
    WECHATPAY_SEND_OK(res, post(complaint_target(complaint_id, "/update-refund-progress"), progress.to_json()));
    co_return result<void>{};
}

client::op_result<complaint_notify_url> client::complaint_notify_url_op(impl_ptr self, std::string method,
                                                                        std::string url) {
    const bool query = method == "GET";
    if (!query)
        if (auto ok = check_complaint_notify_url(url); !ok) co_return ok.error();
    const verb v = query ? verb::get : method == "PUT" ? verb::put : verb::post;
    call c = with_method(post(std::string(notifications_path), query ? std::string() : json::serialize(json::object{{"url", url}})), v);
    WECHATPAY_SEND_OK(res, std::move(c));
    co_return with_request_id(parse_complaint_notify_url(res->body()), *res);
}

client::op_result<void> client::delete_complaint_notify_url_op(impl_ptr self) {
    WECHATPAY_SEND_OK(res, with_method(get(std::string(notifications_path)), verb::delete_));
    co_return result<void>{};
}

namespace {

// The image streamed into `out`: a non-2xx answer is an api_error and writes nothing. Only the
// media_id is taken from a media_url: the request goes to the configured host whatever host
// the URL names.
awaitable<result<image_download>> stream_image(std::shared_ptr<client::impl> self, std::string media_url,
                                               detail::chunk_sink out) {
    WECHATPAY_TRY(id, complaint_media_id(media_url));
    call c = get(std::string(images_path) + encode_path_segment(*id));
    // Streamed when unsigned, yet bounded: far above any image WeChat keeps (uploads are at most
    // 2 MB), so that an answer that never ends cannot fill the disk. An answer that must verify
    // first is read whole under the usual limit.
    constexpr std::uint64_t max_image_bytes = std::uint64_t{32} << 20;
    if (self->unsigned_download(c.method, c.target)) c.body_limit = max_image_bytes;
    std::uint64_t bytes = 0;
    const net::body_sink sink = [&out, &bytes](std::string_view piece) {
        bytes += piece.size();
        return out(piece);
    };
    c.sink = &sink;
    WECHATPAY_SEND_OK(res, std::move(c));
    co_return image_download{bytes, std::string((*res)[net::http::field::content_type]),
                             std::string((*res)["Request-ID"])};
}

}  // namespace

client::op_result<image_download> client::download_image_to_sink_op(impl_ptr self, std::string media_url,
                                                                    download_sink sink) {
    if (!sink) co_return error(errc::invalid_argument, "download sink is empty");
    co_return co_await stream_image(self, std::move(media_url), std::move(sink));
}

client::op_result<image_download> client::download_image_to_file_op(impl_ptr self, std::string media_url,
                                                                    std::filesystem::path file) {
    if (auto id = complaint_media_id(media_url); !id) co_return id.error();  // before any file exists
    WECHATPAY_TRY(out, partial_file::create(file));
    detail::chunk_sink to_file = [&out](std::string_view piece) { return out->write(piece); };
    auto got = co_await stream_image(self, std::move(media_url), std::move(to_file));
    if (!got) co_return got;  // `out` removes what was written
    if (auto kept = out->commit(); !kept) co_return kept.error();
    co_return got;
}

}  // namespace wechatpay
