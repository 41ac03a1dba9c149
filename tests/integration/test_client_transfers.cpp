// Merchant transfer bills (商家转账) against the simulator over real TLS: a transfer is created
// (the payee's name sealed with WeChat Pay's key, its serial sent), confirmed by the user through
// the control API, completed, notified (MCHTRANSFER.BILL.FINISHED, handled once however often
// it is redelivered) and queried; cancelled before confirmation and refused after it; refused
// and failed; WeChat's refusals (NOT_ENOUGH, FREQUENCY_LIMITED, INVALID_REQUEST, PARAM_ERROR)
// reach the caller with their code; a create whose answer is lost is retried with the same body
// and never pays twice; electronic receipts are applied for, queried and downloaded with their
// hash checked. The payees' names are on the secrets watch: no log line or error may hold one.
#include "client_env.hpp"
#include "notify_receiver.hpp"

#include <wechatpay/crypto.hpp>

#include <fstream>
#include <iterator>
#include <set>
#include <thread>

using namespace wechatpay_test;
using wechatpay::errc;
using wechatpay::transfer_state;

namespace {

std::string watched_name(std::string name) {
    secrets::watch(name);
    return name;
}

std::string fresh_no(std::string_view prefix = "T") {
    static std::atomic<int> n{0};
    return std::string(prefix) + std::to_string(wechatpay::system_unix_time()) + "x" + std::to_string(++n);
}

wechatpay::transfer_bill_request transfer(std::string no, std::int64_t amount, std::string notify_url = {}) {
    wechatpay::transfer_bill_request r;
    r.out_bill_no = std::move(no);
    r.transfer_scene_id = "1000";
    r.openid = "o-MYE42l80oelYMDE34nYD456Xoy";
    r.transfer_amount = amount;
    r.transfer_remark = "新会员奖励";
    r.notify_url = std::move(notify_url);
    r.user_recv_perception = "现金奖励";
    r.transfer_scene_report_infos = {{"活动名称", "新会员有礼"}, {"奖励说明", "注册会员抽奖一等奖"}};
    return r;
}

// POST /sim/transfers/{no}/{action}: the answer's JSON (a 200 is required).
json::object user_action(client_env& env, const std::string& no, std::string_view action, json::object body = {}) {
    auto c = env.control();
    auto a = UNWRAP(c.unsigned_call("POST", "/sim/transfers/" + no + "/" + std::string(action), json::serialize(body)));
    INFO(a.body);
    REQUIRE(a.status == 200);
    return json::parse(a.body).as_object();
}

unsigned control_status(client_env& env, const std::string& target, json::object body = {}) {
    auto c = env.control();
    return UNWRAP(c.unsigned_call("POST", target, json::serialize(body))).status;
}

// Polls the bill until it is in `want` (or 5 s pass).
wechatpay::transfer_bill wait_state(client_env& env, const std::string& no, transfer_state want) {
    for (int i = 0;; ++i) {
        auto b = env.run(env.client().async_query_transfer_by_out_bill_no(no));
        REQUIRE(outcome(b) == "ok");
        if (b->state == want || i == 500) return *b;
        std::this_thread::sleep_for(10ms);
    }
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST_CASE("client: a payout is created, confirmed by the user, completed, notified once and queried",
          "[client][transfers][notification]") {
    notify_receiver receiver(2);  // 500 to the first two deliveries: the simulator retries
    client_env env;
    auto& c = env.client();
    const std::string no = fresh_no();
    auto created = env.run(c.async_create_transfer(transfer(no, 500, receiver.url())));
    REQUIRE(outcome(created) == "ok");
    CHECK(created->out_bill_no == no);
    CHECK(created->state == transfer_state::wait_user_confirm);
    CHECK(created->state_text == "WAIT_USER_CONFIRM");
    CHECK_FALSE(created->transfer_bill_no.empty());
    CHECK_FALSE(created->create_time.empty());
    REQUIRE_FALSE(created->package_info.empty());
    // Ready to hand to wx.requestMerchantTransfer.
    CHECK(created->confirm.mchId == shared_keys::get().setup.mchid);
    CHECK(created->confirm.appId == shared_keys::get().setup.appid);
    CHECK(created->confirm.package == created->package_info);
    const auto params = json::parse(created->confirm.to_json()).as_object();
    CHECK(params.at("package").as_string() == created->package_info);
    CHECK(params.size() == 3);

    // Any completion token: a future from this (non-io) thread.
    auto future = c.async_query_transfer_by_transfer_bill_no(created->transfer_bill_no, asio::use_future);
    REQUIRE(future.wait_for(10s) == std::future_status::ready);
    auto by_no = future.get();
    REQUIRE(outcome(by_no) == "ok");
    CHECK(by_no->out_bill_no == no);
    CHECK(by_no->transfer_amount == 500);
    CHECK(by_no->mch_id == shared_keys::get().setup.mchid);
    CHECK(by_no->to_string().find("WAIT_USER_CONFIRM") != std::string::npos);

    const auto confirmed = user_action(env, no, "confirm");
    CHECK(confirmed.at("state").as_string() == "TRANSFERING");
    const auto done = wait_state(env, no, transfer_state::success);
    CHECK(done.state == transfer_state::success);
    CHECK(wechatpay::is_final(done.state));

    const auto deliveries = receiver.wait_for(3);
    REQUIRE(deliveries.size() >= 3);
    const auto handler = c.notifications();
    std::atomic<int> effects{0};
    std::string seen_state, seen_no;
    const wechatpay::notification_effect effect =
        [&](const wechatpay::notification& n) -> asio::awaitable<wechatpay::result<void>> {
        ++effects;
        auto b = n.transfer_bill();
        if (!b) co_return b.error();
        seen_state = b->state_text;
        seen_no = b->out_bill_no;
        co_return wechatpay::result<void>{};
    };
    std::set<std::string> ids;
    for (const auto& d : deliveries) {
        auto parsed = handler.parse(d.headers, d.body);
        REQUIRE(outcome(parsed) == "ok");
        CHECK(parsed->event_type == "MCHTRANSFER.BILL.FINISHED");
        CHECK(parsed->original_type == "mch_payment");
        CHECK(parsed->is_transfer_bill());
        CHECK_FALSE(parsed->is_transaction());
        ids.insert(parsed->id);
        auto reply = env.run(handler.async_handle(d.headers, d.body, effect));
        CHECK(reply.status == 204);
    }
    CHECK(ids.size() == 1);
    CHECK(effects == 1);
    CHECK(seen_state == "SUCCESS");
    CHECK(seen_no == no);
}

TEST_CASE("client: the payee's name is sealed with WeChat Pay's key, checked by the simulator, required "
          "from 2,000 yuan, and never logged",
          "[client][transfers][secrets]") {
    for (const auto keys : {key_mode::certificate, key_mode::public_key}) {
        client_env_options o;
        o.keys = keys;
        client_env env(o);
        auto& c = env.client();
        const std::string name = watched_name("张三丰");

        // Required from 200000 fen on: refused before any I/O.
        const auto requests = env.sim_requests();
        auto unnamed = env.run(c.async_create_transfer(transfer(fresh_no(), 200000)));
        CHECK(errc_of(unnamed) == errc::invalid_argument);
        CHECK(unnamed.error().detail.find("/user_name") != std::string::npos);
        CHECK(env.sim_requests() == requests);

        auto req = transfer(fresh_no(), 200000);
        req.user_name = name;
        auto created = env.run(c.async_create_transfer(req));
        REQUIRE(outcome(created) == "ok");
        CHECK(created->raw.find(name) == std::string::npos);
        // The simulator decrypted what was sent with the private half of the key Wechatpay-Serial named.
        const auto confirmed = user_action(env, req.out_bill_no, "confirm", {{"real_name", name}});
        CHECK(confirmed.at("user_name_received").as_string() == name);
        CHECK(wait_state(env, req.out_bill_no, transfer_state::success).state == transfer_state::success);

        // A payee whose real name is not the one sent: FAIL NAME_NOT_CORRECT.
        auto other = transfer(fresh_no(), 300);
        other.user_name = watched_name("李四");
        REQUIRE(outcome(env.run(c.async_create_transfer(other))) == "ok");
        user_action(env, other.out_bill_no, "confirm", {{"real_name", "王五"}});
        const auto failed = wait_state(env, other.out_bill_no, transfer_state::fail);
        CHECK(failed.state == transfer_state::fail);
        CHECK(failed.fail_reason == "NAME_NOT_CORRECT");
    }
}

TEST_CASE("client: a transfer is cancelled before the user confirms; not after", "[client][transfers]") {
    client_env env;
    auto& c = env.client();
    const std::string no = fresh_no();
    REQUIRE(outcome(env.run(c.async_create_transfer(transfer(no, 100)))) == "ok");
    auto cancelling = env.run(c.async_cancel_transfer(no));
    REQUIRE(outcome(cancelling) == "ok");
    CHECK(cancelling->state == transfer_state::canceling);
    CHECK(cancelling->out_bill_no == no);
    CHECK(wait_state(env, no, transfer_state::cancelled).state == transfer_state::cancelled);
    // The user can no longer confirm it.
    CHECK(control_status(env, "/sim/transfers/" + no + "/confirm") == 409);

    const std::string confirmed = fresh_no();
    REQUIRE(outcome(env.run(c.async_create_transfer(transfer(confirmed, 100)))) == "ok");
    user_action(env, confirmed, "confirm");
    auto late = env.run(c.async_cancel_transfer(confirmed));
    CHECK(errc_of(late) == errc::api_error);
    CHECK(late.error().api_code == "INVALID_REQUEST");
    CHECK(late.error().http_status == 400);

    auto missing = env.run(c.async_cancel_transfer(fresh_no("NONE")));
    CHECK(errc_of(missing) == errc::api_error);
    CHECK(missing.error().api_code == "NOT_FOUND");
    auto unknown = env.run(c.async_query_transfer_by_out_bill_no(fresh_no("NONE")));
    CHECK(unknown.error().api_code == "NOT_FOUND");
    CHECK(unknown.error().http_status == 404);
}

TEST_CASE("client: a transfer the user refuses or WeChat fails ends FAIL with its reason", "[client][transfers]") {
    client_env env;
    auto& c = env.client();
    const std::string refused = fresh_no(), risky = fresh_no();
    REQUIRE(outcome(env.run(c.async_create_transfer(transfer(refused, 100)))) == "ok");
    REQUIRE(outcome(env.run(c.async_create_transfer(transfer(risky, 100)))) == "ok");
    user_action(env, refused, "refuse");
    user_action(env, risky, "fail", {{"fail_reason", "ACCOUNT_FROZEN"}});
    auto a = env.run(c.async_query_transfer_by_out_bill_no(refused));
    REQUIRE(outcome(a) == "ok");
    CHECK(a->state == transfer_state::fail);
    CHECK(a->fail_reason == "USER_REFUSED");
    auto b = env.run(c.async_query_transfer_by_out_bill_no(risky));
    REQUIRE(outcome(b) == "ok");
    CHECK(b->fail_reason == "ACCOUNT_FROZEN");
    // A final bill cannot be cancelled.
    CHECK(env.run(c.async_cancel_transfer(risky)).error().api_code == "INVALID_REQUEST");
}

TEST_CASE("client: the same out_bill_no with the same request is the same bill; with another it is refused",
          "[client][transfers]") {
    client_env env;
    auto& c = env.client();
    auto req = transfer(fresh_no(), 800);
    req.user_name = watched_name("赵六");
    auto first = env.run(c.async_create_transfer(req));
    REQUIRE(outcome(first) == "ok");
    // Sent again by the caller: the name sealed afresh (other ciphertext), the same bill.
    auto again = env.run(c.async_create_transfer(req));
    REQUIRE(outcome(again) == "ok");
    CHECK(again->transfer_bill_no == first->transfer_bill_no);
    CHECK(again->package_info == first->package_info);

    auto changed = req;
    changed.transfer_amount = 900;
    auto refused = env.run(c.async_create_transfer(changed));
    CHECK(errc_of(refused) == errc::api_error);
    CHECK(refused.error().api_code == "INVALID_REQUEST");
    auto renamed = req;
    renamed.user_name = watched_name("赵七");
    CHECK(env.run(c.async_create_transfer(renamed)).error().api_code == "INVALID_REQUEST");
}

TEST_CASE("client: a create whose answer is lost is retried with the same body and never pays twice",
          "[client][transfers][faults]") {
    const char* kind = GENERATE("close_before_answer", "close_mid_body");
    client_env env;
    auto& c = env.client();
    REQUIRE(outcome(env.sim().set_transfer_balance(R"({"balance":1000})")) == "ok");
    env.faults(json::object{{"kind", kind}, {"endpoint", "/v3/fund-app/mch-transfer/transfer-bills"}, {"times", 1}});
    auto req = transfer(fresh_no(), 1000);
    req.user_name = watched_name("孙八");
    const auto before = env.sim_requests("/v3/fund-app/mch-transfer/transfer-bills");
    auto created = env.run(c.async_create_transfer(req));
    INFO(kind);
    REQUIRE(outcome(created) == "ok");
    CHECK(env.sim_requests("/v3/fund-app/mch-transfer/transfer-bills") == before + 2);  // sent twice, the same body
    auto queried = env.run(c.async_query_transfer_by_out_bill_no(req.out_bill_no));
    REQUIRE(outcome(queried) == "ok");
    CHECK(queried->transfer_bill_no == created->transfer_bill_no);
    // The whole balance went to this one bill: any other transfer finds it empty.
    auto second = env.run(c.async_create_transfer(transfer(fresh_no(), 1)));
    CHECK(errc_of(second) == errc::api_error);
    CHECK(second.error().api_code == "NOT_ENOUGH");
    CHECK(second.error().http_status == 403);

    // Every try lost: the call fails, yet the transfer may exist. The rule: query the same
    // out_bill_no, then send the same request again — never a new number.
    env.faults(json::object{{"kind", "close_mid_body"}, {"endpoint", "/v3/fund-app/mch-transfer/transfer-bills"}, {"times", 10}});
    REQUIRE(outcome(env.sim().set_transfer_balance(R"({"balance":700})")) == "ok");
    auto lost = transfer(fresh_no(), 700);
    auto failed = env.run(c.async_create_transfer(lost));
    CHECK_FALSE(failed.has_value());
    env.clear_faults();
    auto found = env.run(c.async_query_transfer_by_out_bill_no(lost.out_bill_no));
    REQUIRE(outcome(found) == "ok");
    CHECK(found->state == transfer_state::wait_user_confirm);
    auto resent = env.run(c.async_create_transfer(lost));
    REQUIRE(outcome(resent) == "ok");
    CHECK(resent->transfer_bill_no == found->transfer_bill_no);
}

TEST_CASE("client: WeChat's refusals of transfers: NOT_ENOUGH, FREQUENCY_LIMITED, PARAM_ERROR naming the field",
          "[client][transfers]") {
    SECTION("NOT_ENOUGH") {
        client_env env;
        REQUIRE(outcome(env.sim().set_transfer_balance(R"({"balance":99})")) == "ok");
        auto r = env.run(env.client().async_create_transfer(transfer(fresh_no(), 100)));
        CHECK(errc_of(r) == errc::api_error);
        CHECK(r.error().api_code == "NOT_ENOUGH");
    }
    SECTION("FREQUENCY_LIMITED above the query rate") {
        client_env_options o;
        o.sim = [](wechatpay::sim::config& c) { c.transfer_query_qps = 0; };
        client_env env(o);
        const std::string no = fresh_no();
        REQUIRE(outcome(env.run(env.client().async_create_transfer(transfer(no, 100)))) == "ok");
        auto r = env.run(env.client().async_query_transfer_by_out_bill_no(no));
        CHECK(errc_of(r) == errc::api_error);
        CHECK(r.error().api_code == "FREQUENCY_LIMITED");
        CHECK(r.error().http_status == 429);
    }
    SECTION("a client configured with rate_limits keeps under them itself: nothing sent beyond") {
        client_env_options o;
        o.client = [](wechatpay::client_config& c) {
            wechatpay::rate_table t{};
            t[static_cast<std::size_t>(wechatpay::endpoint_class::transfer_query)] = {0.1, 1};  // then one in 10 s
            c.rate_limits = t;  // as "rate_limits" in the config file sets it
            c.timeouts.request = 2s;
        };
        client_env env(o);
        const std::string no = fresh_no();
        REQUIRE(outcome(env.run(env.client().async_create_transfer(transfer(no, 100)))) == "ok");
        REQUIRE(outcome(env.run(env.client().async_query_transfer_by_out_bill_no(no))) == "ok");
        auto r = env.run(env.client().async_query_transfer_by_out_bill_no(no));
        REQUIRE_FALSE(r);
        CHECK(r.error().code == boost::asio::error::timed_out);
        CHECK_THAT(r.error().detail, Catch::Contains("no transfer_query request token within the 2000 ms"));
        auto created = env.run(env.client().async_create_transfer(transfer(fresh_no(), 100)));
        CHECK(outcome(created) == "ok");  // other classes are not limited
    }
    SECTION("PARAM_ERROR from the simulator names the field") {
        client_env env;
        // Bodies the client would refuse, sent raw: WeChat's answer names the field.
        auto raw_create = [&env](json::object extra) {
            json::object body{{"appid", shared_keys::get().setup.appid},
                              {"out_bill_no", "abc"},
                              {"transfer_scene_id", "1000"},
                              {"openid", "o1"},
                              {"transfer_amount", 100},
                              {"transfer_remark", "x"}};
            for (auto& [k, v] : extra) body[k] = v;
            return env.run(env.client().async_request("POST", "/v3/fund-app/mch-transfer/transfer-bills",
                                                      json::serialize(body), wechatpay::request_options{}));
        };
        auto r = raw_create({});
        REQUIRE(outcome(r) == "ok");
        CHECK(r->status == 400);
        CHECK(r->body.find("PARAM_ERROR") != std::string::npos);
        CHECK(r->body.find("/transfer_scene_report_infos") != std::string::npos);
        auto sealed = raw_create({{"user_name", "bm90IGEgY2lwaGVydGV4dA=="},
                                  {"transfer_scene_report_infos",
                                   json::array{json::object{{"info_type", "a"}, {"info_content", "b"}}}}});
        REQUIRE(outcome(sealed) == "ok");
        CHECK(sealed->status == 400);
        CHECK(sealed->body.find("/user_name") != std::string::npos);
    }
}

TEST_CASE("client: transfer requests WeChat would refuse are refused before any I/O, naming the field",
          "[client][transfers][validation]") {
    client_env env;
    auto& c = env.client();
    const auto requests = env.sim_requests();
    auto names = [](const auto& r, std::string_view field) {
        INFO(outcome(r));
        return errc_of(r) == errc::invalid_argument && r.error().detail.find(field) != std::string::npos;
    };
    auto with = [](auto change) {
        auto r = transfer("Valid123", 100);
        change(r);
        return r;
    };
    using R = wechatpay::transfer_bill_request;
    CHECK(names(env.run(c.async_create_transfer(with([](R& r) { r.out_bill_no = ""; }))), "/out_bill_no"));
    CHECK(names(env.run(c.async_create_transfer(with([](R& r) { r.out_bill_no = "has-dash"; }))), "/out_bill_no"));
    CHECK(names(env.run(c.async_create_transfer(with([](R& r) { r.out_bill_no = std::string(33, 'a'); }))), "/out_bill_no"));
    CHECK(names(env.run(c.async_create_transfer(with([](R& r) { r.transfer_amount = 0; }))), "/transfer_amount"));
    CHECK(names(env.run(c.async_create_transfer(with([](R& r) { r.transfer_amount = -5; }))), "/transfer_amount"));
    CHECK(names(env.run(c.async_create_transfer(with([](R& r) { r.openid = ""; }))), "/openid"));
    CHECK(names(env.run(c.async_create_transfer(with([](R& r) { r.transfer_scene_id = ""; }))), "/transfer_scene_id"));
    CHECK(names(env.run(c.async_create_transfer(with([](R& r) { r.transfer_remark = ""; }))), "/transfer_remark"));
    CHECK(names(env.run(c.async_create_transfer(with([](R& r) {
                    std::string s;
                    for (int i = 0; i < 33; ++i) s += "奖";
                    r.transfer_remark = s;
                }))),
                "/transfer_remark"));
    CHECK(names(env.run(c.async_create_transfer(with([](R& r) { r.notify_url = "http://merchant.example.com/n"; }))),
                "/notify_url"));
    CHECK(names(env.run(c.async_create_transfer(with([](R& r) { r.notify_url = "https://merchant.example.com/n?a=1"; }))),
                "/notify_url"));
    CHECK(names(env.run(c.async_create_transfer(with([](R& r) { r.transfer_scene_report_infos.clear(); }))),
                "/transfer_scene_report_infos"));
    CHECK(names(env.run(c.async_create_transfer(with([](R& r) { r.transfer_scene_report_infos[1].info_content = ""; }))),
                "/transfer_scene_report_infos/1/info_content"));
    CHECK(names(env.run(c.async_query_transfer_by_out_bill_no("a/b")), "/out_bill_no"));
    CHECK(names(env.run(c.async_query_transfer_by_transfer_bill_no("")), "transfer_bill_no"));
    CHECK(names(env.run(c.async_cancel_transfer("x y")), "/out_bill_no"));
    CHECK(names(env.run(c.async_apply_transfer_receipt("")), "/out_bill_no"));
    CHECK(env.sim_requests() == requests);
    // The state enum keeps what it does not know.
    CHECK(wechatpay::parse_transfer_state("NEW_STATE") == transfer_state::unknown);
    CHECK(wechatpay::to_string(transfer_state::transfering) == "TRANSFERING");
}

TEST_CASE("client: a transfer's electronic receipt is applied for, generated, downloaded and hash-checked",
          "[client][transfers][receipts]") {
    client_env env;
    auto& c = env.client();
    auto req = transfer(fresh_no(), 1200);
    req.user_name = watched_name("周九");
    REQUIRE(outcome(env.run(c.async_create_transfer(req))) == "ok");

    // Not before SUCCESS.
    auto early = env.run(c.async_apply_transfer_receipt(req.out_bill_no));
    CHECK(early.error().api_code == "INVALID_REQUEST");
    user_action(env, req.out_bill_no, "confirm");
    const auto done = wait_state(env, req.out_bill_no, transfer_state::success);
    REQUIRE(done.state == transfer_state::success);

    auto applied = env.run(c.async_apply_transfer_receipt(req.out_bill_no));
    REQUIRE(outcome(applied) == "ok");
    CHECK(applied->state == "GENERATING");
    wechatpay::transfer_receipt receipt;
    for (int i = 0; i < 500; ++i) {
        auto q = env.run(c.async_query_transfer_receipt(req.out_bill_no));
        REQUIRE(outcome(q) == "ok");
        receipt = *q;
        if (receipt.state == "FINISHED") break;
        std::this_thread::sleep_for(10ms);
    }
    REQUIRE(receipt.state == "FINISHED");
    CHECK(receipt.hash_type == "SHA256");
    auto by_no = env.run(c.async_query_transfer_receipt_by_transfer_bill_no(done.transfer_bill_no));
    REQUIRE(outcome(by_no) == "ok");
    CHECK(by_no->state == "FINISHED");

    temp_dir dir;
    const auto file = dir.path() / "receipt.pdf";
    auto got = env.run(c.async_download_transfer_receipt(receipt, file));
    REQUIRE(outcome(got) == "ok");
    const std::string bytes = read_file(file);
    CHECK(got->bytes == bytes.size());
    CHECK(bytes.starts_with("%PDF"));
    CHECK(wechatpay::sha256_hex(bytes) == receipt.hash_value);

    // A file that is not what WeChat hashed: refused, nothing written.
    auto forged = receipt;
    forged.hash_value = std::string(64, '0');
    const auto other = dir.path() / "forged.pdf";
    CHECK(errc_of(env.run(c.async_download_transfer_receipt(forged, other))) == errc::hash_mismatch);
    CHECK_FALSE(std::filesystem::exists(other));
    // Only from WeChat Pay's host, only SHA256.
    auto elsewhere = receipt;
    elsewhere.download_url = "https://evil.example.com/v3/transferdownload/signfile?token=x";
    CHECK(errc_of(env.run(c.async_download_transfer_receipt(elsewhere, other))) == errc::invalid_argument);
    auto sm3 = receipt;
    sm3.hash_type = "SM3";
    CHECK(errc_of(env.run(c.async_download_transfer_receipt(sm3, other))) == errc::unsupported_algorithm);

    // No receipt for a bill that named nobody.
    const std::string unnamed = fresh_no();
    REQUIRE(outcome(env.run(c.async_create_transfer(transfer(unnamed, 100)))) == "ok");
    user_action(env, unnamed, "confirm");
    wait_state(env, unnamed, transfer_state::success);
    CHECK(env.run(c.async_apply_transfer_receipt(unnamed)).error().api_code == "INVALID_REQUEST");
}
