#include "core/json_strict.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace wechatpay {

namespace json = boost::json;

namespace {

// A basic_parser handler that builds nothing: it follows the path of the current value and
// stops at the first key that its object already had.
class duplicate_finder {
public:
    static constexpr std::size_t max_array_size = -1;
    static constexpr std::size_t max_object_size = -1;
    static constexpr std::size_t max_string_size = -1;
    static constexpr std::size_t max_key_size = -1;

    std::string duplicate;  // the path of the first duplicated key, once found

    bool on_document_begin(json::error_code&) { return true; }
    bool on_document_end(json::error_code&) { return true; }
    bool on_array_begin(json::error_code&) {
        frames_.push_back({false, {}, {}, 0});
        return true;
    }
    bool on_array_end(std::size_t, json::error_code&) { return end_container(); }
    bool on_object_begin(json::error_code&) {
        frames_.push_back({true, {}, {}, 0});
        return true;
    }
    bool on_object_end(std::size_t, json::error_code&) { return end_container(); }
    bool on_string_part(json::string_view, std::size_t, json::error_code&) { return true; }
    bool on_string(json::string_view, std::size_t, json::error_code&) { return end_value(); }
    bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
        key_.append(s.data(), s.size());
        return true;
    }
    bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
        key_.append(s.data(), s.size());
        frame& f = frames_.back();
        f.key = std::move(key_);
        key_.clear();
        if (!f.keys.insert(f.key).second) {
            duplicate = path();
            ec = json::error::syntax;  // stops the parser; `duplicate` says why
            return false;
        }
        return true;
    }
    bool on_number_part(json::string_view, json::error_code&) { return true; }
    bool on_int64(std::int64_t, json::string_view, json::error_code&) { return end_value(); }
    bool on_uint64(std::uint64_t, json::string_view, json::error_code&) { return end_value(); }
    bool on_double(double, json::string_view, json::error_code&) { return end_value(); }
    bool on_bool(bool, json::error_code&) { return end_value(); }
    bool on_null(json::error_code&) { return end_value(); }
    bool on_comment_part(json::string_view, json::error_code&) { return true; }
    bool on_comment(json::string_view, json::error_code&) { return true; }

private:
    struct frame {
        bool object;
        std::set<std::string> keys;
        std::string key;    // object: the key of the current value
        std::size_t index;  // array: the index of the current value
    };

    bool end_value() {
        if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
        return true;
    }
    bool end_container() {
        frames_.pop_back();
        return end_value();
    }
    std::string path() const {
        std::string p;
        for (const frame& f : frames_) {
            if (f.object) p += (p.empty() ? "" : ".") + f.key;
            else p += "[" + std::to_string(f.index) + "]";
        }
        return p;
    }

    std::vector<frame> frames_;
    std::string key_;
};

}  // namespace

result<json::value> parse_json_strict(std::string_view text) {
    json::basic_parser<duplicate_finder> checker(json::parse_options{});
    json::error_code ec;
    const std::size_t used = checker.write_some(false, text.data(), text.size(), ec);
    if (!checker.handler().duplicate.empty())
        return error(errc::invalid_argument, "duplicate key " + wechatpay::excerpt(checker.handler().duplicate, 128));
    if (!ec && used < text.size()) ec = json::error::extra_data;
    if (ec) {
        const auto end = text.begin() + static_cast<std::ptrdiff_t>(std::min(used, text.size()));
        const auto line = 1 + std::count(text.begin(), end, '\n');
        return error(errc::invalid_argument, "not JSON (line " + std::to_string(line) + "): " + ec.message());
    }
    return json::parse(text);
}

std::optional<std::string> unknown_key(const json::object& object, std::initializer_list<std::string_view> known) {
    for (const auto& item : object)
        if (std::find(known.begin(), known.end(), std::string_view(item.key())) == known.end())
            return std::string(item.key());
    return std::nullopt;
}

}  // namespace wechatpay
