// The checks requests.cpp applies to what the client sends, for the other request models
// (complaints.cpp): each error is invalid_argument naming the field.
#pragma once

#include <wechatpay/error.hpp>

#include <optional>
#include <string_view>

namespace wechatpay::detail {

// invalid_argument "FIELD: WHY".
error invalid_field(std::string_view field, std::string_view why);
// Free UTF-8 text of at most `max` characters; empty fails only when `required`.
std::optional<error> text_field_error(std::string_view field, std::string_view text, std::size_t max, bool required);
// YYYY-MM-DD naming a real calendar day.
bool is_calendar_date(std::string_view s);
// An out_trade_no: 6–32 of [0-9A-Za-z_-|*].
bool is_trade_number(std::string_view s);
// RFC 3339 with seconds and an offset (2018-06-08T10:34:56+08:00).
bool is_rfc3339_time(std::string_view s);
// notify_url: https without a query (the error names /notify_url).
std::optional<error> notify_url_field_error(std::string_view url, bool required);

}  // namespace wechatpay::detail
