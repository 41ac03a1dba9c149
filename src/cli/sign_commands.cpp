// sign and pay-params: signatures made with the merchant's private key.
#include "commands.hpp"
#include "common.hpp"

#include <wechatpay/crypto.hpp>
#include <wechatpay/payment_params.hpp>
#include <wechatpay/signer.hpp>

#include <array>

namespace wechatpay::cli {
namespace {

constexpr option timestamp_option{"timestamp", "UNIX_TIME", "signing time (default: now)"};
constexpr option random_nonce_option{"nonce", "NONCE", "nonce (default: 32 random characters)"};

// A signer whose clock and nonce are pinned to --timestamp and --nonce when given, so that
// the same command line always prints the same signature.
signer make_signer(const args& a, std::string mchid, std::string serial) {
    clock_function clock;
    if (const auto t = a.find(timestamp_option.name)) {
        const auto timestamp = parse_unix_time(*t, timestamp_option.name);
        clock = [timestamp] { return timestamp; };
    }
    nonce_function nonce;
    if (auto n = a.find(random_nonce_option.name)) nonce = [n = std::move(*n)] { return n; };
    return unwrap(signer::create(std::move(mchid), load_private_key(a.get(private_key_option.name)),
                                 std::move(serial), std::move(clock), std::move(nonce)));
}

// ---- sign -------------------------------------------------------------------------------

constexpr std::array sign_options{
    private_key_option,
    option{"message-file", "FILE", "sign these exact bytes instead of a request ('-' = stdin)"},
    option{"mchid", "ID", "merchant id"},
    option{"serial", "SERIAL", "merchant certificate serial (upper-case hex)"},
    option{"method", "METHOD", "HTTP method: GET, POST, ..."},
    option{"url", "CANONICAL_URL", "path and query, e.g. /v3/certificates?x=1"},
    timestamp_option,
    random_nonce_option,
    option{"body-file", "FILE", "request body ('-' = stdin; default: empty)"},
};

// The options that describe a request, meaningless with --message-file.
constexpr std::array request_options{"mchid", "serial", "method", "url", "timestamp", "nonce",
                                     "body-file"};

int run_sign(const args& a) {
    if (const auto path = a.find("message-file")) {
        for (const auto* name : request_options) a.forbid(name, "does not go with --message-file");
        const auto key = load_private_key(a.get(private_key_option.name));
        const std::string message = read_input(*path, "message-file", message_file_limit);
        print_line(base64_encode(unwrap(key.sign_sha256(message))));
        return exit_ok;
    }
    const std::string& method = a.get("method");
    const std::string& url = a.get("url");
    const signer s = make_signer(a, a.get("mchid"), a.get("serial"));
    const std::string body = read_optional_input(a, "body-file", body_file_limit);
    print_line(unwrap(s.sign_request(method, url, body)).authorization);
    return exit_ok;
}

// ---- pay-params -------------------------------------------------------------------------

constexpr std::array pay_params_options{
    private_key_option,
    option{"appid", "APPID", "the app's or official account's appid", true},
    option{"mchid", "ID", "merchant id (the app's partnerid)", true},
    option{"prepay-id", "ID", "prepay_id from the prepay call", true},
    timestamp_option,
    random_nonce_option,
};

int run_pay_params(const args& a) {
    const std::string& kind = a.positionals().front();
    if (kind != "app" && kind != "jsapi") usage_error("pay-params: the kind must be app or jsapi");
    // The second signature names no certificate, so the signer's serial is never used.
    const signer s = make_signer(a, a.get("mchid"), "-");
    const std::string& appid = a.get("appid");
    const std::string& prepay_id = a.get("prepay-id");
    print_line(kind == "app" ? to_json(unwrap(s.app_payment_for(appid, prepay_id)))
                             : to_json(unwrap(s.jsapi_payment_for(appid, prepay_id))));
    return exit_ok;
}

}  // namespace

const command sign_command{
    "sign",
    "sign a request (Authorization header) or raw bytes with the merchant key",
    "sign --private-key FILE --mchid ID --serial SERIAL --method METHOD --url CANONICAL_URL\n"
    "             [--timestamp UNIX_TIME --nonce NONCE] [--body-file FILE]\n"
    "sign --private-key FILE --message-file FILE",
    "With a request, prints the Authorization header value:\n"
    "  WECHATPAY2-SHA256-RSA2048 mchid=\"...\",nonce_str=\"...\",timestamp=\"...\",...\n"
    "signed over METHOD\\nCANONICAL_URL\\nTIMESTAMP\\nNONCE\\nBODY\\n. Give --timestamp and\n"
    "--nonce for a reproducible signature. With --message-file, prints the base64\n"
    "SHA256withRSA signature of the file's exact bytes.",
    sign_options,
    0,
    run_sign,
};

const command pay_params_command{
    "pay-params",
    "payment parameters for an app (app) or a JSAPI page / mini-program (jsapi)",
    "pay-params app|jsapi --private-key FILE --appid APPID --mchid ID --prepay-id ID\n"
    "             [--timestamp UNIX_TIME] [--nonce NONCE]",
    "Prints the JSON object the front end needs to open the payment sheet, with its signature:\n"
    "  app:   appid, partnerid, prepayid, package, noncestr, timestamp, sign\n"
    "  jsapi: appId, timeStamp, nonceStr, package, signType, paySign",
    pay_params_options,
    1,
    run_pay_params,
};

}  // namespace wechatpay::cli
