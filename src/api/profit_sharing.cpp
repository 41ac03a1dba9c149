// The client's profit-sharing operations (profit_sharing.hpp): each checks its arguments before
// any I/O, sends through impl::send, and maps the answer. Receivers' names are encrypted here
// with one snapshot of the WeChat Pay keys, and the request names that key (Wechatpay-Serial),
// as 请求分账 and 添加分账接收方 require; the plaintext goes nowhere else. Every POST here is
// idempotent at WeChat (the same out_order_no / out_return_no / receiver is the same request),
// so the transport's retries may repeat it.
#include "api/client_impl.hpp"

#include <wechatpay/crypto.hpp>

namespace wechatpay {

using asio::awaitable;

namespace {

constexpr std::string_view orders_path = "/v3/profitsharing/orders";
constexpr std::string_view returns_path = "/v3/profitsharing/return-orders";

struct sealed_names {
    std::string serial;
    std::vector<std::string> ciphertexts;  // "" where the name was empty
};

// The names encrypted with the client's preferred WeChat Pay key, all with the same one. In
// certificate-download mode the first call may have no certificate yet: it waits for one.
awaitable<result<sealed_names>> seal(std::shared_ptr<client::impl> self, std::vector<std::string> names) {
    sealed_names out;
    if (std::all_of(names.begin(), names.end(), [](const std::string& n) { return n.empty(); })) {
        out.ciphertexts.resize(names.size());
        co_return out;
    }
    verifier keys = self->current_keys();
    if (keys.preferred_serial().empty() && self->cfg.downloads_certificates()) {
        auto ready = co_await self->fresh_certificates(true);
        if (!ready) co_return ready.error();
        keys = self->current_keys();
    }
    for (auto& n : names) {
        if (n.empty()) {
            out.ciphertexts.emplace_back();
            continue;
        }
        auto sealed = keys.encrypt_field(n);
        secure_wipe(n);
        if (!sealed) co_return error(sealed.error().code, "name: cannot be encrypted with a WeChat Pay key");
        out.serial = sealed->serial;
        out.ciphertexts.push_back(std::move(sealed->ciphertext));
    }
    co_return out;
}

}  // namespace

client::op_result<split_order> client::split_op(impl_ptr self, split_request req) {
    if (req.appid.empty()) req.appid = self->cfg.appid;
    if (auto ok = req.validate(); !ok) co_return ok.error();
    std::vector<std::string> names;
    for (auto& r : req.receivers) names.push_back(std::exchange(r.name, {}));
    WECHATPAY_TRY(sealed, co_await seal(self, std::move(names)));
    call c = post(std::string(orders_path), req.to_json(sealed->ciphertexts));
    c.serial = sealed->serial;
    WECHATPAY_SEND_OK(res, std::move(c));
    co_return with_request_id(parse_split_order(res->body()), *res);
}

client::op_result<split_order> client::query_split_op(impl_ptr self, std::string transaction_id,
                                                      std::string out_order_no) {
    if (transaction_id.empty() || transaction_id.size() > 32)
        co_return error(errc::invalid_argument, "transaction_id: required, at most 32 characters");
    if (!valid_split_number(out_order_no))
        co_return error(errc::invalid_argument, "out_order_no: must be 1-64 characters of [0-9A-Za-z_-|*@]");
    WECHATPAY_SEND_OK(res, get(std::string(orders_path) + "/" + encode_path_segment(out_order_no) +
                               "?transaction_id=" + encode_path_segment(transaction_id)));
    co_return with_request_id(parse_split_order(res->body()), *res);
}

client::op_result<split_order> client::unfreeze_split_op(impl_ptr self, unfreeze_request req) {
    if (auto ok = req.validate(); !ok) co_return ok.error();
    WECHATPAY_SEND_OK(res, post(std::string(orders_path) + "/unfreeze", req.to_json()));
    co_return with_request_id(parse_split_order(res->body()), *res);
}

client::op_result<split_return> client::split_return_op(impl_ptr self, split_return_request req) {
    if (auto ok = req.validate(); !ok) co_return ok.error();
    WECHATPAY_SEND_OK(res, post(std::string(returns_path), req.to_json()));
    co_return with_request_id(parse_split_return(res->body()), *res);
}

client::op_result<split_return> client::query_split_return_op(impl_ptr self, std::string out_order_no,
                                                              std::string out_return_no) {
    if (!valid_split_number(out_order_no) || !valid_split_number(out_return_no))
        co_return error(errc::invalid_argument, "out_order_no, out_return_no: must be 1-64 characters of [0-9A-Za-z_-|*@]");
    WECHATPAY_SEND_OK(res, get(std::string(returns_path) + "/" + encode_path_segment(out_return_no) +
                               "?out_order_no=" + encode_path_segment(out_order_no)));
    co_return with_request_id(parse_split_return(res->body()), *res);
}

client::op_result<unsplit_amount> client::unsplit_amount_op(impl_ptr self, std::string transaction_id) {
    if (transaction_id.empty() || transaction_id.size() > 32)
        co_return error(errc::invalid_argument, "transaction_id: required, at most 32 characters");
    WECHATPAY_SEND_OK(res, get("/v3/profitsharing/transactions/" + encode_path_segment(transaction_id) + "/amounts"));
    co_return with_request_id(parse_unsplit_amount(res->body()), *res);
}

client::op_result<receiver_answer> client::receiver_op(impl_ptr self, receiver_request req, bool add) {
    if (req.appid.empty()) req.appid = self->cfg.appid;
    if (auto ok = req.validate(add); !ok) co_return ok.error();
    std::vector<std::string> names;
    if (add) names.push_back(std::exchange(req.name, {}));
    WECHATPAY_TRY(sealed, co_await seal(self, std::move(names)));
    call c = post(add ? "/v3/profitsharing/receivers/add" : "/v3/profitsharing/receivers/delete",
                  req.to_json(add, add ? std::string_view(sealed->ciphertexts.front()) : std::string_view()));
    c.serial = sealed->serial;
    WECHATPAY_SEND_OK(res, std::move(c));
    co_return with_request_id(parse_receiver_answer(res->body()), *res);
}

client::op_result<bill_info> client::split_bill_op(impl_ptr self, split_bill_request req) {
    if (auto ok = req.validate(); !ok) co_return ok.error();
    WECHATPAY_SEND_OK(res, get("/v3/profitsharing/bills?" + req.query()));
    auto info = with_request_id(parse_bill_info(res->body()), *res);
    if (info) info->gzip = req.gzip;
    co_return info;
}

}  // namespace wechatpay
