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

}  // namespace wechatpay::detail
