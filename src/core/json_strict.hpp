// JSON as config files are read: a duplicated key is an error (Boost.JSON's parse keeps the
// last one silently, so that the file would mean something else than what a reader sees).
#pragma once

#include <wechatpay/error.hpp>

#include <boost/json/value.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace wechatpay {

// The value of `text`; invalid_argument on a syntax error ("not JSON (line 3): syntax error")
// or a key given twice in one object ("duplicate key \"retry.max_attempts\"", the key's path).
result<boost::json::value> parse_json_strict(std::string_view text);

// The first key of `object` that is not in `known` (a typo that would otherwise be ignored).
std::optional<std::string> unknown_key(const boost::json::object& object,
                                       std::initializer_list<std::string_view> known);

}  // namespace wechatpay
