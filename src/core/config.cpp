#include <wechatpay/config.hpp>
#include <wechatpay/requests.hpp>

#include "core/config_text.hpp"
#include "core/files.hpp"
#include "core/json_strict.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>

namespace wechatpay {

namespace fs = std::filesystem;
namespace json = boost::json;

const char* to_string(log_level l) noexcept {
    switch (l) {
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::warning: return "warning";
    case log_level::error: return "error";
    }
    return "unknown";
}

namespace {

// Fields are named as in the JSON file ("pool.max_sessions"), whichever way the config was made.
error invalid(std::string_view field, std::string_view why) {
    return error(errc::invalid_argument, std::string(field) + ": " + std::string(why));
}

bool all_digits(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

// A host name or address, not a URL: "https://api.mch.weixin.qq.com" is a common slip.
// A DNS name or an IP address (IPv6 in brackets): it becomes the Host header, the TLS server
// name and part of error messages.
bool plain_host(std::string_view host) {
    return host.size() <= 253 && std::all_of(host.begin(), host.end(), [](unsigned char c) {
               return std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']';
           });
}

bool has_control_character(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c < ' ' || c == 0x7f; });
}

// Why an entry of unsigned_download_paths cannot be one, or nullopt. An entry exempts answers
// from verification, so it must say plainly which paths: an absolute origin-form path without
// query or fragment, nothing escaped (an answer's path is compared byte for byte, and a path
// holding an escaped '.', '/' or '\\' never gets the exemption anyway), no empty, "." or ".."
// segment (a gateway that normalises paths would serve another endpoint under it), and never
// "/" alone, which would exempt every answer.
std::optional<std::string> unsigned_path_error(std::string_view path) {
    if (!path.starts_with("/")) return "must start with /";
    if (path == "/") return "would exempt every answer from verification";
    if (path.find_first_of("?#") != std::string_view::npos) return "must be a path, without ? or #";
    if (path.find('%') != std::string_view::npos) return "must be written without %-escapes";
    if (!is_origin_form(path)) return "holds a character a path cannot";
    // The segments between the slashes; a final '/' (a folder) leaves an empty last one.
    std::string_view rest = path.substr(1);
    for (bool last = false; !last;) {
        const auto slash = rest.find('/');
        last = slash == std::string_view::npos;
        const std::string_view segment = rest.substr(0, slash);
        if (segment == "." || segment == "..") return "must not hold a . or .. segment";
        if (segment.empty() && !last) return "must not hold an empty segment (//)";
        if (!last) rest.remove_prefix(slash + 1);
    }
    return std::nullopt;
}

// The error of loading `field` from `file`: names both, never the content.
error file_error(std::string_view field, const fs::path& file, const error& e) {
    // A file_unreadable detail names the file already (quoted) and says why.
    if (e.is(errc::file_unreadable)) return error(e.code, std::string(field) + ": file cannot be read: " + e.detail);
    return error(e.code, std::string(field) + ": " + wechatpay::excerpt(file.string(), 256) + ": " + e.detail);
}

template <class T>
result<T> load_file(result<T> (*from_file)(const fs::path&), std::string_view field, const fs::path& file) {
    auto loaded = from_file(file);
    if (!loaded) return file_error(field, file, loaded.error());
    return loaded;
}

result<apiv3_key> load_apiv3_key(std::string_view field, std::string_view text) {
    auto key = apiv3_key::from(text);
    if (!key) return error(key.error().code, std::string(field) + ": must be 32 bytes, " + key.error().detail);
    return key;
}

// ---- JSON file ------------------------------------------------------------------------------

std::string format_number(double d) {
    std::ostringstream out;
    out << d;
    return std::move(out).str();
}

// Reads the settings of one object of the config file. Absent and null keys leave the default;
// a key of the wrong type records an error naming it ("pool.max_sessions: must be …"). The
// first error wins; later reads do nothing.
class settings_reader {
public:
    // Every duration of the file: ~24.8 days at most, far from any chrono overflow.
    static constexpr std::int64_t max_duration = 2147483647;

    settings_reader(const json::object& obj, std::string prefix, std::optional<error>& failure)
        : obj_(obj), prefix_(std::move(prefix)), failure_(failure) {}

    void text(std::string_view key, std::string& out) const {
        if (auto* v = find(key)) {
            if (auto* s = v->if_string()) out = *s;
            else fail(key, "must be a string");
        }
    }
    void path(std::string_view key, fs::path& out) const {
        std::string s;
        text(key, s);
        if (!s.empty()) out = s;
    }
    void paths(std::string_view key, std::vector<fs::path>& out) const { strings(key, out, "file names"); }
    // Replaces `out` when the key is there.
    void texts(std::string_view key, std::vector<std::string>& out) const {
        if (!find(key)) return;
        std::vector<std::string> items;
        strings(key, items, "strings");
        if (!failure_) out = std::move(items);
    }
    // An integer in [min, max]: 2.5 and "2" are not integers; 1e12 or -1 are out of range
    // (an exponent form with a whole value in range, 1e3, is the integer it means).
    template <class Int>
    void integer(std::string_view key, Int& out, std::int64_t min, std::int64_t max) const {
        auto* v = find(key);
        if (!v) return;
        const std::string range = "from " + std::to_string(min) + " to " + std::to_string(max);
        bool in_range = false;
        std::int64_t n = 0;
        if (auto* i = v->if_int64()) n = *i, in_range = n >= min && n <= max;
        else if (v->is_uint64()) in_range = false;  // above INT64_MAX: above every max here
        else if (auto* d = v->if_double(); d && *d == std::floor(*d)) {
            in_range = *d >= static_cast<double>(min) && *d <= static_cast<double>(max);
            if (in_range) n = static_cast<std::int64_t>(*d);
        } else return fail(key, "must be an integer " + range);
        if (!in_range) return fail(key, "out of range: must be an integer " + range);
        out = static_cast<Int>(n);
    }
    // A finite number in [min, max].
    void number(std::string_view key, double& out, double min, double max) const {
        auto* v = find(key);
        if (!v) return;
        if (!v->is_number()) return fail(key, "must be a number");
        const double d = v->to_number<double>();
        if (!(d >= min && d <= max)) return fail(key, "out of range: must be a number from " + format_number(min) + " to " + format_number(max));
        out = d;
    }
    void boolean(std::string_view key, bool& out) const {
        if (auto* v = find(key)) {
            if (auto* b = v->if_bool()) out = *b;
            else fail(key, "must be true or false");
        }
    }
    template <class Rep, class Period>
    void duration(std::string_view key, std::chrono::duration<Rep, Period>& out, std::int64_t min,
                  std::int64_t max = max_duration) const {
        Rep count = out.count();
        integer(key, count, min, max);
        out = std::chrono::duration<Rep, Period>(count);
    }
    // Refuses every key of this object not in `known` (a typo would otherwise be ignored).
    void allow(std::initializer_list<std::string_view> known) const {
        if (auto key = unknown_key(obj_, known)) refuse_key(*key);
    }
    void refuse_key(std::string_view key) const {
        if (!failure_) failure_ = error(errc::invalid_argument, "unknown key " + wechatpay::excerpt(name(key), 128));
    }
    void required(std::string_view key) const {
        if (!find(key)) fail(key, "required");
    }
    // A nested object, or nothing when the key is absent (or on a type error).
    std::optional<settings_reader> object(std::string_view key) const {
        auto* v = find(key);
        if (!v) return std::nullopt;
        if (auto* o = v->if_object()) return settings_reader(*o, name(key) + ".", failure_);
        fail(key, "must be an object");
        return std::nullopt;
    }
    std::string name(std::string_view key) const { return prefix_ + std::string(key); }
    const json::object& fields() const { return obj_; }
    // `key`, another name of the setting `plain` already read into `out`: both may be given
    // only with the same value.
    void synonym(std::string_view key, std::string_view plain, std::string& out) const {
        std::string value;
        text(key, value);
        if (value.empty()) return;
        if (!out.empty() && out != value) return fail(key, "differs from " + std::string(plain) + " (the same setting)");
        out = std::move(value);
    }

private:
    template <class T>
    void strings(std::string_view key, std::vector<T>& out, std::string_view what) const {
        auto* v = find(key);
        if (!v) return;
        auto* arr = v->if_array();
        if (!arr || !std::all_of(arr->begin(), arr->end(), [](const json::value& x) { return x.is_string(); }))
            return fail(key, "must be an array of " + std::string(what));
        for (const auto& x : *arr) out.emplace_back(std::string(x.get_string()));
    }
    const json::value* find(std::string_view key) const {
        if (failure_) return nullptr;
        auto* v = obj_.if_contains(key);
        return v && !v->is_null() ? v : nullptr;
    }
    void fail(std::string_view key, std::string_view why) const {
        if (!failure_) failure_ = invalid(name(key), why);
    }

    const json::object& obj_;
    std::string prefix_;
    std::optional<error>& failure_;
};

// Parses the file's text: a syntax error names the line it is on, a duplicated key its path.
result<json::object> parse_config(std::string_view text, const fs::path& file) {
    auto value = parse_json_strict(text);
    if (!value) return error(value.error().code, wechatpay::excerpt(file.string(), 256) + ": " + value.error().detail);
    if (!value->is_object()) return error(errc::invalid_argument, wechatpay::excerpt(file.string(), 256) + ": not a JSON object");
    return std::move(value->as_object());
}

// "rate_limits": documented_rates(), then each class named: WeChat's limit (a number), or a
// bucket ({"per_second", "burst"}; a per_second of 0: unlimited).
void read_rate_limits(const settings_reader& limits, rate_table& out) {
    out = documented_rates();
    constexpr double most = 1e6;  // far above any merchant's rate; keeps waits finite
    for (const auto& [key, value] : limits.fields()) {
        if (value.is_null()) continue;  // null, as everywhere in the file: the default
        std::size_t i = 0;
        while (i < endpoint_class_count && key != to_string(static_cast<endpoint_class>(i))) ++i;
        if (i == endpoint_class_count) return limits.refuse_key(key);
        if (value.is_object()) {
            auto bucket = limits.object(key);
            if (!bucket) return;
            bucket->allow({"per_second", "burst"});
            bucket->required("per_second");
            rate r;
            bucket->number("per_second", r.per_second, 0, most);
            bucket->number("burst", r.burst, 1, most);
            out[i] = r;
        } else {
            double limit = 0;
            limits.number(key, limit, 0, most);
            out[i] = limit > 0 ? rate::under(limit) : rate{};
        }
    }
}

// Every plain setting of the file into `cfg`, and the key files and secrets into `keys`.
void read_settings(const settings_reader& root, client_config& cfg, key_sources& keys) {
    root.allow({"mchid", "appid", "merchant", "apiv3_key", "wechatpay", "endpoint", "pool", "timeouts", "retry",
                "user_agent", "certificate_refresh_s", "unsigned_download_paths", "sp_mchid", "sp_appid", "sub_mchid",
                "sub_appid", "rate_limits"});
    root.text("mchid", cfg.mchid);
    root.text("appid", cfg.appid);
    // A service provider's mchid and appid may be written sp_mchid and sp_appid (partner.hpp).
    root.synonym("sp_mchid", "mchid", cfg.mchid);
    root.synonym("sp_appid", "appid", cfg.appid);
    root.text("sub_mchid", cfg.sub_mchid);
    root.text("sub_appid", cfg.sub_appid);
    if (auto m = root.object("merchant")) {
        m->allow({"private_key", "certificate", "serial"});
        m->path("private_key", keys.private_key);
        m->path("certificate", keys.certificate);
        m->text("serial", cfg.merchant_serial);
    }
    root.text("apiv3_key", keys.apiv3);
    if (auto w = root.object("wechatpay")) {
        w->allow({"certificates", "public_key"});
        w->paths("certificates", keys.platform_certificates);
        if (auto p = w->object("public_key")) {
            p->allow({"id", "file"});
            keys.has_public_key = true;
            p->text("id", keys.public_key_id);
            p->path("file", keys.public_key_file);
        }
    }
    if (auto e = root.object("endpoint")) {
        e->allow({"host", "backup_host", "port", "ca_file"});
        e->text("host", cfg.endpoint.host);
        e->text("backup_host", cfg.endpoint.backup_host);
        e->integer("port", cfg.endpoint.port, 1, 65535);
        e->path("ca_file", cfg.endpoint.ca_file);
    }
    if (auto p = root.object("pool")) {
        p->allow({"max_sessions", "idle_timeout_ms", "max_age_ms", "acquire_timeout_ms", "keep_alive"});
        p->integer("max_sessions", cfg.pool.max_sessions, 1, 100000);
        p->duration("idle_timeout_ms", cfg.pool.idle_timeout, 1);
        p->duration("max_age_ms", cfg.pool.max_age, 1);
        p->duration("acquire_timeout_ms", cfg.pool.acquire_timeout, 1);
        p->boolean("keep_alive", cfg.pool.keep_alive);
    }
    if (auto t = root.object("timeouts")) {
        t->allow({"connect_ms", "request_ms"});
        t->duration("connect_ms", cfg.timeouts.connect, 1);
        t->duration("request_ms", cfg.timeouts.request, 1);
    }
    if (auto r = root.object("retry")) {
        r->allow({"max_attempts", "base_delay_ms", "max_delay_ms", "rate_limited_delay_ms"});
        r->integer("max_attempts", cfg.retry.max_attempts, 1, 100);
        r->duration("base_delay_ms", cfg.retry.base_delay, 0);
        r->duration("max_delay_ms", cfg.retry.max_delay, 0);
        r->duration("rate_limited_delay_ms", cfg.retry.rate_limited_delay, 0);
    }
    root.text("user_agent", cfg.user_agent);
    root.duration("certificate_refresh_s", cfg.certificate_refresh, 1, 30 * 24 * 3600);
    // The whole list when given (the defaults included only if listed); validate() checks each.
    root.texts("unsigned_download_paths", cfg.unsigned_download_paths);
    if (auto limits = root.object("rate_limits")) read_rate_limits(*limits, cfg.rate_limits.emplace());
}

// ---- environment ----------------------------------------------------------------------------

result<std::uint16_t> parse_port(std::string_view name, std::string_view text) {
    std::uint16_t port = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (ec != std::errc() || end != text.data() + text.size() || port == 0)
        return invalid(name, "must be a port number from 1 to 65535");
    return port;
}

std::vector<fs::path> split_paths(std::string_view list) {
    std::vector<fs::path> out;
    while (!list.empty()) {
        const auto colon = list.find(':');
        const auto item = list.substr(0, colon);
        if (!item.empty()) out.emplace_back(std::string(item));
        if (colon == std::string_view::npos) break;
        list.remove_prefix(colon + 1);
    }
    return out;
}

}  // namespace

// ---- client_config --------------------------------------------------------------------------

result<void> client_config::validate() const {
    if (mchid.empty()) return invalid("mchid", "required");
    if (!all_digits(mchid)) return invalid("mchid", "must be digits only");
    if (!sub_mchid.empty() && !all_digits(sub_mchid)) return invalid("sub_mchid", "must be digits only");
    if (!merchant_key) return invalid("merchant.private_key", "required");
    if (!merchant_certificate && merchant_serial.empty())
        return invalid("merchant.certificate", "required (or merchant.serial)");
    // A certificate serial is hex (as `openssl x509 -noout -serial` prints it); it is sent in
    // the Authorization header.
    if (!merchant_serial.empty() && (merchant_serial.size() > 64 || !std::all_of(merchant_serial.begin(), merchant_serial.end(), [](unsigned char c) {
                                         return std::isxdigit(c) != 0;
                                     })))
        return invalid("merchant.serial", "must be the certificate's serial number in hex");
    if (merchant_certificate) {
        if (!merchant_certificate->matches(*merchant_key))
            return error(errc::key_mismatch, "merchant.certificate: serial " + merchant_certificate->serial() +
                                                 " does not belong to merchant.private_key");
        if (!merchant_serial.empty() && !boost::beast::iequals(merchant_serial, merchant_certificate->serial()))
            return invalid("merchant.serial", excerpt(merchant_serial) + " differs from merchant.certificate's serial " +
                                                  merchant_certificate->serial());
    }
    if (!apiv3 && downloads_certificates())
        return invalid("apiv3_key",
                       "required to download platform certificates (or set wechatpay.certificates or "
                       "wechatpay.public_key)");
    // It is sent as the Wechatpay-Serial header: letters, digits and '_' only.
    if (wechatpay_public_key && !valid_public_key_id(wechatpay_public_key->id))
        return invalid("wechatpay.public_key.id", "must start with PUB_KEY_ID_ and hold only letters, digits and _");
    if (certificate_refresh.count() <= 0) return invalid("certificate_refresh_s", "must be > 0");

    if (endpoint.host.empty()) return invalid("endpoint.host", "required");
    if (!plain_host(endpoint.host)) return invalid("endpoint.host", "must be a host name, not a URL");
    if (!plain_host(endpoint.backup_host)) return invalid("endpoint.backup_host", "must be a host name, not a URL");
    if (endpoint.port == 0) return invalid("endpoint.port", "must not be 0");

    if (pool.max_sessions < 1) return invalid("pool.max_sessions", "must be ≥ 1");
    if (pool.idle_timeout.count() <= 0) return invalid("pool.idle_timeout_ms", "must be > 0");
    if (pool.max_age.count() <= 0) return invalid("pool.max_age_ms", "must be > 0");
    if (pool.acquire_timeout.count() <= 0) return invalid("pool.acquire_timeout_ms", "must be > 0");
    if (timeouts.connect.count() <= 0) return invalid("timeouts.connect_ms", "must be > 0");
    if (timeouts.request.count() <= 0) return invalid("timeouts.request_ms", "must be > 0");

    if (retry.max_attempts < 1) return invalid("retry.max_attempts", "must be ≥ 1");
    if (retry.base_delay.count() < 0) return invalid("retry.base_delay_ms", "must be ≥ 0");
    if (retry.max_delay < retry.base_delay) return invalid("retry.max_delay_ms", "must be ≥ retry.base_delay_ms");
    if (retry.rate_limited_delay.count() < 0) return invalid("retry.rate_limited_delay_ms", "must be ≥ 0");
    // It becomes an HTTP header: a line break would inject another.
    if (has_control_character(user_agent)) return invalid("user_agent", "must not contain control characters");
    for (std::size_t i = 0; i < unsigned_download_paths.size(); ++i)
        if (auto why = unsigned_path_error(unsigned_download_paths[i]))
            return invalid("unsigned_download_paths[" + std::to_string(i) + "]", excerpt(unsigned_download_paths[i]) + " " + *why);
    return {};
}

std::string client_config::to_string() const {
    std::ostringstream out;
    auto line = [&](std::string_view name, const auto& value) { out << name << ": " << value << '\n'; };
    auto or_none = [](const std::string& s) { return s.empty() ? std::string("(none)") : s; };

    line("mchid", or_none(mchid));
    line("appid", or_none(appid));
    if (!sub_mchid.empty()) line("sub_mchid", sub_mchid);
    if (!sub_appid.empty()) line("sub_appid", sub_appid);
    line("merchant.private_key", merchant_key ? "(redacted)" : "(none)");
    line("merchant.certificate", merchant_certificate ? "serial " + merchant_certificate->serial() : "(none)");
    line("merchant.serial", or_none(merchant_serial));
    line("apiv3_key", apiv3 ? "(redacted)" : "(none)");
    std::string serials;
    for (const auto& c : wechatpay_certificates) serials += (serials.empty() ? "" : ", ") + c.serial();
    if (serials.empty()) serials = downloads_certificates() ? "(downloaded from /v3/certificates)" : "(none)";
    line("wechatpay.certificates", serials);
    line("wechatpay.public_key.id", wechatpay_public_key ? wechatpay_public_key->id : "(none)");
    line("certificate_refresh_s", certificate_refresh.count());
    line("endpoint.host", endpoint.host);
    line("endpoint.backup_host", or_none(endpoint.backup_host));
    line("endpoint.port", endpoint.port);
    line("endpoint.ca_file", endpoint.ca_file.empty() ? "(system store)" : endpoint.ca_file.string());
    line("pool.max_sessions", pool.max_sessions);
    line("pool.idle_timeout_ms", pool.idle_timeout.count());
    line("pool.max_age_ms", pool.max_age.count());
    line("pool.acquire_timeout_ms", pool.acquire_timeout.count());
    line("pool.keep_alive", pool.keep_alive ? "true" : "false");
    line("timeouts.connect_ms", timeouts.connect.count());
    line("timeouts.request_ms", timeouts.request.count());
    line("retry.max_attempts", retry.max_attempts);
    line("retry.base_delay_ms", retry.base_delay.count());
    line("retry.max_delay_ms", retry.max_delay.count());
    line("retry.rate_limited_delay_ms", retry.rate_limited_delay.count());
    line("user_agent", user_agent);
    std::string unsigned_paths;
    for (const auto& p : unsigned_download_paths) unsigned_paths += (unsigned_paths.empty() ? "" : ", ") + p;
    line("unsigned_download_paths", unsigned_paths.empty() ? std::string("(none)") : unsigned_paths);
    std::string limits;
    for (std::size_t i = 0; rate_limits && i < endpoint_class_count; ++i)
        if (const rate& r = (*rate_limits)[i]; r.limited())
            limits += (limits.empty() ? "" : ", ") + std::string(wechatpay::to_string(static_cast<endpoint_class>(i))) +
                      " " + format_number(r.per_second) + "/s burst " + format_number(r.burst);
    line("rate_limits", rate_limiter ? "(a rate_limiter is set)" : limits.empty() ? "(none)" : limits);
    line("logger", logger ? "set" : "(none)");
    return std::move(out).str();
}

// ---- loading --------------------------------------------------------------------------------

result<void> read_client_config_text(std::string_view text, const fs::path& file, client_config& cfg,
                                     key_sources& keys) {
    auto root = parse_config(text, file);
    if (!root) return root.error();
    std::optional<error> failure;
    read_settings(settings_reader(*root, "", failure), cfg, keys);
    if (failure) return *failure;
    if (keys.has_public_key && keys.public_key_id.empty()) return invalid("wechatpay.public_key.id", "required");
    if (keys.has_public_key && keys.public_key_file.empty()) return invalid("wechatpay.public_key.file", "required");
    return {};
}

result<client_config> load_client_config(const fs::path& file) {
    auto text = read_file(file, config_file_limit);
    if (!text) return error(errc::file_unreadable, "config file cannot be read: " + text.error().detail);
    client_config cfg;
    key_sources keys;
    auto read = read_client_config_text(*text, file, cfg, keys);
    secure_wipe(*text);  // the file may hold the APIv3 key
    if (!read) return read.error();

    // Relative file names are relative to the config file, wherever the program runs.
    const fs::path dir = file.parent_path();
    auto resolve = [&](const fs::path& p) { return p.is_absolute() ? p : dir / p; };

    if (!keys.private_key.empty()) {
        auto key = load_file(&private_key::from_file, "merchant.private_key", resolve(keys.private_key));
        if (!key) return key.error();
        cfg.merchant_key = std::move(*key);
    }
    if (!keys.certificate.empty()) {
        auto cert = load_file(&certificate::from_file, "merchant.certificate", resolve(keys.certificate));
        if (!cert) return cert.error();
        cfg.merchant_certificate = std::move(*cert);
    }
    if (!keys.apiv3.empty()) {
        auto key = load_apiv3_key("apiv3_key", keys.apiv3);
        if (!key) return key.error();
        cfg.apiv3 = std::move(*key);
    }
    for (std::size_t i = 0; i < keys.platform_certificates.size(); ++i) {
        const std::string field = "wechatpay.certificates[" + std::to_string(i) + "]";
        auto cert = load_file(&certificate::from_file, field, resolve(keys.platform_certificates[i]));
        if (!cert) return cert.error();
        cfg.wechatpay_certificates.push_back(std::move(*cert));
    }
    if (keys.has_public_key) {
        auto key = load_file(&public_key::from_file, "wechatpay.public_key.file", resolve(keys.public_key_file));
        if (!key) return key.error();
        cfg.wechatpay_public_key = wechatpay::wechatpay_public_key{keys.public_key_id, std::move(*key)};
    }
    if (!cfg.endpoint.ca_file.empty()) cfg.endpoint.ca_file = resolve(cfg.endpoint.ca_file);

    if (auto ok = cfg.validate(); !ok) return ok.error();
    return cfg;
}

result<client_config> client_config_from_env(const std::function<const char*(const char*)>& getenv) {
    // An unset and an empty variable mean the same: not configured.
    auto env = [&](const char* name) -> std::string {
        const char* v = getenv ? getenv(name) : std::getenv(name);
        return v ? v : "";
    };

    client_config cfg;
    cfg.mchid = env("WECHATPAY_MCHID");
    cfg.appid = env("WECHATPAY_APPID");
    cfg.sub_mchid = env("WECHATPAY_SUB_MCHID");
    cfg.sub_appid = env("WECHATPAY_SUB_APPID");
    cfg.merchant_serial = env("WECHATPAY_SERIAL");

    if (const auto file = env("WECHATPAY_PRIVATE_KEY_FILE"); !file.empty()) {
        auto key = load_file(&private_key::from_file, "WECHATPAY_PRIVATE_KEY_FILE", file);
        if (!key) return key.error();
        cfg.merchant_key = std::move(*key);
    }
    if (const auto file = env("WECHATPAY_CERTIFICATE_FILE"); !file.empty()) {
        auto cert = load_file(&certificate::from_file, "WECHATPAY_CERTIFICATE_FILE", file);
        if (!cert) return cert.error();
        cfg.merchant_certificate = std::move(*cert);
    }

    std::string apiv3_text = env("WECHATPAY_APIV3_KEY");
    const std::string apiv3_file = env("WECHATPAY_APIV3_KEY_FILE");
    if (!apiv3_text.empty() && !apiv3_file.empty())
        return invalid("WECHATPAY_APIV3_KEY_FILE", "set either it or WECHATPAY_APIV3_KEY, not both");
    std::string_view apiv3_name = "WECHATPAY_APIV3_KEY";
    if (!apiv3_file.empty()) {
        auto text = read_file(apiv3_file, apiv3_key_file_limit);
        if (!text) return file_error("WECHATPAY_APIV3_KEY_FILE", apiv3_file, text.error());
        apiv3_text = std::move(*text);
        // Editors and `echo` end the file with a newline that is not part of the key.
        while (!apiv3_text.empty() && (apiv3_text.back() == '\n' || apiv3_text.back() == '\r'))
            apiv3_text.pop_back();
        apiv3_name = "WECHATPAY_APIV3_KEY_FILE";
    }
    if (!apiv3_text.empty()) {
        auto key = load_apiv3_key(apiv3_name, apiv3_text);
        secure_wipe(apiv3_text);
        if (!key) return key.error();
        cfg.apiv3 = std::move(*key);
    }

    for (const auto& file : split_paths(env("WECHATPAY_PLATFORM_CERTIFICATES"))) {
        auto cert = load_file(&certificate::from_file, "WECHATPAY_PLATFORM_CERTIFICATES", file);
        if (!cert) return cert.error();
        cfg.wechatpay_certificates.push_back(std::move(*cert));
    }

    const std::string public_key_file = env("WECHATPAY_PUBLIC_KEY_FILE");
    const std::string public_key_id = env("WECHATPAY_PUBLIC_KEY_ID");
    if (!public_key_file.empty() && public_key_id.empty())
        return invalid("WECHATPAY_PUBLIC_KEY_ID", "required with WECHATPAY_PUBLIC_KEY_FILE");
    if (public_key_file.empty() && !public_key_id.empty())
        return invalid("WECHATPAY_PUBLIC_KEY_FILE", "required with WECHATPAY_PUBLIC_KEY_ID");
    if (!public_key_file.empty()) {
        auto key = load_file(&public_key::from_file, "WECHATPAY_PUBLIC_KEY_FILE", public_key_file);
        if (!key) return key.error();
        cfg.wechatpay_public_key = wechatpay::wechatpay_public_key{public_key_id, std::move(*key)};
    }

    if (auto host = env("WECHATPAY_HOST"); !host.empty()) cfg.endpoint.host = std::move(host);
    if (auto host = env("WECHATPAY_BACKUP_HOST"); !host.empty()) cfg.endpoint.backup_host = std::move(host);
    if (const auto port = env("WECHATPAY_PORT"); !port.empty()) {
        auto p = parse_port("WECHATPAY_PORT", port);
        if (!p) return p.error();
        cfg.endpoint.port = *p;
    }
    if (auto ca = env("WECHATPAY_CA_FILE"); !ca.empty()) cfg.endpoint.ca_file = std::move(ca);

    if (auto ok = cfg.validate(); !ok) return ok.error();
    return cfg;
}

}  // namespace wechatpay
