// Service-provider (partner) mode and combine payments against the simulator over real TLS:
// the provider prepays, queries, closes, refunds and bills for two bound sub-merchants with one
// client; a sub-merchant (or sub_appid) not bound to it is refused as WeChat refuses it; the
// payment notifications reach the provider, typed with sp_/sub_ fields; a combine order across
// both sub-merchants is paid as a whole, each sub-order with its own transaction_id, and
// refunded per sub-order; what WeChat would refuse is refused before any I/O. (The burst of
// mixed direct and partner calls is in test_client_partner_burst.cpp, with the concurrency tests.)
#include "notify_receiver.hpp"
#include "partner_env.hpp"

#include <wechatpay/crypto.hpp>

#include <atomic>
#include <set>

using namespace wechatpay_test;
using namespace wechatpay_test::partner;
using wechatpay::errc;
// The helpers: partner_env.hpp.

TEST_CASE("partner: prepays of each kind for two sub-merchants, queries by out_trade_no and transaction_id, "
          "payment parameters signed by the provider",
          "[client][partner]") {
    client_env env(with_default_sub());
    auto& c = env.client();

    // JSAPI for the default sub-merchant, the payer named under its own appid: the page's
    // appId is the sub_appid.
    const std::string jsapi_no = trade_no("PJ");
    auto jsapi_req = partner_order("", jsapi_no, 300, wechatpay::prepay_kind::jsapi);
    jsapi_req.order.payer_openid.clear();
    jsapi_req.sub_openid = "oSubOpenid000000000000000001";
    auto jsapi = env.run(c.async_partner_prepay_jsapi(jsapi_req));
    REQUIRE(outcome(jsapi) == "ok");
    CHECK(jsapi->payment.appId == sub(0).appids.at(0));
    CHECK(jsapi->payment.package == "prepay_id=" + jsapi->prepay_id);
    CHECK(signed_by_provider(jsapi->payment.appId + "\n" + jsapi->payment.timeStamp + "\n" + jsapi->payment.nonceStr +
                                 "\n" + jsapi->payment.package + "\n",
                             jsapi->payment.paySign));

    // APP for the second sub-merchant, opened by the provider's app: appid the sp_appid,
    // partnerid the sub-merchant.
    auto app_req = partner_order(sub(1).mchid, trade_no("PA"), 200, wechatpay::prepay_kind::app);
    app_req.payment_appid = sp_appid();
    auto app = env.run(c.async_partner_prepay_app(app_req));
    REQUIRE(outcome(app) == "ok");
    CHECK(app->payment.appid == sp_appid());
    CHECK(app->payment.partnerid == sub(1).mchid);
    CHECK(signed_by_provider(app->payment.appid + "\n" + app->payment.timestamp + "\n" + app->payment.noncestr + "\n" +
                                 app->prepay_id + "\n",
                             app->payment.sign));

    auto native = env.run(c.async_partner_prepay_native(partner_order(sub(1).mchid, trade_no("PN"))));
    REQUIRE(outcome(native) == "ok");
    CHECK(native->starts_with("weixin://wxpay/bizpayurl?pr="));
    auto h5 = env.run(c.async_partner_prepay_h5(partner_order(sub(0).mchid, trade_no("PH"), 100, wechatpay::prepay_kind::h5)));
    REQUIRE(outcome(h5) == "ok");
    CHECK(h5->starts_with("https://"));
    CHECK(env.sim_requests("/v3/pay/partner/transactions/jsapi") == 1);
    CHECK(env.sim_requests("/v3/pay/partner/transactions/h5") == 1);

    // Unpaid: NOTPAY, typed with the partner fields.
    auto unpaid = env.run(c.async_partner_query_by_out_trade_no("", jsapi_no));
    REQUIRE(outcome(unpaid) == "ok");
    CHECK(unpaid->is_partner());
    CHECK(unpaid->trade_state == "NOTPAY");
    CHECK(unpaid->sp_mchid == sp_mchid());
    CHECK(unpaid->sp_appid == sp_appid());
    CHECK(unpaid->sub_mchid == sub(0).mchid);
    CHECK(unpaid->sub_appid == sub(0).appids.at(0));
    CHECK(unpaid->mchid.empty());
    CHECK(unpaid->transaction_id.empty());

    REQUIRE(outcome(env.sim().pay(sub(0).mchid, jsapi_no)) == "ok");
    auto paid = env.run(c.async_partner_query_by_out_trade_no(sub(0).mchid, jsapi_no));
    REQUIRE(outcome(paid) == "ok");
    CHECK(paid->trade_state == "SUCCESS");
    CHECK(paid->trade_type == "JSAPI");
    CHECK(paid->sub_openid == "oSubOpenid000000000000000001");
    REQUIRE_FALSE(paid->transaction_id.empty());
    auto by_id = env.run(c.async_partner_query_by_transaction_id(sub(0).mchid, paid->transaction_id));
    REQUIRE(outcome(by_id) == "ok");
    CHECK(by_id->out_trade_no == jsapi_no);
    CHECK(by_id->sub_mchid == sub(0).mchid);

    // The other sub-merchant has no such order.
    check_refused(env.run(c.async_partner_query_by_out_trade_no(sub(1).mchid, jsapi_no)), 404, "ORDER_NOT_EXIST");
    check_refused(env.run(c.async_partner_query_by_transaction_id(sub(1).mchid, paid->transaction_id)), 404,
                  "ORDER_NOT_EXIST");
    // Nor does the provider as a direct merchant.
    check_refused(env.run(c.async_query_by_out_trade_no(jsapi_no)), 404, "ORDER_NOT_EXIST");
}

TEST_CASE("partner: a sub-merchant or sub_appid not bound to the provider is refused as WeChat refuses it",
          "[client][partner]") {
    client_env env;
    auto& c = env.client();
    const std::string stranger = "1999999999";
    // 400 INVALID_REQUEST "服务商和子商户没有绑定关系" on every partner call.
    check_refused(env.run(c.async_partner_prepay_native(partner_order(stranger, trade_no("PU")))), 400, "INVALID_REQUEST");
    check_refused(env.run(c.async_partner_query_by_out_trade_no(stranger, trade_no("PU"))), 400, "INVALID_REQUEST");
    check_refused(env.run(c.async_partner_close_order(stranger, trade_no("PU"))), 400, "INVALID_REQUEST");
    wechatpay::refund_request refund;
    refund.sub_mchid = stranger;
    refund.out_trade_no = trade_no("PU");
    refund.out_refund_no = trade_no("RU");
    refund.refund = refund.total = 100;
    check_refused(env.run(c.async_partner_refund(refund)), 400, "INVALID_REQUEST");
    check_refused(env.run(c.async_partner_query_refund(stranger, trade_no("RU"))), 400, "INVALID_REQUEST");
    check_refused(env.run(c.async_partner_trade_bill(stranger, {today_cst(), "ALL", false})), 400, "INVALID_REQUEST");
    CHECK(env.sim_requests("/v3/pay/partner/transactions/native") == 1);

    // A sub_appid of the other sub-merchant: APPID_MCHID_NOT_MATCH.
    auto wrong_app = partner_order(sub(0).mchid, trade_no("PW"));
    wrong_app.sub_appid = sub(1).appids.at(0);
    check_refused(env.run(c.async_partner_prepay_native(wrong_app)), 400, "APPID_MCHID_NOT_MATCH");

    // Refused before any I/O: no sub-merchant named and no default; a sub_openid without its
    // sub_appid; JSAPI without a payer; a payment_appid that is neither appid.
    const auto before = env.sim_requests();
    CHECK(errc_of(env.run(c.async_partner_prepay_native(partner_order("", trade_no("PV"))))) == errc::invalid_argument);
    CHECK(errc_of(env.run(c.async_partner_query_by_out_trade_no("", "PV000001"))) == errc::invalid_argument);
    auto no_app = partner_order(sub(0).mchid, trade_no("PV"), 100, wechatpay::prepay_kind::jsapi);
    no_app.order.payer_openid.clear();
    no_app.sub_openid = "oSub";
    CHECK(errc_of(env.run(c.async_partner_prepay_jsapi(no_app))) == errc::invalid_argument);
    no_app.sub_openid.clear();
    CHECK(errc_of(env.run(c.async_partner_prepay_jsapi(no_app))) == errc::invalid_argument);
    auto bad_pay_app = partner_order(sub(0).mchid, trade_no("PV"), 100, wechatpay::prepay_kind::app);
    bad_pay_app.payment_appid = "wx0000000000000000";
    CHECK(errc_of(env.run(c.async_partner_prepay_app(bad_pay_app))) == errc::invalid_argument);
    auto long_sub = partner_order(std::string(33, '1'), trade_no("PV"));
    CHECK(errc_of(env.run(c.async_partner_prepay_native(long_sub))) == errc::invalid_argument);
    CHECK(env.sim_requests() == before);
}

TEST_CASE("partner: notifications reach the provider typed with sp_ and sub_ fields; close, refund, refund query "
          "and each sub-merchant's own trade bill",
          "[client][partner]") {
    notify_receiver receiver;
    client_env env(with_default_sub());
    auto& c = env.client();
    const std::string a_no = new_partner_order(env, sub(0).mchid, 500, receiver.url());
    const std::string b_no = new_partner_order(env, sub(1).mchid, 700, receiver.url());
    REQUIRE(outcome(env.sim().pay(sub(0).mchid, a_no)) == "ok");
    REQUIRE(outcome(env.sim().pay(sub(1).mchid, b_no)) == "ok");

    const auto deliveries = receiver.wait_for(2);
    REQUIRE(deliveries.size() >= 2);
    const auto handler = c.notifications();  // the provider's keys decrypt them
    std::set<std::string> seen;
    for (const auto& d : deliveries) {
        auto n = handler.parse(d.headers, d.body);
        REQUIRE(outcome(n) == "ok");
        CHECK(n->event_type == "TRANSACTION.SUCCESS");
        REQUIRE(n->is_transaction());
        auto t = n->transaction();
        REQUIRE(outcome(t) == "ok");
        CHECK(t->sp_mchid == sp_mchid());
        CHECK(t->trade_state == "SUCCESS");
        seen.insert(t->sub_mchid + "/" + t->out_trade_no);
    }
    CHECK(seen == std::set<std::string>{sub(0).mchid + "/" + a_no, sub(1).mchid + "/" + b_no});

    // Close an unpaid order; a paid one cannot be closed.
    const std::string open_no = new_partner_order(env, sub(1).mchid);
    REQUIRE(outcome(env.run(c.async_partner_close_order(sub(1).mchid, open_no))) == "ok");
    auto closed = env.run(c.async_partner_query_by_out_trade_no(sub(1).mchid, open_no));
    REQUIRE(outcome(closed) == "ok");
    CHECK(closed->trade_state == "CLOSED");
    check_refused(env.run(c.async_partner_close_order(sub(0).mchid, a_no)), 400, "ORDERPAID");
    check_refused(env.run(c.async_partner_close_order(sub(0).mchid, open_no)), 404, "ORDER_NOT_EXIST");

    // Refund with the default sub-merchant; the refund is found only under it.
    wechatpay::refund_request refund;
    refund.out_trade_no = a_no;
    refund.out_refund_no = trade_no("PR");
    refund.refund = 200;
    refund.total = 500;
    refund.notify_url = receiver.url();
    auto r = env.run(c.async_partner_refund(refund));
    REQUIRE(outcome(r) == "ok");
    CHECK(r->status == "PROCESSING");
    CHECK(r->out_trade_no == a_no);
    check_refused(env.run(c.async_partner_query_refund(sub(1).mchid, refund.out_refund_no)), 404, "RESOURCE_NOT_EXISTS");
    const auto refund_notes = receiver.wait_for(3);
    REQUIRE(refund_notes.size() >= 3);
    auto rn = handler.parse(refund_notes.back().headers, refund_notes.back().body);
    REQUIRE(outcome(rn) == "ok");
    CHECK(rn->event_type == "REFUND.SUCCESS");
    CHECK(rn->resource.find("\"sub_mchid\":\"" + sub(0).mchid + "\"") != std::string::npos);
    auto q = env.run(c.async_partner_query_refund("", refund.out_refund_no));
    REQUIRE(outcome(q) == "ok");
    CHECK(q->status == "SUCCESS");

    // Each sub-merchant's trade bill holds its own orders only.
    for (std::size_t i : {0u, 1u}) {
        auto info = env.run(c.async_partner_trade_bill(sub(i).mchid, {today_cst(), "ALL", false}));
        REQUIRE(outcome(info) == "ok");
        auto bill = env.run(c.async_download_bill(*info));
        REQUIRE(outcome(bill) == "ok");
        CHECK((bill->find(a_no) != std::string::npos) == (i == 0));
        CHECK((bill->find(b_no) != std::string::npos) == (i == 1));
    }
}

TEST_CASE("combine: a combine order across two sub-merchants is paid as a whole, each sub-order with its own "
          "transaction_id, notified once and refunded per sub-order; another is closed",
          "[client][partner][combine]") {
    notify_receiver receiver;
    client_env env;
    auto& c = env.client();
    auto combine = [&](std::int64_t a_total, std::int64_t b_total) {
        wechatpay::combine_prepay_request req;
        req.combine_out_trade_no = trade_no("CB");
        req.notify_url = receiver.url();
        req.payer_openid = "oCombinePayer000000000000001";
        for (auto [i, total] : {std::pair<std::size_t, std::int64_t>{0, a_total}, {1, b_total}}) {
            wechatpay::combine_sub_order_request s;
            s.sub_mchid = sub(i).mchid;
            s.out_trade_no = trade_no("CS");
            s.total_amount = total;
            s.description = "合单子单";
            s.attach = "shop " + std::to_string(i);
            req.sub_orders.push_back(s);
        }
        return req;
    };
    const auto req = combine(300, 400);
    auto prepay = env.run(c.async_combine_prepay_jsapi(req));
    REQUIRE(outcome(prepay) == "ok");
    CHECK(prepay->payment.appId == sp_appid());  // the combine_appid
    // The same request again is the same prepay.
    auto again = env.run(c.async_combine_prepay_jsapi(req));
    REQUIRE(outcome(again) == "ok");
    CHECK(again->prepay_id == prepay->prepay_id);

    auto unpaid = env.run(c.async_combine_query(req.combine_out_trade_no));
    REQUIRE(outcome(unpaid) == "ok");
    REQUIRE(unpaid->sub_orders.size() == 2);
    CHECK(unpaid->sub_orders[0].trade_state == "NOTPAY");
    CHECK(unpaid->sub_orders[1].sub_mchid == sub(1).mchid);

    // A sub-order cannot be paid alone.
    CHECK(errc_of(env.sim().pay(sub(0).mchid, req.sub_orders[0].out_trade_no)) == errc::invalid_argument);
    REQUIRE(outcome(env.sim().pay_combine(sp_mchid(), req.combine_out_trade_no)) == "ok");
    CHECK(errc_of(env.sim().pay_combine(sp_mchid(), req.combine_out_trade_no)) == errc::invalid_argument);

    auto paid = env.run(c.async_combine_query(req.combine_out_trade_no));
    REQUIRE(outcome(paid) == "ok");
    REQUIRE(paid->sub_orders.size() == 2);
    CHECK(paid->combine_mchid == sp_mchid());
    CHECK(paid->payer_openid == "oCombinePayer000000000000001");
    std::set<std::string> txns;
    for (std::size_t i = 0; i < 2; ++i) {
        const auto& s = paid->sub_orders[i];
        CHECK(s.trade_state == "SUCCESS");
        CHECK(s.mchid == sp_mchid());
        CHECK(s.sub_mchid == sub(i).mchid);
        CHECK(s.out_trade_no == req.sub_orders[i].out_trade_no);
        REQUIRE(s.amount);
        CHECK(s.amount->total_amount == req.sub_orders[i].total_amount);
        txns.insert(s.transaction_id);
    }
    CHECK(txns.size() == 2);
    CHECK_FALSE(txns.count(""));

    // One notification: the combine resource, typed.
    const auto deliveries = receiver.wait_for(1);
    REQUIRE(deliveries.size() == 1);
    auto n = c.notifications().parse(deliveries[0].headers, deliveries[0].body);
    REQUIRE(outcome(n) == "ok");
    REQUIRE(n->is_combine_transaction());
    auto ct = n->combine_transaction();
    REQUIRE(outcome(ct) == "ok");
    CHECK(ct->combine_out_trade_no == req.combine_out_trade_no);
    REQUIRE(ct->sub_orders.size() == 2);
    CHECK(ct->sub_orders[1].transaction_id == paid->sub_orders[1].transaction_id);

    // Each sub-order is an order of its sub-merchant: queried, refunded and billed there.
    auto sub_order = env.run(c.async_partner_query_by_out_trade_no(sub(1).mchid, req.sub_orders[1].out_trade_no));
    REQUIRE(outcome(sub_order) == "ok");
    CHECK(sub_order->transaction_id == paid->sub_orders[1].transaction_id);
    wechatpay::refund_request refund;
    refund.sub_mchid = sub(1).mchid;
    refund.transaction_id = paid->sub_orders[1].transaction_id;
    refund.out_refund_no = trade_no("CR");
    refund.refund = 400;
    refund.total = 400;
    auto r = env.run(c.async_partner_refund(refund));
    REQUIRE(outcome(r) == "ok");
    CHECK(r->out_trade_no == req.sub_orders[1].out_trade_no);
    auto info = env.run(c.async_partner_trade_bill(sub(0).mchid, {today_cst(), "ALL", false}));
    REQUIRE(outcome(info) == "ok");
    auto bill = env.run(c.async_download_bill(*info));
    REQUIRE(outcome(bill) == "ok");
    CHECK(bill->find(req.sub_orders[0].out_trade_no) != std::string::npos);

    // Another combine order, closed with its sub-orders; it can no longer be paid.
    const auto other = combine(100, 100);
    auto url = env.run(c.async_combine_prepay_native(other));
    REQUIRE(outcome(url) == "ok");
    wechatpay::combine_close_request close;
    close.combine_out_trade_no = other.combine_out_trade_no;
    for (const auto& s : other.sub_orders) close.sub_orders.push_back({{}, s.out_trade_no, s.sub_mchid, {}});
    REQUIRE(outcome(env.run(c.async_combine_close(close))) == "ok");
    auto closed = env.run(c.async_combine_query(other.combine_out_trade_no));
    REQUIRE(outcome(closed) == "ok");
    for (const auto& s : closed->sub_orders) CHECK(s.trade_state == "CLOSED");
    CHECK(errc_of(env.sim().pay_combine(sp_mchid(), other.combine_out_trade_no)) == errc::invalid_argument);
    // Closing a paid one: ORDERPAID; naming the wrong sub-orders: INVALID_REQUEST.
    wechatpay::combine_close_request paid_close;
    paid_close.combine_out_trade_no = req.combine_out_trade_no;
    for (const auto& s : req.sub_orders) paid_close.sub_orders.push_back({{}, s.out_trade_no, s.sub_mchid, {}});
    check_refused(env.run(c.async_combine_close(paid_close)), 400, "ORDERPAID");
    paid_close.sub_orders[1].out_trade_no = "NOTASUBORDER1";
    check_refused(env.run(c.async_combine_close(paid_close)), 400, "INVALID_REQUEST");
    check_refused(env.run(c.async_combine_query("NOSUCHCOMBINE1")), 404, "ORDER_NOT_EXIST");

    // An unbound sub-merchant in a sub-order: refused like any partner call.
    auto stranger = combine(100, 100);
    stranger.sub_orders[1].sub_mchid = "1999999999";
    check_refused(env.run(c.async_combine_prepay_app(stranger)), 400, "INVALID_REQUEST");
    // A sub-order number already used by another order: OUT_TRADE_NO_USED.
    auto reused = combine(100, 100);
    reused.sub_orders[0].out_trade_no = req.sub_orders[0].out_trade_no;
    check_refused(env.run(c.async_combine_prepay_app(reused)), 403, "OUT_TRADE_NO_USED");
}

TEST_CASE("combine: a direct merchant's combine order of two sub-orders; WeChat's limits checked before any I/O",
          "[client][combine]") {
    client_env env;
    auto& c = env.client();
    wechatpay::combine_prepay_request req;
    req.combine_out_trade_no = trade_no("CD");
    req.notify_url = std::string(merchant_notify_url);
    for (int i = 0; i < 2; ++i) {
        wechatpay::combine_sub_order_request s;
        s.out_trade_no = trade_no("CDS");
        s.total_amount = 100 + i;
        s.description = "direct";
        s.attach = "a";
        req.sub_orders.push_back(s);
    }
    auto app = env.run(c.async_combine_prepay_app(req));
    REQUIRE(outcome(app) == "ok");
    CHECK(app->payment.appid == sp_appid());
    CHECK(app->payment.partnerid == sp_mchid());
    auto h5_req = req;
    h5_req.combine_out_trade_no = trade_no("CD");
    for (auto& s : h5_req.sub_orders) s.out_trade_no = trade_no("CDS");
    h5_req.payer_client_ip = "14.23.150.211";
    auto h5 = env.run(c.async_combine_prepay_h5(h5_req));
    REQUIRE(outcome(h5) == "ok");
    REQUIRE(outcome(env.sim().pay_combine("", req.combine_out_trade_no)) == "ok");
    auto paid = env.run(c.async_combine_query(req.combine_out_trade_no));
    REQUIRE(outcome(paid) == "ok");
    REQUIRE(paid->sub_orders.size() == 2);
    CHECK(paid->sub_orders[0].mchid == sp_mchid());
    CHECK(paid->sub_orders[0].sub_mchid.empty());
    CHECK(paid->sub_orders[0].transaction_id != paid->sub_orders[1].transaction_id);
    // Sub-orders of a direct merchant are its own orders.
    auto own = env.run(c.async_query_by_out_trade_no(req.sub_orders[1].out_trade_no));
    REQUIRE(outcome(own) == "ok");
    CHECK(own->trade_state == "SUCCESS");

    const auto before = env.sim_requests();
    auto refused = [&](auto edit) {
        auto r = req;
        r.combine_out_trade_no = trade_no("CX");
        edit(r);
        return errc_of(env.run(c.async_combine_prepay_native(r)));
    };
    using R = wechatpay::combine_prepay_request;
    CHECK(refused([](R& r) { r.sub_orders.pop_back(); }) == errc::invalid_argument);  // a direct one needs 2–10
    CHECK(refused([](R& r) {
              while (r.sub_orders.size() < 11) r.sub_orders.push_back(r.sub_orders[0]), r.sub_orders.back().out_trade_no = trade_no("CY");
          }) == errc::invalid_argument);
    CHECK(refused([](R& r) {  // a provider's takes 50 at most
              for (auto& s : r.sub_orders) s.sub_mchid = sub(0).mchid;
              while (r.sub_orders.size() < 51) r.sub_orders.push_back(r.sub_orders[0]), r.sub_orders.back().out_trade_no = trade_no("CY");
          }) == errc::invalid_argument);
    CHECK(refused([](R& r) { r.sub_orders[1].out_trade_no = r.sub_orders[0].out_trade_no; }) == errc::invalid_argument);
    CHECK(refused([](R& r) { r.sub_orders[0].attach.clear(); }) == errc::invalid_argument);
    CHECK(refused([](R& r) { r.sub_orders[0].total_amount = 0; }) == errc::invalid_argument);
    CHECK(refused([](R& r) { r.sub_orders[0].currency = "USD"; }) == errc::invalid_argument);
    CHECK(refused([](R& r) { r.sub_orders[0].description = std::string(128, 'd'); }) == errc::invalid_argument);
    CHECK(refused([](R& r) { r.combine_out_trade_no = "CB1"; }) == errc::invalid_argument);
    CHECK(refused([](R& r) { r.notify_url = "http://example.com/n?x=1"; }) == errc::invalid_argument);
    CHECK(refused([](R& r) { r.sub_orders[0].sub_appid = "wx1"; }) == errc::invalid_argument);  // needs sub_mchid
    CHECK(errc_of(env.run(c.async_combine_prepay_jsapi(req))) == errc::invalid_argument);      // no payer openid
    CHECK(errc_of(env.run(c.async_combine_prepay_h5(req))) == errc::invalid_argument);         // no payer_client_ip
    CHECK(errc_of(env.run(c.async_combine_close({}))) == errc::invalid_argument);
    CHECK(env.sim_requests() == before);
}
