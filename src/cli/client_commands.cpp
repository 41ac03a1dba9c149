// request and certificates: talk to WeChat Pay (or the simulator) with the client.
#include "commands.hpp"
#include "client_run.hpp"
#include "common.hpp"

#include <wechatpay/client.hpp>

#include <boost/asio/io_context.hpp>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

namespace wechatpay::cli {
namespace {

namespace asio = boost::asio;

// ---- request ----------------------------------------------------------------------------

constexpr std::array request_options{
    config_option,
    option{"body-file", "FILE", "request body, JSON ('-' = stdin)"},
    option{"header", "'NAME: VALUE'", "an extra request header", false, true},
    option{"serial", "SERIAL", "Wechatpay-Serial to send (the key that encrypted the body's fields)"},
    option{"upload", "FILE", "send FILE as a multipart upload (meta + file; POST only)"},
    option{"out", "FILE", "GET only: stream a 2xx answer's body into FILE (a download), not stdout"},
};

int run_request_out(const std::string& config, const std::string& method, const std::string& target,
                    const std::string& file);

constexpr file_limit upload_file_limit{max_video_bytes, "an upload (WeChat Pay takes at most 5 MiB)"};

// The answer's status and Request-ID on stderr. True for an error answer without a signature
// (401 SIGN_ERROR, a gateway's 502): shown, but no verified answer, so the command exits 1.
bool report_status(const api_response& res) {
    const bool unsigned_error = !res.verified && res.status / 100 != 2;
    std::cerr << "HTTP " << res.status
              << (res.verified ? " (signature verified)"
                  : unsigned_error ? " (unsigned error answer: not verified)"
                                   : " (file download: not signed)")
              << ", Request-ID " << (res.request_id.empty() ? "-" : excerpt(res.request_id, 128)) << "\n";
    return unsigned_error;
}

// --header 'Name: value' as given; the client refuses the names and values it must.
std::pair<std::string, std::string> header_of(const std::string& arg) {
    const auto colon = arg.find(':');
    if (colon == std::string::npos) usage_error("request: --header " + excerpt(arg) + " is not 'NAME: VALUE'");
    std::string_view value = std::string_view(arg).substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    return {arg.substr(0, colon), std::string(value)};
}

int run_request(const args& a) {
    const std::string method = a.positionals()[0], target = a.positionals()[1];
    // Checked before the client exists (it may download certificates at once): both are sent
    // and signed as written, so a line break in either could smuggle a header or a request.
    if (!is_api_method(method))
        usage_error("request: METHOD " + excerpt(method) + " is not GET, POST, PUT, PATCH or DELETE");
    if (!is_origin_form(target))
        usage_error("request: PATH " + excerpt(target) +
                    " is not /path?query (RFC 3986 characters; percent-encode the rest as %XX; no #fragment)");
    if (const auto out = a.find("out")) {
        for (const char* other : {"upload", "header", "serial", "body-file"})
            a.forbid(other, "--out downloads: GET with no body or extra headers");
        return run_request_out(a.get("config"), method, target, *out);
    }
    wechatpay::request_options options;
    for (const auto& h : a.all("header")) {
        options.headers.push_back(header_of(h));
        unwrap(check_extra_header(options.headers.back().first, options.headers.back().second), "request: --header");
    }
    options.serial = a.find("serial").value_or("");
    if (!options.serial.empty() && !valid_key_serial(options.serial))
        usage_error("request: --serial " + excerpt(options.serial) + " is neither a certificate serial nor a PUB_KEY_ID_…");
    std::optional<upload_file> upload;
    if (const auto file = a.find("upload")) {
        a.forbid("body-file", "--upload sends the file as the body");
        if (method != "POST") usage_error("request: --upload goes with POST");
        if (!options.headers.empty() || !options.serial.empty())
            usage_error("request: --upload takes no --header or --serial");
        upload = upload_file{std::filesystem::path(*file).filename().string(), read_input(*file, "upload", upload_file_limit)};
        unwrap(check_upload(target.substr(0, target.find('?')), *upload), "request: --upload");
    }
    const std::string body = read_optional_input(a, "body-file", body_file_limit);
    auto answer = run_client<api_response>(a.get("config"), [&](client& c, auto done) {
        if (upload) c.async_upload(target, std::move(*upload), std::move(done));
        else c.async_request(method, target, body, std::move(options), std::move(done));
    });
    const api_response res = unwrap(std::move(answer));
    const bool unsigned_error = report_status(res);
    print(res.body);
    if (!res.body.empty() && res.body.back() != '\n') print("\n");
    return unsigned_error ? exit_failure : exit_ok;
}

// `request GET PATH --out FILE`: the body streamed into FILE (renamed onto it once whole), the
// status on stderr; another status than 2xx prints its body on stdout and writes no file.
int run_request_out(const std::string& config, const std::string& method, const std::string& target,
                    const std::string& file) {
    if (method != "GET") usage_error("request: --out downloads: METHOD must be GET");
    auto answer = run_client<api_response>(config, [&](client& c, auto done) {
        c.async_download_to(target, file, std::move(done));
    });
    const api_response res = unwrap(std::move(answer));
    const bool unsigned_error = report_status(res);
    if (res.status / 100 == 2) {
        std::cerr << "saved " << file << "\n";
    } else {
        print(res.body);
        if (!res.body.empty() && res.body.back() != '\n') print("\n");
    }
    return unsigned_error ? exit_failure : exit_ok;
}

// ---- bill -------------------------------------------------------------------------------

constexpr std::array bill_options{
    config_option,
    option{"date", "YYYY-MM-DD", "the bill's day", true},
    option{"type", "TYPE", "trade: ALL (default), SUCCESS, REFUND, RECHARGE_REFUND; fundflow: BASIC (default), OPERATION, FEES"},
    option{"gzip", "", "download it gzip-compressed (tar_type=GZIP); it is inflated on the way"},
    option{"out", "FILE", "stream the bill into FILE (any size); without it, on stdout (at most 64 MiB)"},
    option{"sub-mchid", "MCHID", "a service provider's sub-merchant: its trade bill, or its encrypted fund-flow bill"},
};

// A sub-merchant's fund-flow bill: its encrypted files decrypted with the merchant key and
// joined, each checked against its SHA1 (client::async_partner_download_fundflow_bill).
int run_sub_fundflow_bill(const args& a, const sub_fundflow_bill_request& req) {
    if (auto ok = req.validate(); !ok) usage_error("bill: " + ok.error().detail);
    const auto out = a.find("out");
    std::string in_memory;
    auto answer = run_client<sub_fundflow_bill_download>(a.get("config"), [&](client& c, auto done) {
        if (out) return c.async_partner_download_fundflow_bill(req, std::filesystem::path(*out), std::move(done));
        download_sink keep = [&in_memory](std::string_view piece) -> result<void> {
            if (in_memory.size() + piece.size() > client::max_bill_in_memory)
                return error(errc::body_too_large, "bill larger than 64 MiB: use --out");
            in_memory += piece;
            return {};
        };
        c.async_partner_download_fundflow_bill(req, std::move(keep), std::move(done));
    });
    const sub_fundflow_bill_download d = unwrap(std::move(answer));
    if (out) std::cerr << "saved " << *out << ": ";
    else print(in_memory);
    std::cerr << d.bill_bytes << " bytes (" << d.received_bytes << " received) in " << d.parts.size()
              << " encrypted file(s), each SHA1 verified, Request-ID " << (d.request_id.empty() ? "-" : d.request_id)
              << "\n";
    return exit_ok;
}

int run_bill(const args& a) {
    const std::string kind = a.positionals()[0];
    if (kind != "trade" && kind != "fundflow") usage_error("bill: KIND must be trade or fundflow");
    const bool trade = kind == "trade";
    const std::string date = a.get("date"), type = a.find("type").value_or(trade ? "ALL" : "BASIC");
    const bool gzip = a.has("gzip");
    const auto checked = trade ? trade_bill_request{date, type, gzip}.validate()
                               : fundflow_bill_request{date, type, gzip}.validate();
    if (!checked) usage_error("bill: " + checked.error().detail);
    const auto out = a.find("out");
    const auto sub_mchid = a.find("sub-mchid");
    if (sub_mchid && sub_mchid->empty()) usage_error("bill: --sub-mchid must not be empty");
    if (sub_mchid && !trade) return run_sub_fundflow_bill(a, sub_fundflow_bill_request{*sub_mchid, date, type, gzip});
    std::string in_memory;
    auto answer = run_client<bill_download>(a.get("config"), [&](client& c, auto done) {
        auto download = [&c, &out, &in_memory, done = std::move(done)](result<bill_info> info) mutable {
            if (!info) return done(info.error());
            if (out) return c.async_download_bill_to(std::move(*info), std::filesystem::path(*out), std::move(done));
            c.async_download_bill(std::move(*info), [&in_memory, done = std::move(done)](result<std::string> r) mutable {
                if (!r) return done(r.error());
                in_memory = std::move(*r);
                done(bill_download{0, in_memory.size(), {}, {}});
            });
        };
        if (sub_mchid) c.async_partner_trade_bill(*sub_mchid, trade_bill_request{date, type, gzip}, std::move(download));
        else if (trade) c.async_trade_bill(trade_bill_request{date, type, gzip}, std::move(download));
        else c.async_fundflow_bill(fundflow_bill_request{date, type, gzip}, std::move(download));
    });
    const bill_download d = unwrap(std::move(answer));
    if (out) {
        std::cerr << "saved " << *out << ": " << d.bill_bytes << " bytes (" << d.received_bytes
                  << " received), SHA1 " << d.sha1 << " verified, Request-ID "
                  << (d.request_id.empty() ? "-" : d.request_id) << "\n";
    } else {
        print(in_memory);
        std::cerr << d.bill_bytes << " bytes, SHA1 verified\n";
    }
    return exit_ok;
}

// ---- certificates -----------------------------------------------------------------------

constexpr std::array certificates_options{
    config_option,
    option{"out", "DIR", "save each certificate as DIR/wechatpay_SERIAL.pem"},
};

std::string iso_date(std::chrono::system_clock::time_point t) {
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&tt));
    return buf;
}

// Where saving fails is a failed run (exit 1), like a failed download: the certificates the
// caller asked to keep are not there.
[[noreturn]] void save_failed(const std::string& what, int err) {
    throw cli_error(exit_failure, what + (err ? std::string(": ") + std::strerror(err) : std::string()));
}

void make_out_dir(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) save_failed("--out " + excerpt(dir, 256) + ": cannot create the directory", ec.value());
    if (!std::filesystem::is_directory(dir, ec)) save_failed("--out " + excerpt(dir, 256) + ": not a directory", 0);
}

// Checked after close: a full disk shows only when the buffer is flushed.
void save(const std::filesystem::path& file, const std::string& text) {
    errno = 0;
    std::ofstream f(file, std::ios::binary | std::ios::trunc);
    if (f) f << text;
    if (f.is_open()) f.close();
    if (!f) save_failed("cannot write " + excerpt(file.string(), 256), errno);
}

int run_certificates(const args& a) {
    auto certs = unwrap(run_client<std::vector<certificate>>(
        a.get("config"), [](client& c, auto done) { c.async_certificates(std::move(done)); }));
    const auto out = a.find("out");
    if (out) make_out_dir(*out);
    for (const auto& c : certs) {
        print_line(c.serial() + "  " + iso_date(c.not_before()) + " .. " + iso_date(c.not_after()));
        if (out) save(std::filesystem::path(*out) / ("wechatpay_" + c.serial() + ".pem"), c.pem());
    }
    if (certs.empty()) std::cerr << "no platform certificates (a WeChat Pay public key merchant)\n";
    return exit_ok;
}

}  // namespace

const command request_command{
    "request",
    "send a signed request to WeChat Pay and verify the answer (like curl)",
    "request METHOD PATH --config FILE [--body-file FILE] [--header 'NAME: VALUE']... [--serial SERIAL]\n"
    "request POST PATH --config FILE --upload FILE\n"
    "request GET PATH --config FILE --out FILE",
    "Signs METHOD PATH (path?query) with the merchant key, sends it on the configured endpoint,\n"
    "verifies the answer's signature, prints the body on stdout and the status and Request-ID\n"
    "on stderr. --upload sends FILE as WeChat's upload endpoints take it (parts meta and file,\n"
    "the signature over meta; type and size checked first), the endpoint's answer on stdout.\n"
    "Answers of file downloads (client_config::unsigned_download_paths, e.g.\n"
    "/v3/billdownload/file) are not signed and not verified; --out streams a 2xx body into\n"
    "FILE (written beside it, renamed onto it once whole).\n"
    "Exit 0 for a verified answer of any HTTP status, 1 when the answer fails\n"
    "verification or none came, or for an error answer WeChat did not sign (401 SIGN_ERROR,\n"
    "a gateway's 5xx: the body is printed, stderr says unsigned), 2 for a usage or config error.",
    request_options,
    2,
    run_request,
};

const command bill_command{
    "bill",
    "download a trade or fund-flow bill, checked against its SHA1",
    "bill trade|fundflow --config FILE --date YYYY-MM-DD [--type TYPE] [--gzip] [--out FILE] [--sub-mchid MCHID]",
    "Asks for the day's bill (GET /v3/bill/tradebill or /v3/bill/fundflowbill), downloads it,\n"
    "inflates it when --gzip and checks its SHA1 against the hash WeChat gave. With --out the\n"
    "bill streams into FILE (memory bounded whatever its size; FILE appears only once the hash\n"
    "matched) and a summary goes to stderr; without it the bill is printed on stdout. Exit 0\n"
    "for a verified bill, 1 for an API error (400 STATEMENT_CREATING before 10:00 the next\n"
    "day, NO_STATEMENT_EXIST), a hash mismatch or a failed download, 2 for a usage or config\n"
    "error. A service provider names a sub-merchant with --sub-mchid: its trade bill\n"
    "(tradebill?sub_mchid=), or its fund-flow bill (/v3/bill/sub-merchant-fundflowbill: files\n"
    "encrypted to the merchant certificate, decrypted with the config's key and joined).",
    bill_options,
    1,
    run_bill,
};

const command certificates_command{
    "certificates",
    "download, verify and decrypt WeChat Pay's platform certificates",
    "certificates --config FILE [--out DIR]",
    "Downloads /v3/certificates, checks the answer's signature against the certificates it\n"
    "carries, decrypts them with the APIv3 key and prints SERIAL NOT_BEFORE .. NOT_AFTER;\n"
    "--out saves each one (creating DIR). Exit 0 when all are verified (and saved), 1 when\n"
    "the answer fails verification, none came, DIR cannot be created or a file cannot be\n"
    "written, 2 for a usage or config error.",
    certificates_options,
    0,
    run_certificates,
};

}  // namespace wechatpay::cli
