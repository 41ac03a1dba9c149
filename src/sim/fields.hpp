// WeChat's PARAM_ERROR, and the reader of a JSON body's fields that produces it: the first
// problem found names the field (a JSON pointer under /body, else the parameter's name) in the
// message, and the detail holds where it is and the value refused, as WeChat sends them.
#pragma once

#include "sim/api.hpp"

#include "core/json_reader.hpp"
#include "core/utf8.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>

namespace wechatpay::sim {

using detail::finite_json;

// A request's body as every endpoint reads it: a JSON object, or nothing (not JSON, or not an
// object). A number beyond a double reads as infinity: the field's check refuses it by name
// (param_error does not quote it back).
inline std::optional<boost::json::object> body_object(std::string_view body) {
    boost::system::error_code ec;
    auto doc = boost::json::parse(body, ec);
    if (ec || !doc.is_object()) return std::nullopt;
    return std::move(doc.get_object());
}

// WeChat's answer to a body body_object() refuses.
inline answer not_an_object() { return error_answer(400, "PARAM_ERROR", "body is not a JSON object"); }

// `value`, the value refused, is quoted back when JSON can carry it.
inline answer param_error(std::string_view field, std::string_view issue, std::string_view location = "body",
                          const boost::json::value* value = nullptr) {
    boost::json::object detail{{"location", location}};
    if (value && finite_json(*value)) detail["value"] = *value;
    const std::string named = location == "body" ? "/body" + std::string(field) : std::string(field);
    return {400, boost::json::serialize(boost::json::object{
                     {"code", "PARAM_ERROR"}, {"message", named + " " + std::string(issue)}, {"detail", detail}})};
}

// A PARAM_ERROR naming the value refused.
inline answer value_error(std::string_view field, std::string_view issue, const boost::json::value& value,
                          std::string_view location = "body") {
    return param_error(field, issue, location, &value);
}

// Reads fields of a JSON object; what counts as a string or an integer is json_reader's rule.
// `prefix` is the object's own pointer when it is an item of the body (/receivers/0).
class fields {
public:
    explicit fields(const boost::json::object& o, std::string prefix = {}) : root_(o), prefix_(std::move(prefix)) {}

    // Absent and null alike are missing.
    const boost::json::value* at(std::string_view pointer) const { return detail::value_at(root_, pointer); }
    // A string field: required ones must be present and non-empty; max length in characters.
    std::string str(std::string_view pointer, bool required, std::size_t max_chars = 256) {
        if (failed()) return {};
        const boost::json::value* v = at(pointer);
        if (!v) {
            if (required) fail(pointer, "is required");
            return {};
        }
        const boost::json::string* text = detail::json_reader::string_of(*v);
        if (!text) return fail(pointer, "must be a string", v), std::string();
        std::string s(*text);
        if (required && s.empty()) fail(pointer, "must not be empty", v);
        else if (detail::utf8_length(s).value_or(s.size()) > max_chars)
            fail(pointer, "is longer than " + std::to_string(max_chars) + " characters", v);
        return s;
    }
    std::int64_t integer(std::string_view pointer, bool required) {
        if (failed()) return 0;
        const boost::json::value* v = at(pointer);
        if (!v) return required ? (fail(pointer, "is required"), 0) : 0;
        if (auto i = detail::json_reader::integer_of(*v)) return *i;
        fail(pointer, "must be an integer", v);
        return 0;
    }
    void fail(std::string_view pointer, const std::string& issue, const boost::json::value* value = nullptr) {
        if (!error) error = param_error(prefix_ + std::string(pointer), issue, "body", value);
    }
    bool failed() const { return error.has_value(); }
    std::optional<answer> error;

private:
    const boost::json::object& root_;
    std::string prefix_;
};

}  // namespace wechatpay::sim
