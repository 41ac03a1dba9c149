// The client's merchant transfer operations (transfers.hpp): each checks its arguments before any
// I/O, sends through impl::send, and maps the answer. user_name is encrypted once per call, so
// that every retry of the call sends the same bytes (WeChat: never change the request of an
// out_bill_no; docs/merchant/apis/mch-trans/transfer-bill/transfer-to-user.html).
#include "api/client_impl.hpp"

#include "core/files.hpp"

#include <wechatpay/crypto.hpp>

#include <boost/beast/core/string.hpp>

namespace wechatpay {

using verb = net::http::verb;

namespace {

constexpr std::string_view bills_path = "/v3/fund-app/mch-transfer/transfer-bills";
constexpr std::string_view receipts_path = "/v3/fund-app/mch-transfer/elecsign";
// A receipt is a small PDF; anything far larger is not one.
constexpr std::uint64_t max_receipt_bytes = std::uint64_t{16} << 20;

std::string bill_target(std::string_view kind, std::string_view no, std::string_view suffix = {}) {
    std::string t(bills_path);
    t += '/';
    t += kind;
    t += '/';
    t += encode_path_segment(no);
    t.append(suffix);
    return t;
}

}  // namespace

client::op_result<transfer_bill> client::create_transfer_op(impl_ptr self, transfer_bill_request req) {
    if (req.appid.empty()) req.appid = self->cfg.appid;
    if (auto ok = req.validate(); !ok) {
        secure_wipe(req.user_name);
        co_return ok.error();
    }
    encrypted_field name;
    if (!req.user_name.empty()) {
        auto sealed = self->current_keys().encrypt_field(req.user_name);
        secure_wipe(req.user_name);
        if (!sealed) co_return sealed.error();
        name = std::move(*sealed);
    }
    call c = post(std::string(bills_path), req.to_json(name.ciphertext));
    c.serial = name.serial;  // the key that sealed user_name, even if a refresh replaces it meanwhile
    // Retried as it is: the same out_bill_no and body, which WeChat answers with the same bill.
    c.retry_safe = true;
    WECHATPAY_SEND_OK(res, std::move(c));
    WECHATPAY_TRY(bill, with_request_id(parse_transfer_bill(res->body()), *res));
    if (!bill->package_info.empty())
        bill->confirm = transfer_confirm_params{self->cfg.mchid, req.appid, bill->package_info};
    co_return std::move(*bill);
}

client::op_result<transfer_bill> client::query_transfer_op(impl_ptr self, std::string no, bool by_transfer_bill_no) {
    if (auto ok = by_transfer_bill_no ? check_transfer_bill_no(no) : check_out_bill_no(no); !ok) co_return ok.error();
    WECHATPAY_SEND_OK(res, get(bill_target(by_transfer_bill_no ? "transfer-bill-no" : "out-bill-no", no)));
    co_return with_request_id(parse_transfer_bill(res->body()), *res);
}

client::op_result<transfer_bill> client::cancel_transfer_op(impl_ptr self, std::string out_bill_no) {
    if (auto ok = check_out_bill_no(out_bill_no); !ok) co_return ok.error();
    // Cancelling twice asks for the same thing: safe to resend.
    WECHATPAY_SEND_OK(res, post(bill_target("out-bill-no", out_bill_no, "/cancel"), std::string()));
    co_return with_request_id(parse_transfer_bill(res->body()), *res);
}

client::op_result<transfer_receipt> client::transfer_receipt_op(impl_ptr self, std::string no, std::string how) {
    const bool by_transfer_bill_no = how == "transfer-bill-no";
    if (auto ok = by_transfer_bill_no ? check_transfer_bill_no(no) : check_out_bill_no(no); !ok) co_return ok.error();
    std::string target(receipts_path);
    if (how == "apply") {
        // docs/merchant/apis/mch-trans/elecsign/accept-elecsign-by-out-no.html: {"out_bill_no"}.
        WECHATPAY_SEND_OK(res, post(target + "/out-bill-no", "{\"out_bill_no\":\"" + no + "\"}"));  // checked: 0-9A-Za-z
        co_return with_request_id(parse_transfer_receipt(res->body()), *res);
    }
    target += '/';
    target += how;
    target += '/';
    target += encode_path_segment(no);
    WECHATPAY_SEND_OK(res, get(std::move(target)));
    co_return with_request_id(parse_transfer_receipt(res->body()), *res);
}

client::op_result<receipt_download> client::download_receipt_op(impl_ptr self, transfer_receipt receipt,
                                                                std::filesystem::path file) {
    if (receipt.state != "FINISHED" || receipt.download_url.empty())
        co_return error(errc::invalid_argument, "receipt: not FINISHED (no download_url yet)");
    if (!boost::beast::iequals(receipt.hash_type, "SHA256"))
        co_return error(errc::unsupported_algorithm, "hash_type " + excerpt(receipt.hash_type, 16));
    WECHATPAY_TRY(target, wechatpay_host_target(self->cfg, receipt.download_url));
    std::string bytes;
    const net::body_sink sink = [&bytes](std::string_view piece) -> result<void> {
        if (bytes.size() + piece.size() > max_receipt_bytes)
            return error(errc::body_too_large, "receipt larger than 16 MiB");
        bytes += piece;
        return {};
    };
    call c = get(std::move(*target));
    c.body_limit = max_receipt_bytes;
    c.sink = &sink;
    WECHATPAY_SEND_OK(res, std::move(c));
    receipt_download got{bytes.size(), sha256_hex(bytes), std::string((*res)["Request-ID"])};
    // "务必对比下载的回单文件的摘要值与查询接口返回的摘要值的一致性" (query-elecsign-by-no.html).
    if (!boost::beast::iequals(got.sha256, receipt.hash_value)) {
        error e(errc::hash_mismatch, "receipt: SHA256 of the file differs from hash_value");
        e.request_id = got.request_id;
        co_return e;
    }
    WECHATPAY_TRY(out, partial_file::create(file));
    if (auto w = out->write(bytes); !w) co_return w.error();
    if (auto kept = out->commit(); !kept) co_return kept.error();
    co_return got;
}

}  // namespace wechatpay
