// complaints list|show|respond|complete: a support desk's view of customer complaints 2.0.
#include "client_run.hpp"
#include "commands.hpp"
#include "common.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json.hpp>

#include <array>
#include <iostream>

namespace wechatpay::cli {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

// The complaint as WeChat sent it, payer_phone in clear (the merchant asked for it on stdout).
json::object complaint_object(const complaint& c) {
    boost::system::error_code ec;
    auto doc = json::parse(c.raw, ec);
    json::object o = !ec && doc.is_object() ? std::move(doc.as_object()) : json::object{};
    if (!c.payer_phone.empty()) o["payer_phone"] = c.payer_phone;
    return o;
}

json::object negotiation_object(const negotiation_record& n) {
    json::object o{{"log_id", n.log_id},
                   {"operator", n.operator_name},
                   {"operate_time", n.operate_time},
                   {"operate_type", n.operate_type},
                   {"operate_details", n.operate_details}};
    if (n.complaint_media_list) {
        json::array urls;
        for (const auto& u : n.complaint_media_list->media_url) urls.emplace_back(u);
        o["media_url"] = std::move(urls);
    }
    return o;
}

// ---- list -------------------------------------------------------------------------------

constexpr std::array list_options{
    config_option,
    option{"from", "DATE", "first day, YYYY-MM-DD", true},
    option{"to", "DATE", "last day, YYYY-MM-DD (any span: asked 30 days at a time)", true},
};

int run_list(const args& a) {
    complaint_list_request req;
    req.begin_date = a.get("from");
    req.end_date = a.get("to");
    req.limit = max_complaints_per_page;
    if (auto ok = req.windows(); !ok) fail(ok.error(), "--from/--to");
    auto all = unwrap(run_client<std::vector<complaint>>(
        a.get("config"), [&req](client& c, auto done) { c.async_list_all_complaints(req, std::move(done)); }));
    for (const auto& c : all) print_line(json::serialize(complaint_object(c)));
    std::cerr << all.size() << " complaint(s)\n";
    return exit_ok;
}

// ---- show -------------------------------------------------------------------------------

constexpr std::array show_options{config_option};

struct complaint_with_history {
    complaint detail;
    negotiation_page history;
};

asio::awaitable<result<complaint_with_history>> show_op(client& c, std::string id) {
    auto detail = co_await c.async_complaint(id);
    if (!detail) co_return detail.error();
    negotiation_request all_of_it{id, max_negotiations_per_page, 0};  // named: no braced temporary in a co_await
    auto history = co_await c.async_complaint_negotiations(std::move(all_of_it));
    if (!history) co_return history.error();
    co_return complaint_with_history{std::move(*detail), std::move(*history)};
}

int run_show(const args& a) {
    const std::string id = a.positionals()[0];
    auto got = unwrap(run_client_coroutine<complaint_with_history>(a.get("config"),
                                                                   [&id](client& c) { return show_op(c, id); }),
                      "complaint " + excerpt(id));
    json::object o = complaint_object(got.detail);
    json::array history;
    for (const auto& n : got.history.data) history.emplace_back(negotiation_object(n));
    o["negotiation_history"] = std::move(history);
    print_line(json::serialize(o));
    return exit_ok;
}

// ---- respond ----------------------------------------------------------------------------

constexpr std::array respond_options{
    config_option,
    option{"text", "TEXT", "the answer to the payer (at most 200 characters)", true},
    option{"image", "FILE", "an image to show (JPG/BMP/PNG, at most 2 MiB; at most 4)", false, true},
};

constexpr file_limit image_file_limit{max_image_bytes, "an image (WeChat Pay takes at most 2 MiB)"};

asio::awaitable<result<void>> respond_op(client& c, std::string id, complaint_response response,
                                         std::vector<upload_file> images) {
    for (auto& image : images) {
        auto media = co_await c.async_upload_complaint_image(std::move(image));
        if (!media) co_return media.error();
        response.response_images.push_back(std::move(*media));
    }
    co_return co_await c.async_respond_complaint(std::move(id), std::move(response));
}

int run_respond(const args& a) {
    const std::string id = a.positionals()[0];
    complaint_response response;
    response.complainted_mchid = "0";  // checked below with the client's own mchid filled in
    response.response_content = a.get("text");
    std::vector<upload_file> images;
    for (const auto& file : a.all("image")) {
        images.push_back({std::filesystem::path(file).filename().string(), read_input(file, "--image", image_file_limit)});
        response.response_images.push_back("checked");  // counted before anything is sent
        if (auto ok = check_upload(complaint_image_upload_target, images.back()); !ok) fail(ok.error(), "--image " + excerpt(file, 256));
    }
    if (auto ok = response.validate(); !ok) fail(ok.error(), "--text/--image");
    response.complainted_mchid.clear();
    response.response_images.clear();
    unwrap(run_client_coroutine<void>(a.get("config"),
                                      [&](client& c) { return respond_op(c, id, response, std::move(images)); }),
           "complaint " + excerpt(id));
    std::cerr << "answered complaint " << id << "\n";
    return exit_ok;
}

// ---- complete ---------------------------------------------------------------------------

constexpr std::array complete_options{config_option};

int run_complete(const args& a) {
    const std::string id = a.positionals()[0];
    unwrap(run_client<void>(a.get("config"),
                            [&id](client& c, auto done) { c.async_complete_complaint(id, std::move(done)); }),
           "complaint " + excerpt(id));
    std::cerr << "completed complaint " << id << "\n";
    return exit_ok;
}

}  // namespace

const command complaints_list_command{
    "complaints list",
    "list customer complaints filed between two days (one JSON object a line)",
    "complaints list --config FILE --from YYYY-MM-DD --to YYYY-MM-DD",
    "Prints every complaint filed from --from to --to (China time), one JSON object a line as\n"
    "WeChat Pay answers it, payer_phone decrypted with the merchant key. A span longer than\n"
    "WeChat's 30 days is asked for 30 days at a time. Exit 0 when listed, 1 for an API error\n"
    "or a failed call, 2 for a usage or config error (dates are checked first).",
    list_options,
    0,
    run_list,
};

const command complaints_show_command{
    "complaints show",
    "one complaint with its negotiation history",
    "complaints show ID --config FILE",
    "Prints the complaint (payer_phone decrypted) as one JSON object with its negotiation\n"
    "history under \"negotiation_history\". Exit 0, 1 for an API error (404 for an unknown\n"
    "complaint) or a failed call, 2 for a usage or config error.",
    show_options,
    1,
    run_show,
};

const command complaints_respond_command{
    "complaints respond",
    "answer a complaint, with up to 4 images",
    "complaints respond ID --config FILE --text TEXT [--image FILE]...",
    "Uploads each --image (checked first: JPG/BMP/PNG, at most 2 MiB, at most 4) and answers\n"
    "the payer with TEXT and those images. Exit 0 once answered, 1 for an API error (a\n"
    "processed complaint takes no answer) or a failed call, 2 for a usage or config error.",
    respond_options,
    1,
    run_respond,
};

const command complaints_complete_command{
    "complaints complete",
    "tell WeChat Pay a complaint is handled",
    "complaints complete ID --config FILE",
    "Marks the complaint PROCESSED (the payer is then asked to rate the handling). Exit 0, 1\n"
    "for an API error or a failed call, 2 for a usage or config error.",
    complete_options,
    1,
    run_complete,
};

}  // namespace wechatpay::cli
