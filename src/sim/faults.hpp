// Fault injection: rules set through POST /sim/faults that make chosen answers slow, broken or
// forged, per endpoint or for all, with a probability or on every Nth request.
#pragma once

#include <wechatpay/error.hpp>

#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace wechatpay::sim {

enum class fault : unsigned {
    delay,                // answer after delay_ms
    close_before_answer,  // close the connection instead of answering
    close_mid_body,       // send the headers and half the body, then close
    system_error,         // 500 SYSTEM_ERROR
    frequency_limited,    // 429 FREQUENCY_LIMITED
    bad_signature,        // Wechatpay-Signature of other bytes
    probe_signature,      // WECHATPAY/SIGNTEST/… signature
    stale_timestamp,      // signed, but with a timestamp 10 minutes old
    unknown_serial,       // signed, but naming a serial nobody knows
    malformed_json,       // a correctly signed body that is not JSON
    connection_close,     // answer with Connection: close, then close
    unsigned_error,       // the rule's status (502 by default, or 429, 5xx) without signature headers,
                          // as a gateway in front of WeChat Pay may answer
    count_
};

// The body of an unsigned_error answer: WeChat's {"code","message"}, a gateway's HTML page, none.
enum class error_body : unsigned { json, html, none };

std::string_view to_string(fault f);

struct fault_set {
    unsigned bits = 0;
    unsigned delay_ms = 0;
    unsigned error_status = 502;  // unsigned_error's answer
    error_body body = error_body::json;
    bool has(fault f) const { return bits & (1u << static_cast<unsigned>(f)); }
    bool empty() const { return bits == 0; }
};

class fault_plan {
public:
    // One rule {"kind","endpoint"?,"probability"?|"every"?,"delay_ms"?,"times"?}, or
    // {"faults":[rules…]}; unsigned_error also takes "status" (429 or 500-599, default 502)
    // and "body" ("json", "html" or "none", default "json"). Errors name the field.
    result<void> add(std::string_view json_text);
    void clear();
    // The faults to apply to one request to `endpoint` (counts it against every matching rule).
    fault_set pick(const std::string& endpoint);
    std::string to_json() const;

private:
    struct rule {
        fault kind = fault::delay;
        std::string endpoint = "*";
        double probability = 1.0;
        std::uint64_t every = 0;  // 0: use probability
        unsigned delay_ms = 0;
        unsigned status = 502;
        error_body body = error_body::json;
        std::optional<std::uint64_t> times;  // remaining applications; unlimited when empty
        std::uint64_t seen = 0;
    };
    mutable std::mutex mutex_;
    std::vector<rule> rules_;
    std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace wechatpay::sim
