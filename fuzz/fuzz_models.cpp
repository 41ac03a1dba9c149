// Feeds: JSON text, as WeChat Pay sends it in answers and decrypted notification resources, to
// every model reader: parse_transaction, parse_refund, parse_bill_info, the complaint models
// (complaint, pages, notification URL, COMPLAINT.* resources), the transfer bill and receipt
// readers (answers and MCHTRANSFER.BILL.FINISHED resources), the profit-sharing models (split
// order, return, unsplit amount, receiver, PROFITSHARING.* resources) and the encrypted-resource reader
// (notifications, certificate downloads). Expects: a model or malformed_json, never a
// crash; a parsed transaction or refund keeps the text as `raw`.
#include "fuzz_common.hpp"

#include <wechatpay/complaints.hpp>
#include <wechatpay/models.hpp>
#include <wechatpay/profit_sharing.hpp>
#include <wechatpay/requests.hpp>
#include <wechatpay/transfers.hpp>

#include "core/encrypted_resource.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::as_view(data, size);
    if (auto t = wechatpay::parse_transaction(text)) fuzz::must(t->raw == text, "transaction raw");
    else fuzz::must(t.error().is(wechatpay::errc::malformed_json), "transaction error kind");
    if (auto r = wechatpay::parse_refund(text)) fuzz::must(r->raw == text, "refund raw");
    else fuzz::must(r.error().is(wechatpay::errc::malformed_json), "refund error kind");
    if (auto b = wechatpay::parse_bill_info(text))
        fuzz::must(!b->hash_type.empty() && !b->hash_value.empty() && !b->download_url.empty(), "bill info");
    if (auto c = wechatpay::parse_complaint(text))
        fuzz::must(c->raw == text && !c->complaint_id.empty(), "complaint raw and id");
    else fuzz::must(c.error().is(wechatpay::errc::malformed_json), "complaint error kind");
    if (auto p = wechatpay::parse_complaint_page(text))
        for (const auto& c : p->data) fuzz::must(wechatpay::parse_complaint(c.raw).has_value() || c.complaint_id.empty(), "page item raw");
    (void)wechatpay::parse_negotiation_page(text);
    if (auto u = wechatpay::parse_complaint_notify_url(text)) fuzz::must(!u->url.empty(), "notify url");
    if (auto e = wechatpay::parse_complaint_event(text)) fuzz::must(e->raw == text && !e->complaint_id.empty(), "complaint event");
    if (auto t = wechatpay::parse_transfer_bill(text))
        fuzz::must(t->raw == text && !t->out_bill_no.empty() &&
                       (t->state == wechatpay::parse_transfer_state(t->state_text)),
                   "transfer bill raw, number and state");
    else fuzz::must(t.error().is(wechatpay::errc::malformed_json), "transfer bill error kind");
    if (auto r = wechatpay::parse_transfer_receipt(text)) fuzz::must(!r->state.empty(), "transfer receipt state");
    if (auto o = wechatpay::parse_split_order(text)) fuzz::must(o->raw == text && !o->order_id.empty(), "split order");
    else fuzz::must(o.error().is(wechatpay::errc::malformed_json), "split order error kind");
    if (auto r = wechatpay::parse_split_return(text)) fuzz::must(r->raw == text && !r->out_return_no.empty(), "split return");
    if (auto e = wechatpay::parse_split_event(text)) fuzz::must(e->raw == text && !e->out_order_no.empty(), "split event");
    (void)wechatpay::parse_unsplit_amount(text);
    (void)wechatpay::parse_receiver_answer(text);
    (void)wechatpay::detail::read_json_object<wechatpay::detail::encrypted_resource>(text);
    return 0;
}
