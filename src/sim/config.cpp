// Loading the simulator's JSON config, and generating a self-contained test setup.
#include <wechatpay/sim/simulator.hpp>
#include <wechatpay/verifier.hpp>

#include "sim/config.hpp"

#include "core/files.hpp"
#include "core/json_strict.hpp"
#include "sim/api.hpp"
#include "sim/notifier.hpp"
#include "sim/pki.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <optional>
#include <utility>
#include <vector>

namespace wechatpay::sim {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t max_ms = 2147483647;  // ~24.8 days: far from chrono overflow

// Reads fields with errors that name them ("merchants[0].apiv3_key: …").
class reader {
public:
    reader(const json::object& o, std::string where, fs::path base) : o_(o), where_(std::move(where)), base_(std::move(base)) {}

    std::string name(std::string_view key) const { return where_.empty() ? std::string(key) : where_ + "." + std::string(key); }
    error fail(std::string_view key, const std::string& why) const { return error(errc::invalid_argument, name(key) + ": " + why); }
    error fail(std::string_view key, const error& e) const {
        return error(e.code, name(key) + ": " + e.code.message() + (e.detail.empty() ? "" : " (" + e.detail + ")"));
    }
    const json::value* get(std::string_view key) const { return o_.if_contains(key); }

    result<std::string> string(std::string_view key, bool required = true) const {
        const auto* v = get(key);
        if (!v) return required ? result<std::string>(fail(key, "is required")) : std::string();
        if (!v->is_string()) return fail(key, "must be a string");
        return std::string(v->get_string());
    }
    result<fs::path> path(std::string_view key, bool required = true) const {
        auto s = string(key, required);
        if (!s) return s.error();
        if (s->empty()) return fs::path();
        const fs::path p(*s);
        return p.is_absolute() ? p : base_ / p;
    }
    result<double> number(std::string_view key, double fallback) const {
        const auto* v = get(key);
        if (!v) return fallback;
        if (!v->is_number()) return fail(key, "must be a number");
        return v->to_number<double>();
    }
    // An integer in [min, max] (fallback when absent): 2.5 and "2" are refused, not truncated;
    // -1 or 1e12 are out of range (an exponent form with a whole value in range is that integer).
    result<std::int64_t> integer(std::string_view key, std::int64_t fallback, std::int64_t min, std::int64_t max,
                                 std::string_view range) const {
        const auto* v = get(key);
        if (!v) return fallback;
        if (auto i = v->if_int64(); i && *i >= min && *i <= max) return *i;
        if (auto d = v->if_double(); d && *d == std::floor(*d) && *d >= static_cast<double>(min) &&
                                     *d <= static_cast<double>(max))
            return static_cast<std::int64_t>(*d);
        if (v->is_int64() || v->is_uint64() || (v->is_double() && v->get_double() == std::floor(v->get_double())))
            return fail(key, "out of range: must be an integer " + std::string(range));
        return fail(key, "must be an integer " + std::string(range));
    }
    // Refuses a key that is not in `known` (a typo would otherwise be ignored).
    result<void> allow(std::initializer_list<std::string_view> known) const {
        if (auto key = unknown_key(o_, known))
            return error(errc::invalid_argument, "unknown key " + wechatpay::excerpt(name(*key), 128));
        return {};
    }
    template <class T>
    result<T> file(std::string_view key, result<T> (*load)(const fs::path&)) const {
        auto p = path(key);
        if (!p) return p.error();
        auto v = load(*p);
        if (!v) return fail(key, v.error());
        return v;
    }

private:
    const json::object& o_;
    std::string where_;
    fs::path base_;
};

result<const json::object*> object_at(const reader& r, std::string_view key, bool required) {
    const auto* v = r.get(key);
    if (!v) return required ? result<const json::object*>(r.fail(key, "is required")) : nullptr;
    if (!v->is_object()) return r.fail(key, "must be an object");
    return &v->get_object();
}

result<const json::array*> array_at(const reader& r, std::string_view key) {
    const auto* v = r.get(key);
    if (!v) return nullptr;
    if (!v->is_array()) return r.fail(key, "must be an array");
    return &v->get_array();
}

}  // namespace

result<config> load_config(const fs::path& file) {
    auto text = read_file(file, config_file_limit);
    if (!text) return error(errc::file_unreadable, "config: cannot read " + text.error().detail);
    return load_config_text(*text, file);
}

result<config> load_config_text(std::string_view text, const fs::path& file) {
    const std::string name = wechatpay::excerpt(file.string(), 256);
    auto parsed = parse_json_strict(text);
    if (!parsed) return error(errc::invalid_argument, "config: " + name + ": " + parsed.error().detail);
    if (!parsed->is_object()) return error(errc::invalid_argument, "config: not a JSON object: " + name);
    const fs::path base = file.parent_path();
    const reader top(parsed->get_object(), "", base);
    if (auto ok = top.allow({"listen", "threads", "tls_generate_dir", "tls", "merchants", "wechatpay", "notify",
                             "idle_timeout_ms", "refund_delay_ms", "bills_at_once", "transfer_delay_ms",
                             "transfer_query_qps", "bill_part_bytes"});
        !ok)
        return ok.error();
    config cfg;

    if (top.get("listen")) {
        auto listen = top.string("listen");
        if (!listen) return listen.error();
        cfg.listen = *listen;
    }
    auto threads = top.integer("threads", 0, 0, max_threads, "from 1 to 256 (0: hardware concurrency)");
    if (!threads) return threads.error();
    cfg.threads = static_cast<unsigned>(*threads);
    auto generate = top.path("tls_generate_dir", false);
    if (!generate) return generate.error();
    cfg.tls_generate_dir = generate->empty() ? base / "out" : *generate;
    auto tls = object_at(top, "tls", false);
    if (!tls) return tls.error();
    if (*tls) {
        const reader t(**tls, "tls", base);
        if (auto ok = t.allow({"certificate", "private_key"}); !ok) return ok.error();
        auto c = t.path("certificate");
        auto k = t.path("private_key");
        if (!c) return c.error();
        if (!k) return k.error();
        cfg.tls_certificate = *c;
        cfg.tls_private_key = *k;
    }

    auto merchants = array_at(top, "merchants");
    if (!merchants) return merchants.error();
    if (!*merchants || (*merchants)->empty()) return top.fail("merchants", "at least one merchant is required");
    for (std::size_t i = 0; i < (*merchants)->size(); ++i) {
        const auto& item = (**merchants)[i];
        const std::string where = "merchants[" + std::to_string(i) + "]";
        if (!item.is_object()) return error(errc::invalid_argument, where + ": must be an object");
        const reader m(item.get_object(), where, base);
        if (auto ok = m.allow({"mchid", "certificate", "apiv3_key", "appids", "refund_notify_url",
                                 "profit_sharing_notify_url", "sub_merchants"}); !ok)
            return ok.error();
        auto mchid = m.string("mchid");
        if (!mchid) return mchid.error();
        auto cert = m.file<certificate>("certificate", &certificate::from_file);
        if (!cert) return cert.error();
        auto key_text = m.string("apiv3_key");
        if (!key_text) return key_text.error();
        auto key = apiv3_key::from(*key_text);
        if (!key) return m.fail("apiv3_key", key.error());
        std::vector<std::string> appids;
        auto list = array_at(m, "appids");
        if (!list) return list.error();
        if (*list)
            for (const auto& a : **list) {
                if (!a.is_string()) return m.fail("appids", "must be strings");
                appids.emplace_back(a.get_string());
            }
        auto refund_url = m.string("refund_notify_url", false);
        if (!refund_url) return refund_url.error();
        auto split_url = m.string("profit_sharing_notify_url", false);
        if (!split_url) return split_url.error();
        cfg.merchants.push_back({*mchid, std::move(appids), *cert, *key, *refund_url, *split_url, {}});
        auto subs = array_at(m, "sub_merchants");
        if (!subs) return subs.error();
        if (*subs)
            for (std::size_t j = 0; j < (*subs)->size(); ++j) {
                const auto& sub_item = (**subs)[j];
                const std::string sub_where = where + ".sub_merchants[" + std::to_string(j) + "]";
                if (!sub_item.is_object()) return error(errc::invalid_argument, sub_where + ": must be an object");
                const reader sr(sub_item.get_object(), sub_where, base);
                if (auto ok = sr.allow({"mchid", "appids"}); !ok) return ok.error();
                auto sub_mchid = sr.string("mchid");
                if (!sub_mchid) return sub_mchid.error();
                sub_merchant sub{*sub_mchid, {}};
                auto sub_appids = array_at(sr, "appids");
                if (!sub_appids) return sub_appids.error();
                if (*sub_appids)
                    for (const auto& a : **sub_appids) {
                        if (!a.is_string()) return sr.fail("appids", "must be strings");
                        sub.appids.emplace_back(a.get_string());
                    }
                cfg.merchants.back().sub_merchants.push_back(std::move(sub));
            }
    }

    auto wechat = object_at(top, "wechatpay", true);
    if (!wechat) return wechat.error();
    const reader w(**wechat, "wechatpay", base);
    if (auto ok = w.allow({"certificates", "public_key", "rotation_overlap_s", "certificates_not_found"}); !ok)
        return ok.error();
    if (const auto* not_found = w.get("certificates_not_found")) {
        if (!not_found->is_bool()) return w.fail("certificates_not_found", "must be true or false");
        cfg.certificates_not_found = not_found->get_bool();
    }
    auto overlap = w.integer("rotation_overlap_s", cfg.rotation_overlap.count(), 0, max_ms / 1000, "from 0 to 2147483");
    if (!overlap) return overlap.error();
    cfg.rotation_overlap = std::chrono::seconds(*overlap);
    auto certs = array_at(w, "certificates");
    if (!certs) return certs.error();
    if (*certs)
        for (std::size_t i = 0; i < (*certs)->size(); ++i) {
            const std::string where = "wechatpay.certificates[" + std::to_string(i) + "]";
            if (!(**certs)[i].is_object()) return error(errc::invalid_argument, where + ": must be an object");
            const reader c((**certs)[i].get_object(), where, base);
            if (auto ok = c.allow({"certificate", "private_key"}); !ok) return ok.error();
            auto cert = c.file<certificate>("certificate", &certificate::from_file);
            if (!cert) return cert.error();
            auto key = c.file<private_key>("private_key", &private_key::from_file);
            if (!key) return key.error();
            if (!cert->matches(*key)) return c.fail("private_key", "does not match the certificate");
            cfg.certificates.push_back({*cert, *key});
        }
    auto pk = object_at(w, "public_key", false);
    if (!pk) return pk.error();
    if (*pk) {
        const reader p(**pk, "wechatpay.public_key", base);
        if (auto ok = p.allow({"id", "private_key"}); !ok) return ok.error();
        auto id = p.string("id");
        if (!id) return id.error();
        // Sent as the Wechatpay-Serial header of every answer and notification.
        if (!valid_public_key_id(*id)) return p.fail("id", "must start with PUB_KEY_ID_ and hold only letters, digits and _");
        auto key = p.file<private_key>("private_key", &private_key::from_file);
        if (!key) return key.error();
        cfg.public_key = public_key_identity{*id, *key};
    }
    if (cfg.certificates.empty() && !cfg.public_key)
        return w.fail("certificates", "a platform certificate or a public_key is required");

    auto notify = object_at(top, "notify", false);
    if (!notify) return notify.error();
    if (*notify) {
        const reader n(**notify, "notify", base);
        if (auto ok = n.allow({"ca", "time_scale", "sign_with", "balance"}); !ok) return ok.error();
        auto ca = n.path("ca", false);
        if (!ca) return ca.error();
        cfg.notify_ca = *ca;
        if (!cfg.notify_ca.empty() && !fs::exists(cfg.notify_ca))
            return n.fail("ca", "file not found: " + wechatpay::excerpt(cfg.notify_ca.string(), 256));
        // OpenSSL reads it later, unbounded: the bounded read first refuses /dev/zero and the like.
        if (!cfg.notify_ca.empty())
            if (auto bundle = read_file(cfg.notify_ca, certificate_chain_limit); !bundle) return n.fail("ca", bundle.error());
        auto scale = n.number("time_scale", 1.0);
        if (!scale) return scale.error();
        if (!(*scale > 0 && *scale <= 1000)) return n.fail("time_scale", "out of range: must be greater than 0 and at most 1000");
        cfg.notify_time_scale = *scale;
        auto sign_with = n.string("sign_with", false);
        if (!sign_with) return sign_with.error();
        if (!sign_with->empty() && *sign_with != "certificate" && *sign_with != "public_key")
            return n.fail("sign_with", "must be \"certificate\" or \"public_key\"");
        cfg.notify_sign_with_public_key = *sign_with == "public_key";
        if (cfg.notify_sign_with_public_key && !cfg.public_key) return n.fail("sign_with", "no public_key is configured");
        auto balance = object_at(n, "balance", false);
        if (!balance) return balance.error();
        if (*balance)
            for (const auto& [front, targets] : **balance) {
                const std::string key = "balance[" + wechatpay::excerpt(front, 64) + "]";
                if (!targets.is_array()) return n.fail(key, "must be an array of \"IP:port\" strings");
                auto& list = cfg.notify_balance[std::string(front)];
                for (const auto& t : targets.get_array()) {
                    if (!t.is_string()) return n.fail(key, "must be an array of \"IP:port\" strings");
                    list.emplace_back(t.get_string());
                }
            }
    }
    // An idle timeout of 0 would close every connection before its first request.
    auto idle = top.integer("idle_timeout_ms", cfg.idle_timeout.count(), 1, max_ms, "from 1 to 2147483647");
    if (!idle) return idle.error();
    cfg.idle_timeout = std::chrono::milliseconds(*idle);
    auto delay = top.integer("refund_delay_ms", cfg.refund_delay.count(), 0, max_ms, "from 0 to 2147483647");
    if (!delay) return delay.error();
    cfg.refund_delay = std::chrono::milliseconds(*delay);
    auto transfer_delay = top.integer("transfer_delay_ms", cfg.transfer_delay.count(), 0, max_ms, "from 0 to 2147483647");
    if (!transfer_delay) return transfer_delay.error();
    cfg.transfer_delay = std::chrono::milliseconds(*transfer_delay);
    auto qps = top.integer("transfer_query_qps", cfg.transfer_query_qps, 0, 1000000, "from 0 to 1000000");
    if (!qps) return qps.error();
    cfg.transfer_query_qps = static_cast<unsigned>(*qps);
    auto part_bytes = top.integer("bill_part_bytes", static_cast<std::int64_t>(cfg.bill_part_bytes), 1,
                                  std::int64_t(1) << 40, "from 1 to 2^40");
    if (!part_bytes) return part_bytes.error();
    cfg.bill_part_bytes = static_cast<std::uint64_t>(*part_bytes);
    if (const auto* at_once = top.get("bills_at_once")) {
        if (!at_once->is_bool()) return top.fail("bills_at_once", "must be true or false");
        cfg.bills_at_once = at_once->get_bool();
    }
    if (auto why = check_config(cfg); !why) return why.error();
    return cfg;
}

result<void> check_config(const config& cfg) {
    auto invalid = [](std::string what) { return error(errc::invalid_argument, std::move(what)); };
    if (cfg.threads > max_threads) return invalid("threads: must be an integer from 1 to 256 (0: hardware concurrency)");
    if (cfg.idle_timeout.count() <= 0 || cfg.idle_timeout.count() > max_ms)
        return invalid("idle_timeout_ms: must be an integer from 1 to 2147483647");
    if (cfg.refund_delay.count() < 0 || cfg.refund_delay.count() > max_ms)
        return invalid("refund_delay_ms: must be an integer from 0 to 2147483647");
    if (cfg.transfer_delay.count() < 0 || cfg.transfer_delay.count() > max_ms)
        return invalid("transfer_delay_ms: must be an integer from 0 to 2147483647");
    if (!(cfg.notify_time_scale > 0 && cfg.notify_time_scale <= 1000))
        return invalid("notify.time_scale: out of range: must be greater than 0 and at most 1000");
    if (cfg.rotation_overlap.count() < 0 || cfg.rotation_overlap.count() > max_ms / 1000)
        return invalid("wechatpay.rotation_overlap_s: must be an integer from 0 to 2147483");
    for (std::size_t i = 0; i < cfg.merchants.size(); ++i)
        if (const auto& url = cfg.merchants[i].refund_notify_url; !url.empty() && !valid_notify_url(url))
            return invalid("merchants[" + std::to_string(i) +
                           "].refund_notify_url: must be an https URL without a query (http for loopback)");
    for (std::size_t i = 0; i < cfg.merchants.size(); ++i)
        if (const auto& url = cfg.merchants[i].profit_sharing_notify_url; !url.empty() && !valid_notify_url(url))
            return invalid("merchants[" + std::to_string(i) +
                           "].profit_sharing_notify_url: must be an https URL without a query (http for loopback)");
    if (cfg.public_key && !valid_public_key_id(cfg.public_key->id))
        return invalid("wechatpay.public_key.id: must start with PUB_KEY_ID_ and hold only letters, digits and _");
    // Requests are matched to a merchant by mchid: a second one of the same mchid would never be.
    for (std::size_t i = 0; i < cfg.merchants.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (cfg.merchants[i].mchid == cfg.merchants[j].mchid)
                return invalid("merchants[" + std::to_string(i) + "].mchid: " + wechatpay::excerpt(cfg.merchants[i].mchid) +
                               " is also merchants[" + std::to_string(j) + "]");
    if (auto ok = check_notify_balance(cfg.notify_balance); !ok) return ok;
    return check_notify_ca(cfg.notify_ca);
}

result<test_setup> generate_test_setup(const fs::path& dir, bool overwrite) {
    std::error_code fec;
    fs::create_directories(dir, fec);
    if (fec) return error(errc::file_unreadable, "cannot create " + wechatpay::excerpt(dir.string(), 256));
    // Every file this writes, so that an existing one stops it before anything is written.
    static constexpr std::pair<const char*, file_secrecy> files[] = {
        {"apiclient_key.pem", file_secrecy::secret},      {"apiclient_cert.pem", file_secrecy::public_file},
        {"platform_key.pem", file_secrecy::secret},       {"platform_cert.pem", file_secrecy::public_file},
        {"wechatpay_pub_key_private.pem", file_secrecy::secret},
        {"wechatpay_pub_key.pem", file_secrecy::public_file},
        {"simulator.json", file_secrecy::secret}};  // it holds the APIv3 key
    // The simulator writes its TLS files into tls/ when it starts: they are not to replace
    // anything either.
    // Nor is the client.json the CLI writes once the simulator listens (it needs the port).
    static constexpr const char* later_files[] = {"tls/ca.pem", "tls/server.pem", "tls/server.key", "client.json"};
    if (!overwrite) {
        std::vector<std::string> names(std::begin(later_files), std::end(later_files));
        for (const auto& [name, secrecy] : files) names.emplace_back(name);
        for (const auto& name : names)
            if (fs::exists(fs::symlink_status(dir / name, fec)))
                return error(errc::file_unreadable,
                             wechatpay::excerpt((dir / name).string(), 256) + " exists: not overwritten");
    } else {
        for (const char* name : later_files) fs::remove(dir / name, fec);  // made anew once the simulator starts
    }
    std::optional<error> failure;
    auto write = [&](const std::string& name, const std::string& text) {
        if (failure) return dir / name;
        const auto it = std::find_if(std::begin(files), std::end(files), [&](const auto& f) { return name == f.first; });
        if (auto w = write_new_file(dir / name, text, it->second, overwrite); !w && !failure) failure = w.error();
        return dir / name;
    };
    test_setup s;
    s.mchid = "1900000001";
    s.appid = "wxd678efh567hg6787";
    s.apiv3_key = random_nonce(32);
    s.public_key_id = "PUB_KEY_ID_0119000000012026112700000001";
    // The merchant doubles as a service provider with two sub-merchants (partner mode).
    s.sub_merchants = {{"1900000201", {"wxsub0000000000201"}}, {"1900000202", {"wxsub0000000000202"}}};
    try {
        const std::string ca_key = generate_rsa_key();
        const key_and_cert ca{ca_key, make_ca(ca_key, "Tenpay.com Root CA (simulated)")};
        const std::string merchant_key = generate_rsa_key(), platform_key = generate_rsa_key(),
                          pub_private = generate_rsa_key();
        const auto five_years = std::chrono::hours(24 * 365 * 5);
        s.merchant_key = write("apiclient_key.pem", merchant_key);
        s.merchant_cert = write("apiclient_cert.pem", issue_certificate(merchant_key, ca, s.mchid + " merchant (simulated)", {}, five_years));
        const auto platform_key_file = write("platform_key.pem", platform_key);
        s.platform_cert = write("platform_cert.pem", issue_certificate(platform_key, ca, "Tenpay.com sign (simulated)", {}, five_years));
        write("wechatpay_pub_key_private.pem", pub_private);
        s.wechatpay_public_key = write("wechatpay_pub_key.pem", private_key::from_pem(pub_private).value().public_part().pem());
        (void)platform_key_file;
    } catch (const std::exception& e) {
        return error(errc::crypto_failure, std::string("generate_test_setup: ") + e.what());
    }
    const json::object sim_json{
        {"listen", "127.0.0.1:0"},
        {"tls_generate_dir", "tls"},
        // sub_merchants first: scripts read the merchant's own mchid and appids as the last ones.
        {"merchants", json::array{json::object{{"sub_merchants", [&] {
                                                    json::array subs;
                                                    for (const auto& sub : s.sub_merchants)
                                                        subs.push_back(json::object{
                                                            {"mchid", sub.mchid},
                                                            {"appids", json::array(sub.appids.begin(), sub.appids.end())}});
                                                    return subs;
                                                }()},
                                               {"mchid", s.mchid},
                                               {"appids", json::array{s.appid}},
                                               {"certificate", "apiclient_cert.pem"},
                                               {"apiv3_key", s.apiv3_key}}}},
        {"wechatpay", json::object{{"certificates", json::array{json::object{{"certificate", "platform_cert.pem"},
                                                                             {"private_key", "platform_key.pem"}}}},
                                   {"public_key", json::object{{"id", s.public_key_id},
                                                               {"private_key", "wechatpay_pub_key_private.pem"}}}}}};
    write("simulator.json", json::serialize(sim_json) + "\n");
    if (failure) return *failure;
    auto cfg = load_config(dir / "simulator.json");
    if (!cfg) return cfg.error();
    s.sim = std::move(*cfg);
    return s;
}

}  // namespace wechatpay::sim
