// The client's service-provider (partner) and combine-payment operations (partner.hpp): each
// fills the client's defaults, checks before any I/O, sends through impl::send and maps the
// answer. Requests are signed with the client's (the provider's) key like every other call.
#include "api/client_impl.hpp"

#include <boost/json.hpp>

namespace wechatpay {

namespace json = boost::json;

namespace {

// The sub-merchant a call names, or the config's default; refused before I/O when neither.
result<std::string> sub_merchant_of(std::string sub_mchid, const client_config& cfg) {
    if (sub_mchid.empty()) sub_mchid = cfg.sub_mchid;
    if (sub_mchid.empty()) return error(errc::invalid_argument, "sub_mchid: required (no default in the config)");
    if (sub_mchid.size() > 32) return error(errc::invalid_argument, "sub_mchid: must be ≤ 32 characters");
    return sub_mchid;
}

result<partner_prepay_request> prepared(partner_prepay_request req, prepay_kind kind, const client_config& cfg) {
    if (req.order.appid.empty()) req.order.appid = cfg.appid;
    if (req.order.mchid.empty()) req.order.mchid = cfg.mchid;
    if (req.sub_mchid.empty()) {
        req.sub_mchid = cfg.sub_mchid;
        if (req.sub_appid.empty()) req.sub_appid = cfg.sub_appid;  // the default sub-merchant's app
    }
    if (auto ok = req.validate(kind); !ok) return ok.error();
    return req;
}

std::string partner_target(std::string_view kind) { return "/v3/pay/partner/transactions/" + std::string(kind); }

result<combine_prepay_request> prepared(combine_prepay_request req, prepay_kind kind, const client_config& cfg) {
    if (req.combine_appid.empty()) req.combine_appid = cfg.appid;
    if (req.combine_mchid.empty()) req.combine_mchid = cfg.mchid;
    for (auto& s : req.sub_orders)
        if (s.mchid.empty()) s.mchid = cfg.mchid;
    if (auto ok = req.validate(kind); !ok) return ok.error();
    return req;
}

std::string combine_target(std::string_view kind) { return "/v3/combine-transactions/" + std::string(kind); }

}  // namespace

// ---- partner ------------------------------------------------------------------------------

client::op_result<jsapi_prepay> client::partner_prepay_jsapi_op(impl_ptr self, partner_prepay_request req) {
    WECHATPAY_TRY(r, prepared(std::move(req), prepay_kind::jsapi, self->cfg));
    WECHATPAY_SEND_OK(res, post(partner_target("jsapi"), r->to_json()));
    WECHATPAY_TRY(id, answer_field(*res, "prepay_id"));
    WECHATPAY_TRY(pay, self->merchant.jsapi_payment_for(r->paying_appid(), *id));
    co_return jsapi_prepay{*id, std::move(*pay)};
}

client::op_result<app_prepay> client::partner_prepay_app_op(impl_ptr self, partner_prepay_request req) {
    WECHATPAY_TRY(r, prepared(std::move(req), prepay_kind::app, self->cfg));
    WECHATPAY_SEND_OK(res, post(partner_target("app"), r->to_json()));
    WECHATPAY_TRY(id, answer_field(*res, "prepay_id"));
    WECHATPAY_TRY(pay, self->merchant.app_payment_for(r->paying_appid(), *id));
    // APP调起支付 (partner): partnerid is the sub-merchant's mchid, the signature the provider's
    // (pay.weixin.qq.com/doc/v2/partner/4011986561); the signed message does not hold it.
    pay->partnerid = r->sub_mchid;
    co_return app_prepay{*id, std::move(*pay)};
}

client::op_result<std::string> client::partner_prepay_url_op(impl_ptr self, partner_prepay_request req,
                                                             prepay_kind kind) {
    WECHATPAY_TRY(r, prepared(std::move(req), kind, self->cfg));
    const bool native = kind == prepay_kind::native;
    WECHATPAY_SEND_OK(res, post(partner_target(native ? "native" : "h5"), r->to_json()));
    co_return answer_field(*res, native ? "code_url" : "h5_url");
}

client::op_result<transaction> client::partner_query_op(impl_ptr self, std::string sub_mchid, std::string id,
                                                        bool by_transaction_id) {
    WECHATPAY_TRY(sub, sub_merchant_of(std::move(sub_mchid), self->cfg));
    if (id.empty())
        co_return error(errc::invalid_argument, by_transaction_id ? "transaction_id is required" : "out_trade_no is required");
    const std::string target = partner_target(by_transaction_id ? "id/" : "out-trade-no/") + encode_path_segment(id) +
                               "?sp_mchid=" + self->cfg.mchid + "&sub_mchid=" + encode_path_segment(*sub);
    WECHATPAY_SEND_OK(res, get(target));
    co_return with_request_id(parse_transaction(res->body()), *res);
}

client::op_result<void> client::partner_close_op(impl_ptr self, std::string sub_mchid, std::string out_trade_no) {
    WECHATPAY_TRY(sub, sub_merchant_of(std::move(sub_mchid), self->cfg));
    if (out_trade_no.empty()) co_return error(errc::invalid_argument, "out_trade_no is required");
    const std::string body = json::serialize(json::object{{"sp_mchid", self->cfg.mchid}, {"sub_mchid", *sub}});
    WECHATPAY_SEND_OK(res, post(partner_target("out-trade-no/") + encode_path_segment(out_trade_no) + "/close", body));
    co_return result<void>{};
}

client::op_result<wechatpay::refund> client::partner_refund_op(impl_ptr self, refund_request req) {
    WECHATPAY_TRY(sub, sub_merchant_of(std::move(req.sub_mchid), self->cfg));
    req.sub_mchid = std::move(*sub);
    if (auto ok = req.validate(); !ok) co_return ok.error();
    WECHATPAY_SEND_OK(res, post("/v3/refund/domestic/refunds", req.to_json()));
    co_return with_request_id(parse_refund(res->body()), *res);
}

client::op_result<wechatpay::refund> client::partner_query_refund_op(impl_ptr self, std::string sub_mchid,
                                                                     std::string out_refund_no) {
    WECHATPAY_TRY(sub, sub_merchant_of(std::move(sub_mchid), self->cfg));
    if (out_refund_no.empty()) co_return error(errc::invalid_argument, "out_refund_no is required");
    WECHATPAY_SEND_OK(res, get("/v3/refund/domestic/refunds/" + encode_path_segment(out_refund_no) +
                               "?sub_mchid=" + encode_path_segment(*sub)));
    co_return with_request_id(parse_refund(res->body()), *res);
}

// sub_mchid: "服务商可通过该参数指定获取某个子商户的账单" (docs/partner/apis/partner-jsapi-payment/get-trade-bill.html).
client::op_result<bill_info> client::partner_trade_bill_op(impl_ptr self, std::string sub_mchid,
                                                           trade_bill_request req) {
    WECHATPAY_TRY(sub, sub_merchant_of(std::move(sub_mchid), self->cfg));
    if (auto ok = req.validate(); !ok) co_return ok.error();
    WECHATPAY_SEND_OK(res, get("/v3/bill/tradebill?" + req.query() + "&sub_mchid=" + encode_path_segment(*sub)));
    auto info = with_request_id(parse_bill_info(res->body()), *res);
    if (info) info->gzip = req.gzip;
    co_return info;
}

// 申请单个子商户资金账单 (partner.hpp): the list of encrypted files; downloads in client.cpp.
client::op_result<encrypted_bill_list> client::partner_fundflow_bill_op(impl_ptr self, sub_fundflow_bill_request req) {
    WECHATPAY_TRY(sub, sub_merchant_of(std::move(req.sub_mchid), self->cfg));
    req.sub_mchid = std::move(*sub);
    if (auto ok = req.validate(); !ok) co_return ok.error();
    WECHATPAY_SEND_OK(res, get("/v3/bill/sub-merchant-fundflowbill?" + req.query()));
    auto list = with_request_id(parse_encrypted_bill_list(res->body()), *res);
    if (!list) co_return list;
    for (auto& part : list->parts) part.gzip = req.gzip;
    list->request_id = std::string((*res)["Request-ID"]);
    co_return list;
}

// ---- combine ------------------------------------------------------------------------------

client::op_result<app_prepay> client::combine_prepay_app_op(impl_ptr self, combine_prepay_request req) {
    WECHATPAY_TRY(r, prepared(std::move(req), prepay_kind::app, self->cfg));
    WECHATPAY_SEND_OK(res, post(combine_target("app"), r->to_json()));
    WECHATPAY_TRY(id, answer_field(*res, "prepay_id"));
    WECHATPAY_TRY(pay, self->merchant.app_payment_for(r->combine_appid, *id));
    co_return app_prepay{*id, std::move(*pay)};
}

client::op_result<jsapi_prepay> client::combine_prepay_jsapi_op(impl_ptr self, combine_prepay_request req) {
    WECHATPAY_TRY(r, prepared(std::move(req), prepay_kind::jsapi, self->cfg));
    WECHATPAY_SEND_OK(res, post(combine_target("jsapi"), r->to_json()));
    WECHATPAY_TRY(id, answer_field(*res, "prepay_id"));
    WECHATPAY_TRY(pay, self->merchant.jsapi_payment_for(r->combine_appid, *id));
    co_return jsapi_prepay{*id, std::move(*pay)};
}

client::op_result<std::string> client::combine_prepay_url_op(impl_ptr self, combine_prepay_request req,
                                                             prepay_kind kind) {
    WECHATPAY_TRY(r, prepared(std::move(req), kind, self->cfg));
    const bool native = kind == prepay_kind::native;
    WECHATPAY_SEND_OK(res, post(combine_target(native ? "native" : "h5"), r->to_json()));
    co_return answer_field(*res, native ? "code_url" : "h5_url");
}

client::op_result<combine_transaction> client::combine_query_op(impl_ptr self, std::string combine_out_trade_no) {
    if (combine_out_trade_no.empty()) co_return error(errc::invalid_argument, "combine_out_trade_no is required");
    WECHATPAY_SEND_OK(res, get(combine_target("out-trade-no/") + encode_path_segment(combine_out_trade_no)));
    co_return with_request_id(parse_combine_transaction(res->body()), *res);
}

client::op_result<void> client::combine_close_op(impl_ptr self, combine_close_request req) {
    if (req.combine_appid.empty()) req.combine_appid = self->cfg.appid;
    for (auto& s : req.sub_orders)
        if (s.mchid.empty()) s.mchid = self->cfg.mchid;
    if (auto ok = req.validate(); !ok) co_return ok.error();
    WECHATPAY_SEND_OK(res, post(combine_target("out-trade-no/") + encode_path_segment(req.combine_out_trade_no) +
                                    "/close",
                                req.to_json()));
    co_return result<void>{};
}

}  // namespace wechatpay
