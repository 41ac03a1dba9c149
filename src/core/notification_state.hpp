// What copies of a notification_handler share: the keys, the APIv3 key, the store, the logger.
#pragma once

#include <wechatpay/notification.hpp>

#include <optional>

namespace wechatpay {

struct notification_handler::state {
    std::shared_ptr<const key_source> keys;
    apiv3_key key;
    std::shared_ptr<notification_dedup> dedup;
    logger_function logger;
    boost::asio::any_io_executor ex;

    // Size, signature with the keys at hand (at `now`, else the verifier's clock), envelope,
    // decryption, resource.
    result<notification> parse(const signature_headers& headers, std::string_view body,
                               std::optional<std::int64_t> now) const;
    void log(log_level level, std::string_view message, std::string_view request_id) const {
        if (logger) logger(level, message, request_id);
    }
};

}  // namespace wechatpay
