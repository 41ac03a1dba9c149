// Lenient, path-aware reading of WeChat's JSON into our models: unknown keys are ignored, an
// absent (or null) key leaves the field as it was, a present key of the wrong type is an error
// that names its JSON path (/amount/total). The first error wins. In mode::skip_wrong_types (an
// error answer, read for what it can tell) a wrong type leaves its field as it was and the
// reading goes on. The type rules serve the simulator's request checks too (value_at,
// string_of, integer_of).
#pragma once

#include <wechatpay/error.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace wechatpay::detail {

class json_reader {
public:
    enum class mode { first_error, skip_wrong_types };

    json_reader(const boost::json::object& obj, std::string path, std::string* error, mode m = mode::first_error)
        : obj_(obj), path_(std::move(path)), error_(error), mode_(m) {}

    // What counts as a string and as an integer (an int64, or a uint64 that fits one).
    static const boost::json::string* string_of(const boost::json::value& v) { return v.if_string(); }
    static std::optional<std::int64_t> integer_of(const boost::json::value& v) {
        if (auto n = v.if_int64()) return *n;
        if (auto u = v.if_uint64(); u && *u <= INT64_MAX) return static_cast<std::int64_t>(*u);
        return std::nullopt;
    }

    void operator()(std::string_view key, std::string& out) const {
        if (auto* v = find(key)) {
            if (auto* str = string_of(*v)) out = *str;
            else fail(key, "a string");
        }
    }
    void operator()(std::string_view key, std::int64_t& out) const {
        if (auto* v = find(key)) {
            if (auto n = integer_of(*v)) out = *n;
            else fail(key, "an integer");
        }
    }
    // Any JSON value as sent, null included (an error answer's detail).
    void operator()(std::string_view key, boost::json::value& out) const {
        if (!error_->empty()) return;
        if (auto* v = obj_.if_contains(key)) out = *v;
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
        fail_at(path_ + "/" + std::string(key), expected);
    }
    void fail_at(const std::string& path, std::string_view expected) const {
        if (mode_ == mode::first_error) *error_ = path + " must be " + std::string(expected);
    }
    template <class T>
    void read_value(const boost::json::value& v, const std::string& path, T& out) const {
        if (!error_->empty()) return;
        if (auto* o = v.if_object()) read(json_reader(*o, path, error_, mode_), out);
        else fail_at(path, "an object");
    }
    void read_value(const boost::json::value& v, const std::string& path, std::string& out) const {
        if (!error_->empty()) return;
        if (auto* str = string_of(v)) out = *str;
        else fail_at(path, "a string");
    }

    const boost::json::object& obj_;
    std::string path_;
    std::string* error_;
    mode mode_;
};

// False for a value holding a number beyond a double (1e400 parses as infinity), which no JSON
// can carry back: Boost.JSON would write it as Infinity.
inline bool finite_json(const boost::json::value& v) {
    if (const double* d = v.if_double()) return std::isfinite(*d);
    if (const auto* a = v.if_array()) return std::all_of(a->begin(), a->end(), finite_json);
    if (const auto* o = v.if_object())
        return std::all_of(o->begin(), o->end(), [](const auto& kv) { return finite_json(kv.value()); });
    return true;
}

// The value at a JSON pointer of plain keys (/amount/total) under `root`; nullptr when a step is
// absent or not an object, or the value is null (absent, as json_reader takes it).
inline const boost::json::value* value_at(const boost::json::object& root, std::string_view pointer) {
    const boost::json::object* o = &root;
    std::string_view rest = pointer.substr(pointer.starts_with('/') ? 1 : 0);
    for (;;) {
        const auto slash = rest.find('/');
        const boost::json::value* v = o->if_contains(rest.substr(0, slash));
        if (!v || slash == std::string_view::npos) return v && !v->is_null() ? v : nullptr;
        if (!(o = v->if_object())) return nullptr;
        rest.remove_prefix(slash + 1);
    }
}

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
