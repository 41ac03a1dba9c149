// The client's configuration: plain aggregates with documented defaults, loadable from a JSON
// file (the same file the CLI reads) and from WECHATPAY_* environment variables. Validation
// errors name the field ("merchant.private_key: …"). Secrets print redacted.
#pragma once

#include <wechatpay/certificate_source.hpp>
#include <wechatpay/crypto.hpp>
#include <wechatpay/error.hpp>
#include <wechatpay/keys.hpp>
#include <wechatpay/notification_dedup.hpp>
#include <wechatpay/rate_limiter.hpp>
#include <wechatpay/verifier.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wechatpay {

enum class log_level { debug, info, warning, error };
const char* to_string(log_level l) noexcept;

// Called for connection events, retries, refreshes and failures. Never given a secret.
using logger_function =
    std::function<void(log_level level, std::string_view message, std::string_view request_id)>;

struct endpoint_config {
    std::string host = "api.mch.weixin.qq.com";
    // Network failures fail over here; "" = none. The default backup only backs up the default
    // host: with another host (a proxy, the simulator) there is no failover unless one is named.
    std::string backup_host = "api2.mch.weixin.qq.com";
    std::uint16_t port = 443;
    std::filesystem::path ca_file;  // PEM bundle to trust; empty = the system store
};

struct pool_config {
    std::size_t max_sessions = 64;                     // open HTTPS connections at most
    std::chrono::milliseconds idle_timeout{5000};      // below WeChat's ~8 s idle close
    std::chrono::milliseconds max_age{std::chrono::minutes(10)};  // then reconnect
    std::chrono::milliseconds acquire_timeout{5000};   // wait for a free session at most
    // false: every call sends Connection: close and opens a new connection (full TLS
    // handshake) — only to measure what the pool buys; keep the default in production.
    bool keep_alive = true;
};

struct timeout_config {
    std::chrono::milliseconds connect{5000};  // TCP connect + TLS handshake
    std::chrono::milliseconds request{10000}; // write the request + read the answer
};

struct retry_config {
    unsigned max_attempts = 3;                      // 1 = never retry
    std::chrono::milliseconds base_delay{100};      // doubled per attempt, with full jitter
    std::chrono::milliseconds max_delay{2000};
    std::chrono::milliseconds rate_limited_delay{1000};  // at least this after a 429
};

struct client_config {
    std::string mchid;
    std::string appid;  // default appid of prepays and payment parameters
    // Service providers (partner.hpp): mchid and appid above are the sp_mchid and sp_appid, and
    // the keys below the provider's. These name the sub-merchant of a partner call that names
    // none (optional; a call may name any sub-merchant bound to the provider).
    std::string sub_mchid;
    std::string sub_appid;

    // The merchant's key pair: the certificate (serial derived) or the serial.
    std::optional<private_key> merchant_key;
    std::optional<certificate> merchant_certificate;
    std::string merchant_serial;

    std::optional<apiv3_key> apiv3;  // notifications, certificate download

    // WeChat Pay's keys. With neither, platform certificates are downloaded from
    // /v3/certificates and refreshed every certificate_refresh (jittered).
    std::vector<certificate> wechatpay_certificates;
    std::optional<wechatpay::wechatpay_public_key> wechatpay_public_key;
    std::chrono::seconds certificate_refresh{std::chrono::hours(12)};

    endpoint_config endpoint;
    pool_config pool;
    timeout_config timeouts;
    retry_config retry;
    std::string user_agent = "wechatpay-asio/0.1";
    // Paths whose answers WeChat Pay does not sign (file downloads): accepted unsigned, checked
    // by their hash instead. A path matches an entry equal to it or, for an entry ending in '/',
    // under it. Every other answer must verify. Bills download from /v3/billdownload/file,
    // complaint images from /v3/merchant-service/images/{media_id}, transfer receipts from
    // /v3/transferdownload/signfile.
    // validate() takes absolute paths without query, %-escapes, empty, "." or ".." segments,
    // and never "/" alone (errors name the entry: "unsigned_download_paths[1]").
    // Transfer receipts: docs/merchant/apis/batch-transfer-to-balance/download-receipt.html names
    // https://api.mch.weixin.qq.com/v3/transferdownload/signfile?token=… as the download_url.
    std::vector<std::string> unsigned_download_paths{"/v3/billdownload/file", "/v3/merchant-service/images/",
                                                     "/v3/transferdownload/signfile"};
    logger_function logger;
    // Which notifications were handled (notification_handler::handle). Empty: one in-memory
    // store per client. Servers that share callbacks plug a shared store in here.
    std::shared_ptr<wechatpay::notification_dedup> notification_dedup;
    // Where downloads of /v3/certificates come from in certificate-download mode. Empty: WeChat
    // directly (direct_certificates). Servers of one merchant share a store here (redis/certificates.hpp).
    std::shared_ptr<wechatpay::certificate_source> certificate_source;
    // Asked before every send, retries included (rate_limiter.hpp). Empty: no limit, nothing
    // asked. A memory_rate_limiter for one instance; wechatpay::redis::rate_limiter for a fleet.
    std::shared_ptr<wechatpay::rate_limiter> rate_limiter;
    // The rates of the config file's "rate_limits": the client then limits itself with a
    // memory_rate_limiter of them, unless rate_limiter is set (a fleet passes them to its
    // shared limiter: redis::rate_limiter_options::rates).
    std::optional<rate_table> rate_limits;

    bool downloads_certificates() const noexcept {
        return wechatpay_certificates.empty() && !wechatpay_public_key;
    }
    // Checks what the client needs: names the first missing or invalid field.
    result<void> validate() const;
    // Every setting, with keys and the APIv3 key shown as "(redacted)".
    std::string to_string() const;
};

// The JSON file shared with the CLI (relative paths are relative to the file):
//   {"mchid","appid","merchant":{"private_key","certificate"|"serial"},"apiv3_key",
//    "wechatpay":{"certificates":[files],"public_key":{"id","file"}},
//    "endpoint":{"host","backup_host","port","ca_file"},
//    "pool":{"max_sessions","idle_timeout_ms","max_age_ms","acquire_timeout_ms","keep_alive"},
//    "timeouts":{"connect_ms","request_ms"},
//    "retry":{"max_attempts","base_delay_ms","max_delay_ms","rate_limited_delay_ms"},
//    "user_agent","certificate_refresh_s",
//    "rate_limits":{CLASS: WeChat's limit a second (rate::under) | {"per_second","burst"}},
//      (CLASS as to_string(endpoint_class) names it; classes not named keep documented_rates())
//    "unsigned_download_paths":[paths]}  (replaces the default list: name its entries to keep them)
// A service provider may write "sp_mchid" / "sp_appid" for mchid / appid (the same settings:
// giving both with different values is an error) and "sub_mchid" / "sub_appid" for the default
// sub-merchant.
result<client_config> load_client_config(const std::filesystem::path& file);

// WECHATPAY_MCHID, WECHATPAY_APPID, WECHATPAY_PRIVATE_KEY_FILE, WECHATPAY_CERTIFICATE_FILE |
// WECHATPAY_SERIAL, WECHATPAY_APIV3_KEY (or WECHATPAY_APIV3_KEY_FILE),
// WECHATPAY_SUB_MCHID, WECHATPAY_SUB_APPID, WECHATPAY_PLATFORM_CERTIFICATES (files separated by ':'), WECHATPAY_PUBLIC_KEY_FILE +
// WECHATPAY_PUBLIC_KEY_ID, WECHATPAY_HOST, WECHATPAY_BACKUP_HOST, WECHATPAY_PORT, WECHATPAY_CA_FILE.
// `getenv` is injectable for tests.
result<client_config> client_config_from_env(
    const std::function<const char*(const char*)>& getenv = {});

}  // namespace wechatpay
