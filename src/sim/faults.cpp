#include "sim/faults.hpp"

#include "sim/api.hpp"

#include "core/json_strict.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace wechatpay::sim {

namespace json = boost::json;

namespace {
constexpr std::size_t max_rules = 256;          // every request walks them
constexpr unsigned max_delay_ms = 600000;       // 10 minutes
constexpr std::string_view names[] = {
    "delay",         "close_before_answer", "close_mid_body",  "system_error",
    "frequency_limited", "bad_signature",   "probe_signature", "stale_timestamp",
    "unknown_serial", "malformed_json",     "connection_close", "unsigned_error"};
constexpr std::string_view body_names[] = {"json", "html", "none"};
static_assert(std::size(names) == static_cast<std::size_t>(fault::count_));

result<fault> parse_kind(std::string_view s) {
    for (std::size_t i = 0; i < std::size(names); ++i)
        if (names[i] == s) return static_cast<fault>(i);
    return error(errc::invalid_argument, "kind: unknown fault " + excerpt(s, 40));
}
}  // namespace

std::string_view to_string(fault f) { return names[static_cast<std::size_t>(f)]; }

result<void> fault_plan::add(std::string_view text) {
    // Strict, like the config files: a duplicated or misspelt key ("endpont") would otherwise
    // turn a rule for one endpoint into a rule for all.
    auto doc = parse_json_strict(text);
    if (!doc) return doc.error();
    if (!doc->is_object()) return error(errc::invalid_argument, "body must be a JSON object");
    std::vector<json::value> items;
    if (auto* list = doc->get_object().if_contains("faults")) {
        if (auto bad = unknown_key(doc->get_object(), {"faults"}))
            return error(errc::invalid_argument, "unknown key " + excerpt(*bad) + " beside faults");
        if (!list->is_array()) return error(errc::invalid_argument, "faults must be an array");
        items.assign(list->get_array().begin(), list->get_array().end());
    } else {
        items.push_back(*doc);
    }
    std::vector<rule> parsed;
    for (const auto& item : items) {
        const auto* o = item.if_object();
        if (!o) return error(errc::invalid_argument, "each fault must be an object");
        if (auto bad = unknown_key(*o, {"kind", "endpoint", "probability", "every", "delay_ms", "times", "status", "body"}))
            return error(errc::invalid_argument, "unknown key " + excerpt(*bad));
        const auto* kind = o->if_contains("kind");
        if (!kind || !kind->is_string()) return error(errc::invalid_argument, "kind is required");
        auto k = parse_kind(kind->get_string());
        if (!k) return k.error();
        rule r;
        r.kind = *k;
        try {
            if (auto* v = o->if_contains("endpoint")) r.endpoint = json::value_to<std::string>(*v);
            if (auto* v = o->if_contains("probability")) r.probability = v->to_number<double>();
            if (auto* v = o->if_contains("every")) r.every = v->to_number<std::uint64_t>();
            if (auto* v = o->if_contains("delay_ms")) r.delay_ms = v->to_number<unsigned>();
            if (auto* v = o->if_contains("times")) r.times = v->to_number<std::uint64_t>();
            if (auto* v = o->if_contains("status")) r.status = v->to_number<unsigned>();
        } catch (const std::exception&) {
            return error(errc::invalid_argument,
                         "endpoint must be a string; probability, every, delay_ms, times, status numbers");
        }
        if ((o->contains("status") || o->contains("body")) && r.kind != fault::unsigned_error)
            return error(errc::invalid_argument, "status and body are for unsigned_error only");
        if (r.status != 429 && (r.status < 500 || r.status > 599))
            return error(errc::invalid_argument, "status must be 429 or 500-599");
        if (auto* v = o->if_contains("body")) {
            const auto* name = v->if_string();
            const auto* known = name ? std::find(std::begin(body_names), std::end(body_names), *name) : std::end(body_names);
            if (known == std::end(body_names)) return error(errc::invalid_argument, "body must be \"json\", \"html\" or \"none\"");
            r.body = static_cast<error_body>(known - std::begin(body_names));
        }
        if (r.endpoint != "*" && !api::is_endpoint_name(r.endpoint))
            return error(errc::invalid_argument, "endpoint " + excerpt(r.endpoint) +
                                                     " is not an endpoint name (see /sim/stats) or \"*\"");
        if (r.probability < 0 || r.probability > 1) return error(errc::invalid_argument, "probability must be in [0, 1]");
        if (r.kind == fault::delay && r.delay_ms == 0) return error(errc::invalid_argument, "delay_ms is required for delay");
        if (r.delay_ms > max_delay_ms) return error(errc::invalid_argument, "delay_ms must be at most 600000");
        parsed.push_back(std::move(r));
    }
    std::lock_guard lock(mutex_);
    if (rules_.size() + parsed.size() > max_rules)
        return error(errc::invalid_argument, "at most 256 fault rules at once (DELETE /sim/faults clears them)");
    rules_.insert(rules_.end(), parsed.begin(), parsed.end());
    return {};
}

void fault_plan::clear() {
    std::lock_guard lock(mutex_);
    rules_.clear();
}

fault_set fault_plan::pick(const std::string& endpoint) {
    fault_set out;
    std::lock_guard lock(mutex_);
    for (auto& r : rules_) {
        if (r.endpoint != "*" && r.endpoint != endpoint) continue;
        if (r.times && *r.times == 0) continue;
        ++r.seen;
        const bool hit = r.every ? r.seen % r.every == 0
                                 : std::uniform_real_distribution<double>(0, 1)(rng_) < r.probability;
        if (!hit) continue;
        if (r.times) --*r.times;
        out.bits |= 1u << static_cast<unsigned>(r.kind);
        if (r.kind == fault::delay) out.delay_ms = std::max(out.delay_ms, r.delay_ms);
        if (r.kind == fault::unsigned_error) {
            out.error_status = r.status;
            out.body = r.body;
        }
    }
    return out;
}

std::string fault_plan::to_json() const {
    json::array list;
    std::lock_guard lock(mutex_);
    for (const auto& r : rules_) {
        json::object o{{"kind", to_string(r.kind)}, {"endpoint", r.endpoint}, {"seen", r.seen}};
        if (r.every) o["every"] = r.every;
        else o["probability"] = r.probability;
        if (r.delay_ms) o["delay_ms"] = r.delay_ms;
        if (r.kind == fault::unsigned_error) {
            o["status"] = r.status;
            o["body"] = body_names[static_cast<std::size_t>(r.body)];
        }
        if (r.times) o["times_left"] = *r.times;
        list.push_back(std::move(o));
    }
    return json::serialize(json::object{{"faults", list}});
}

}  // namespace wechatpay::sim
