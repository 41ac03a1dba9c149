// Customer complaints 2.0 against the simulator over real TLS: a payer complains about a paid
// order (control API), the merchant lists, reads (the phone decrypted), downloads the payer's
// images byte for byte, answers with an uploaded image, completes, decides refund requests;
// COMPLAINT.* notifications reach the registered URL and are handled once however often they
// are redelivered; what WeChat would refuse is refused before any I/O, naming the field. The
// phone numbers are on the secrets watch: no log line or error may hold one.
#include "client_env.hpp"
#include "notify_receiver.hpp"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iterator>
#include <set>

using namespace wechatpay_test;
using wechatpay::errc;

namespace {

std::string png_image(std::size_t size, char fill) {
    std::string s("\x89PNG\r\n\x1A\n", 8);
    for (std::size_t i = 0; s.size() < size; ++i) s += static_cast<char>(fill + (i * 7) % 200);  // every byte value mix
    return s;
}

// A phone number the watch knows: it must never appear in a diagnostic.
std::string watched_phone(std::string phone) {
    secrets::watch_phone(phone);
    return phone;
}

// A paid NATIVE order of the test merchant.
std::string paid_order(client_env& env, std::int64_t total = 100) {
    const std::string no = env.new_order(total);
    REQUIRE(outcome(env.sim().pay(shared_keys::get().setup.mchid, no)) == "ok");
    return no;
}

// POST /sim/complaints; the complaint_id.
std::string file_complaint(client_env& env, json::object body) {
    auto c = env.control();
    auto a = UNWRAP(c.unsigned_call("POST", "/sim/complaints", json::serialize(body)));
    INFO(a.body);
    REQUIRE(a.status == 200);
    return std::string(json::parse(a.body).at("complaint_id").as_string());
}

void payer_event(client_env& env, const std::string& id, std::string_view action, std::string_view content) {
    auto c = env.control();
    auto a = UNWRAP(c.unsigned_call("POST", "/sim/complaints/" + id + "/events",
                                    json::serialize(json::object{{"action_type", action}, {"content", content}})));
    INFO(a.body);
    REQUIRE(a.status == 200);
}

wechatpay::complaint_list_request today_list(std::int64_t limit = 50) {
    wechatpay::complaint_list_request r;
    r.begin_date = today_cst();
    r.end_date = today_cst();
    r.limit = limit;
    return r;
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST_CASE("client: a complaint is listed, read with the phone decrypted, its images downloaded byte for byte, "
          "answered with an uploaded image and completed",
          "[client][complaints]") {
    client_env env;
    const std::string phone = watched_phone("13800138001");
    const std::string picture = png_image(300 * 1024, 'a');
    const std::string no = paid_order(env, 2500);
    const std::string id = file_complaint(
        env, {{"out_trade_no", no}, {"detail", "重复扣费了"}, {"phone", phone},
              {"images", json::array{json::object{{"filename", "proof.png"}, {"base64", wechatpay::base64_encode(picture)}}}}});

    auto page = env.run(env.client().async_list_complaints(today_list()));
    REQUIRE(outcome(page) == "ok");
    REQUIRE(page->total_count);
    const auto listed = std::find_if(page->data.begin(), page->data.end(), [&](const auto& c) { return c.complaint_id == id; });
    REQUIRE(listed != page->data.end());
    CHECK(listed->payer_phone == phone);
    CHECK(listed->complaint_state == "PENDING");

    auto c = env.run(env.client().async_complaint(id));
    REQUIRE(outcome(c) == "ok");
    CHECK(c->payer_phone == phone);
    CHECK(c->raw.find(phone) == std::string::npos);  // encrypted on the wire
    CHECK(c->to_string().find(phone) == std::string::npos);
    CHECK(c->complaint_detail == "重复扣费了");
    CHECK(c->complainted_mchid == shared_keys::get().setup.mchid);
    REQUIRE(c->complaint_order_info.size() == 1);
    CHECK(c->complaint_order_info[0].out_trade_no == no);
    CHECK(c->complaint_order_info[0].amount == 2500);
    REQUIRE(c->complaint_media_list.size() == 1);
    REQUIRE(c->complaint_media_list[0].media_url.size() == 1);
    const std::string url = c->complaint_media_list[0].media_url[0];

    // The image, streamed: to a sink, and to a file.
    std::string got;
    auto to_sink = env.run(env.client().async_download_complaint_image(url, wechatpay::download_sink(
        [&got](std::string_view piece) -> wechatpay::result<void> {
            got += piece;
            return {};
        })));
    REQUIRE(outcome(to_sink) == "ok");
    CHECK(to_sink->bytes == picture.size());
    CHECK(to_sink->content_type == "image/png");
    CHECK(got == picture);
    temp_dir dir;
    auto to_file = env.run(env.client().async_download_complaint_image(*wechatpay::complaint_media_id(url), dir.path() / "proof.png"));
    REQUIRE(outcome(to_file) == "ok");
    CHECK(read_file(dir.path() / "proof.png") == picture);
    // An image that does not exist: WeChat's error, and no file.
    auto missing = env.run(env.client().async_download_complaint_image("SIMnosuchimage", dir.path() / "none.png"));
    CHECK(errc_of(missing) == errc::api_error);
    CHECK_FALSE(std::filesystem::exists(dir.path() / "none.png"));

    // The merchant answers with an image of its own: PROCESSING.
    const std::string answer_picture = png_image(4096, 'q');
    auto media = env.run(env.client().async_upload_complaint_image({"answer.png", answer_picture}));
    REQUIRE(outcome(media) == "ok");
    wechatpay::complaint_response response;
    response.response_content = "已为您退款，请查收";
    response.response_images = {*media};
    response.jump_url = "https://merchant.example.com/after-sales";
    response.jump_url_text = "售后页面";
    REQUIRE(outcome(env.run(env.client().async_respond_complaint(id, response))) == "ok");
    c = env.run(env.client().async_complaint(id));
    REQUIRE(outcome(c) == "ok");
    CHECK(c->complaint_state == "PROCESSING");

    wechatpay::negotiation_request history{id, 10, 0};
    auto h = env.run(env.client().async_complaint_negotiations(history));
    REQUIRE(outcome(h) == "ok");
    REQUIRE(h->data.size() == 2);
    CHECK(h->total_count == 2);
    CHECK(h->data[0].operate_type == "USER_CREATE_COMPLAINT");
    CHECK(h->data[1].operate_type == "MERCHANT_RESPONSE");
    CHECK(h->data[1].operate_details == "已为您退款，请查收");
    REQUIRE(h->data[1].complaint_media_list);
    REQUIRE(h->data[1].complaint_media_list->media_url.size() == 1);
    std::string answer_got;
    auto back = env.run(env.client().async_download_complaint_image(h->data[1].complaint_media_list->media_url[0],
        wechatpay::download_sink([&answer_got](std::string_view piece) -> wechatpay::result<void> {
            answer_got += piece;
            return {};
        })));
    REQUIRE(outcome(back) == "ok");
    CHECK(answer_got == answer_picture);
    history.offset = 1;
    h = env.run(env.client().async_complaint_negotiations(history));
    REQUIRE(outcome(h) == "ok");
    REQUIRE(h->data.size() == 1);
    CHECK_FALSE(h->total_count);  // WeChat gives it with offset 0 only

    REQUIRE(outcome(env.run(env.client().async_complete_complaint(id))) == "ok");
    c = env.run(env.client().async_complaint(id));
    REQUIRE(outcome(c) == "ok");
    CHECK(c->complaint_state == "PROCESSED");
    // A processed complaint takes no more answers; a continued complaint does.
    auto late = env.run(env.client().async_respond_complaint(id, response));
    CHECK(errc_of(late) == errc::api_error);
    CHECK(late.error().api_code == "INVALID_REQUEST");
    payer_event(env, id, "CONTINUE_COMPLAINT", "还是没有收到退款");
    c = env.run(env.client().async_complaint(id));
    REQUIRE(outcome(c) == "ok");
    CHECK(c->complaint_state == "PENDING");
    CHECK(c->user_complaint_times == 2);
    CHECK(outcome(env.run(env.client().async_respond_complaint(id, response))) == "ok");

    auto unknown = env.run(env.client().async_complaint("200201820991231000000000000"));
    CHECK(errc_of(unknown) == errc::api_error);
    CHECK(unknown.error().http_status == 404);
}

TEST_CASE("client: refund requests are approved or rejected once; other complaints have none", "[client][complaints]") {
    client_env env;
    const std::string phone = watched_phone("13900139002");
    const std::string approve_id = file_complaint(env, {{"out_trade_no", paid_order(env)}, {"detail", "要求退款"},
                                                        {"phone", phone}, {"problem_type", "REFUND"},
                                                        {"apply_refund_amount", 100}});
    const std::string reject_id = file_complaint(env, {{"out_trade_no", paid_order(env)}, {"detail", "要求退款"},
                                                       {"phone", phone}, {"problem_type", "REFUND"},
                                                       {"apply_refund_amount", 50}});
    const std::string other_id =
        file_complaint(env, {{"out_trade_no", paid_order(env)}, {"detail", "服务不好"}, {"phone", phone}});

    auto detail = env.run(env.client().async_complaint(approve_id));
    REQUIRE(outcome(detail) == "ok");
    CHECK(detail->problem_type == "REFUND");
    CHECK(detail->apply_refund_amount == 100);

    wechatpay::refund_progress approve{"APPROVE", 3, "", {}, "同意退款"};
    REQUIRE(outcome(env.run(env.client().async_update_refund_progress(approve_id, approve))) == "ok");
    auto again = env.run(env.client().async_update_refund_progress(approve_id, approve));
    CHECK(errc_of(again) == errc::api_error);
    CHECK(again.error().api_code == "INVALID_REQUEST");

    auto media = env.run(env.client().async_upload_complaint_image({"evidence.png", png_image(2048, 'e')}));
    REQUIRE(outcome(media) == "ok");
    wechatpay::refund_progress reject{"REJECT", std::nullopt, "商品已使用，不支持退款", {*media}, ""};
    REQUIRE(outcome(env.run(env.client().async_update_refund_progress(reject_id, reject))) == "ok");
    detail = env.run(env.client().async_complaint(reject_id));
    REQUIRE(outcome(detail) == "ok");
    CHECK(detail->complaint_state == "PROCESSED");  // a rejection closes it

    auto not_refund = env.run(env.client().async_update_refund_progress(other_id, approve));
    CHECK(errc_of(not_refund) == errc::api_error);
    CHECK(not_refund.error().api_code == "INVALID_REQUEST");
}

TEST_CASE("client: the complaint notification URL is created, queried, updated and deleted", "[client][complaints]") {
    client_env env;
    auto none = env.run(env.client().async_query_complaint_notify_url());
    CHECK(errc_of(none) == errc::api_error);
    CHECK(none.error().http_status == 404);

    auto created = env.run(env.client().async_create_complaint_notify_url("https://merchant.example.com/complaints"));
    REQUIRE(outcome(created) == "ok");
    CHECK(created->url == "https://merchant.example.com/complaints");
    CHECK(created->mchid == shared_keys::get().setup.mchid);
    auto twice = env.run(env.client().async_create_complaint_notify_url("https://merchant.example.com/other"));
    CHECK(errc_of(twice) == errc::api_error);

    auto updated = env.run(env.client().async_update_complaint_notify_url("https://merchant.example.com/v2/complaints"));
    REQUIRE(outcome(updated) == "ok");
    auto queried = env.run(env.client().async_query_complaint_notify_url());
    REQUIRE(outcome(queried) == "ok");
    CHECK(queried->url == "https://merchant.example.com/v2/complaints");

    REQUIRE(outcome(env.run(env.client().async_delete_complaint_notify_url())) == "ok");
    CHECK(errc_of(env.run(env.client().async_query_complaint_notify_url())) == errc::api_error);
    CHECK(errc_of(env.run(env.client().async_delete_complaint_notify_url())) == errc::api_error);
}

TEST_CASE("client: a complaint notification is handled once however often WeChat redelivers it",
          "[client][complaints][notification]") {
    notify_receiver receiver(3);  // 500 to the first three deliveries: the simulator retries
    client_env env;
    REQUIRE(outcome(env.run(env.client().async_create_complaint_notify_url(receiver.url()))) == "ok");
    const std::string id = file_complaint(env, {{"out_trade_no", paid_order(env)}, {"detail", "未收到商品"},
                                                {"phone", watched_phone("13700137003")}});
    const auto deliveries = receiver.wait_for(4);
    REQUIRE(deliveries.size() >= 4);

    const auto handler = env.client().notifications();
    std::atomic<int> effects{0};
    std::string seen_id, seen_action;
    const wechatpay::notification_effect effect = [&](const wechatpay::notification& n) -> asio::awaitable<wechatpay::result<void>> {
        ++effects;
        auto e = n.complaint_event();
        if (!e) co_return e.error();
        seen_id = e->complaint_id;
        seen_action = e->action_type;
        co_return wechatpay::result<void>{};
    };
    std::set<std::string> ids;
    for (const auto& d : deliveries) {
        auto parsed = handler.parse(d.headers, d.body);
        REQUIRE(outcome(parsed) == "ok");
        CHECK(parsed->event_type == "COMPLAINT.CREATE");
        CHECK(parsed->is_complaint());
        CHECK_FALSE(parsed->is_transaction());
        ids.insert(parsed->id);
        auto reply = env.run(handler.async_handle(d.headers, d.body, effect));
        CHECK(reply.status == 204);
    }
    CHECK(ids.size() == 1);  // one notification, delivered again and again
    CHECK(effects == 1);
    CHECK(seen_id == id);
    CHECK(seen_action == "CREATE_COMPLAINT");

    // What the merchant and the payer do next arrives as COMPLAINT.STATE_CHANGE.
    payer_event(env, id, "USER_RESPONSE", "请尽快处理");
    const auto later = receiver.wait_for(deliveries.size() + 1);
    REQUIRE(later.size() == deliveries.size() + 1);
    auto change = handler.parse(later.back().headers, later.back().body);
    REQUIRE(outcome(change) == "ok");
    CHECK(change->event_type == "COMPLAINT.STATE_CHANGE");
    auto event = change->complaint_event();
    REQUIRE(outcome(event) == "ok");
    CHECK(event->action_type == "USER_RESPONSE");
    auto c = env.run(env.client().async_complaint(id));
    REQUIRE(outcome(c) == "ok");
    CHECK(c->incoming_user_response);
}

TEST_CASE("client: complaints page by limit and offset; a range beyond 30 days is walked in windows",
          "[client][complaints]") {
    client_env env;
    const std::string phone = watched_phone("13600136004");
    std::set<std::string> filed;
    for (int i = 0; i < 3; ++i)
        filed.insert(file_complaint(env, {{"out_trade_no", paid_order(env)}, {"detail", "第" + std::to_string(i) + "次"},
                                          {"phone", phone}}));

    auto first = env.run(env.client().async_list_complaints(today_list(2)));
    REQUIRE(outcome(first) == "ok");
    CHECK(first->data.size() == 2);
    CHECK(first->total_count == 3);
    auto second_req = today_list(2);
    second_req.offset = 2;
    auto second = env.run(env.client().async_list_complaints(second_req));
    REQUIRE(outcome(second) == "ok");
    CHECK(second->data.size() == 1);

    wechatpay::complaint_list_request range;
    range.begin_date = days_ago_cst(75);
    range.end_date = today_cst();
    range.limit = 1;
    const auto before = env.sim_requests("/v3/merchant-service/complaints-v2");
    auto all = env.run(env.client().async_list_all_complaints(range));
    REQUIRE(outcome(all) == "ok");
    std::set<std::string> got;
    for (const auto& c : *all) {
        got.insert(c.complaint_id);
        CHECK(c.payer_phone == phone);
    }
    CHECK(got == filed);
    // Three windows (31 + 31 + 14 days); the last one paged one by one: 3 complaints + the empty end.
    CHECK(env.sim_requests("/v3/merchant-service/complaints-v2") - before == 2 + 4);

    // A single page may not span more than 30 days: refused before any I/O.
    const auto requests = env.sim_requests();
    auto too_long = env.run(env.client().async_list_complaints(range));
    CHECK(errc_of(too_long) == errc::invalid_argument);
    CHECK(too_long.error().detail.find("end_date") != std::string::npos);
    CHECK(env.sim_requests() == requests);
}

TEST_CASE("client: complaint requests WeChat would refuse are refused before any I/O, naming the field",
          "[client][complaints][validation]") {
    client_env env;
    auto& c = env.client();
    const auto requests = env.sim_requests();
    auto names = [](const auto& r, std::string_view field) { return names_field(r, field); };

    auto list = today_list(0);
    CHECK(names(env.run(c.async_list_complaints(list)), "limit"));
    list.limit = 51;
    CHECK(names(env.run(c.async_list_complaints(list)), "limit"));
    list = today_list();
    list.offset = -1;
    CHECK(names(env.run(c.async_list_complaints(list)), "offset"));
    list = today_list();
    list.begin_date = "2026-02-30";
    CHECK(names(env.run(c.async_list_complaints(list)), "begin_date"));
    list = today_list();
    list.begin_date = days_ago_cst(0);
    list.end_date = days_ago_cst(1);
    CHECK(names(env.run(c.async_list_complaints(list)), "end_date"));
    CHECK(names(env.run(c.async_list_all_complaints(list)), "end_date"));
    list = today_list();
    list.complainted_mchid = "19000&x=1";
    CHECK(names(env.run(c.async_list_complaints(list)), "complainted_mchid"));

    CHECK(names(env.run(c.async_complaint("")), "complaint_id"));
    CHECK(names(env.run(c.async_complaint(std::string(65, '1'))), "complaint_id"));
    CHECK(names(env.run(c.async_complaint_negotiations({"200201820", 301, 0})), "limit"));
    CHECK(names(env.run(c.async_complete_complaint("")), "complaint_id"));

    wechatpay::complaint_response r;
    CHECK(names(env.run(c.async_respond_complaint("200201820", r)), "/response_content"));
    r.response_content = std::string(201, 'x');
    CHECK(names(env.run(c.async_respond_complaint("200201820", r)), "/response_content"));
    r.response_content = "好的";
    r.response_images = {"a", "b", "c", "d", "e"};
    CHECK(names(env.run(c.async_respond_complaint("200201820", r)), "/response_images"));
    r.response_images = {"bad/id"};
    CHECK(names(env.run(c.async_respond_complaint("200201820", r)), "/response_images/0"));
    r.response_images.clear();
    r.jump_url = "https://merchant.example.com/x";
    CHECK(names(env.run(c.async_respond_complaint("200201820", r)), "/jump_url_text"));
    r.jump_url = "http://merchant.example.com/x";
    r.jump_url_text = "售后";
    CHECK(names(env.run(c.async_respond_complaint("200201820", r)), "/jump_url"));
    r.jump_url = "https://merchant.example.com/x";
    r.jump_url_text = "一二三四五六七八九十一";
    CHECK(names(env.run(c.async_respond_complaint("200201820", r)), "/jump_url_text"));

    CHECK(names(env.run(c.async_update_refund_progress("200201820", {"MAYBE", {}, "", {}, ""})), "/action"));
    CHECK(names(env.run(c.async_update_refund_progress("200201820", {"REJECT", {}, "", {}, ""})), "/reject_reason"));
    CHECK(names(env.run(c.async_update_refund_progress("200201820", {"REJECT", 3, "不退", {}, ""})), "/launch_refund_day"));
    CHECK(names(env.run(c.async_update_refund_progress("200201820", {"APPROVE", -1, "", {}, ""})), "/launch_refund_day"));
    CHECK(names(env.run(c.async_update_refund_progress("200201820", {"APPROVE", 1, "不退", {}, ""})), "/reject_reason"));
    CHECK(names(env.run(c.async_update_refund_progress("200201820", {"REJECT", {}, "不退", {"1", "2", "3", "4", "5"}, ""})),
                "/reject_media_list"));

    CHECK(names(env.run(c.async_create_complaint_notify_url("")), "/url"));
    CHECK(names(env.run(c.async_create_complaint_notify_url("http://merchant.example.com/n")), "/url"));
    CHECK(names(env.run(c.async_update_complaint_notify_url("https://merchant.example.com/n?x=1")), "/url"));
    CHECK(names(env.run(c.async_create_complaint_notify_url("https://merchant.example.com/" + std::string(250, 'n'))), "/url"));

    CHECK(names(env.run(c.async_upload_complaint_image({"a.gif", "GIF89a"})), "a.gif"));
    CHECK(names(env.run(c.async_download_complaint_image("../etc/passwd", wechatpay::download_sink(
                    [](std::string_view) -> wechatpay::result<void> { return {}; }))),
                "media_id"));
    CHECK(names(env.run(c.async_download_complaint_image("https://evil.example.com/x", std::filesystem::path("x"))),
                "media_url"));

    CHECK(env.sim_requests() == requests);
}

TEST_CASE("secrets watch: a phone number is found however it is written", "[client][complaints][secrets]") {
    const std::string phone = watched_phone("13500135005");
    CHECK(secrets::contains_secret("payer 13500135005"));
    CHECK(secrets::contains_secret("payer +86 135-0013-5005."));
    CHECK(secrets::contains_secret("(135) 0013 5005"));
    CHECK_FALSE(secrets::contains_secret("135/0013/5005"));
    CHECK_FALSE(secrets::contains_secret("1350013500"));
}

TEST_CASE("complaints: windows of at most 30 days cover a range; answers read leniently; to_string hides the phone",
          "[client][complaints][models]") {
    wechatpay::complaint_list_request r;
    r.begin_date = "2026-01-01";
    r.end_date = "2026-03-15";
    r.offset = 7;
    auto w = r.windows();
    REQUIRE(outcome(w) == "ok");
    REQUIRE(w->size() == 3);
    CHECK((*w)[0].begin_date == "2026-01-01");
    CHECK((*w)[0].end_date == "2026-01-31");
    CHECK((*w)[1].begin_date == "2026-02-01");
    CHECK((*w)[1].end_date == "2026-03-03");
    CHECK((*w)[2].begin_date == "2026-03-04");
    CHECK((*w)[2].end_date == "2026-03-15");
    for (const auto& one : *w) {
        CHECK(outcome(one.validate()) == "ok");
        CHECK(one.offset == 0);
    }
    r.end_date = "2026-01-31";
    CHECK(outcome(r.validate()) == "ok");  // 30 days apart
    r.end_date = "2026-02-01";
    CHECK(errc_of(r.validate()) == errc::invalid_argument);
    CHECK(r.query().find("limit=10&offset=7&begin_date=2026-01-01&end_date=2026-02-01") == 0);

    auto c = wechatpay::parse_complaint(R"({"complaint_id":"2002","payer_phone":"13800138000","new_field":{"x":1},
        "complaint_media_list":[{"media_type":"USER_COMPLAINT_IMAGE","media_url":["https://h/v3/merchant-service/images/abc"]}],
        "user_tag_list":["TRUSTED"],"complaint_full_refunded":true})");
    REQUIRE(outcome(c) == "ok");
    CHECK(c->user_tag_list == std::vector<std::string>{"TRUSTED"});
    CHECK(c->complaint_full_refunded);
    CHECK(c->to_string().find("13800138000") == std::string::npos);
    CHECK(*wechatpay::complaint_media_id(c->complaint_media_list[0].media_url[0]) == "abc");
    CHECK(errc_of(wechatpay::parse_complaint(R"({"complaint_id":"1","user_tag_list":[1]})")) == errc::malformed_json);
    CHECK(errc_of(wechatpay::parse_complaint(R"({"payer_phone":"x"})")) == errc::malformed_json);
    auto e = wechatpay::parse_complaint_event(R"({"complaint_id":"2002","action_type":"REFUND_SUCCESS"})");
    REQUIRE(outcome(e) == "ok");
    CHECK(e->action_type == "REFUND_SUCCESS");
}

TEST_CASE("complaint_media_id: a bare id, or the id at the end of an image URL's path", "[complaints]") {
    using wechatpay::complaint_media_id;
    CHECK(complaint_media_id("BB04A5DEEFEA18D4F2554C1EDD3B610B.bmp").value() == "BB04A5DEEFEA18D4F2554C1EDD3B610B.bmp");
    CHECK(complaint_media_id("https://api.mch.weixin.qq.com/v3/merchant-service/images/abc-1_2.png").value() == "abc-1_2.png");
    CHECK(complaint_media_id("HTTPS://api.mch.weixin.qq.com:443/v3/merchant-service/images/x1").value() == "x1");
    for (const char* bad : {"", "a/b", "a%2Fb", "https://api.mch.weixin.qq.com/v3/merchant-service/images/",
                            "https://api.mch.weixin.qq.com/v3/merchant-service/images/a/b",
                            "https://api.mch.weixin.qq.com/v3/merchant-service/images/a?x=1",
                            "https://api.mch.weixin.qq.com/other/v3/merchant-service/images/a",
                            "https://user@host/v3/merchant-service/images/a", "ftp://host/v3/merchant-service/images/a",
                            "https://host/v3/merchant-service/images/a#f"}) {
        CAPTURE(bad);
        CHECK(errc_of(complaint_media_id(bad)) == wechatpay::errc::invalid_argument);
    }
}
