#include <wechatpay/notification.hpp>

#include "core/encrypted_resource.hpp"
#include "core/notification_state.hpp"

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

// Keys given once: nothing to refresh.
class fixed_keys final : public key_source {
public:
    explicit fixed_keys(verifier v) : v_(std::move(v)) {}
    verifier current() const override { return v_; }

private:
    verifier v_;
};

// After the signature held: read the envelope, decrypt its resource and check that it is a JSON
// object. Errors name fields only: never the key, never the decrypted text.
result<notification> open(const signature_headers& headers, std::string_view body, const apiv3_key& key) {
    auto env = detail::read_json_object<envelope>(body);
    if (!env) return env.error();
    if (env->id.empty() || env->event_type.empty())
        return error(errc::malformed_json, "/id and /event_type are required");
    if (!env->resource) return error(errc::malformed_json, "/resource is required");
    const detail::encrypted_resource& res = *env->resource;
    auto plain = detail::open(res, key, "/resource");
    if (!plain) return plain.error();
    boost::system::error_code ec;
    const auto resource = boost::json::parse(*plain, ec);
    if (ec || !resource.is_object())
        return error(errc::malformed_json, "/resource: the decrypted resource is not a JSON object");
    notification n;
    n.id = std::move(env->id);
    n.create_time = std::move(env->create_time);
    n.event_type = std::move(env->event_type);
    n.summary = std::move(env->summary);
    n.resource_type = std::move(env->resource_type);
    n.original_type = res.original_type;
    n.combine = resource.as_object().contains("combine_out_trade_no");
    n.resource = std::move(*plain);
    n.request_id = headers.request_id;
    return n;
}

}  // namespace

void key_source::async_refresh(boost::asio::any_completion_handler<void(result<void>)> handler) const {
    std::move(handler)(result<void>(error(errc::unknown_serial, "these WeChat Pay keys are not refreshed")));
}

notification_handler::notification_handler(verifier v, apiv3_key key, std::shared_ptr<notification_dedup> dedup,
                                           logger_function logger)
    : notification_handler(std::make_shared<fixed_keys>(std::move(v)), std::move(key), std::move(dedup),
                           std::move(logger)) {}

notification_handler::notification_handler(std::shared_ptr<const key_source> keys, apiv3_key key,
                                           std::shared_ptr<notification_dedup> dedup, logger_function logger,
                                           boost::asio::any_io_executor ex)
    : s_(std::make_shared<const state>(
          state{std::move(keys), std::move(key), dedup ? std::move(dedup) : std::make_shared<memory_dedup>(),
                std::move(logger), std::move(ex)})) {}

notification_dedup& notification_handler::dedup() const { return *s_->dedup; }

result<notification> notification_handler::state::parse(const signature_headers& headers, std::string_view body,
                                                        std::optional<std::int64_t> now) const {
    if (body.size() > max_notification_body)
        return error(errc::body_too_large, std::to_string(body.size()) + " bytes");
    const verifier v = keys->current();
    if (auto ok = now ? v.verify_at(headers, body, *now) : v.verify(headers, body); !ok) return ok.error();
    return open(headers, body, key);
}

result<notification> notification_handler::parse(const signature_headers& headers, std::string_view body) const {
    return s_->parse(headers, body, std::nullopt);
}

result<notification> notification_handler::parse_at(const signature_headers& headers, std::string_view body,
                                                    std::int64_t now) const {
    return s_->parse(headers, body, now);
}

notification_reply reply_success() { return {204, {}, {}, {}}; }

notification_reply reply_failure(std::string_view message) {
    return {500,
            boost::json::serialize(boost::json::object{{"code", "FAIL"}, {"message", message}}),
            "application/json",
            {}};
}

notification_reply reply_refused(error reason) {
    // WeChat keeps the message of a failed answer for the merchant to read: the kind of failure
    // (our fixed wording, or the code's), not the detail.
    auto reply = reply_failure(reason.code.message());
    reply.reason = std::move(reason);
    return reply;
}

}  // namespace wechatpay
