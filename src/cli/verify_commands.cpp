// verify, notify and serial: WeChat Pay's signatures and keys.
#include "commands.hpp"
#include "common.hpp"

#include <wechatpay/notification.hpp>
#include <wechatpay/verifier.hpp>

#include <array>

namespace wechatpay::cli {
namespace {

// ---- verify -----------------------------------------------------------------------------

constexpr std::array verify_options{
    option{"serial", "SERIAL", "Wechatpay-Serial", true},
    option{"timestamp", "UNIX_TIME", "Wechatpay-Timestamp", true},
    option{"nonce", "NONCE", "Wechatpay-Nonce", true},
    option{"signature", "B64", "Wechatpay-Signature", true},
    option{"body-file", "FILE", "the raw body ('-' = stdin; default: empty)"},
    certificate_option,
    public_key_option,
    public_key_id_option,
    now_option,
};

int run_verify(const args& a) {
    const signature_headers headers{a.get("timestamp"), a.get("nonce"), a.get("signature"),
                                    a.get("serial"), {}, {}, {}};
    const std::int64_t now = now_from(a);
    const verifier v = load_verifier(a);
    const std::string body = read_optional_input(a, "body-file", body_file_limit);
    unwrap(v.verify_at(headers, body, now));
    print_line("verified");
    return exit_ok;
}

// ---- notify -----------------------------------------------------------------------------

constexpr std::array notify_options{
    apiv3_key_option,
    apiv3_key_file_option,
    option{"headers-file", "FILE", "the request's headers, 'Name: value' lines ('-' = stdin)",
           true},
    option{"body-file", "FILE", "the raw request body ('-' = stdin)", true},
    certificate_option,
    public_key_option,
    public_key_id_option,
    now_option,
};

int run_notify(const args& a) {
    const std::int64_t now = now_from(a);
    const apiv3_key key = load_apiv3_key(a);
    const notification_handler handler(load_verifier(a), key);
    const auto headers =
        signature_headers::parse(read_input(a.get("headers-file"), "headers-file", headers_file_limit));
    const std::string body = read_input(a.get("body-file"), "body-file", body_file_limit);
    print_line(unwrap(handler.parse_at(headers, body, now)).resource);
    return exit_ok;
}

// ---- serial -----------------------------------------------------------------------------

constexpr std::array serial_options{
    option{"certificate", "FILE", "certificate, PEM", true},
};

int run_serial(const args& a) {
    print_line(load_certificate(a.get("certificate")).serial());
    return exit_ok;
}

}  // namespace

const command verify_command{
    "verify",
    "verify WeChat Pay's signature on an answer or a notification",
    "verify --serial SERIAL --timestamp UNIX_TIME --nonce NONCE --signature B64\n"
    "             [--body-file FILE] [--certificate FILE]...\n"
    "             [--public-key FILE --public-key-id ID] [--now UNIX_TIME]",
    "Checks the signature over TIMESTAMP\\nNONCE\\nBODY\\n and that the timestamp is within\n"
    "300 s of now. Prints \"verified\" and exits 0, or prints the reason and exits 1.\n"
    "The key is picked by --serial: a certificate's serial or the public key's id.",
    verify_options,
    0,
    run_verify,
};

const command notify_command{
    "notify",
    "verify and decrypt a notification; prints the resource JSON",
    "notify (--apiv3-key KEY | --apiv3-key-file FILE) --headers-file FILE --body-file FILE\n"
    "             [--certificate FILE]... [--public-key FILE --public-key-id ID]\n"
    "             [--now UNIX_TIME]",
    "Verifies a notification as WeChat Pay POSTed it (headers as `curl -D` writes them, and\n"
    "the exact body), decrypts its resource with the APIv3 key and prints the resource JSON.\n"
    "Exits 1 when the signature, timestamp or decryption fails.",
    notify_options,
    0,
    run_notify,
};

const command serial_command{
    "serial",
    "print a certificate's serial number",
    "serial --certificate FILE",
    "Prints the serial number in upper-case hex, as Wechatpay-Serial and serial_no carry it.",
    serial_options,
    0,
    run_serial,
};

}  // namespace wechatpay::cli
