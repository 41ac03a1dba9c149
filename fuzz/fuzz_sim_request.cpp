// Feeds: a sequence of requests to the simulator's api::handle, each signed in-process by the
// merchant so that it passes authentication and reaches WeChat's request validation and the
// state machine (prepay, query, close, refund, bills, download, certificates). Requests are
// separated by a line "==="; each is "METHOD TARGET" on its first line, then the body. Two
// pseudo-methods stand for what the simulator does outside the API: "PAY out_trade_no" (the
// control API's pay) and "COMPLETE out_refund_no" (the refund delay passing). Expects: no crash
// and no exception; every answer that is not 204 or a file download is a JSON object.
#include "sim_setup.hpp"

#include <boost/json.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto& world = fuzz::sim_world::get();
    fuzz::sim_instance sim;
    std::string_view rest = fuzz::as_view(data, size);
    for (int i = 0; i < 8 && !rest.empty(); ++i) {
        const auto [request, next] = fuzz::split(rest, "\n===\n");
        rest = next;
        const auto [line, body] = fuzz::split(request, "\n");
        const auto [method, target] = fuzz::split(line, " ");
        const std::string id(target);
        if (method == "PAY") {
            wechatpay::sim::store::change why{};
            sim.store.pay(std::string(fuzz::mchid), id, "", "", fuzz::now, why);
            continue;
        }
        if (method == "COMPLETE") {
            sim.store.complete_refund(std::string(fuzz::mchid), id, fuzz::now);
            continue;
        }
        auto authorization = world.authorization(method, target, body);
        if (!authorization) continue;
        const wechatpay::sim::incoming in{std::string(method), id, std::string(body), std::move(*authorization),
                                          "application/json", ""};
        const auto answer = sim.api.handle(in, fuzz::now);
        if (answer.status != 204 && answer.sign) {
            boost::system::error_code ec;
            const auto doc = boost::json::parse(answer.body, ec);
            fuzz::must(!ec && doc.is_object(), "answers are JSON objects");
        }
    }
    return 0;
}
