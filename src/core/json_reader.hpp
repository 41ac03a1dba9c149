// Lenient, path-aware reading of WeChat's JSON into our models: unknown keys are ignored, an
// absent key leaves the field as it was, a present key of the wrong type is an error that names
// its JSON path (/amount/total). The first error wins.
#pragma once

#include <wechatpay/error.hpp>

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace wechatpay::detail {

class json_reader {
public:
    json_reader(const boost::json::object& obj, std::string path, std::string* error)
        : obj_(obj), path_(std::move(path)), error_(error) {}

    void operator()(std::string_view key, std::string& out) const {
        if (auto* v = find(key)) {
            if (v->is_string()) out = v->get_string();
            else fail(key, "a string");
        }
    }
    void operator()(std::string_view key, std::int64_t& out) const {
        if (auto* v = find(key)) {
            if (auto n = v->if_int64()) out = *n;
            else if (auto u = v->if_uint64(); u && *u <= INT64_MAX) out = static_cast<std::int64_t>(*u);
            else fail(key, "an integer");
        }
    }
    void operator()(std::string_view key, bool& out) const {
        if (auto* v = find(key)) {
            if (auto b = v->if_bool()) out = *b;
            else fail(key, "a boolean");
        }
    }
    template <class T>
    void operator()(std::string_view key, std::optional<T>& out) const {
        if (find(key)) (*this)(key, out.emplace());
    }
    template <class T>
    void operator()(std::string_view key, std::vector<T>& out) const {
        auto* v = find(key);
        if (!v) return;
        auto* arr = v->if_array();
        if (!arr) return fail(key, "an array");
        out.clear();
        for (std::size_t i = 0; i < arr->size(); ++i) {
            const std::string item_path = path_ + "/" + std::string(key) + "/" + std::to_string(i);
            read_value((*arr)[i], item_path, out.emplace_back());
        }
    }
    // A nested object: read with read(json_reader&, T&), found by argument-dependent lookup.
    template <class T>
        requires requires(const json_reader& r, T& t) { read(r, t); }
    void operator()(std::string_view key, T& out) const {
        if (auto* v = find(key)) read_value(*v, path_ + "/" + std::string(key), out);
    }

    bool ok() const { return error_->empty(); }

private:
    const boost::json::value* find(std::string_view key) const {
        if (!error_->empty()) return nullptr;
        auto* v = obj_.if_contains(key);
        return v && !v->is_null() ? v : nullptr;
    }
    void fail(std::string_view key, std::string_view expected) const {
        *error_ = path_ + "/" + std::string(key) + " must be " + std::string(expected);
    }
    template <class T>
    void read_value(const boost::json::value& v, const std::string& path, T& out) const {
        if (!error_->empty()) return;
        if (auto* o = v.if_object()) read(json_reader(*o, path, error_), out);
        else *error_ = path + " must be an object";
    }
    void read_value(const boost::json::value& v, const std::string& path, std::string& out) const {
        if (!error_->empty()) return;
        if (auto* str = v.if_string()) out = *str;
        else *error_ = path + " must be a string";
    }

    const boost::json::object& obj_;
    std::string path_;
    std::string* error_;
};

// Parses `text` as a JSON object and reads it into `out` with read(json_reader&, T&) (what `out`
// holds already may steer the reading: the name of a field to read, defaults).
template <class T>
result<T> read_json_object(std::string_view text, T out) {
    boost::system::error_code ec;
    auto value = boost::json::parse(text, ec);
    if (ec) return error(errc::malformed_json, "not JSON: " + ec.message());
    auto* obj = value.if_object();
    if (!obj) return error(errc::malformed_json, "not a JSON object");
    std::string err;
    read(json_reader(*obj, "", &err), out);
    if (!err.empty()) return error(errc::malformed_json, err);
    return out;
}

template <class T>
result<T> read_json_object(std::string_view text) {
    return read_json_object(text, T{});
}

}  // namespace wechatpay::detail
