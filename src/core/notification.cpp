#include <wechatpay/notification.hpp>

#include "core/encrypted_resource.hpp"

namespace wechatpay {

using detail::json_reader;

namespace {

struct envelope {
    std::string id, create_time, resource_type, event_type, summary;
    std::optional<detail::encrypted_resource> resource;
};

void read(const json_reader& r, envelope& e) {
    r("id", e.id);
    r("create_time", e.create_time);
    r("resource_type", e.resource_type);
    r("event_type", e.event_type);
    r("summary", e.summary);
    r("resource", e.resource);
}

}  // namespace

result<notification> notification_handler::parse(const signature_headers& headers,
                                                 std::string_view body) const {
    if (body.size() > max_notification_body)
        return error(errc::body_too_large, std::to_string(body.size()) + " bytes");
    if (auto ok = verifier_.verify(headers, body); !ok) return ok.error();
    return open(headers, body);
}

result<notification> notification_handler::parse_at(const signature_headers& headers,
                                                    std::string_view body, std::int64_t now) const {
    if (body.size() > max_notification_body)
        return error(errc::body_too_large, std::to_string(body.size()) + " bytes");
    if (auto ok = verifier_.verify_at(headers, body, now); !ok) return ok.error();
    return open(headers, body);
}

// After the signature held: read the envelope and decrypt its resource.
result<notification> notification_handler::open(const signature_headers& headers,
                                                std::string_view body) const {
    auto env = detail::read_json_object<envelope>(body);
    if (!env) return env.error();
    if (env->id.empty() || env->event_type.empty())
        return error(errc::malformed_json, "/id and /event_type are required");
    if (!env->resource) return error(errc::malformed_json, "/resource is required");
    const detail::encrypted_resource& res = *env->resource;
    auto plain = detail::open(res, key_, "/resource");
    if (!plain) return plain.error();
    return notification{std::move(env->id),         std::move(env->create_time),
                        std::move(env->event_type), std::move(env->summary),
                        std::move(env->resource_type), res.original_type,
                        std::move(*plain),          headers.request_id};
}

notification_reply notification_handler::handle(const signature_headers& headers, std::string_view body,
                                                const notification_effect& effect) const {
    return run_once(parse(headers, body), effect);
}

notification_reply notification_handler::handle_at(const signature_headers& headers, std::string_view body,
                                                   std::int64_t now, const notification_effect& effect) const {
    return run_once(parse_at(headers, body, now), effect);
}

notification_reply notification_handler::run_once(const result<notification>& n,
                                                  const notification_effect& effect) const {
    // The reason stays ours (the caller may log it); WeChat only hears that it should retry.
    if (!n) return reply_failure("notification rejected");
    switch (dedup_->try_claim(n->id)) {
        case notification_dedup::claim::done: return reply_success();
        case notification_dedup::claim::in_progress: return reply_failure("being handled");
        case notification_dedup::claim::first: break;
    }
    result<void> done = error(errc::invalid_argument, "no effect");
    try {
        done = effect(*n);
    } catch (...) {
        dedup_->release(n->id);
        throw;
    }
    if (!done) {
        dedup_->release(n->id);
        return reply_failure("not handled");
    }
    dedup_->complete(n->id);
    return reply_success();
}

notification_reply reply_success() { return {204, {}, {}}; }

notification_reply reply_failure(std::string_view message) {
    return {500,
            boost::json::serialize(boost::json::object{{"code", "FAIL"}, {"message", message}}),
            "application/json"};
}

}  // namespace wechatpay
