// Feeds: an Authorization header value to the simulator's parse_authorization, then to
// api::handle with a fixed request (GET /v3/certificates) at the fuzz clock, so that the whole
// authentication (merchant, timestamp window, serial, base64, RSA signature) runs on it. The
// seed carries a valid signature by the merchant (wechatpay-go's test key). Expects: no crash;
// a parsed header, written back in the canonical form, parses to the same fields; every answer
// that is not 204 is a JSON object.
#include "sim_setup.hpp"

#include "sim/auth.hpp"

#include <boost/json.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string header(fuzz::as_view(data, size));
    if (const auto a = wechatpay::sim::parse_authorization(header)) {
        const std::string canonical = "WECHATPAY2-SHA256-RSA2048 mchid=\"" + a->mchid + "\",nonce_str=\"" +
                                      a->nonce_str + "\",timestamp=\"" + a->timestamp + "\",serial_no=\"" +
                                      a->serial_no + "\",signature=\"" + a->signature + "\"";
        const auto again = wechatpay::sim::parse_authorization(canonical);
        fuzz::must(again && again->mchid == a->mchid && again->nonce_str == a->nonce_str &&
                       again->timestamp == a->timestamp && again->serial_no == a->serial_no &&
                       again->signature == a->signature,
                   "authorization round trip");
    }
    fuzz::sim_instance sim;
    const auto answer = sim.api.handle({"GET", "/v3/certificates", "", header, "", ""}, fuzz::now);
    if (answer.status != 204) {
        boost::system::error_code ec;
        const auto doc = boost::json::parse(answer.body, ec);
        fuzz::must(!ec && doc.is_object(), "answers are JSON objects");
    }
    return 0;
}
