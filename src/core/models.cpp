#include <wechatpay/models.hpp>

#include "core/json_reader.hpp"

namespace wechatpay {

using detail::json_reader;

void read(const json_reader& r, goods_item& g) {
    r("goods_id", g.goods_id);
    r("goods_remark", g.goods_remark);
    r("quantity", g.quantity);
    r("unit_price", g.unit_price);
    r("discount_amount", g.discount_amount);
    r("refund_amount", g.refund_amount);
    r("refund_quantity", g.refund_quantity);
    r("merchant_goods_id", g.merchant_goods_id);
    r("wechatpay_goods_id", g.wechatpay_goods_id);
    r("goods_name", g.goods_name);
}

void read(const json_reader& r, promotion& p) {
    r("coupon_id", p.coupon_id);
    r("promotion_id", p.coupon_id);
    r("name", p.name);
    r("scope", p.scope);
    r("type", p.type);
    r("amount", p.amount);
    r("stock_id", p.stock_id);
    r("wechatpay_contribute", p.wechatpay_contribute);
    r("merchant_contribute", p.merchant_contribute);
    r("other_contribute", p.other_contribute);
    r("refund_amount", p.refund_amount);
    r("currency", p.currency);
    r("goods_detail", p.goods_detail);
}

void read(const json_reader& r, transaction_amount& a) {
    r("total", a.total);
    r("payer_total", a.payer_total);
    r("currency", a.currency);
    r("payer_currency", a.payer_currency);
}

namespace {
struct payer_view {
    std::string openid, sp_openid, sub_openid;
};
void read(const json_reader& r, payer_view& p) {
    r("openid", p.openid);
    r("sp_openid", p.sp_openid);    // partner orders
    r("sub_openid", p.sub_openid);
}
struct scene_view {
    std::string device_id;
};
void read(const json_reader& r, scene_view& s) { r("device_id", s.device_id); }
}  // namespace

void read(const json_reader& r, transaction& t) {
    r("appid", t.appid);
    r("mchid", t.mchid);
    r("out_trade_no", t.out_trade_no);
    r("transaction_id", t.transaction_id);
    r("trade_type", t.trade_type);
    r("trade_state", t.trade_state);
    r("trade_state_desc", t.trade_state_desc);
    r("bank_type", t.bank_type);
    r("attach", t.attach);
    r("success_time", t.success_time);
    payer_view payer;
    r("payer", payer);
    t.payer_openid = std::move(payer.openid);
    t.sp_openid = std::move(payer.sp_openid);
    t.sub_openid = std::move(payer.sub_openid);
    r("sp_appid", t.sp_appid);
    r("sp_mchid", t.sp_mchid);
    r("sub_appid", t.sub_appid);
    r("sub_mchid", t.sub_mchid);
    r("amount", t.amount);
    scene_view scene;
    r("scene_info", scene);
    t.device_id = std::move(scene.device_id);
    r("promotion_detail", t.promotion_detail);
}

void read(const json_reader& r, combine_amount& a) {
    r("total_amount", a.total_amount);
    r("currency", a.currency);
    r("payer_amount", a.payer_amount);
    r("payer_currency", a.payer_currency);
}

void read(const json_reader& r, combine_sub_order& o) {
    r("mchid", o.mchid);
    r("sub_mchid", o.sub_mchid);
    r("sub_appid", o.sub_appid);
    r("out_trade_no", o.out_trade_no);
    r("transaction_id", o.transaction_id);
    r("trade_type", o.trade_type);
    r("trade_state", o.trade_state);
    r("bank_type", o.bank_type);
    r("attach", o.attach);
    r("success_time", o.success_time);
    r("amount", o.amount);
    r("promotion_detail", o.promotion_detail);
}

void read(const json_reader& r, combine_transaction& t) {
    r("combine_appid", t.combine_appid);
    r("combine_mchid", t.combine_mchid);
    r("combine_out_trade_no", t.combine_out_trade_no);
    payer_view payer;
    r("combine_payer_info", payer);
    t.payer_openid = std::move(payer.openid);
    scene_view scene;
    r("scene_info", scene);
    t.device_id = std::move(scene.device_id);
    r("sub_orders", t.sub_orders);
}

void read(const json_reader& r, refund_amount_from& f) {
    r("account", f.account);
    r("amount", f.amount);
}

void read(const json_reader& r, refund_amount& a) {
    r("total", a.total);
    r("refund", a.refund);
    r("from", a.from);
    r("payer_total", a.payer_total);
    r("payer_refund", a.payer_refund);
    r("settlement_refund", a.settlement_refund);
    r("settlement_total", a.settlement_total);
    r("discount_refund", a.discount_refund);
    r("currency", a.currency);
    r("refund_fee", a.refund_fee);
}

void read(const json_reader& r, refund& f) {
    r("refund_id", f.refund_id);
    r("out_refund_no", f.out_refund_no);
    r("transaction_id", f.transaction_id);
    r("out_trade_no", f.out_trade_no);
    r("channel", f.channel);
    r("user_received_account", f.user_received_account);
    r("success_time", f.success_time);
    r("create_time", f.create_time);
    r("status", f.status);
    r("refund_status", f.refund_status);
    r("funds_account", f.funds_account);
    r("mchid", f.mchid);
    r("amount", f.amount);
    r("promotion_detail", f.promotion_detail);
}

result<transaction> parse_transaction(std::string_view json) {
    auto t = detail::read_json_object<transaction>(json);
    if (t) t->raw = json;
    return t;
}

result<refund> parse_refund(std::string_view json) {
    auto f = detail::read_json_object<refund>(json);
    if (f) f->raw = json;
    return f;
}

result<combine_transaction> parse_combine_transaction(std::string_view json) {
    auto t = detail::read_json_object<combine_transaction>(json);
    if (t) t->raw = json;
    return t;
}

}  // namespace wechatpay
