// Profit sharing (分账) against the simulator over real TLS: an order prepaid with
// settle_info.profit_sharing = true is paid, receivers are added (their names encrypted with a
// WeChat Pay key, which the simulator decrypts and keeps), split a minute later, unfrozen, the
// remaining amount 0; a merchant receiver returns part of its share; the day's split bill is
// downloaded and checked; PROFITSHARING.SUCCESS is handled once however often it is redelivered.
// Every rule WeChat enforces is refused by the simulator with WeChat's code, and every rule the
// SDK can know is refused before any I/O, naming the field. Receivers' names are on the secrets
// watch: no log line or error may hold one.
#include "client_env.hpp"
#include "notify_receiver.hpp"

#include <set>

using namespace wechatpay_test;
using wechatpay::errc;

namespace {

constexpr std::string_view payee_openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
constexpr std::string_view partner_mchid = "1900000109";

// A name the watch knows: it must never appear in a diagnostic.
std::string watched_name(std::string name) {
    secrets::watch(name);
    return name;
}

// A paid NATIVE order prepaid with profit_sharing = `sharing`: its transaction_id.
std::string paid_order(client_env& env, std::int64_t total, bool sharing = true) {
    const std::string no = trade_no("PS");
    auto req = client_env::order(no, total);
    req.profit_sharing = sharing;
    REQUIRE(outcome(env.run(env.client().async_prepay_native(req))) == "ok");
    REQUIRE(outcome(env.sim().pay(shared_keys::get().setup.mchid, no)) == "ok");
    auto t = env.run(env.client().async_query_by_out_trade_no(no));
    REQUIRE(outcome(t) == "ok");
    return t->transaction_id;
}

wechatpay::receiver_request person(std::string name) {
    wechatpay::receiver_request r;
    r.type = "PERSONAL_OPENID";
    r.account = std::string(payee_openid);
    r.name = std::move(name);
    r.relation_type = "DISTRIBUTOR";
    return r;
}

wechatpay::receiver_request partner() {
    wechatpay::receiver_request r;
    r.type = "MERCHANT_ID";
    r.account = std::string(partner_mchid);
    r.name = "示例合作商户有限公司";
    r.relation_type = "PARTNER";
    return r;
}

wechatpay::split_request split_of(const std::string& txn, std::vector<wechatpay::split_receiver> to,
                                  bool unfreeze = false) {
    wechatpay::split_request s;
    s.transaction_id = txn;
    s.out_order_no = trade_no("S");
    s.receivers = std::move(to);
    s.unfreeze_unsplit = unfreeze;
    return s;
}

// Queries until the split is FINISHED (the simulator processes it after 2 s × time_scale).
wechatpay::split_order finished(client_env& env, const std::string& txn, const std::string& no) {
    for (int i = 0; i < 200; ++i) {
        auto q = env.run(env.client().async_query_split(txn, no));
        REQUIRE(outcome(q) == "ok");
        if (q->state == wechatpay::split_state::finished) return *q;
        std::this_thread::sleep_for(20ms);
    }
    FAIL("split " << no << " never finished");
    return {};
}

template <class T>
bool refused(const wechatpay::result<T>& r, std::string_view code, std::string_view in_message = {}) {
    INFO(outcome(r));
    if (r) return false;
    INFO(r.error().api_code << " " << r.error().api_message);
    return errc_of(r) == errc::api_error && r.error().api_code == code &&
           r.error().api_message.find(in_message) != std::string::npos;
}

}  // namespace

TEST_CASE("client: a profit-sharing order is split a minute after payment, unfrozen, and nothing is left",
          "[client][profit_sharing]") {
    notify_receiver receiver(2);  // 500 to the first two deliveries: the simulator retries
    client_env env({[&receiver](wechatpay::sim::config& c) { c.merchants[0].profit_sharing_notify_url = receiver.url(); }});
    const std::string name = watched_name("张三丰");
    const std::string txn = paid_order(env, 10000);

    auto added = env.run(env.client().async_add_split_receiver(person(name)));
    REQUIRE(outcome(added) == "ok");
    CHECK(added->account == payee_openid);
    CHECK(added->relation_type == "DISTRIBUTOR");
    REQUIRE(outcome(env.run(env.client().async_add_split_receiver(partner()))) == "ok");

    auto left = env.run(env.client().async_unsplit_amount(txn));
    REQUIRE(outcome(left) == "ok");
    CHECK(left->unsplit_amount == 10000);

    // A split is refused in the first minute after payment.
    auto s = split_of(txn, {{"PERSONAL_OPENID", std::string(payee_openid), name, 1500, "分给推广员"},
                            {"MERCHANT_ID", std::string(partner_mchid), "", 500, "合作方佣金"}});
    CHECK(refused(env.run(env.client().async_split(s)), "INVALID_REQUEST", "one minute"));
    REQUIRE(outcome(env.sim().advance_clock(61s)) == "ok");

    auto created = env.run(env.client().async_split(s));
    REQUIRE(outcome(created) == "ok");
    CHECK(created->state == wechatpay::split_state::processing);
    CHECK(created->out_order_no == s.out_order_no);
    REQUIRE(created->receivers.size() == 2);
    CHECK(created->receivers[0].result == wechatpay::split_result::pending);
    CHECK(created->raw.find(name) == std::string::npos);
    CHECK(created->to_string().find(name) == std::string::npos);
    // The same out_order_no again is the same split.
    auto again = env.run(env.client().async_split(s));
    REQUIRE(outcome(again) == "ok");
    CHECK(again->order_id == created->order_id);

    const auto done = finished(env, txn, s.out_order_no);
    REQUIRE(done.receivers.size() == 2);
    for (const auto& r : done.receivers) {
        CHECK(r.result == wechatpay::split_result::success);
        CHECK(r.result_text == "SUCCESS");
        CHECK_FALSE(r.detail_id.empty());
        CHECK_FALSE(r.finish_time.empty());
    }
    left = env.run(env.client().async_unsplit_amount(txn));
    REQUIRE(outcome(left) == "ok");
    CHECK(left->unsplit_amount == 8000);

    // The rest goes back to the merchant; nothing is left to split.
    wechatpay::unfreeze_request u{txn, trade_no("U"), "解冻全部剩余资金"};
    auto unfrozen = env.run(env.client().async_unfreeze_split(u));
    REQUIRE(outcome(unfrozen) == "ok");
    const auto rest = finished(env, txn, u.out_order_no);
    REQUIRE(rest.receivers.size() == 1);
    CHECK(rest.receivers[0].amount == 8000);
    CHECK(rest.receivers[0].account == shared_keys::get().setup.mchid);
    left = env.run(env.client().async_unsplit_amount(txn));
    REQUIRE(outcome(left) == "ok");
    CHECK(left->unsplit_amount == 0);
    auto late = split_of(txn, {{"MERCHANT_ID", std::string(partner_mchid), "", 1, "再分一次"}});
    CHECK(refused(env.run(env.client().async_split(late)), "INVALID_REQUEST", "unfrozen"));
    CHECK(refused(env.run(env.client().async_unfreeze_split({txn, trade_no("U"), "再解冻"})), "INVALID_REQUEST"));

    // The partner gives part of its share back; more than it kept is NOT_ENOUGH.
    wechatpay::split_return_request back;
    back.out_order_no = s.out_order_no;
    back.out_return_no = trade_no("R");
    back.return_mchid = std::string(partner_mchid);
    back.amount = 200;
    back.description = "退货回退佣金";
    auto returned = env.run(env.client().async_split_return(back));
    REQUIRE(outcome(returned) == "ok");
    CHECK(returned->result == wechatpay::return_result::success);
    CHECK(returned->order_id == created->order_id);
    auto queried = env.run(env.client().async_query_split_return(s.out_order_no, back.out_return_no));
    REQUIRE(outcome(queried) == "ok");
    CHECK(queried->amount == 200);
    back.out_return_no = trade_no("R");
    back.amount = 301;
    CHECK(refused(env.run(env.client().async_split_return(back)), "NOT_ENOUGH"));
    back.return_mchid = "1900000999";
    CHECK(refused(env.run(env.client().async_split_return(back)), "INVALID_REQUEST"));
    CHECK(refused(env.run(env.client().async_query_split_return(s.out_order_no, "NOSUCHRETURN")), "RESOURCE_NOT_EXISTS"));

    // The day's split bill: an unsigned download, hash checked.
    auto bill = env.run(env.client().async_split_bill({today_cst(), true}));
    REQUIRE(outcome(bill) == "ok");
    auto text = env.run(env.client().async_download_bill(*bill));
    REQUIRE(outcome(text) == "ok");
    CHECK(text->find("`" + s.out_order_no) != std::string::npos);
    CHECK(text->find("`15.00") != std::string::npos);
    CHECK(text->find(name) == std::string::npos);

    // PROFITSHARING.SUCCESS for each receiver, and .RETURN for the return: each handled once.
    const auto deliveries = receiver.wait_for(5);
    REQUIRE(deliveries.size() >= 5);
    const auto handler = env.client().notifications();
    std::atomic<int> effects{0};
    std::set<std::string> accounts, events;
    const wechatpay::notification_effect effect = [&](const wechatpay::notification& n) -> asio::awaitable<wechatpay::result<void>> {
        ++effects;
        auto e = n.split_event();
        if (!e) co_return e.error();
        accounts.insert(e->receiver.account);
        events.insert(n.event_type);
        co_return wechatpay::result<void>{};
    };
    std::set<std::string> ids;
    for (const auto& d : deliveries) {
        auto parsed = handler.parse(d.headers, d.body);
        REQUIRE(outcome(parsed) == "ok");
        CHECK(parsed->is_profit_sharing());
        CHECK_FALSE(parsed->is_transaction());
        ids.insert(parsed->id);
        CHECK(env.run(handler.async_handle(d.headers, d.body, effect)).status == 204);
    }
    CHECK(effects == static_cast<int>(ids.size()));
    CHECK(ids.size() == 3);
    CHECK(events == std::set<std::string>{"PROFITSHARING.SUCCESS", "PROFITSHARING.RETURN"});
    CHECK(accounts == std::set<std::string>{std::string(payee_openid), std::string(partner_mchid)});
}

TEST_CASE("client: receivers' names are encrypted with the key each mode prefers, and checked by WeChat",
          "[client][profit_sharing]") {
    for (const auto keys : {key_mode::certificate, key_mode::public_key, key_mode::download}) {
        INFO("key mode " << static_cast<int>(keys));
        client_env env({{}, {}, keys});
        const std::string name = watched_name("李四光");
        const std::string txn = paid_order(env, 3000);
        REQUIRE(outcome(env.run(env.client().async_add_split_receiver(person(name)))) == "ok");
        REQUIRE(outcome(env.sim().advance_clock(61s)) == "ok");
        // Another name than the one added: PARAM_ERROR naming the receiver's name.
        auto wrong = split_of(txn, {{"PERSONAL_OPENID", std::string(payee_openid), watched_name("王五"), 100, "分账"}});
        CHECK(refused(env.run(env.client().async_split(wrong)), "PARAM_ERROR", "/body/receivers/0/name"));
        auto right = split_of(txn, {{"PERSONAL_OPENID", std::string(payee_openid), name, 100, "分账"}});
        CHECK(outcome(env.run(env.client().async_split(right))) == "ok");
        // Without a name WeChat does not check one.
        auto unnamed = split_of(txn, {{"PERSONAL_OPENID", std::string(payee_openid), "", 100, "分账"}});
        CHECK(outcome(env.run(env.client().async_split(unnamed))) == "ok");
    }
}

TEST_CASE("simulator: the rules only WeChat can check are refused with WeChat's codes", "[client][profit_sharing]") {
    client_env env;
    REQUIRE(outcome(env.run(env.client().async_add_split_receiver(partner()))) == "ok");
    const auto to_partner = [](std::int64_t fen) {
        return std::vector<wechatpay::split_receiver>{{"MERCHANT_ID", std::string(partner_mchid), "", fen, "佣金"}};
    };

    // An order paid without profit_sharing: no split, no remaining amount.
    const std::string plain = paid_order(env, 1000, false);
    const std::string shared = paid_order(env, 1000);
    REQUIRE(outcome(env.sim().advance_clock(61s)) == "ok");
    CHECK(refused(env.run(env.client().async_split(split_of(plain, to_partner(10)))), "INVALID_REQUEST", "profit_sharing"));
    CHECK(refused(env.run(env.client().async_unsplit_amount(plain)), "INVALID_REQUEST"));
    CHECK(refused(env.run(env.client().async_unsplit_amount("4200000000000000000000000001")), "RESOURCE_NOT_EXISTS"));
    // No such transaction; more than is unsplit; a receiver never added.
    CHECK(refused(env.run(env.client().async_split(split_of("4200000000000000000000000001", to_partner(10)))),
                  "RESOURCE_NOT_EXISTS"));
    CHECK(refused(env.run(env.client().async_split(split_of(shared, to_partner(1001)))), "NOT_ENOUGH"));
    auto stranger = split_of(shared, {{"MERCHANT_ID", "1900000888", "", 10, "佣金"}});
    CHECK(refused(env.run(env.client().async_split(stranger)), "INVALID_REQUEST", "was not added"));
    auto first = split_of(shared, to_partner(600));
    REQUIRE(outcome(env.run(env.client().async_split(first))) == "ok");
    CHECK(refused(env.run(env.client().async_split(split_of(shared, to_partner(401)))), "NOT_ENOUGH"));
    // One out_order_no for another transaction; an unknown split.
    auto reused = split_of(paid_order(env, 1000), to_partner(10));
    reused.out_order_no = first.out_order_no;
    CHECK(refused(env.run(env.client().async_split(reused)), "INVALID_REQUEST"));
    CHECK(refused(env.run(env.client().async_query_split(shared, "NOSUCHSPLIT")), "RESOURCE_NOT_EXISTS"));
    // 30 days after payment it is too late.
    REQUIRE(outcome(env.sim().advance_clock(std::chrono::hours(24 * 30))) == "ok");
    CHECK(refused(env.run(env.client().async_split(split_of(shared, to_partner(10)))), "INVALID_REQUEST", "30 days"));
    // A bill of a day without splits.
    CHECK(refused(env.run(env.client().async_split_bill({days_ago_cst(40), false})), "NO_STATEMENT_EXIST"));
}

TEST_CASE("simulator: a receiver deleted before the split is processed is CLOSED with NO_RELATION",
          "[client][profit_sharing]") {
    client_env env({[](wechatpay::sim::config& c) { c.notify_time_scale = 0.5; }});  // processed after 1 s
    const std::string txn = paid_order(env, 1000);
    REQUIRE(outcome(env.run(env.client().async_add_split_receiver(partner()))) == "ok");
    REQUIRE(outcome(env.sim().advance_clock(61s)) == "ok");
    auto s = split_of(txn, {{"MERCHANT_ID", std::string(partner_mchid), "", 300, "佣金"}});
    REQUIRE(outcome(env.run(env.client().async_split(s))) == "ok");
    auto deleted = env.run(env.client().async_delete_split_receiver(partner()));
    REQUIRE(outcome(deleted) == "ok");
    CHECK(deleted->account == partner_mchid);
    const auto done = finished(env, txn, s.out_order_no);
    REQUIRE(done.receivers.size() == 1);
    CHECK(done.receivers[0].result == wechatpay::split_result::closed);
    CHECK(done.receivers[0].fail_reason == "NO_RELATION");
    // What was not paid out is still unsplit.
    auto left = env.run(env.client().async_unsplit_amount(txn));
    REQUIRE(outcome(left) == "ok");
    CHECK(left->unsplit_amount == 1000);
}

TEST_CASE("client: what WeChat would refuse is refused before any I/O, naming the field", "[client][profit_sharing]") {
    client_env env;
    auto& c = env.client();
    const auto requests = env.sim_requests();
    auto names = [](const auto& r, std::string_view field) { return names_field(r, field); };
    const wechatpay::split_receiver one{"MERCHANT_ID", std::string(partner_mchid), "", 100, "佣金"};
    auto s = split_of("4200000000000000000000000001", {one});
    s.receivers.assign(51, one);
    CHECK(names(env.run(c.async_split(s)), "/receivers"));
    s.receivers.clear();
    CHECK(names(env.run(c.async_split(s)), "/receivers"));
    s.receivers = {one};
    s.receivers[0].amount = 0;
    CHECK(names(env.run(c.async_split(s)), "/receivers/0/amount"));
    s.receivers[0].amount = -5;
    CHECK(names(env.run(c.async_split(s)), "/receivers/0/amount"));
    s.receivers[0] = one;
    s.receivers[0].description = std::string(81, 'd');
    CHECK(names(env.run(c.async_split(s)), "/receivers/0/description"));
    s.receivers[0].description = "";
    CHECK(names(env.run(c.async_split(s)), "/receivers/0/description"));
    s.receivers[0] = one;
    s.receivers[0].type = "PERSONAL_WECHATID";
    CHECK(names(env.run(c.async_split(s)), "/receivers/0/type"));
    s.receivers[0] = one;
    s.out_order_no = "has space";
    CHECK(names(env.run(c.async_split(s)), "/out_order_no"));
    s.out_order_no = std::string(65, 'N');
    CHECK(names(env.run(c.async_split(s)), "/out_order_no"));
    s.out_order_no = "S1";
    s.transaction_id.clear();
    CHECK(names(env.run(c.async_split(s)), "/transaction_id"));

    CHECK(names(env.run(c.async_unfreeze_split({"4200000000000000000000000001", "U1", std::string(81, 'x')})), "/description"));
    CHECK(names(env.run(c.async_unfreeze_split({"4200000000000000000000000001", "U#1", "解冻"})), "/out_order_no"));
    CHECK(names(env.run(c.async_query_split("4200000000000000000000000001", "bad/no")), "out_order_no"));
    CHECK(names(env.run(c.async_unsplit_amount("")), "transaction_id"));

    wechatpay::split_return_request back{"", "", "R1", std::string(partner_mchid), 10, "回退"};
    CHECK(names(env.run(c.async_split_return(back)), "/out_order_no"));
    back.out_order_no = "S1";
    back.amount = 0;
    CHECK(names(env.run(c.async_split_return(back)), "/amount"));

    auto nameless = partner();
    nameless.name.clear();
    CHECK(names(env.run(c.async_add_split_receiver(nameless)), "/name"));
    auto custom = partner();
    custom.relation_type = "CUSTOM";
    CHECK(names(env.run(c.async_add_split_receiver(custom)), "/custom_relation"));
    custom.custom_relation = "一二三四五六七八九十一";
    CHECK(names(env.run(c.async_add_split_receiver(custom)), "/custom_relation"));
    auto unknown = partner();
    unknown.relation_type = "FRIEND";
    CHECK(names(env.run(c.async_add_split_receiver(unknown)), "/relation_type"));
    CHECK(names(env.run(c.async_split_bill({"2025-02-30", false})), "bill_date"));

    CHECK(env.sim_requests() == requests);
}
