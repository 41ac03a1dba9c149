// A caller's callback that throws (a download sink, a notification's business effect) ends its
// operation with an error result, like one it returned: the operation's cleanup runs as on any
// failure (a session discarded, a temporary file removed, a notification id released).
#pragma once

#include <wechatpay/error.hpp>

#include <exception>
#include <string>
#include <string_view>

namespace wechatpay::detail {

// A wechatpay::exception keeps its error, `context` before its detail; anything else is
// errc::callback_exception naming `context` and quoting what() (the caller's own text).
inline error callback_error(const std::exception_ptr& thrown, std::string_view context) {
    try {
        std::rethrow_exception(thrown);
    } catch (const exception& e) {
        error r = e.err();
        r.detail = std::string(context) + ": " + r.detail;
        return r;
    } catch (const std::exception& e) {
        return error(errc::callback_exception, std::string(context) + " threw " + excerpt(e.what(), 200));
    } catch (...) {
        return error(errc::callback_exception, std::string(context) + " threw an exception of unknown type");
    }
}

}  // namespace wechatpay::detail
